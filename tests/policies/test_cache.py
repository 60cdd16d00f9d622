"""ElastiCache rules: each passes on the replication group webstack registers and fails when one thing changes."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from policies.rules.cache import (
    POLICIES,
    elasticache_authentication,
    elasticache_automatic_failover,
    elasticache_encrypted_at_rest,
    elasticache_encrypted_in_transit,
    elasticache_private_subnet_group,
    elasticache_slow_log_delivery,
    elasticache_snapshot_retention,
)
from tests.policies.support import analyzed, apply_changes, check_resource

GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
TOKEN = "Zq9x" * 16
SLOW_LOG = {
    "destination": "/webstack-prod/elasticache/slow-log",
    "destinationType": "cloudwatch-logs",
    "logFormat": "json",
    "logType": "slow-log",
}
ENGINE_LOG = {
    "destination": "/webstack-prod/elasticache/engine-log",
    "destinationType": "cloudwatch-logs",
    "logFormat": "json",
    "logType": "engine-log",
}


def group(**changes: Any) -> dict[str, Any]:
    """The replication group webstack registers, with props changed (None removes one)."""
    props: dict[str, Any] = {
        "description": "webstack-prod cache",
        "engine": "redis",
        "engineVersion": "7.1",
        "nodeType": "cache.r7g.large",
        "port": 6379.0,
        "parameterGroupName": "cache-params-abc",
        "subnetGroupName": "cache-subnets-abc",
        "securityGroupIds": ["sg-1"],
        "authToken": TOKEN,
        "authTokenUpdateStrategy": "ROTATE",
        "transitEncryptionEnabled": True,
        "transitEncryptionMode": "required",
        "atRestEncryptionEnabled": True,
        "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/data",
        "automaticFailoverEnabled": True,
        "multiAzEnabled": True,
        "numCacheClusters": 2.0,
        "snapshotRetentionLimit": 7.0,
        "snapshotWindow": "03:00-04:00",
        "maintenanceWindow": "sun:05:00-sun:06:00",
        "autoMinorVersionUpgrade": True,
        "logDeliveryConfigurations": [SLOW_LOG, ENGINE_LOG],
    }
    return apply_changes(props, changes)


def cluster_mode(**changes: Any) -> dict[str, Any]:
    """The cluster-mode variant: two shards with a replica each, and no num_cache_clusters."""
    return group(
        **{"numCacheClusters": None, "clusterMode": "enabled", "numNodeGroups": 2.0, "replicasPerNodeGroup": 1.0}
        | changes
    )


def check(policy: ResourceValidationPolicy, props: Any, config: dict[str, Any] | None = None) -> list[str]:
    """The messages of one replication group, read through the analyzer's read-only proxies."""
    return check_resource(policy, GROUP, analyzed(props), config=config)


def unknown_message(setting_name: str, expected: str) -> str:
    return (
        f"{setting_name} is unknown during preview, so this rule cannot check it: set it to {expected} directly "
        "(from configuration), not from another resource's output."
    )


# -- every rule --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_the_registered_replication_group_passes(policy: ResourceValidationPolicy) -> None:
    assert check(policy, group()) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_the_cluster_mode_replication_group_passes(policy: ResourceValidationPolicy) -> None:
    assert check(policy, cluster_mode()) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_plain_dicts_are_read_as_well_as_proxies(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, GROUP, group()) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_other_resources_are_ignored(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, "aws:elasticache/cluster:Cluster", {}) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_references_unknown_during_preview_count_as_set(policy: ResourceValidationPolicy) -> None:
    """A generated token, a key's ARN, a subnet group's and a log group's names are outputs: never empty."""
    props = group(
        authToken=UNKNOWN_STRING_VALUE,
        kmsKeyId=UNKNOWN_STRING_VALUE,
        subnetGroupName=UNKNOWN_STRING_VALUE,
        logDeliveryConfigurations=[{**SLOW_LOG, "destination": UNKNOWN_STRING_VALUE}],
    )
    assert check(policy, props) == []


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_an_empty_replication_group_fails_every_rule(policy: ResourceValidationPolicy) -> None:
    assert check(policy, {"description": "bare"}) != []


