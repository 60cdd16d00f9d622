"""Network rules: flow logs, the default security group, and who may reach what.

Stack rules join resources through property dependencies (a rule resource to its group through
``securityGroupId``, a subnet to its VPC through ``vpcId``, ...), never through ids, which are unknown during a
preview.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import (
    INGRESS_RULE,
    INGRESS_TYPES,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    ingress_of,
    is_internet,
    role_of,
    schema,
    setting,
    stack_ingress,
    within,
)
from ._props import UNKNOWN, as_text, depends_on, is_list, is_true, plural, prop

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ECS_SERVICE = "aws:ecs/service:Service"
RDS_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
CACHE_SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup"


# -- flow logs ---------------------------------------------------------------------------------------------------------
def _flow_logs(args: StackValidationArgs, report: ReportViolation) -> None:
    flow_logs = [r for r in args.resources if r.resource_type == FLOW_LOG and r.props.get("trafficType") == "ALL"]
    for vpc in (r for r in args.resources if r.resource_type == VPC):
        if not any(depends_on(log, "vpcId", vpc.urn) for log in flow_logs):
            report(
                "This VPC has no flow log of ALL traffic: add an aws.ec2.FlowLog with vpc_id=<this vpc>.id and "
                'traffic_type="ALL" delivering to an encrypted log group.',
                vpc.urn,
            )


vpc_flow_logs_enabled = StackValidationPolicy(
    name="aws-vpc-flow-logs-enabled",
    description="Checks that every VPC has a flow log that captures ALL traffic.",
    validate=_flow_logs,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["network", "logging", "checklist:logging", "fsbp:EC2.6"],
    remediation_steps="Create an aws.ec2.FlowLog for the VPC with traffic_type ALL, delivering to a KMS-encrypted "
    "CloudWatch log group with retention (webstack's Network component does this).",
)


# -- default security group --------------------------------------------------------------------------------------------
def _default_security_group(args: StackValidationArgs, report: ReportViolation) -> None:
    defaults = [r for r in args.resources if r.resource_type == DEFAULT_SECURITY_GROUP]
    for vpc in (r for r in args.resources if r.resource_type == VPC):
        if not any(depends_on(group, "vpcId", vpc.urn) for group in defaults):
            report(
                "This VPC's default security group is not managed, so it keeps AWS's allow-all rules: add an "
                "aws.ec2.DefaultSecurityGroup with vpc_id=<this vpc>.id, ingress=[] and egress=[].",
                vpc.urn,
            )
    for group in defaults:
        ingress, egress = group.props.get("ingress") or [], group.props.get("egress") or []
        if ingress or egress:
            report(
                f"The default security group has {len(ingress)} ingress and {len(egress)} egress rules: set "
                "ingress=[] and egress=[] and put rules on purpose-made security groups.",
                group.urn,
            )


default_security_group_restricted = StackValidationPolicy(
    name="aws-default-security-group-restricted",
    description="Checks that every VPC's default security group is managed and has no rules, so it allows no traffic "
    "at all.",
    validate=_default_security_group,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["network", "fsbp:EC2.2", "checklist:firewall-only-80-443"],
    remediation_steps="Adopt the default security group with aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], "
    "egress=[]); nothing should be placed in it.",
)


# -- public ingress ----------------------------------------------------------------------------------------------------
_PUBLIC_SCHEMA = schema(
    {
        "publicPorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": [80, 443],
            "description": "TCP ports the internet may reach.",
        },
        "publicRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["lb"],
            "description": "webstack:role tags of the security groups that may face the internet.",
        },
    }
)


def _public_ingress(args: StackValidationArgs, report: ReportViolation) -> None:
    ports = {int(p) for p in setting(args, _PUBLIC_SCHEMA, "publicPorts")}
    roles = set(setting(args, _PUBLIC_SCHEMA, "publicRoles"))
    for rule in stack_ingress(args.resources):
        public = [cidr for cidr in rule.cidrs if is_internet(cidr)]
        if not public:
            continue
        allowed = sorted(ports)
        if rule.protocol != "tcp" or any(port not in ports for port in range(rule.from_port, rule.to_port + 1)):
            report(
                f"{rule.describe_ports()} is open to the internet ({', '.join(public)}): only TCP ports "
                f"{', '.join(map(str, allowed))} may be; reach anything else through the load balancer.",
                rule.urn,
            )
        elif role_of(rule.group) not in roles:
            where = (
                f"the '{role_of(rule.group)}' group"
                if role_of(rule.group)
                else "a group that is not the load balancer's"
            )
            report(
                f"{rule.describe_ports()} from the internet ({', '.join(public)}) opens {where}: only a group tagged "
                f"webstack:role={'/'.join(sorted(roles))} may face the internet.",
                rule.urn,
            )


security_group_no_public_ingress = StackValidationPolicy(
    name="aws-security-group-no-public-ingress",
    description="Checks that the internet (0.0.0.0/0, ::/0) reaches only ports 80 and 443 (`publicPorts`), and only "
    "the load balancer's security group (tagged `webstack:role=lb`).",
    validate=_public_ingress,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PUBLIC_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["network", "checklist:firewall-only-80-443", "fsbp:EC2.18", "fsbp:EC2.19"],
    remediation_steps="Remove the rule, or narrow its source to known CIDRs; put public entry points behind the "
    "load balancer, whose group carries the tag webstack:role=lb.",
)


# -- SSH ---------------------------------------------------------------------------------------------------------------
_SSH_SCHEMA = schema(
    {
        "managementCidrs": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "CIDRs SSH may come from. Empty: any non-internet source.",
        },
    }
)
SSH_PORT = 22


def _ssh(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in INGRESS_TYPES:
        return
    allowed = list(setting(args, _SSH_SCHEMA, "managementCidrs"))
    for rule in ingress_of(args.resource_type, args.props, args.urn):
        if not rule.covers(SSH_PORT):
            continue
        for cidr in rule.cidrs:
            if is_internet(cidr):
                report(
                    f"SSH (port 22, in {rule.describe_ports()}) is open to the internet from {cidr}: allow it only "
                    "from administrators' CIDRs (webstack:network.adminCidrs), or not at all.",
                    None,
                )
            elif allowed and not within(cidr, allowed):
                report(
                    f"SSH (port 22) is open to {cidr}, which is outside the management CIDRs "
                    f"({', '.join(allowed)}): narrow the rule to those.",
                    None,
                )


security_group_no_public_ssh = ResourceValidationPolicy(
    name="aws-security-group-no-public-ssh",
    description="Checks that SSH (port 22) is never open to the internet, and only to the management CIDRs when "
    "those are configured.",
    validate=_ssh,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SSH_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["network", "checklist:ssh-restricted", "fsbp:EC2.13"],
    remediation_steps="Remove the SSH rule or limit its source to administrators' addresses "
    "(webstack:network.adminCidrs); prefer SSM Session Manager or ECS Exec to SSH.",
)


# -- private ports -----------------------------------------------------------------------------------------------------
_PRIVATE_SCHEMA = schema(
    {
        "privatePorts": {
            "type": "array",
            "items": {"type": "integer"},
            "default": [3000, 8000, 8080, 3306, 5432, 6379],
            "description": "App, database and cache ports that only security groups may reach.",
        },
        "groupOnlyRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["app", "data", "cache"],
            "description": "webstack:role tags of groups whose every port only security groups may reach (SSH on "
            "the app group is governed by aws-security-group-no-public-ssh).",
        },
    }
)


def _private_ports(args: StackValidationArgs, report: ReportViolation) -> None:
    ports = sorted(int(p) for p in setting(args, _PRIVATE_SCHEMA, "privatePorts"))
    roles = set(setting(args, _PRIVATE_SCHEMA, "groupOnlyRoles"))
    for rule in stack_ingress(args.resources):
        sources = list(rule.cidrs) + (["a prefix list"] if rule.from_prefix_list else [])
        if not sources:
            continue
        exposed = [port for port in ports if rule.covers(port)]
        role = role_of(rule.group)
        ssh_only = rule.protocol == "tcp" and rule.from_port == rule.to_port == SSH_PORT
        if exposed:
            report(
                f"Port{'s' if len(exposed) > 1 else ''} {', '.join(map(str, exposed))} "
                f"({rule.describe_ports()}) can be reached from {', '.join(sources)}: allow app, database and cache "
                "ports only from a security group (referenced_security_group_id), never from a CIDR.",
                rule.urn,
            )
        elif role in roles and not (role == "app" and ssh_only):
            report(
                f"The '{role}' group admits {rule.describe_ports()} from {', '.join(sources)}: this group takes "
                "traffic only from other security groups; use referenced_security_group_id.",
                rule.urn,
            )


security_group_private_ports_from_groups = StackValidationPolicy(
    name="aws-security-group-private-ports-from-groups",
    description="Checks that app, database and cache ports (`privatePorts`: 3000, 8000, 8080, 3306, 5432, 6379) and "
    "every port of the app, data and cache security groups admit only security groups, never CIDR ranges.",
    validate=_private_ports,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PRIVATE_SCHEMA,
    severity=Severity.HIGH,
    tags=["network", "checklist:block-app-ports", "checklist:db-not-public", "fsbp:RDS.2"],
    remediation_steps="Replace the CIDR source with referenced_security_group_id=<the load balancer's or the app "
    "tier's group>.",
)

# -- rule management conflicts -----------------------------------------------------------------------------------------
#: Resources that each manage one rule of a security group apart from the group.
SEPARATE_RULE_TYPES = (SECURITY_GROUP_RULE, INGRESS_RULE, EGRESS_RULE)


def _separate_rules(resources: list[PolicyResource]) -> dict[str, list[PolicyResource]]:
    """The separate rule resources of each security group, by the group's URN (joined through securityGroupId)."""
    found: dict[str, list[PolicyResource]] = {}
    for resource in resources:
        if resource.resource_type not in SEPARATE_RULE_TYPES:
            continue
        for group in resource.property_dependencies.get("securityGroupId") or []:
            if group.resource_type == SECURITY_GROUP:
                found.setdefault(group.urn, []).append(resource)
    return found


