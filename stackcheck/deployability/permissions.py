"""Permissions: what creating, reading, updating and deleting each resource asks of the deploy and preview roles.

For each resource, the actions come from its CloudFormation type's handlers (or the hand-made list of
``types.TYPES``), plus listing its tags on read (the Terraform provider's refresh), passing each role it names to the
services that role trusts, and creating the service-linked roles its features run as (``services.SERVICE_LINKED``).
Each action is decided by :mod:`policy` against the role document, for the ARN of each resource the action names
(the resource itself or one it refers to; ``*`` for actions without resource-level permissions), with the request's
region, tags, KMS aliases and the condition keys IAM sets for the call.

The role documents are checked on their own too: every action they name is in AWS's catalogue, and the preview role
allows nothing that writes (access levels from AWS's Service Authorization Reference), beyond the exceptions in
``services.PREVIEW_WRITES``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stackcheck.deployability import data, services
from stackcheck.deployability.arns import (
    ANY,
    GLOBAL_REGION,
    StackView,
    Target,
    catalogue_pattern,
    placeholder_arns,
    resource_type_keys,
)
from stackcheck.deployability.policy import action_matches, arn_matches, as_list, evaluate
from stackcheck.deployability.types import TAG_READ_ACTIONS, TYPES
from stackcheck.deployability.types.model import TypeMap
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import RecordedResource

DEPLOY = "deploy"
PREVIEW = "preview"
ROLE_FILES = {DEPLOY: "docs/iam/deploy-role-policy.json", PREVIEW: "docs/iam/preview-role-policy.json"}
#: Which role must allow which handler operation: a deploy runs them all, a preview (and drift detection) reads.
ROLE_OPERATIONS = {DEPLOY: ("create", "read", "update", "delete"), PREVIEW: ("read", "list")}
STATE_BUCKET = f"webstack-pulumi-state-{ACCOUNT_ID}"


@dataclass(frozen=True)
class Problem:
    kind: str
    urn: str
    value: str
    rule: str
    source: str

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "urn": self.urn, "value": self.value, "rule": self.rule, "source": self.source}


@dataclass
class Tally:
    kind: str = "actions"
    """What ``checked`` counts: ``actions`` (permission requests and role-document actions), ``values``, ``alarms``
    (metrics, metric-math queries and alarm rules), ``grants`` (service requests held against resource policies) or
    ``features`` (what the stack's features require of it: roles, names, settings)."""
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0


def fill(text: str, *, stack: str, region: str, dr_region: str) -> str:
    """A role template with the values the offline engine uses (what docs/deploying.md's ``fill`` does)."""
    values = {
        "<ACCOUNT_ID>": ACCOUNT_ID,
        "<DR_REGION>": dr_region,
        "<REGION>": region,
        "<STATE_BUCKET>": STATE_BUCKET,
        "<OWNER>/<REPO>": "owner/repo",
        "<STACK>": stack,
        "<ENVIRONMENT>": stack,
    }
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


#: The repository the engine belongs to: its role documents stand in for a project directory that has none.
ENGINE_ROOT = Path(__file__).resolve().parents[2]


def load_roles(root: Path, *, stack: str, region: str, dr_region: str) -> dict[str, dict[str, Any]]:
    documents = {}
    for role, path in ROLE_FILES.items():
        file = root / path if (root / path).is_file() else ENGINE_ROOT / path
        documents[role] = json.loads(fill(file.read_text(), stack=stack, region=region, dr_region=dr_region))
    return documents


@dataclass(frozen=True)
class Need:
    """One action a resource's operation needs, why, and the request context IAM would see."""

    action: str
    operation: str
    source: str
    targets: tuple[Target, ...] = ()
    context: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)


def handler_actions(entry: TypeMap, region: str) -> tuple[dict[str, tuple[str, ...]], str]:
    if entry.kind == "resource":
        handlers = data.schema(entry.cfn, region).get("handlers", {})
        return {
            op: tuple(h.get("permissions", [])) for op, h in handlers.items()
        }, f"{data.SOURCE_SCHEMAS}: {entry.cfn}"
    return dict(entry.actions), entry.source


def is_taggable(entry: TypeMap, region: str) -> bool:
    if entry.kind == "resource":
        return bool(data.schema(entry.cfn, region).get("tagging", {}).get("taggable", False))
    return entry.taggable


def needs(view: StackView, resource: RecordedResource) -> list[Need]:
    """Every action the resource's operations need, with the resources each names."""
    entry = TYPES.get(resource.type)
    if entry is None:
        return []
    region = view.region_of(resource)
    by_operation, source = handler_actions(entry, region)
    own = view.identity(resource)
    references = view.references(resource)
    relevant = relevant_services(view, resource, entry, own, references)
    found: list[Need] = []
    for operation, actions in by_operation.items():
        for action in actions:
            if action.split(":")[0] not in relevant or services.unused(entry.cfn, action):
                continue
            found.extend(_need(view, resource, entry, operation, action, source, own, references, region))
    if is_taggable(entry, region) and own is not None and own.service in TAG_READ_ACTIONS:
        action, tag_source = TAG_READ_ACTIONS[own.service]
        found.extend(_need(view, resource, entry, "read", action, tag_source, own, references, region))
    for feature in services.features_of(resource, entry):
        for service, role_name in feature.service_linked_roles:
            found.append(_service_linked(service, role_name, feature.source))
    return found


