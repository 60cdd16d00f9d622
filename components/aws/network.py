"""The network every other aws component lives in.

Creates:

- a VPC with DNS support and DNS hostnames, and its default security group taken under management with no rules
  (AWS's default group otherwise lets every member talk to every other and to the internet);
- three subnet tiers in each of N availability zones, placed by zone ID (the same physical zones in every account):
  ``public`` (load balancer and NAT gateways), ``app`` (private: the services, out to the internet only through NAT)
  and ``data`` (isolated: databases and caches, no route to the internet at all); no tier maps public IPs on launch
  (NAT gateways take their Elastic IPs, the load balancer's nodes get addresses of their own);
- an internet gateway; NAT gateways, one per AZ (a lost zone never cuts the others off) or a single shared one;
- route tables: public -> internet gateway; app -> its zone's NAT gateway; data -> nothing beyond the VPC;
- VPC flow logs of ALL traffic into a CloudWatch log group encrypted with a customer KMS key and kept for a set
  number of days, delivered by a role that may write to that group only;
- four security groups with least privilege, each rule a separate resource with one source and a description:
  ``lb`` (80 and 443 from the configured CIDRs; out only to the app ports of ``app``), ``app`` (the app ports only
  from ``lb``; SSH only from the admin CIDRs, and only when there are any; out to HTTPS, the database and the
  cache), ``data`` (the database port only from ``app``) and ``cache`` (the Redis port only from ``app``).
  The groups carry a ``webstack:role`` tag so that the policy pack knows which one may face the internet.
"""

import ipaddress
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..naming import ROLE_APP, ROLE_CACHE, ROLE_DATA, ROLE_LOAD_BALANCER, ROLE_TAG
from ..settings import LOG_RETENTION_DAYS, PRIVATE_RANGES, plan_subnets
from .account import Account
from .args_errors import invalid

NETWORK_TYPE = "webstack:aws:Network"

