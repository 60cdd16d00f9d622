"""``aws-kms-key-rotation-enabled``: customer-managed keys rotate their key material at least yearly."""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

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
    description="Checks that every symmetric customer-managed KMS key rotates automatically, at least yearly.",
    validate=_rotation,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["encryption", "checklist:key-rotation", "fsbp:KMS.4"],
    remediation_steps="Set enable_key_rotation=True and rotation_period_in_days <= 365 on the aws.kms.Key.",
)

POLICIES = [kms_key_rotation_enabled]
