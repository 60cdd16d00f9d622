"""How the stack's settings become the aws components' Args: the one place that maps ``webstack:*`` settings onto
the components' flat inputs (the components never see a settings model). The platform's steps call these with what
the steps before them built; the tests build their components through them too, so a component under test is the
component a stack builds."""

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ..settings import BackupSettings, CacheSettings, DatabaseSettings, MonitoringSettings
from .account import Account
from .backups import BackupDocumentsArgs, BackupsArgs
from .cache import CacheArgs
from .database import DatabaseArgs
from .monitoring import MonitoringArgs, WatchedArgs, WatchedDatabaseArgs
from .sharded_database import ShardedDatabase, ShardedDatabaseArgs
from .storage import ObjectStorage


def database_args(
    settings: DatabaseSettings,
    *,
    account: Account,
    name_prefix: str,
    subnet_ids: Sequence[pulumi.Input[str]],
    security_group_id: pulumi.Input[str],
    availability_zones: Sequence[str],
    data_key_arn: pulumi.Input[str],
    secrets_key_arn: pulumi.Input[str],
    logs_key_arn: pulumi.Input[str],
    protect: bool,
) -> DatabaseArgs:
    """``webstack:database`` as the shape of every shard."""
    return DatabaseArgs(
        name_prefix=name_prefix,
        account_id=account.id,
        partition=account.partition,
        subnet_ids=list(subnet_ids),
        security_group_id=security_group_id,
        availability_zones=list(availability_zones),
        data_key_arn=data_key_arn,
        secrets_key_arn=secrets_key_arn,
        logs_key_arn=logs_key_arn,
        engine=settings.engine,
        engine_version=settings.version,
        port=settings.port or 0,
        instance_class=settings.instance_class,
        replica_instance_class=settings.replica_instance_class,
        allocated_storage_gb=settings.allocated_storage_gb,
        max_allocated_storage_gb=settings.max_allocated_storage_gb,
        multi_az=settings.multi_az,
        replicas=settings.replicas,
        backup_retention_days=settings.backup_retention_days,
        backup_window=settings.backup_window,
        maintenance_window=settings.maintenance_window,
        deletion_protection=settings.deletion_protection,
        master_username=settings.master_username,
        database_name=settings.database_name,
        performance_insights_retention_days=settings.performance_insights_retention_days,
        monitoring_interval_seconds=settings.monitoring_interval_seconds,
        log_retention_days=settings.log_retention_days,
        protect=protect,
    )


def sharded_database_args(
    settings: DatabaseSettings, database: DatabaseArgs, role_secret_arns: Sequence[pulumi.Input[str]] = ()
) -> ShardedDatabaseArgs:
    """``webstack:database``'s shards and table routing around the shape of every shard."""
    return ShardedDatabaseArgs(
        database=database,
        shards=settings.shards,
        tables=dict(settings.tables),
        virtual_nodes=settings.virtual_nodes,
        role_secret_arns=list(role_secret_arns),
    )


def cache_args(
    settings: CacheSettings,
    *,
    name_prefix: str,
    subnet_ids: Sequence[pulumi.Input[str]],
    security_group_id: pulumi.Input[str],
    data_key_arn: pulumi.Input[str],
    secrets_key_arn: pulumi.Input[str],
    logs_key_arn: pulumi.Input[str],
    protect: bool,
) -> CacheArgs:
    """``webstack:cache`` as the cache's Args."""
    return CacheArgs(
        name_prefix=name_prefix,
        subnet_ids=list(subnet_ids),
        security_group_id=security_group_id,
        data_key_arn=data_key_arn,
        secrets_key_arn=secrets_key_arn,
        logs_key_arn=logs_key_arn,
        engine=settings.engine,
        engine_version=settings.version,
        node_type=settings.node_type,
        replicas=settings.replicas,
        multi_az=settings.multi_az,
        cluster_mode=settings.cluster_mode,
        shards=settings.shards,
        maxmemory_policy=settings.maxmemory_policy,
        snapshot_retention_days=settings.snapshot_retention_days,
        snapshot_window=settings.snapshot_window,
        maintenance_window=settings.maintenance_window,
        log_retention_days=settings.log_retention_days,
        auth_token_generation=settings.auth_token_generation,
        auth_token_update_strategy=settings.auth_token_update_strategy,
        protect=protect,
    )


