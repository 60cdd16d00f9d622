"""The WAF rules of the aws load balancer's web ACL: rate rules per client and the AWS managed rule groups, with the
Common Rule Set's body-size limit lifted under upload paths only."""

from collections.abc import Sequence
from typing import Protocol

import pulumi_aws as aws


class RateLimit(Protocol):
    """A rate limit as a rule needs it (``LoadBalancerRateLimitArgs``)."""

    @property
    def name(self) -> str: ...
    @property
    def limit(self) -> int: ...
    @property
    def window_seconds(self) -> int: ...
    @property
    def path(self) -> str: ...
    @property
    def match(self) -> str: ...


#: The managed rule group that judges the connection's source address only (no forwarded-IP configuration).
IP_REPUTATION_GROUP = "AWSManagedRulesAmazonIpReputationList"
#: What a rate rule does with a request whose forwarded-IP header holds no valid address: count it as matching, so
#: that a malformed header is rate-limited (fails closed). A request without the header is not evaluated by the rule
#: (AWS WAF API reference, ForwardedIPConfig): only the CDN reaches the load balancer, and it always sets it.
FORWARDED_IP_FALLBACK = "MATCH"

#: The AWS managed rule groups every web ACL runs, in order (the IP reputation list first: it is the cheapest).
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)
#: The windows a rate rule may count over, and its least limit (botocore's wafv2 model: ``EvaluationWindowSec`` "Valid
#: settings are 60, 120, 300, and 600"; ``RateLimit`` min 10).
RATE_WINDOWS = (60, 120, 300, 600)
MIN_RATE_LIMIT = 10


def visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def rate_rule(
    prefix: str, priority: int, limit: RateLimit, forwarded_ip_header: str | None = None
) -> aws.wafv2.WebAclRuleArgsDict:
    """A blocking rate rule per client: the connection's address, or the one ``forwarded_ip_header`` carries."""
    statement: aws.wafv2.WebAclRuleStatementRateBasedStatementArgsDict = {
        "limit": limit.limit,
        "aggregate_key_type": "FORWARDED_IP" if forwarded_ip_header else "IP",
        "evaluation_window_sec": limit.window_seconds,
    }
    if forwarded_ip_header:
        statement["forwarded_ip_config"] = {
            "header_name": forwarded_ip_header,
            "fallback_behavior": FORWARDED_IP_FALLBACK,
        }
    if limit.path:
        statement["scope_down_statement"] = {
            "byte_match_statement": {
                "positional_constraint": "STARTS_WITH" if limit.match == "prefix" else "CONTAINS",
                "search_string": limit.path.lower(),
                "field_to_match": {"uri_path": {}},
                "text_transformations": [{"priority": 0, "type": "LOWERCASE"}],
            }
        }
    return {
        "name": f"rate-limit-{limit.name}",
        "priority": priority,
        "action": {"block": {}},
        "statement": {"rate_based_statement": statement},
        "visibility_config": visibility(f"{prefix}-rate-limit-{limit.name}"),
    }


#: AWS WAF developer guide, "Baseline rule groups": the Common Rule Set's rule that blocks request bodies over 8 KB, and
#: the label it adds to what it matches (visible to the rules evaluated after it: "Using labels in AWS WAF").
BODY_SIZE_RULE = "SizeRestrictions_BODY"
BODY_SIZE_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"


def managed_rules(
    prefix: str, group: str, priority: int, upload_paths: Sequence[str]
) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """A managed rule group in blocking mode. With upload paths, the Common Rule Set's body-size rule only labels
    what it matches, and the next rule blocks that label everywhere but under the upload paths."""
    statement: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {"name": group, "vendor_name": "AWS"}
    uploads = bool(upload_paths) and group == "AWSManagedRulesCommonRuleSet"
    if uploads:
        statement["rule_action_overrides"] = [{"name": BODY_SIZE_RULE, "action_to_use": {"count": {}}}]
    rules: list[aws.wafv2.WebAclRuleArgsDict] = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": statement},
            "visibility_config": visibility(f"{prefix}-{group}"),
        }
    ]
    if uploads:
        paths: list[aws.wafv2.WebAclRuleStatementArgsDict] = [
            {
                "byte_match_statement": {
                    "positional_constraint": "STARTS_WITH",
                    "search_string": path,
                    "field_to_match": {"uri_path": {}},
                    "text_transformations": [{"priority": 0, "type": "NONE"}],
                }
            }
            for path in upload_paths
        ]
        rules.append(
            {
                "name": "body-size-outside-uploads",
                "priority": priority + 1,
                "action": {"block": {}},
                "statement": {
                    "and_statement": {
                        "statements": [
                            {"label_match_statement": {"scope": "LABEL", "key": BODY_SIZE_LABEL}},
                            {
                                "not_statement": {
                                    "statement": paths[0]
                                    if len(paths) == 1
                                    else {"or_statement": {"statements": paths}}
                                }
                            },
                        ]
                    }
                },
                "visibility_config": visibility(f"{prefix}-body-size-outside-uploads"),
            }
        )
    return rules
