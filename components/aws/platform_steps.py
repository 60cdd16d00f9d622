"""The aws platform's build steps, in the order ``platform.build`` runs them: alert routing, the network, the data
tier, the edge, the application, data protection and observability. Each step takes what the steps before it built
(as the small frozen records below), maps the stack's settings onto its components' Args and returns what it built.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from ..alerts import Alert, Severity, catalog
from ..cdn_compose import cdn_args, certificate_validation
from ..edge_common import (
    CLIENT_ADDRESS_ENV,
    CLIENT_ADDRESS_HEADER,
    FORWARDED_FOR_HEADER,
    hsts_header,
    hsts_value,
)
from ..settings import APP_SERVICES, Settings, StackSecrets
from .account import Account
from .app_secrets import AppSecrets
from .backups import Backups, backup_role_arns
from .buckets import fixed_bucket_name
from .cache import Cache
from .certificate import validated_certificate
from .database_bootstrap import DatabaseBootstrap, DatabaseBootstrapArgs, client_image
from .dns import Dns, DnsArgs
from .files import PersistentFiles, PersistentFilesArgs
from .keys import Keys
from .load_balancer import ClientCertificateArgs, LoadBalancer
from .log_archive import LogArchive
from .monitoring import Monitoring, WatchedArgs
from .network import Network
from .notifications import Notifications, NotificationsArgs
from .operations import Operations, OperationsArgs, session_log_group
from .platform_args import (
    ServiceAccess,
    app_secrets_args,
    backups_args,
    cache_args,
    database_args,
    load_balancer_args,
    monitoring_args,
    network_args,
    prometheus_args,
    sharded_database_args,
    stack_network,
    watched_databases,
    web_tier_args,
)
from .prometheus import Prometheus
from .sharded_database import ShardedDatabase
from .storage import ObjectStorage, ObjectStorageArgs
from .task_definitions import MetricsCollector, SecretRef
from .web_tier import WebTier

#: The load balancer's name in every stack.
EDGE = "edge"

if TYPE_CHECKING:  # the Cloudflare SDK is imported only when the CDN is on (see platform._cloudflare)
    import pulumi_cloudflare as cloudflare

    from ..cdn import Cdn


@dataclass(frozen=True)
class Foundation:
    """What every step builds on: the providers, the account, the keys and the regions' log archives."""

    settings: Settings
    secrets: StackSecrets
    prefix: str
    production: bool
    dr: aws.Provider
    here: pulumi.ResourceOptions
    """Options of a component in the stack's region."""
    there: pulumi.ResourceOptions
    """Options of a component in the disaster-recovery region."""
    account: Account
    dr_account: Account
    keys: Keys
    dr_keys: Keys
    access_logs: LogArchive
    dr_access_logs: LogArchive


@dataclass(frozen=True)
class Alerting:
    """Where alerts go, built before what raises them."""

    alerts: Notifications
    catalog: Sequence[Alert]
    topic_arns: dict[Severity, pulumi.Input[str]]
    prometheus: Prometheus | None


@dataclass(frozen=True)
class Data:
    """The relational database, its roles and the cache."""

    roles: DatabaseBootstrap | None
    database: ShardedDatabase
    cache: Cache


@dataclass(frozen=True)
class Edge:
    """What visitors reach: the CDN or the Route 53 zone, the load balancer and the routes to it."""

    cdn: "Cdn | None"
    zone: Dns | None
    load_balancer: LoadBalancer
    routes: list[Any]


@dataclass(frozen=True)
class Application:
    """The web tier and what it runs with."""

    documents_bucket: str
    files: dict[str, PersistentFiles]
    web: WebTier
    operations: Operations | None


@dataclass(frozen=True)
class DataProtection:
    """The documents and the backups of every stateful resource."""

    storage: ObjectStorage
    backups: Backups


