"""The Network component: secure defaults, subnet tiers per AZ, NAT modes and every security-group rule."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pytest

from components.aws.account import Account
from components.aws.network import Network, NetworkArgs, ZoneChoiceError
from components.aws.platform_args import network_args, stack_network
from components.settings import NetworkSettings, SettingsError, plan_subnets
from stackcheck.engine.cloud import ACCOUNT_ID, availability_zones
from tests.conftest import TEST_REGION, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/test"
ZONES = [f"{TEST_REGION}a", f"{TEST_REGION}b", f"{TEST_REGION}c"]
#: The zone IDs the mocked account's zone names stand for (zone names map to physical zones differently in every
#: account; zone IDs do not: EC2 user guide, "AZ IDs").
ZONE_IDS = dict(availability_zones(TEST_REGION))

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


def network(name: str, protect: bool = False, edge_cidrs: list[str] | None = None, **layout: Any) -> Network:
    """A stack's network: ``webstack:network`` (``layout``, as a stack file spells it) through the platform's
    mapping onto the Args."""
    args = network_args(
        NetworkSettings.model_validate(layout),
        account=ACCOUNT,
        name_prefix=f"webstack-{name}",
        flow_log_key_arn=KEY_ARN,
        app_ports=(3000, 8000),
        database_port=5432,
        edge_cidrs=edge_cidrs,
        protect=protect,
    )
    return construct(lambda: stack_network(name, args))


@pytest.fixture(scope="module")
def default_network() -> Network:
    return network("net")


def rules(name: str, type_: str) -> list[dict[str, Any]]:
    """The rules of a network as (group role, port, peer) facts."""
    groups = {r.urn: r.name.removeprefix(f"{name}-").removesuffix("-sg") for r in registered(name, SECURITY_GROUP)}
    found = []
    for rule in registered(name, type_):
        (group_urn,) = rule.property_dependencies["securityGroupId"]
        peer_urns = rule.property_dependencies.get("referencedSecurityGroupId") or []
        found.append(
            {
                "group": groups[group_urn],
                "port": (int(rule.inputs["fromPort"]), int(rule.inputs["toPort"])),
                "protocol": rule.inputs["ipProtocol"],
                "peer": groups[peer_urns[0]]
                if peer_urns
                else rule.inputs.get("cidrIpv4") or rule.inputs.get("cidrIpv6"),
                "description": rule.inputs.get("description", ""),
            }
        )
    return found


# -- defaults are secure -----------------------------------------------------------------------------------------------
def test_defaults_are_secure(default_network: Network) -> None:
    vpc = one("net-vpc")
    assert vpc.inputs["enableDnsSupport"] is True
    assert vpc.inputs["enableDnsHostnames"] is True

    default_group = one("net-default-sg")
    assert default_group.inputs["ingress"] == []
    assert default_group.inputs["egress"] == []
    assert default_group.property_dependencies["vpcId"] == [vpc.urn]

    flow_log = one("net-flow-log")
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.property_dependencies["vpcId"] == [vpc.urn]
    group = one("net-flow-logs")
    assert flow_log.property_dependencies["logDestination"] == [group.urn]
    assert group.inputs["kmsKeyId"] == KEY_ARN
    assert group.inputs["retentionInDays"] == 365

    ssh = [r for r in rules("net", INGRESS) if r["port"][0] <= 22 <= r["port"][1]]
    assert ssh == []
    public = [r for r in rules("net", INGRESS) if r["peer"] in ("0.0.0.0/0", "::/0")]
    assert {(r["group"], r["port"]) for r in public} == {("lb", (80, 80)), ("lb", (443, 443))}


def test_no_subnet_maps_public_ips(default_network: Network) -> None:
    # NAT gateways take their Elastic IPs and the load balancer's nodes get addresses of their own: nothing launched in
    # any tier needs an automatic public IP.
    subnets = registered("net-", SUBNET)
    assert {subnet.name.split("-")[1] for subnet in subnets} == {"public", "app", "data"}
    for subnet in subnets:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, subnet.name


def test_flow_logs_are_delivered_by_a_role_that_may_write_only_its_group(default_network: Network) -> None:
    trust = json.loads(one("net-flow-logs-role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}
    policy = json.loads(one("net-flow-logs-write").inputs["policy"])
    group_arn = f"arn:aws:logs:{TEST_REGION}:{ACCOUNT_ID}:log-group:/webstack-net/vpc-flow-logs"
    write, find = policy["Statement"]
    assert write["Resource"] == [group_arn, f"{group_arn}:*"]
    assert "*" not in json.dumps([write["Resource"], find["Resource"]]).replace("log-group:*", "").replace(":*", "")


# -- subnets and routes ------------------------------------------------------------------------------------------------
def test_every_tier_has_one_subnet_per_zone_with_the_planned_range(default_network: Network) -> None:
    plan = plan_subnets("10.0.0.0/16", 3, 20)
    assert default_network.availability_zones == ZONES
    assert default_network.availability_zone_ids == [ZONE_IDS[zone] for zone in ZONES]
    for tier in ("public", "app", "data"):
        subnets = [one(f"net-{tier}-{i}") for i in range(3)]
        # Placed by zone ID, the name that means the same zone in every account.
        assert [s.inputs["availabilityZoneId"] for s in subnets] == [ZONE_IDS[zone] for zone in ZONES]
        assert all("availabilityZone" not in s.inputs for s in subnets)
        assert [s.inputs["cidrBlock"] for s in subnets] == plan[tier]


def test_the_data_tier_has_no_route_out_of_the_vpc(default_network: Network) -> None:
    table = one("net-data-rt")
    assert table.inputs["routes"] == []
    data_subnets = {one(f"net-data-{i}").urn for i in range(3)}
    associated = {
        a.property_dependencies["subnetId"][0]
        for a in registered("net-data-rta-", ASSOCIATION)
        if a.property_dependencies["routeTableId"] == [table.urn]
    }
    assert associated == data_subnets


def test_the_public_tier_routes_to_the_internet_gateway(default_network: Network) -> None:
    table = one("net-public-rt")
    (route,) = table.inputs["routes"]
    assert route["cidrBlock"] == "0.0.0.0/0"
    assert route["gatewayId"] == one("net-igw").id


def test_a_nat_gateway_per_zone_each_in_its_own_public_subnet(default_network: Network) -> None:
    assert len(registered("net-nat-", NAT)) == 3
    nats = [one(f"net-nat-{i}") for i in range(3)]
    assert [n.property_dependencies["subnetId"] for n in nats] == [[one(f"net-public-{i}").urn] for i in range(3)]
    for index in range(3):
        (route,) = one(f"net-app-rt-{index}").inputs["routes"]
        assert route == {"cidrBlock": "0.0.0.0/0", "natGatewayId": nats[index].id}


def test_a_single_nat_gateway_serves_every_app_subnet() -> None:
    network("single", natGateways="single")
    nats = registered("single-nat-", NAT)
    assert len(nats) == 1
    for index in range(3):
        (route,) = one(f"single-app-rt-{index}").inputs["routes"]
        assert route["natGatewayId"] == nats[0].id


def test_two_zones_give_two_subnets_per_tier() -> None:
    network("two", azCount=2, cidr="10.1.0.0/16")
    assert len(registered("two-", SUBNET)) == 6
    assert {s.inputs["availabilityZoneId"] for s in registered("two-", SUBNET)} == {ZONE_IDS[z] for z in ZONES[:2]}


def test_listed_zone_ids_choose_the_zones_and_their_order() -> None:
    chosen = [ZONE_IDS[ZONES[2]], ZONE_IDS[ZONES[0]]]
    byid = network("byid", azCount=2, availabilityZoneIds=chosen)
    assert byid.availability_zone_ids == chosen
    # This account's names for them, for what takes names (a read replica's zone).
    assert byid.availability_zones == [ZONES[2], ZONES[0]]
    for tier in ("public", "app", "data"):
        assert [one(f"byid-{tier}-{i}").inputs["availabilityZoneId"] for i in range(2)] == chosen


def test_a_zone_id_the_region_does_not_offer_is_a_settings_error() -> None:
    offered = ", ".join(sorted(ZONE_IDS.values()))
    with pytest.raises(SettingsError) as caught:
        network("noid", azCount=2, availabilityZoneIds=[ZONE_IDS[ZONES[0]], "euw1-az9"])
    assert caught.value.message == (
        f'webstack:network.availabilityZoneIds[1] must be a zone ID {TEST_REGION} offers ({offered}), got "euw1-az9"'
    )


def test_more_zones_than_the_region_offers_is_a_settings_error() -> None:
    with pytest.raises(SettingsError) as caught:
        network("wide", azCount=4)
    assert (
        caught.value.message
        == f"webstack:network.azCount must be at most 3, the availability zones {TEST_REGION} offers, got 4"
    )


def test_a_program_using_the_component_sees_its_args_field_named() -> None:
    offered = ", ".join(sorted(ZONE_IDS.values()))
    args = NetworkArgs(
        account=ACCOUNT, name_prefix="webstack-argsz", flow_log_key_arn=KEY_ARN, az_count=2,
        availability_zone_ids=[ZONE_IDS[ZONES[0]], "euw1-az9"],
    )  # fmt: skip
    with pytest.raises(ZoneChoiceError) as caught:
        construct(lambda: Network("argsz", args))
    assert str(caught.value) == (
        f"NetworkArgs.availability_zone_ids[1] must be a zone ID {TEST_REGION} offers ({offered}), got 'euw1-az9'"
    )
    wide = NetworkArgs(account=ACCOUNT, name_prefix="webstack-argsw", flow_log_key_arn=KEY_ARN, az_count=4)
    with pytest.raises(ZoneChoiceError, match=r"^NetworkArgs\.az_count must be at most 3, the availability zones"):
        construct(lambda: Network("argsw", wide))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cidr": "10.0.0.0/33"}, "NetworkArgs.cidr must be a CIDR block such as 10.0.0.0/16, with no host bits set, "
         "got '10.0.0.0/33'"),
        ({"cidr": "8.8.0.0/16"}, "NetworkArgs.cidr must be a private IPv4 range inside 10.0.0.0/8, 172.16.0.0/12 or "
         "192.168.0.0/16, got '8.8.0.0/16'"),
        ({"cidr": "10.0.0.0/25"}, "NetworkArgs.cidr must be between /16 and /24, got '10.0.0.0/25'"),
        ({"az_count": 1}, "NetworkArgs.az_count must be between 2 and 6, got 1"),
        ({"subnet_prefix_length": 29}, "NetworkArgs.subnet_prefix_length must be between 17 and 28, got 29"),
        ({"cidr": "10.0.0.0/24", "subnet_prefix_length": 27}, "NetworkArgs.subnet_prefix_length must be at least "
         "28: a quarter of 10.0.0.0/24 must hold az_count (3) subnets, got 27"),
        ({"availability_zone_ids": ["use1-az1"]}, "NetworkArgs.availability_zone_ids must list az_count (3) distinct "
         "zone IDs, got ['use1-az1']"),
        ({"flow_log_retention_days": 0}, "NetworkArgs.flow_log_retention_days must be a retention CloudWatch accepts"),
        ({"lb_ingress_cidrs": []}, "NetworkArgs.lb_ingress_cidrs must list at least one CIDR, or nobody reaches the "
         "load balancer, got []"),
        ({"admin_cidrs": ["203.0.113.7/32", "0.0.0.0/0"]}, "NetworkArgs.admin_cidrs[1] must be /16 or narrower: SSH "
         "is never open to the internet, got '0.0.0.0/0'"),
        ({"admin_cidrs": ["2001:db8::/32"]}, "NetworkArgs.admin_cidrs[0] must be /48 or narrower"),
    ],
)  # fmt: skip
def test_bad_args_are_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    args = NetworkArgs(account=ACCOUNT, name_prefix="webstack-bad", flow_log_key_arn=KEY_ARN, **changes)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        Network("bad", args)


def test_the_args_defaults_are_the_settings_defaults() -> None:
    """A program that leaves the Args alone gets what a stack that leaves ``webstack:network`` alone gets."""
    stack = network_args(
        NetworkSettings(), account=ACCOUNT, name_prefix="p", flow_log_key_arn=KEY_ARN, app_ports=(3000, 8000),
        database_port=5432, protect=False,
    )  # fmt: skip
    assert stack == NetworkArgs(account=ACCOUNT, name_prefix="p", flow_log_key_arn=KEY_ARN)


# -- security groups ---------------------------------------------------------------------------------------------------
def test_security_groups_carry_their_role(default_network: Network) -> None:
    for role in ("lb", "app", "data", "cache"):
        group = one(f"net-{role}-sg")
        assert group.inputs["tags"]["webstack:role"] == role
        assert group.inputs["revokeRulesOnDelete"] is True
        assert "ingress" not in group.inputs
        assert "egress" not in group.inputs


def test_ingress_is_least_privilege(default_network: Network) -> None:
    facts = {(r["group"], r["port"], r["peer"]) for r in rules("net", INGRESS)}
    assert facts == {
        ("lb", (443, 443), "0.0.0.0/0"),
        ("lb", (80, 80), "0.0.0.0/0"),
        ("app", (3000, 3000), "lb"),
        ("app", (8000, 8000), "lb"),
        ("data", (5432, 5432), "app"),
        ("cache", (6379, 6379), "app"),
    }


def test_egress_is_least_privilege(default_network: Network) -> None:
    facts = {(r["group"], r["port"], r["peer"]) for r in rules("net", EGRESS)}
    assert facts == {
        ("lb", (3000, 3000), "app"),
        ("lb", (8000, 8000), "app"),
        ("app", (443, 443), "0.0.0.0/0"),
        ("app", (5432, 5432), "data"),
        ("app", (6379, 6379), "cache"),
    }


def test_every_rule_is_tcp_with_one_peer_and_a_description(default_network: Network) -> None:
    for rule in registered("net-", INGRESS) + registered("net-", EGRESS):
        peers = [k for k in ("cidrIpv4", "cidrIpv6", "referencedSecurityGroupId", "prefixListId") if rule.inputs.get(k)]
        assert len(peers) == 1, rule.name
        assert rule.inputs["ipProtocol"] == "tcp"
        assert rule.inputs["description"]


def test_admin_cidrs_open_ssh_on_the_app_group_only() -> None:
    network("admin", adminCidrs=["203.0.113.7/32", "2001:db8::/48"])
    ssh = [r for r in rules("admin", INGRESS) if r["port"] == (22, 22)]
    assert {(r["group"], r["peer"]) for r in ssh} == {("app", "203.0.113.7/32"), ("app", "2001:db8::/48")}
    assert one("admin-app-in-22-2001-db8-48").inputs["cidrIpv6"] == "2001:db8::/48"


def test_custom_ports_follow_the_settings() -> None:
    args = NetworkArgs(
        account=ACCOUNT, name_prefix="webstack-ports", flow_log_key_arn=KEY_ARN, app_ports=(8080,), database_port=3306
    )
    construct(lambda: Network("ports", args))
    facts = {(r["group"], r["port"], r["peer"]) for r in rules("ports", INGRESS)}
    assert ("app", (8080, 8080), "lb") in facts
    assert ("data", (3306, 3306), "app") in facts
    assert not any(port == (3000, 3000) for _, port, _ in facts)


def test_lb_cidrs_replace_the_internet() -> None:
    network("edge", lbIngressCidrs=["198.51.100.0/24"])
    lb = [(r["port"], r["peer"]) for r in rules("edge", INGRESS) if r["group"] == "lb"]
    assert sorted(lb) == [((80, 80), "198.51.100.0/24"), ((443, 443), "198.51.100.0/24")]


def test_edge_cidrs_of_a_cdn_replace_the_load_balancer_cidrs() -> None:
    network("netcdn", edge_cidrs=["173.245.48.0/20", "2400:cb00::/32"], lbIngressCidrs=["198.51.100.0/24"])
    edge = sorted((r["port"][0], r["peer"]) for r in rules("netcdn", INGRESS) if r["group"] == "lb")
    assert edge == [
        (80, "173.245.48.0/20"),
        (80, "2400:cb00::/32"),
        (443, "173.245.48.0/20"),
        (443, "2400:cb00::/32"),
    ]
    ipv6 = [r for r in registered("netcdn-lb-in-", INGRESS) if "cidrIpv6" in r.inputs]
    assert sorted(r.inputs["cidrIpv6"] for r in ipv6) == ["2400:cb00::/32"] * 2
    assert all("cidrIpv4" not in r.inputs for r in ipv6)


def test_protect_keeps_the_flow_log_group_and_only_it(default_network: Network) -> None:
    network("kept", protect=True)
    assert one("kept-flow-logs").protect is True
    assert one("net-flow-logs").protect is False
    assert [r.name for r in registered("kept-") if r.protect] == ["kept-flow-logs"]


def test_the_component_package_builds_a_network_from_the_inputs_another_language_sends() -> None:
    """Through Pulumi's ComponentProvider, as `pulumi package add` serves it: camelCase inputs, lists as lists, the
    defaults left out."""
    from pulumi.provider.experimental.component import ComponentProvider

    from components.provider import PACKAGE, hosted

    provider = ComponentProvider([hosted(Network)], PACKAGE, version="0.0.0")
    inputs = {
        "account": {"id": ACCOUNT_ID, "partition": "aws", "region": TEST_REGION},
        "namePrefix": "webstack-wire",
        "flowLogKeyArn": KEY_ARN,
        "azCount": 2,
        "singleNatGateway": True,
        "adminCidrs": ["203.0.113.7/32"],
    }
    construct(lambda: provider.construct("wire", f"{PACKAGE}:index:Network", inputs, pulumi.ResourceOptions()).urn)
    assert len(registered("wire-", SUBNET)) == 6
    assert len(registered("wire-nat-", NAT)) == 1
    assert {(r["group"], r["port"], r["peer"]) for r in rules("wire", INGRESS) if r["port"] == (22, 22)} == {
        ("app", (22, 22), "203.0.113.7/32")
    }
    assert one("wire-flow-logs").inputs["retentionInDays"] == 365
