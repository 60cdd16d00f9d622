"""The aws platform: creates the explicit providers and composes the components for one stack.

Providers: ``aws`` in the stack's region and ``aws-dr`` in the disaster-recovery region, both with the stack's tags
as ``default_tags``, and ``cloudflare`` when the CDN is on. Every component receives its provider through ``opts``
and never reads configuration itself. ``build`` returns the stack outputs.
"""

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from ..cdn_compose import cache_purge
from ..naming import Naming
from ..settings import Settings, StackSecrets
from .account import lookup_account
from .keys import Keys, KeysArgs
from .log_archive import LogArchive, LogArchiveArgs
from .monitoring import Monitoring
from .network import Network
from .platform_steps import (
    Alerting,
    Application,
    Data,
    DataProtection,
    Edge,
    Foundation,
    alert_routing,
    application_step,
    data_protection_step,
    data_step,
    edge_step,
    network_step,
    observability_step,
)

if TYPE_CHECKING:  # the Cloudflare SDK is imported only when the CDN is on (see _cloudflare)
    import pulumi_cloudflare as cloudflare


def build(settings: Settings, secrets: StackSecrets) -> dict[str, Any]:
    """Create the stack's resources; return its outputs."""
    base = foundation(settings, secrets)
    dns = _cloudflare(secrets) if settings.cdn.enabled else None
    alerting = alert_routing(base)
    network = network_step(base, dns)
    data = data_step(base, network)
    edge = edge_step(base, network, dns)
    cdn = edge.cdn
    app = application_step(base, network, data, edge, alerting)
    protection = data_protection_step(base, data, app, alerting)
    monitoring = observability_step(base, network, data, edge, app, protection, alerting)
    if cdn is not None:
        cache_purge(
            settings.cdn,
            secrets.cloudflare_api_token,
            triggers=[definition.arn for definition in app.web.task_definitions.values()],
            after=list(app.web.services.values()),
        )
    return outputs_step(base, network, data, edge, app, protection, alerting, monitoring)


def foundation(settings: Settings, secrets: StackSecrets) -> Foundation:
    """The providers (``aws`` in the stack's region, ``aws-dr`` in the disaster-recovery region), the KMS keys and
    the log archives of both regions."""
    naming = Naming.from_settings(settings)
    prefix = naming.prefix
    production = settings.environment == "prod"

    main = aws.Provider("aws", region=settings.region, default_tags=aws.ProviderDefaultTagsArgs(tags=naming.tags))
    dr = aws.Provider(
        "aws-dr",
        region=settings.disaster_recovery_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=naming.tags),
    )
    here = pulumi.ResourceOptions(providers=[main])
    there = pulumi.ResourceOptions(providers=[dr])
    account = lookup_account(main, settings.region)
    dr_account = replace(account, region=settings.disaster_recovery_region)

    keys = Keys("keys", KeysArgs(account=account, name_prefix=prefix, protect=production), opts=here)
    dr_keys = Keys(
        "dr-keys",
        KeysArgs(account=dr_account, name_prefix=prefix, purposes=("backups",), protect=production),
        opts=there,
    )
    access_logs = LogArchive(
        "access-logs",
        LogArchiveArgs(account, prefix, expire_days=settings.storage.access_log_days, protect=production),
        opts=here,
    )
    dr_access_logs = LogArchive(
        "dr-access-logs",
        LogArchiveArgs(dr_account, prefix, expire_days=settings.storage.access_log_days, protect=production),
        opts=there,
    )
    return Foundation(
        settings=settings,
        secrets=secrets,
        prefix=prefix,
        production=production,
        dr=dr,
        here=here,
        there=there,
        account=account,
        dr_account=dr_account,
        keys=keys,
        dr_keys=dr_keys,
        access_logs=access_logs,
        dr_access_logs=dr_access_logs,
    )


