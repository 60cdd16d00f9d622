"""The pack covers the guides' checklist: every item infrastructure can express has rules, every rule names the
items it enforces and the public rules it matches, and what is left out says why."""

from __future__ import annotations

import re

import pytest
from pulumi_policy import StackValidationPolicy

from policies.rules import ALL_POLICIES
from policies.rules.checklist import ANCHOR_PREFIXES, BY_ID, CHECKLIST, Item, anchors_of, items_of, rules_for

#: Public rules the pack matches by name: Pulumi AWSGuard rules and the webstack rule that does their job.
AWSGUARD = {
    "alb-http-to-https-redirection": "aws-alb-http-listener-redirects-to-https",
    "elb-logging-enabled": "aws-alb-access-logs",
    "elb-deletion-protection": "aws-alb-deletion-protection",
    "rds-instance-backup-enabled": "aws-rds-backup-retention",
    "rds-multi-az": "aws-rds-multi-az",
    "rds-instance-public-access": "aws-rds-not-publicly-accessible",
    "rds-storage-encrypted": "aws-rds-storage-encrypted",
    "s3-bucket-logging-enabled": "aws-s3-bucket-access-logging",
    "cmk-backing-key-rotation-enabled": "aws-kms-key-rotation-enabled",
}
ANCHOR_FORMS = {
    "fsbp:": r"fsbp:[A-Za-z0-9]+\.\d+",
    "awsguard:": r"awsguard:[a-z0-9]+(-[a-z0-9]+)+",
    "prowler:": r"prowler:[a-z0-9]+(_[a-z0-9]+)+",
    "config:": r"config:[a-z0-9]+(-[a-z0-9]+)+",
    "cis-docker:": r"cis-docker:\d+\.\d+",
}


def test_checklist_ids_are_unique_and_well_formed() -> None:
    assert len(BY_ID) == len(CHECKLIST)
    for item in CHECKLIST:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", item.id)
        assert item.title
        assert item.covers or item.outside


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_every_rule_names_known_checklist_items_and_well_formed_anchors(policy: StackValidationPolicy) -> None:
    items = items_of(policy.tags)
    assert items, f"{policy.name} names no checklist item"
    assert set(items) <= set(BY_ID), f"{policy.name} names unknown items {set(items) - set(BY_ID)}"
    assert policy.severity is not None
    assert policy.remediation_steps
    assert len(policy.remediation_steps) > 40
    for anchor in anchors_of(policy.tags):
        prefix = next(p for p in ANCHOR_PREFIXES if anchor.startswith(p))
        assert re.fullmatch(ANCHOR_FORMS[prefix], anchor), anchor


@pytest.mark.parametrize("item", CHECKLIST, ids=lambda i: i.id)
def test_every_expressible_item_has_rules_and_the_rest_says_why(item: Item) -> None:
    rules = rules_for(item.id, ALL_POLICIES)
    if item.covers:
        assert rules, f"checklist item {item.id} ({item.title}) has no rule"
    else:
        assert rules == []
        assert len(item.outside) > 80, "an item left to other means must say why and where it is handled"


def test_items_without_rules_are_exactly_the_sql_level_ones() -> None:
    assert [item.id for item in CHECKLIST if not item.covers] == ["monitoring-user"]


@pytest.mark.parametrize(("anchor", "rule"), sorted(AWSGUARD.items()))
def test_awsguard_anchors_sit_on_the_rule_that_does_their_job(anchor: str, rule: str) -> None:
    holders = [p.name for p in ALL_POLICIES if f"awsguard:{anchor}" in (p.tags or [])]
    assert rule in holders


def test_every_checklist_item_of_the_guides_is_present() -> None:
    titles = {item.id for item in CHECKLIST if item.guide}
    assert titles == {
        "tls", "http-to-https", "security-headers", "firewall-only-80-443", "ssh-restricted", "block-app-ports",
        "no-default-passwords", "secrets", "debug-off", "least-privilege", "backups", "encrypted-backups",
        "remote-copies", "restore-tests", "rto-rpo", "logging", "replication-health-checks", "alerts", "db-tls",
        "encryption-at-rest", "rate-limiting", "db-not-public", "monitoring-user", "key-rotation",
    }  # fmt: skip