def test_the_rules_do_not_change_the_props_they_judge() -> None:
    props = group()
    snapshot = copy.deepcopy(props)
    for policy in POLICIES:
        check_resource(policy, GROUP, props)
    assert props == snapshot


# -- aws-elasticache-encrypted-at-rest ---------------------------------------------------------------------------------
AT_REST_OFF = (
    "At-rest encryption is off, so snapshots and swapped data are stored in plaintext: set "
    "at_rest_encryption_enabled=True with kms_key_id=<a customer-managed KMS key's ARN> (this replaces the "
    "replication group)."
)
NO_KEY = (
    "The replication group names no kms_key_id, so its data is encrypted (if at all) under an AWS-owned key nobody "
    "can audit or revoke: set kms_key_id to a customer-managed KMS key's ARN."
)


def test_at_rest_encryption_accepts_true_as_text() -> None:
    assert check(elasticache_encrypted_at_rest, group(atRestEncryptionEnabled="true")) == []
    assert check(elasticache_encrypted_at_rest, group(atRestEncryptionEnabled="True")) == []


@pytest.mark.parametrize("value", [False, "false", None, ""])
def test_at_rest_encryption_off_or_missing_fails(value: Any) -> None:
    assert check(elasticache_encrypted_at_rest, group(atRestEncryptionEnabled=value)) == [AT_REST_OFF]


@pytest.mark.parametrize("value", [None, "", "  "])
def test_at_rest_encryption_without_a_kms_key_fails(value: str | None) -> None:
    assert check(elasticache_encrypted_at_rest, group(kmsKeyId=value)) == [NO_KEY]


def test_at_rest_encryption_with_an_aws_managed_key_alias_fails() -> None:
    (message,) = check(elasticache_encrypted_at_rest, group(kmsKeyId="alias/aws/elasticache"))
    assert message.startswith("kms_key_id names an AWS-managed key alias: set it to a customer-managed KMS key's ARN")


def test_at_rest_encryption_off_without_a_key_reports_both() -> None:
    assert check(elasticache_encrypted_at_rest, group(atRestEncryptionEnabled=None, kmsKeyId=None)) == [
        AT_REST_OFF,
        NO_KEY,
    ]


def test_at_rest_encryption_unknown_during_preview_is_reported_not_passed() -> None:
    props = group(atRestEncryptionEnabled=UNKNOWN_BOOLEAN_VALUE)
    assert check(elasticache_encrypted_at_rest, props) == [unknown_message("at_rest_encryption_enabled", "True")]


# -- aws-elasticache-encrypted-in-transit ------------------------------------------------------------------------------
TRANSIT_OFF = (
    "In-transit encryption is off, so clients and replicas talk in plaintext: set transit_encryption_enabled=True "
    'and transit_encryption_mode="required".'
)


def test_transit_encryption_accepts_true_as_text() -> None:
    assert check(elasticache_encrypted_in_transit, group(transitEncryptionEnabled="true")) == []


@pytest.mark.parametrize("value", [False, "false", None])
def test_transit_encryption_off_or_missing_fails(value: Any) -> None:
    assert check(elasticache_encrypted_in_transit, group(transitEncryptionEnabled=value)) == [TRANSIT_OFF]


def test_transit_encryption_off_is_one_message_whatever_the_mode() -> None:
    props = group(transitEncryptionEnabled=False, transitEncryptionMode=None)
    assert check(elasticache_encrypted_in_transit, props) == [TRANSIT_OFF]


def test_the_preferred_transit_mode_fails_as_it_accepts_plaintext_clients() -> None:
    (message,) = check(elasticache_encrypted_in_transit, group(transitEncryptionMode="preferred"))
    assert message == (
        "transit_encryption_mode is 'preferred', which still accepts plaintext clients: set "
        'transit_encryption_mode="required" once every client connects with TLS.'
    )


@pytest.mark.parametrize("value", [None, ""])
def test_a_missing_transit_mode_fails(value: str | None) -> None:
    (message,) = check(elasticache_encrypted_in_transit, group(transitEncryptionMode=value))
    assert message == (
        'transit_encryption_mode is not set: set transit_encryption_mode="required" so that the group refuses '
        "plaintext connections."
    )


