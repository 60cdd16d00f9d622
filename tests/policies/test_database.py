"""RDS rules: each passes on what webstack registers (PostgreSQL and MySQL shards, primaries and read replicas) and
fails when one thing changes. Props go through the analyzer's own read-only proxies."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from policies.rules import database, database_parameters
from policies.rules.database import (
    rds_backup_retention,
    rds_copy_tags_to_snapshot,
    rds_deletion_protection,
    rds_iam_authentication,
    rds_log_exports,
    rds_managed_master_password,
    rds_multi_az,
    rds_non_default_master_username,
    rds_not_publicly_accessible,
    rds_performance_insights,
    rds_performance_insights_customer_key,
    rds_primary_has_replica,
    rds_storage_encrypted,
)
from policies.rules.database_parameters import rds_parameter_group_forces_tls, rds_parameter_group_no_general_log
from tests.policies.support import Res, analyzed, apply_changes, check_resource, check_stack, not_applicable

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
CLUSTER_PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup"
KMS_KEY = "aws:kms/key:Key"
SUBNET_GROUP = "aws:rds/subnetGroup:SubnetGroup"

POLICIES = [*database.POLICIES, *database_parameters.POLICIES]
RESOURCE_RULES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
#: Rules about what a read replica inherits from its source (encryption, backups, users, the master password).
PRIMARY_ONLY_RULES = [
    rds_storage_encrypted,
    rds_backup_retention,
    rds_multi_az,
    rds_iam_authentication,
    rds_copy_tags_to_snapshot,
    rds_non_default_master_username,
    rds_managed_master_password,
]
#: Rules that judge read replicas too.
EVERY_INSTANCE_RULES = [
    rds_not_publicly_accessible,
    rds_deletion_protection,
    rds_performance_insights,
    rds_performance_insights_customer_key,
]

KEY_FIX = "set {0} to a customer-managed KMS key's ARN (webstack's Keys component provides one)."
TLS_FIX = "rds.force_ssl=1 for PostgreSQL, require_secure_transport=ON for MySQL"

# -- what webstack registers -------------------------------------------------------------------------------------------
PRIMARY: dict[str, Any] = {
    "engine": "postgres",
    "engineVersion": "16",
    "instanceClass": "db.m7g.large",
    "allocatedStorage": 100.0,
    "maxAllocatedStorage": 500.0,
    "storageType": "gp3",
    "storageEncrypted": True,
    "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/data",
    "multiAz": True,
    "dbSubnetGroupName": "db-subnets-abc",
    "vpcSecurityGroupIds": ["sg-1"],
    "parameterGroupName": "shard-0-params-abc",
    "publiclyAccessible": False,
    "port": 5432.0,
    "username": "webstack_admin",
    "manageMasterUserPassword": True,
    "masterUserSecretKmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/secrets",
    "iamDatabaseAuthenticationEnabled": True,
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/data",
    "performanceInsightsRetentionPeriod": 7.0,
    "monitoringInterval": 60.0,
    "monitoringRoleArn": "arn:aws:iam::123456789012:role/monitoring",
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    "backupRetentionPeriod": 30.0,
    "backupWindow": "02:00-03:00",
    "maintenanceWindow": "sun:04:00-sun:05:00",
    "copyTagsToSnapshot": True,
    "deletionProtection": True,
    "skipFinalSnapshot": False,
    "finalSnapshotIdentifier": "webstack-prod-shard-0-final",
    "autoMinorVersionUpgrade": True,
    "caCertIdentifier": "rds-ca-rsa2048-g1",
    "dbName": "app",
}
MYSQL_PRIMARY: dict[str, Any] = {
    **PRIMARY,
    "engine": "mysql",
    "engineVersion": "8.0",
    "port": 3306.0,
    "optionGroupName": "shard-0-options-abc",
    "enabledCloudwatchLogsExports": ["audit", "error", "slowquery"],
}
REPLICA: dict[str, Any] = {
    "replicateSourceDb": "shard-0-primary-abc",
    "instanceClass": "db.m7g.large",
    "publiclyAccessible": False,
    "vpcSecurityGroupIds": ["sg-1"],
    "parameterGroupName": "shard-0-params-abc",
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/data",
    "monitoringInterval": 60.0,
    "deletionProtection": True,
    "skipFinalSnapshot": True,
    "autoMinorVersionUpgrade": True,
    "caCertIdentifier": "rds-ca-rsa2048-g1",
    "storageEncrypted": True,
    "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/data",
}
PG_PARAMS: dict[str, Any] = {
    "family": "postgres16",
    "parameters": [
        {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"},
        {"name": "ssl_min_protocol_version", "value": "TLSv1.2", "applyMethod": "immediate"},
        {"name": "log_min_duration_statement", "value": "2000", "applyMethod": "immediate"},
        {"name": "shared_preload_libraries", "value": "pg_stat_statements,pgaudit", "applyMethod": "pending-reboot"},
    ],
}
MYSQL_PARAMS: dict[str, Any] = {
    "family": "mysql8.0",
    "parameters": [
        {"name": "require_secure_transport", "value": "ON", "applyMethod": "immediate"},
        {"name": "tls_version", "value": "TLSv1.2,TLSv1.3", "applyMethod": "pending-reboot"},
        {"name": "slow_query_log", "value": "1", "applyMethod": "immediate"},
        {"name": "long_query_time", "value": "2", "applyMethod": "immediate"},
        {"name": "binlog_format", "value": "ROW", "applyMethod": "immediate"},
    ],
}


def with_(props: Mapping[str, Any], **changes: Any) -> dict[str, Any]:
    """A copy of ``props`` with top-level keys changed (None removes a key)."""
    result = copy.deepcopy(dict(props))
    return apply_changes(result, changes)


def check(
    policy: ResourceValidationPolicy, props: Any, config: Mapping[str, Any] | None = None, resource_type: str = INSTANCE
) -> list[str]:
    """The violation messages of one resource, its props wrapped as the analyzer wraps them."""
    return check_resource(policy, resource_type, analyzed(props), config=config)


#: Props that hold another resource's identifier, name or ARN: unknown during a preview of a new stack.
PREVIEW_UNKNOWN = (
    "kmsKeyId",
    "masterUserSecretKmsKeyId",
    "performanceInsightsKmsKeyId",
    "monitoringRoleArn",
    "dbSubnetGroupName",
    "parameterGroupName",
    "optionGroupName",
    "replicateSourceDb",
)


def previewed(props: Mapping[str, Any]) -> Any:
    """``props`` as a preview of a new stack sees them: identifiers, names and ARNs of other resources unknown."""
    result = {k: UNKNOWN_STRING_VALUE if k in PREVIEW_UNKNOWN else copy.deepcopy(v) for k, v in props.items()}
    if "vpcSecurityGroupIds" in result:
        result["vpcSecurityGroupIds"] = [UNKNOWN_STRING_VALUE]
    return unknown_checking_proxy(result)


def shard(index: int, engine: str = "postgres", replicas: int = 1) -> list[Res]:
    """One shard as webstack builds it: a parameter group, the primary and its read replicas, joined through
    property dependencies (as the engine reports them: a replica depends on the primary through
    replicateSourceDb, every instance on the group through parameterGroupName)."""
    params, primary = f"urn:shard-{index}-params", f"urn:shard-{index}-primary"
    props = PRIMARY if engine == "postgres" else MYSQL_PRIMARY
    key_deps = {"kmsKeyId": ["urn:data-key"], "performanceInsightsKmsKeyId": ["urn:data-key"]}
    return [
        Res(params, PARAMETER_GROUP, copy.deepcopy(PG_PARAMS if engine == "postgres" else MYSQL_PARAMS)),
        Res(
            primary,
            INSTANCE,
            with_(props, parameterGroupName=f"shard-{index}-params-abc"),
            {
                "parameterGroupName": [params],
                "dbSubnetGroupName": [f"urn:shard-{index}-subnets"],
                "masterUserSecretKmsKeyId": ["urn:secrets-key"],
                **key_deps,
            },
        ),
        Res(f"urn:shard-{index}-subnets", SUBNET_GROUP, {"subnetIds": ["subnet-1", "subnet-2"]}),
        *(
            Res(
                f"urn:shard-{index}-replica-{n}",
                INSTANCE,
                with_(REPLICA, replicateSourceDb=f"shard-{index}-primary-abc"),
                {"replicateSourceDb": [primary], "parameterGroupName": [params], **key_deps},
            )
            for n in range(replicas)
        ),
    ]


def stack(*shards: list[Res]) -> list[Res]:
    keys = [Res("urn:data-key", KMS_KEY, {"enableKeyRotation": True}), Res("urn:secrets-key", KMS_KEY, {})]
    return [*keys, *(r for s in shards for r in s)]


def three_shards() -> list[Res]:
    return stack(shard(0), shard(1, "mysql"), shard(2))


def find(resources: list[Res], urn: str) -> Res:
    return next(r for r in resources if r.urn == urn)


# -- every rule --------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("props", [PRIMARY, MYSQL_PRIMARY], ids=["postgres", "mysql"])
@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_every_resource_rule_passes_on_the_primary_webstack_registers(
    policy: ResourceValidationPolicy, props: dict[str, Any]
) -> None:
    assert check(policy, props) == []


@pytest.mark.parametrize("policy", EVERY_INSTANCE_RULES, ids=lambda p: p.name)
def test_rules_that_judge_replicas_pass_on_the_replica_webstack_registers(policy: ResourceValidationPolicy) -> None:
    assert check(policy, REPLICA) == []


@pytest.mark.parametrize("policy", PRIMARY_ONLY_RULES, ids=lambda p: p.name)
def test_rules_about_what_replicas_inherit_do_not_apply_to_replicas(policy: ResourceValidationPolicy) -> None:
    assert not_applicable(policy, INSTANCE, REPLICA).startswith("read replicas ")
    assert not_applicable(policy, INSTANCE, {"replicateSourceDb": "shard-0-primary-abc"}).startswith("read replicas ")


@pytest.mark.parametrize("policy", PRIMARY_ONLY_RULES, ids=lambda p: p.name)
def test_a_replica_whose_source_is_unknown_during_preview_is_still_a_replica(policy: ResourceValidationPolicy) -> None:
    assert not_applicable(policy, INSTANCE, previewed(REPLICA)).startswith("read replicas ")


@pytest.mark.parametrize("policy", PRIMARY_ONLY_RULES, ids=lambda p: p.name)
def test_an_empty_replica_source_makes_a_primary(policy: ResourceValidationPolicy) -> None:
    assert check(policy, with_(PRIMARY, replicateSourceDb="")) == []


@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_resource_rules_ignore_other_resources(policy: ResourceValidationPolicy) -> None:
    assert check(policy, {}, resource_type="aws:rds/cluster:Cluster") == []
    assert check(policy, PG_PARAMS, resource_type=PARAMETER_GROUP) == []


@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_resource_rules_decide_during_a_preview_when_keys_names_and_arns_are_unknown(
    policy: ResourceValidationPolicy,
) -> None:
    assert check(policy, previewed(PRIMARY)) == []
    assert check(policy, previewed(MYSQL_PRIMARY)) == []
    if policy in EVERY_INSTANCE_RULES:
        assert check(policy, previewed(REPLICA)) == []
        assert len(check(policy, previewed(with_(REPLICA, **_broken_field(policy))))) == 1


def _broken_field(policy: ResourceValidationPolicy) -> dict[str, Any]:
    return {
        rds_not_publicly_accessible.name: {"publiclyAccessible": True},
        rds_deletion_protection.name: {"deletionProtection": False},
        rds_performance_insights.name: {"performanceInsightsEnabled": False},
        rds_performance_insights_customer_key.name: {"performanceInsightsKmsKeyId": None},
    }[policy.name]


@pytest.mark.parametrize(
    ("policy", "field", "sentinel"),
    [
        (rds_storage_encrypted, "storageEncrypted", UNKNOWN_BOOLEAN_VALUE),
        (rds_not_publicly_accessible, "publiclyAccessible", UNKNOWN_BOOLEAN_VALUE),
        (rds_backup_retention, "backupRetentionPeriod", UNKNOWN_NUMBER_VALUE),
        (rds_non_default_master_username, "username", UNKNOWN_STRING_VALUE),
    ],
)
def test_a_setting_unknown_during_preview_is_reported_as_undecided_never_passed(
    policy: ResourceValidationPolicy, field: str, sentinel: str
) -> None:
    """The analyzer turns this error into "can't run policy ... during preview"; `pulumi up` then decides."""
    with pytest.raises(UnknownValueError):
        check(policy, unknown_checking_proxy(with_(PRIMARY, **{field: sentinel})))


def test_the_pack_exports_fifteen_rds_rules() -> None:
    assert sorted(p.name for p in POLICIES) == sorted(
        [
            "aws-rds-storage-encrypted",
            "aws-rds-not-publicly-accessible",
            "aws-rds-backup-retention",
            "aws-rds-multi-az",
            "aws-rds-deletion-protection",
            "aws-rds-iam-authentication",
            "aws-rds-performance-insights",
            "aws-rds-performance-insights-customer-key",
            "aws-rds-log-exports",
            "aws-rds-copy-tags-to-snapshot",
            "aws-rds-non-default-master-username",
            "aws-rds-managed-master-password",
            "aws-rds-parameter-group-forces-tls",
            "aws-rds-parameter-group-no-general-log",
            "aws-rds-primary-has-replica",
        ]
    )


# -- aws-rds-storage-encrypted -----------------------------------------------------------------------------------------
def test_storage_encryption_fails_when_storage_is_not_encrypted() -> None:
    (message,) = check(rds_storage_encrypted, with_(PRIMARY, storageEncrypted=False))
    assert message == (
        "Storage is not encrypted at rest: set storage_encrypted=True and kms_key_id to a customer-managed KMS key's "
        "ARN (an existing instance is encrypted by restoring an encrypted copy of its snapshot)."
    )


def test_storage_encryption_fails_when_storage_encrypted_is_missing() -> None:
    (message,) = check(rds_storage_encrypted, with_(PRIMARY, storageEncrypted=None))
    assert message.startswith("Storage is not encrypted at rest")


def test_storage_encryption_fails_without_a_customer_key() -> None:
    (message,) = check(rds_storage_encrypted, with_(PRIMARY, kmsKeyId=None))
    assert message == (
        "kms_key_id is not set, so the storage is encrypted under an AWS-managed key whose policy you do not control: "
        + KEY_FIX.format("kms_key_id")
    )


@pytest.mark.parametrize("key", ["alias/aws/rds", "arn:aws:kms:us-east-1:123456789012:alias/aws/rds"])
def test_storage_encryption_fails_with_the_aws_managed_key(key: str) -> None:
    (message,) = check(rds_storage_encrypted, with_(PRIMARY, kmsKeyId=key))
    assert message.startswith(f"kms_key_id names the AWS-managed key {key}, so the storage is encrypted under")


def test_storage_encryption_accepts_a_key_alias_of_the_customers_own() -> None:
    assert check(rds_storage_encrypted, with_(PRIMARY, kmsKeyId="arn:aws:kms:us-east-1:1:alias/webstack-data")) == []


# -- aws-rds-not-publicly-accessible -----------------------------------------------------------------------------------
@pytest.mark.parametrize("props", [PRIMARY, REPLICA], ids=["primary", "replica"])
def test_public_access_fails_when_the_instance_is_publicly_accessible(props: dict[str, Any]) -> None:
    (message,) = check(rds_not_publicly_accessible, with_(props, publiclyAccessible=True))
    assert message == (
        "The instance is publicly accessible, so its endpoint resolves to a public address: set "
        "publicly_accessible=False and keep it in the data (isolated) subnets, reachable only from the app's security "
        "group."
    )


def test_public_access_passes_when_unset_because_the_provider_default_is_private() -> None:
    assert check(rds_not_publicly_accessible, with_(PRIMARY, publiclyAccessible=None)) == []


# -- aws-rds-backup-retention ------------------------------------------------------------------------------------------
def test_backups_fail_when_kept_less_than_thirty_days() -> None:
    (message,) = check(rds_backup_retention, with_(PRIMARY, backupRetentionPeriod=7.0))
    assert message == "Automated backups are kept 7 days: set backup_retention_period to 30 or more (at most 35)."


def test_backups_fail_when_off() -> None:
    (message,) = check(rds_backup_retention, with_(PRIMARY, backupRetentionPeriod=0.0))
    assert message == (
        "Automated backups are off (backup_retention_period is 0), so there is no point-in-time recovery: set "
        "backup_retention_period to 30 or more (at most 35)."
    )


def test_backups_fail_when_retention_is_missing() -> None:
    (message,) = check(rds_backup_retention, with_(PRIMARY, backupRetentionPeriod=None))
    assert message == (
        "backup_retention_period is not set, so RDS keeps automated backups 1 day: set backup_retention_period to 30 "
        "or more (at most 35)."
    )


def test_backups_fail_without_a_backup_window() -> None:
    (message,) = check(rds_backup_retention, with_(PRIMARY, backupWindow=None))
    assert message == (
        'backup_window is not set, so RDS picks a 30-minute window of its own: set backup_window (e.g. "02:00-03:00", '
        "UTC) to a quiet hour that does not overlap maintenance_window."
    )


def test_backups_report_retention_and_window_separately() -> None:
    messages = check(rds_backup_retention, with_(PRIMARY, backupRetentionPeriod=None, backupWindow=""))
    assert [m.split(",")[0] for m in messages] == ["backup_retention_period is not set", "backup_window is not set"]


def test_backups_accept_integers_up_to_the_rds_maximum() -> None:
    assert check(rds_backup_retention, with_(PRIMARY, backupRetentionPeriod=35)) == []


def test_backup_minimum_is_configurable() -> None:
    config = {"minBackupRetentionDays": 35}
    (message,) = check(rds_backup_retention, PRIMARY, config=config)
    assert message == "Automated backups are kept 30 days: set backup_retention_period to 35 or more (at most 35)."
    assert (
        check(rds_backup_retention, with_(PRIMARY, backupRetentionPeriod=7.0), config={"minBackupRetentionDays": 7})
        == []
    )


def test_a_backup_minimum_above_what_rds_allows_counts_as_35() -> None:
    config = {"minBackupRetentionDays": 90}
    assert check(rds_backup_retention, with_(PRIMARY, backupRetentionPeriod=35.0), config=config) == []
    (message,) = check(rds_backup_retention, PRIMARY, config=config)
    assert message.endswith("set backup_retention_period to 35 or more (at most 35).")


# -- aws-rds-multi-az --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [False, None])
def test_multi_az_fails_when_off_or_missing(value: bool | None) -> None:
    (message,) = check(rds_multi_az, with_(PRIMARY, multiAz=value))
    assert message == (
        "Multi-AZ is off, so a zone or host failure stops the database until it is recovered: set multi_az=True, so a "
        "standby in another zone takes over automatically."
    )


def test_multi_az_is_not_required_of_replicas() -> None:
    reason = not_applicable(rds_multi_az, INSTANCE, with_(REPLICA, multiAz=False))
    assert reason == "read replicas are themselves copies in other zones; Multi-AZ is required of primaries"


# -- aws-rds-deletion-protection ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("props", "value"), [(PRIMARY, False), (PRIMARY, None), (REPLICA, False), (REPLICA, None)], ids=str
)
def test_deletion_protection_fails_on_any_instance_when_off_or_missing(props: dict[str, Any], value: Any) -> None:
    (message,) = check(rds_deletion_protection, with_(props, deletionProtection=value))
    assert message == (
        "Deletion protection is off: set deletion_protection=True, so the database cannot be deleted by accident "
        "(Pulumi's protect option does not stop the console or the API)."
    )


# -- aws-rds-iam-authentication ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [False, None])
def test_iam_authentication_fails_when_off_or_missing(value: bool | None) -> None:
    (message,) = check(rds_iam_authentication, with_(MYSQL_PRIMARY, iamDatabaseAuthenticationEnabled=value))
    assert message == (
        "IAM database authentication is off: set iam_database_authentication_enabled=True, so the app and people sign "
        "in with short-lived IAM tokens instead of long-lived passwords."
    )


# -- aws-rds-performance-insights, aws-rds-performance-insights-customer-key -------------------------------------------
@pytest.mark.parametrize(("props", "value"), [(PRIMARY, False), (REPLICA, None)], ids=["primary-off", "replica-unset"])
def test_performance_insights_fails_when_off_or_missing(props: dict[str, Any], value: Any) -> None:
    (message,) = check(rds_performance_insights, with_(props, performanceInsightsEnabled=value))
    assert message == (
        "Performance Insights is off: set performance_insights_enabled=True and performance_insights_kms_key_id to a "
        "customer-managed KMS key's ARN."
    )


@pytest.mark.parametrize("props", [PRIMARY, REPLICA], ids=["primary", "replica"])
def test_performance_insights_fails_without_a_customer_key(props: dict[str, Any]) -> None:
    (message,) = check(rds_performance_insights_customer_key, with_(props, performanceInsightsKmsKeyId=None))
    assert message == (
        "performance_insights_kms_key_id is not set, so the Performance Insights data is encrypted under an "
        "AWS-managed key whose policy you do not control: " + KEY_FIX.format("performance_insights_kms_key_id")
    )


def test_performance_insights_fails_with_the_aws_managed_key() -> None:
    (message,) = check(
        rds_performance_insights_customer_key, with_(PRIMARY, performanceInsightsKmsKeyId="alias/aws/rds")
    )
    assert message.startswith("performance_insights_kms_key_id names the AWS-managed key alias/aws/rds")


def test_performance_insights_on_passes_without_judging_its_key() -> None:
    assert check(rds_performance_insights, with_(PRIMARY, performanceInsightsKmsKeyId=None)) == []


def test_the_key_rule_leaves_performance_insights_that_is_off_to_the_other_rule() -> None:
    assert not_applicable(
        rds_performance_insights_customer_key, INSTANCE, with_(PRIMARY, performanceInsightsEnabled=False)
    ) == ("Performance Insights is off (aws-rds-performance-insights reports it)")


# -- aws-rds-log-exports -----------------------------------------------------------------------------------------------
def test_log_exports_fail_when_postgres_does_not_export_its_log() -> None:
    (message,) = check(rds_log_exports, with_(PRIMARY, enabledCloudwatchLogsExports=["upgrade"]))
    assert message == (
        "The instance does not export its postgresql log to CloudWatch Logs: add it to enabled_cloudwatch_logs_exports "
        "(postgres requires postgresql)."
    )


def test_log_exports_fail_when_missing_altogether() -> None:
    (message,) = check(rds_log_exports, with_(PRIMARY, enabledCloudwatchLogsExports=None))
    assert message.startswith("The instance does not export its postgresql log to CloudWatch Logs")


def test_log_exports_fail_when_mysql_lacks_audit_and_slow_query_logs() -> None:
    (message,) = check(rds_log_exports, with_(MYSQL_PRIMARY, enabledCloudwatchLogsExports=["error"]))
    assert message == (
        "The instance does not export its audit, slowquery logs to CloudWatch Logs: add them to "
        "enabled_cloudwatch_logs_exports (mysql requires audit, error, slowquery) (MySQL's audit log also needs an "
        "option group with the MARIADB_AUDIT_PLUGIN option)."
    )


def test_log_exports_fail_when_mysql_lacks_its_error_log() -> None:
    (message,) = check(rds_log_exports, with_(MYSQL_PRIMARY, enabledCloudwatchLogsExports=["audit", "slowquery"]))
    assert message == (
        "The instance does not export its error log to CloudWatch Logs: add it to enabled_cloudwatch_logs_exports "
        "(mysql requires audit, error, slowquery)."
    )


def test_log_exports_do_not_count_postgres_logs_for_mysql() -> None:
    messages = check(rds_log_exports, with_(MYSQL_PRIMARY, enabledCloudwatchLogsExports=["postgresql", "upgrade"]))
    assert len(messages) == 1


def test_log_exports_match_the_engine_by_prefix_and_case() -> None:
    assert check(rds_log_exports, with_(PRIMARY, engine="Postgres")) == []
    assert len(check(rds_log_exports, with_(PRIMARY, engine="postgres", enabledCloudwatchLogsExports=[]))) == 1


def test_log_exports_skip_replicas_that_name_no_engine() -> None:
    reason = not_applicable(rds_log_exports, INSTANCE, REPLICA)
    assert reason == "the read replica names no engine (it runs its source's)"


def test_log_exports_judge_replicas_that_name_their_engine() -> None:
    (message,) = check(rds_log_exports, with_(REPLICA, engine="mysql", enabledCloudwatchLogsExports=["error"]))
    assert message.startswith("The instance does not export its audit, slowquery logs")
    assert check(rds_log_exports, with_(REPLICA, engine="postgres", enabledCloudwatchLogsExports=["postgresql"])) == []


def test_log_exports_fail_for_a_primary_without_an_engine() -> None:
    (message,) = check(rds_log_exports, with_(PRIMARY, engine=None))
    assert message == (
        'The instance sets no engine, so its required log exports cannot be determined: set engine ("postgres" or '
        '"mysql") and enabled_cloudwatch_logs_exports.'
    )


def test_log_exports_do_not_apply_to_engines_without_requirements() -> None:
    reason = not_applicable(rds_log_exports, INSTANCE, with_(PRIMARY, engine="sqlserver-ex"))
    assert reason == "no log exports are required for the sqlserver-ex engine"


def test_required_log_exports_are_configurable() -> None:
    config = {"requiredLogExports": {"postgres": ["postgresql", "upgrade", "iam-db-auth-error"], "mysql": []}}
    (message,) = check(rds_log_exports, PRIMARY, config=config)
    assert message.startswith("The instance does not export its iam-db-auth-error log to CloudWatch Logs")
    assert check(rds_log_exports, with_(MYSQL_PRIMARY, enabledCloudwatchLogsExports=[]), config=config) == []
    mariadb = with_(MYSQL_PRIMARY, engine="mariadb", enabledCloudwatchLogsExports=["error"])
    (message,) = check(rds_log_exports, mariadb, config={"requiredLogExports": {"mariadb": ["audit", "error"]}})
    assert message.startswith("The instance does not export its audit log")


# -- aws-rds-copy-tags-to-snapshot -------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [False, None])
def test_copy_tags_to_snapshot_fails_when_off_or_missing(value: bool | None) -> None:
    (message,) = check(rds_copy_tags_to_snapshot, with_(PRIMARY, copyTagsToSnapshot=value))
    assert message == (
        "Tags are not copied to snapshots, so snapshots lose the tags that name their project, stack and owner: set "
        "copy_tags_to_snapshot=True."
    )


# -- aws-rds-non-default-master-username -------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["admin", "Administrator", "root", "POSTGRES", "mysql", "sa", "master", "user"])
def test_username_fails_for_every_well_known_default_in_any_case(username: str) -> None:
    (message,) = check(rds_non_default_master_username, with_(PRIMARY, username=username))
    assert message == (
        f"The master username '{username}' is a well-known default that attackers try first: set username to a name "
        "of your own (e.g. webstack_admin; changing it replaces the instance)."
    )


@pytest.mark.parametrize("username", [None, "", "  "])
def test_username_fails_when_missing(username: str | None) -> None:
    (message,) = check(rds_non_default_master_username, with_(PRIMARY, username=username))
    assert message == (
        "The instance sets no master username: set username to a name of your own that is not a well-known default "
        "(e.g. webstack_admin)."
    )


def test_default_usernames_are_configurable() -> None:
    config = {"defaultUsernames": ["WEBSTACK_ADMIN"]}
    (message,) = check(rds_non_default_master_username, PRIMARY, config=config)
    assert message.startswith("The master username 'webstack_admin' is a well-known default")
    assert (
        check(rds_non_default_master_username, with_(PRIMARY, username="admin"), config={"defaultUsernames": []}) == []
    )


# -- aws-rds-managed-master-password -----------------------------------------------------------------------------------
SECRET = "hunter2-Sup3rSecret!"


def test_managed_password_fails_for_a_password_in_the_program_without_echoing_it() -> None:
    props = with_(PRIMARY, manageMasterUserPassword=None, masterUserSecretKmsKeyId=None, password=SECRET)
    (message,) = check(rds_managed_master_password, props)
    assert message == (
        "The program sets the master password (password), so it lives in the program's config or state and never "
        "rotates: remove password and set manage_master_user_password=True, so RDS generates the password, keeps it "
        "in Secrets Manager and rotates it."
    )
    assert SECRET not in message


def test_managed_password_fails_for_a_write_only_password() -> None:
    props = with_(PRIMARY, manageMasterUserPassword=False, passwordWo=SECRET, passwordWoVersion=1.0)
    (message,) = check(rds_managed_master_password, props)
    assert message.startswith("The program sets the master password (password_wo), so it lives")
    assert SECRET not in message


def test_managed_password_fails_for_a_password_next_to_the_managed_one() -> None:
    (message,) = check(rds_managed_master_password, with_(PRIMARY, password=SECRET))
    assert message.startswith("The program sets the master password (password)")


def test_managed_password_fails_for_a_generated_password_unknown_during_preview() -> None:
    props = with_(PRIMARY, manageMasterUserPassword=None, password=UNKNOWN_STRING_VALUE)
    (message,) = check(rds_managed_master_password, unknown_checking_proxy(props))
    assert message.startswith("The program sets the master password (password)")


@pytest.mark.parametrize("value", [False, None])
def test_managed_password_fails_when_rds_does_not_manage_it(value: bool | None) -> None:
    (message,) = check(rds_managed_master_password, with_(PRIMARY, manageMasterUserPassword=value))
    assert message == (
        "manage_master_user_password is not set: set manage_master_user_password=True, so RDS generates the master "
        "password, keeps it in Secrets Manager and rotates it."
    )


def test_managed_password_fails_without_a_customer_key_for_the_secret() -> None:
    (message,) = check(rds_managed_master_password, with_(PRIMARY, masterUserSecretKmsKeyId=None))
    assert message == (
        "master_user_secret_kms_key_id is not set, so the master password's secret is encrypted under an AWS-managed "
        "key whose policy you do not control: " + KEY_FIX.format("master_user_secret_kms_key_id")
    )


def test_managed_password_fails_with_the_aws_managed_secrets_key() -> None:
    props = with_(PRIMARY, masterUserSecretKmsKeyId="alias/aws/secretsmanager")
    (message,) = check(rds_managed_master_password, props)
    assert message.startswith("master_user_secret_kms_key_id names the AWS-managed key alias/aws/secretsmanager")


# -- aws-rds-parameter-group-forces-tls --------------------------------------------------------------------------------
def test_tls_passes_when_every_instance_uses_a_stack_group_that_forces_tls() -> None:
    assert check_stack(rds_parameter_group_forces_tls, three_shards()) == []


@pytest.mark.parametrize("value", ["1", "ON", "on", "true"])
def test_tls_accepts_every_mysql_spelling_of_on(value: str) -> None:
    resources = three_shards()
    find(resources, "urn:shard-1-params").props["parameters"][0]["value"] = value
    assert check_stack(rds_parameter_group_forces_tls, resources) == []


def test_tls_fails_on_the_group_when_postgres_does_not_force_ssl() -> None:
    resources = three_shards()
    find(resources, "urn:shard-0-params").props["parameters"][0]["value"] = "0"
    ((urn, message),) = check_stack(rds_parameter_group_forces_tls, resources)
    assert urn == "urn:shard-0-params"
    assert message == (
        "The parameter group (family postgres16) does not force TLS: rds.force_ssl is '0'. Add "
        '{name: "rds.force_ssl", value: "1"} to its parameters, so clients that do not use TLS are refused.'
    )


def test_tls_fails_on_the_group_when_postgres_leaves_force_ssl_unset() -> None:
    resources = three_shards()
    group = find(resources, "urn:shard-2-params")
    group.props["parameters"] = group.props["parameters"][1:]
    ((urn, message),) = check_stack(rds_parameter_group_forces_tls, resources)
    assert urn == "urn:shard-2-params"
    assert message.startswith("The parameter group (family postgres16) does not force TLS: rds.force_ssl is not set.")


def test_tls_fails_on_the_group_when_mysql_does_not_require_secure_transport() -> None:
    resources = three_shards()
    find(resources, "urn:shard-1-params").props["parameters"][0]["value"] = "OFF"
    ((urn, message),) = check_stack(rds_parameter_group_forces_tls, resources)
    assert urn == "urn:shard-1-params"
    assert message == (
        "The parameter group (family mysql8.0) does not force TLS: require_secure_transport is 'OFF'. Add "
        '{name: "require_secure_transport", value: "ON"} to its parameters, so clients that do not use TLS are '
        "refused."
    )


def test_tls_fails_on_a_group_without_parameters() -> None:
    resources = three_shards()
    find(resources, "urn:shard-1-params").props.pop("parameters")
    assert [urn for urn, _ in check_stack(rds_parameter_group_forces_tls, resources)] == ["urn:shard-1-params"]


def test_tls_reports_a_group_shared_by_a_primary_and_its_replicas_once() -> None:
    resources = stack(shard(0, replicas=3))
    find(resources, "urn:shard-0-params").props["parameters"] = []
    assert [urn for urn, _ in check_stack(rds_parameter_group_forces_tls, resources)] == ["urn:shard-0-params"]


def test_tls_fails_on_an_instance_without_a_parameter_group() -> None:
    resources = three_shards()
    replica = find(resources, "urn:shard-2-replica-0")
    replica.props.pop("parameterGroupName")
    replica.deps.pop("parameterGroupName")
    ((urn, message),) = check_stack(rds_parameter_group_forces_tls, resources)
    assert urn == "urn:shard-2-replica-0"
    assert message == (
        "The instance sets no parameter_group_name, so it uses the engine's default parameter group, which does not "
        f"force TLS: create an aws.rds.ParameterGroup that forces TLS ({TLS_FIX}) and pass its .name as "
        "parameter_group_name."
    )


def test_tls_fails_on_an_instance_using_the_default_parameter_group() -> None:
    resources = three_shards()
    primary = find(resources, "urn:shard-0-primary")
    primary.props["parameterGroupName"] = "default.postgres16"
    primary.deps.pop("parameterGroupName")
    ((urn, message),) = check_stack(rds_parameter_group_forces_tls, resources)
    assert urn == "urn:shard-0-primary"
    assert message == (
        "The instance uses the default parameter group default.postgres16, which does not force TLS and cannot be "
        f"changed: create an aws.rds.ParameterGroup that forces TLS ({TLS_FIX}) and pass its .name as "
        "parameter_group_name."
    )


def test_tls_fails_on_an_instance_whose_group_is_not_in_the_stack() -> None:
    resources = three_shards()
    find(resources, "urn:shard-1-primary").deps.pop("parameterGroupName")
    ((urn, message),) = check_stack(rds_parameter_group_forces_tls, resources)
    assert urn == "urn:shard-1-primary"
    assert message == (
        "The instance's parameter group is not one of this stack's, so the pack cannot check that it forces TLS: "
        f"create the aws.rds.ParameterGroup in the program ({TLS_FIX}) and pass its .name as parameter_group_name."
    )


def test_tls_joins_through_property_dependencies_not_names() -> None:
    """The name says shard-0's group, the dependency says shard-1's (mysql): the dependency decides."""
    resources = three_shards()
    replica = find(resources, "urn:shard-0-replica-0")
    replica.deps["parameterGroupName"] = ["urn:shard-1-params"]
    find(resources, "urn:shard-0-params").props["parameters"] = []
    assert [urn for urn, _ in check_stack(rds_parameter_group_forces_tls, resources)] == ["urn:shard-0-params"]
    find(resources, "urn:shard-1-params").props["parameters"] = []
    assert {urn for urn, _ in check_stack(rds_parameter_group_forces_tls, resources)} == {
        "urn:shard-0-params",
        "urn:shard-1-params",
    }


def test_tls_does_not_count_a_dependency_that_is_not_a_parameter_group() -> None:
    resources = three_shards()
    find(resources, "urn:shard-2-primary").deps["parameterGroupName"] = ["urn:shard-2-subnets"]
    assert [urn for urn, _ in check_stack(rds_parameter_group_forces_tls, resources)] == ["urn:shard-2-primary"]


def test_tls_does_not_judge_unused_groups_or_families_it_cannot_read() -> None:
    resources = [
        *three_shards(),
        Res("urn:spare-params", PARAMETER_GROUP, {"family": "postgres16", "parameters": []}),
        Res("urn:sqlserver-params", PARAMETER_GROUP, {"family": "sqlserver-se-15.0", "parameters": []}),
        Res("urn:sqlserver", INSTANCE, {"engine": "sqlserver-se"}, {"parameterGroupName": ["urn:sqlserver-params"]}),
    ]
    assert check_stack(rds_parameter_group_forces_tls, resources) == []


def test_tls_decides_during_a_preview_when_names_and_identifiers_are_unknown() -> None:
    resources = three_shards()
    for res in resources:
        if res.type == INSTANCE:
            res.props = previewed(res.props)
    assert check_stack(rds_parameter_group_forces_tls, resources) == []
    find(resources, "urn:shard-1-primary").deps.pop("parameterGroupName")
    find(resources, "urn:shard-2-params").props["parameters"] = []
    assert [urn for urn, _ in check_stack(rds_parameter_group_forces_tls, resources)] == [
        "urn:shard-1-primary",
        "urn:shard-2-params",
    ]


# -- aws-rds-parameter-group-no-general-log ----------------------------------------------------------------------------
GENERAL_LOG_MESSAGE = (
    "The parameter group turns on MySQL's general query log (general_log is '{0}'), which writes every statement to "
    "the log, passwords in CREATE USER, ALTER USER and SET PASSWORD included: remove general_log from its parameters "
    'or set it to "0" (the slow query log and the audit log record what operations need).'
)
LOG_STATEMENT_MESSAGE = (
    "The parameter group sets PostgreSQL's log_statement to '{0}', which writes {1} to the log, passwords in CREATE "
    'ROLE and ALTER ROLE included: remove log_statement or set it to "none" (log_min_duration_statement records slow '
    "queries, pgaudit what auditing needs)."
)


def params_with(base: Mapping[str, Any], name: str, value: Any) -> dict[str, Any]:
    """A parameter group's props with one more parameter."""
    result = copy.deepcopy(dict(base))
    result["parameters"].append({"name": name, "value": value, "applyMethod": "immediate"})
    return result