#: The IAM service of each CloudFormation service namespace whose name differs.
CFN_SERVICES = {
    "certificatemanager": "acm",
    "applicationautoscaling": "application-autoscaling",
    "elasticloadbalancingv2": "elasticloadbalancing",
    "aps": "aps",
}


def relevant_services(
    view: StackView,
    resource: RecordedResource,
    entry: TypeMap,
    own: Target | None,
    references: Sequence[RecordedResource],
) -> set[str]:
    """The services whose actions a resource's handlers may need: its own, those of the resources it refers to,
    and those ``services.USES`` says its inputs call. A handler's list covers every property of the type (a web ACL
    association lists the calls for every kind of resource it can protect): actions of any other service belong to
    features this resource does not use."""
    namespace = entry.cfn.split("::")[1].lower() if entry.cfn else ""
    found = {CFN_SERVICES.get(namespace, namespace)}
    if own is not None:
        found.add(own.service)
    for other in references:
        target = view.identity(other)
        if target is not None:
            found.add(target.service)
    found.update(services.uses(resource, entry))
    return found


def _service_linked(service: str, role_name: str, source: str) -> Need:
    arn = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{service}/{role_name}"
    return Need(
        "iam:CreateServiceLinkedRole",
        "create",
        source,
        (Target(arn, "iam", "role"),),
        {"aws:RequestedRegion": GLOBAL_REGION, "iam:AWSServiceName": service},
    )


def _need(
    view: StackView,
    resource: RecordedResource,
    entry: TypeMap,
    operation: str,
    action: str,
    source: str,
    own: Target | None,
    references: Sequence[RecordedResource],
    region: str,
) -> Iterable[Need]:
    service, _, name = action.partition(":")
    base: dict[str, str | tuple[str, ...]] = {
        "aws:RequestedRegion": GLOBAL_REGION if service in ("iam", "sts", "organizations") else region
    }
    if action == "iam:PassRole":
        for role in (r for r in references if r.type == "aws:iam/role:Role"):
            target = view.identity(role)
            for passed_to in view.trusted_services(role):
                if target is not None:
                    yield Need(action, operation, source, (target,), {**base, "iam:PassedToService": passed_to})
        return
    if action == "iam:CreateServiceLinkedRole":
        # Which service-linked role a handler may create is a fact about the service: services.SERVICE_LINKED.
        return
    if operation in ("create", "update"):
        base.update(_request_tags(view.tags_of(resource)))
    if service == "kms" and (own is None or own.service != "kms"):
        caller = own.service if own is not None else entry.cfn.split("::")[1].lower()
        base.update({"kms:ViaService": f"{caller}.{region}.amazonaws.com", "kms:GrantIsForAWSResource": "true"})
    if action in ("iam:AttachRolePolicy", "iam:DetachRolePolicy") and "policyArn" in resource.inputs:
        base["iam:PolicyARN"] = str(resource.inputs["policyArn"])
    known = data.catalogue_actions(service).get(name.lower())
    if known is None and service in data.catalogue_services():
        # The handler names an action AWS's catalogue does not have (AWS::Backup::BackupVault lists
        # "backup-storage:Mount"): no policy can grant it, and the service does not ask for it.
        return
    resource_types = list(known.get("Resources", [])) if known else []
    candidates = [own, *(view.identity(r) for r in references), *view.created_with(resource)]
    if any(t.lower() == "log-stream" for t in resource_types):
        candidates += [
            Target(f"{c.arn}:log-stream:*", "logs", "log-stream", c.tags)
            for c in candidates
            if c and c.service == "logs"
        ]
    targets: list[Target] = []
    for candidate in candidates:
        if candidate is not None and candidate not in targets and names(service, resource_types, candidate.arn):
            targets.append(candidate)
    if not targets:
        targets = (
            [Target(arn, service) for arn in placeholder_arns(service, resource_types, region)]
            if resource_types
            else [ANY]
        )
    for target in targets:
        context = dict(base)
        context.update({f"aws:ResourceTag/{k}": v for k, v in target.tags.items()})
        if target.aliases:
            context["kms:ResourceAliases"] = target.aliases
        yield Need(action, operation, source, (target,), context)


def is_read(action: str) -> bool:
    level = data.access_level(action)
    return bool(level) and set(level.split(", ")) <= {"List", "Read"}


def names(service: str, resource_types: Iterable[str], arn: str) -> bool:
    """Whether ``arn`` is of one of the resource types an action of ``service`` acts on (the catalogue's ARN formats;
    the types may belong to other services: wafv2:AssociateWebACL acts on load balancers)."""
    by_key = resource_type_keys(service)
    for resource_type in resource_types:
        key = by_key.get(resource_type.lower().rstrip("/"))
        if key is not None and any(p.match(arn) for p in catalogue_pattern(service, key)):
            return True
    return False


