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
from tests.conftest import IMAGES, valid_config

BASE = valid_config()


def settings(*secret_keys: str, **values: Any) -> Settings:
    """Parse config as the engine hands it over: objects as JSON text, scalars as text."""
    config = dict(BASE)
    for key, value in values.items():
        full = key if ":" in key else f"webstack:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value if isinstance(value, str) else json.dumps(value)
    return parse_settings(config, secret_keys, project="webstack", stack="prod")


def error(*secret_keys: str, **values: Any) -> SettingsError:
    with pytest.raises(SettingsError) as caught:
        settings(*secret_keys, **values)
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
        "webstack:network.cidrr is not a setting; did you mean cidr? Expected one of: adminCidrs, "
        "availabilityZoneIds, azCount, cidr, flowLogRetentionDays, lbIngressCidrs, natGateways, subnetPrefixLength"
    )


def test_an_unknown_key_two_levels_down_is_an_error() -> None:
    e = error(web={"frontend": {"port": 3000, "prot": 1}})
    assert e.message == (
        "webstack:web.frontend.prot is not a setting; did you mean port? Expected one of: build, cpu, desiredCount, "
        "environment, healthCheckPath, image, maxCount, memory, minCount, port, user"
    )


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
    assert error(platform="gcp").message == 'webstack:platform must be one of aws or docker, got "gcp"'


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
    settings("cloudflare:apiToken", **{"cloudflare:apiToken": "placeholder"})


def test_a_plain_setting_stored_encrypted_is_an_error() -> None:
    e = error("webstack:network", network={"azCount": 2})
    assert e.message == (
        "webstack:network must not hold a secret (it is used in plaintext), got an encrypted value: set it with "
        "`pulumi config set webstack:network <value>` (without --secret)"
    )


# -- one message -------------------------------------------------------------------------------------------------------
def test_several_problems_give_one_message_about_the_first() -> None:
    e = error(network={"azCount": 9, "cidr": "banana"}, platform="gcp")
    assert "\n" not in e.message
    assert e.message.startswith("webstack:")


# -- the web tier ------------------------------------------------------------------------------------------------------
def web(**changes: Any) -> dict[str, Any]:
    """The web area with the base images and some changes (service keys merge into the base service)."""
    area: dict[str, Any] = json.loads(json.dumps(IMAGES))
    for key, value in changes.items():
        if key in ("frontend", "backend"):
            area[key] = {**area[key], **value}
        else:
            area[key] = value
    return area


def test_web_defaults_follow_the_guides() -> None:
    w = settings().web
    assert (w.frontend.port, w.frontend.cpu, w.frontend.memory, w.frontend.desired_count) == (3000, 512, 1024, 2)
    assert (w.backend.port, w.backend.cpu, w.backend.memory, w.backend.desired_count) == (8000, 1024, 2048, 3)
    assert (w.frontend.min_count, w.frontend.max_count, w.backend.min_count, w.backend.max_count) == (2, 6, 3, 9)
    assert w.ssl_policy == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert w.deletion_protection is True
    hc = w.health_check
    assert (hc.interval_seconds, hc.timeout_seconds, hc.healthy_threshold, hc.unhealthy_threshold) == (30, 10, 2, 3)
    assert w.frontend.health_check_path == "/health"
    limits = w.rate_limits
    assert (limits.api.limit, limits.api.window_seconds, limits.api.path) == (600, 60, "/api/")
    assert (limits.login.limit, limits.login.window_seconds, limits.login.match) == (10, 120, "contains")
    assert (limits.general.limit, limits.general.window_seconds, limits.general.path) == (1800, 60, "")
    assert w.exec_enabled is False
    assert w.frontend.user == "1000:1000"


def test_a_service_without_an_image_or_build_is_an_error() -> None:
    e = error(web={"frontend": IMAGES["frontend"]})
    assert e.key == "webstack:web.backend.image"
    assert e.message == (
        "webstack:web.backend.image is required: name the image to run (pinned by tag or digest), or set "
        "webstack:web.backend.build to build it, got nothing"
    )


def test_an_image_and_a_build_together_is_an_error() -> None:
    e = error(web=web(backend={"build": {"context": "app/backend"}}))
    assert e.message == "webstack:web.backend.image must name an image to run or a build, not both, got both"


def test_an_unpinned_image_is_an_error() -> None:
    assert error(web=web(frontend={"image": "nginx:latest"})).message == (
        'webstack:web.frontend.image must be pinned to a version or digest, not latest, got "nginx:latest"'
    )
    assert error(web=web(frontend={"image": "nginx"})).message.startswith(
        "webstack:web.frontend.image must be an image reference with a tag or digest"
    )


def test_images_pinned_by_digest_or_registry_port_are_accepted() -> None:
    digest = "registry.example.org:5000/team/api@sha256:" + "a" * 64
    assert settings(web=web(backend={"image": digest})).web.backend.image == digest


def test_a_build_context_outside_the_project_is_an_error() -> None:
    e = error(web=web(backend={"image": "", "build": {"context": "../elsewhere"}}))
    assert e.message == (
        "webstack:web.backend.build.context must be a directory inside the project, like app/backend, got "
        '"../elsewhere"'
    )


def test_a_missing_build_context_is_an_error() -> None:
    e = error(web=web(backend={"image": "", "build": {"context": "app/missing"}}))
    assert e.message == (
        'webstack:web.backend.build.context must be a directory of the project, got "app/missing", which does not exist'
    )