@pytest.mark.parametrize("resource_type", [PARAMETER_GROUP, CLUSTER_PARAMETER_GROUP])
@pytest.mark.parametrize("props", [PG_PARAMS, MYSQL_PARAMS], ids=["postgres", "mysql"])
def test_statement_logging_passes_on_the_groups_webstack_registers(props: dict[str, Any], resource_type: str) -> None:
    assert check(rds_parameter_group_no_general_log, props, resource_type=resource_type) == []


@pytest.mark.parametrize("value", ["1", "ON", "on", "true", "TRUE", " 1 "])
@pytest.mark.parametrize("resource_type", [PARAMETER_GROUP, CLUSTER_PARAMETER_GROUP])
def test_statement_logging_fails_when_mysqls_general_log_is_on(value: str, resource_type: str) -> None:
    props = params_with(MYSQL_PARAMS, "general_log", value)
    assert check(rds_parameter_group_no_general_log, props, resource_type=resource_type) == [
        GENERAL_LOG_MESSAGE.format(value.strip())
    ]


@pytest.mark.parametrize("value", ["0", "OFF", "false", ""])
def test_statement_logging_passes_when_mysqls_general_log_is_off(value: str) -> None:
    props = params_with(MYSQL_PARAMS, "general_log", value)
    assert check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP) == []