def _rule_conflicts(args: StackValidationArgs, report: ReportViolation) -> None:
    separate = _separate_rules(args.resources)
    for group in args.resources:
        rules = separate.get(group.urn)
        if group.resource_type != SECURITY_GROUP or not rules:
            continue
        names = ", ".join(sorted({rule.name for rule in rules}))
        apart = f"{plural(len(rules), 'separate rule resource')} ({names})"
        inline: list[str] = []
        unknown: list[str] = []
        for key in ("ingress", "egress"):
            value = prop(group.props, key)
            if value is UNKNOWN:
                unknown.append(key)
            elif is_list(value) and len(value) > 0:
                inline.append(f"{len(value)} {key}")
        if inline:
            report(
                f"This security group has inline rules ({', '.join(inline)}) and also {apart}: the two fight over "
                "the group's rules, so each update removes one kind and the next puts it back, opening or cutting "
                "traffic unexpectedly. Leave ingress and egress out of the group and make every rule an "
                "aws.vpc.SecurityGroupIngressRule or aws.vpc.SecurityGroupEgressRule.",
                group.urn,
            )
        elif unknown:
            report(
                f"The group's {' and '.join(unknown)} {'are' if len(unknown) > 1 else 'is'} unknown during preview "
                f"and the group has {apart}, so this rule cannot tell whether inline rules conflict with them: leave "
                "ingress and egress out of the group (or set them literally) and keep every rule a separate "
                "resource.",
                group.urn,
            )


