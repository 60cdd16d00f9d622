"""ElastiCache rules: the Redis/Valkey replication group is encrypted, authenticated, replicated, backed up, private
and logged.

Settings (booleans, modes, counts) are read as literals: when one is unknown during a preview the rule reports that it
cannot check it, rather than passing. References to other resources (a key's ARN, a subnet group's name, a log
group, the AUTH token) that are unknown during a preview count as set: they are outputs, never empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity
from pulumi_policy.proxy import UnknownValueError

from ._common import schema, setting
from ._props import (
    UNKNOWN,
    Unknown,
    as_number,
    aws_managed_key,
    count_text,
    is_list,
    is_set,
    is_true,
    prop,
    unknown_message,
)

REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def _group(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    return args.props if args.resource_type == REPLICATION_GROUP else None


# -- encryption at rest ------------------------------------------------------------------------------------------------
def _at_rest(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _group(args)
    if props is None:
        return
    enabled = prop(props, "atRestEncryptionEnabled")
    if enabled is UNKNOWN:
        report(unknown_message("at_rest_encryption_enabled", "True"), None)
    elif not is_true(enabled):
        report(
            "At-rest encryption is off, so snapshots and swapped data are stored in plaintext: set "
            "at_rest_encryption_enabled=True with kms_key_id=<a customer-managed KMS key's ARN> (this replaces the "
            "replication group).",
            None,
        )
    key = prop(props, "kmsKeyId")
    if not is_set(key):
        report(
            "The replication group names no kms_key_id, so its data is encrypted (if at all) under an AWS-owned key "
            "nobody can audit or revoke: set kms_key_id to a customer-managed KMS key's ARN.",
            None,
        )
    elif aws_managed_key(key):
        report(
            "kms_key_id names an AWS-managed key alias: set it to a customer-managed KMS key's ARN, whose policy and "
            "rotation you control.",
            None,
        )


elasticache_encrypted_at_rest = ResourceValidationPolicy(
    name="aws-elasticache-encrypted-at-rest",
    description="Checks that every ElastiCache replication group encrypts its data at rest under a customer-managed "
    "KMS key.",
    validate=_at_rest,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["elasticache", "encryption", "checklist:encryption-at-rest", "fsbp:EC.4"],
    remediation_steps="Set at_rest_encryption_enabled=True and kms_key_id=<customer-managed key>.arn on the "
    "aws.elasticache.ReplicationGroup; turning encryption on for an existing group replaces it, so restore from a "
    "snapshot (snapshot_arns) if its data must survive.",
)


# -- encryption in transit ---------------------------------------------------------------------------------------------
REQUIRED = "required"


def _in_transit(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _group(args)
    if props is None:
        return
    enabled = prop(props, "transitEncryptionEnabled")
    if enabled is UNKNOWN:
        report(unknown_message("transit_encryption_enabled", "True"), None)
        return
    if not is_true(enabled):
        report(
            "In-transit encryption is off, so clients and replicas talk in plaintext: set "
            'transit_encryption_enabled=True and transit_encryption_mode="required".',
            None,
        )
        return
    mode = prop(props, "transitEncryptionMode")
    if mode is UNKNOWN:
        report(unknown_message("transit_encryption_mode", '"required"'), None)
    elif mode is None or str(mode).strip() == "":
        report(
            'transit_encryption_mode is not set: set transit_encryption_mode="required" so that the group refuses '
            "plaintext connections.",
            None,
        )
    elif str(mode).strip().lower() != REQUIRED:
        report(
            f"transit_encryption_mode is '{mode}', which still accepts plaintext clients: set "
            'transit_encryption_mode="required" once every client connects with TLS.',
            None,
        )


elasticache_encrypted_in_transit = ResourceValidationPolicy(
    name="aws-elasticache-encrypted-in-transit",
    description="Checks that every ElastiCache replication group requires TLS in transit (`transit_encryption_mode` "
    "required: preferred still accepts plaintext clients).",
    validate=_in_transit,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["elasticache", "encryption", "checklist:db-tls", "fsbp:EC.5"],
    remediation_steps='Set transit_encryption_enabled=True and transit_encryption_mode="required" on the '
    'aws.elasticache.ReplicationGroup (for an existing group: apply "preferred" first, move every client to TLS, then '
    'apply "required").',
)


# -- authentication ----------------------------------------------------------------------------------------------------
def _user_groups(value: Any) -> bool:
    """Whether ``userGroupIds`` names a user group: a non-empty list (an entry, or the list, unknown during preview
    is another resource's id)."""
    if value is UNKNOWN:
        return True
    if not is_list(value):
        return False
    for index in range(len(value)):
        try:
            if is_set(value[index]):
                return True
        except UnknownValueError:
            return True
    return False


def _authentication(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _group(args)
    if props is None:
        return
    if is_set(prop(props, "authToken")) or is_set(prop(props, "authTokenWo")):
        return
    if _user_groups(prop(props, "userGroupIds")):
        return
    report(
        "The replication group lets any client that reaches it connect without authenticating: set auth_token to a "
        "generated secret (pulumi_random.RandomPassword(length=64, special=False)) or user_group_ids to RBAC user "
        "groups, with transit encryption on.",
        None,
    )


elasticache_authentication = ResourceValidationPolicy(
    name="aws-elasticache-authentication",
    description="Checks that every ElastiCache replication group requires an AUTH token or RBAC user groups.",
    validate=_authentication,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["elasticache", "authentication", "checklist:no-default-passwords", "fsbp:EC.6"],
    remediation_steps="Set auth_token (a generated secret, kept in Secrets Manager for the app) with "
    'auth_token_update_strategy="ROTATE", or user_group_ids naming aws.elasticache.UserGroups, on the '
    "aws.elasticache.ReplicationGroup; both need transit_encryption_enabled=True.",
)


# -- automatic failover ------------------------------------------------------------------------------------------------
CLUSTER_MODE_ENABLED = "enabled"


def _cluster_mode(props: Mapping[str, Any], report: ReportViolation) -> bool | None:
    """Whether the group runs in cluster mode (sharded); None, after reporting, when that is unknown."""
    mode = prop(props, "clusterMode")
    if mode is UNKNOWN:
        report(unknown_message("cluster_mode", '"enabled" or "disabled"'), None)
        return None
    groups = prop(props, "numNodeGroups")
    if groups is UNKNOWN:
        report(unknown_message("num_node_groups", "a number"), None)
        return None
    return str(mode or "").strip().lower() == CLUSTER_MODE_ENABLED or groups is not None


def _replicas_per_shard(props: Mapping[str, Any]) -> float | Unknown | None:
    """Replicas per shard in cluster mode: ``replicasPerNodeGroup``, else the fewest ``replicaCount`` of the
    ``nodeGroupConfigurations``; None when neither says (AWS then creates no replicas)."""
    per_group = prop(props, "replicasPerNodeGroup")
    if per_group is UNKNOWN:
        return UNKNOWN
    if per_group is not None:
        return as_number(per_group) or 0.0
    configurations = prop(props, "nodeGroupConfigurations")
    if configurations is UNKNOWN:
        return UNKNOWN
    if not is_list(configurations) or not configurations:
        return None
    counts: list[float] = []
    for index in range(len(configurations)):
        try:
            item = configurations[index]
        except UnknownValueError:
            return UNKNOWN
        count = prop(item, "replicaCount") if isinstance(item, Mapping) else None
        if count is UNKNOWN:
            return UNKNOWN
        counts.append(as_number(count) or 0.0)
    return min(counts)


def _failover(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _group(args)
    if props is None:
        return
    failover = prop(props, "automaticFailoverEnabled")
    if failover is UNKNOWN:
        report(unknown_message("automatic_failover_enabled", "True"), None)
    elif not is_true(failover):
        report(
            "Automatic failover is off, so losing the primary node stops the cache until someone intervenes: set "
            "automatic_failover_enabled=True.",
            None,
        )
    multi_az = prop(props, "multiAzEnabled")
    if multi_az is UNKNOWN:
        report(unknown_message("multi_az_enabled", "True"), None)
    elif not is_true(multi_az):
        report(
            "Multi-AZ is off, so the primary and its replicas may share an Availability Zone: set "
            "multi_az_enabled=True.",
            None,
        )
    cluster = _cluster_mode(props, report)
    if cluster is None:
        return
    if cluster:
        replicas = _replicas_per_shard(props)
        if isinstance(replicas, Unknown):
            report(unknown_message("replicas_per_node_group", "1 or more"), None)
        elif replicas is None or replicas < 1:
            have = "none" if not replicas else count_text(replicas)
            report(
                f"In cluster mode each shard needs a replica to fail over to, and it has {have}: set "
                "replicas_per_node_group=1 or more.",
                None,
            )
        return
    clusters = prop(props, "numCacheClusters")
    if clusters is UNKNOWN:
        report(unknown_message("num_cache_clusters", "2 or more"), None)
        return
    count = as_number(clusters)
    if count is None or count < 2:
        if clusters is None:
            have = "is not set, so the group is a single node"
        elif count is None:
            have = "is not a number"
        else:
            have = f"is {count_text(count)}"
        report(
            f"num_cache_clusters {have}, with no replica to fail over to: set num_cache_clusters=2 or more (a "
            "primary and at least one replica, in different Availability Zones).",
            None,
        )


elasticache_automatic_failover = ResourceValidationPolicy(
    name="aws-elasticache-automatic-failover",
    description="Checks that every ElastiCache replication group fails over automatically across zones (automatic "
    "failover and Multi-AZ on), with at least one replica (per shard in cluster mode) to fail over to.",
    validate=_failover,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["elasticache", "availability", "fsbp:EC.3", "checklist:replication-health-checks"],
    remediation_steps="Set automatic_failover_enabled=True, multi_az_enabled=True and num_cache_clusters=2 or more "
    "(or, in cluster mode, replicas_per_node_group=1 or more) on the aws.elasticache.ReplicationGroup.",
)


# -- snapshots ---------------------------------------------------------------------------------------------------------
_SNAPSHOT_SCHEMA = schema(
    {
        "minSnapshotRetentionDays": {
            "type": "integer",
            "default": 7,
            "description": "Fewest days a replication group keeps its automatic snapshots (ElastiCache allows up "
            "to 35; 0 turns backups off).",
        }
    }
)


def _snapshots(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _group(args)
    if props is None:
        return
    minimum = int(float(setting(args, _SNAPSHOT_SCHEMA, "minSnapshotRetentionDays")))
    limit = prop(props, "snapshotRetentionLimit")
    days = as_number(limit)
    if limit is UNKNOWN:
        report(unknown_message("snapshot_retention_limit", f"{minimum} or more"), None)
    elif days is None or days <= 0:
        if limit is None:
            current = "not set"
        elif days is None:
            current = "not a number"
        else:
            current = count_text(days)
        report(
            f"Automatic backups are off (snapshot_retention_limit is {current}): set snapshot_retention_limit="
            f"{minimum} or more.",
            None,
        )
    elif days < minimum:
        report(
            f"Snapshots are kept {count_text(days)} day{'' if days == 1 else 's'}: set "
            f"snapshot_retention_limit={minimum} or more.",
            None,
        )
    if not is_set(prop(props, "snapshotWindow")):
        report(
            "The replication group sets no snapshot_window, so AWS picks one at random: set snapshot_window (e.g. "
            '"03:00-04:00" UTC) outside the maintenance_window and the busiest hours.',
            None,
        )


elasticache_snapshot_retention = ResourceValidationPolicy(
    name="aws-elasticache-snapshot-retention",
    description="Checks that every ElastiCache replication group keeps snapshots at least `minSnapshotRetentionDays` "
    "(7), taken in a set window.",
    validate=_snapshots,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SNAPSHOT_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["elasticache", "backups", "checklist:backups", "fsbp:EC.1"],
    remediation_steps="Set snapshot_retention_limit to the minimum (7 days by default) or more and snapshot_window "
    '(e.g. "03:00-04:00") on the aws.elasticache.ReplicationGroup.',
)


# -- subnet group ------------------------------------------------------------------------------------------------------
DEFAULT_SUBNET_GROUP = "default"


def _subnet_group(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _group(args)
    if props is None:
        return
    name = prop(props, "subnetGroupName")
    if not is_set(name):
        report(
            "The replication group names no subnet_group_name, so it lands in the default subnet group, which spans "
            "the default VPC's public subnets: set subnet_group_name to an aws.elasticache.SubnetGroup of private "
            "subnets.",
            None,
        )
    elif name is not UNKNOWN and str(name).strip().lower().startswith(DEFAULT_SUBNET_GROUP):
        report(
            f"The replication group uses the subnet group '{name}', which AWS creates in the default VPC's public "
            "subnets: set subnet_group_name to an aws.elasticache.SubnetGroup of the program's private subnets.",
            None,
        )


elasticache_private_subnet_group = ResourceValidationPolicy(
    name="aws-elasticache-private-subnet-group",
    description="Checks that every ElastiCache replication group runs in a subnet group of the program's, never "
    "`default`.",
    validate=_subnet_group,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["elasticache", "network", "checklist:db-not-public", "fsbp:EC.7"],
    remediation_steps="Create an aws.elasticache.SubnetGroup over the VPC's private (data) subnets and pass its name "
    "as subnet_group_name on the aws.elasticache.ReplicationGroup.",
)


# -- slow log ----------------------------------------------------------------------------------------------------------
SLOW_LOG = "slow-log"


def _delivers_slow_log(configurations: Any) -> bool | None:
    """Whether a configuration delivers the slow log to a destination; None when that is unknown during preview."""
    if configurations is UNKNOWN:
        return None
    if not is_list(configurations):
        return False
    unknown = False
    for index in range(len(configurations)):
        try:
            item = configurations[index]
        except UnknownValueError:
            unknown = True
            continue
        if not isinstance(item, Mapping):
            continue
        log_type = prop(item, "logType")
        if log_type is UNKNOWN:
            unknown = True
        elif str(log_type or "").strip().lower() == SLOW_LOG and is_set(prop(item, "destination")):
            return True
    return None if unknown else False


def _slow_log(args: ResourceValidationArgs, report: ReportViolation) -> None:
    props = _group(args)
    if props is None:
        return
    delivered = _delivers_slow_log(prop(props, "logDeliveryConfigurations"))
    if delivered is None:
        report(unknown_message("log_delivery_configurations", 'a list with a "slow-log" entry'), None)
    elif not delivered:
        report(
            "The replication group does not deliver its slow log: add log_delivery_configurations=[{log_type: "
            '"slow-log", destination: <a KMS-encrypted log group\'s name>, destination_type: "cloudwatch-logs", '
            'log_format: "json"}].',
            None,
        )


elasticache_slow_log_delivery = ResourceValidationPolicy(
    name="aws-elasticache-slow-log-delivery",
    description="Checks that every ElastiCache replication group delivers its slow log to CloudWatch Logs or Kinesis "
    "Data Firehose.",
    validate=_slow_log,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    tags=["elasticache", "logging", "checklist:logging"],
    remediation_steps='Add a log_delivery_configurations entry with log_type "slow-log", destination_type '
    '"cloudwatch-logs" and destination=<log group>.name (encrypted, with retention) to the '
    "aws.elasticache.ReplicationGroup.",
)

POLICIES = [
    elasticache_encrypted_at_rest,
    elasticache_encrypted_in_transit,
    elasticache_authentication,
    elasticache_automatic_failover,
    elasticache_snapshot_retention,
    elasticache_private_subnet_group,
    elasticache_slow_log_delivery,
]
