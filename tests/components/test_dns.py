"""The Dns component: a stack without the CDN validates its certificate and points its domain at the load balancer
in a Route 53 hosted zone that already exists (the zone is an account set-up step, looked up by name)."""

from __future__ import annotations

import pulumi_aws as aws

from components.aws.dns import Dns, DnsArgs
from components.cdn import ValidationRecord
from tests.conftest import construct, one, registered

RECORD = "aws:route53/record:Record"
DOMAIN = "staging.app.example.org"


def build(name: str) -> Dns:
    def factory() -> Dns:
        dns = Dns(name, DnsArgs(zone_name=DOMAIN, domain=DOMAIN))
        dns.validation_records(
            [
                ValidationRecord("apex", f"_a1.{DOMAIN}.", "CNAME", "_b1.acm-validations.aws."),
                ValidationRecord("www", f"_a2.www.{DOMAIN}.", "CNAME", "_b2.acm-validations.aws."),
            ]
        )
        alb = aws.lb.LoadBalancer(f"{name}src-alb", load_balancer_type="application")
        dns.route(alb)
        return dns

    return construct(factory)


def test_validation_and_site_records_go_to_the_zone_looked_up_by_name() -> None:
    built = build("dnsstaging")
    records = {r.name: r for r in registered("dnsstaging-", RECORD)}
    assert sorted(records) == ["dnsstaging-apex", "dnsstaging-validation-apex", "dnsstaging-validation-www",
                               "dnsstaging-www"]  # fmt: skip
    zone_ids = {r.inputs["zoneId"] for r in records.values()}
    (zone_id,) = zone_ids
    assert zone_id.startswith("Z")
    zone: list[str] = []
    construct(lambda: built.zone_id.apply(zone.append))
    assert zone == [zone_id]

    validation = records["dnsstaging-validation-www"].inputs
    assert (validation["name"], validation["type"]) == (f"_a2.www.{DOMAIN}", "CNAME")
    assert validation["records"] == ["_b2.acm-validations.aws"]
    assert validation["ttl"] == 60
    # ACM keeps the same validation record for a renewed or re-requested certificate of the same names.
    assert validation["allowOverwrite"] is True


def test_the_domain_and_www_are_aliases_of_the_load_balancer() -> None:
    build("dnsalias")
    alb = one("dnsaliassrc-alb")
    for label, host in (("apex", DOMAIN), ("www", f"www.{DOMAIN}")):
        record = one(f"dnsalias-{label}")
        assert (record.inputs["name"], record.inputs["type"]) == (host, "A")
        assert record.inputs["aliases"] == [
            {"name": alb.outputs["dnsName"], "zoneId": alb.outputs["zoneId"], "evaluateTargetHealth": True}
        ]
        assert "ttl" not in record.inputs
        assert set(record.property_dependencies["aliases"]) == {alb.urn}
