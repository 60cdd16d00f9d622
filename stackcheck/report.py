"""The two views of a stackcheck run: a JSON document for machines and a short text report for people.

Secrets never appear in either: secret inputs and outputs are replaced by ``"[secret]"``, and every secret
plaintext the run saw is scrubbed from every other string (messages included) before anything is printed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from policies.rules.checklist import items_of
from stackcheck.engine.evaluate import Outcome, Violation
from stackcheck.engine.inventory import Inventory
from stackcheck.engine.resources import REDACTED, RecordedResource, redact
from stackcheck.engine.run import RunResult
from stackcheck.insights.compliance import rule_status
from stackcheck.insights.overview import Overview, overview
from stackcheck.insights.overview import text as overview_text

if TYPE_CHECKING:
    from stackcheck.deployability import Deployability

#: Secrets shorter than this are not scrubbed from free text (they would mangle ordinary words); they are still
#: redacted wherever they appear as a value.
MIN_SCRUB_LENGTH = 4


def exit_code(violations: Sequence[Violation], deployability: Deployability | None = None) -> int:
    """1 on a mandatory violation or a deployability problem, else 0."""
    failed = any(v.enforcement_level == "mandatory" for v in violations)
    return 1 if failed or (deployability is not None and deployability.problems) else 0


def document(
    result: RunResult,
    outcomes: Sequence[Outcome],
    violations: Sequence[Violation],
    source: str = "program",
    view: Overview | None = None,
    deployability: Deployability | None = None,
) -> dict[str, Any]:
    """The ``--json`` document. ``source`` says what was evaluated: ``"program"`` (a run of the program) or
    ``"state"`` (a ``pulumi stack export`` document)."""
    levels = Counter(v.enforcement_level for v in violations)
    view = view or overview(result.resources, result.stack)
    doc = {
        "stack": result.stack,
        "project": result.project,
        "source": source,
        "resources": [_resource(r) for r in result.resources],
        "outputs": {
            k: REDACTED if k in result.secret_outputs else redact(v) for k, v in sorted(result.outputs.items())
        },
        "policies": [
            {
                "name": o.name,
                "description": o.description,
                "kind": o.kind,
                "enforcementLevel": o.enforcement_level,
                "severity": o.severity,
                "violations": o.violations,
                "notApplicable": o.not_applicable,
                "diagnostics": list(o.diagnostics),
                "examined": o.examined,
                "status": rule_status(o),
                "checklist": items_of(o.tags),
            }
            for o in outcomes
        ],
        "violations": [
            {"policy": v.policy, "enforcementLevel": v.enforcement_level, "urn": v.urn, "message": v.message}
            for v in violations
        ],
        "deployability": deployability.to_json() if deployability is not None else None,
        "architecture": view.graph.to_json(),
        "summary": {
            "resources": len(result.resources),
            "customResources": sum(1 for r in result.resources if r.custom),
            "byType": dict(sorted(Counter(r.type for r in result.resources).items())),
            "byComponent": {name: len(members) for name, members in Inventory.of(result.resources).groups.items()},
            "policies": len(outcomes),
            "violations": {"mandatory": levels.get("mandatory", 0), "advisory": levels.get("advisory", 0)},
            "cost": view.cost.to_json(),
            "criticalPath": view.path.to_json(),
            "deployabilityProblems": len(deployability.problems) if deployability is not None else 0,
            "exitCode": exit_code(violations, deployability),
        },
    }
    return scrub(doc, result.secret_values)


def error_document(
    project: str, stack: str, message: str, registered: Sequence[RecordedResource] = ()
) -> dict[str, Any]:
    """The ``--json`` document when the program, its settings or a project file failed: the message, and what had
    been registered before the failure (nothing, when the settings were bad)."""
    return {
        "stack": stack,
        "project": project,
        "error": message,
        "resources": [_resource(r) for r in registered],
        "summary": {"exitCode": 2, "resources": len(registered)},
    }


def _resource(r: RecordedResource) -> dict[str, Any]:
    return {
        "urn": r.urn,
        "type": r.type,
        "name": r.name,
        "custom": r.custom,
        "parent": r.parent,
        "provider": r.provider,
        "protect": r.protect,
        "dependencies": r.dependencies,
        "propertyDependencies": r.property_dependencies,
        "inputs": redact(r.inputs),
    }


def text(
    result: RunResult,
    outcomes: Sequence[Outcome],
    violations: Sequence[Violation],
    view: Overview | None = None,
    deployability: Deployability | None = None,
) -> str:
    """The human report."""
    levels = Counter(v.enforcement_level for v in violations)
    lines = [
        f"stackcheck {result.project}/{result.stack}: {len(result.resources)} resources, {len(outcomes)} policies, "
        f"{levels.get('mandatory', 0)} mandatory and {levels.get('advisory', 0)} advisory violations",
        "",
        "Inventory",
    ]
    for group, members in Inventory.of(result.resources).groups.items():
        lines.append(f"  {group}: {len(members)}")
        for kind, count in sorted(Counter(m.type for m in members).items()):
            lines.append(f"    {count:4d}  {kind}")
    lines += ["", "Policies"]
    width = max((len(o.name) for o in outcomes), default=0)
    for o in outcomes:
        state = (
            "disabled"
            if o.enforcement_level == "disabled"
            else (
                f"{o.violations} violation{'s' if o.violations != 1 else ''}"
                if o.violations
                else f"not applicable: {o.not_applicable}"
                if o.not_applicable
                else "pass"
            )
        )
        lines.append(f"  {o.enforcement_level:<9}  {o.name:<{width}}  {state}")
        lines.extend(f"             note: {note}" for note in o.diagnostics)
    if violations:
        lines += ["", "Violations"]
        for v in violations:
            lines.append(f"  [{v.enforcement_level}] {v.policy}: {v.message}")
            lines.append(f"      {v.urn}")
    if deployability is not None:
        from stackcheck.deployability.section import text as deployability_text

        lines += deployability_text(deployability)
    if result.log:
        lines += ["", "Messages"]
        lines.extend(f"  {level}: {message}" for level, message in result.log)
    lines += _alerts_without_data(result.resources)
    lines += overview_text(view or overview(result.resources, result.stack))
    lines += ["", "Outputs"]
    for key, value in sorted(result.outputs.items()):
        shown = REDACTED if key in result.secret_outputs else redact(value)
        lines.append(f"  {key}: {shown}")
    return scrub("\n".join(lines), result.secret_values)


def _alerts_without_data(resources: Sequence[RecordedResource]) -> list[str]:
    """On the docker platform: the catalog's alerts that nothing there gives data, and why."""
    if not any(r.type.startswith("webstack:docker:") for r in resources):
        return []
    from components.docker.monitoring import WITHOUT_DATA_ON_DOCKER

    lines = ["", "Alerts without data on the docker platform (kept in the rules; they never fire here)"]
    lines.extend(f"  {name}: {reason}" for name, reason in WITHOUT_DATA_ON_DOCKER.items())
    return lines


def scrub(value: Any, secrets: Iterable[str]) -> Any:
    """Replace every secret plaintext inside every string of ``value``."""
    secrets = sorted((s for s in secrets if len(s) >= MIN_SCRUB_LENGTH), key=len, reverse=True)
    if not secrets:
        return value
    return _scrub(value, secrets)


def _scrub(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {_scrub(k, secrets): _scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(item, secrets) for item in value]
    return value
