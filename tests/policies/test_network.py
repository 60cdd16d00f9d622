"""Network rules: each passes on a compliant stack and fails when one thing changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from policies.rules.network import (
    default_security_group_restricted,
    security_group_no_public_ingress,
    security_group_no_public_ssh,
    security_group_no_rule_management_conflicts,
    security_group_private_ports_from_groups,
    subnet_no_public_ip_on_launch,
    vpc_flow_logs_enabled,
    vpc_nat_gateway_per_az,
)
from tests.policies.support import Res, apply_changes, check_resource, check_stack, urns

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ECS_SERVICE = "aws:ecs/service:Service"
RDS_SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"
CACHE_SUBNET_GROUP = "aws:elasticache/subnetGroup:SubnetGroup"


def rule(urn: str, group: str, port: int, *, cidr: str = "", source: str = "", protocol: str = "tcp") -> Res:
    props: dict[str, Any] = {"ipProtocol": protocol, "fromPort": float(port), "toPort": float(port)}
    deps = {"securityGroupId": [f"urn:sg-{group}"]}
    if cidr:
        props["cidrIpv6" if ":" in cidr else "cidrIpv4"] = cidr
    if source:
        props["referencedSecurityGroupId"] = f"sg-{source}"
        deps["referencedSecurityGroupId"] = [f"urn:sg-{source}"]
    return Res(urn, INGRESS, props, deps)


def compliant() -> list[Res]:
    """The network webstack builds, reduced to what the rules look at."""
    return [
        Res("urn:vpc", VPC, {"cidrBlock": "10.0.0.0/16"}),
        Res("urn:default-sg", DEFAULT_SG, {"ingress": [], "egress": []}, {"vpcId": ["urn:vpc"]}),
        Res("urn:flow-log", FLOW_LOG, {"trafficType": "ALL"}, {"vpcId": ["urn:vpc"]}),
        *(
            Res(f"urn:sg-{role}", SG, {"tags": {"webstack:role": role}}, {"vpcId": ["urn:vpc"]})
            for role in ("lb", "app", "data", "cache")
        ),
        rule("urn:lb-443", "lb", 443, cidr="0.0.0.0/0"),
        rule("urn:lb-80", "lb", 80, cidr="0.0.0.0/0"),
        rule("urn:app-3000", "app", 3000, source="lb"),
        rule("urn:data-5432", "data", 5432, source="app"),
        rule("urn:cache-6379", "cache", 6379, source="app"),
    ]


def changed(urn: str, **props: Any) -> list[Res]:
    """The compliant stack with one resource's props changed (None removes a prop)."""
    return zoned_with(urn, compliant(), **props)


def without(urn: str) -> list[Res]:
    return [r for r in compliant() if r.urn != urn]


# -- aws-vpc-flow-logs-enabled -----------------------------------------------------------------------------------------
def test_flow_logs_pass_when_every_vpc_has_one() -> None:
    assert check_stack(vpc_flow_logs_enabled, compliant()) == []


def test_flow_logs_fail_without_a_flow_log() -> None:
    ((urn, message),) = check_stack(vpc_flow_logs_enabled, without("urn:flow-log"))
    assert urn == "urn:vpc"
    assert message.startswith("This VPC has no flow log of ALL traffic: add an aws.ec2.FlowLog")


def test_flow_logs_fail_when_only_rejected_traffic_is_logged() -> None:
    assert len(check_stack(vpc_flow_logs_enabled, changed("urn:flow-log", trafficType="REJECT"))) == 1


def test_flow_logs_fail_for_a_second_vpc_without_its_own() -> None:
    stack = [*compliant(), Res("urn:vpc-2", VPC, {})]
    assert [urn for urn, _ in check_stack(vpc_flow_logs_enabled, stack)] == ["urn:vpc-2"]


# -- aws-default-security-group-restricted -----------------------------------------------------------------------------
def test_default_group_passes_when_managed_and_empty() -> None:
    assert check_stack(default_security_group_restricted, compliant()) == []


