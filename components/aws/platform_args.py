"""How the stack's settings become the aws components' Args: the one place that maps ``webstack:*`` settings onto
the components' flat inputs (the components never see a settings model). The platform's steps call these with what
the steps before them built; the tests build their components through them too, so a component under test is the
component a stack builds."""

from collections.abc import Sequence

import pulumi

from ..settings import DEFAULT_CSP, CacheSettings, DatabaseSettings, WebSettings
from .account import Account
from .cache import CacheArgs
from .database import DatabaseArgs
from .load_balancer import (
    HSTS,
    ClientCertificateArgs,
    LoadBalancerArgs,
    LoadBalancerRateLimitArgs,
    LoadBalancerRouteArgs,
    LoadBalancerTargetArgs,
)
from .sharded_database import ShardedDatabaseArgs

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