def test_a_build_from_an_existing_context_is_accepted(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app" / "backend").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    build = settings(web=web(backend={"image": "", "build": {"context": "app/backend"}})).web.backend.build
    assert build is not None
    assert (build.context, build.dockerfile, build.target) == ("app/backend", "Dockerfile", "")


def test_a_size_fargate_does_not_offer_is_an_error() -> None:
    assert error(web=web(backend={"cpu": 1000})).message == (
        "webstack:web.backend.cpu must be a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384), got 1000"
    )
    assert error(web=web(backend={"cpu": 1024, "memory": 1024})).message == (
        "webstack:web.backend.memory must be a size Fargate offers with cpu 1024 (2048-8192 MiB in steps of 1024), "
        "got 1024"
    )


def test_a_desired_count_outside_the_autoscaling_range_is_an_error() -> None:
    assert error(web=web(frontend={"desiredCount": 9})).message == (
        "webstack:web.frontend.desiredCount must lie between minCount (2) and maxCount (6), got 9"
    )


def test_a_root_user_is_an_error() -> None:
    assert error(web=web(backend={"user": "0:0"})).message == (
        'webstack:web.backend.user must not be root: containers run unprivileged, got "0:0"'
    )
    assert error(web=web(backend={"user": "root"})).message.startswith("webstack:web.backend.user must not be root")


def test_a_credential_in_the_environment_is_an_error() -> None:
    e = error(web=web(backend={"environment": {"LOG_LEVEL": "info", "DB_PASSWORD": "hunter2hunter2"}}))
    assert e.message == (
        "webstack:web.backend.environment must not hold DB_PASSWORD: it looks like a credential, and plain "
        "environment variables are stored in plaintext; credentials reach the tasks as ECS secrets from Secrets Manager"
    )
    assert "hunter2hunter2" not in e.message


def test_a_health_check_timeout_must_be_shorter_than_the_interval() -> None:
    e = error(web=web(healthCheck={"intervalSeconds": 10, "timeoutSeconds": 10}))
    assert e.message == (
        "webstack:web.healthCheck.timeoutSeconds must be less than intervalSeconds (10), as the load balancer "
        "requires, got 10"
    )


def test_a_health_check_matcher_must_be_http_codes() -> None:
    assert error(web=web(healthCheck={"matcher": "ok"})).message == (
        'webstack:web.healthCheck.matcher must be HTTP codes like 200 or 200-399, got "ok"'
    )


def test_a_rate_limit_below_the_waf_minimum_is_an_error() -> None:
    e = error(web=web(rateLimits={"login": {"limit": 5, "windowSeconds": 60}}))
    assert e.message == "webstack:web.rateLimits.login.limit must be between 10 and 2000000000, got 5"


def test_a_rate_limit_window_the_waf_does_not_offer_is_an_error() -> None:
    e = error(web=web(rateLimits={"api": {"limit": 100, "windowSeconds": 30}}))
    assert e.message == "webstack:web.rateLimits.api.windowSeconds must be one of 60, 120, 300 or 600, got 30"


def test_a_tls_policy_older_than_tls_1_2_is_an_error() -> None:
    e = error(web=web(sslPolicy="ELBSecurityPolicy-2016-08"))
    assert e.message.startswith("webstack:web.sslPolicy must be one of ELBSecurityPolicy-TLS13-1-2-2021-06, ")
    assert e.message.endswith('got "ELBSecurityPolicy-2016-08"')


def test_without_the_cdn_a_certificate_is_required() -> None:
    e = error(cdn={"enabled": False})
    assert e.key == "webstack:web.certificateArn"
    assert e.message.startswith("webstack:web.certificateArn is required when the CDN is off")
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    assert settings(cdn={"enabled": False}, web=web(certificateArn=arn)).web.certificate_arn == arn


def test_a_certificate_in_another_region_is_an_error() -> None:
    arn = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    assert error(web=web(certificateArn=arn)).message == (
        "webstack:web.certificateArn must be in aws:region (us-east-1), where the load balancer is, got eu-west-1"
    )


def test_a_malformed_certificate_arn_is_an_error() -> None:
    assert error(web=web(certificateArn="cert-1")).message == (
        'webstack:web.certificateArn must be an ACM certificate ARN, got "cert-1"'
    )


def test_the_cdn_needs_a_zone_id() -> None:
    assert error(cdn={"enabled": True}).message == (
        'webstack:cdn.zoneId must be a Cloudflare zone id (32 hex digits) when the CDN is on, got ""'
    )


def test_probe_paths_are_plain_url_paths() -> None:
    assert error(web=web(smokeTest={"path": "/health?a=1&b=2"})).message == (
        'webstack:web.smokeTest.path must be a URL path like /health (letters, digits and ._~/-), got "/health?a=1&b=2"'
    )
    assert error(web=web(backend={"healthCheckPath": "health"})).message.startswith(
        "webstack:web.backend.healthCheckPath must be a URL path like /health"
    )


def test_web_retention_follows_cloudwatch() -> None:
    assert error(web=web(logRetentionDays=45)).message.startswith("webstack:web.logRetentionDays must be one of")


# -- the data tier -----------------------------------------------------------------------------------------------------
def test_database_defaults_follow_the_guides() -> None:
    d = settings().database
    assert (d.engine, d.effective_version, d.family, d.effective_port) == ("postgres", "16", "postgres16", 5432)
    assert (d.backup_retention_days, d.backup_window, d.maintenance_window) == (
        30,
        "02:00-03:00",
        "sun:04:00-sun:05:00",
    )
    assert (d.multi_az, d.replicas, d.shards, d.deletion_protection) == (True, 1, 1, True)
    assert (d.allocated_storage_gb, d.max_allocated_storage_gb, d.master_username) == (100, 500, "webstack_admin")
    mysql = settings(database={"engine": "mysql"}).database
    assert (mysql.family, mysql.effective_port) == ("mysql8.0", 3306)


def test_cache_defaults() -> None:
    c = settings().cache
    assert (c.engine, c.effective_version, c.family, c.node_type) == ("redis", "7.1", "redis7", "cache.r7g.large")
    assert (c.replicas, c.multi_az, c.cluster_mode, c.maxmemory_policy) == (1, True, False, "allkeys-lru")
    assert (c.snapshot_retention_days, c.snapshot_window) == (7, "03:00-04:00")
    assert settings(cache={"engine": "valkey"}).cache.family == "valkey8"


def test_an_engine_version_webstack_does_not_support_is_an_error() -> None:
    assert error(database={"version": "12"}).message == (
        'webstack:database.version must be one of 14, 15, 16, 17 for postgres, got "12"'
    )
    assert error(database={"engine": "mysql", "version": "16"}).message.startswith(
        "webstack:database.version must be one of 8.0, 8.4 for mysql"
    )


def test_small_instance_classes_lack_performance_insights() -> None:
    assert error(database={"instanceClass": "db.t4g.micro"}).message == (
        "webstack:database.instanceClass must be medium or larger and not db.t2: smaller classes lack Performance "
        "Insights, got db.t4g.micro"
    )
    assert error(database={"instanceClass": "m5.large"}).message.startswith(
        "webstack:database.instanceClass must be an RDS instance class like db.m7g.large"
    )


def test_a_default_master_username_is_an_error() -> None:
    assert error(database={"masterUsername": "admin"}).message.startswith(
        "webstack:database.masterUsername must not be a default user name (admin, administrator, root, postgres"
    )


def test_storage_must_be_able_to_grow() -> None:
    assert error(database={"allocatedStorageGb": 200, "maxAllocatedStorageGb": 200}).message == (
        "webstack:database.maxAllocatedStorageGb must be more than allocatedStorageGb (200) for storage to grow, "
        "got 200"
    )


def test_backup_retention_is_bounded_by_rds() -> None:
    assert error(database={"backupRetentionDays": 36}).message == (
        "webstack:database.backupRetentionDays must be between 1 and 35, got 36"
    )


def test_windows_must_be_well_formed_long_enough_and_apart() -> None:
    assert error(database={"backupWindow": "2am"}).message == (
        'webstack:database.backupWindow must be a daily UTC window like 02:00-03:00, got "2am"'
    )
    assert error(database={"backupWindow": "02:00-02:15"}).message == (
        "webstack:database.backupWindow must last at least 30 minutes, as AWS requires, got 02:00-02:15"
    )
    assert error(database={"maintenanceWindow": "sun:02:30-sun:03:30"}).message == (
        "webstack:database.maintenanceWindow must not overlap backupWindow (02:00-03:00), as RDS requires, got "
        "sun:02:30-sun:03:30"
    )
    assert error(cache={"maintenanceWindow": "mon:03:30-mon:04:30"}).message.startswith(
        "webstack:cache.maintenanceWindow must not overlap snapshotWindow (03:00-04:00)"
    )


def test_tables_must_route_to_existing_shards() -> None:
    assert error(database={"shards": 2, "tables": {"users": 0, "posts": 2}}).message == (
        "webstack:database.tables must route posts to a shard below 2 (webstack:database.shards), got 2"
    )
    routed = settings(database={"shards": 3, "tables": {"users": 0, "deposits": 1, "posts": 2}}).database
    assert routed.tables == {"users": 0, "deposits": 1, "posts": 2}


def test_performance_insights_retention_follows_rds() -> None:
    assert (
        settings(database={"performanceInsightsRetentionDays": 93}).database.performance_insights_retention_days == 93
    )
    assert error(database={"performanceInsightsRetentionDays": 30}).message == (
        "webstack:database.performanceInsightsRetentionDays must be 7, 731 or a multiple of 31 up to 713, got 30"
    )


def test_cache_failover_needs_a_replica() -> None:
    assert error(cache={"replicas": 0}).message == (
        "webstack:cache.multiAz must be false without replicas: failover needs a replica to fail over to, got true"
    )
    assert settings(cache={"replicas": 0, "multiAz": False}).cache.replicas == 0


def test_cache_shards_need_cluster_mode() -> None:
    assert error(cache={"shards": 3}).message == "webstack:cache.shards must be 1 unless clusterMode is on, got 3"
    assert settings(cache={"clusterMode": True, "shards": 3}).cache.shards == 3


def test_cache_node_types_and_policies_are_checked() -> None:
    assert error(cache={"nodeType": "cache.t2.micro"}).message.startswith(
        "webstack:cache.nodeType must be a current generation"
    )
    assert error(cache={"maxmemoryPolicy": "lru"}).message.startswith("webstack:cache.maxmemoryPolicy must be one of")
    assert (
        error(cache={"version": "6.2"}).message == 'webstack:cache.version must be one of 7.1, 7.0 for redis, got "6.2"'
    )


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
        "availabilityZoneIds": [],
    }


