"""Network rules: flow logs, the default security group, and who may reach what.

- ``aws-vpc-flow-logs-enabled``: every VPC has a flow log of ALL traffic.
- ``aws-default-security-group-restricted``: every VPC's default security group is managed and has no rules.
- ``aws-security-group-no-public-ingress``: the internet reaches only ports 80/443, and only on the load balancer's
  group.
- ``aws-security-group-no-public-ssh``: SSH is never open to the internet, and only to the management CIDRs when
  those are configured.
- ``aws-security-group-private-ports-from-groups``: app, database and cache ports, and every port of the app, data
  and cache groups, are reachable only from security groups, never from CIDRs.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import ingress_of, is_internet, role_of, schema, setting, stack_ingress, within
from ._props import depends_on

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"


# -- flow logs -------------------------------------------------------------------------------------------------------
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


# -- default security group ------------------------------------------------------------------------------------------
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
    description="Checks that every VPC's default security group is managed and allows no traffic at all.",
    validate=_default_security_group,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["network", "checklist:firewall", "fsbp:EC2.2"],
    remediation_steps="Adopt the default security group with aws.ec2.DefaultSecurityGroup(vpc_id=..., ingress=[], "
    "egress=[]); nothing should be placed in it.",
)


# -- public ingress --------------------------------------------------------------------------------------------------
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
    description="Checks that the internet (0.0.0.0/0, ::/0) reaches only ports 80 and 443, and only on the load "
    "balancer's security group.",
    validate=_public_ingress,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PUBLIC_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["network", "checklist:firewall-only-80-443", "fsbp:EC2.18", "fsbp:EC2.19"],
    remediation_steps="Remove the rule, or narrow its source to known CIDRs; put public entry points behind the "
    "load balancer, whose group carries the tag webstack:role=lb.",
)


# -- SSH -------------------------------------------------------------------------------------------------------------
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


# -- private ports ---------------------------------------------------------------------------------------------------
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
    description="Checks that app, database and cache ports, and the app, data and cache security groups, are "
    "reachable only from security groups, never from CIDR ranges.",
    validate=_private_ports,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PRIVATE_SCHEMA,
    severity=Severity.HIGH,
    tags=["network", "checklist:block-app-ports", "checklist:db-not-public", "fsbp:RDS.2"],
    remediation_steps="Replace the CIDR source with referenced_security_group_id=<the load balancer's or the app "
    "tier's group>.",
)

POLICIES = [
    vpc_flow_logs_enabled,
    default_security_group_restricted,
    security_group_no_public_ingress,
    security_group_no_public_ssh,
    security_group_private_ports_from_groups,
]