security_group_no_rule_management_conflicts = StackValidationPolicy(
    name="aws-security-group-no-rule-management-conflicts",
    description="Checks that no security group has inline ingress or egress rules and separate rule resources "
    "(ec2.SecurityGroupRule, vpc.SecurityGroupIngressRule, vpc.SecurityGroupEgressRule) at the same time.",
    validate=_rule_conflicts,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=[
        "network",
        "checklist:firewall-only-80-443",
        "awsguard:security-group-no-rule-management-conflicts",
    ],
    remediation_steps="Manage each security group's rules one way only: leave ingress and egress off the "
    "aws.ec2.SecurityGroup and create one aws.vpc.SecurityGroupIngressRule or SecurityGroupEgressRule per rule "
    "(webstack's Network component does).",
)


# -- subnets without public IPs ----------------------------------------------------------------------------------------
#: The resources that place something in subnets, and the property that names the subnets.
SUBNET_USERS = {
    ECS_SERVICE: ("networkConfiguration", "ECS service"),
    RDS_SUBNET_GROUP: ("subnetIds", "RDS subnet group"),
    CACHE_SUBNET_GROUP: ("subnetIds", "ElastiCache subnet group"),
}


def _used_subnets(resources: list[PolicyResource]) -> dict[str, tuple[PolicyResource, set[str]]]:
    """Each subnet a service, database or cache uses, by URN, with what uses it (joined through the property
    dependencies of networkConfiguration and subnetIds)."""
    found: dict[str, tuple[PolicyResource, set[str]]] = {}
    for resource in resources:
        if resource.resource_type not in SUBNET_USERS:
            continue
        key, kind = SUBNET_USERS[resource.resource_type]
        for subnet in resource.property_dependencies.get(key) or []:
            if subnet.resource_type == SUBNET:
                found.setdefault(subnet.urn, (subnet, set()))[1].add(f"{kind} '{resource.name}'")
    return found


def _no_public_ip_on_launch(args: StackValidationArgs, report: ReportViolation) -> None:
    used = _used_subnets(args.resources)
    for subnet in (r for r in args.resources if r.resource_type == SUBNET):
        _, users = used.get(subnet.urn, (subnet, set()))
        value = prop(subnet.props, "mapPublicIpOnLaunch")
        used_by = ", ".join(sorted(users))
        uses = "use" if len(users) > 1 else "uses"
        if value is UNKNOWN:
            which = f", which {used_by} {uses}" if users else ""
            report(
                f"map_public_ip_on_launch is unknown during preview, so this rule cannot check this subnet{which}: set "
                "it to False directly (from configuration), not from another resource's output.",
                subnet.urn,
            )
        elif is_true(value) and users:
            report(
                f"This subnet gives a public IP to everything launched in it, and {used_by} {uses} it: set "
                "map_public_ip_on_launch=False and keep services, databases and caches in private subnets (only the "
                "load balancer and NAT gateways belong in public ones).",
                subnet.urn,
            )
        elif is_true(value):
            report(
                "This subnet gives a public IP to everything launched in it, which nothing the stack runs needs (NAT "
                "gateways take an Elastic IP, load balancers get addresses of their own), and an instance launched "
                "there later is on the internet by accident: set map_public_ip_on_launch=False.",
                subnet.urn,
            )


