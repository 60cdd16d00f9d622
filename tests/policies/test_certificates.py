"""aws-acm-certificate-dns-validated, aws-acm-certificate-strong-key and aws-acm-certificate-transparency-logging."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE

from policies.rules.certificates import (
    POLICIES,
    acm_certificate_dns_validated,
    acm_certificate_strong_key,
    acm_certificate_transparency_logging,
)
from tests.policies.support import analyzed, apply_changes, check_resource, not_applicable, unknown_message

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


def check(policy: ResourceValidationPolicy, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return check_resource(policy, CERTIFICATE, analyzed(props), config=config)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_passes_for_the_certificate_webstack_requests(policy: ResourceValidationPolicy) -> None:
    assert check(policy, certificate()) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_passes_with_the_default_key_algorithm_and_options(policy: ResourceValidationPolicy) -> None:
    assert check(policy, certificate(keyAlgorithm=None, options=None)) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_other_resources_are_ignored(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, "aws:acm/certificateValidation:CertificateValidation", {}) == []


# -- aws-acm-certificate-dns-validated ---------------------------------------------------------------------------------
def test_fails_for_email_validation() -> None:
    (message,) = check(acm_certificate_dns_validated, certificate(validationMethod="EMAIL"))
    assert message.startswith(
        'The certificate\'s validation method is "EMAIL": set validation_method="DNS" and create the validation '
        "records, so that ACM renews the certificate by itself"
    )


def test_fails_without_a_validation_method() -> None:
    (message,) = check(acm_certificate_dns_validated, certificate(validationMethod=None))
    assert message.startswith('The certificate\'s validation method is not set: set validation_method="DNS"')


def test_fails_for_an_imported_certificate_and_says_only_that() -> None:
    props = certificate(
        validationMethod=None, keyAlgorithm=None, privateKey="-----BEGIN PRIVATE KEY-----", certificateBody="x"
    )
    (message,) = check(acm_certificate_dns_validated, props)
    assert message.startswith(
        "The certificate is imported (private_key and certificate_body set): ACM cannot renew an imported certificate"
    )


def test_fails_for_a_certificate_body_alone() -> None:
    (message,) = check(acm_certificate_dns_validated, certificate(certificateBody="-----BEGIN CERTIFICATE-----"))
    assert message.startswith("The certificate is imported (certificate_body set)")


def test_an_unknown_validation_method_is_reported_not_passed() -> None:
    assert check(acm_certificate_dns_validated, certificate(validationMethod=UNKNOWN_STRING_VALUE)) == [
        unknown_message("validation_method", '"DNS"')
    ]


def test_an_imported_key_unknown_during_preview_is_still_imported() -> None:
    (message,) = check(acm_certificate_dns_validated, certificate(privateKey=UNKNOWN_STRING_VALUE))
    assert message.startswith("The certificate is imported (private_key set)")


@pytest.mark.parametrize("policy", [acm_certificate_strong_key, acm_certificate_transparency_logging])
def test_the_key_and_logging_rules_leave_an_imported_certificate_to_the_validation_rule(
    policy: ResourceValidationPolicy,
) -> None:
    props = certificate(keyAlgorithm="RSA_1024", privateKey="-----BEGIN PRIVATE KEY-----")
    assert not_applicable(policy, CERTIFICATE, props) == (
        "the certificate is imported: aws-acm-certificate-dns-validated reports it"
    )


# -- aws-acm-certificate-strong-key ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "algorithm", ["RSA_2048", "RSA_3072", "RSA_4096", "EC_prime256v1", "EC_secp384r1", "EC_secp521r1"]
)
def test_passes_for_every_strong_key_algorithm(algorithm: str) -> None:
    assert check(acm_certificate_strong_key, certificate(keyAlgorithm=algorithm)) == []


def test_fails_for_a_weak_key() -> None:
    (message,) = check(acm_certificate_strong_key, certificate(keyAlgorithm="RSA_1024"))
    assert message == (
        "The certificate's key algorithm is RSA_1024: use one of RSA_2048, RSA_3072, RSA_4096, EC_prime256v1, "
        "EC_secp384r1, EC_secp521r1 (leaving key_algorithm out means RSA_2048)."
    )


def test_the_allowed_key_algorithms_are_configurable() -> None:
    config = {"allowedKeyAlgorithms": ["EC_prime256v1"]}
    assert len(check(acm_certificate_strong_key, certificate(), config=config)) == 1
    assert check(acm_certificate_strong_key, certificate(keyAlgorithm="EC_prime256v1"), config=config) == []


def test_an_unknown_key_algorithm_is_reported_not_passed() -> None:
    (message,) = check(acm_certificate_strong_key, certificate(keyAlgorithm=UNKNOWN_STRING_VALUE))
    assert message.startswith("key_algorithm is unknown during preview, so this rule cannot check it")


def test_the_key_rule_judges_nothing_but_the_key() -> None:
    props = certificate(validationMethod="EMAIL", options={"certificateTransparencyLoggingPreference": "DISABLED"})
    assert check(acm_certificate_strong_key, props) == []


# -- aws-acm-certificate-transparency-logging --------------------------------------------------------------------------
def test_fails_when_transparency_logging_is_disabled() -> None:
    props = certificate(options={"certificateTransparencyLoggingPreference": "DISABLED"})
    (message,) = check(acm_certificate_transparency_logging, props)
    assert message.startswith("The certificate opts out of certificate transparency logging")


def test_an_unknown_logging_preference_is_reported_not_passed() -> None:
    expected = [unknown_message("options.certificate_transparency_logging_preference", '"ENABLED"')]
    assert check(acm_certificate_transparency_logging, certificate(options=UNKNOWN_OBJECT_VALUE)) == expected
    props = certificate(options={"certificateTransparencyLoggingPreference": UNKNOWN_STRING_VALUE})
    assert check(acm_certificate_transparency_logging, props) == expected