def backups_args(
    settings: BackupSettings,
    *,
    account: Account,
    dr_account: Account,
    dr_provider: aws.Provider,
    name_prefix: str,
    backups_key_arn: pulumi.Input[str],
    dr_backups_key_arn: pulumi.Input[str],
    alert_topic_arn: pulumi.Input[str],
    access_log_bucket: pulumi.Input[str],
    dr_access_log_bucket: pulumi.Input[str],
    database_arns: Sequence[pulumi.Input[str]],
    documents: ObjectStorage | None,
    file_systems: Sequence[pulumi.Input[str]],
    database_retention_days: int,
    protect: bool,
) -> BackupsArgs:
    """``webstack:backups`` as the Args of the backups of the databases, the documents and the file systems."""
    lock, object_lock = settings.vault_lock, settings.object_lock
    return BackupsArgs(
        account=account,
        dr_account=dr_account,
        dr_provider=dr_provider,
        name_prefix=name_prefix,
        backups_key_arn=backups_key_arn,
        dr_backups_key_arn=dr_backups_key_arn,
        alert_topic_arn=alert_topic_arn,
        access_log_bucket=access_log_bucket,
        dr_access_log_bucket=dr_access_log_bucket,
        database_arns=list(database_arns),
        documents=backup_documents(documents) if documents is not None else None,
        file_systems=list(file_systems),
        database_retention_days=database_retention_days,
        daily_retention_days=settings.daily_retention_days,
        weekly_retention_days=settings.weekly_retention_days,
        continuous_backup=settings.continuous,
        copy_to_dr_region=settings.copy_to_dr_region,
        replicate_database_backups=settings.replicate_database_backups,
        restore_testing=settings.restore_testing,
        vault_lock=lock.enabled,
        vault_lock_min_retention_days=lock.min_retention_days,
        vault_lock_max_retention_days=lock.max_retention_days,
        vault_lock_changeable_for_days=lock.changeable_for_days,
        export_archive_after_days=settings.export_archive_after_days,
        object_lock_mode=None if object_lock.mode == "off" else object_lock.mode,
        object_lock_days=object_lock.days,
        manage_region_settings=settings.manage_region_settings,
        service_opt_in=dict(settings.service_opt_in),
        protect=protect,
    )


def backup_documents(storage: ObjectStorage) -> BackupDocumentsArgs:
    """The documents bucket as the backups see it."""
    return BackupDocumentsArgs(
        bucket=storage.bucket.id,
        bucket_arn=storage.bucket.arn,
        key_arn=storage.key_arn,
        versioning=storage.hardened.versioning,
        noncurrent_version_days=storage.noncurrent_version_days,
    )


def monitoring_args(
    settings: MonitoringSettings,
    *,
    account: Account,
    name_prefix: str,
    domain: str,
    watched: WatchedArgs,
    critical_topic_arn: pulumi.Input[str],
    warning_topic_arn: pulumi.Input[str],
    data_key_arn: pulumi.Input[str],
    logs_key_arn: pulumi.Input[str],
    secrets_key_arn: pulumi.Input[str],
    access_log_bucket: pulumi.Input[str],
    webhook_url: pulumi.Input[str] | None,
    log_retention_days: int,
) -> MonitoringArgs:
    """``webstack:monitoring`` (and ``webstack:alertWebhookUrl``) as the alarms' Args."""
    return MonitoringArgs(
        account=account,
        name_prefix=name_prefix,
        domain=domain,
        watched=watched,
        critical_topic_arn=critical_topic_arn,
        warning_topic_arn=warning_topic_arn,
        data_key_arn=data_key_arn,
        logs_key_arn=logs_key_arn,
        secrets_key_arn=secrets_key_arn,
        access_log_bucket=access_log_bucket,
        thresholds={
            alert: {str(severity): value for severity, value in severities.items()}
            for alert, severities in settings.thresholds.items()
        },
        alert_emails=list(settings.alert_emails),
        uptime_interval_minutes=settings.uptime_interval_minutes,
        canary_runtime=settings.canary_runtime,
        webhook_url=webhook_url,
        log_retention_days=log_retention_days,
    )


def watched_databases(settings: DatabaseSettings, database: ShardedDatabase) -> list[WatchedDatabaseArgs]:
    """Every instance of every shard, as the alarms see it."""
    slow_log = "postgresql" if settings.engine == "postgres" else "slowquery"
    watched = []
    for index, shard in enumerate(database.shards):
        instances = [(f"shard-{index}-primary", "primary", shard.primary, False)]
        instances += [
            (f"shard-{index}-replica-{n}", f"replica-{n}", replica, True) for n, replica in enumerate(shard.replicas)
        ]
        for label, role, instance, replica in instances:
            watched.append(
                WatchedDatabaseArgs(
                    label=label,
                    identifier=instance.identifier,
                    engine=settings.engine,
                    instance_class=settings.instance_class,
                    allocated_storage_gb=settings.allocated_storage_gb,
                    slow_query_log_group=shard.log_groups[role][slow_log].name,
                    replica=replica,
                )
            )
    return watched
