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
from components.aws.keys import Keys, KeysArgs
from components.aws.load_balancer import CertificateArgs, LoadBalancer, LoadBalancerArgs
from components.aws.network import Network, NetworkArgs
from components.aws.web_tier import WebTier, WebTierArgs
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
    }
    if web.repositories:
        outputs["ecrRepositoryUrls"] = {service: repo.repository_url for service, repo in web.repositories.items()}
    return outputs
