"""aws-waf-managed-rules, for a managed rule switched to count: the web ACL blocks what that rule
labels in a later rule (webstack lets upload paths through the Core rule set's 8 KB body limit that way), or the
rule group only looks like it is in force.

AWS WAF developer guide: "Baseline rule groups" (SizeRestrictions_BODY and its label
awswaf:managed:aws:core-rule-set:SizeRestrictions_Body), "Using labels in AWS WAF" (a label is visible to the rules
evaluated after the rule that adds it)."""

from __future__ import annotations

import copy
from typing import Any

from policies.rules.waf import waf_managed_rules
from tests.policies.support import check_resource
from tests.policies.test_load_balancer import ACL, WEB_ACL, changed, visibility

LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"
COUNT_BODY_SIZE = [{"name": "SizeRestrictions_BODY", "actionToUse": {"count": {}}}]


def reblock(priority: float, key: str = LABEL, action: str = "block") -> dict[str, Any]:
    """The rule that blocks what SizeRestrictions_BODY labelled, outside /uploads."""
    return {
        "name": "body-size-outside-uploads",
        "priority": priority,
        "action": {action: {}},
        "statement": {
            "andStatement": {
                "statements": [
                    {"labelMatchStatement": {"scope": "LABEL", "key": key}},
                    {"notStatement": {"statement": {"byteMatchStatement": {
                        "searchString": "/uploads", "positionalConstraint": "STARTS_WITH",
                        "fieldToMatch": {"uriPath": {}}, "textTransformations": [{"priority": 0, "type": "NONE"}],
                    }}}},
                ]
            }
        },
        "visibilityConfig": visibility("body-size-outside-uploads"),
    }  # fmt: skip


def uploads(*extra: dict[str, Any]) -> dict[str, Any]:
    """The compliant web ACL with the Core rule set's body-size rule counting, and the given rules after it."""
    props = changed(ACL, "rules.1.statement.managedRuleGroupStatement.ruleActionOverrides", COUNT_BODY_SIZE)
    props["rules"] = [*props["rules"], *copy.deepcopy(list(extra))]
    return props


def test_waf_rules_pass_when_a_counted_managed_rule_is_blocked_by_its_label_later() -> None:
    assert check_resource(waf_managed_rules, WEB_ACL, uploads(reblock(11.0))) == []


def test_waf_rules_fail_when_a_counted_managed_rule_is_blocked_nowhere() -> None:
    assert check_resource(waf_managed_rules, WEB_ACL, uploads()) == [
        "The managed rule group AWSManagedRulesCommonRuleSet (rule 'common') counts its rule SizeRestrictions_BODY "
        "instead of blocking it, and no later rule blocks the label it adds, so that protection is off everywhere: "
        "add a rule after 'common' with action={block: {}} and a label_match_statement on its label "
        "(awswaf:managed:aws:core-rule-set:SizeRestrictions_BODY, spelt as AWS's rule group documentation lists it), "
        "scoped down to the requests it must still block, or remove the override."
    ]


def test_waf_rules_fail_when_the_blocking_rule_runs_before_the_label_exists() -> None:
    (message,) = check_resource(waf_managed_rules, WEB_ACL, uploads(reblock(5.0)))
    assert message.startswith("The managed rule group AWSManagedRulesCommonRuleSet (rule 'common') counts its rule ")


def test_waf_rules_fail_when_the_label_rule_only_counts_too() -> None:
    assert len(check_resource(waf_managed_rules, WEB_ACL, uploads(reblock(11.0, action="count")))) == 1


def test_waf_rules_fail_when_the_later_rule_blocks_another_label() -> None:
    other = reblock(11.0, key="awswaf:managed:aws:core-rule-set:SizeRestrictions_QueryString")
    assert len(check_resource(waf_managed_rules, WEB_ACL, uploads(other))) == 1
