"""KMS rules: customer-managed keys rotate, have least-privilege policies of their own, and wait before deletion."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity
from pulumi_policy.proxy import UnknownValueError

from ._common import schema, setting

KMS_KEY = "aws:kms/key:Key"
SYMMETRIC = "SYMMETRIC_DEFAULT"

_SCHEMA = schema(
    {
        "maxRotationDays": {
            "type": "integer",
            "default": 365,
            "description": "Longest rotation period allowed, in days.",
        }
    }
)


def _rotation(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    spec = args.props.get("customerMasterKeySpec") or args.props.get("keySpec") or SYMMETRIC
    if spec != SYMMETRIC:
        args.not_applicable(f"{spec} keys cannot rotate automatically")
    if args.props.get("enableKeyRotation") is not True:
        report("Key rotation is off: set enable_key_rotation=True (webstack's Keys component does).", None)
        return
    limit = int(setting(args, _SCHEMA, "maxRotationDays"))
    period = args.props.get("rotationPeriodInDays")
    if period is not None and int(float(period)) > limit:
        report(
            f"The key rotates every {int(float(period))} days: set rotation_period_in_days to {limit} or less.", None
        )


kms_key_rotation_enabled = ResourceValidationPolicy(
    name="aws-kms-key-rotation-enabled",
    description="Checks that every symmetric customer-managed KMS key rotates automatically, at least every "
    "`maxRotationDays` (365).",
    validate=_rotation,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["encryption", "checklist:key-rotation", "fsbp:KMS.4", "awsguard:cmk-backing-key-rotation-enabled"],
    remediation_steps="Set enable_key_rotation=True and rotation_period_in_days <= 365 on the aws.kms.Key.",
)

_DELETION_SCHEMA = schema(
    {
        "minDeletionWindowDays": {
            "type": "integer",
            "default": 30,
            "description": "Fewest days a deleted key stays recoverable (KMS allows 7-30).",
        }
    }
)


def _principals(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [principal]
    found: list[str] = []
    for value in (principal or {}).values() if isinstance(principal, Mapping) else []:
        found.extend([value] if isinstance(value, str) else [str(v) for v in value])
    return found


def _wildcard_allows(document: Any) -> list[str]:
    statements = document.get("Statement", []) if isinstance(document, Mapping) else []
    if isinstance(statements, Mapping):
        statements = [statements]
    return [
        str(statement.get("Sid") or f"statement {index + 1}")
        for index, statement in enumerate(statements)
        if isinstance(statement, Mapping)
        and statement.get("Effect") == "Allow"
        and "*" in _principals(statement)
        and not statement.get("Condition")
    ]


def _key_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    if args.props.get("bypassPolicyLockoutSafetyCheck") is True:
        report(
            "The key bypasses the policy lockout safety check: remove bypass_policy_lockout_safety_check, or a bad "
            "policy can lock everyone out of the key for good.",
            None,
        )
    try:
        text = args.props.get("policy")
    except UnknownValueError:
        return  # computed from other resources: checked at update time
    if not text:
        report(
            "The key has no policy of its own, so AWS's default lets every IAM principal of the account use it: give "
            "it a policy that names the services and principals that use it (webstack's Keys component does).",
            None,
        )
        return
    try:
        document = json.loads(text) if isinstance(text, str) else text
    except ValueError:
        report("The key policy is not valid JSON: write it with json.dumps.", None)
        return
    wildcards = _wildcard_allows(document)
    if wildcards:
        report(
            f"The key policy allows a wildcard principal without a condition ({', '.join(wildcards)}): name the "
            "account, roles or services that use the key instead.",
            None,
        )


kms_key_policy_least_privilege = ResourceValidationPolicy(
    name="aws-kms-key-policy-least-privilege",
    description="Checks that every customer-managed KMS key has a policy of its own with no unconditioned wildcard "
    "principal, and keeps the policy lockout safety check.",
    validate=_key_policy,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["encryption", "checklist:key-rotation", "fsbp:KMS.1", "fsbp:KMS.2"],
    remediation_steps="Write a key policy that lets the account administer the key and only the services of its "
    "purpose use it, and keep bypass_policy_lockout_safety_check off.",
)


def _deletion_window(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    minimum = int(setting(args, _DELETION_SCHEMA, "minDeletionWindowDays"))
    window = args.props.get("deletionWindowInDays")
    if window is not None and int(float(window)) < minimum:
        report(
            f"The key can be deleted after {int(float(window))} days: set deletion_window_in_days to {minimum} or "
            "more, time enough to notice and cancel a deletion.",
            None,
        )


kms_key_deletion_window = ResourceValidationPolicy(
    name="aws-kms-key-deletion-window",
    description="Checks that every customer-managed KMS key stays recoverable at least `minDeletionWindowDays` (30) "
    "after its deletion is scheduled.",
    validate=_deletion_window,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_DELETION_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["encryption", "checklist:key-rotation"],
    remediation_steps="Leave deletion_window_in_days out of the aws.kms.Key (30 days) or set it to 30.",
)

POLICIES = [kms_key_rotation_enabled, kms_key_policy_least_privilege, kms_key_deletion_window]