# -- storage and backups -----------------------------------------------------------------------------------------------
def test_backup_defaults_follow_the_guides() -> None:
    backups = settings().backups
    assert (backups.daily_retention_days, backups.weekly_retention_days) == (30, 90)
    assert (backups.continuous, backups.copy_to_dr_region, backups.replicate_database_backups) == (True, True, True)
    assert backups.restore_testing is True
    assert not backups.vault_lock.enabled
    assert backups.object_lock.mode == "off"
    assert settings().database.backup_retention_days == backups.daily_retention_days
    storage = settings().storage
    assert (storage.noncurrent_version_days, storage.access_log_days) == (30, 365)


def test_continuous_backups_keep_at_most_35_days() -> None:
    assert error(backups={"dailyRetentionDays": 40}).message == (
        "webstack:backups.dailyRetentionDays must be at most 35 with continuous backups, which keep at most 35 days, "
        "got 40"
    )
    relaxed = settings(backups={"dailyRetentionDays": 40, "continuous": False}).backups
    assert relaxed.daily_retention_days == 40


def test_weekly_backups_outlive_the_daily_ones() -> None:
    assert error(backups={"weeklyRetentionDays": 30}).message == (
        "webstack:backups.weeklyRetentionDays must be longer than dailyRetentionDays (30), got 30"
    )


