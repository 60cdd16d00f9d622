"""The DNS records a certificate authority checks before it issues a certificate, written to a Cloudflare zone.

Creates one unproxied ``DnsRecord`` per record the certificate asks for (ACM's DNS validation: a CNAME per name on the
certificate), named ``<component>-<label>``, with a short TTL so that a re-issued certificate validates soon. Names
and contents come as the authority gives them (fully qualified, with a trailing dot) and are written without it, as
Cloudflare stores them. ``names`` lists the records' names, for the certificate's validation to wait for.

A component of its own rather than a method of the ``Cdn``: the certificate's records exist before the load balancer
does, and the ``Cdn`` takes the load balancer as its origin, so it is built after it.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_cloudflare as cloudflare

from .edge_common import ValidationRecord

VALIDATION_RECORDS_TYPE = "webstack:cdn:CertificateValidationRecords"
#: The records' own type, for the URNs of their earlier identities.
DNS_RECORD_TYPE = "cloudflare:index/dnsRecord:DnsRecord"
#: Seconds a resolver keeps a validation record: short, as the record may change with a re-issued certificate.
VALIDATION_TTL = 60


@dataclass(frozen=True)
class ValidationRecordArgs:
    """One DNS record a certificate authority checks, as the authority gives it."""

    name: pulumi.Input[str]
    """The record's fully qualified name (a trailing dot is dropped)."""
    content: pulumi.Input[str]
    """What the record holds (a trailing dot is dropped)."""
    type: pulumi.Input[str] = "CNAME"
    """The record's type. Default: CNAME, what ACM's DNS validation asks for."""
    aliases: list[pulumi.Input[str]] | None = None
    """URNs the record had before, so that moving it is no delete-and-create (the zone refuses a second record of the
    same name meanwhile). Default: none."""


@dataclass(frozen=True)
class CertificateValidationRecordsArgs:
    """Inputs of :class:`CertificateValidationRecords`."""

    zone_id: pulumi.Input[str]
    """Id of the Cloudflare zone the certificate's names are in. Required."""
    records: dict[str, ValidationRecordArgs] = field(default_factory=dict)
    """The records the certificate asks for, by label (``apex``, ``www``): each record is named
    ``<component>-<label>``. Default: none."""
    name_prefix: str = "webstack"
    """Starts each record's comment, e.g. ``webstack-prod: certificate validation``. Default: ``webstack``."""
    moved_from: pulumi.Input[str] | None = None
    """URN of the component the records were children of before, under the same names (webstack's ``Cdn`` wrote
    them, before they had a component of their own): each record gets an alias under it, so the move keeps them.
    Default: none."""


class CertificateValidationRecords(pulumi.ComponentResource):
    """Unproxied DNS records in a Cloudflare zone that a certificate authority checks to issue a certificate."""

    names: pulumi.Output[list[str]]
    """The records' names, without the trailing dot: what the certificate's validation waits for."""

    def __init__(
        self, name: str, args: CertificateValidationRecordsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(VALIDATION_RECORDS_TYPE, name, None, opts)
        self.records: dict[str, cloudflare.DnsRecord] = {}
        for label, record in args.records.items():
            aliases: list[pulumi.Input[str | pulumi.Alias]] = list(record.aliases or [])
            if args.moved_from is not None:
                aliases.append(pulumi.Alias(parent=args.moved_from))
            self.records[label] = cloudflare.DnsRecord(
                f"{name}-{label}",
                zone_id=args.zone_id,
                name=_without_root(record.name),
                type=record.type,
                content=_without_root(record.content),
                proxied=False,
                ttl=VALIDATION_TTL,
                comment=f"{args.name_prefix}: certificate validation",
                opts=pulumi.ResourceOptions(parent=self, aliases=aliases),
            )
        self.names = pulumi.Output.all(*(record.name for record in self.records.values()))
        self.register_outputs({"names": self.names})


def validation_writer(
    name: str,
    *,
    zone_id: pulumi.Input[str],
    name_prefix: str = "webstack",
    moved_from: pulumi.Input[str] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> Callable[[Sequence[ValidationRecord]], list[pulumi.Output[str]]]:
    """A load balancer's ``validate``: writes the records its certificate asks for as a
    :class:`CertificateValidationRecords` named ``name`` (each record's own aliases kept, as URNs), and returns the
    records' names."""

    def validate(records: Sequence[ValidationRecord]) -> list[pulumi.Output[str]]:
        component = CertificateValidationRecords(
            name,
            CertificateValidationRecordsArgs(
                zone_id=zone_id,
                records={
                    record.label: ValidationRecordArgs(
                        name=record.name,
                        type=record.type,
                        content=record.content,
                        aliases=[_urn(alias, f"{name}-{record.label}") for alias in record.aliases],
                    )
                    for record in records
                },
                name_prefix=name_prefix,
                moved_from=moved_from,
            ),
            opts=opts,
        )
        return [record.name for record in component.records.values()]

    return validate


def _urn(alias: pulumi.Alias, name: str) -> pulumi.Output[str]:
    """The URN an alias of the record ``name`` stands for: the alias's name (else the record's) and parent."""
    if alias.parent is ...:
        raise ValueError(f"validation record {name}: an alias must name its parent, got {alias!r}")
    return pulumi.create_urn(alias.name if isinstance(alias.name, str) else name, DNS_RECORD_TYPE, parent=alias.parent)


def _without_root(value: pulumi.Input[str]) -> pulumi.Output[str]:
    """A fully qualified name as Cloudflare stores it: without the trailing dot of the DNS root."""
    return pulumi.Output.from_input(value).apply(lambda text: text.rstrip("."))