def _request_tags(tags: Mapping[str, str]) -> dict[str, str | tuple[str, ...]]:
    found: dict[str, str | tuple[str, ...]] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        found["aws:TagKeys"] = tuple(tags)
    return found


def check_resources(
    view: StackView, roles: Mapping[str, Mapping[str, Any]], resources: Iterable[RecordedResource]
) -> Tally:
    tally = Tally()
    seen: set[tuple[str, str, str, str]] = set()
    for resource in resources:
        for need in needs(view, resource):
            for role, operations in ROLE_OPERATIONS.items():
                if need.operation not in operations:
                    continue
                if role == PREVIEW and not is_read(need.action):
                    # A read handler may list a write it performs on CloudFormation's behalf; a refresh never
                    # writes, and the preview role may not (check_documents).
                    continue
                for target in need.targets:
                    key = (role, need.action, target.arn, json.dumps(need.context, sort_keys=True))
                    if key in seen:
                        continue
                    seen.add(key)
                    tally.checked += 1
                    problem = _decide(roles[role], role, resource, need, target)
                    if problem is not None:
                        tally.problems.append(problem)
    return tally


def _decide(
    document: Mapping[str, Any], role: str, resource: RecordedResource, need: Need, target: Target
) -> Problem | None:
    decision = evaluate(document, need.action, target.arn, need.context)
    if decision.allowed:
        return None
    where = f"{need.action} on {target.arn}"
    extra = ""
    if need.action == "iam:PassRole":
        extra = f" for {need.context.get('iam:PassedToService')}"
    elif need.action == "iam:CreateServiceLinkedRole":
        extra = f" for {need.context.get('iam:AWSServiceName')}"
    if decision.result == "deny":
        kind, why = "denied-action", f"explicitly denied by {decision.statements[0]}"
    else:
        scoped = _scoped_elsewhere(document, need.action, target.arn)
        if need.action == "iam:CreateServiceLinkedRole":
            kind = "missing-service-linked-role"
        elif need.action == "iam:PassRole":
            kind = "missing-pass-role"
        elif scoped:
            kind = "wrong-arn"
        else:
            kind = "missing-action"
        why = f"allowed only on {', '.join(scoped)}" if scoped else "not allowed"
    return Problem(
        kind,
        resource.urn,
        f"{where}{extra}",
        f"the {role} role ({ROLE_FILES[role]}) must allow it for {need.operation}: {why}",
        need.source,
    )


def _scoped_elsewhere(document: Mapping[str, Any], action: str, arn: str) -> list[str]:
    """The resource patterns of Allow statements that name the action but not this ARN."""
    found: list[str] = []
    for statement in as_list(document.get("Statement")):
        if statement.get("Effect") != "Allow" or "Resource" not in statement:
            continue
        if any(action_matches(action, p) for p in as_list(statement.get("Action"))):
            patterns = [str(p) for p in as_list(statement["Resource"])]
            if not any(arn_matches(arn, p) for p in patterns):
                found.extend(p for p in patterns if p not in found)
    return found


# -- the documents themselves -----------------------------------------------------------------------------------------
def catalogue_matches(pattern: str) -> list[str]:
    """The catalogue's actions (``service:Action``, lower-case names) an action pattern of a role document names."""
    service, _, name = pattern.partition(":")
    if "*" in service or "?" in service:
        return [
            f"{s}:{a}"
            for s in data.catalogue_services()
            for a in data.catalogue_actions(s)
            if action_matches(f"{s}:{a}", pattern)
        ]
    return [f"{service.lower()}:{a}" for a in data.catalogue_actions(service) if action_matches(a, name)]


def check_documents(roles: Mapping[str, Mapping[str, Any]]) -> Tally:
    tally = Tally()
    for role, document in roles.items():
        for statement in as_list(document.get("Statement")):
            sid = str(statement.get("Sid", ""))
            for pattern in as_list(statement.get("Action")) + as_list(statement.get("NotAction")):
                tally.checked += 1
                matched = catalogue_matches(str(pattern))
                if not matched:
                    tally.problems.append(
                        Problem(
                            "unknown-action",
                            ROLE_FILES[role],
                            f"{pattern} (statement {sid})",
                            "every action a role names exists in AWS's IAM action catalogue",
                            data.SOURCE_CATALOGUE,
                        )
                    )
                if role == PREVIEW and statement.get("Effect") == "Allow":
                    tally.problems.extend(_preview_writes(statement, sid, matched))
    return tally


def _preview_writes(statement: Mapping[str, Any], sid: str, actions: Iterable[str]) -> list[Problem]:
    problems = []
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    for action in actions:
        level = data.access_level(action)
        if not level or is_read(action):
            continue
        if services.preview_write_allowed(action, resources):
            continue
        problems.append(
            Problem(
                "preview-writes",
                ROLE_FILES[PREVIEW],
                f"{action} ({level}) in statement {sid}",
                "the preview role allows nothing that writes (access level List or Read only)",
                data.SOURCE_ACCESS_LEVELS,
            )
        )
    return problems