def test_statement_logging_reads_parameter_names_in_any_case() -> None:
    props = params_with(MYSQL_PARAMS, "General_Log", "1")
    assert check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP) == [
        GENERAL_LOG_MESSAGE.format("1")
    ]


@pytest.mark.parametrize("resource_type", [PARAMETER_GROUP, CLUSTER_PARAMETER_GROUP])
@pytest.mark.parametrize("value", ["all", "ALL"])
def test_statement_logging_fails_when_postgres_logs_every_statement(value: str, resource_type: str) -> None:
    props = params_with(PG_PARAMS, "log_statement", value)
    assert check(rds_parameter_group_no_general_log, props, resource_type=resource_type) == [
        LOG_STATEMENT_MESSAGE.format(value, "every statement")
    ]


@pytest.mark.parametrize("value", ["none", "ddl", "mod"])
def test_statement_logging_passes_postgres_statement_logging_short_of_all(value: str) -> None:
    props = params_with(PG_PARAMS, "log_statement", value)
    assert check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP) == []


def test_statement_logging_forbidden_values_are_configurable() -> None:
    props = params_with(PG_PARAMS, "log_statement", "ddl")
    config = {"forbiddenLogStatement": ["all", "mod", "ddl"]}
    assert check(rds_parameter_group_no_general_log, props, config, PARAMETER_GROUP) == [
        LOG_STATEMENT_MESSAGE.format("ddl", "every DDL statement")
    ]
    props = params_with(PG_PARAMS, "log_statement", "all")
    assert check(rds_parameter_group_no_general_log, props, {"forbiddenLogStatement": []}, PARAMETER_GROUP) == []


