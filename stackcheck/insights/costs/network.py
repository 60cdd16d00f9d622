"""Network and load balancing: Application Load Balancers (hours, capacity units, public addresses), NAT gateways
and Elastic IP addresses."""

from __future__ import annotations

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, read
from stackcheck.insights.costs.model import CostLine
from stackcheck.insights.costs.usage import ALB_AVERAGE_LCUS, HOURS, HOURS_PER_MONTH, NAT_GB_PER_GATEWAY


def load_balancers(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        kind = str(read(r, "loadBalancerType") or "application")
        if kind != "application":
            est.note(f"{r.name}: {kind} load balancers are not in the price table: counted as 0")
            continue
        lines.append(est.line(r, "Application Load Balancer", HOURS_PER_MONTH, "elb.alb.hour", HOURS))
        lines.append(
            est.line(
                r,
                "ALB load balancer capacity units",
                ALB_AVERAGE_LCUS * HOURS_PER_MONTH,
                "elb.alb.lcu_hour",
                est.assume("ALB_AVERAGE_LCUS", ALB_AVERAGE_LCUS, "LCU on average, all month"),
            )
        )
        if not read(r, "internal"):
            zones = len(read(r, "subnets") or read(r, "subnetMappings") or []) or 1
            lines.append(
                est.line(
                    r,
                    "public IPv4 addresses of the ALB",
                    zones * HOURS_PER_MONTH,
                    "vpc.public_ipv4.hour",
                    f"one address per subnet ({zones}); {HOURS}",
                )
            )
    return lines


def nat_gateways(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    count = len(members)
    r = members[0]
    gb = est.assume("NAT_GB_PER_GATEWAY", NAT_GB_PER_GATEWAY, "GB processed a month per NAT gateway")
    return [
        est.line(r, f"NAT gateways ({count})", count * HOURS_PER_MONTH, "vpc.nat.hour", HOURS),
        est.line(r, "NAT gateway data processed", count * NAT_GB_PER_GATEWAY, "vpc.nat.gb", gb),
    ]


def elastic_ips(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    count = len(members)
    return [
        est.line(
            members[0],
            f"Elastic IP addresses ({count})",
            count * HOURS_PER_MONTH,
            "vpc.public_ipv4.hour",
            f"every public IPv4 address is billed, attached or not; {HOURS}",
        )
    ]
