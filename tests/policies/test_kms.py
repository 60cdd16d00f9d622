"""aws-kms-key-rotation-enabled."""

from __future__ import annotations

import json
from collections.abc import Mapping

from policies.rules.kms import kms_key_deletion_window, kms_key_policy_least_privilege, kms_key_rotation_enabled
from tests.policies.support import check_resource, not_applicable

KEY = "aws:kms/key:Key"
ROTATING = {"enableKeyRotation": True, "rotationPeriodInDays": 365.0}


def test_passes_for_a_yearly_rotating_key() -> None:
    assert check_resource(kms_key_rotation_enabled, KEY, ROTATING) == []


def test_passes_with_the_aws_default_period() -> None:
    assert check_resource(kms_key_rotation_enabled, KEY, {"enableKeyRotation": True}) == []


def test_fails_when_rotation_is_off() -> None:
    (message,) = check_resource(kms_key_rotation_enabled, KEY, {**ROTATING, "enableKeyRotation": False})
    assert message == "Key rotation is off: set enable_key_rotation=True (webstack's Keys component does)."


def test_fails_when_rotation_is_not_set() -> None:
    assert len(check_resource(kms_key_rotation_enabled, KEY, {})) == 1


def test_fails_when_the_period_is_longer_than_a_year() -> None:
    (message,) = check_resource(kms_key_rotation_enabled, KEY, {**ROTATING, "rotationPeriodInDays": 730.0})
    assert message == "The key rotates every 730 days: set rotation_period_in_days to 365 or less."


def test_the_longest_period_is_configurable() -> None:
    assert len(check_resource(kms_key_rotation_enabled, KEY, ROTATING, config={"maxRotationDays": 180})) == 1


def test_asymmetric_keys_cannot_rotate_and_are_not_judged() -> None:
    assert not_applicable(kms_key_rotation_enabled, KEY, {"customerMasterKeySpec": "RSA_2048"}) == (
        "RSA_2048 keys cannot rotate automatically"
    )


def test_other_resources_are_ignored() -> None:
    assert check_resource(kms_key_rotation_enabled, "aws:kms/alias:Alias", {}) == []


# -- aws-kms-key-policy-least-privilege --------------------------------------------------------------------------------
ROOT = {"AWS": "arn:aws:iam::123456789012:root"}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": ROOT, "Action": ["kms:Describe*"], "Resource": "*"},
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Principal": {"Service": "logs.us-east-1.amazonaws.com"},
            "Action": "kms:Encrypt*",
        },
    ],
}
KEY_PROPS = {**ROTATING, "deletionWindowInDays": 30.0, "policy": json.dumps(POLICY)}


def with_statement(statement: Mapping[str, object]) -> dict[str, object]:
    return {**KEY_PROPS, "policy": json.dumps({**POLICY, "Statement": [*POLICY["Statement"], statement]})}


def test_a_key_whose_policy_names_its_principals_passes() -> None:
    assert check_resource(kms_key_policy_least_privilege, KEY, KEY_PROPS) == []


def test_a_wildcard_principal_fails() -> None:
    (message,) = check_resource(
        kms_key_policy_least_privilege,
        KEY,
        with_statement({"Sid": "Everyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"}),
    )
    assert message.startswith("The key policy allows a wildcard principal without a condition (Everyone)")
    props = with_statement({"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:*"})
    assert len(check_resource(kms_key_policy_least_privilege, KEY, props)) == 1


def test_a_wildcard_principal_narrowed_by_a_condition_or_a_deny_passes() -> None:
    narrowed = {
        "Effect": "Allow",
        "Principal": {"AWS": "*"},
        "Action": "kms:Decrypt",
        "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}},
    }
    assert check_resource(kms_key_policy_least_privilege, KEY, with_statement(narrowed)) == []
    denied = {"Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion"}
    assert check_resource(kms_key_policy_least_privilege, KEY, with_statement(denied)) == []


def test_a_key_without_a_policy_fails() -> None:
    (message,) = check_resource(kms_key_policy_least_privilege, KEY, {**KEY_PROPS, "policy": None})
    assert message.startswith("The key has no policy of its own")


def test_bypassing_the_lockout_check_fails() -> None:
    (message,) = check_resource(
        kms_key_policy_least_privilege, KEY, {**KEY_PROPS, "bypassPolicyLockoutSafetyCheck": True}
    )
    assert message.startswith("The key bypasses the policy lockout safety check")


def test_a_policy_that_is_not_json_fails() -> None:
    (message,) = check_resource(kms_key_policy_least_privilege, KEY, {**KEY_PROPS, "policy": "{not json"})
    assert message == "The key policy is not valid JSON: write it with json.dumps."


# -- aws-kms-key-deletion-window ---------------------------------------------------------------------------------------
def test_the_default_deletion_window_passes() -> None:
    assert check_resource(kms_key_deletion_window, KEY, KEY_PROPS) == []
    assert check_resource(kms_key_deletion_window, KEY, {**KEY_PROPS, "deletionWindowInDays": None}) == []


def test_a_short_deletion_window_fails() -> None:
    (message,) = check_resource(kms_key_deletion_window, KEY, {**KEY_PROPS, "deletionWindowInDays": 7.0})
    assert message == (
        "The key can be deleted after 7 days: set deletion_window_in_days to 30 or more, time enough to notice and "
        "cancel a deletion."
    )
    assert check_resource(kms_key_deletion_window, KEY, {**KEY_PROPS, "deletionWindowInDays": 7.0},
                          config={"minDeletionWindowDays": 7}) == []  # fmt: skip


def test_the_policy_rule_does_not_judge_the_deletion_window() -> None:
    assert check_resource(kms_key_policy_least_privilege, KEY, {**KEY_PROPS, "deletionWindowInDays": 7.0}) == []