subnet_no_public_ip_on_launch = StackValidationPolicy(
    name="aws-subnet-no-public-ip-on-launch",
    description="Checks that no subnet assigns public IPs on launch: not the subnets of ECS services, RDS and "
    "ElastiCache subnet groups, and not the public ones either, whose NAT gateways and load balancers get addresses "
    "of their own.",
    validate=_no_public_ip_on_launch,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["network", "checklist:block-app-ports", "checklist:db-not-public", "fsbp:EC2.15"],
    remediation_steps="Set map_public_ip_on_launch=False on every subnet, and place services, databases and caches "
    "in the app and data tiers (webstack's Network component maps public IPs in no tier).",
)


# -- NAT gateway per availability zone ---------------------------------------------------------------------------------
def _vpc_of(resource: PolicyResource) -> PolicyResource | None:
    return next((dep for dep in resource.property_dependencies.get("vpcId") or [] if dep.resource_type == VPC), None)


def _zone(subnet: PolicyResource) -> str:
    """A subnet's availability zone (its name, else its id); "" when it sets neither. Read through the analyzer's
    proxy, so a zone unknown during preview raises UnknownValueError: the rule then runs at update time instead of
    passing."""
    props = subnet.props
    return as_text(props.get("availabilityZone")) or as_text(props.get("availabilityZoneId"))


def _nat_per_zone(args: StackValidationArgs, report: ReportViolation) -> None:
    subnets: dict[str, list[PolicyResource]] = {}
    for subnet in (r for r in args.resources if r.resource_type == SUBNET):
        vpc = _vpc_of(subnet)
        if vpc is not None:
            subnets.setdefault(vpc.urn, []).append(subnet)
    hosts: dict[str, list[PolicyResource]] = {}
    for nat in (r for r in args.resources if r.resource_type == NAT_GATEWAY):
        subnet = next((d for d in nat.property_dependencies.get("subnetId") or [] if d.resource_type == SUBNET), None)
        vpc = _vpc_of(subnet) if subnet is not None else None
        if subnet is not None and vpc is not None:
            hosts.setdefault(vpc.urn, []).append(subnet)
    for vpc_urn, nat_subnets in hosts.items():
        nat_zones = {_zone(subnet) for subnet in nat_subnets} - {""}
        zones: dict[str, int] = {}
        for subnet in subnets.get(vpc_urn, []):
            zone = _zone(subnet)
            if zone:
                zones[zone] = zones.get(zone, 0) + 1
            else:
                report(
                    "This subnet names no availability zone, so AWS picks one and this rule cannot tell whether a "
                    "NAT gateway of that zone serves it: set availability_zone.",
                    subnet.urn,
                )
        for zone in sorted(set(zones) - nat_zones):
            report(
                f"Availability zone {zone} has {plural(zones[zone], 'subnet')} but no NAT gateway of its own (NAT "
                f"gateways sit in {', '.join(sorted(nat_zones)) or 'no known zone'}): when a zone with the NAT fails, "
                f"{zone}'s private subnets lose the internet too. Put a NAT gateway in a public subnet of {zone} and "
                "route that zone's private subnets to it (webstack:network.natGateways: perAz).",
                vpc_urn,
            )


vpc_nat_gateway_per_az = StackValidationPolicy(
    name="aws-vpc-nat-gateway-per-az",
    description="Checks that in a VPC with NAT gateways every availability zone that has subnets has a NAT gateway "
    "of its own, so that losing a zone never cuts the others off the internet.",
    validate=_nat_per_zone,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["network", "availability", "checklist:replication-health-checks"],
    remediation_steps="Create one NAT gateway in a public subnet of every zone and route each zone's private "
    "subnets to their own zone's gateway (webstack:network.natGateways: perAz; advisory in staging, which shares "
    "one gateway to save cost).",
)

POLICIES = [
    vpc_flow_logs_enabled,
    default_security_group_restricted,
    security_group_no_public_ingress,
    security_group_no_public_ssh,
    security_group_private_ports_from_groups,
    security_group_no_rule_management_conflicts,
    subnet_no_public_ip_on_launch,
    vpc_nat_gateway_per_az,
]
