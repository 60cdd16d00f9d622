"""aws-kms-key-rotation-enabled."""

from __future__ import annotations

from policies.rules.kms import kms_key_rotation_enabled
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
