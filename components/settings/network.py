"""``webstack:network``: the VPC's range, its zones and subnet tiers, NAT, flow logs, and who may reach the edge
(the load balancer's ingress CIDRs, SSH's admin CIDRs), with the subnet plan both platforms' network code follows."""

from __future__ import annotations

import ipaddress
import math
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from .base import RetentionDays, _got, _Model, _network, _problem, _unique

#: Subnet tiers, in the order their address ranges are laid out inside the VPC (a fourth quarter stays free).
SUBNET_TIERS = ("public", "app", "data")


def _any_cidr(value: str) -> str:
    _network(value, "203.0.113.0/24")
    return value


def _admin_cidr(value: str) -> str:
    net = _network(value, "203.0.113.10/32")
    widest = 16 if net.version == 4 else 48
    if net.prefixlen < widest:
        raise _problem(f"must be /{widest} or narrower: SSH is never open to the internet, got {value}")
    return value


# -- zones by ID -------------------------------------------------------------------------------------------------------
def _zone_id(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2,4}\d+(-[a-z]+\d+)?-az\d+", value):
        raise _problem(
            "must be an availability zone ID like use1-az1 (zone names such as us-east-1a mean different zones in "
            f"different accounts), got {_got(value)}"
        )
    return value


class NetworkSettings(_Model):
    """``webstack:network``: the VPC, its subnet tiers and who may reach the edge."""

    cidr: str = Field(
        default="10.0.0.0/16",
        description="IPv4 CIDR of the VPC, a private (RFC 1918) range from /16 to /24. It is split into four "
        "equal ranges: public, app and data subnets, and one left free.",
    )
    az_count: Annotated[int, Field(ge=2, le=6)] = Field(
        default=3,
        description="Availability zones to spread every tier over (2-6). Load balancers and databases need at least 2.",
    )
    subnet_prefix_length: Annotated[int, Field(ge=17, le=28)] = Field(
        default=20,
        description="Prefix length of each subnet (/17-/28). Each tier's range must hold azCount subnets of this size.",
    )
    nat_gateways: Literal["perAz", "single"] = Field(
        default="perAz",
        description="`perAz`: one NAT gateway per availability zone, so losing a zone never cuts the others off the "
        "internet. `single`: one shared NAT gateway (cheaper, for non-production stacks).",
    )
    flow_log_retention_days: RetentionDays = Field(
        default=365,
        description="Days CloudWatch keeps the VPC flow logs (a value CloudWatch accepts: 30, 90, 365, ...).",
    )
    lb_ingress_cidrs: list[Annotated[str, AfterValidator(_any_cidr)]] = Field(
        default=["0.0.0.0/0"],
        description="CIDRs allowed to reach the load balancer on ports 80 and 443.",
    )
    admin_cidrs: list[Annotated[str, AfterValidator(_admin_cidr)]] = Field(
        default=[],
        description="CIDRs allowed to reach the app tier over SSH (port 22). Empty: no SSH rule exists at all. Each "
        "must be /16 or narrower (IPv6: /48); the internet (0.0.0.0/0, ::/0) is never accepted.",
    )
    # -- zones by ID ---------------------------------------------------------------------------------------------------
    availability_zone_ids: list[Annotated[str, AfterValidator(_zone_id)]] = Field(
        default=[],
        description="The zones to use, by zone ID (e.g. use1-az1), one per zone (azCount of them), in subnet order: "
        "the same physical zones in every account, where zone names (us-east-1a) differ. Empty: the region's first "
        "azCount zones by name.",
    )

    @field_validator("availability_zone_ids")
    @classmethod
    def _zone_ids(cls, value: list[str]) -> list[str]:
        _unique(value)
        return value

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        net = _network(value)
        if not isinstance(net, ipaddress.IPv4Network):
            raise _problem(f"must be an IPv4 CIDR block, got {_got(value)}")
        if not any(net.subnet_of(private) for private in PRIVATE_RANGES):
            raise _problem(f"must be a private range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got {value}")
        if not 16 <= net.prefixlen <= 24:
            raise _problem(
                f"must be between /16 and /24 (AWS allows /16-/28; /24 is the smallest that fits), got {value}"
            )
        return value

    @field_validator("lb_ingress_cidrs")
    @classmethod
    def _lb_cidrs(cls, value: list[str]) -> list[str]:
        if not value:
            raise _problem("must list at least one CIDR, or nobody can reach the load balancer, got an empty list")
        _unique(value)
        return value

    @field_validator("admin_cidrs")
    @classmethod
    def _admin_cidrs(cls, value: list[str]) -> list[str]:
        _unique(value)
        return value

    @model_validator(mode="after")
    def _one_zone_id_per_zone(self) -> NetworkSettings:
        ids = self.availability_zone_ids
        if ids and len(ids) != self.az_count:
            raise _problem(
                f"must list azCount ({self.az_count}) zone IDs, one per zone, got {len(ids)}",
                field="availabilityZoneIds",
            )
        return self

    @model_validator(mode="after")
    def _subnet_plan(self) -> NetworkSettings:
        vpc = ipaddress.ip_network(self.cidr)
        tier_prefix = vpc.prefixlen + 2
        slots_needed = math.ceil(math.log2(self.az_count))
        if self.subnet_prefix_length < tier_prefix + slots_needed:
            smallest_vpc = self.subnet_prefix_length - 2 - slots_needed
            raise _problem(
                f"{self.cidr} is too small for the subnet plan: 3 tiers x {self.az_count} AZs of "
                f"/{self.subnet_prefix_length} subnets need a /{smallest_vpc} or larger VPC "
                f"(or a longer webstack:network.subnetPrefixLength), got /{vpc.prefixlen}",
                field="cidr",
            )
        return self


def plan_subnets(cidr: str, az_count: int, prefix_length: int) -> dict[str, list[str]]:
    """The subnet CIDRs of each tier, one per AZ: the VPC range is cut into four equal quarters (public, app, data,
    free) and each tier's subnets are taken from the start of its quarter, so growing azCount keeps every existing
    subnet where it is."""
    quarters = list(ipaddress.ip_network(cidr).subnets(prefixlen_diff=2))
    plan: dict[str, list[str]] = {}
    for tier, quarter in zip(SUBNET_TIERS, quarters, strict=False):
        subnets = quarter.subnets(new_prefix=prefix_length)
        plan[tier] = [str(next(subnets)) for _ in range(az_count)]
    return plan


#: The private IPv4 ranges (RFC 1918) a VPC's CIDR is taken from.
PRIVATE_RANGES = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
