"""The Cache component: secure defaults, a generated AUTH token kept only as a secret, settings, failover and cluster
mode, encrypted logs and protection."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from components.aws.cache import Cache, CacheArgs
from components.aws.platform_args import cache_args
from components.settings import CacheSettings
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import REDACTED, is_secret, redact
from tests.conftest import TEST_REGION, construct, one, registered

DATA_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/data"
SECRETS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/secrets"
LOGS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/logs"
SUBNET_IDS = ["subnet-0a1b2c3d4e5f6071a", "subnet-0a1b2c3d4e5f6071b", "subnet-0a1b2c3d4e5f6071c"]
SECURITY_GROUP_ID = "sg-0a1b2c3d4e5f6071e"

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def cache(name: str, protect: bool = False, **settings: Any) -> tuple[Cache, dict[str, str]]:
    """A cache named ``name`` (physical prefix ``webstack-<name>``) and what its endpoints resolved to."""
    args = cache_args(
        CacheSettings.model_validate(settings),
        name_prefix=f"webstack-{name}",
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        data_key_arn=DATA_KEY_ARN,
        secrets_key_arn=SECRETS_KEY_ARN,
        logs_key_arn=LOGS_KEY_ARN,
        protect=protect,
    )
    endpoints: dict[str, str] = {}

    def factory() -> Cache:
        built = Cache(name, args)
        built.endpoint.apply(lambda value: endpoints.__setitem__("endpoint", value))
        built.reader_endpoint.apply(lambda value: endpoints.__setitem__("reader", value))
        return built

    return construct(factory), endpoints


def parameters(name: str) -> dict[str, str]:
    return {p["name"]: p["value"] for p in one(f"{name}-params").inputs["parameters"]}


@pytest.fixture(scope="module")
def default_cache() -> tuple[Cache, dict[str, str]]:
    return cache("cachedefault")


# -- defaults are secure -----------------------------------------------------------------------------------------------
def test_defaults_are_secure(default_cache: tuple[Cache, dict[str, str]]) -> None:
    built, endpoints = default_cache
    group = one("cachedefault-group")
    inputs = group.inputs
    assert group.type == REPLICATION_GROUP
    assert inputs["engine"] == "redis"
    assert inputs["engineVersion"] == "7.1"
    assert inputs["nodeType"] == "cache.r7g.large"
    assert inputs["port"] == 6379
    assert built.port == 6379

    subnets = one("cachedefault-subnets")
    assert subnets.inputs["subnetIds"] == SUBNET_IDS
    assert group.property_dependencies["subnetGroupName"] == [subnets.urn]
    assert inputs["subnetGroupName"] == subnets.outputs["name"]
    assert inputs["securityGroupIds"] == [SECURITY_GROUP_ID]
    params = one("cachedefault-params")
    assert params.inputs["family"] == "redis7"
    assert parameters("cachedefault") == {"maxmemory-policy": "allkeys-lru"}
    assert group.property_dependencies["parameterGroupName"] == [params.urn]

    token = one("cachedefault-auth-token")
    assert is_secret(inputs["authToken"])
    assert inputs["authToken"]["value"] == token.outputs["result"]
    assert group.property_dependencies["authToken"] == [token.urn]
    assert inputs["authTokenUpdateStrategy"] == "ROTATE"
    assert inputs["transitEncryptionEnabled"] is True
    assert inputs["transitEncryptionMode"] == "required"
    assert inputs["atRestEncryptionEnabled"] is True
    assert inputs["kmsKeyId"] == DATA_KEY_ARN

    assert inputs["clusterMode"] == "disabled"
    assert inputs["automaticFailoverEnabled"] is True
    assert inputs["multiAzEnabled"] is True
    assert inputs["numCacheClusters"] == 2
    assert inputs["snapshotRetentionLimit"] == 7
    assert inputs["snapshotWindow"] == "03:00-04:00"
    assert inputs["maintenanceWindow"] == "sun:05:00-sun:06:00"
    assert inputs["autoMinorVersionUpgrade"] is True
    assert inputs["finalSnapshotIdentifier"] == "webstack-cachedefault-cache-final"

    assert endpoints == {
        "endpoint": group.outputs["primaryEndpointAddress"],
        "reader": group.outputs["readerEndpointAddress"],
    }


def test_slow_and_engine_logs_go_to_encrypted_log_groups(default_cache: tuple[Cache, dict[str, str]]) -> None:
    group = one("cachedefault-group")
    deliveries = {d["logType"]: d for d in group.inputs["logDeliveryConfigurations"]}
    assert set(deliveries) == {"slow-log", "engine-log"}
    log_groups = []
    for log_type, delivery in deliveries.items():
        log_group = one(f"cachedefault-{log_type}")
        log_groups.append(log_group.urn)
        assert log_group.inputs["name"] == f"/webstack-cachedefault/elasticache/{log_type}"
        assert log_group.inputs["kmsKeyId"] == LOGS_KEY_ARN
        assert log_group.inputs["retentionInDays"] == 30
        assert delivery["destination"] == log_group.inputs["name"]
        assert delivery["destinationType"] == "cloudwatch-logs"
    assert sorted(group.property_dependencies["logDeliveryConfigurations"]) == sorted(log_groups)


# -- the token ---------------------------------------------------------------------------------------------------------
def test_the_token_is_generated_kept_in_secrets_manager_and_never_in_plaintext(
    default_cache: tuple[Cache, dict[str, str]],
) -> None:
    token = one("cachedefault-auth-token")
    assert token.type == "random:index/randomPassword:RandomPassword"
    assert token.inputs["length"] == 64
    assert token.inputs["special"] is False
    plaintext = token.outputs["result"]
    assert len(plaintext) == 64

    secret = one("cachedefault-auth")
    assert secret.type == "aws:secretsmanager/secret:Secret"
    assert secret.inputs["kmsKeyId"] == SECRETS_KEY_ARN
    assert secret.inputs["recoveryWindowInDays"] == 30
    version = one("cachedefault-auth-value")
    assert version.property_dependencies["secretId"] == [secret.urn]
    assert is_secret(version.inputs["secretString"])
    assert version.inputs["secretString"]["value"] == plaintext

    found: set[str] = set()
    resources = [one("cachedefault"), *registered("cachedefault-")]
    for resource in resources:
        redacted = json.dumps(redact(resource.inputs, found))
        assert plaintext not in redacted, resource.name
    assert plaintext in found
    assert redact(version.inputs)["secretString"] == REDACTED


#: ElastiCache API reference, ModifyReplicationGroup AuthTokenUpdateStrategy: ROTATE adds the new token and keeps the
#: old one valid, SET (allowed only after ROTATE) makes the new one the only token. terraform-provider-aws
#: (internal/service/elasticache/replication_group.go) sends the token with the strategy whenever either changes.
def test_the_first_generation_keeps_the_token_a_stack_already_has(default_cache: tuple[Cache, dict[str, str]]) -> None:
    assert "keepers" not in one("cachedefault-auth-token").inputs


def test_a_new_generation_makes_a_new_token_that_joins_the_old_one() -> None:
    cache("cacherotate", authTokenGeneration=2)
    token = one("cacherotate-auth-token")
    # A changed keeper replaces the generated password (pulumi-random), and with it the token the group receives.
    assert token.inputs["keepers"] == {"generation": "2"}
    group = one("cacherotate-group")
    assert group.property_dependencies["authToken"] == [token.urn]
    assert group.inputs["authTokenUpdateStrategy"] == "ROTATE"
    version = one("cacherotate-auth-value")
    assert version.property_dependencies["secretString"] == [token.urn]


def test_set_makes_the_current_token_the_only_one() -> None:
    cache("cacheset", authTokenGeneration=2, authTokenUpdateStrategy="SET")
    assert one("cacheset-group").inputs["authTokenUpdateStrategy"] == "SET"
    assert one("cacheset-auth-token").inputs["keepers"] == {"generation": "2"}


def test_the_backend_is_handed_the_tokens_version_so_a_new_token_starts_new_tasks(
    default_cache: tuple[Cache, dict[str, str]],
) -> None:
    built, _ = default_cache
    reference: list[str] = []
    construct(lambda: built.auth_secret_version.version_id.apply(reference.append))
    assert reference == [one("cachedefault-auth-value").outputs["versionId"]]


# -- settings ----------------------------------------------------------------------------------------------------------
def test_settings_reach_the_replication_group() -> None:
    cache(
        "cachevalkey",
        engine="valkey",
        version="8.0",
        nodeType="cache.m7g.xlarge",
        replicas=2,
        maxmemoryPolicy="volatile-lru",
        snapshotRetentionDays=14,
    )
    inputs = one("cachevalkey-group").inputs
    assert inputs["engine"] == "valkey"
    assert inputs["engineVersion"] == "8.0"
    assert inputs["nodeType"] == "cache.m7g.xlarge"
    assert inputs["numCacheClusters"] == 3
    assert inputs["snapshotRetentionLimit"] == 14
    assert one("cachevalkey-params").inputs["family"] == "valkey8"
    assert parameters("cachevalkey") == {"maxmemory-policy": "volatile-lru"}


def test_no_replicas_turn_failover_off() -> None:
    cache("cachesingle", replicas=0, multiAz=False)
    inputs = one("cachesingle-group").inputs
    assert inputs["automaticFailoverEnabled"] is False
    assert inputs["multiAzEnabled"] is False
    assert inputs["numCacheClusters"] == 1


def test_cluster_mode_shards_the_keyspace_behind_the_configuration_endpoint() -> None:
    built, endpoints = cache("cachecluster", clusterMode=True, shards=3, replicas=1)
    group = one("cachecluster-group")
    inputs = group.inputs
    assert inputs["clusterMode"] == "enabled"
    assert inputs["numNodeGroups"] == 3
    assert inputs["replicasPerNodeGroup"] == 1
    assert "numCacheClusters" not in inputs
    assert inputs["automaticFailoverEnabled"] is True
    assert parameters("cachecluster")["cluster-enabled"] == "yes"
    assert endpoints["endpoint"] == group.outputs["configurationEndpointAddress"]
    assert built.port == 6379


# -- protection --------------------------------------------------------------------------------------------------------
def test_protect_keeps_the_replication_group(default_cache: tuple[Cache, dict[str, str]]) -> None:
    cache("cachekept", protect=True)
    assert one("cachekept-group").protect is True
    assert [r.name for r in registered("cachekept-") if r.protect] == ["cachekept-group"]
    assert [r.name for r in registered("cachedefault-") if r.protect] == []


# -- the Args as another program sees them -----------------------------------------------------------------------------
def test_the_args_defaults_are_the_settings_defaults() -> None:
    """A cache built from CacheArgs' own defaults is the one a stack without webstack:cache builds."""
    required = CacheArgs(
        name_prefix="webstack-same",
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        data_key_arn=DATA_KEY_ARN,
        secrets_key_arn=SECRETS_KEY_ARN,
        logs_key_arn=LOGS_KEY_ARN,
    )
    mapped = cache_args(
        CacheSettings(),
        name_prefix="webstack-same",
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        data_key_arn=DATA_KEY_ARN,
        secrets_key_arn=SECRETS_KEY_ARN,
        logs_key_arn=LOGS_KEY_ARN,
        protect=False,
    )
    assert mapped == required


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replicas": 6}, "CacheArgs.replicas must be between 0 and 5, got 6"),
        ({"engine": "memcached"}, "CacheArgs.engine must be redis or valkey, got 'memcached'"),
        ({"auth_token_update_strategy": "DELETE"}, "CacheArgs.auth_token_update_strategy must be ROTATE or SET"),
    ],
)
def test_a_cache_refuses_unsafe_args_naming_the_field(change: dict[str, Any], message: str) -> None:
    base = CacheArgs(
        name_prefix="webstack-refused",
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        data_key_arn=DATA_KEY_ARN,
        secrets_key_arn=SECRETS_KEY_ARN,
        logs_key_arn=LOGS_KEY_ARN,
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        Cache("refused", replace(base, **change))
