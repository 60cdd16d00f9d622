"""How the stack's settings become the aws components' Args: the one place that maps ``webstack:*`` settings onto
the components' flat inputs (the components never see a settings model). The platform's steps call these with what
the steps before them built; the tests build their components through them too, so a component under test is the
component a stack builds."""

import json
from collections.abc import Sequence

import pulumi

from ..settings import (
    APP_SERVICES,
    AppSettings,
    CacheSettings,
    DatabaseSettings,
    MonitoringSettings,
    NetworkSettings,
    SettingsError,
    StackSecrets,
)
from .account import Account
from .app_secrets import AppSecretsArgs
from .cache import CacheArgs
from .database import DatabaseArgs
from .network import Network, NetworkArgs, ZoneChoiceError
from .prometheus import PrometheusArgs
from .sharded_database import ShardedDatabaseArgs


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


def network_args(
    settings: NetworkSettings,
    *,
    account: Account,
    name_prefix: str,
    flow_log_key_arn: pulumi.Input[str],
    app_ports: Sequence[int],
    database_port: int,
    edge_cidrs: Sequence[str] | None = None,
    protect: bool,
) -> NetworkArgs:
    """``webstack:network`` as the network's Args; behind the CDN the load balancer admits the CDN's published ranges
    (``edge_cidrs``) instead of ``lbIngressCidrs``."""
    return NetworkArgs(
        account=account,
        name_prefix=name_prefix,
        flow_log_key_arn=flow_log_key_arn,
        cidr=settings.cidr,
        az_count=settings.az_count,
        subnet_prefix_length=settings.subnet_prefix_length,
        availability_zone_ids=tuple(settings.availability_zone_ids),
        single_nat_gateway=settings.nat_gateways == "single",
        flow_log_retention_days=settings.flow_log_retention_days,
        lb_ingress_cidrs=tuple(settings.lb_ingress_cidrs if edge_cidrs is None else edge_cidrs),
        admin_cidrs=tuple(settings.admin_cidrs),
        app_ports=tuple(app_ports),
        database_port=database_port,
        protect=protect,
    )


#: The ``webstack:network`` keys behind the Args fields the Network checks against the region's zones.
NETWORK_ZONE_KEYS = {"az_count": "azCount", "availability_zone_ids": "availabilityZoneIds"}


def stack_network(name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> Network:
    """The stack's Network. Which zones a region offers is known only once it answers, inside the component: a zone
    the stack asks for and the region lacks is an error about the stack's setting, named as its file spells it
    (``webstack:network.azCount``), where a program using the component sees its Args field."""
    try:
        return Network(name, args, opts)
    except ZoneChoiceError as error:
        field, bracket, index = error.field.partition("[")
        key = f"webstack:network.{NETWORK_ZONE_KEYS[field]}{bracket}{index}"
        raise SettingsError(key, f"{key} must {error.rule}, got {json.dumps(error.got)}") from None


def app_secrets_args(
    app: AppSettings, secrets: StackSecrets, *, name_prefix: str, secrets_key_arn: pulumi.Input[str]
) -> AppSecretsArgs:
    """``webstack:appSecrets`` (the values) and each service's ``webstack:app.<service>.secretArns`` (secrets that
    exist already) as the application secrets' Args."""
    return AppSecretsArgs(
        name_prefix=name_prefix,
        secrets_key_arn=secrets_key_arn,
        values={service: dict(named) for service, named in secrets.app.items()},
        existing_secret_arns={service: dict(app.service(service).secret_arns) for service in APP_SERVICES},
        services=APP_SERVICES,
    )


def prometheus_args(
    settings: MonitoringSettings,
    *,
    account: Account,
    name_prefix: str,
    data_key_arn: pulumi.Input[str],
    logs_key_arn: pulumi.Input[str],
    critical_topic_arn: pulumi.Input[str],
    warning_topic_arn: pulumi.Input[str],
    log_retention_days: int,
) -> PrometheusArgs:
    """``webstack:monitoring`` (the catalog's thresholds, Grafana) as Prometheus's Args, routing to the alert
    topics."""
    return PrometheusArgs(
        account=account,
        name_prefix=name_prefix,
        data_key_arn=data_key_arn,
        logs_key_arn=logs_key_arn,
        critical_topic_arn=critical_topic_arn,
        warning_topic_arn=warning_topic_arn,
        alert_thresholds={
            alert: {str(severity): value for severity, value in thresholds.items()}
            for alert, thresholds in settings.thresholds.items()
        },
        grafana=settings.grafana,
        log_retention_days=log_retention_days,
    )