def alert_routing(base: Foundation) -> Alerting:
    """The alert topics, and Prometheus (when on), which the services write their metrics to."""
    settings, account, prefix, keys, here = base.settings, base.account, base.prefix, base.keys, base.here
    alerts = Notifications(
        "alerts", NotificationsArgs(account=account, name_prefix=prefix, key_arn=keys.alerts.arn), opts=here
    )
    alert_catalog = catalog(settings.monitoring.thresholds)
    topic_arns: dict[Severity, pulumi.Input[str]] = {"critical": alerts.critical.arn, "warning": alerts.warning.arn}
    prometheus = (
        Prometheus(
            "prometheus",
            prometheus_args(
                settings.monitoring,
                account=account,
                name_prefix=prefix,
                data_key_arn=keys.data.arn,
                logs_key_arn=keys.logs.arn,
                critical_topic_arn=alerts.critical.arn,
                warning_topic_arn=alerts.warning.arn,
                log_retention_days=settings.web.log_retention_days,
            ),
            opts=here,
        )
        if settings.monitoring.prometheus
        else None
    )
    return Alerting(alerts=alerts, catalog=alert_catalog, topic_arns=topic_arns, prometheus=prometheus)


def network_step(base: Foundation, dns: "cloudflare.Provider | None") -> Network:
    """The VPC, its subnets and security groups; behind the CDN the load balancer admits Cloudflare's ranges only."""
    settings = base.settings
    return stack_network(
        "network",
        network_args(
            settings.network,
            account=base.account,
            name_prefix=base.prefix,
            flow_log_key_arn=base.keys.logs.arn,
            edge_cidrs=cloudflare_ranges(dns) if dns is not None else None,
            app_ports=(settings.web.frontend.port, settings.web.backend.port),
            database_port=settings.database.effective_port,
            protect=base.production,
        ),
        opts=base.here,
    )


def data_step(base: Foundation, network: Network) -> Data:
    """The database's roles (when bootstrapped), the sharded database and the cache."""
    settings, account, prefix, keys, here = base.settings, base.account, base.prefix, base.keys, base.here
    app = settings.app
    roles = (
        DatabaseBootstrap(
            "database-bootstrap",
            DatabaseBootstrapArgs(
                account=account,
                name_prefix=prefix,
                secrets_key_arn=keys.secrets.arn,
                logs_key_arn=keys.logs.arn,
                engine=settings.database.engine,
                engine_version=settings.database.version,
                port=settings.database.port or 0,
                database_name=settings.database.database_name,
                shards=settings.database.shards,
                log_retention_days=settings.web.log_retention_days,
                image=app.database_roles.client_image,
            ),
            opts=here,
        )
        if app.database_roles.bootstrap
        else None
    )
    shape = database_args(
        settings.database,
        account=account,
        name_prefix=prefix,
        subnet_ids=[subnet.id for subnet in network.data_subnets],
        security_group_id=network.data_security_group.id,
        availability_zones=network.availability_zones,
        data_key_arn=keys.data.arn,
        secrets_key_arn=keys.secrets.arn,
        logs_key_arn=keys.logs.arn,
        protect=base.production,
    )
    database = ShardedDatabase(
        "database",
        sharded_database_args(settings.database, shape, roles.app_secret_arns if roles is not None else ()),
        opts=here,
    )
    if roles is not None:
        roles.attach(database)
    cache = Cache(
        "cache",
        cache_args(
            settings.cache,
            name_prefix=prefix,
            subnet_ids=[subnet.id for subnet in network.data_subnets],
            security_group_id=network.cache_security_group.id,
            data_key_arn=keys.data.arn,
            secrets_key_arn=keys.secrets.arn,
            logs_key_arn=keys.logs.arn,
            protect=base.production,
        ),
        opts=here,
    )
    return Data(roles=roles, database=database, cache=cache)


