"""Network rules: each passes on a compliant stack and fails when one thing changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policies.rules.network import (
    default_security_group_restricted,
    security_group_no_public_ingress,
    security_group_no_public_ssh,
    security_group_private_ports_from_groups,
    vpc_flow_logs_enabled,
)
from tests.policies.support import Res, check_resource, check_stack

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


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
    stack = copy.deepcopy(compliant())
    for res in stack:
        if res.urn == urn:
            for key, value in props.items():
                if value is None:
                    res.props.pop(key, None)
                else:
                    res.props[key] = value
    return stack


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
