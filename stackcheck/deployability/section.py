"""The deployability section of stackcheck's text report (the ``--json`` document carries ``to_json()``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stackcheck.deployability import Deployability


def text(result: Deployability) -> list[str]:
    lines = [
        "",
        "Deployability (AWS's published data: CloudFormation schemas and IAM catalogue in cfn-lint, access levels)",
        f"  types mapped: {result.types_mapped}/{result.types_total}"
        + (f" (no equivalent: {', '.join(sorted(result.unmapped))})" if result.unmapped else ""),
        f"  actions checked: {result.actions_checked}",
        f"  values checked: {result.values_checked}",
        f"  alarm metrics and rules checked: {result.alarms_checked}",
        f"  service requests held against resource policies: {result.grants_checked}",
        f"  feature requirements checked (service roles, names, settings): {result.features_checked}",
        f"  problems: {len(result.problems)}",
    ]
    roles = sorted({service for feature in result.features for service in feature["serviceLinkedRoles"]})
    lines.append(
        f"  service features: {len(result.features)}; service-linked roles the deploy role creates: "
        + (", ".join(roles) or "none")
    )
    for prerequisite in result.prerequisites:
        lines.append(f"  account prerequisite: {prerequisite['prerequisite']}")
        lines.append(f"      source: {prerequisite['source']}")
    for problem in result.problems:
        lines.append(f"  [{problem.kind}] {problem.value}")
        lines.append(f"      rule: {problem.rule}")
        lines.append(f"      source: {problem.source}")
        lines.append(f"      {problem.urn}")
    return lines