def edge_step(base: Foundation, network: Network, dns: "cloudflare.Provider | None") -> Edge:
    """The load balancer, its certificate validated and its name routed by the CDN (``dns``: Cloudflare's provider,
    when ``webstack:cdn.enabled``) or, without it, by a Route 53 zone of the domain (when named); the Cdn is built
    after the load balancer, its origin."""
    settings, keys, here = base.settings, base.keys, base.here
    zone = (
        Dns("dns", DnsArgs(zone_name=settings.web.hosted_zone, domain=settings.domain), opts=here)
        if settings.web.hosted_zone
        else None
    )
    # The records that validate a certificate go to the CDN's zone, else to the Route 53 zone.
    write = (
        certificate_validation(settings.cdn, base.prefix, dns)
        if dns is not None
        else zone.validation_records
        if zone is not None
        else None
    )
    if settings.web.certificate_arn or write is None:
        certificate_arn, fqdns = settings.web.certificate_arn, None
    else:
        certificate_arn, fqdns = validated_certificate(EDGE, settings.domain, write, here)
    mutual_tls = settings.cdn.enabled and settings.cdn.authenticated_origin_pulls
    edge = LoadBalancer(
        EDGE,
        load_balancer_args(
            settings.web,
            account=base.account,
            name_prefix=base.prefix,
            vpc_id=network.vpc.id,
            subnet_ids=[subnet.id for subnet in network.public_subnets],
            security_group_id=network.lb_security_group.id,
            logs_key_arn=keys.logs.arn,
            certificate_arn=certificate_arn,
            certificate_validation_fqdns=fqdns,
            client_certificates=ClientCertificateArgs(
                ca_bundle_pem=Path(settings.cdn.origin_pull_ca_bundle).read_text(),
                kms_key_arn=keys.data.arn,
                access_log_bucket=base.access_logs.bucket.id,
            )
            if mutual_tls
            else None,
            content_security_policy=settings.cdn.content_security_policy,
            strict_transport_security=hsts_header(hsts_value(settings.cdn)),
            # Behind Cloudflare every connection is Cloudflare's: the WAF counts the client address it forwards.
            forwarded_ip_header=CLIENT_ADDRESS_HEADER if dns is not None else None,
            protect=base.production,
        ),
        opts=here,
    )
    cdn = _cdn(settings, base.prefix, dns, edge.alb.dns_name) if dns is not None else None
    routes = list(cdn.records.values()) if cdn is not None else zone.route(edge.alb) if zone is not None else []
    return Edge(cdn=cdn, zone=zone, load_balancer=edge, routes=routes)


def application_step(base: Foundation, network: Network, data: Data, edge: Edge, alerting: Alerting) -> Application:
    """The application's secrets and file systems, the web tier, and the operators' access."""
    settings, secrets, account = base.settings, base.secrets, base.account
    prefix, keys, here = base.prefix, base.keys, base.here
    roles, database, cache, cdn, prometheus = data.roles, data.database, data.cache, edge.cdn, alerting.prometheus
    load_balancer = edge.load_balancer
    production = base.production
    app = settings.app
    documents_bucket = fixed_bucket_name(account, prefix, "documents")
    app_secrets = AppSecrets(
        "app-secrets",
        app_secrets_args(app, secrets, name_prefix=prefix, secrets_key_arn=keys.secrets.arn),
        opts=here,
    )
    files = {
        service: PersistentFiles(
            f"files-{service}",
            PersistentFilesArgs(
                account=account,
                name_prefix=prefix,
                service=service,
                vpc_id=network.vpc.id,
                subnet_ids=[subnet.id for subnet in network.app_subnets],
                app_security_group_id=network.app_security_group.id,
                data_key_arn=keys.data.arn,
                user=getattr(settings.web, service).user,
                path=volume.path,
                single_writer=volume.single_writer,
                protect=production,
            ),
            opts=here,
        )
        for service in APP_SERVICES
        if (volume := app.service(service).volume) is not None
    }
    session_logs = (
        session_log_group("operator-sessions", prefix, keys.logs.arn, app.operations.session_log_days, here)
        if app.operations.enabled
        else None
    )
    app_subnets = [subnet.id for subnet in network.app_subnets]
    app_groups = [network.app_security_group.id]
    role_secret_arns = roles.app_secret_arns if roles is not None else []
    # The database bootstrap runs in the web tier's cluster and the services wait for its runs: built after the
    # tier, they reach the services through a deferred output (resolved below).
    bootstrapped, resolve_bootstrapped = pulumi.deferred_output() if roles is not None else (None, None)
    web = WebTier(
        "web",
        web_tier_args(
            settings.web,
            account=account,
            name_prefix=prefix,
            domain=settings.domain,
            subnet_ids=app_subnets,
            security_group_id=network.app_security_group.id,
            logs_key_arn=keys.logs.arn,
            images_key_arn=keys.data.arn,
            target_groups=load_balancer.target_groups,
            load_balancer_arn_suffix=load_balancer.alb.arn_suffix,
            # Through the CDN the origin admits the CDN only: the smoke test goes the way visitors do.
            load_balancer_dns_name=None if cdn is not None else load_balancer.alb.dns_name,
            listeners=load_balancer.listeners,
            smoke_test_after=edge.routes,
            environment={"backend": backend_environment(settings, database, cache, documents_bucket, roles)},
            secrets={
                "backend": {**backend_secrets(cache, roles), **app_secrets.refs["backend"]},
                "frontend": app_secrets.refs["frontend"],
            },
            access={
                "backend": ServiceAccess(
                    secret_arns=[*role_secret_arns, cache.auth_secret.arn],
                    parameter_arns=[database.shard_map_parameter.arn],
                )
            },
            secrets_key_arn=keys.secrets.arn,
            collectors={
                "backend": MetricsCollector(
                    image=settings.monitoring.collector_image,
                    remote_write_url=prometheus.remote_write_url,
                    workspace_arn=prometheus.workspace.arn,
                    metrics_path=settings.monitoring.metrics_path,
                )
            }
            if prometheus is not None
            else {},
            volumes={service: files[service].volume for service in files},
            migration_command=app.migration.command,
            migration_timeout_minutes=app.migration.timeout_minutes,
            before_services=[bootstrapped] if bootstrapped is not None else [],
            exec_log_group_name=session_logs.name if session_logs is not None else None,
            protect=production,
        ),
        opts=here,
    )
    if roles is not None and resolve_bootstrapped is not None:
        runs = roles.run_in(web.cluster, app_subnets, app_groups)
        resolve_bootstrapped(pulumi.Output.all(*(run.urn for run in runs)).apply(",".join))
    operations = (
        Operations(
            "operations",
            OperationsArgs(
                account=account,
                name_prefix=prefix,
                cluster=web.cluster,
                session_logs=session_logs,
                image=app.operations.image
                or client_image(
                    settings.database.engine, settings.database.effective_version, app.database_roles.client_image
                ),
                user="70:70" if settings.database.engine == "postgres" else "999:999",
                trusted_principal_arns=app.operations.trusted_principal_arns,
                logs_key_arn=keys.logs.arn,
                secrets_key_arn=keys.secrets.arn,
                reader_secret_arns=roles.reader_secret_arns if roles is not None else [],
                database_hosts=[shard.writer_endpoint for shard in database.shards],
                database_port=settings.database.effective_port,
                database_name=settings.database.database_name,
                log_retention_days=settings.web.log_retention_days,
            ),
            opts=here,
        )
        if session_logs is not None and roles is not None
        else None
    )
    return Application(documents_bucket=documents_bucket, files=files, web=web, operations=operations)