def test_rds_and_continuous_backups_agree_on_the_point_in_time_window() -> None:
    assert error(database={"backupRetentionDays": 7}).message == (
        "webstack:database.backupRetentionDays must equal webstack:backups.dailyRetentionDays (30) while continuous "
        "backups manage point-in-time restore, got 7"
    )
    both = settings(database={"backupRetentionDays": 14}, backups={"dailyRetentionDays": 14})
    assert both.database.backup_retention_days == both.backups.daily_retention_days == 14
    apart = settings(database={"backupRetentionDays": 7}, backups={"continuous": False})
    assert apart.database.backup_retention_days == 7


def test_a_vault_lock_must_admit_the_plans_retention() -> None:
    assert error(backups={"vaultLock": {"enabled": True, "minRetentionDays": 60}}).message == (
        "webstack:backups.vaultLock.minRetentionDays must be at most dailyRetentionDays (30), or the daily backups "
        "are refused, got 60"
    )
    assert error(backups={"vaultLock": {"enabled": True, "maxRetentionDays": 60}}).message == (
        "webstack:backups.vaultLock.maxRetentionDays must be at least weeklyRetentionDays (90), or the weekly backups "
        "are refused, got 60"
    )
    assert error(backups={"vaultLock": {"enabled": True, "changeableForDays": 2}}).message == (
        "webstack:backups.vaultLock.changeableForDays must be between 3 and 36500, got 2"
    )
    lock = settings(backups={"vaultLock": {"enabled": True, "changeableForDays": 3}}).backups.vault_lock
    assert (lock.enabled, lock.min_retention_days, lock.max_retention_days, lock.changeable_for_days) == (
        True,
        7,
        365,
        3,
    )


def test_object_lock_modes_are_spelt_as_s3_spells_them() -> None:
    assert error(backups={"objectLock": {"mode": "governance"}}).message == (
        'webstack:backups.objectLock.mode must be one of off, GOVERNANCE or COMPLIANCE, got "governance"'
    )
    assert settings(backups={"objectLock": {"mode": "COMPLIANCE", "days": 7}}).backups.object_lock.days == 7


def test_backup_switches_and_storage_days_are_typed_and_bounded() -> None:
    assert error(backups={"copyToDrRegion": "yes"}).message == (
        'webstack:backups.copyToDrRegion must be true or false, got "yes"'
    )
    assert error(storage={"accessLogDays": 0}).message == (
        "webstack:storage.accessLogDays must be between 1 and 3650, got 0"
    )
    assert error(backups={"restoreTesting": True, "retoreTesting": False}).message.startswith(
        "webstack:backups.retoreTesting is not a setting; did you mean restoreTesting?"
    )


def test_weekly_exports_move_to_the_archive_before_they_expire() -> None:
    assert settings().backups.export_archive_after_days == 0
    assert error(backups={"exportArchiveAfterDays": 90}).message == (
        "webstack:backups.exportArchiveAfterDays must be less than weeklyRetentionDays (90): S3 expires an object "
        "only after it moves it, got 90"
    )
    assert settings(backups={"exportArchiveAfterDays": 30}).backups.export_archive_after_days == 30


# -- the CDN -----------------------------------------------------------------------------------------------------------
ZONE = "0123456789abcdef0123456789abcdef"


def cdn(**values: Any) -> dict[str, Any]:
    return {"enabled": True, "zoneId": ZONE, **values}


def test_the_cdn_needs_the_zones_plan() -> None:
    assert error(cdn=cdn()).message == (
        "webstack:cdn.plan is required when the CDN is on: free, pro, business or enterprise, got nothing"
    )
    assert error(cdn=cdn(plan="gold")).message == (
        'webstack:cdn.plan must be one of free, pro, business or enterprise, got "gold"'
    )
    on = settings(cdn=cdn(plan="business")).cdn
    assert (on.plan, on.rate_limited, on.owasp, on.cache_api) == ("business", ["api", "login", "general"], True, False)
    assert (on.static_edge_ttl_seconds, on.static_browser_ttl_seconds, on.api_cache_ttl_seconds) == (
        31_536_000,
        31_536_000,
        300,
    )


def test_the_plan_caps_the_number_of_rate_limiting_rules() -> None:
    assert error(cdn=cdn(plan="pro")).message == (
        "webstack:cdn.rateLimited must name at most 2 of api, login and general: the Cloudflare pro plan allows 2 "
        'rate-limiting rules, got a list ["api", "login", "general"]'
    )
    assert error(cdn=cdn(plan="free", rateLimited=["api", "login"])).message.startswith(
        "webstack:cdn.rateLimited must name at most 1 of api, login and general: the Cloudflare free plan allows 1 "
        "rate-limiting rule, got"
    )
    assert error(cdn=cdn(plan="business", rateLimited=["api", "api"])).message == (
        'webstack:cdn.rateLimited must not repeat a limit, got a list ["api", "api"]'
    )
    assert error(cdn=cdn(plan="business", rateLimited=["apis"])).message == (
        'webstack:cdn.rateLimited[0] must be one of api, login or general, got "apis"'
    )


