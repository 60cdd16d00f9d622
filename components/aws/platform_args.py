"""How the stack's settings become the aws components' Args: the one place that maps ``webstack:*`` settings onto
the components' flat inputs (the components never see a settings model). The platform's steps call these with what
the steps before them built; the tests build their components through them too, so a component under test is the
component a stack builds."""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from ..settings import (
    APP_SERVICES,
    DEFAULT_CSP,
    AppSettings,
    BackupSettings,
    CacheSettings,
    DatabaseSettings,
    MonitoringSettings,
    NetworkSettings,
    ServiceSettings,
    SettingsError,
    StackSecrets,
    WebSettings,
)
from .account import Account
from .app_secrets import AppSecretsArgs
from .backups import BackupDocumentsArgs, BackupsArgs
from .cache import CacheArgs
from .database import DatabaseArgs
from .files import ServiceVolume
from .load_balancer import (
    HSTS,
    ClientCertificateArgs,
    LoadBalancerArgs,
    LoadBalancerRateLimitArgs,
    LoadBalancerRouteArgs,
    LoadBalancerTargetArgs,
)
from .monitoring import MonitoringArgs, WatchedArgs, WatchedDatabaseArgs
from .network import Network, NetworkArgs, ZoneChoiceError
from .prometheus import PrometheusArgs
from .service import ImageBuildArgs, ServiceArgs
from .sharded_database import ShardedDatabase, ShardedDatabaseArgs
from .storage import ObjectStorage
from .task_definitions import MetricsCollector, SecretRef
from .web_tier import WebTierArgs

#: The backend's paths (every other path is the frontend's), and the priority of their listener rule.
API_PATHS = ["/api", "/api/*"]
API_RULE_PRIORITY = 100


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


def backup_documents(storage: ObjectStorage) -> BackupDocumentsArgs:
    """The documents bucket as the backups see it."""
    return BackupDocumentsArgs(
        bucket=storage.bucket.id,
        bucket_arn=storage.bucket.arn,
        key_arn=storage.key_arn,
        versioning=storage.hardened.versioning,
        noncurrent_version_days=storage.noncurrent_version_days,
    )


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


def load_balancer_args(
    web: WebSettings,
    *,
    account: Account,
    name_prefix: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: Sequence[pulumi.Input[str]],
    security_group_id: pulumi.Input[str],
    logs_key_arn: pulumi.Input[str],
    certificate_arn: pulumi.Input[str],
    certificate_validation_fqdns: Sequence[pulumi.Input[str]] | None = None,
    client_certificates: ClientCertificateArgs | None = None,
    content_security_policy: str = DEFAULT_CSP,
    strict_transport_security: str = HSTS,
    forwarded_ip_header: str | None = None,
    protect: bool = False,
) -> LoadBalancerArgs:
    """``webstack:web`` as the load balancer's Args: a target group per service, ``/api`` to the backend and every
    other path to the frontend, and the WAF's rate limits in the order login, API, general."""
    check = web.health_check
    services = {
        service: LoadBalancerTargetArgs(
            port=settings.port,
            health_check_path=settings.health_check_path,
            health_check_interval_seconds=check.interval_seconds,
            health_check_timeout_seconds=check.timeout_seconds,
            healthy_threshold=check.healthy_threshold,
            unhealthy_threshold=check.unhealthy_threshold,
            health_check_matcher=check.matcher,
            deregistration_delay_seconds=web.deregistration_delay_seconds,
            stickiness=web.stickiness,
            stickiness_seconds=web.stickiness_seconds,
        )
        for service, settings in (("frontend", web.frontend), ("backend", web.backend))
    }
    limits = web.rate_limits
    return LoadBalancerArgs(
        account=account,
        name_prefix=name_prefix,
        vpc_id=vpc_id,
        subnet_ids=list(subnet_ids),
        security_group_id=security_group_id,
        logs_key_arn=logs_key_arn,
        certificate_arn=certificate_arn,
        certificate_validation_fqdns=list(certificate_validation_fqdns)
        if certificate_validation_fqdns is not None
        else None,
        services=services,
        default_service="frontend",
        routes={"api": LoadBalancerRouteArgs(service="backend", paths=API_PATHS, priority=API_RULE_PRIORITY)},
        client_certificates=client_certificates,
        ssl_policy=web.ssl_policy,
        desync_mitigation=web.desync_mitigation,
        deletion_protection=web.deletion_protection,
        access_log_days=web.access_log_days,
        waf_log_retention_days=web.waf_log_retention_days,
        rate_limits=[
            LoadBalancerRateLimitArgs(name, limit.limit, limit.window_seconds, limit.path, limit.match)
            for name, limit in (("login", limits.login), ("api", limits.api), ("general", limits.general))
        ],
        upload_paths=tuple(web.upload_paths),
        content_security_policy=content_security_policy,
        strict_transport_security=strict_transport_security,
        forwarded_ip_header=forwarded_ip_header,
        protect=protect,
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
        thresholds={
            alert: {str(severity): value for severity, value in thresholds.items()}
            for alert, thresholds in settings.thresholds.items()
        },
        grafana=settings.grafana,
        log_retention_days=log_retention_days,
    )


@dataclass(frozen=True)
class ServiceAccess:
    """What a service's application may read at run time, through its task role; nothing else."""

    secret_arns: Sequence[pulumi.Input[str]] = ()
    """Secrets it may read (to follow rotations without a restart)."""
    parameter_arns: Sequence[pulumi.Input[str]] = ()
    """SSM parameters it may read (the shard map)."""


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
        services={name: service(name, getattr(web, name)) for name in APP_SERVICES},
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
