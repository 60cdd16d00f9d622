"""Log group rules: every log group keeps its logs for a while, encrypted, and the security logs for a year.

A log group receives security logs when a flow log's ``log_destination`` or a web ACL logging configuration's
``log_destination_configs`` takes its output (property dependencies, never ARNs, which are unknown during a preview).
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import schema, setting
from ._props import UNKNOWN, prop, prop_is_set, unknown_message

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"

#: Who delivers security logs, through which property, what they are and the webstack setting of their retention.
DELIVERERS = {
    FLOW_LOG: ("logDestination", "VPC flow logs", "webstack:network.flowLogRetentionDays"),
    WAF_LOGGING: ("logDestinationConfigs", "WAF logs", "webstack:web.wafLogRetentionDays"),
}

# -- log groups --------------------------------------------------------------------------------------------------------
_LOG_SCHEMA = schema(
    {
        "minRetentionDays": {
            "type": "integer",
            "default": 30,
            "description": "Fewest days a log group may keep its logs (0, never expire, is not allowed either).",
        }
    }
)


def _log_group_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != LOG_GROUP:
        return
    minimum = int(setting(args, _LOG_SCHEMA, "minRetentionDays"))
    retention = args.props.get("retentionInDays")
    days = int(float(retention)) if retention is not None else 0
    if args.props.get("logGroupClass") == "DELIVERY":
        args.not_applicable("AWS fixes the retention of DELIVERY log groups at 2 days")
    elif days == 0:
        setting_text = "0" if retention is not None else "not set"
        report(
            f"The log group's logs never expire (retention_in_days is {setting_text}): set retention_in_days to "
            f"{minimum} or more (a value CloudWatch accepts, e.g. 30, 90, 365).",
            None,
        )
    elif days < minimum:
        report(f"The log group keeps logs {days} days: set retention_in_days to {minimum} or more.", None)


log_group_retention = ResourceValidationPolicy(
    name="aws-cloudwatch-log-group-retention",
    description="Checks that every CloudWatch log group keeps its logs at least `minRetentionDays` (30), and not "
    "forever.",
    validate=_log_group_retention,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_LOG_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["logging", "checklist:logging", "fsbp:CloudWatch.16"],
    remediation_steps="Set retention_in_days (30 or more; 365 for audit logs) on the aws.cloudwatch.LogGroup.",
)


def _log_group_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == LOG_GROUP and not prop_is_set(args.props, "kmsKeyId"):
        report(
            "The log group is not encrypted with a KMS key: set kms_key_id to a key whose policy lets "
            "logs.<region>.amazonaws.com use it (webstack's Keys component provides one).",
            None,
        )


log_group_encrypted = ResourceValidationPolicy(
    name="aws-cloudwatch-log-group-encrypted",
    description="Checks that every CloudWatch log group is encrypted under a KMS key.",
    validate=_log_group_encrypted,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["logging", "encryption", "checklist:logging", "checklist:encryption-at-rest"],
    remediation_steps="Set kms_key_id on the aws.cloudwatch.LogGroup to a customer-managed key whose policy lets the "
    "CloudWatch Logs service of the region use it.",
)


_SCHEMA = schema(
    {
        "minRetentionDays": {
            "type": "integer",
            "default": 365,
            "description": "Fewest days a log group that receives VPC flow logs or WAF logs may keep them.",
        }
    }
)


def _security_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    """Never expiring (no retention, or 0) is long enough for this rule; aws-cloudwatch-log-group-retention asks
    every group for a retention."""
    minimum = int(setting(args, _SCHEMA, "minRetentionDays"))
    for resource in args.resources:
        if resource.resource_type not in DELIVERERS:
            continue
        key, what, setting_key = DELIVERERS[resource.resource_type]
        for group in resource.property_dependencies.get(key) or []:
            if group.resource_type != LOG_GROUP:
                continue
            days = prop(group.props, "retentionInDays")
            if days is UNKNOWN:
                report(unknown_message("retention_in_days", f"{minimum} or more"), group.urn)
            elif days is not None and 0 < int(float(days)) < minimum:
                report(
                    f"This log group receives {what} ('{resource.name}') and keeps them {int(float(days))} days: "
                    f"security logs are kept at least {minimum} days, so that an incident found late can still be "
                    f"traced; set retention_in_days to {minimum} or more ({setting_key}).",
                    group.urn,
                )


security_logs_kept_a_year = StackValidationPolicy(
    name="aws-security-logs-kept-a-year",
    description="Checks that the log groups receiving VPC flow logs or WAF logs keep them at least `minRetentionDays` "
    "(365): an intrusion is often found months after it began.",
    validate=_security_logs,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["logging", "checklist:logging"],
    remediation_steps="Set retention_in_days to 365 or more on the log groups that flow logs and WAF logging deliver "
    "to (webstack:network.flowLogRetentionDays, webstack:web.wafLogRetentionDays).",
)

POLICIES = [log_group_retention, log_group_encrypted, security_logs_kept_a_year]
