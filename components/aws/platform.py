"""The aws platform: creates the explicit providers and composes the components for one stack.

Providers: ``aws`` in the stack's region and ``aws-dr`` in the disaster-recovery region, both with the stack's tags
as ``default_tags``. Every component receives its provider through ``opts`` and never reads configuration itself.
``build`` returns the stack outputs.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.account import lookup_account
from components.aws.keys import Keys, KeysArgs
from components.aws.network import Network, NetworkArgs
from components.naming import Naming
from components.settings import Settings


def build(settings: Settings) -> dict[str, Any]:
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

    return {
        "region": settings.region,
        "drRegion": settings.disaster_recovery_region,
        "availabilityZones": network.availability_zones,
        "vpcId": network.vpc.id,
        "publicSubnetIds": [subnet.id for subnet in network.public_subnets],
        "appSubnetIds": [subnet.id for subnet in network.app_subnets],
        "dataSubnetIds": [subnet.id for subnet in network.data_subnets],
        "securityGroupIds": network.security_group_ids,
        "flowLogGroupName": network.flow_log_group.name,
    }
