"""The aws platform: creates the explicit providers and composes the components for one stack.

Providers: ``aws`` in the stack's region and ``aws-dr`` in the disaster-recovery region, both with the stack's tags
as ``default_tags``, and ``cloudflare`` when the CDN is on. Every component receives its provider through ``opts``
and never reads configuration itself. ``build`` returns the stack outputs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_cloudflare as cloudflare

from components.aws.account import lookup_account
from components.aws.cache import Cache, CacheArgs
from components.aws.database import DatabaseArgs, ShardedDatabase
from components.aws.keys import Keys, KeysArgs
from components.aws.load_balancer import CertificateArgs, LoadBalancer, LoadBalancerArgs
from components.aws.network import Network, NetworkArgs
from components.aws.web_tier import SecretRef, ServiceAccess, WebTier, WebTierArgs
from components.naming import Naming
from components.settings import Settings, StackSecrets


def build(settings: Settings, secrets: StackSecrets) -> dict[str, Any]:
    """Create the stack's resources; return its outputs."""
    naming = Naming.from_settings(settings)
    production = settings.environment == "prod"

    main = aws.Provider(
        "aws",
        region=settings.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=naming.tags),
    )
    aws.Provider(
        "aws-dr",
        region=settings.disaster_recovery_region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=naming.tags),
    )
    dns = cloudflare.Provider("cloudflare", api_token=secrets.cloudflare_api_token) if settings.cdn.enabled else None
    in_main_region = pulumi.ResourceOptions(providers=[main])
    account = lookup_account(main, settings.region)

    keys = Keys("keys", KeysArgs(account=account, name_prefix=naming.prefix, protect=production), opts=in_main_region)
    network = Network(
        "network",
        NetworkArgs(
            account=account,
            name_prefix=naming.prefix,
            flow_log_key_arn=keys.logs.arn,
            layout=settings.network,
            app_ports=(settings.web.frontend.port, settings.web.backend.port),
            database_port=settings.database.effective_port,
            protect=production,
        ),
        opts=in_main_region,
    )
    database = ShardedDatabase(
        "database",
        DatabaseArgs(
            account=account,
            name_prefix=naming.prefix,
            subnet_ids=[subnet.id for subnet in network.data_subnets],
            security_group_id=network.data_security_group.id,
            availability_zones=network.availability_zones,
            data_key_arn=keys.data.arn,
            secrets_key_arn=keys.secrets.arn,
            settings=settings.database,
            protect=production,
        ),
        opts=in_main_region,
    )
    cache = Cache(
        "cache",
        CacheArgs(
            name_prefix=naming.prefix,
            subnet_ids=[subnet.id for subnet in network.data_subnets],
            security_group_id=network.cache_security_group.id,
            data_key_arn=keys.data.arn,
            secrets_key_arn=keys.secrets.arn,
            logs_key_arn=keys.logs.arn,
            settings=settings.cache,
            protect=production,
        ),
        opts=in_main_region,
    )
    edge = LoadBalancer(
        "edge",
        LoadBalancerArgs(
            account=account,
            name_prefix=naming.prefix,
            domain=settings.domain,
            vpc_id=network.vpc.id,
            subnet_ids=[subnet.id for subnet in network.public_subnets],
            security_group_id=network.lb_security_group.id,
            logs_key_arn=keys.logs.arn,
            certificate=CertificateArgs(
                existing_arn=settings.web.certificate_arn, zone_id=settings.cdn.zone_id, dns_provider=dns
            ),
            web=settings.web,
            protect=production,
        ),
        opts=in_main_region,
    )
    web = WebTier(
        "web",
        WebTierArgs(
            account=account,
            name_prefix=naming.prefix,
            domain=settings.domain,
            subnet_ids=[subnet.id for subnet in network.app_subnets],
            security_group_id=network.app_security_group.id,
            logs_key_arn=keys.logs.arn,
            images_key_arn=keys.data.arn,
            target_groups=edge.target_groups,
            load_balancer_arn_suffix=edge.alb.arn_suffix,
            load_balancer_dns_name=edge.alb.dns_name,
            listeners=edge.listeners,
            web=settings.web,
            environment={"backend": backend_environment(settings, database, cache)},
            secrets={"backend": backend_secrets(database, cache)},
            access={
                "backend": ServiceAccess(
                    secret_arns=[*database.secret_arns, cache.auth_secret.arn],
                    parameter_arns=[database.shard_map_parameter.arn],
                )
            },
            secrets_key_arn=keys.secrets.arn,
            protect=production,
        ),
        opts=in_main_region,
    )

    outputs: dict[str, Any] = {
        "url": f"https://{settings.domain}",
        "region": settings.region,
        "drRegion": settings.disaster_recovery_region,
        "availabilityZones": network.availability_zones,
        "vpcId": network.vpc.id,
        "publicSubnetIds": [subnet.id for subnet in network.public_subnets],
        "appSubnetIds": [subnet.id for subnet in network.app_subnets],
        "dataSubnetIds": [subnet.id for subnet in network.data_subnets],
        "securityGroupIds": network.security_group_ids,
        "flowLogGroupName": network.flow_log_group.name,
        "albDnsName": edge.alb.dns_name,
        "targetGroupArns": {service: group.arn for service, group in edge.target_groups.items()},
        "certificateArn": edge.certificate_arn,
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
    }
    if web.repositories:
        outputs["ecrRepositoryUrls"] = {service: repo.repository_url for service, repo in web.repositories.items()}
    return outputs


def backend_environment(settings: Settings, database: ShardedDatabase, cache: Cache) -> dict[str, pulumi.Input[str]]:
    """Where the backend finds its data: endpoints and names only; credentials come as secrets."""
    first = database.shards[0]
    return {
        "DATABASE_ENGINE": settings.database.engine,
        "DATABASE_HOST": first.writer_endpoint,
        "DATABASE_READ_HOSTS": pulumi.Output.all(*first.reader_endpoints).apply(lambda hosts: ",".join(hosts)),
        "DATABASE_PORT": str(settings.database.effective_port),
        "DATABASE_NAME": settings.database.database_name,
        "DATABASE_SSL_MODE": "verify-full",
        "DATABASE_SECRET_ARN": first.master_secret_arn,
        "SHARD_MAP_PARAMETER": database.shard_map_parameter.name,
        "REDIS_HOST": cache.endpoint,
        "REDIS_PORT": str(cache.port),
        "REDIS_TLS": "true",
        "REDIS_AUTH_SECRET_ARN": cache.auth_secret.arn,
    }


def backend_secrets(database: ShardedDatabase, cache: Cache) -> dict[str, SecretRef]:
    """Credentials the backend starts with (shard 0's and the cache's); the task role may re-read them after a
    rotation, and the shard map names every shard's secret."""
    first = database.shards[0]
    return {
        "DATABASE_USER": SecretRef(first.master_secret_arn, "username"),
        "DATABASE_PASSWORD": SecretRef(first.master_secret_arn, "password"),
        "REDIS_PASSWORD": SecretRef(cache.auth_secret.arn),
    }
