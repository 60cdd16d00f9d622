"""aws-acm-certificate-dns-validated."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies.rules.certificates import acm_certificate_dns_validated
from tests.policies.support import analyzed, apply_changes, check_resource, unknown_message

CERTIFICATE = "aws:acm/certificate:Certificate"


def certificate(**changes: Any) -> dict[str, Any]:
    """The certificate webstack's load balancer requests (None removes a prop)."""
    props: dict[str, Any] = {
        "domainName": "app.example.org",
        "subjectAlternativeNames": ["www.app.example.org"],
        "validationMethod": "DNS",
        "keyAlgorithm": "RSA_2048",
        "options": {"certificateTransparencyLoggingPreference": "ENABLED"},
    }
    return apply_changes(props, changes)


def check(props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return check_resource(acm_certificate_dns_validated, CERTIFICATE, analyzed(props), config=config)


def test_passes_for_a_dns_validated_certificate() -> None:
    assert check(certificate()) == []


def test_passes_with_the_default_key_algorithm_and_options() -> None:
    assert check(certificate(keyAlgorithm=None, options=None)) == []


@pytest.mark.parametrize(
    "algorithm", ["RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
)
def test_passes_for_every_strong_key_algorithm(algorithm: str) -> None:
    assert check(certificate(keyAlgorithm=algorithm)) == []


def test_fails_for_email_validation() -> None:
    (message,) = check(certificate(validationMethod="EMAIL"))
    assert message.startswith(
        'The certificate\'s validation method is "EMAIL": set validation_method="DNS" and create the validation '
        "records, so that ACM renews the certificate by itself"
    )


def test_fails_without_a_validation_method() -> None:
    (message,) = check(certificate(validationMethod=None))
    assert message.startswith('The certificate\'s validation method is not set: set validation_method="DNS"')


def test_fails_for_a_weak_key() -> None:
    (message,) = check(certificate(keyAlgorithm="RSA_1024"))
    assert message == (
        "The certificate's key algorithm is RSA_1024: use one of RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, "
        "EC_secp384r1, EC_secp521r1 (leaving key_algorithm out means RSA_2048)."
    )


def test_the_allowed_key_algorithms_are_configurable() -> None:
    assert len(check(certificate(), config={"allowedKeyAlgorithms": ["EC_prime256v1"]})) == 1
    assert check(certificate(keyAlgorithm="EC_prime256v1"), config={"allowedKeyAlgorithms": ["EC_prime256v1"]}) == []


def test_fails_when_transparency_logging_is_disabled() -> None:
    (message,) = check(certificate(options={"certificateTransparencyLoggingPreference": "DISABLED"}))
    assert message.startswith("The certificate opts out of certificate transparency logging")


def test_fails_for_an_imported_certificate_and_says_only_that() -> None:
    props = certificate(
        validationMethod=None, keyAlgorithm=None, privateKey="-----BEGIN PRIVATE KEY-----", certificateBody="x"
    )
    (message,) = check(props)
    assert message.startswith(
        "The certificate is imported (private_key and certificate_body set): ACM cannot renew an imported certificate"
    )


def test_fails_for_a_certificate_body_alone() -> None:
    (message,) = check(certificate(certificateBody="-----BEGIN CERTIFICATE-----"))
    assert message.startswith("The certificate is imported (certificate_body set)")


def test_fails_for_several_problems_at_once() -> None:
    props = certificate(
        validationMethod="EMAIL",
        keyAlgorithm="EC_secp224r1",
        options={"certificateTransparencyLoggingPreference": "DISABLED"},
    )
    assert len(check(props)) == 3


def test_settings_unknown_during_preview_are_reported_not_passed() -> None:
    assert check(certificate(validationMethod=UNKNOWN_STRING_VALUE)) == [unknown_message("validation_method", '"DNS"')]
    (message,) = check(certificate(keyAlgorithm=UNKNOWN_STRING_VALUE))
    assert message.startswith("key_algorithm is unknown during preview, so this rule cannot check it")
    expected = [unknown_message("options.certificate_transparency_logging_preference", '"ENABLED"')]
    assert check(certificate(options=UNKNOWN_OBJECT_VALUE)) == expected
    assert check(certificate(options={"certificateTransparencyLoggingPreference": UNKNOWN_STRING_VALUE})) == expected


def test_an_imported_key_unknown_during_preview_is_still_imported() -> None:
    (message,) = check(certificate(privateKey=UNKNOWN_STRING_VALUE))
    assert message.startswith("The certificate is imported (private_key set)")


def test_other_resources_are_ignored() -> None:
    validation = "aws:acm/certificateValidation:CertificateValidation"
    assert check_resource(acm_certificate_dns_validated, validation, {}) == []
