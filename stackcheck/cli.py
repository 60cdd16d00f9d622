"""The ``python -m stackcheck`` command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stackcheck.engine.resources import RecordedResource

REPO_ROOT = Path(__file__).resolve().parent.parent


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stackcheck",
        description="Run the webstack program for STACK offline against mocks (or read its --state export) and "
        "evaluate the policy pack. Exit 0: no mandatory violation; 1: mandatory violations; 2: the program, its "
        "settings, a project file or the export failed.",
    )
    parser.add_argument("stack", help="stack name: a Pulumi.<stack>.yaml must exist, unless --state")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the text report")
    parser.add_argument(
        "--policy-config",
        metavar="FILE",
        help="enforcement levels and policy settings (default: policies/config/<stack>.json)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        help="evaluate the policies against FILE, a `pulumi stack export` document of STACK (without "
        "--show-secrets), instead of running the program",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="also write the compliance report to FILE (Markdown): every checklist item, its rules and their status",
    )
    parser.add_argument(
        "--diagram",
        metavar="FILE",
        help="also write the architecture: FILE.md (diagram, monthly cost estimate and critical path, as in docs/), "
        "FILE.mmd (Mermaid), FILE.dot, or FILE.svg / FILE.png (with Graphviz's dot installed)",
    )
    parser.add_argument(
        "--root", metavar="DIR", default=str(REPO_ROOT), help="project directory (default: %(default)s)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    root = Path(args.root).resolve()
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))

    from stackcheck import report
    from stackcheck.engine.evaluate import (
        PolicyConfigError,
        PolicyCrash,
        evaluate,
        load_policy_config,
        resolve_settings,
    )
    from stackcheck.engine.project import ProjectFileError, load_policy_pack, load_project
    from stackcheck.engine.run import ProgramError, run_program
    from stackcheck.engine.state import StateFileError, load_export
    from stackcheck.insights import compliance

    project_name = "webstack"

    def fail(message: str, detail: str = "", registered: list[RecordedResource] | None = None) -> int:
        print(message, file=sys.stderr)
        if detail:
            print(detail, file=sys.stderr)
        if args.json:
            doc = report.error_document(project_name, args.stack, message, registered or [])
            print(json.dumps(doc, indent=2))
        return 2

    try:
        project_name = load_project(root).name
        load_policy_pack(root)
        from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL

        config_path = (
            Path(args.policy_config) if args.policy_config else root / "policies" / "config" / f"{args.stack}.json"
        )
        if args.policy_config and not config_path.exists():
            return fail(f"--policy-config: {config_path} does not exist")
        settings = resolve_settings(
            ALL_POLICIES, load_policy_config(config_path), PACK_ENFORCEMENT_LEVEL, source=config_path.name
        )
        if args.state:
            result = load_export(Path(args.state), args.stack, project_name)
        else:
            result = run_program(root, args.stack)
        outcomes, violations = evaluate(result.resources, ALL_POLICIES, settings)
        deployable = None
        if not args.state:
            from stackcheck import deployability

            if deployability.has_aws_resources(result.resources):
                deployable = deployability.check(
                    result.resources,
                    root=root,
                    stack=args.stack,
                    region=str(result.outputs.get("region", "us-east-1")),
                    dr_region=str(result.outputs.get("drRegion", "us-west-2")),
                )
    except (ProjectFileError, PolicyConfigError, PolicyCrash, StateFileError) as error:
        return fail(str(error))
    except ProgramError as error:
        return fail(error.message, error.detail, error.registered)

    if args.report:
        shown_config = config_path.resolve()
        text = compliance.markdown(
            project=result.project,
            stack=args.stack,
            source=f"the state export `{Path(args.state).name}`"
            if args.state
            else "the program, run offline under mocks (what `pulumi up` would register)",
            config=str(shown_config.relative_to(root)) if shown_config.is_relative_to(root) else str(shown_config),
            resource_count=len(result.resources),
            outcomes=outcomes,
            violations=violations,
            command=f"python -m stackcheck {args.stack}{' --state FILE' if args.state else ''} --report FILE",
        )
        try:
            Path(args.report).write_text(report.scrub(text, result.secret_values))
        except OSError as error:
            return fail(f"--report: cannot write {args.report}: {error.strerror or error}")
        print(f"compliance report written to {args.report}", file=sys.stderr)

    from stackcheck.insights import diagram
    from stackcheck.insights.overview import markdown as overview_markdown
    from stackcheck.insights.overview import overview

    view = overview(result.resources, args.stack)
    if args.diagram:
        target = Path(args.diagram)
        try:
            if target.suffix == ".md":
                command = f"python -m stackcheck {args.stack} --diagram FILE.md"
                target.write_text(
                    report.scrub(overview_markdown(view, result.project, args.stack, command), result.secret_values)
                )
            else:
                diagram.write(target, view.graph, args.stack)
        except diagram.DiagramError as error:
            return fail(f"--diagram: {error}")
        except OSError as error:
            return fail(f"--diagram: cannot write {args.diagram}: {error.strerror or error}")
        print(f"architecture written to {args.diagram}", file=sys.stderr)

    if args.json:
        source = "state" if args.state else "program"
        doc = report.document(result, outcomes, violations, source=source, view=view, deployability=deployable)
        print(json.dumps(doc, indent=2))
    else:
        print(report.text(result, outcomes, violations, view=view, deployability=deployable))
    return report.exit_code(violations, deployable)
