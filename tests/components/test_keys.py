"""The Keys component: rotation, deletion window, aliases, and key policies without wildcard principals."""

from __future__ import annotations

import json

from components.aws.account import Account
from components.aws.keys import Keys, KeysArgs
from stackcheck.mocks import ACCOUNT_ID
from tests.conftest import TEST_REGION, construct, one

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)


def test_defaults_are_secure() -> None:
    construct(lambda: Keys("keys", KeysArgs(account=ACCOUNT, name_prefix="webstack-test")))
    key = one("keys-logs")
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["deletionWindowInDays"] == 30
    assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
    assert key.protect is False
    assert one("keys-logs-alias").inputs["name"] == "alias/webstack-test-logs"


def test_the_logs_key_admits_cloudwatch_logs_of_this_account_and_region_only() -> None:
    construct(lambda: Keys("pol", KeysArgs(account=ACCOUNT, name_prefix="webstack-pol")))
    statements = json.loads(one("pol-logs").inputs["policy"])["Statement"]
    principals = [s["Principal"] for s in statements]
    assert principals == [
        {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
        {"Service": f"logs.{TEST_REGION}.amazonaws.com"},
    ]
    assert "*" not in json.dumps(principals)
    logs = statements[1]
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:log-group:*"}
    }
    assert not any(action == "kms:*" for action in logs["Action"])


def test_keys_are_protected_in_production() -> None:
    construct(lambda: Keys("prot", KeysArgs(account=ACCOUNT, name_prefix="webstack-prot", protect=True)))
    assert one("prot-logs").protect is True