def test_default_group_fails_when_not_managed() -> None:
    ((urn, message),) = check_stack(default_security_group_restricted, without("urn:default-sg"))
    assert urn == "urn:vpc"
    assert "default security group is not managed" in message


def test_default_group_fails_with_an_ingress_rule() -> None:
    stack = changed("urn:default-sg", ingress=[{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}])
    ((urn, message),) = check_stack(default_security_group_restricted, stack)
    assert urn == "urn:default-sg"
    assert message.startswith("The default security group has 1 ingress and 0 egress rules")


def test_default_group_fails_with_an_egress_rule() -> None:
    stack = changed("urn:default-sg", egress=[{"protocol": "-1", "cidrBlocks": ["0.0.0.0/0"]}])
    assert len(check_stack(default_security_group_restricted, stack)) == 1


# -- aws-security-group-no-public-ingress ------------------------------------------------------------------------------
def test_public_ingress_passes_for_80_and_443_on_the_load_balancer() -> None:
    assert check_stack(security_group_no_public_ingress, compliant()) == []


def test_public_ingress_fails_for_another_port_on_the_load_balancer() -> None:
    stack = [*compliant(), rule("urn:lb-8443", "lb", 8443, cidr="0.0.0.0/0")]
    ((urn, message),) = check_stack(security_group_no_public_ingress, stack)
    assert urn == "urn:lb-8443"
    assert message == (
        "tcp port 8443 is open to the internet (0.0.0.0/0): only TCP ports 80, 443 may be; reach anything else "
        "through the load balancer."
    )


def test_public_ingress_fails_for_443_on_the_app_group() -> None:
    stack = [*compliant(), rule("urn:app-443", "app", 443, cidr="::/0")]
    ((urn, message),) = check_stack(security_group_no_public_ingress, stack)
    assert urn == "urn:app-443"
    assert message == (
        "tcp port 443 from the internet (::/0) opens the 'app' group: only a group tagged webstack:role=lb may face "
        "the internet."
    )