def test_the_transit_mode_is_compared_case_insensitively() -> None:
    assert check(elasticache_encrypted_in_transit, group(transitEncryptionMode="Required")) == []


def test_transit_settings_unknown_during_preview_are_reported_not_passed() -> None:
    props = group(transitEncryptionEnabled=UNKNOWN_BOOLEAN_VALUE)
    assert check(elasticache_encrypted_in_transit, props) == [unknown_message("transit_encryption_enabled", "True")]
    props = group(transitEncryptionMode=UNKNOWN_STRING_VALUE)
    assert check(elasticache_encrypted_in_transit, props) == [unknown_message("transit_encryption_mode", '"required"')]


# -- aws-elasticache-authentication ------------------------------------------------------------------------------------
NO_AUTH = (
    "The replication group lets any client that reaches it connect without authenticating: set auth_token to a "
    "generated secret (pulumi_random.RandomPassword(length=64, special=False)) or user_group_ids to RBAC user groups, "
    "with transit encryption on."
)


@pytest.mark.parametrize("token", [None, ""])
def test_a_group_without_a_token_or_user_groups_fails(token: str | None) -> None:
    assert check(elasticache_authentication, group(authToken=token)) == [NO_AUTH]


def test_an_empty_user_group_list_does_not_authenticate() -> None:
    assert check(elasticache_authentication, group(authToken=None, userGroupIds=[])) == [NO_AUTH]


def test_rbac_user_groups_instead_of_a_token_pass() -> None:
    assert check(elasticache_authentication, group(authToken=None, userGroupIds=["webstack-users"])) == []


def test_user_groups_unknown_during_preview_count_as_set() -> None:
    assert check(elasticache_authentication, group(authToken=None, userGroupIds=[UNKNOWN_STRING_VALUE])) == []
    assert check(elasticache_authentication, group(authToken=None, userGroupIds=UNKNOWN_STRING_VALUE)) == []


def test_a_write_only_token_authenticates() -> None:
    assert check(elasticache_authentication, group(authToken=None, authTokenWo=TOKEN)) == []


def test_no_authentication_message_never_names_a_token() -> None:
    (message,) = check(elasticache_authentication, group(authToken=None))
    assert TOKEN not in message


# -- aws-elasticache-automatic-failover --------------------------------------------------------------------------------
FAILOVER_OFF = (
    "Automatic failover is off, so losing the primary node stops the cache until someone intervenes: set "
    "automatic_failover_enabled=True."
)
MULTI_AZ_OFF = (
    "Multi-AZ is off, so the primary and its replicas may share an Availability Zone: set multi_az_enabled=True."
)


@pytest.mark.parametrize("value", [False, None])
def test_automatic_failover_off_or_missing_fails(value: bool | None) -> None:
    assert check(elasticache_automatic_failover, group(automaticFailoverEnabled=value)) == [FAILOVER_OFF]


@pytest.mark.parametrize("value", [False, None])
def test_multi_az_off_or_missing_fails(value: bool | None) -> None:
    assert check(elasticache_automatic_failover, group(multiAzEnabled=value)) == [MULTI_AZ_OFF]


def test_failover_settings_accept_true_as_text() -> None:
    assert check(elasticache_automatic_failover, group(automaticFailoverEnabled="true", multiAzEnabled="true")) == []


@pytest.mark.parametrize(("count", "have"), [(1.0, "is 1"), (0.0, "is 0"), ("two", "is not a number")])
def test_fewer_than_two_cache_clusters_fail(count: Any, have: str) -> None:
    (message,) = check(elasticache_automatic_failover, group(numCacheClusters=count))
    assert message == (
        f"num_cache_clusters {have}, with no replica to fail over to: set num_cache_clusters=2 or more (a primary and "
        "at least one replica, in different Availability Zones)."
    )


def test_a_missing_cache_cluster_count_is_a_single_node() -> None:
    (message,) = check(elasticache_automatic_failover, group(numCacheClusters=None))
    assert message.startswith("num_cache_clusters is not set, so the group is a single node, with no replica")