def test_rate_limit_periods_must_be_ones_the_plan_offers() -> None:
    assert error(cdn=cdn(plan="pro", rateLimited=["api", "login"])).message == (
        "webstack:cdn.rateLimitPeriodSeconds must be set on the Cloudflare pro plan, whose rate limits count over at "
        "most 60 s, while webstack:web.rateLimits.login.windowSeconds is 120 (choose one of 10, 15, 20, 30, 40, 45, "
        "60; each limit keeps its rate), got nothing"
    )
    assert error(cdn=cdn(plan="pro", rateLimited=["api"], rateLimitPeriodSeconds=120)).message == (
        "webstack:cdn.rateLimitPeriodSeconds must be one of 10, 15, 20, 30, 40, 45, 60 on the Cloudflare pro plan, "
        "got 120"
    )
    assert error(cdn=cdn(plan="free", rateLimited=["login"], rateLimitPeriodSeconds=60)).message == (
        "webstack:cdn.rateLimitPeriodSeconds must be one of 10 on the Cloudflare free plan, got 60"
    )
    pro = settings(cdn=cdn(plan="pro", rateLimited=["api"])).cdn
    assert pro.rate_limit_period_seconds is None  # the API's 60 s window is one Pro offers
    free = settings(cdn=cdn(plan="free", rateLimited=["login"], rateLimitPeriodSeconds=10)).cdn
    assert (free.rate_limited, free.rate_limit_period_seconds) == (["login"], 10)


def test_edge_ttls_respect_the_plans_minimum() -> None:
    free = cdn(plan="free", rateLimited=["login"], rateLimitPeriodSeconds=10)
    assert error(cdn={**free, "cacheApi": True}).message == (
        "webstack:cdn.apiCacheTtlSeconds must be at least 7200 on the Cloudflare free plan, the shortest edge TTL "
        "it offers, got 300"
    )
    assert settings(cdn={**free, "cacheApi": True, "apiCacheTtlSeconds": 7200}).cdn.api_cache_ttl_seconds == 7200
    assert error(cdn=cdn(plan="pro", rateLimited=["api"], staticEdgeTtlSeconds=600)).message == (
        "webstack:cdn.staticEdgeTtlSeconds must be at least 3600 on the Cloudflare pro plan, the shortest edge TTL "
        "it offers, got 600"
    )


def test_security_headers_are_one_line() -> None:
    assert error(cdn=cdn(plan="business", contentSecurityPolicy="default-src 'self'\nscript-src *")).message == (
        "webstack:cdn.contentSecurityPolicy must be one non-empty line, got \"default-src 'self'\\nscript-src *\""
    )
    assert error(cdn=cdn(plan="business", permissionsPolicy=" ")).message == (
        'webstack:cdn.permissionsPolicy must be one non-empty line, got " "'
    )


def test_the_content_security_policy_is_checked_with_the_cdn_off_too() -> None:
    """The load balancer sends it without Cloudflare (staging), so a broken value is refused there as well."""
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    assert error(cdn={"contentSecurityPolicy": ""}, web=web(certificateArn=arn)).message == (
        'webstack:cdn.contentSecurityPolicy must be one non-empty line, got ""'
    )
    csp = "default-src 'self'; script-src 'self' https://cdn.example.org"
    staging = settings(cdn={"contentSecurityPolicy": csp}, web=web(certificateArn=arn))
    assert (staging.cdn.enabled, staging.cdn.content_security_policy) == (False, csp)