def test_statement_logging_reports_both_logs_of_one_group() -> None:
    props = params_with(params_with(MYSQL_PARAMS, "general_log", "1"), "log_statement", "all")
    assert len(check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP)) == 2


@pytest.mark.parametrize("parameters", [None, []], ids=["absent", "empty"])
def test_statement_logging_passes_a_group_without_parameters(parameters: Any) -> None:
    """The engine defaults log no statements."""
    props = with_(PG_PARAMS, parameters=parameters)
    assert check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP) == []


def test_statement_logging_ignores_instances_and_other_groups() -> None:
    logged = params_with(MYSQL_PARAMS, "general_log", "1")
    assert check(rds_parameter_group_no_general_log, PRIMARY) == []
    cache_group = "aws:elasticache/parameterGroup:ParameterGroup"
    assert check(rds_parameter_group_no_general_log, logged, resource_type=cache_group) == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("general_log", UNKNOWN_STRING_VALUE),
        ("log_statement", UNKNOWN_STRING_VALUE),
        (UNKNOWN_STRING_VALUE, "1"),
    ],
    ids=["general-log-value", "log-statement-value", "name"],
)
def test_statement_logging_leaves_a_parameter_unknown_during_preview_undecided_never_passed(
    name: str, value: str
) -> None:
    """The analyzer turns this error into "can't run policy ... during preview"; `pulumi up` then decides."""
    props = unknown_checking_proxy(params_with(MYSQL_PARAMS, name, value))
    with pytest.raises(UnknownValueError):
        check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP)


