"""The Keys component: rotation, deletion window, aliases, and key policies that admit only what each purpose needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.aws.account import Account
from components.aws.keys import ADMIN_ACTIONS, Keys, KeysArgs
from stackcheck.engine.cloud import ACCOUNT_ID
from tests.conftest import TEST_REGION, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
ROOT = {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}


def statements(name: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(one(name).inputs["policy"])["Statement"]}


def test_defaults_are_secure() -> None:
    construct(lambda: Keys("keys", KeysArgs(account=ACCOUNT, name_prefix="webstack-test")))
    for purpose in ("logs", "data", "secrets", "backups", "alerts"):
        key = one(f"keys-{purpose}")
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["rotationPeriodInDays"] == 365
        assert key.inputs["deletionWindowInDays"] == 30
        assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False
        assert key.protect is False
        assert one(f"keys-{purpose}-alias").inputs["name"] == f"alias/webstack-test-{purpose}"
        policy = statements(f"keys-{purpose}")
        assert policy["AccountAdministersTheKey"] == {
            "Sid": "AccountAdministersTheKey",
            "Effect": "Allow",
            "Principal": ROOT,
            "Action": ADMIN_ACTIONS,
            "Resource": "*",
        }
        assert not any(a.startswith(("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")) for a in ADMIN_ACTIONS)
        assert '"*"' not in json.dumps([s["Principal"] for s in policy.values()])


def test_each_purpose_is_usable_only_through_its_services() -> None:
    construct(lambda: Keys("svc", KeysArgs(account=ACCOUNT, name_prefix="webstack-svc")))
    expected = {
        # Managed Grafana encrypts its workspace under the data key through grants it creates as the caller, like
        # Managed Prometheus (Amazon Managed Grafana user guide, "Encryption at rest", customer managed keys).
        "data": ["rds", "elasticache", "s3", "ecr", "aps", "grafana", "elasticfilesystem"],
        "secrets": ["secretsmanager"],
        "backups": ["backup", "s3", "rds"],
        "alerts": ["sns"],
    }
    for purpose, services in expected.items():
        use = statements(f"svc-{purpose}")["AccountUsesTheKeyThroughItsServices"]
        assert use["Principal"] == ROOT
        assert use["Condition"]["StringEquals"] == {
            "kms:CallerAccount": ACCOUNT_ID,
            "kms:ViaService": [f"{service}.{TEST_REGION}.amazonaws.com" for service in services],
        }
    assert "AccountUsesTheKeyThroughItsServices" not in statements("svc-logs")


def test_the_logs_key_admits_cloudwatch_logs_of_this_account_and_region_only() -> None:
    construct(lambda: Keys("lg", KeysArgs(account=ACCOUNT, name_prefix="webstack-lg")))
    logs = statements("lg-logs")["CloudWatchLogsEncryptsLogGroups"]
    assert logs["Principal"] == {"Service": f"logs.{TEST_REGION}.amazonaws.com"}
    assert logs["Condition"] == {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:log-group:*"}
    }


def test_the_alerts_key_admits_the_publishers_of_this_account_only() -> None:
    construct(lambda: Keys("al", KeysArgs(account=ACCOUNT, name_prefix="webstack-al")))
    publishers = statements("al-alerts")["AlertingServicesPublishToEncryptedTopics"]
    assert publishers["Principal"] == {
        "Service": ["cloudwatch.amazonaws.com", "backup.amazonaws.com", "aps.amazonaws.com"]
    }
    assert publishers["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert publishers["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    # EventBridge's requests carry no condition keys: a condition would refuse every one of them.
    events = statements("al-alerts")["EventBridgePublishesToEncryptedTopics"]
    assert events["Principal"] == {"Service": ["events.amazonaws.com"]}
    assert events["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]
    assert "Condition" not in events


def test_only_the_requested_purposes_are_created_and_production_keys_are_protected() -> None:
    construct(
        lambda: Keys("dr", KeysArgs(account=ACCOUNT, name_prefix="webstack-dr", purposes=("backups",), protect=True))
    )
    assert one("dr-backups").protect is True
    assert registered("dr-logs") == []


def test_an_unknown_purpose_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"KeysArgs.purposes must name only logs, data, secrets, backups, alerts"):
        Keys("unknown", KeysArgs(account=ACCOUNT, name_prefix="webstack-unknown", purposes=("logs", "mail")))
