"""The certificate validation records: unproxied records in the Cloudflare zone, as the certificate authority asks for
them, that keep the URNs they had when the Cdn wrote them."""

from typing import Any

import pulumi
import pulumi_cloudflare as cloudflare

from components.cdn_validation import (
    VALIDATION_RECORDS_TYPE,
    CertificateValidationRecords,
    CertificateValidationRecordsArgs,
    ValidationRecordArgs,
    validation_writer,
)
from components.edge_common import ValidationRecord
from tests.conftest import ZONE_ID, construct, one, registered

DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
#: What ACM hands over (a certificate's DomainValidationOption): fully qualified, with trailing dots.
VALIDATIONS = {
    "apex": ("_a1b2c3.app.example.org.", "_d4e5f6.acm-validations.aws."),
    "www": ("_0f9e8d.www.app.example.org.", "_7c6b5a.acm-validations.aws."),
}


def own_aliases(name: str) -> list[str]:
    """The aliases webstack gives a record (the SDK adds DnsRecord's former type, cloudflare:index/record:Record)."""
    return [alias for alias in one(name).aliases if not alias.startswith("type=")]


def provider(name: str) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(provider=cloudflare.Provider(f"{name}-cloudflare", api_token="test-token"))


def build(name: str, **args: Any) -> tuple[CertificateValidationRecords, list[str]]:
    """Records named ``<name>-<label>`` for :data:`VALIDATIONS`, and their names as the component resolves them."""
    names: list[str] = []

    def factory() -> CertificateValidationRecords:
        component = CertificateValidationRecords(
            name,
            CertificateValidationRecordsArgs(
                zone_id=ZONE_ID,
                records={
                    label: ValidationRecordArgs(name=record_name, content=content)
                    for label, (record_name, content) in VALIDATIONS.items()
                },
                name_prefix="webstack-test",
                **args,
            ),
            opts=provider(name),
        )
        component.names.apply(names.extend)
        return component

    return construct(factory), names


def test_defaults_are_secure() -> None:
    """Given only the zone and the records, the records are DNS only: Cloudflare's proxy would answer in their place
    and the certificate authority would never see the value it asked for."""
    build("valdefault")
    records = registered("valdefault-", DNS_RECORD)
    assert sorted(record.name for record in records) == ["valdefault-apex", "valdefault-www"]  # in any order
    for record in records:
        assert record.inputs["proxied"] is False
        assert record.inputs["ttl"] == 60
        assert record.inputs["zoneId"] == ZONE_ID
        assert record.parent == one("valdefault").urn
        assert record.provider_urn == one("valdefault-cloudflare").urn
        assert own_aliases(record.name) == []
    assert one("valdefault").type == VALIDATION_RECORDS_TYPE


def test_records_are_written_as_the_authority_asks_without_trailing_dots() -> None:
    _, names = build("valnames")
    for label, (record_name, content) in VALIDATIONS.items():
        record = one(f"valnames-{label}")
        assert record.inputs["name"] == record_name.rstrip(".")
        assert record.inputs["content"] == content.rstrip(".")
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["comment"] == "webstack-test: certificate validation"
    assert names == ["_a1b2c3.app.example.org", "_0f9e8d.www.app.example.org"]


def test_records_moved_from_a_component_get_an_alias_under_it() -> None:
    old_parent = "urn:pulumi:stack::project::webstack:cloudflare:Cdn::cdn"
    build("valmoved", moved_from=old_parent)
    for label in VALIDATIONS:
        assert own_aliases(f"valmoved-{label}") == [f"parent={old_parent}"]


def test_the_writer_gives_the_load_balancer_the_names_and_keeps_each_records_own_aliases() -> None:
    """The load balancer's ``validate`` hook: its records' aliases (where they lived before) become URNs."""
    names: list[str] = []

    def factory() -> None:
        owner = pulumi.ComponentResource("test:index:Owner", "valwriter-owner")
        validate = validation_writer(
            "valwriter", zone_id=ZONE_ID, moved_from="urn:pulumi:stack::project::a:b:C::old", opts=provider("valwriter")
        )
        written = validate(
            [
                ValidationRecord(
                    label, record_name, "CNAME", content, aliases=[pulumi.Alias(name=f"old-{label}", parent=owner)]
                )
                for label, (record_name, content) in VALIDATIONS.items()
            ]
        )
        pulumi.Output.all(*written).apply(names.extend)

    construct(factory)
    assert names == ["_a1b2c3.app.example.org", "_0f9e8d.www.app.example.org"]
    owner = one("valwriter-owner").urn
    for label in VALIDATIONS:
        assert own_aliases(f"valwriter-{label}") == [
            f"{owner.rsplit('::', 1)[0]}${DNS_RECORD}::old-{label}",
            "parent=urn:pulumi:stack::project::a:b:C::old",
        ]
