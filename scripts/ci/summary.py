"""The pull-request job summary, from the ``python -m stackcheck <stack> --json`` documents of every stack.

``python -m scripts.ci.summary DIR`` reads ``DIR/<stack>.json`` and prints Markdown for ``$GITHUB_STEP_SUMMARY``:
one line per stack (resources, policies, violations by level, checklist items passing, the monthly cost estimate and
how long a fresh deployment takes), then every violation, and any stack that failed to run. It reads only what
stackcheck wrote, which never holds a secret.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

#: Longest message shown in the violations table; the full text is in the uploaded JSON.
MAX_MESSAGE = 300


def _cell(text: Any) -> str:
    """Text safe inside a Markdown table cell: one line, no pipes."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _short(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _resource_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if urn else "(the stack)"


def _verdict(summary: Mapping[str, Any]) -> str:
    code = summary.get("exitCode")
    if code == 0:
        return "passes"
    return "**blocked** (mandatory violations)" if code == 1 else "**failed to run**"


def _items(doc: Mapping[str, Any]) -> str:
    """Checklist items whose every applicable rule passes, out of the items the stack's rules cover."""
    worst: dict[str, str] = {}
    order = {"violated": 0, "unknown": 1, "pass": 2, "not applicable": 3, "disabled": 4}
    for policy in doc.get("policies", []):
        for item in policy.get("checklist", []):
            status = policy.get("status", "pass")
            if item not in worst or order.get(status, 0) < order.get(worst[item], 0):
                worst[item] = status
    covered = [s for s in worst.values() if s != "not applicable"]
    return f"{sum(1 for s in covered if s == 'pass')}/{len(covered)}"


def _cost(summary: Mapping[str, Any]) -> str:
    total = (summary.get("cost") or {}).get("total")
    return f"{total:,.2f}" if isinstance(total, (int, float)) else "-"


def _duration(summary: Mapping[str, Any]) -> str:
    seconds = (summary.get("criticalPath") or {}).get("totalSeconds")
    return f"about {round(seconds / 60)} min" if isinstance(seconds, (int, float)) else "-"


def summarize(documents: Mapping[str, Mapping[str, Any]]) -> str:
    """Markdown for the job summary; ``documents`` maps stack names to stackcheck JSON documents."""
    lines = [
        "## stackcheck",
        "",
        "| stack | verdict | resources | policies | mandatory | advisory | checklist items passing | monthly cost "
        "(USD, estimate) | fresh deployment |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for stack, doc in documents.items():
        summary = doc.get("summary", {})
        if "error" in doc:
            lines.append(f"| {stack} | **failed to run** | {summary.get('resources', 0)} | - | - | - | - | - | - |")
            continue
        violations = summary.get("violations", {})
        lines.append(
            f"| {stack} | {_verdict(summary)} | {summary.get('resources', 0)} | {summary.get('policies', 0)} | "
            f"{violations.get('mandatory', 0)} | {violations.get('advisory', 0)} | {_items(doc)} | "
            f"{_cost(summary)} | {_duration(summary)} |"
        )
    errors = [(stack, doc["error"]) for stack, doc in documents.items() if "error" in doc]
    for stack, error in errors:
        lines += ["", f"**{stack}** did not run: {_cell(error)}"]
    found = [(stack, v) for stack, doc in documents.items() for v in doc.get("violations", [])]
    if found:
        lines += ["", "### Violations", "", "| stack | level | policy | resource | message |", "|---|---|---|---|---|"]
        levels = {"mandatory": 0, "advisory": 1}
        for stack, v in sorted(found, key=lambda f: (f[0], levels.get(f[1].get("enforcementLevel"), 2))):
            lines.append(
                f"| {stack} | {v.get('enforcementLevel')} | `{v.get('policy')}` | `{_resource_name(v.get('urn', ''))}` "
                f"| {_cell(_short(str(v.get('message', ''))))} |"
            )
    counts = Counter(doc.get("summary", {}).get("exitCode") for doc in documents.values())
    lines += [
        "",
        f"{len(documents)} stacks: {counts.get(0, 0)} pass, {counts.get(1, 0)} blocked, "
        f"{sum(n for code, n in counts.items() if code not in (0, 1))} failed to run. The JSON documents and "
        "compliance reports and architecture pages (diagram, cost, critical path) are in the `stackcheck` artifact.",
    ]
    return "\n".join(lines) + "\n"


def load(directory: Path) -> dict[str, dict[str, Any]]:
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            documents[path.stem] = json.loads(path.read_text())
        except ValueError as error:
            documents[path.stem] = {"error": f"{path.name} is not valid JSON: {error}", "summary": {"exitCode": 2}}
    return documents


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.ci.summary", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("directory", type=Path, help="where the stackcheck JSON documents are (<stack>.json)")
    args = parser.parse_args(argv)
    documents = load(args.directory)
    if not documents:
        print(f"no stackcheck documents in {args.directory}", file=sys.stderr)
        return 2
    sys.stdout.write(summarize(documents))
    return 0


if __name__ == "__main__":
    sys.exit(main())
