"""Runs one example program (its own Pulumi project) under stackcheck's mocks, judges it with the policy pack at the
pack's own enforcement levels, and prints one JSON document: where `webstack` was imported from, what the program
registered, its outputs' names and the violations. One program run per process (the Pulumi runtime is global).

    python -m tests.packaging.run_example examples/database-only [STACK]

STACK defaults to ``example``: each example carries a ``Pulumi.example.yaml`` with the little it needs.
"""

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    root = Path(argv[0]).resolve()
    stack = argv[1] if len(argv) > 1 else "example"
    from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
    from stackcheck.engine.evaluate import evaluate, resolve_settings
    from stackcheck.engine.project import ProjectFileError
    from stackcheck.engine.run import ProgramError, run_program

    try:
        result = run_program(root, stack)
    except (ProgramError, ProjectFileError) as error:
        print(f"{root.name}: {getattr(error, 'message', error)}", file=sys.stderr)
        print(getattr(error, "detail", ""), file=sys.stderr)
        return 2
    _, violations = evaluate(result.resources, ALL_POLICIES, resolve_settings(ALL_POLICIES, {}, PACK_ENFORCEMENT_LEVEL))
    webstack = sys.modules.get("webstack")
    document = {
        "example": root.name,
        "webstack": getattr(webstack, "__file__", None),
        "resources": [{"urn": r.urn, "type": r.type, "parent": r.parent, "custom": r.custom} for r in result.resources],
        "outputs": sorted(result.outputs),
        "violations": [{"policy": v.policy, "level": v.enforcement_level, "urn": v.urn} for v in violations],
    }
    print(json.dumps(document, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
