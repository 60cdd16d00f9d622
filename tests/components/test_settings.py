"""Settings: defaults, and one exact message for every kind of bad input."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from components.settings import (
    DR_REGION_PAIRS,
    NetworkSettings,
    Settings,
    SettingsError,
    parse_settings,
    plan_subnets,
)

BASE = {"aws:region": "us-east-1", "webstack:environment": "prod", "webstack:domain": "app.example.org"}


def settings(secret_keys: tuple[str, ...] = (), **values: Any) -> Settings:
    """Parse config as the engine hands it over: objects as JSON text, scalars as text."""
    config = dict(BASE)
    for key, value in values.items():
        full = key if ":" in key else f"webstack:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return parse_settings(config, secret_keys, project="webstack", stack="prod")


def error(secret_keys: tuple[str, ...] = (), **values: Any) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        settings(secret_keys, **values)
    return caught.value


# -- defaults ----------------------------------------------------------------------------------------------------------
def test_defaults_are_the_production_choice() -> None:
    s = settings()
    assert s.platform == "aws"
    assert s.network.cidr == "10.0.0.0/16"
    assert s.network.az_count == 3
    assert s.network.nat_gateways == "perAz"
    assert s.network.flow_log_retention_days == 365
    assert s.network.admin_cidrs == []
    assert s.web.frontend.port == 3000
    assert s.web.backend.port == 8000
    assert s.database.engine == "postgres"
    assert s.database.effective_port == 5432
    assert s.disaster_recovery_region == "us-west-2"
    assert (s.project, s.stack, s.region) == ("webstack", "prod", "us-east-1")


def test_a_partial_area_object_keeps_the_other_defaults() -> None:
    s = settings(network={"azCount": 2, "natGateways": "single"})
    assert s.network.az_count == 2
    assert s.network.nat_gateways == "single"
    assert s.network.cidr == "10.0.0.0/16"
    assert s.network.flow_log_retention_days == 365


def test_mysql_listens_on_3306_unless_a_port_is_set() -> None:
    assert settings(database={"engine": "mysql"}).database.effective_port == 3306
    assert settings(database={"engine": "mysql", "port": 13306}).database.effective_port == 13306


def test_settings_are_immutable() -> None:
    s = settings()
    with pytest.raises(ValueError, match="frozen"):
        s.network.az_count = 5  # type: ignore[misc]


def test_every_paired_region_has_a_different_partner() -> None:
    assert all(region != partner for region, partner in DR_REGION_PAIRS.items())


# -- unknown keys ------------------------------------------------------------------------------------------------------
def test_an_unknown_top_level_key_is_an_error_with_a_suggestion() -> None:
    e = error(netwrok={"azCount": 2})
    assert e.key == "webstack:netwrok"
    assert e.message.startswith("webstack:netwrok is not a setting; did you mean network? Expected one of: ")


def test_an_unknown_nested_key_is_an_error_with_a_suggestion() -> None:
    e = error(network={"cidrr": "10.0.0.0/16"})
    assert e.key == "webstack:network.cidrr"
    assert e.message == (
        "webstack:network.cidrr is not a setting; did you mean cidr? Expected one of: adminCidrs, azCount, cidr, "
        "flowLogRetentionDays, lbIngressCidrs, natGateways, subnetPrefixLength"
    )


def test_an_unknown_key_two_levels_down_is_an_error() -> None:
    e = error(web={"frontend": {"port": 3000, "prot": 1}})
    assert e.message == "webstack:web.frontend.prot is not a setting; did you mean port? Expected one of: port"


def test_a_snake_case_key_is_not_accepted() -> None:
    e = error(network={"az_count": 2})
    assert e.message.startswith("webstack:network.az_count is not a setting; did you mean azCount?")


# -- types and ranges --------------------------------------------------------------------------------------------------
def test_a_number_given_as_text_is_a_type_error() -> None:
    e = error(network={"azCount": "3"})
    assert e.message == 'webstack:network.azCount must be an integer, got "3"'


def test_an_area_given_as_text_is_a_type_error() -> None:
    assert error(network="big").message == 'webstack:network must be an object, got "big"'


def test_a_list_given_as_text_is_a_type_error() -> None:
    e = error(network={"adminCidrs": "203.0.113.0/24"})
    assert e.message == 'webstack:network.adminCidrs must be a list, got "203.0.113.0/24"'


def test_tags_must_be_text() -> None:
    assert error(tags={"Team": 7}).message == "webstack:tags.Team must be text, got 7"


def test_an_out_of_range_az_count_names_both_bounds() -> None:
    assert error(network={"azCount": 7}).message == "webstack:network.azCount must be between 2 and 6, got 7"
    assert error(network={"azCount": 1}).message == "webstack:network.azCount must be between 2 and 6, got 1"


def test_a_privileged_service_port_is_out_of_range() -> None:
    e = error(web={"frontend": {"port": 80}})
    assert e.message == "webstack:web.frontend.port must be between 1024 and 65535, got 80"


def test_a_database_port_out_of_range_is_an_error() -> None:
    e = error(database={"port": 99999})
    assert e.message == "webstack:database.port must be between 1150 and 65535, got 99999"


def test_a_flow_log_retention_cloudwatch_does_not_offer_is_an_error() -> None:
    e = error(network={"flowLogRetentionDays": 42})
    assert e.message.startswith("webstack:network.flowLogRetentionDays must be one of the retention periods")
    assert e.message.endswith("got 42")


# -- enumerations ------------------------------------------------------------------------------------------------------
def test_an_unknown_engine_is_an_error() -> None:
    assert error(database={"engine": "oracle"}).message == (
        'webstack:database.engine must be one of postgres or mysql, got "oracle"'
    )


def test_an_unknown_platform_is_an_error() -> None:
    assert error(platform="gcp").message == 'webstack:platform must be one of aws, got "gcp"'


def test_an_unknown_environment_is_an_error() -> None:
    assert error(environment="production").message == (
        'webstack:environment must be one of dev, staging or prod, got "production"'
    )


def test_an_unknown_nat_mode_is_an_error() -> None:
    assert error(network={"natGateways": "none"}).message == (
        'webstack:network.natGateways must be one of perAz or single, got "none"'
    )


# -- required keys -----------------------------------------------------------------------------------------------------
def test_a_missing_domain_is_an_error() -> None:
    assert error(domain=None).message == (
        "webstack:domain is required: set it with `pulumi config set webstack:domain <value>`"
    )


def test_a_missing_region_is_an_error() -> None:
    e = error(**{"aws:region": None})
    assert e.message == "aws:region is required: set it with `pulumi config set aws:region <region>`"


def test_a_malformed_region_is_an_error() -> None:
    assert (
        error(**{"aws:region": "Europe"}).message
        == 'aws:region must be an AWS region name like eu-west-1, got "Europe"'
    )


# -- CIDRs -------------------------------------------------------------------------------------------------------------
def test_an_invalid_cidr_is_an_error() -> None:
    assert error(network={"cidr": "10.0.0.0/33"}).message == (
        'webstack:network.cidr must be a CIDR block like 10.0.0.0/16, got "10.0.0.0/33"'
    )
    assert error(network={"cidr": "banana"}).message == (
        'webstack:network.cidr must be a CIDR block like 10.0.0.0/16, got "banana"'
    )


def test_a_cidr_with_host_bits_suggests_the_network() -> None:
    assert error(network={"cidr": "10.0.0.1/16"}).message == (
        'webstack:network.cidr must be a network address (host bits clear), got "10.0.0.1/16"; did you mean '
        "10.0.0.0/16?"
    )


def test_a_public_vpc_range_is_an_error() -> None:
    assert error(network={"cidr": "8.8.0.0/16"}).message == (
        "webstack:network.cidr must be a private range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, "
        "got 8.8.0.0/16"
    )


def test_a_vpc_range_outside_aws_limits_is_an_error() -> None:
    assert error(network={"cidr": "10.0.0.0/8"}).message == (
        "webstack:network.cidr must be between /16 and /24 (AWS allows /16-/28; /24 is the smallest that fits), "
        "got 10.0.0.0/8"
    )


def test_a_cidr_too_small_for_the_subnet_plan_is_an_error() -> None:
    e = error(network={"cidr": "10.0.0.0/20"})
    assert e.key == "webstack:network.cidr"
    assert e.message == (
        "webstack:network.cidr 10.0.0.0/20 is too small for the subnet plan: 3 tiers x 3 AZs of /20 subnets need a "
        "/16 or larger VPC (or a longer webstack:network.subnetPrefixLength), got /20"
    )


def test_too_many_zones_for_the_subnet_size_is_an_error() -> None:
    e = error(network={"azCount": 6})
    assert e.key == "webstack:network.cidr"
    assert "3 tiers x 6 AZs of /20 subnets need a /15 or larger VPC" in e.message


def test_a_small_vpc_fits_with_smaller_subnets() -> None:
    s = settings(network={"cidr": "10.0.0.0/20", "subnetPrefixLength": 24})
    assert s.network.cidr == "10.0.0.0/20"


def test_an_admin_cidr_open_to_the_internet_is_an_error() -> None:
    assert error(network={"adminCidrs": ["0.0.0.0/0"]}).message == (
        "webstack:network.adminCidrs[0] must be /16 or narrower: SSH is never open to the internet, got 0.0.0.0/0"
    )
    assert error(network={"adminCidrs": ["203.0.113.7/32", "::/0"]}).message == (
        "webstack:network.adminCidrs[1] must be /48 or narrower: SSH is never open to the internet, got ::/0"
    )


def test_an_invalid_admin_cidr_is_an_error() -> None:
    assert error(network={"adminCidrs": ["office"]}).message == (
        'webstack:network.adminCidrs[0] must be a CIDR block like 203.0.113.10/32, got "office"'
    )


def test_a_repeated_admin_cidr_is_an_error() -> None:
    e = error(network={"adminCidrs": ["203.0.113.7/32", "203.0.113.7/32"]})
    assert e.message == 'webstack:network.adminCidrs must not list the same entry twice, got "203.0.113.7/32" twice'


def test_no_load_balancer_cidrs_is_an_error() -> None:
    assert error(network={"lbIngressCidrs": []}).message == (
        "webstack:network.lbIngressCidrs must list at least one CIDR, or nobody can reach the load balancer, got an "
        "empty list"
    )


# -- other values ------------------------------------------------------------------------------------------------------
def test_an_invalid_domain_is_an_error() -> None:
    assert error(domain="App.Example.org").message == (
        'webstack:domain must be a lowercase domain name like app.example.org, got "App.Example.org"'
    )
    assert error(domain="localhost").message.startswith("webstack:domain must be a lowercase domain name")


def test_a_reserved_tag_is_an_error() -> None:
    assert error(tags={"environment": "x"}).message == (
        "webstack:tags must not set Environment: webstack sets it on every resource, got 'environment'"
    )


def test_an_aws_prefixed_tag_is_an_error() -> None:
    assert error(tags={"aws:team": "x"}).message == (
        "webstack:tags must not use the aws: prefix, which AWS reserves, got 'aws:team'"
    )


def test_the_dr_region_must_differ_from_the_region() -> None:
    assert error(drRegion="us-east-1").message == (
        "webstack:drRegion must differ from aws:region (us-east-1): copies in the same region do not survive its "
        "loss, got us-east-1"
    )


def test_a_malformed_dr_region_is_an_error() -> None:
    assert error(drRegion="west").message == 'webstack:drRegion must be an AWS region name like us-west-2, got "west"'


def test_a_region_without_a_pair_needs_a_dr_region() -> None:
    e = error(**{"aws:region": "me-south-1"})
    assert e.message == (
        "webstack:drRegion must be set for aws:region me-south-1, which has no default disaster-recovery pair, "
        "got nothing"
    )
    assert settings(**{"aws:region": "me-south-1", "webstack:drRegion": "eu-central-1"}).disaster_recovery_region == (
        "eu-central-1"
    )


# -- secrets -----------------------------------------------------------------------------------------------------------
def test_a_provider_credential_in_plaintext_is_an_error() -> None:
    e = error(**{"aws:secretKey": "AKIAEXAMPLE"})
    assert e.key == "aws:secretKey"
    assert e.message == (
        "aws:secretKey holds a secret but is stored in plaintext: remove it from the stack file and set it with "
        "`pulumi config set --secret aws:secretKey <value>`"
    )
    assert "AKIAEXAMPLE" not in e.message


def test_an_encrypted_provider_credential_is_accepted() -> None:
    settings(("cloudflare:apiToken",), **{"cloudflare:apiToken": "placeholder"})


def test_a_plain_setting_stored_encrypted_is_an_error() -> None:
    e = error(("webstack:network",), network={"azCount": 2})
    assert e.message == (
        "webstack:network must not hold a secret (it is used in plaintext), got an encrypted value: set it with "
        "`pulumi config set webstack:network <value>` (without --secret)"
    )


# -- one message -------------------------------------------------------------------------------------------------------
def test_several_problems_give_one_message_about_the_first() -> None:
    e = error(network={"azCount": 9, "cidr": "banana"}, platform="gcp")
    assert "\n" not in e.message
    assert e.message.startswith("webstack:")


# -- the subnet plan ---------------------------------------------------------------------------------------------------
def test_the_subnet_plan_gives_each_tier_one_subnet_per_zone_inside_its_quarter() -> None:
    plan = plan_subnets("10.0.0.0/16", 3, 20)
    assert plan == {
        "public": ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"],
        "app": ["10.0.64.0/20", "10.0.80.0/20", "10.0.96.0/20"],
        "data": ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"],
    }
    subnets = [ipaddress.ip_network(c) for cidrs in plan.values() for c in cidrs]
    assert not any(a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])


def test_growing_the_zone_count_keeps_every_existing_subnet() -> None:
    two, four = plan_subnets("10.1.0.0/16", 2, 20), plan_subnets("10.1.0.0/16", 4, 20)
    for tier in two:
        assert four[tier][:2] == two[tier]


def test_network_defaults_match_the_documented_defaults() -> None:
    assert NetworkSettings().model_dump(by_alias=True) == {
        "cidr": "10.0.0.0/16",
        "azCount": 3,
        "subnetPrefixLength": 20,
        "natGateways": "perAz",
        "flowLogRetentionDays": 365,
        "lbIngressCidrs": ["0.0.0.0/0"],
        "adminCidrs": [],
    }