def data_protection_step(base: Foundation, data: Data, app: Application, alerting: Alerting) -> DataProtection:
    """The documents bucket, and AWS Backup of the databases, the documents and the file systems, copied to the
    disaster-recovery region."""
    settings, account, prefix = base.settings, base.account, base.prefix
    keys, here, production = base.keys, base.here, base.production
    dr, dr_account, dr_keys = base.dr, base.dr_account, base.dr_keys
    access_logs, dr_access_logs = base.access_logs, base.dr_access_logs
    database, web, files, alerts = data.database, app.web, app.files, alerting.alerts
    storage = ObjectStorage(
        "storage",
        ObjectStorageArgs(
            account=account,
            name_prefix=prefix,
            data_key_arn=keys.data.arn,
            access_log_bucket=access_logs.bucket.id,
            bucket_name=app.documents_bucket,
            writers=[web.task_roles["backend"]],
            service_role_arns=backup_role_arns(account, prefix),
            noncurrent_version_days=settings.storage.noncurrent_version_days,
            protect=production,
        ),
        opts=here,
    )
    backups = Backups(
        "backups",
        backups_args(
            settings.backups,
            account=account,
            dr_account=dr_account,
            dr_provider=dr,
            name_prefix=prefix,
            backups_key_arn=keys.backups.arn,
            dr_backups_key_arn=dr_keys.backups.arn,
            alert_topic_arn=alerts.critical.arn,
            access_log_bucket=access_logs.bucket.id,
            dr_access_log_bucket=dr_access_logs.bucket.id,
            database_arns=[shard.primary.arn for shard in database.shards],
            documents=storage,
            file_systems=[volume.file_system.arn for volume in files.values()],
            database_retention_days=settings.database.backup_retention_days,
            protect=production,
        ),
        opts=here,
    )
    return DataProtection(storage=storage, backups=backups)