def test_statement_logging_leaves_unknown_parameters_undecided_never_passed() -> None:
    props = unknown_checking_proxy(with_(PG_PARAMS, parameters=UNKNOWN_STRING_VALUE))
    with pytest.raises(UnknownValueError):
        check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP)


def test_statement_logging_ignores_unknown_values_of_other_parameters() -> None:
    props = unknown_checking_proxy(params_with(PG_PARAMS, "work_mem", UNKNOWN_STRING_VALUE))
    assert check(rds_parameter_group_no_general_log, props, resource_type=PARAMETER_GROUP) == []


# -- aws-rds-primary-has-replica ---------------------------------------------------------------------------------------
def test_replicas_pass_when_every_primary_has_one() -> None:
    assert check_stack(rds_primary_has_replica, three_shards()) == []


def test_replicas_fail_for_the_one_primary_of_three_without_a_replica() -> None:
    resources = stack(shard(0), shard(1, "mysql", replicas=0), shard(2, replicas=2))
    ((urn, message),) = check_stack(rds_primary_has_replica, resources)
    assert urn == "urn:shard-1-primary"
    assert message == (
        "This primary has no read replica in the stack; at least 1 is required: add 1 aws.rds.Instance with "
        "replicate_source_db=<this instance>.identifier, outside the primary's availability zone "
        "(webstack:database.replicas)."
    )


