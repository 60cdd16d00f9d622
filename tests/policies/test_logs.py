"""aws-security-logs-kept-a-year: the log groups that receive VPC flow logs or WAF logs keep them at least a year."""

from __future__ import annotations

import copy
from typing import Any

from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE

from policies.rules.logs import security_logs_kept_a_year
from tests.policies.support import Res, check_stack

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
WAF_LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"


def stack(flow_days: Any = 365, waf_days: Any = 365, app_days: Any = 30) -> list[Res]:
    """A VPC's flow log and a web ACL's logging into their groups, and an application log group beside them."""
    return [
        Res("urn:flow-group", LOG_GROUP, {"name": "/webstack-prod/vpc-flow-logs", "retentionInDays": flow_days}),
        Res("urn:waf-group", LOG_GROUP, {"name": "aws-waf-logs-webstack-prod", "retentionInDays": waf_days}),
        Res("urn:app-group", LOG_GROUP, {"name": "/webstack-prod/ecs/backend", "retentionInDays": app_days}),
        Res(
            "urn:flow-log",
            FLOW_LOG,
            {"logDestination": "arn:flow-group", "trafficType": "ALL"},
            {"logDestination": ["urn:flow-group"], "vpcId": []},
        ),
        Res(
            "urn:waf-logging",
            WAF_LOGGING,
            {"logDestinationConfigs": ["arn:waf-group"], "resourceArn": "arn:acl"},
            {"logDestinationConfigs": ["urn:waf-group"]},
        ),
    ]


def test_security_logs_pass_when_kept_a_year_while_application_logs_keep_less() -> None:
    assert check_stack(security_logs_kept_a_year, stack()) == []


def test_security_logs_pass_when_kept_forever() -> None:
    # 0 and unset mean "never expire" to CloudWatch Logs: long enough for this rule (the retention rule asks for one).
    assert check_stack(security_logs_kept_a_year, stack(flow_days=None, waf_days=0)) == []


def test_security_logs_fail_for_flow_logs_kept_a_month() -> None:
    assert check_stack(security_logs_kept_a_year, stack(flow_days=30)) == [
        (
            "urn:flow-group",
            "This log group receives VPC flow logs ('flow-log') and keeps them 30 days: security logs are kept at "
            "least 365 days, so that an incident found late can still be traced; set retention_in_days to 365 or "
            "more (webstack:network.flowLogRetentionDays).",
        )
    ]


def test_security_logs_fail_for_waf_logs_kept_three_months() -> None:
    ((urn, message),) = check_stack(security_logs_kept_a_year, stack(waf_days=90))
    assert urn == "urn:waf-group"
    assert message.startswith("This log group receives WAF logs ('waf-logging') and keeps them 90 days:")
    assert message.endswith("set retention_in_days to 365 or more (webstack:web.wafLogRetentionDays).")


def test_security_logs_follow_the_configured_minimum() -> None:
    assert check_stack(security_logs_kept_a_year, stack(waf_days=90), {"minRetentionDays": 90}) == []
    assert len(check_stack(security_logs_kept_a_year, stack(waf_days=60), {"minRetentionDays": 90})) == 1


def test_security_logs_report_a_retention_unknown_during_preview() -> None:
    ((urn, message),) = check_stack(security_logs_kept_a_year, stack(flow_days=UNKNOWN_NUMBER_VALUE))
    assert urn == "urn:flow-group"
    assert message.startswith("retention_in_days is unknown during preview, so this rule cannot check it:")


def test_security_logs_ignore_groups_nothing_delivers_security_logs_to() -> None:
    resources = [r for r in copy.deepcopy(stack(app_days=1)) if r.type == LOG_GROUP]
    assert check_stack(security_logs_kept_a_year, resources) == []