def outputs_step(
    base: Foundation,
    network: Network,
    data: Data,
    edge: Edge,
    app: Application,
    protection: DataProtection,
    alerting: Alerting,
    monitoring: Monitoring,
) -> dict[str, Any]:
    """The stack outputs: where everything is, for operators and the application's deploys."""
    settings, prefix = base.settings, base.prefix
    database, cache, roles = data.database, data.cache, data.roles
    cdn, load_balancer = edge.cdn, edge.load_balancer
    web, files, operations = app.web, app.files, app.operations
    storage, backups = protection.storage, protection.backups
    alerts, prometheus = alerting.alerts, alerting.prometheus
    outputs: dict[str, Any] = {
        "url": f"https://{settings.domain}",
        "region": settings.region,
        "drRegion": settings.disaster_recovery_region,
        "availabilityZones": network.availability_zones,
        "availabilityZoneIds": network.availability_zone_ids,
        "vpcId": network.vpc.id,
        "publicSubnetIds": [subnet.id for subnet in network.public_subnets],
        "appSubnetIds": [subnet.id for subnet in network.app_subnets],
        "dataSubnetIds": [subnet.id for subnet in network.data_subnets],
        "securityGroupIds": network.security_group_ids,
        "flowLogGroupName": network.flow_log_group.name,
        "albDnsName": load_balancer.alb.dns_name,
        "targetGroupArns": {service: group.arn for service, group in load_balancer.target_groups.items()},
        "certificateArn": load_balancer.certificate_arn,
        "clusterName": web.cluster.name,
        "databaseWriterEndpoints": [shard.writer_endpoint for shard in database.shards],
        "databaseReaderEndpoints": [shard.reader_endpoints for shard in database.shards],
        "databasePort": settings.database.effective_port,
        "databaseSecretArns": database.secret_arns,
        "shardMap": database.shard_map,
        "shardMapParameter": database.shard_map_parameter.name,
        "cacheEndpoint": cache.endpoint,
        "cacheReaderEndpoint": cache.reader_endpoint,
        "cachePort": cache.port,
        "cacheAuthSecretArn": cache.auth_secret.arn,
        "documentsBucket": storage.bucket.id,
        "exportsBucket": backups.exports_bucket.id,
        "drExportsBucket": backups.dr_exports_bucket.id,
        "drDocumentsBucket": backups.dr_documents_bucket.id if backups.dr_documents_bucket else None,
        "backupVaultArn": backups.vault.arn,
        "drBackupVaultArn": backups.dr_vault.arn,
        "backupPlanId": backups.plan.id,
        "alertTopicArns": {severity: topic.arn for severity, topic in alerts.topics.items()},
    }
    outputs["dashboardUrl"] = monitoring.dashboard.dashboard_name.apply(
        lambda dashboard: (
            f"https://{settings.region}.console.aws.amazon.com/cloudwatch/home?region={settings.region}"
            f"#dashboards/dashboard/{dashboard}"
        )
    )
    outputs["uptimeCheck"] = monitoring.canary.name
    if prometheus is not None:
        outputs["prometheusEndpoint"] = prometheus.workspace.prometheus_endpoint
        if prometheus.grafana is not None:
            outputs["grafanaUrl"] = prometheus.grafana.endpoint.apply(lambda endpoint: f"https://{endpoint}")
    if cdn is not None:
        outputs["cdnZoneId"] = cdn.zone_id
        outputs["cdnRulesets"] = {label: ruleset.id for label, ruleset in cdn.rulesets.items()}
    if roles is not None:
        outputs["databaseRoleSecretArns"] = {"app": roles.app_secret_arns, "reader": roles.reader_secret_arns}
    if web.migration is not None:
        outputs["migrationTaskFamily"] = f"{prefix}-backend-migrate"
    if files:
        outputs["fileSystemIds"] = {service: volume.file_system.id for service, volume in files.items()}
    if operations is not None:
        outputs["operatorRoleArn"] = operations.operator_role.arn
        outputs["operationsTaskFamily"] = f"{prefix}-operations"
    if web.repositories:
        outputs["ecrRepositoryUrls"] = {service: repo.repository_url for service, repo in web.repositories.items()}
    return outputs


def _cloudflare(secrets: StackSecrets) -> "cloudflare.Provider":
    """The Cloudflare provider, for ``webstack:cdn.enabled``. The Cloudflare SDK is imported only then: it is the
    slowest of the SDKs to load, and a stack without the CDN registers nothing from it."""
    import pulumi_cloudflare as cloudflare

    return cloudflare.Provider("cloudflare", api_token=secrets.cloudflare_api_token)