def test_public_ingress_fails_when_the_group_is_unknown() -> None:
    stack = [
        *compliant(),
        Res("urn:loose", INGRESS, {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrIpv4": "0.0.0.0/0"}),
    ]
    ((urn, message),) = check_stack(security_group_no_public_ingress, stack)
    assert urn == "urn:loose"
    assert "opens a group that is not the load balancer's" in message


def test_public_ingress_fails_for_all_traffic() -> None:
    stack = changed("urn:lb-443", ipProtocol="-1", fromPort=None, toPort=None)
    ((_, message),) = check_stack(security_group_no_public_ingress, stack)
    assert message.startswith("all traffic is open to the internet (0.0.0.0/0)")


def test_public_ingress_treats_half_the_internet_as_the_internet() -> None:
    stack = [*compliant(), rule("urn:app-half", "app", 3000, cidr="0.0.0.0/1")]
    assert len(check_stack(security_group_no_public_ingress, stack)) == 1


def test_public_ingress_fails_for_inline_rules_and_classic_rules() -> None:
    inline = Res(
        "urn:sg-inline",
        SG,
        {"tags": {}, "ingress": [{"protocol": "tcp", "fromPort": 8080, "toPort": 8080, "cidrBlocks": ["0.0.0.0/0"]}]},
    )
    classic = Res(
        "urn:classic",
        SG_RULE,
        {"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]},
        {"securityGroupId": ["urn:sg-lb"]},
    )
    egress = Res(
        "urn:classic-out",
        SG_RULE,
        {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
        {"securityGroupId": ["urn:sg-app"]},
    )
    found = check_stack(security_group_no_public_ingress, [*compliant(), inline, classic, egress])
    assert sorted(urn for urn, _ in found) == ["urn:classic", "urn:sg-inline"]


def test_public_ingress_ports_are_configurable() -> None:
    found = check_stack(security_group_no_public_ingress, compliant(), {"publicPorts": [443]})
    assert [urn for urn, _ in found] == ["urn:lb-80"]


# -- aws-security-group-no-public-ssh ----------------------------------------------------------------------------------
def ingress_props(port_from: int, port_to: int, cidr: str, protocol: str = "tcp") -> dict[str, Any]:
    return {"ipProtocol": protocol, "fromPort": float(port_from), "toPort": float(port_to), "cidrIpv4": cidr}


def test_ssh_passes_without_port_22() -> None:
    assert check_resource(security_group_no_public_ssh, INGRESS, ingress_props(443, 443, "0.0.0.0/0")) == []


def test_ssh_passes_from_a_private_range_when_no_management_cidrs_are_set() -> None:
    assert check_resource(security_group_no_public_ssh, INGRESS, ingress_props(22, 22, "10.0.0.0/16")) == []


def test_ssh_fails_from_the_internet() -> None:
    (message,) = check_resource(security_group_no_public_ssh, INGRESS, ingress_props(22, 22, "0.0.0.0/0"))
    assert message == (
        "SSH (port 22, in tcp port 22) is open to the internet from 0.0.0.0/0: allow it only from administrators' "
        "CIDRs (webstack:network.adminCidrs), or not at all."
    )


def test_ssh_fails_when_a_port_range_from_the_internet_covers_it() -> None:
    assert len(check_resource(security_group_no_public_ssh, INGRESS, ingress_props(0, 1024, "0.0.0.0/0"))) == 1
    assert len(check_resource(security_group_no_public_ssh, INGRESS, {"ipProtocol": "-1", "cidrIpv6": "::/0"})) == 1


def test_ssh_is_not_blocked_for_udp() -> None:
    assert check_resource(security_group_no_public_ssh, INGRESS, ingress_props(22, 22, "0.0.0.0/0", "udp")) == []


def test_ssh_from_outside_the_management_cidrs_fails() -> None:
    config = {"managementCidrs": ["203.0.113.0/24"]}
    assert (
        check_resource(security_group_no_public_ssh, INGRESS, ingress_props(22, 22, "203.0.113.7/32"), config=config)
        == []
    )
    (message,) = check_resource(
        security_group_no_public_ssh, INGRESS, ingress_props(22, 22, "198.51.100.0/24"), config=config
    )
    assert message == (
        "SSH (port 22) is open to 198.51.100.0/24, which is outside the management CIDRs (203.0.113.0/24): narrow "
        "the rule to those."
    )


def test_ssh_fails_for_inline_and_classic_rules_but_not_egress() -> None:
    inline = {"ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]}
    assert len(check_resource(security_group_no_public_ssh, SG, inline)) == 1
    classic = {"type": "ingress", "protocol": "6", "fromPort": 22, "toPort": 22, "ipv6CidrBlocks": ["::/0"]}
    assert len(check_resource(security_group_no_public_ssh, SG_RULE, classic)) == 1
    assert check_resource(security_group_no_public_ssh, SG_RULE, {**classic, "type": "egress"}) == []


# -- aws-security-group-private-ports-from-groups ----------------------------------------------------------------------
def test_private_ports_pass_when_reached_from_groups() -> None:
    assert check_stack(security_group_private_ports_from_groups, compliant()) == []


def test_a_database_port_from_a_cidr_fails() -> None:
    stack = [*compliant(), rule("urn:data-cidr", "data", 5432, cidr="10.0.0.0/16")]
    ((urn, message),) = check_stack(security_group_private_ports_from_groups, stack)
    assert urn == "urn:data-cidr"
    assert message == (
        "Port 5432 (tcp port 5432) can be reached from 10.0.0.0/16: allow app, database and cache ports only from a "
        "security group (referenced_security_group_id), never from a CIDR."
    )


def test_an_app_port_on_any_group_from_a_cidr_fails() -> None:
    stack = [*compliant(), rule("urn:lb-3000", "lb", 3000, cidr="0.0.0.0/0")]
    assert [urn for urn, _ in check_stack(security_group_private_ports_from_groups, stack)] == ["urn:lb-3000"]


def test_any_port_of_the_data_group_from_a_cidr_fails() -> None:
    stack = [*compliant(), rule("urn:data-9999", "data", 9999, cidr="192.168.0.0/24")]
    ((_, message),) = check_stack(security_group_private_ports_from_groups, stack)
    assert message.startswith("The 'data' group admits tcp port 9999 from 192.168.0.0/24")


def test_ssh_from_admins_on_the_app_group_is_left_to_the_ssh_rule() -> None:
    stack = [*compliant(), rule("urn:app-ssh", "app", 22, cidr="203.0.113.7/32")]
    assert check_stack(security_group_private_ports_from_groups, stack) == []


def test_another_app_group_port_from_a_cidr_fails() -> None:
    stack = [*compliant(), rule("urn:app-9000", "app", 9000, cidr="203.0.113.7/32")]
    assert len(check_stack(security_group_private_ports_from_groups, stack)) == 1


def test_a_prefix_list_source_is_not_a_security_group() -> None:
    stack = changed("urn:cache-6379", referencedSecurityGroupId=None, prefixListId="pl-123")
    assert len(check_stack(security_group_private_ports_from_groups, stack)) == 1


@pytest.mark.parametrize("port", [3000, 8000, 8080, 3306, 5432, 6379])
def test_every_default_private_port_is_guarded(port: int) -> None:
    stack = [*compliant(), rule("urn:lb-x", "lb", port, cidr="10.0.0.0/8")]
    assert len(check_stack(security_group_private_ports_from_groups, stack)) == 1


def test_private_ports_are_configurable() -> None:
    stack = [*compliant(), rule("urn:lb-9000", "lb", 9000, cidr="10.0.0.0/8")]
    assert check_stack(security_group_private_ports_from_groups, stack) == []
    assert len(check_stack(security_group_private_ports_from_groups, stack, {"privatePorts": [9000]})) == 1


# -- aws-security-group-no-rule-management-conflicts -------------------------------------------------------------------
INLINE_HTTPS = {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
INLINE_ALL_OUT = {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}


def test_rule_conflicts_pass_when_every_rule_is_a_separate_resource() -> None:
    assert check_stack(security_group_no_rule_management_conflicts, compliant()) == []


def test_rule_conflicts_pass_for_a_group_with_inline_rules_only() -> None:
    stack = [*compliant(), Res("urn:sg-inline", SG, {"ingress": [INLINE_HTTPS], "egress": [INLINE_ALL_OUT]})]
    assert check_stack(security_group_no_rule_management_conflicts, stack) == []


def test_rule_conflicts_pass_when_the_inline_lists_are_empty() -> None:
    assert check_stack(security_group_no_rule_management_conflicts, changed("urn:sg-lb", ingress=[], egress=[])) == []


def test_rule_conflicts_fail_for_inline_ingress_and_an_ingress_rule() -> None:
    ((urn, message),) = check_stack(
        security_group_no_rule_management_conflicts, changed("urn:sg-lb", ingress=[INLINE_HTTPS])
    )
    assert urn == "urn:sg-lb"
    assert message.startswith(
        "This security group has inline rules (1 ingress) and also 2 separate rule resources (lb-443, lb-80): the "
        "two fight over the group's rules"
    )


def test_rule_conflicts_fail_for_inline_egress_and_an_egress_rule() -> None:
    out = Res(
        "urn:data-out",
        EGRESS,
        {"ipProtocol": "tcp", "fromPort": 443.0, "toPort": 443.0, "cidrIpv4": "0.0.0.0/0"},
        {"securityGroupId": ["urn:sg-data"]},
    )
    stack = [*changed("urn:sg-data", egress=[INLINE_ALL_OUT]), out]
    ((urn, message),) = check_stack(security_group_no_rule_management_conflicts, stack)
    assert urn == "urn:sg-data"
    assert "inline rules (1 egress) and also 2 separate rule resources (data-5432, data-out)" in message


def test_rule_conflicts_fail_for_a_classic_security_group_rule() -> None:
    classic = Res(
        "urn:classic",
        SG_RULE,
        {"type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]},
        {"securityGroupId": ["urn:sg-inline"]},
    )
    stack = [*compliant(), Res("urn:sg-inline", SG, {"ingress": [INLINE_HTTPS, INLINE_HTTPS]}), classic]
    ((urn, message),) = check_stack(security_group_no_rule_management_conflicts, stack)
    assert urn == "urn:sg-inline"
    assert "inline rules (2 ingress) and also 1 separate rule resource (classic)" in message


def test_rule_conflicts_ignore_rules_that_only_name_the_group_as_their_source() -> None:
    # urn:app-3000 opens the app group to the lb group: the lb group's inline rules do not conflict with it.
    stack = changed("urn:sg-lb", ingress=[INLINE_HTTPS])
    stack = [r for r in stack if r.urn not in ("urn:lb-443", "urn:lb-80")]
    assert check_stack(security_group_no_rule_management_conflicts, stack) == []


def test_rule_conflicts_report_inline_rules_unknown_during_preview() -> None:
    ((urn, message),) = check_stack(
        security_group_no_rule_management_conflicts, changed("urn:sg-lb", ingress=UNKNOWN_ARRAY_VALUE)
    )
    assert urn == "urn:sg-lb"
    assert message.startswith(
        "The group's ingress is unknown during preview and the group has 2 separate rule resources (lb-443, lb-80), "
        "so this rule cannot tell whether inline rules conflict with them"
    )


def test_rule_conflicts_count_an_inline_rule_unknown_during_preview_as_a_rule() -> None:
    stack = changed("urn:sg-lb", ingress=[UNKNOWN_OBJECT_VALUE], egress=UNKNOWN_ARRAY_VALUE)
    ((_, message),) = check_stack(security_group_no_rule_management_conflicts, stack)
    assert message.startswith("This security group has inline rules (1 ingress) and also 2 separate rule resources")


# -- the zoned network: subnets, NAT gateways, and what uses the subnets -----------------------------------------------
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def subnet(tier: str, index: int, *, vpc: str = "urn:vpc") -> Res:
    props = {
        "availabilityZone": ZONES[index],
        "mapPublicIpOnLaunch": False,
        "cidrBlock": f"10.0.{index}.0/24",
    }
    return Res(f"urn:{tier}-{index}", SUBNET, props, {"vpcId": [vpc]})


def nat(index: int, subnet_urn: str = "") -> Res:
    host = subnet_urn or f"urn:public-{index}"
    return Res(
        f"urn:nat-{index}", NAT, {"subnetId": f"subnet-{index}", "connectivityType": "public"}, {"subnetId": [host]}
    )


def zoned(nat_gateways: int = 3) -> list[Res]:
    """webstack's network: three tiers in three zones, NAT gateways, and a service, a database and a cache in the
    private tiers."""
    return [
        Res("urn:vpc", VPC, {"cidrBlock": "10.0.0.0/16"}),
        *(subnet(tier, index) for tier in ("public", "app", "data") for index in range(3)),
        *(nat(index) for index in range(nat_gateways)),
        Res("urn:sg-app", SG, {"tags": {"webstack:role": "app"}}, {"vpcId": ["urn:vpc"]}),
        Res(
            "urn:service",
            ECS_SERVICE,
            {"networkConfiguration": {"subnets": ["subnet-a", "subnet-b", "subnet-c"], "assignPublicIp": False}},
            {"networkConfiguration": ["urn:app-0", "urn:app-1", "urn:sg-app", "urn:app-2"]},
        ),
        Res(
            "urn:db-subnets",
            RDS_SUBNET_GROUP,
            {"subnetIds": ["a", "b", "c"]},
            {"subnetIds": ["urn:data-0", "urn:data-1", "urn:data-2"]},
        ),
        Res(
            "urn:cache-subnets",
            CACHE_SUBNET_GROUP,
            {"subnetIds": ["a", "b", "c"]},
            {"subnetIds": ["urn:data-0", "urn:data-1", "urn:data-2"]},
        ),
    ]


def zoned_with(urn: str, stack: list[Res] | None = None, **props: Any) -> list[Res]:
    """The zoned network (or ``stack``) with one resource's props changed (None removes a prop)."""
    resources = copy.deepcopy(stack if stack is not None else zoned())
    for res in resources:
        if res.urn == urn:
            apply_changes(res.props, props)
    return resources


# -- aws-subnet-no-public-ip-on-launch ---------------------------------------------------------------------------------
def test_private_subnets_pass_when_services_databases_and_caches_sit_in_private_subnets() -> None:
    assert check_stack(subnet_no_public_ip_on_launch, zoned()) == []


def test_no_public_ip_on_launch_fails_for_a_public_subnet_nothing_needs_it_for() -> None:
    # NAT gateways take an Elastic IP and the load balancer's nodes get addresses of their own: what launches in a
    # public subnet needs no automatic public IP (FSBP EC2.15 asks it of every subnet).
    ((urn, message),) = check_stack(subnet_no_public_ip_on_launch, zoned_with("urn:public-0", mapPublicIpOnLaunch=True))
    assert urn == "urn:public-0"
    assert message == (
        "This subnet gives a public IP to everything launched in it, which nothing the stack runs needs (NAT gateways "
        "take an Elastic IP, load balancers get addresses of their own), and an instance launched there later is on "
        "the internet by accident: set map_public_ip_on_launch=False."
    )


def test_private_subnets_fail_for_a_service_subnet_that_maps_public_ips() -> None:
    ((urn, message),) = check_stack(subnet_no_public_ip_on_launch, zoned_with("urn:app-1", mapPublicIpOnLaunch=True))
    assert urn == "urn:app-1"
    assert message.startswith(
        "This subnet gives a public IP to everything launched in it, and ECS service 'service' uses it: set "
        "map_public_ip_on_launch=False"
    )


def test_private_subnets_fail_for_a_database_and_cache_subnet_that_maps_public_ips() -> None:
    ((urn, message),) = check_stack(subnet_no_public_ip_on_launch, zoned_with("urn:data-2", mapPublicIpOnLaunch=True))
    assert urn == "urn:data-2"
    assert "and ElastiCache subnet group 'cache-subnets', RDS subnet group 'db-subnets' use it" in message


def test_private_subnets_fail_for_an_rds_subnet_group_alone() -> None:
    stack = [r for r in zoned_with("urn:data-0", mapPublicIpOnLaunch=True) if r.urn != "urn:cache-subnets"]
    ((_, message),) = check_stack(subnet_no_public_ip_on_launch, stack)
    assert "and RDS subnet group 'db-subnets' uses it" in message


def test_private_subnets_fail_for_an_elasticache_subnet_group_alone() -> None:
    stack = [r for r in zoned_with("urn:data-0", mapPublicIpOnLaunch=True) if r.urn != "urn:db-subnets"]
    assert urns(check_stack(subnet_no_public_ip_on_launch, stack)) == ["urn:data-0"]


def test_private_subnets_fail_when_a_service_runs_in_the_public_subnets() -> None:
    stack = zoned_with("urn:public-1", zoned_with("urn:public-0", mapPublicIpOnLaunch=True), mapPublicIpOnLaunch=True)
    next(r for r in stack if r.urn == "urn:service").deps["networkConfiguration"] = ["urn:public-0", "urn:public-1"]
    found = check_stack(subnet_no_public_ip_on_launch, stack)
    assert urns(found) == ["urn:public-0", "urn:public-1"]
    assert all("and ECS service 'service' uses it" in message for _, message in found)


def test_private_subnets_accept_true_as_text() -> None:
    assert len(check_stack(subnet_no_public_ip_on_launch, zoned_with("urn:app-0", mapPublicIpOnLaunch="true"))) == 1


def test_private_subnets_report_a_setting_unknown_during_preview() -> None:
    stack = zoned_with("urn:app-0", mapPublicIpOnLaunch=UNKNOWN_BOOLEAN_VALUE)
    assert check_stack(subnet_no_public_ip_on_launch, stack) == [
        (
            "urn:app-0",
            "map_public_ip_on_launch is unknown during preview, so this rule cannot check this subnet, which ECS "
            "service 'service' uses: set it to False directly (from configuration), not from another resource's "
            "output.",
        )
    ]


# -- aws-vpc-nat-gateway-per-az ----------------------------------------------------------------------------------------
def test_nat_per_zone_passes_with_a_nat_gateway_in_every_zone() -> None:
    assert check_stack(vpc_nat_gateway_per_az, zoned()) == []


def test_nat_per_zone_passes_for_a_vpc_without_nat_gateways() -> None:
    assert check_stack(vpc_nat_gateway_per_az, zoned(nat_gateways=0)) == []


def test_nat_per_zone_fails_for_one_shared_nat_gateway() -> None:
    found = check_stack(vpc_nat_gateway_per_az, zoned(nat_gateways=1))
    assert urns(found) == ["urn:vpc", "urn:vpc"]
    assert found[0][1] == (
        "Availability zone us-east-1b has 3 subnets but no NAT gateway of its own (NAT gateways sit in us-east-1a): "
        "when a zone with the NAT fails, us-east-1b's private subnets lose the internet too. Put a NAT gateway in a "
        "public subnet of us-east-1b and route that zone's private subnets to it (webstack:network.natGateways: perAz)."
    )
    assert found[1][1].startswith("Availability zone us-east-1c has 3 subnets")


def test_nat_per_zone_fails_when_two_nat_gateways_share_a_zone() -> None:
    stack = [*zoned(nat_gateways=1), nat(1, "urn:app-0")]
    assert [m.split(" has ")[0] for _, m in check_stack(vpc_nat_gateway_per_az, stack)] == [
        "Availability zone us-east-1b",
        "Availability zone us-east-1c",
    ]


def test_nat_per_zone_does_not_count_another_vpcs_nat_gateway() -> None:
    other = [
        Res("urn:vpc-2", VPC, {"cidrBlock": "10.1.0.0/16"}),
        Res(
            "urn:other-public",
            SUBNET,
            {"availabilityZone": "us-east-1b", "mapPublicIpOnLaunch": True},
            {"vpcId": ["urn:vpc-2"]},
        ),
        nat(9, "urn:other-public"),
    ]
    found = check_stack(vpc_nat_gateway_per_az, [*zoned(nat_gateways=1), *other])
    assert [(urn, m.split(" has ")[0]) for urn, m in found] == [
        ("urn:vpc", "Availability zone us-east-1b"),
        ("urn:vpc", "Availability zone us-east-1c"),
    ]


def test_nat_per_zone_reads_zone_ids_too() -> None:
    stack = zoned()
    for res in stack:
        if res.type == SUBNET:
            res.props["availabilityZoneId"] = "use1-az" + res.props.pop("availabilityZone")[-1]
    assert check_stack(vpc_nat_gateway_per_az, stack) == []
    stack = [r for r in stack if r.urn != "urn:nat-2"]
    assert "Availability zone use1-azc has 3 subnets" in check_stack(vpc_nat_gateway_per_az, stack)[0][1]


def test_nat_per_zone_reports_a_subnet_without_a_zone() -> None:
    ((urn, message),) = check_stack(vpc_nat_gateway_per_az, zoned_with("urn:data-1", availabilityZone=None))
    assert urn == "urn:data-1"
    assert message.startswith("This subnet names no availability zone, so AWS picks one")


@pytest.mark.parametrize("urn", ["urn:app-1", "urn:public-1"], ids=["a-subnet", "a-nat-gateways-subnet"])
def test_nat_per_zone_lets_a_zone_unknown_during_preview_propagate(urn: str) -> None:
    stack = zoned_with(urn, availabilityZone=UNKNOWN_STRING_VALUE)
    with pytest.raises(UnknownValueError):
        check_stack(vpc_nat_gateway_per_az, stack)
