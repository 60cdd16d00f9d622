"""The docker platform's internal CA: an ECDSA P-384 CA whose key stays in the state as a secret, valid ten years
unless its Args say otherwise, and refusing a life too short for its own early renewal."""

import pytest

from components.docker.tls_ca import CA_VALIDITY_HOURS, EARLY_RENEWAL_HOURS, InternalCa, InternalCaArgs
from tests.conftest import construct, one


def test_defaults_are_secure() -> None:
    construct(lambda: InternalCa("tca", InternalCaArgs()))
    key = one("tca-key").inputs
    assert (key["algorithm"], key["ecdsaCurve"]) == ("ECDSA", "P384")
    cert = one("tca-cert").inputs
    assert cert["isCaCertificate"] is True
    assert cert["validityPeriodHours"] == CA_VALIDITY_HOURS == 10 * 365 * 24
    assert sorted(cert["allowedUses"]) == ["cert_signing", "crl_signing", "digital_signature"]


def test_the_validity_period_is_an_input() -> None:
    construct(lambda: InternalCa("tca-short", InternalCaArgs(validity_period_hours=2 * 365 * 24)))
    assert one("tca-short-cert").inputs["validityPeriodHours"] == 2 * 365 * 24


def test_a_life_within_the_renewal_window_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=rf"InternalCaArgs\.validity_period_hours must be over {EARLY_RENEWAL_HOURS}"):
        construct(lambda: InternalCa("tca-bad", InternalCaArgs(validity_period_hours=24)))