def observability_step(
    base: Foundation,
    network: Network,
    data: Data,
    edge: Edge,
    app: Application,
    protection: DataProtection,
    alerting: Alerting,
) -> Monitoring:
    """The alarms over everything built before, the dashboard and the uptime check (built last)."""
    settings, secrets, account = base.settings, base.secrets, base.account
    prefix, keys, access_logs = base.prefix, base.keys, base.access_logs
    load_balancer, web, database, cache, backups = (
        edge.load_balancer,
        app.web,
        data.database,
        data.cache,
        protection.backups,
    )
    topic_arns = alerting.topic_arns
    return Monitoring(
        "monitoring",
        monitoring_args(
            settings.monitoring,
            account=account,
            name_prefix=prefix,
            domain=settings.domain,
            watched=WatchedArgs(
                load_balancer_arn_suffix=load_balancer.alb.arn_suffix,
                cluster_name=web.cluster.name,
                backup_vault_name=backups.vault.name,
                web_acl_metric_name=load_balancer.web_acl.visibility_config.apply(lambda config: config.metric_name),
                target_group_arn_suffixes={key: group.arn_suffix for key, group in load_balancer.target_groups.items()},
                service_names={key: service.name for key, service in web.services.items()},
                databases=watched_databases(settings.database, database),
                cache_node_ids=cache.node_ids,
            ),
            critical_topic_arn=topic_arns["critical"],
            warning_topic_arn=topic_arns["warning"],
            data_key_arn=keys.data.arn,
            logs_key_arn=keys.logs.arn,
            secrets_key_arn=keys.secrets.arn,
            access_log_bucket=access_logs.bucket.id,
            webhook_url=secrets.alert_webhook_url,
            log_retention_days=settings.web.log_retention_days,
        ),
        opts=base.here,
    )


def backend_environment(
    settings: Settings,
    database: ShardedDatabase,
    cache: Cache,
    documents_bucket: str,
    roles: DatabaseBootstrap | None = None,
) -> dict[str, pulumi.Input[str]]:
    """Where the backend finds its data: endpoints and names only; credentials come as secrets (the application
    role's, never the master's)."""
    first = database.shards[0]
    environment: dict[str, pulumi.Input[str]] = {
        "DATABASE_ENGINE": settings.database.engine,
        "DATABASE_HOST": first.writer_endpoint,
        "DATABASE_READ_HOSTS": pulumi.Output.all(*first.reader_endpoints).apply(lambda hosts: ",".join(hosts)),
        "DATABASE_PORT": str(settings.database.effective_port),
        "DATABASE_NAME": settings.database.database_name,
        "DATABASE_SSL_MODE": "verify-full",
        "SHARD_MAP_PARAMETER": database.shard_map_parameter.name,
        "REDIS_HOST": cache.endpoint,
        "REDIS_PORT": str(cache.port),
        "REDIS_TLS": "true",
        "REDIS_AUTH_SECRET_ARN": cache.auth_secret.arn,
        "DOCUMENTS_BUCKET": documents_bucket,
        CLIENT_ADDRESS_ENV: CLIENT_ADDRESS_HEADER if settings.cdn.enabled else FORWARDED_FOR_HEADER,
    }
    if roles is not None:
        environment["DATABASE_SECRET_ARN"] = roles.app_secret_arns[0]
    return environment


def backend_secrets(cache: Cache, roles: DatabaseBootstrap | None) -> dict[str, SecretRef]:
    """Credentials the backend starts with: shard 0's application role (never a master user) and the cache's; the
    task role may re-read them after a rotation, and the shard map names every shard's application-role secret."""
    # Pinned to the token's version: a rotated token is a new task definition, and the backend rolls onto it.
    secrets = {"REDIS_PASSWORD": SecretRef(cache.auth_secret.arn, version_id=cache.auth_secret_version.version_id)}
    if roles is not None:
        first = roles.app_secret_arns[0]
        secrets |= {"DATABASE_USER": SecretRef(first, "username"), "DATABASE_PASSWORD": SecretRef(first, "password")}
    return secrets


def cloudflare_ranges(provider: "cloudflare.Provider") -> list[str]:
    from ..cdn import cloudflare_ranges

    return cloudflare_ranges(provider)


def _cdn(settings: Settings, prefix: str, provider: "cloudflare.Provider", origin: pulumi.Input[str]) -> "Cdn":
    """The zone's Cdn, in front of the load balancer (``origin``)."""
    from ..cdn import Cdn

    return Cdn("cdn", cdn_args(settings, prefix, origin=origin), opts=pulumi.ResourceOptions(provider=provider))