def test_three_cache_clusters_pass_as_integers_or_floats() -> None:
    assert check(elasticache_automatic_failover, group(numCacheClusters=3)) == []
    assert check(elasticache_automatic_failover, group(numCacheClusters=3.0)) == []


def test_cluster_mode_without_replicas_fails() -> None:
    for replicas in (0.0, None):
        (message,) = check(elasticache_automatic_failover, cluster_mode(replicasPerNodeGroup=replicas))
        assert message == (
            "In cluster mode each shard needs a replica to fail over to, and it has none: set "
            "replicas_per_node_group=1 or more."
        )


def test_cluster_mode_is_recognised_by_num_node_groups_alone() -> None:
    props = cluster_mode(clusterMode=None, replicasPerNodeGroup=0.0)
    (message,) = check(elasticache_automatic_failover, props)
    assert message.startswith("In cluster mode each shard needs a replica")
    assert check(elasticache_automatic_failover, cluster_mode(clusterMode=None)) == []


def test_cluster_mode_is_recognised_by_cluster_mode_alone() -> None:
    props = cluster_mode(numNodeGroups=None, replicasPerNodeGroup=None)
    (message,) = check(elasticache_automatic_failover, props)
    assert message.startswith("In cluster mode each shard needs a replica")


def test_cluster_mode_replicas_may_come_from_node_group_configurations() -> None:
    shards = [{"nodeGroupId": "0001", "replicaCount": 1.0}, {"nodeGroupId": "0002", "replicaCount": 2.0}]
    props = cluster_mode(replicasPerNodeGroup=None, nodeGroupConfigurations=shards)
    assert check(elasticache_automatic_failover, props) == []
    shards = [{"nodeGroupId": "0001", "replicaCount": 1.0}, {"nodeGroupId": "0002", "replicaCount": 0.0}]
    props = cluster_mode(replicasPerNodeGroup=None, nodeGroupConfigurations=shards)
    assert len(check(elasticache_automatic_failover, props)) == 1


def test_cluster_mode_disabled_still_needs_two_cache_clusters() -> None:
    props = group(clusterMode="disabled", numCacheClusters=1.0)
    (message,) = check(elasticache_automatic_failover, props)
    assert message.startswith("num_cache_clusters is 1")


def test_every_missing_failover_protection_is_reported() -> None:
    props = group(automaticFailoverEnabled=False, multiAzEnabled=False, numCacheClusters=1.0)
    assert len(check(elasticache_automatic_failover, props)) == 3


def test_failover_settings_unknown_during_preview_are_reported_not_passed() -> None:
    props = group(multiAzEnabled=UNKNOWN_BOOLEAN_VALUE, numCacheClusters=UNKNOWN_NUMBER_VALUE)
    assert check(elasticache_automatic_failover, props) == [
        unknown_message("multi_az_enabled", "True"),
        unknown_message("num_cache_clusters", "2 or more"),
    ]
    props = cluster_mode(replicasPerNodeGroup=UNKNOWN_NUMBER_VALUE)
    assert check(elasticache_automatic_failover, props) == [unknown_message("replicas_per_node_group", "1 or more")]


# -- aws-elasticache-snapshot-retention --------------------------------------------------------------------------------
@pytest.mark.parametrize(("limit", "current"), [(0.0, "0"), (None, "not set"), ("soon", "not a number")])
def test_backups_off_fail(limit: Any, current: str) -> None:
    (message,) = check(elasticache_snapshot_retention, group(snapshotRetentionLimit=limit))
    assert message == (
        f"Automatic backups are off (snapshot_retention_limit is {current}): set snapshot_retention_limit=7 or more."
    )


def test_a_retention_below_the_minimum_fails() -> None:
    (message,) = check(elasticache_snapshot_retention, group(snapshotRetentionLimit=3.0))
    assert message == "Snapshots are kept 3 days: set snapshot_retention_limit=7 or more."
    (message,) = check(elasticache_snapshot_retention, group(snapshotRetentionLimit=1.0))
    assert message == "Snapshots are kept 1 day: set snapshot_retention_limit=7 or more."