def test_authenticated_origin_pulls_need_cloudflares_ca(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert error(cdn=cdn(plan="business", authenticatedOriginPulls=True)).message == (
        "webstack:cdn.originPullCaBundle is required with authenticatedOriginPulls: the path of Cloudflare's "
        "origin-pull CA certificate (PEM), got nothing"
    )
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a certificate")
    assert error(cdn=cdn(plan="business", authenticatedOriginPulls=True, originPullCaBundle="notes.txt")).message == (
        'webstack:cdn.originPullCaBundle must be a PEM certificate file of the project, got "notes.txt"'
    )
    (tmp_path / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    on = settings(cdn=cdn(plan="business", authenticatedOriginPulls=True, originPullCaBundle="ca.pem")).cdn
    assert (on.authenticated_origin_pulls, on.origin_pull_ca_bundle) == (True, "ca.pem")


def test_with_the_cdn_the_load_balancer_admits_cloudflare_only() -> None:
    assert error(cdn=cdn(plan="business"), network={"lbIngressCidrs": ["10.0.0.0/8"]}).message == (
        "webstack:network.lbIngressCidrs must be left unset while the CDN is on: the load balancer then admits "
        'Cloudflare\'s published ranges only, got a list ["10.0.0.0/8"]'
    )
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
    off = settings(cdn={"enabled": False}, network={"lbIngressCidrs": ["10.0.0.0/8"]}, web=web(certificateArn=arn))
    assert off.network.lb_ingress_cidrs == ["10.0.0.0/8"]


# -- monitoring --------------------------------------------------------------------------------------------------------
def test_monitoring_defaults() -> None:
    monitoring = settings().monitoring
    assert (monitoring.alert_emails, monitoring.thresholds) == ([], {})
    assert (monitoring.uptime_interval_minutes, monitoring.prometheus, monitoring.grafana) == (5, True, True)
    assert monitoring.metrics_path == "/metrics"
    assert monitoring.collector_image.startswith("public.ecr.aws/aws-observability/aws-otel-collector:v")


def test_alert_emails_are_addresses_once_each() -> None:
    assert error(monitoring={"alertEmails": ["ops"]}).message == (
        'webstack:monitoring.alertEmails[0] must be an email address, got "ops"'
    )
    assert error(monitoring={"alertEmails": ["a@example.org", "a@example.org"]}).message == (
        'webstack:monitoring.alertEmails must not repeat an address, got a list ["a@example.org", "a@example.org"]'
    )
    assert settings(monitoring={"alertEmails": ["oncall@example.org"]}).monitoring.alert_emails == [
        "oncall@example.org"
    ]


def test_threshold_overrides_name_catalog_alerts_and_severities() -> None:
    assert error(monitoring={"thresholds": {"HighErrorRates": {"warning": 2}}}).message.startswith(
        "webstack:monitoring.thresholds.HighErrorRates is not an alert; did you mean HighErrorRate? Expected one of: "
    )
    assert error(monitoring={"thresholds": {"HighErrorRate": {"info": 2}}}).message == (
        'webstack:monitoring.thresholds.HighErrorRate keys must be one of warning or critical, got "info"'
    )
    assert error(monitoring={"thresholds": {"HighErrorRate": {"warning": "high"}}}).message == (
        'webstack:monitoring.thresholds.HighErrorRate.warning must be a number, got "high"'
    )
    overridden = settings(monitoring={"thresholds": {"HighErrorRate": {"warning": 2}}}).monitoring
    assert overridden.thresholds == {"HighErrorRate": {"warning": 2.0}}


def test_the_uptime_interval_and_the_collector_image_are_checked() -> None:
    assert error(monitoring={"uptimeIntervalMinutes": 2}).message == (
        "webstack:monitoring.uptimeIntervalMinutes must be one of 1, 5, 10, 15, 30 or 60, got 2"
    )
    assert error(monitoring={"collectorImage": "otel/collector:latest"}).message == (
        "webstack:monitoring.collectorImage must be pinned to a version or digest, not latest, got "
        '"otel/collector:latest"'
    )


def test_the_alert_webhook_is_a_secret_setting() -> None:
    assert error(**{"webstack:alertWebhookUrl": "https://hooks.slack.com/services/T0/B0/x"}).message == (
        "webstack:alertWebhookUrl holds a secret but is stored in plaintext: remove it from the stack file and set "
        "it with `pulumi config set --secret webstack:alertWebhookUrl <value>`"
    )
    # Encrypted, it is read as a secret by load_secrets, never validated as plaintext here.
    assert settings("webstack:alertWebhookUrl", **{"webstack:alertWebhookUrl": "https://hooks.slack.com/x"})


def test_the_secret_settings_declared_empty_defaults_mean_unset() -> None:
    """Pulumi merges a declared default into every stack that does not set the key, as plaintext: the program must
    take Pulumi.yaml's empty defaults for unset, not for a secret stored in plaintext."""
    import pulumi.runtime.config as runtime_config
    import yaml

    from components.settings import load_secrets
    from tests.conftest import ROOT

    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    defaults = {key: declared[key]["default"] for key in ("webstack:alertWebhookUrl", "webstack:appSecrets")}
    assert defaults == {"webstack:alertWebhookUrl": "", "webstack:appSecrets": {}}
    as_the_engine_passes = {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in defaults.items()
    }
    assert settings(**as_the_engine_passes)
    previous = dict(runtime_config.CONFIG.get())
    runtime_config.set_all_config(as_the_engine_passes, [])
    try:
        secrets = load_secrets()
    finally:
        runtime_config.set_all_config(previous, [])
    assert secrets.alert_webhook_url is None
    assert secrets.app == {}
    # Anything else is a value, and refused in plaintext.
    assert error(**{"webstack:alertWebhookUrl": "https://x.example.org/h"}).message.startswith(
        "webstack:alertWebhookUrl holds a secret but is stored in plaintext"
    )


def test_the_alert_webhook_must_be_https_and_is_never_echoed() -> None:
    from components.settings import validate_webhook_url

    assert (
        validate_webhook_url("https://hooks.slack.com/services/T0/B0/x") == "https://hooks.slack.com/services/T0/B0/x"
    )
    for bad in ("http://hooks.example.org/x", "https://user:s3cret@hooks.example.org/x", "hooks.slack.com/x"):
        with pytest.raises(SettingsError) as caught:
            validate_webhook_url(bad)
        assert caught.value.message == (
            "webstack:alertWebhookUrl must be an https:// URL without credentials in it; the value set is not one"
        )
        assert bad not in str(caught.value)


# -- the docker platform -----------------------------------------------------------------------------------------------
def test_the_docker_platform_needs_no_certificate_arn_and_defaults_are_safe() -> None:
    s = settings(platform="docker", environment="dev", cdn={"enabled": False}, web=IMAGES)
    assert s.platform == "docker"
    assert s.docker.admin_bind_address == "127.0.0.1"
    assert (s.docker.http_port, s.docker.https_port) == (80, 443)
    assert s.docker.tls.certificate_file == ""
    assert s.docker.images == {}


# -- Cloudflare in front of the docker platform ------------------------------------------------------------------------
ACCOUNT = "89abcdef0123456789abcdef01234567"
PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n"


def behind_cloudflare(**values: Any) -> dict[str, Any]:
    """A docker stack's settings behind Cloudflare (business plan), ``values`` merged into webstack:cdn."""
    return {"platform": "docker", "web": IMAGES, "cdn": cdn(plan="business", **values)}


@pytest.fixture
def direct_files(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What origin direct needs besides the address: the origin-pull CA, and a certificate Cloudflare trusts."""
    monkeypatch.chdir(tmp_path)
    for name, text in (("origin-pull-ca.pem", PEM), ("origin.pem", PEM), ("origin.key", KEY)):
        (tmp_path / name).write_text(text)
    return {
        "cdn": {"origin": "direct", "authenticatedOriginPulls": True, "originPullCaBundle": "origin-pull-ca.pem"},
        "docker": {"publicAddress": "93.184.216.34", "tls": {"certificateFile": "origin.pem", "keyFile": "origin.key"}},
    }


def direct(files: dict[str, Any], cdn_values: dict[str, Any] | None = None, **docker: Any) -> dict[str, Any]:
    return {
        **behind_cloudflare(**{**files["cdn"], **(cdn_values or {})}),
        "docker": {**files["docker"], **docker},
    }


def test_behind_cloudflare_the_docker_platform_defaults_to_a_tunnel() -> None:
    s = settings(**behind_cloudflare(accountId=ACCOUNT))
    assert (s.cdn_origin, s.cdn.account_id, s.docker.tunnel_subnet) == ("tunnel", ACCOUNT, "192.168.255.248/29")
    assert settings(**behind_cloudflare(accountId=ACCOUNT, origin="tunnel")).cdn_origin == "tunnel"
    assert settings(platform="docker", environment="dev", cdn={"enabled": False}, web=IMAGES).cdn_origin is None
    assert settings(cdn=cdn(plan="business")).cdn_origin == "direct"  # aws: the load balancer


def test_a_tunnel_needs_the_account() -> None:
    assert error(**behind_cloudflare()).message == (
        "webstack:cdn.accountId is required with webstack:cdn.origin tunnel: the Cloudflare account the tunnel "
        "belongs to (32 hex digits), got nothing"
    )
    assert error(**behind_cloudflare(accountId="acme")).message == (
        'webstack:cdn.accountId must be a Cloudflare account id (32 hex digits), got "acme"'
    )


def test_a_tunnel_subnet_must_be_a_private_ipv4_network() -> None:
    for subnet in ("10.0.0.0/30", "1.1.1.0/24", "fd00::/64"):
        assert error(**behind_cloudflare(accountId=ACCOUNT), docker={"tunnelSubnet": subnet}).message.startswith(
            "webstack:docker.tunnelSubnet must be a private IPv4 network of at least 8 addresses (/29), got"
        )


def test_the_aws_platform_has_no_tunnel() -> None:
    assert error(cdn=cdn(plan="business", origin="tunnel")).message == (
        "webstack:cdn.origin must be direct (or unset) on the aws platform, whose origin is its load balancer; a "
        "tunnel is the docker platform's, got tunnel"
    )


def test_a_direct_origin_is_valid_with_its_address_origin_pulls_and_certificate(direct_files: dict[str, Any]) -> None:
    s = settings(**direct(direct_files))
    assert (s.cdn_origin, s.docker.public_address, s.cdn.authenticated_origin_pulls) == (
        "direct",
        "93.184.216.34",
        True,
    )


def test_a_direct_origin_needs_the_servers_public_address(direct_files: dict[str, Any]) -> None:
    assert error(**direct(direct_files, publicAddress="")).message == (
        "webstack:docker.publicAddress is required with webstack:cdn.origin direct: the server's public address, "
        "where the site's records point, got nothing"
    )
    assert error(**direct(direct_files, publicAddress="10.1.2.3")).message == (
        'webstack:docker.publicAddress must be a public address that Cloudflare can reach, got "10.1.2.3"'
    )
    assert error(**direct(direct_files, publicAddress="server")).message == (
        'webstack:docker.publicAddress must be an IP address, got "server"'
    )


def test_a_direct_origin_needs_authenticated_origin_pulls(direct_files: dict[str, Any]) -> None:
    assert error(**direct(direct_files, {"authenticatedOriginPulls": False})).message == (
        "webstack:cdn.authenticatedOriginPulls must be true with webstack:cdn.origin direct: nginx publishes 443 "
        "and must refuse every client without Cloudflare's origin-pull certificate, got false"
    )


def test_a_direct_origin_needs_a_certificate_strict_mode_accepts(direct_files: dict[str, Any]) -> None:
    assert error(**direct(direct_files, tls={})).message.startswith(
        "webstack:docker.tls.certificateFile is required with webstack:cdn.origin direct: Cloudflare's strict SSL "
        "mode verifies the origin's certificate"
    )


def test_a_direct_origin_listens_on_443(direct_files: dict[str, Any]) -> None:
    assert error(**direct(direct_files, httpsPort=8443)).message == (
        "webstack:docker.httpsPort must be 443 with webstack:cdn.origin direct: Cloudflare connects to the origin on "
        "the port the visitor used, got 8443"
    )


# -- a zone that is safe to share --------------------------------------------------------------------------------------
def test_www_is_served_only_where_the_universal_certificate_covers_it() -> None:
    """Universal SSL covers the zone's apex and one level below it (*.example.org)."""
    at_apex = settings(domain="example.org", cdn=cdn(plan="business"))
    assert (at_apex.zone_name, at_apex.levels_below_zone, at_apex.serves_www) == ("example.org", 0, True)
    below = settings(cdn=cdn(plan="business"))
    assert (below.zone_name, below.levels_below_zone, below.serves_www) == ("example.org", 1, False)
    ordered = settings(cdn=cdn(plan="business", www="advancedCertificate"))
    assert ordered.serves_www is True
    assert settings(domain="example.org", cdn=cdn(plan="business", www="none")).serves_www is False
    # Without Cloudflare the origin's own certificate names www.
    assert settings(platform="docker", environment="dev", cdn={"enabled": False}, web=IMAGES).serves_www is True


def test_a_site_two_levels_below_the_zone_needs_an_advanced_certificate() -> None:
    assert error(domain="shop.eu.example.org", cdn=cdn(plan="business")).message == (
        "webstack:cdn.www must be advancedCertificate for shop.eu.example.org, which is 2 levels below the zone "
        "example.org: Cloudflare's Universal SSL certificate covers the apex and one level below it only, got auto"
    )
    deep = settings(domain="shop.eu.example.org", cdn=cdn(plan="business", www="advancedCertificate"))
    assert (deep.levels_below_zone, deep.serves_www) == (2, True)


def test_the_zone_must_hold_the_domain() -> None:
    assert error(domain="app.example.co.uk", cdn=cdn(plan="business")).message.startswith(
        "webstack:cdn.www must be advancedCertificate"
    )  # the default zone (co.uk) is wrong: set the zone's name
    assert settings(domain="app.example.co.uk", cdn=cdn(plan="business", zoneName="example.co.uk")).serves_www is False
    assert error(cdn=cdn(plan="business", zoneName="example.net")).message == (
        "webstack:cdn.zoneName must be the zone that holds webstack:domain (app.example.org), got example.net"
    )
    assert error(cdn=cdn(plan="business", zoneName="Example.org")).message == (
        'webstack:cdn.zoneName must be a lowercase domain name like example.org, got "Example.org"'
    )


def test_hsts_binds_subdomains_and_preload_only_when_asked() -> None:
    on = settings(cdn=cdn(plan="business")).cdn
    assert (on.hsts_include_subdomains, on.hsts_preload) == (False, False)
    both = settings(cdn=cdn(plan="business", hstsIncludeSubdomains=True, hstsPreload=True)).cdn
    assert (both.hsts_include_subdomains, both.hsts_preload) == (True, True)
    assert error(cdn=cdn(plan="business", hstsPreload=True)).message == (
        "webstack:cdn.hstsPreload needs hstsIncludeSubdomains: browsers' preload lists accept only a header with "
        "includeSubDomains (hstspreload.org's submission requirements), got hstsPreload true alone"
    )


def test_existing_rulesets_are_adopted_by_phase() -> None:
    ruleset = "3a0c1a4b7e9f4d2c8b6a5f4e3d2c1b0a"
    adopted = settings(cdn=cdn(plan="business", adoptRulesets={"http_ratelimit": ruleset})).cdn
    assert adopted.adopt_rulesets == {"http_ratelimit": ruleset}
    assert error(cdn=cdn(plan="business", adoptRulesets={"http_rate_limit": ruleset})).message.startswith(
        "webstack:cdn.adoptRulesets.http_rate_limit is not a phase webstack writes; did you mean http_ratelimit?"
    )
    assert error(cdn=cdn(plan="business", adoptRulesets={"http_ratelimit": "rs-1"})).message == (
        'webstack:cdn.adoptRulesets.http_ratelimit must be a ruleset id (32 hex digits), got "rs-1"'
    )


@pytest.mark.parametrize(
    ("docker", "message"),
    [
        ({"host": "tcp://server:2375"}, "webstack:docker.host must not be the unencrypted Docker port 2375"),
        ({"host": "server"}, "webstack:docker.host must be a Docker host URL"),
        ({"httpPort": 8443, "httpsPort": 8443}, "webstack:docker.httpPort must differ from httpsPort"),
        ({"bindAddress": "everywhere"}, "webstack:docker.bindAddress must be an IP address"),
        ({"adminBindAddress": "0.0.0.0"}, "webstack:docker.adminBindAddress must be one of"),
        ({"images": {"postgres": "postgres:latest"}}, "webstack:docker.images.postgres must be pinned"),
        ({"images": {"postgress": "postgres:16.6"}}, "webstack:docker.images.postgress is not an image role"),
        ({"tls": {"certificateFile": "/nonexistent.pem"}}, "webstack:docker.tls.keyFile must be set together"),
    ],
)
def test_bad_docker_settings_are_refused(docker: dict[str, Any], message: str) -> None:
    found = error(platform="docker", environment="dev", cdn={"enabled": False}, web=IMAGES, docker=docker).message
    assert found.startswith(message), found


def test_a_certificate_pair_must_exist(tmp_path: Any) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    key.write_text("-----BEGIN PRIVATE KEY-----\n")
    tls = {"certificateFile": str(cert), "keyFile": str(key)}
    s = settings(platform="docker", environment="dev", cdn={"enabled": False}, web=IMAGES, docker={"tls": tls})
    assert s.docker.tls.key_file == str(key)
    missing = {"certificateFile": str(cert), "keyFile": str(tmp_path / "none.pem")}
    found = error(platform="docker", environment="dev", cdn={"enabled": False}, web=IMAGES, docker={"tls": missing})
    assert "webstack:docker.tls.keyFile must be a file" in found.message


def test_alert_emails_on_docker_need_an_smtp_relay() -> None:
    base: dict[str, Any] = {"platform": "docker", "environment": "dev", "cdn": {"enabled": False}, "web": IMAGES}
    found = error(**base, monitoring={"alertEmails": ["ops@example.org"]}).message
    assert found.startswith("webstack:docker.smtpSmarthost is required on the docker platform")
    s = settings(
        **base, monitoring={"alertEmails": ["ops@example.org"]}, docker={"smtpSmarthost": "smtp.example.org:587"}
    )
    assert s.docker.smtp_smarthost == "smtp.example.org:587"
    assert error(**base, docker={"smtpSmarthost": "smtp.example.org"}).message.startswith(
        "webstack:docker.smtpSmarthost must be host:port"
    )


def test_docker_services_run_as_numeric_users() -> None:
    web = {**IMAGES, "backend": {**IMAGES["backend"], "user": "node"}}
    found = error(platform="docker", environment="dev", cdn={"enabled": False}, web=web).message
    assert found.startswith("webstack:web.backend.user must be a numeric uid:gid on the docker platform")
