"""Staging deploys with nothing but the documented set-up: no placeholder certificate, a site name that resolves to
its load balancer (the uptime check and the smoke test fetch it by name), and alerts that reach somebody."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, stackcheck_json


@pytest.fixture(scope="module")
def staging() -> dict[str, Any]:
    code, doc = stackcheck_json("staging")
    assert code == 0
    return doc


def of_type(doc: dict[str, Any], token: str) -> list[dict[str, Any]]:
    return [r for r in doc["resources"] if r["type"] == token]


def test_the_stack_file_holds_nothing_account_specific() -> None:
    web = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())["config"]["webstack:web"]
    assert "certificateArn" not in web, "an ARN of one account's certificate deploys nowhere else"
    assert web["hostedZone"] == "staging.app.example.org"


def test_the_certificate_is_issued_and_validated_in_the_hosted_zone(staging: dict[str, Any]) -> None:
    (certificate,) = of_type(staging, "aws:acm/certificate:Certificate")
    assert certificate["inputs"]["domainName"] == "staging.app.example.org"
    assert certificate["inputs"]["validationMethod"] == "DNS"
    records = {r["name"]: r for r in of_type(staging, "aws:route53/record:Record")}
    validation = [r for name, r in records.items() if "validation" in name]
    assert len(validation) == 2
    assert all(certificate["urn"] in r["propertyDependencies"]["name"] for r in validation)
    (waiter,) = of_type(staging, "aws:acm/certificateValidation:CertificateValidation")
    assert {urn for r in validation for urn in [r["urn"]]} <= set(
        waiter["propertyDependencies"]["validationRecordFqdns"]
    )
    (listener,) = [r for r in of_type(staging, "aws:lb/listener:Listener") if r["inputs"]["protocol"] == "HTTPS"]
    assert listener["propertyDependencies"]["certificateArn"] == [waiter["urn"]]


def test_the_name_the_uptime_check_probes_points_at_the_load_balancer(staging: dict[str, Any]) -> None:
    (alb,) = of_type(staging, "aws:lb/loadBalancer:LoadBalancer")
    (canary,) = of_type(staging, "aws:synthetics/canary:Canary")
    url = canary["inputs"]["runConfig"]["environmentVariables"]["URL"]
    host = url.removeprefix("https://").split("/")[0]
    aliases = [r for r in of_type(staging, "aws:route53/record:Record") if r["inputs"]["type"] == "A"]
    assert sorted(r["inputs"]["name"] for r in aliases) == [host, f"www.{host}"]
    for record in aliases:
        assert record["inputs"]["aliases"][0]["name"].endswith(".us-east-1.elb.amazonaws.com")
        assert record["propertyDependencies"]["aliases"] == [alb["urn"]]


def test_staging_alerts_reach_somebody(staging: dict[str, Any]) -> None:
    topics = of_type(staging, "aws:sns/topic:Topic")
    subscriptions = of_type(staging, "aws:sns/topicSubscription:TopicSubscription")
    subscribed = {urn for s in subscriptions for urn in s["propertyDependencies"]["topic"]}
    assert {t["urn"] for t in topics} <= subscribed