def test_a_longer_retention_passes() -> None:
    assert check(elasticache_snapshot_retention, group(snapshotRetentionLimit=35.0)) == []


def test_the_minimum_retention_is_configurable() -> None:
    config = {"minSnapshotRetentionDays": 14}
    (message,) = check(elasticache_snapshot_retention, group(), config=config)
    assert message == "Snapshots are kept 7 days: set snapshot_retention_limit=14 or more."
    assert check(elasticache_snapshot_retention, group(snapshotRetentionLimit=14.0), config=config) == []
    assert (
        check(elasticache_snapshot_retention, group(snapshotRetentionLimit=1.0), config={"minSnapshotRetentionDays": 1})
        == []
    )


@pytest.mark.parametrize("window", [None, ""])
def test_a_missing_snapshot_window_fails(window: str | None) -> None:
    (message,) = check(elasticache_snapshot_retention, group(snapshotWindow=window))
    assert message.startswith("The replication group sets no snapshot_window, so AWS picks one at random: set")


def test_a_retention_unknown_during_preview_is_reported_not_passed() -> None:
    props = group(snapshotRetentionLimit=UNKNOWN_NUMBER_VALUE)
    assert check(elasticache_snapshot_retention, props) == [unknown_message("snapshot_retention_limit", "7 or more")]


# -- aws-elasticache-private-subnet-group ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["default", "Default", "default-vpc-0abc"])
def test_the_default_subnet_group_fails(name: str) -> None:
    (message,) = check(elasticache_private_subnet_group, group(subnetGroupName=name))
    assert message == (
        f"The replication group uses the subnet group '{name}', which AWS creates in the default VPC's public "
        "subnets: set subnet_group_name to an aws.elasticache.SubnetGroup of the program's private subnets."
    )


@pytest.mark.parametrize("name", [None, ""])
def test_a_missing_subnet_group_fails(name: str | None) -> None:
    (message,) = check(elasticache_private_subnet_group, group(subnetGroupName=name))
    assert message.startswith(
        "The replication group names no subnet_group_name, so it lands in the default subnet group"
    )


# -- aws-elasticache-slow-log-delivery ---------------------------------------------------------------------------------
NO_SLOW_LOG = (
    'The replication group does not deliver its slow log: add log_delivery_configurations=[{log_type: "slow-log", '
    'destination: <a KMS-encrypted log group\'s name>, destination_type: "cloudwatch-logs", log_format: "json"}].'
)


@pytest.mark.parametrize(
    "configurations",
    [None, [], [ENGINE_LOG], [{**SLOW_LOG, "destination": ""}], [{**SLOW_LOG, "destination": None}], "slow-log"],
    ids=["missing", "empty", "engine-log-only", "empty-destination", "no-destination", "not-a-list"],
)
def test_a_group_without_slow_log_delivery_fails(configurations: Any) -> None:
    props = group(logDeliveryConfigurations=configurations)
    assert check(elasticache_slow_log_delivery, props) == [NO_SLOW_LOG]


def test_the_slow_log_alone_passes() -> None:
    assert check(elasticache_slow_log_delivery, group(logDeliveryConfigurations=[SLOW_LOG])) == []


def test_slow_log_delivery_to_firehose_passes() -> None:
    firehose = {**SLOW_LOG, "destinationType": "kinesis-firehose", "destination": "webstack-cache-logs"}
    assert check(elasticache_slow_log_delivery, group(logDeliveryConfigurations=[firehose])) == []


def test_a_log_type_unknown_during_preview_is_reported_not_passed() -> None:
    props = group(logDeliveryConfigurations=[ENGINE_LOG, {**SLOW_LOG, "logType": UNKNOWN_STRING_VALUE}])
    assert check(elasticache_slow_log_delivery, props) == [
        unknown_message("log_delivery_configurations", 'a list with a "slow-log" entry')
    ]
    props = group(logDeliveryConfigurations=UNKNOWN_STRING_VALUE)
    assert len(check(elasticache_slow_log_delivery, props)) == 1