#: Redis/Valkey's port.
CACHE_PORT = 6379
SSH_PORT = 22


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of :class:`Network`. Every default is the secure choice; the account, the prefix and the flow logs'
    key have none."""

    account: Account
    """The account and region (exact ARNs in the flow-log role's policy)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    flow_log_key_arn: pulumi.Input[str]
    """ARN of the customer KMS key that encrypts the flow-log group. Required: flow logs are never unencrypted."""
    cidr: str = "10.0.0.0/16"
    """IPv4 CIDR of the VPC, a private (RFC 1918) range from /16 to /24, cut into four equal quarters: the public,
    app and data subnets, and one left free."""
    az_count: int = 3
    """Availability zones every tier spreads over (2-6): a lost zone leaves the others serving."""
    subnet_prefix_length: int = 20
    """Prefix length of each subnet (/17-/28); each tier's quarter of ``cidr`` must hold ``az_count`` of them."""
    availability_zone_ids: Sequence[str] = ()
    """The zones by zone ID (``use1-az1``), ``az_count`` of them in subnet order: the same physical zones in every
    account, where zone names differ. Empty: the region's first ``az_count`` zones by name."""
    single_nat_gateway: bool = False
    """One NAT gateway shared by every zone (cheaper, for non-production). Default: a NAT gateway per zone, so that
    losing a zone never cuts the others off the internet."""
    flow_log_retention_days: int = 365
    """Days CloudWatch keeps the VPC flow logs (a retention CloudWatch accepts: 30, 90, 365, ...)."""
    lb_ingress_cidrs: Sequence[str] = ("0.0.0.0/0",)
    """Who reaches the load balancer on 80 and 443 (at least one CIDR, IPv4 or IPv6): behind a CDN, its published
    ranges only."""
    admin_cidrs: Sequence[str] = ()
    """Who reaches the app tier over SSH (port 22), each /16 or narrower (IPv6: /48). Default: no SSH rule at all."""
    app_ports: Sequence[int] = (3000, 8000)
    """Ports the services listen on; only the load balancer's group reaches them."""
    database_port: int = 5432
    """Port of the database; only the app group reaches it."""
    cache_port: int = CACHE_PORT
    """Port of the cache; only the app group reaches it."""
    protect: bool = False
    """Protect the flow-log group (the network's audit trail) from deletion by Pulumi (on in production)."""


class ZoneChoiceError(ValueError):
    """The zones :class:`NetworkArgs` asks for are not what the region offers (known only once the region answers).
    ``field`` is the Args field as a program writes it (``az_count``, ``availability_zone_ids[1]``), ``rule`` what
    it must be and ``got`` its value, so that a stack can name its own setting instead."""

    def __init__(self, field: str, rule: str, got: object) -> None:
        super().__init__(f"NetworkArgs.{field} must {rule}, got {got!r}")
        self.field, self.rule, self.got = field, rule, got


def validate_network_args(args: NetworkArgs) -> None:
    """What AWS would refuse at deploy time, or what would open the network; errors name the Args field. (A stack's
    ``webstack:network`` is checked earlier, naming its keys, in ``components/settings/network.py``.)"""
    vpc = _ip_network(args, "cidr", args.cidr)
    if not isinstance(vpc, ipaddress.IPv4Network) or not any(vpc.subnet_of(r) for r in PRIVATE_RANGES):
        rule = "be a private IPv4 range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"
        raise invalid(args, "cidr", rule, args.cidr)
    if not 16 <= vpc.prefixlen <= 24:
        raise invalid(args, "cidr", "be between /16 and /24", args.cidr)
    if not 2 <= args.az_count <= 6:
        raise invalid(args, "az_count", "be between 2 and 6", args.az_count)
    if not 17 <= args.subnet_prefix_length <= 28:
        raise invalid(args, "subnet_prefix_length", "be between 17 and 28", args.subnet_prefix_length)
    smallest = vpc.prefixlen + 2 + math.ceil(math.log2(args.az_count))
    if args.subnet_prefix_length < smallest:
        rule = f"be at least {smallest}: a quarter of {args.cidr} must hold az_count ({args.az_count}) subnets"
        raise invalid(args, "subnet_prefix_length", rule, args.subnet_prefix_length)
    ids = list(args.availability_zone_ids)
    if ids and (len(ids) != args.az_count or len(set(ids)) != len(ids)):
        raise invalid(args, "availability_zone_ids", f"list az_count ({args.az_count}) distinct zone IDs", ids)
    if args.flow_log_retention_days not in LOG_RETENTION_DAYS:
        rule = "be a retention CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)"
        raise invalid(args, "flow_log_retention_days", rule, args.flow_log_retention_days)
    if not args.lb_ingress_cidrs:
        raise invalid(args, "lb_ingress_cidrs", "list at least one CIDR, or nobody reaches the load balancer", [])
    for index, cidr in enumerate(args.lb_ingress_cidrs):
        _ip_network(args, f"lb_ingress_cidrs[{index}]", cidr)
    for index, cidr in enumerate(args.admin_cidrs):
        net = _ip_network(args, f"admin_cidrs[{index}]", cidr)
        widest = 16 if net.version == 4 else 48
        if net.prefixlen < widest:
            rule = f"be /{widest} or narrower: SSH is never open to the internet"
            raise invalid(args, f"admin_cidrs[{index}]", rule, cidr)


def _ip_network(args: NetworkArgs, field: str, value: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise invalid(args, field, "be a CIDR block such as 10.0.0.0/16, with no host bits set", value) from None


class Network(pulumi.ComponentResource):
    """VPC, subnet tiers, gateways, routes, flow logs and least-privilege security groups."""

    vpc: aws.ec2.Vpc
    """The VPC."""
    availability_zones: list[str]
    """The zones' names in this account (what takes names: a read replica's zone), in subnet order."""
    availability_zone_ids: list[str]
    """The zones' IDs, the same physical zones in every account; the subnets are placed by them."""
    public_subnets: list[aws.ec2.Subnet]
    """The public tier (load balancer, NAT gateways), one subnet per zone."""
    app_subnets: list[aws.ec2.Subnet]
    """The private app tier (the services), one subnet per zone."""
    data_subnets: list[aws.ec2.Subnet]
    """The isolated data tier (databases, caches), one subnet per zone."""
    nat_gateways: list[aws.ec2.NatGateway]
    """One per zone, or the single shared one."""
    flow_log_group: aws.cloudwatch.LogGroup
    """The encrypted log group of the VPC's flow logs."""
    lb_security_group: aws.ec2.SecurityGroup
    """The load balancer's group: 80/443 from ``lb_ingress_cidrs``."""
    app_security_group: aws.ec2.SecurityGroup
    """The services' group: the app ports from the load balancer only."""
    data_security_group: aws.ec2.SecurityGroup
    """The databases' group: the database port from the app tier only."""
    cache_security_group: aws.ec2.SecurityGroup
    """The caches' group: the cache port from the app tier only."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_network_args(args)
        super().__init__(NETWORK_TYPE, name, None, opts)
        self._name = name
        self._args = args
        child = pulumi.ResourceOptions(parent=self)

        zones = self._zones()
        self.availability_zones = [name for name, _ in zones]
        self.availability_zone_ids = [zone_id for _, zone_id in zones]
        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{args.name_prefix}-vpc"},
            opts=child,
        )
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{args.name_prefix}-default-unused"},
            opts=child,
        )

        plan = plan_subnets(args.cidr, args.az_count, args.subnet_prefix_length)
        self.public_subnets = self._subnets("public", plan["public"])
        self.app_subnets = self._subnets("app", plan["app"])
        self.data_subnets = self._subnets("data", plan["data"])

        gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{args.name_prefix}-igw"}, opts=child
        )
        self.nat_gateways = self._nat_gateways(gateway, 1 if args.single_nat_gateway else args.az_count)
        self._routes(gateway)
        self.flow_log_group = self._flow_logs()
        self._security_groups()

        self.register_outputs(
            {
                "vpcId": self.vpc.id,
                "publicSubnetIds": [s.id for s in self.public_subnets],
                "appSubnetIds": [s.id for s in self.app_subnets],
                "dataSubnetIds": [s.id for s in self.data_subnets],
                "securityGroupIds": self.security_group_ids,
                "flowLogGroupName": self.flow_log_group.name,
            }
        )

    @property
    def security_group_ids(self) -> dict[str, pulumi.Output[str]]:
        """The security groups' ids by role: lb, app, data, cache."""
        return {
            ROLE_LOAD_BALANCER: self.lb_security_group.id,
            ROLE_APP: self.app_security_group.id,
            ROLE_DATA: self.data_security_group.id,
            ROLE_CACHE: self.cache_security_group.id,
        }

    def _zones(self) -> list[tuple[str, str]]:
        """(name, zone ID) of the zones the subnets go to: those ``availability_zone_ids`` lists, else the region's
        first ``az_count`` by name. Zone names map to physical zones differently in every account, zone IDs do not
        (EC2 user guide, "AZ IDs"), so the subnets are placed by ID."""
        # Local Zones and Wavelength Zones need opting in and lack most services: use the region's own zones only.
        found = aws.get_availability_zones(
            state="available",
            filters=[aws.GetAvailabilityZonesFilterArgs(name="opt-in-status", values=["opt-in-not-required"])],
            opts=pulumi.InvokeOptions(parent=self),
        )
        zones = list(zip(found.names, found.zone_ids, strict=True))
        region, count, chosen = self._args.account.region, self._args.az_count, self._args.availability_zone_ids
        if len(zones) < count:
            raise ZoneChoiceError("az_count", f"be at most {len(zones)}, the availability zones {region} offers", count)
        if not chosen:
            return zones[:count]
        names = {zone_id: name for name, zone_id in zones}
        for index, zone_id in enumerate(chosen):
            if zone_id not in names:
                offered = ", ".join(sorted(names))
                raise ZoneChoiceError(
                    f"availability_zone_ids[{index}]", f"be a zone ID {region} offers ({offered})", zone_id
                )
        return [(names[zone_id], zone_id) for zone_id in chosen]

    def _subnets(self, tier: str, cidrs: list[str]) -> list[aws.ec2.Subnet]:
        return [
            aws.ec2.Subnet(
                f"{self._name}-{tier}-{index}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone_id=zone_id,
                map_public_ip_on_launch=False,
                tags={"Name": f"{self._args.name_prefix}-{tier}-{zone}", "webstack:tier": tier},
                opts=pulumi.ResourceOptions(parent=self),
            )
            for index, (cidr, zone, zone_id) in enumerate(
                zip(cidrs, self.availability_zones, self.availability_zone_ids, strict=True)
            )
        ]

    def _nat_gateways(self, gateway: aws.ec2.InternetGateway, count: int) -> list[aws.ec2.NatGateway]:
        gateways = []
        for index in range(count):
            zone = self.availability_zones[index]
            address = aws.ec2.Eip(
                f"{self._name}-nat-eip-{index}",
                domain="vpc",
                tags={"Name": f"{self._args.name_prefix}-nat-{zone}"},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{index}",
                    allocation_id=address.allocation_id,
                    subnet_id=self.public_subnets[index].id,
                    connectivity_type="public",
                    tags={"Name": f"{self._args.name_prefix}-nat-{zone}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[gateway]),
                )
            )
        return gateways

    def _routes(self, gateway: aws.ec2.InternetGateway) -> None:
        # Routes are inline so that Pulumi owns each table's routes exclusively: a route added by hand (say, the
        # data tier to the internet) shows up as drift and is removed on the next update.
        prefix = self._args.name_prefix
        public = aws.ec2.RouteTable(
            f"{self._name}-public-rt",
            vpc_id=self.vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=gateway.id)],
            tags={"Name": f"{prefix}-public"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._associate("public", public, self.public_subnets)
        for index, subnet in enumerate(self.app_subnets):
            nat = self.nat_gateways[index if len(self.nat_gateways) > 1 else 0]
            table = aws.ec2.RouteTable(
                f"{self._name}-app-rt-{index}",
                vpc_id=self.vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)],
                tags={"Name": f"{prefix}-app-{self.availability_zones[index]}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self._associate("app", table, [subnet], start=index)
        isolated = aws.ec2.RouteTable(
            f"{self._name}-data-rt",
            vpc_id=self.vpc.id,
            routes=[],
            tags={"Name": f"{prefix}-data-isolated"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._associate("data", isolated, self.data_subnets)

    def _associate(self, tier: str, table: aws.ec2.RouteTable, subnets: list[aws.ec2.Subnet], start: int = 0) -> None:
        for offset, subnet in enumerate(subnets):
            aws.ec2.RouteTableAssociation(
                f"{self._name}-{tier}-rta-{start + offset}",
                route_table_id=table.id,
                subnet_id=subnet.id,
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _flow_logs(self) -> aws.cloudwatch.LogGroup:
        args, account = self._args, self._args.account
        group_name = f"/{args.name_prefix}/vpc-flow-logs"
        group = aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs",
            name=group_name,
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.flow_log_key_arn,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        role = aws.iam.Role(
            f"{self._name}-flow-logs-role",
            description=f"{args.name_prefix}: delivers VPC flow logs to {group_name}",
            # Confused-deputy guard: only flow logs of this account may use the role.
            assume_role_policy=account.trust_policy("vpc-flow-logs", source_arn=account.arn("ec2", "vpc-flow-log/*")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{self._name}-flow-logs-write",
            role=role.id,
            policy=group.arn.apply(
                lambda arn: _json(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "WriteThisGroupOnly",
                                "Effect": "Allow",
                                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                "Resource": [arn, f"{arn}:*"],
                            },
                            {
                                "Sid": "FindTheGroup",
                                "Effect": "Allow",
                                "Action": "logs:DescribeLogGroups",
                                "Resource": account.arn("logs", "log-group:*"),
                            },
                        ],
                    }
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{args.name_prefix}-vpc-flow-log"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        return group

    def _security_groups(self) -> None:
        args = self._args
        self.lb_security_group = self._group(ROLE_LOAD_BALANCER, "load balancer: HTTP and HTTPS from the edge")
        self.app_security_group = self._group(ROLE_APP, "services: app ports from the load balancer only")
        self.data_security_group = self._group(ROLE_DATA, "databases: the database port from the app tier only")
        self.cache_security_group = self._group(ROLE_CACHE, "caches: the Redis port from the app tier only")
        lb = _Peer.of(ROLE_LOAD_BALANCER, self.lb_security_group)
        app = _Peer.of(ROLE_APP, self.app_security_group)
        data = _Peer.of(ROLE_DATA, self.data_security_group)
        cache = _Peer.of(ROLE_CACHE, self.cache_security_group)

        for cidr in args.lb_ingress_cidrs:
            self._rule("in", lb, 443, _Peer.cidr_block(cidr), f"HTTPS from {cidr}")
            self._rule("in", lb, 80, _Peer.cidr_block(cidr), f"HTTP from {cidr} (redirected to HTTPS)")
        for port in sorted(set(args.app_ports)):
            self._rule("out", lb, port, app, f"to the services on {port}")
            self._rule("in", app, port, lb, f"service port {port} from the load balancer")
        for cidr in args.admin_cidrs:
            self._rule("in", app, SSH_PORT, _Peer.cidr_block(cidr), f"SSH for administrators from {cidr}")
        self._rule("out", app, 443, _Peer.cidr_block("0.0.0.0/0"), "HTTPS to AWS APIs and image registries")
        self._rule("out", app, args.database_port, data, "to the database")
        self._rule("out", app, args.cache_port, cache, "to the cache")
        self._rule("in", data, args.database_port, app, "database from the app tier")
        self._rule("in", cache, args.cache_port, app, "Redis from the app tier")

    def _group(self, role: str, purpose: str) -> aws.ec2.SecurityGroup:
        return aws.ec2.SecurityGroup(
            f"{self._name}-{role}-sg",
            description=f"{self._args.name_prefix} {purpose}",
            vpc_id=self.vpc.id,
            revoke_rules_on_delete=True,
            tags={"Name": f"{self._args.name_prefix}-{role}", ROLE_TAG: role},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _rule(self, direction: str, target: "_Peer", port: int, peer: "_Peer", description: str) -> None:
        """One TCP port between ``target`` and one ``peer``, named after both so that reordering a list of CIDRs
        replaces nothing."""
        assert target.group is not None
        rule = aws.vpc.SecurityGroupIngressRule if direction == "in" else aws.vpc.SecurityGroupEgressRule
        rule(
            f"{self._name}-{target.slug}-{direction}-{port}-{peer.slug}",
            security_group_id=target.group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=description,
            cidr_ipv4=peer.ipv4,
            cidr_ipv6=peer.ipv6,
            referenced_security_group_id=peer.group.id if peer.group is not None else None,
            opts=pulumi.ResourceOptions(parent=self),
        )


@dataclass(frozen=True)
class _Peer:
    """One side of a rule: a security group (with its role) or a CIDR block (IPv4 or IPv6)."""

    slug: str
    group: aws.ec2.SecurityGroup | None = None
    cidr: str | None = None

    @classmethod
    def of(cls, role: str, group: aws.ec2.SecurityGroup) -> "_Peer":
        return cls(slug=role, group=group)

    @classmethod
    def cidr_block(cls, cidr: str) -> "_Peer":
        return cls(slug=re.sub(r"[^0-9a-f]+", "-", cidr.lower()).strip("-"), cidr=cidr)

    @property
    def ipv4(self) -> str | None:
        return self.cidr if self.cidr and ":" not in self.cidr else None

    @property
    def ipv6(self) -> str | None:
        return self.cidr if self.cidr and ":" in self.cidr else None


def _json(document: dict[str, object]) -> str:
    return json.dumps(document, sort_keys=True)
