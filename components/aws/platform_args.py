"""How the stack's settings become the aws components' Args: the one place that maps ``webstack:*`` settings onto
the components' flat inputs (the components never see a settings model). The platform's steps call these with what
the steps before them built; the tests build their components through them too, so a component under test is the
component a stack builds."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..settings import CacheSettings, DatabaseSettings, ServiceSettings, WebSettings
from .account import Account
from .cache import CacheArgs
from .database import DatabaseArgs
from .files import ServiceVolume
from .service import ImageBuildArgs, ServiceArgs
from .sharded_database import ShardedDatabaseArgs
from .task_definitions import MetricsCollector, SecretRef
from .web_tier import WebTierArgs


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


@dataclass(frozen=True)
class ServiceAccess:
    """What a service's application may read at run time, through its task role; nothing else."""

    secret_arns: Sequence[pulumi.Input[str]] = ()
    """Secrets it may read (to follow rotations without a restart)."""
    parameter_arns: Sequence[pulumi.Input[str]] = ()
    """SSM parameters it may read (the shard map)."""


#: The site's services, as ``webstack:web`` names them.
WEB_SERVICES = ("frontend", "backend")


def web_tier_args(
    web: WebSettings,
    *,
    account: Account,
    name_prefix: str,
    domain: str,
    subnet_ids: Sequence[pulumi.Input[str]],
    security_group_id: pulumi.Input[str],
    logs_key_arn: pulumi.Input[str],
    images_key_arn: pulumi.Input[str],
    target_groups: Mapping[str, aws.lb.TargetGroup],
    load_balancer_arn_suffix: pulumi.Input[str],
    load_balancer_dns_name: pulumi.Input[str] | None,
    listeners: Sequence[pulumi.Resource] = (),
    smoke_test_after: Sequence[pulumi.Resource] = (),
    environment: Mapping[str, Mapping[str, pulumi.Input[str]]] | None = None,
    secrets: Mapping[str, Mapping[str, SecretRef]] | None = None,
    access: Mapping[str, ServiceAccess] | None = None,
    secrets_key_arn: pulumi.Input[str] | None = None,
    collectors: Mapping[str, MetricsCollector] | None = None,
    volumes: Mapping[str, ServiceVolume] | None = None,
    migration_command: Sequence[str] = (),
    migration_timeout_minutes: int = 30,
    before_services: Sequence[pulumi.Input[str]] = (),
    exec_log_group_name: pulumi.Input[str] | None = None,
    protect: bool = False,
) -> WebTierArgs:
    """``webstack:web`` and what the other steps built as the web tier's Args: per service (``frontend``,
    ``backend``) its settings, its target group, the program's environment, secrets, access, collector and volume;
    the backend runs the migration. The services wait for the listeners and for ``before_services`` (the database
    bootstrap's runs), the smoke test for the listeners and ``smoke_test_after`` (the CDN's records)."""
    access = access or {}

    def service(name: str, settings: ServiceSettings) -> ServiceArgs:
        granted = access.get(name, ServiceAccess())
        migrates = name == "backend"
        return ServiceArgs(
            target_group_arn=target_groups[name].arn,
            target_group_arn_suffix=target_groups[name].arn_suffix,
            port=settings.port,
            service=name,
            image=settings.image,
            build=_build(settings),
            cpu=settings.cpu,
            memory=settings.memory,
            desired_count=settings.desired_count,
            min_count=settings.min_count,
            max_count=settings.max_count,
            user=settings.user,
            health_check_path=settings.health_check_path,
            environment={**settings.environment, **(environment or {}).get(name, {})},
            secrets=dict((secrets or {}).get(name, {})),
            readable_secret_arns=list(granted.secret_arns),
            readable_parameter_arns=list(granted.parameter_arns),
            collector=(collectors or {}).get(name),
            volume=(volumes or {}).get(name),
            migration_command=list(migration_command) if migrates else [],
            migration_timeout_minutes=migration_timeout_minutes,
            exec_enabled=web.exec_enabled,
            log_retention_days=web.log_retention_days,
            cpu_target=web.autoscaling.cpu_target,
            requests_per_target=web.autoscaling.requests_per_target,
            wait_for=list(before_services),
            protect=protect,
        )

    return WebTierArgs(
        account=account,
        name_prefix=name_prefix,
        domain=domain,
        subnet_ids=list(subnet_ids),
        security_group_id=security_group_id,
        logs_key_arn=logs_key_arn,
        load_balancer_arn_suffix=load_balancer_arn_suffix,
        services={name: service(name, getattr(web, name)) for name in WEB_SERVICES},
        images_key_arn=images_key_arn,
        secrets_key_arn=secrets_key_arn,
        load_balancer_dns_name=load_balancer_dns_name,
        wait_for=[listener.urn for listener in listeners],
        smoke_test_after=[resource.urn for resource in smoke_test_after],
        container_insights=web.container_insights,
        smoke_test=web.smoke_test.enabled,
        smoke_test_path=web.smoke_test.path,
        smoke_test_retries=web.smoke_test.retries,
        exec_log_group_name=exec_log_group_name,
    )


def _build(settings: ServiceSettings) -> ImageBuildArgs | None:
    build = settings.build
    if build is None:
        return None
    return ImageBuildArgs(context=build.context, dockerfile=build.dockerfile, target=build.target, args=build.args)
