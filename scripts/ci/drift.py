"""Nightly drift detection: turn one stack's ``pulumi refresh --preview-only --expect-no-changes`` into an issue.

The refresh preview reads the cloud and never writes state. Its exit code decides:

- ``0``: no drift. An open drift issue for the stack is closed.
- ``7``: drift (the CLI's exit code for changes under ``--expect-no-changes``). One issue per stack, labelled
  ``drift``, is opened, or its body replaced with the new report: the diff, folded when long, and cut to fit
  GitHub's limit on an issue body.
- anything else: the refresh itself failed (credentials, backend, program). The job fails; no issue is touched.

``python -m scripts.ci.drift --stack prod --exit-code 7 --output refresh.txt --run-url URL`` does all of it through
the ``gh`` CLI (``GH_TOKEN`` in the environment) and appends the report to ``$GITHUB_STEP_SUMMARY`` when set.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DRIFT_EXIT_CODE = 7
LABEL = "drift"
#: GitHub refuses issue bodies longer than this many characters.
GITHUB_BODY_LIMIT = 65536
#: Diffs longer than this many lines are folded under <details>.
FOLD_LINES = 40
ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
SUMMARY_LINE = re.compile(r"^\s*[-+~]?\s*\d+ (to create|to update|to delete|to replace|unchanged|to refresh)", re.I)

#: Runs ``gh`` with these arguments and this standard input; returns its standard output.
Gh = Callable[[list[str], str | None], str]


@dataclass(frozen=True)
class Outcome:
    status: str
    """``clean``, ``drift`` or ``error``."""
    title: str
    body: str


def status_of(exit_code: int) -> str:
    if exit_code == 0:
        return "clean"
    if exit_code == DRIFT_EXIT_CODE:
        return "drift"
    return "error"


def title_of(stack: str) -> str:
    return f"Drift detected on {stack}"


def clean_output(text: str) -> str:
    """The CLI's output without colour codes, carriage-return progress or trailing spaces."""
    lines = [ANSI.sub("", line).split("\r")[-1].rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def _fence(text: str) -> str:
    """A code fence longer than any backtick run inside ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _diff_block(diff: str, folded: bool) -> str:
    fence = _fence(diff)
    block = f"{fence}diff\n{diff}\n{fence}"
    if not folded:
        return block
    count = diff.count("\n") + 1
    return f"<details><summary>The diff ({count} lines)</summary>\n\n{block}\n\n</details>"


def report_body(stack: str, output: str, run_url: str = "", limit: int = GITHUB_BODY_LIMIT) -> str:
    """The issue body for drift on ``stack``: what happened, what to do, the counts and the diff, within ``limit``."""
    diff = clean_output(output)
    counts = [line.strip() for line in diff.splitlines() if SUMMARY_LINE.match(line)]
    head = [
        f"`pulumi refresh --preview-only --expect-no-changes` found that **{stack}** in the cloud differs from the "
        "state of its last deployment.",
        "",
    ]
    if run_url:
        head += [f"Run: {run_url}", ""]
    if counts:
        head += ["Changes a refresh would record:", "", *[f"- {line}" for line in counts], ""]
    head += [
        "What to do: if the change was made on purpose, bring it into the program (or run `pulumi refresh "
        f"-s {stack}` to accept it into the state); if not, run `pulumi up -s {stack}` (behind the policy pack) to "
        "restore what the program declares. This issue is updated every night while the drift lasts and closed "
        "when a run finds none.",
        "",
    ]
    prefix = "\n".join(head)
    lines = diff.splitlines()
    folded = len(lines) > FOLD_LINES
    body = prefix + _diff_block(diff, folded)
    if len(body) <= limit:
        return body
    # Cut the diff from the end until the body fits, saying how much was left out and where to find it.
    kept = len(lines)
    while kept > 0:
        kept = kept * 9 // 10 if kept > 20 else kept - 1
        note = (
            f"\n\n*The diff is cut: {len(lines) - kept} of {len(lines)} lines are left out to fit GitHub's "
            f"{limit}-character limit; the full output is in the run's log.*"
        )
        body = prefix + _diff_block("\n".join(lines[:kept]), True) + note
        if len(body) <= limit:
            return body
    return (prefix + "*The diff does not fit in an issue; it is in the run's log.*")[:limit]


def _find_issue(gh: Gh, title: str) -> int | None:
    listed = gh(
        ["issue", "list", "--label", LABEL, "--state", "open", "--limit", "200", "--json", "number,title"], None
    )
    for issue in json.loads(listed or "[]"):
        if issue.get("title") == title:
            return int(issue["number"])
    return None


def sync_issue(outcome: Outcome, gh: Gh) -> str:
    """Open, update or close the stack's drift issue; returns what was done."""
    if outcome.status == "error":
        return "the refresh failed: no issue was changed"
    number = _find_issue(gh, outcome.title)
    if outcome.status == "clean":
        if number is None:
            return "no drift, and no open drift issue"
        gh(["issue", "close", str(number), "--comment", "A drift check found no drift: closing."], None)
        return f"no drift: closed #{number}"
    if number is None:
        created = gh(["issue", "create", "--title", outcome.title, "--label", LABEL, "--body-file", "-"], outcome.body)
        return f"drift: opened {created.strip()}"
    gh(["issue", "edit", str(number), "--body-file", "-"], outcome.body)
    return f"drift: updated #{number}"


def run_gh(args: list[str], stdin: str | None) -> str:
    result = subprocess.run(["gh", *args], input=stdin, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"gh {' '.join(args[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def main(argv: list[str] | None = None, gh: Gh = run_gh) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.ci.drift", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stack", required=True)
    parser.add_argument("--exit-code", type=int, required=True, help="the exit code of the refresh preview")
    parser.add_argument("--output", type=Path, required=True, help="the refresh preview's captured output")
    parser.add_argument("--run-url", default="", help="link to the workflow run, for the issue")
    parser.add_argument("--no-issue", action="store_true", help="print the report; do not touch issues")
    args = parser.parse_args(argv)

    output = args.output.read_text(errors="replace") if args.output.exists() else ""
    status = status_of(args.exit_code)
    outcome = Outcome(status, title_of(args.stack), report_body(args.stack, output, args.run_url))
    if status == "error":
        tail = "\n".join(clean_output(output).splitlines()[-30:])
        message = f"The refresh preview of {args.stack} failed with exit code {args.exit_code}."
        shown = f"{message}\n\n{_fence(tail)}\n{tail}\n{_fence(tail)}"
    elif status == "drift":
        message = f"Drift on {args.stack}."
        shown = outcome.body
    else:
        message = shown = f"No drift on {args.stack}."
    done = "issues untouched (--no-issue)" if args.no_issue else sync_issue(outcome, gh)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary:
        with open(summary, "a") as handle:
            handle.write(f"## Drift: {args.stack}\n\n{shown}\n\n{done}\n")
    print(shown if args.no_issue or status == "error" else message, file=sys.stderr)
    print(done, file=sys.stderr)
    return 1 if status == "error" else 0


if __name__ == "__main__":
    sys.exit(main())
