"""Settings that keep a stack deployable as AWS stands today: each default and each refusal rests on a documented
AWS fact, named next to the test."""

from __future__ import annotations

import pytest

from tests.components.test_settings import error, settings
from tests.conftest import IMAGES

#: CloudWatch user guide, "Runtime versions using Python and Selenium Webdriver": the newest Python runtime, and the
#: runtimes "Runtime versions support policy" lists as deprecated (a canary cannot be created on a deprecated
#: runtime). The uptime check's handler is Python, so only Python runtimes run it.
NEWEST_PYTHON_RUNTIME = "syn-python-selenium-14.0"
DEPRECATED_PYTHON_RUNTIMES = (
    "syn-python-selenium-1.0",
    "syn-python-selenium-1.3",
    "syn-python-selenium-2.0",
    "syn-python-selenium-2.1",
    "syn-python-selenium-3.0",
    "syn-python-selenium-4.0",
    "syn-python-selenium-4.1",
    "syn-python-selenium-5.0",
    "syn-python-selenium-5.1",
)


# -- the uptime check's runtime ----------------------------------------------------------------------------------------
def test_the_uptime_check_runs_on_the_newest_python_runtime_aws_documents() -> None:
    assert settings().monitoring.canary_runtime == NEWEST_PYTHON_RUNTIME


@pytest.mark.parametrize("runtime", DEPRECATED_PYTHON_RUNTIMES)
def test_a_deprecated_runtime_is_refused(runtime: str) -> None:
    assert error(monitoring={"canaryRuntime": runtime}).message == (
        f"webstack:monitoring.canaryRuntime must be a runtime AWS has not deprecated (CloudWatch Synthetics creates "
        f'no canary on a deprecated runtime; the newest is {NEWEST_PYTHON_RUNTIME}), got "{runtime}"'
    )


def test_a_runtime_of_another_language_is_refused() -> None:
    assert error(monitoring={"canaryRuntime": "syn-nodejs-puppeteer-9.1"}).message == (
        "webstack:monitoring.canaryRuntime must be a Python runtime like syn-python-selenium-14.0 (the uptime check "
        'is written in Python), got "syn-nodejs-puppeteer-9.1"'
    )


def test_a_supported_older_runtime_is_accepted() -> None:
    assert settings(monitoring={"canaryRuntime": "syn-python-selenium-6.0"}).monitoring.canary_runtime == (
        "syn-python-selenium-6.0"
    )


# -- upload paths (the WAF's body-size limit) --------------------------------------------------------------------------
def test_upload_paths_are_none_by_default() -> None:
    assert settings().web.upload_paths == []


def test_upload_paths_are_paths_below_the_root() -> None:
    assert error(web={**IMAGES, "uploadPaths": ["/"]}).message == (
        'webstack:web.uploadPaths[0] must be a path below /, like /api/uploads: "/" would lift the WAF body-size limit '
        'from every request, got "/"'
    )
    assert error(web={**IMAGES, "uploadPaths": ["uploads"]}).message == (
        'webstack:web.uploadPaths[0] must be a URL path like /health (letters, digits and ._~/-), got "uploads"'
    )
    assert error(web={**IMAGES, "uploadPaths": ["/up", "/up"]}).message == (
        'webstack:web.uploadPaths must not list the same entry twice, got "/up" twice'
    )
    assert settings(web={**IMAGES, "uploadPaths": ["/api/documents"]}).web.upload_paths == ["/api/documents"]


# -- AWS Backup service opt-in -----------------------------------------------------------------------------------------
def test_backups_manage_the_region_opt_in_by_default() -> None:
    backups = settings().backups
    assert (backups.manage_region_settings, backups.service_opt_in) == (True, {})


@pytest.mark.parametrize("resource_type", ["S3", "RDS"])
def test_the_types_the_stack_backs_up_cannot_be_opted_out(resource_type: str) -> None:
    assert error(backups={"serviceOptIn": {resource_type: False}}).message == (
        f"webstack:backups.serviceOptIn.{resource_type} must be true: the backup plan protects the stack's "
        f"{resource_type} resources, got false"
    )


# -- availability zones by ID ------------------------------------------------------------------------------------------
def test_zone_ids_are_optional_and_else_one_per_zone() -> None:
    assert settings().network.availability_zone_ids == []
    chosen = settings(network={"azCount": 2, "availabilityZoneIds": ["use1-az1", "use1-az4"]}).network
    assert chosen.availability_zone_ids == ["use1-az1", "use1-az4"]
    assert error(network={"azCount": 3, "availabilityZoneIds": ["use1-az1", "use1-az4"]}).message == (
        "webstack:network.availabilityZoneIds must list azCount (3) zone IDs, one per zone, got 2"
    )
    assert error(network={"azCount": 2, "availabilityZoneIds": ["use1-az1", "use1-az1"]}).message == (
        'webstack:network.availabilityZoneIds must not list the same entry twice, got "use1-az1" twice'
    )
    assert error(network={"azCount": 2, "availabilityZoneIds": ["us-east-1a", "use1-az4"]}).message == (
        "webstack:network.availabilityZoneIds[0] must be an availability zone ID like use1-az1 (zone names such as "
        'us-east-1a mean different zones in different accounts), got "us-east-1a"'
    )


# -- a Route 53 zone for stacks without the CDN ------------------------------------------------------------------------
def without_cdn(**web: object) -> dict[str, object]:
    return {"cdn": {"enabled": False}, "web": {**IMAGES, **web}, "domain": "staging.app.example.org"}


def test_a_hosted_zone_replaces_the_certificate_arn_without_the_cdn() -> None:
    for zone in ("staging.app.example.org", "app.example.org", "example.org"):
        assert settings(**without_cdn(hostedZone=zone)).web.hosted_zone == zone
    message = error(**without_cdn()).message
    assert message == (
        "webstack:web.certificateArn is required when the CDN is off (webstack:cdn.enabled is false) and "
        "webstack:web.hostedZone is unset: name the domain's Route 53 public hosted zone in webstack:web.hostedZone "
        "to have a certificate issued and validated there, give the ARN of an ACM certificate for the domain and www, "
        "or turn the CDN on, got nothing"
    )


def test_the_hosted_zone_holds_the_domain() -> None:
    assert error(**without_cdn(hostedZone="other.example.org")).message == (
        "webstack:web.hostedZone must be the domain (staging.app.example.org) or a domain it is under, got "
        '"other.example.org"'
    )
    assert error(**without_cdn(hostedZone="Example.ORG")).message == (
        'webstack:web.hostedZone must be a lowercase domain name like example.org, got "Example.ORG"'
    )


def test_a_hosted_zone_is_refused_while_the_cdn_serves_the_domain() -> None:
    assert error(web={**IMAGES, "hostedZone": "app.example.org"}).message == (
        "webstack:web.hostedZone must be left unset while the CDN is on: the Cloudflare zone holds the domain's "
        'records then, got "app.example.org"'
    )
