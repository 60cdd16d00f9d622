"""IAM rules: policies grant only what they name, nothing attaches AWS's admin policies, and nobody uses access keys.

Values unknown during a preview: a policy document is usually built from other resources' ARNs, so during the preview
of a new stack it is unknown as a whole, and so is the ARN of a policy the stack creates. A rule then reports what it
can decide and re-raises the analyzer's ``UnknownValueError``: the rule shows as not run during preview and is
checked at update time, never passed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity
from pulumi_policy.proxy import UnknownValueError

from ._common import schema, setting
from ._props import as_list, as_text, is_list, plain, prop

#: Resources whose ``policy`` is one identity policy document.
DOCUMENT_TYPES = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ROLE = "aws:iam/role:Role"
#: Resources that attach one managed policy (``policyArn``).
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
)
#: Resources that attach a set of managed policies (``policyArns``).
EXCLUSIVE_ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
ACCESS_KEY = "aws:iam/accessKey:AccessKey"

#: An AWS-managed policy's ARN: ``arn:<partition>:iam::aws:policy/<path><name>``.
_AWS_MANAGED = re.compile(r"arn:[a-z0-9-]+:iam::aws:policy/(?:[^\s]*/)?([^/\s]+)")

_SCHEMA = schema(
    {
        "actionsWithoutResourceScope": {
            "type": "array",
            "items": {"type": "string"},
            # Each has no resource type in AWS's service authorization reference, so "*" is the only Resource it
            # takes. These are the ones webstack's components grant: the canary's (s3:ListAllMyBuckets,
            # cloudwatch:PutMetricData, the latter scoped by a cloudwatch:namespace condition), the execution role's
            # when images are built (ecr:GetAuthorizationToken), the task role's when ECS Exec is on (ssmmessages),
            # Grafana's role's reads of its data sources (aps, cloudwatch, ec2, logs, tag).
            "default": [
                "aps:ListWorkspaces",
                "cloudwatch:DescribeAlarmsForMetric",
                "cloudwatch:GetMetricData",
                "cloudwatch:GetMetricStatistics",
                "cloudwatch:ListMetrics",
                "ec2:DescribeRegions",
                "logs:GetQueryResults",
                "logs:StopQuery",
                "tag:GetResources",
                "cloudwatch:PutMetricData",
                "ecr:GetAuthorizationToken",
                "s3:ListAllMyBuckets",
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            "description": 'Actions AWS offers no resource-level permission for, which may be allowed on Resource "*" '
            "(compared without regard to case).",
        },
    }
)
_MANAGED_SCHEMA = schema(
    {
        "forbiddenManagedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"],
            "description": "AWS-managed policies (by name) nothing may attach: they grant (nearly) everything, or "
            "the power to grant it.",
        },
    }
)


# -- reading documents -------------------------------------------------------------------------------------------------
def _document(value: Any) -> Any:
    """A policy document from JSON text or an object; None when there is none; raises ValueError on text that is
    not JSON and UnknownValueError on an unknown part."""
    if isinstance(value, Mapping):
        return plain(value)
    if not as_text(value):
        return None
    return json.loads(str(value))


# -- wildcard policies -------------------------------------------------------------------------------------------------
def _wildcard_action(action: str) -> bool:
    """``*``, or every action of a service (``s3:*``)."""
    text = action.strip()
    return text == "*" or text.endswith(":*")


def _statement_problems(document: Any, unscoped_ok: set[str]) -> list[str]:
    """What a policy document allows too widely, one sentence per statement."""
    raw = document.get("Statement") if isinstance(document, dict) else None
    problems: list[str] = []
    for index, statement in enumerate(as_list(raw)):
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        name = f"'{statement['Sid']}'" if statement.get("Sid") else f"#{index + 1}"
        if "NotAction" in statement:
            problems.append(
                f"statement {name} allows NotAction, that is every action of every service but those listed (and "
                "every action AWS adds later): list the actions it needs under Action instead"
            )
            continue
        actions = [str(action) for action in as_list(statement.get("Action"))]
        wildcards = [action for action in actions if _wildcard_action(action)]
        if wildcards:
            scope = "every service" if any(w.strip().startswith("*") for w in wildcards) else "the service"
            problems.append(
                f"statement {name} allows {', '.join(wildcards)}, every action of {scope}: list the actions it needs"
            )
        everywhere = "NotResource" in statement or "*" in [str(r).strip() for r in as_list(statement.get("Resource"))]
        scoped = [action for action in actions if action not in wildcards and action.lower() not in unscoped_ok]
        if everywhere and scoped:
            problems.append(
                f'statement {name} allows {", ".join(scoped)} on every resource ("*"'
                f"{' or NotResource' if 'NotResource' in statement else ''}): name the ARNs they act on (only "
                'actions without resource-level permissions, listed in actionsWithoutResourceScope, may use "*")'
            )
    return problems


def _forbidden_arn(value: Any, forbidden: set[str]) -> str:
    """The name of the forbidden AWS-managed policy ``value`` names; empty when it names another."""
    match = _AWS_MANAGED.fullmatch(as_text(value))
    return match.group(1) if match and match.group(1) in forbidden else ""


#: A value left out because it is unknown during preview (its UnknownValueError is kept for later).
_SKIPPED: Any = object()


def _get(container: Any, key: Any, deferred: list[UnknownValueError]) -> Any:
    """``container[key]`` (None when absent or not a container); :data:`_SKIPPED`, with the error kept in
    ``deferred``, when it is unknown during preview."""
    try:
        if isinstance(container, Mapping):
            return container.get(key)
        return container[key] if is_list(container) else None
    except UnknownValueError as error:
        deferred.append(error)
        return _SKIPPED


def _elements(container: Any, key: str, deferred: list[UnknownValueError]) -> list[Any]:
    """The known elements of the list ``container[key]``; the unknown ones (or the unknown list) are kept in
    ``deferred``."""
    value = _get(container, key, deferred)
    if not is_list(value):
        return []
    return [item for item in (_get(value, index, deferred) for index in range(len(value))) if item is not _SKIPPED]


def _documents(kind: str, props: Any, deferred: list[UnknownValueError]) -> list[tuple[str, Any]]:
    """The identity policy documents a resource holds, with how messages name each."""
    if kind in DOCUMENT_TYPES:
        return [("The policy", _get(props, "policy", deferred))]
    if kind != ROLE:
        return []
    documents: list[tuple[str, Any]] = []
    for inline in _elements(props, "inlinePolicies", deferred):
        name = as_text(prop(inline, "name"))
        documents.append(
            (f"The inline policy '{name}'" if name else "An inline policy", _get(inline, "policy", deferred))
        )
    return documents


def _attached_arns(kind: str, props: Any, deferred: list[UnknownValueError]) -> list[Any]:
    """The ARNs of the managed policies a resource attaches."""
    if kind in ATTACHMENT_TYPES:
        return [_get(props, "policyArn", deferred)]
    if kind in EXCLUSIVE_ATTACHMENT_TYPES:
        return _elements(props, "policyArns", deferred)
    if kind == ROLE:
        return _elements(props, "managedPolicyArns", deferred)
    return []


def _wildcards(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (*DOCUMENT_TYPES, ROLE):
        return
    deferred: list[UnknownValueError] = []
    documents = _documents(args.resource_type, args.props, deferred)
    unscoped_ok = {str(a).strip().lower() for a in setting(args, _SCHEMA, "actionsWithoutResourceScope")}
    for label, text in documents:
        if text is _SKIPPED:
            continue
        try:
            document = _document(text)
        except UnknownValueError as error:
            deferred.append(error)
            continue
        except ValueError:
            report(f"{label} is not valid JSON, so it cannot be checked: write it with json.dumps(...).", None)
            continue
        problems = _statement_problems(document, unscoped_ok)
        if problems:
            report(f"{label} grants too much: {'; '.join(problems)}.", None)
    if deferred:
        raise deferred[0]


iam_no_wildcard_policies = ResourceValidationPolicy(
    name="aws-iam-no-wildcard-policies",
    description="Checks that no IAM policy allows `*`, `<service>:*` or `NotAction`, and none allows actions on "
    '`Resource: "*"` unless AWS offers no resource-level permission for them (`actionsWithoutResourceScope`).',
    validate=_wildcards,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.HIGH,
    tags=["iam", "checklist:least-privilege", "fsbp:IAM.1", "fsbp:IAM.21"],
    remediation_steps="List in each Allow statement the actions the identity needs and the ARNs they act on; keep "
    'Resource "*" for actions without resource-level permissions (config actionsWithoutResourceScope).',
)


def _admin_policies(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in (*ATTACHMENT_TYPES, *EXCLUSIVE_ATTACHMENT_TYPES, ROLE):
        return
    deferred: list[UnknownValueError] = []
    arns = _attached_arns(args.resource_type, args.props, deferred)
    forbidden = {str(name) for name in setting(args, _MANAGED_SCHEMA, "forbiddenManagedPolicies")}
    for arn in arns:
        name = "" if arn is _SKIPPED else _forbidden_arn(arn, forbidden)
        if name:
            report(
                f"This attaches the AWS-managed policy {name}, which grants (nearly) every action or the power to "
                "grant any: attach a policy that allows only the actions and resources this identity needs.",
                None,
            )
    if deferred:
        raise deferred[0]


iam_no_admin_managed_policies = ResourceValidationPolicy(
    name="aws-iam-no-admin-managed-policies",
    description="Checks that nothing attaches AdministratorAccess, PowerUserAccess or IAMFullAccess "
    "(`forbiddenManagedPolicies`).",
    validate=_admin_policies,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_MANAGED_SCHEMA,
    severity=Severity.HIGH,
    tags=["iam", "checklist:least-privilege"],
    remediation_steps="Never attach AdministratorAccess, PowerUserAccess or IAMFullAccess to a workload's role: "
    "attach a policy of the stack that allows only what the workload calls.",
)


# -- access keys -------------------------------------------------------------------------------------------------------
def _access_keys(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != ACCESS_KEY:
        return
    user = as_text(prop(args.props, "user"))
    report(
        f"This creates a long-lived IAM access key{f' for the user {user}' if user else ''}: a key can leak and works "
        "from anywhere until someone rotates it. Give the workload a role instead (ECS task role, instance profile, "
        "OIDC federation for CI) and delete the key.",
        None,
    )


iam_no_access_keys = ResourceValidationPolicy(
    name="aws-iam-no-access-keys",
    description="Checks that the stack creates no IAM access keys: workloads and people use roles and short-lived "
    "credentials.",
    validate=_access_keys,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["iam", "checklist:key-rotation", "checklist:secrets", "awsguard:access-keys-rotated", "fsbp:IAM.3"],
    remediation_steps="Remove the aws.iam.AccessKey; give ECS tasks a task role, CI an OIDC-federated role, and "
    "people IAM Identity Center access, all of which hand out short-lived credentials.",
)

POLICIES = [iam_no_wildcard_policies, iam_no_admin_managed_policies, iam_no_access_keys]
