"""The site's DNS in Route 53, for stacks without the CDN.

A public hosted zone for the domain (or a domain it is under) exists already: creating it and delegating it from the
parent domain is an account set-up step (``docs/deploying.md``), since a zone's name servers change when it is
created again. The component looks the zone up by name (``webstack:web.hostedZone``) and writes into it:

- the records ACM checks to issue the load balancer's certificate (:meth:`Dns.validation_records`, the same contract
  as the CDN's);
- the domain and ``www`` as alias records of the load balancer (:meth:`Dns.route`), so that the uptime check and
  visitors reach it by name.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..edge_common import ValidationRecord

DNS_TYPE = "webstack:aws:Dns"


@dataclass(frozen=True)
class DnsArgs:
    """Inputs of :class:`Dns`."""

    zone_name: str
    """The Route 53 public hosted zone: the domain, or a domain it is under (``webstack:web.hostedZone``)."""
    domain: str
    """The site's domain; ``www.<domain>`` is served too."""


class Dns(pulumi.ComponentResource):
    """Records in an existing Route 53 hosted zone: certificate validation and the site's aliases."""

    zone_id: pulumi.Output[str]
    records: dict[str, aws.route53.Record]

    def __init__(self, name: str, args: DnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DNS_TYPE, name, None, opts)
        self._name, self._args = name, args
        zone = aws.route53.get_zone_output(
            name=args.zone_name, private_zone=False, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        self.zone_id = zone.zone_id
        self.records = {}
        self.register_outputs({"zoneId": self.zone_id})

    def validation_records(self, records: Sequence[ValidationRecord]) -> list[pulumi.Output[str]]:
        """The records a certificate authority checks; returns their names, to wait for. A record may exist already
        (ACM asks the same record for every certificate of the same names), so it is taken over, not refused."""
        created = [
            aws.route53.Record(
                f"{self._name}-validation-{record.label}",
                zone_id=self.zone_id,
                name=pulumi.Output.from_input(record.name).apply(lambda value: value.rstrip(".")),
                type=record.type,
                records=[pulumi.Output.from_input(record.content).apply(lambda value: value.rstrip("."))],
                ttl=60,
                allow_overwrite=True,
                opts=pulumi.ResourceOptions(parent=self, aliases=record.aliases),
            )
            for record in records
        ]
        return [record.fqdn for record in created]

    def route(self, load_balancer: aws.lb.LoadBalancer) -> list[aws.route53.Record]:
        """The domain and www as alias A records of the load balancer (Route 53 answers with its current
        addresses, and stops answering for an unhealthy one)."""
        routed = []
        for label, host in (("apex", self._args.domain), ("www", f"www.{self._args.domain}")):
            record = aws.route53.Record(
                f"{self._name}-{label}",
                zone_id=self.zone_id,
                name=host,
                type="A",
                aliases=[
                    aws.route53.RecordAliasArgs(
                        name=load_balancer.dns_name, zone_id=load_balancer.zone_id, evaluate_target_health=True
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.records[label] = record
            routed.append(record)
        return routed