def test_replicas_count_only_replicas_of_that_primary() -> None:
    """A replica's identifier prop names shard 0, its dependency shard 2: only the dependency counts."""
    resources = stack(shard(0), shard(1), shard(2, replicas=0))
    find(resources, "urn:shard-1-replica-0").deps["replicateSourceDb"] = ["urn:shard-2-primary"]
    find(resources, "urn:shard-1-replica-0").props["replicateSourceDb"] = "shard-0-primary-abc"
    assert [urn for urn, _ in check_stack(rds_primary_has_replica, resources)] == ["urn:shard-1-primary"]


def test_replicas_minimum_is_configurable() -> None:
    resources = stack(shard(0), shard(1, replicas=2))
    ((urn, message),) = check_stack(rds_primary_has_replica, resources, config={"minReplicas": 2})
    assert urn == "urn:shard-0-primary"
    assert message.startswith(
        "This primary has 1 read replica in the stack; at least 2 are required: add 1 aws.rds.Instance with"
    )
    resources = stack(shard(0, replicas=0))
    ((_, message),) = check_stack(rds_primary_has_replica, resources, config={"minReplicas": 3})
    assert message.startswith(
        "This primary has no read replica in the stack; at least 3 are required: add 3 aws.rds.Instances"
    )
    assert check_stack(rds_primary_has_replica, resources, config={"minReplicas": 0}) == []


def test_a_replica_of_a_source_outside_the_stack_is_no_primary() -> None:
    """A cross-region replica names its source by ARN and has no dependency: it needs no replica of its own."""
    outside = Res("urn:dr-replica", INSTANCE, with_(REPLICA, replicateSourceDb="arn:aws:rds:eu-west-1:1:db:primary"))
    assert check_stack(rds_primary_has_replica, [*three_shards(), outside]) == []


def test_replicas_decide_during_a_preview_when_identifiers_are_unknown() -> None:
    resources = stack(shard(0), shard(1, "mysql", replicas=0), shard(2))
    for res in resources:
        if res.type == INSTANCE:
            res.props = previewed(res.props)
    assert [urn for urn, _ in check_stack(rds_primary_has_replica, resources)] == ["urn:shard-1-primary"]


def test_a_replica_with_only_a_dependency_on_its_source_is_a_replica() -> None:
    resources = three_shards()
    find(resources, "urn:shard-0-replica-0").props.pop("replicateSourceDb")
    assert check_stack(rds_primary_has_replica, resources) == []
