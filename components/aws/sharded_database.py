"""The sharded relational database on aws.

``ShardedDatabase`` creates K shards (each a :class:`~.database.Database`) side by side (no shard depends on
another) and publishes the shard map (``components.shard_map``: per shard its writer and reader endpoints and secret
ARN, the table routing and the consistent-hash ring's parameters) as an SSM parameter the application reads, and as
a stack output.
"""

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ..shard_map import build_shard_map
from .database import Database, DatabaseArgs

SHARDED_DATABASE_TYPE = "webstack:aws:ShardedDatabase"


class ShardedDatabase(pulumi.ComponentResource):
    """K independent shards and the shard map that routes to them."""

    shards: list[Database]
    shard_map: pulumi.Output[dict[str, Any]]
    shard_map_parameter: aws.ssm.Parameter

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(SHARDED_DATABASE_TYPE, name, None, opts)
        settings = args.settings
        self.shards = [
            Database(f"{name}-shard-{index}", args, shard=index, opts=pulumi.ResourceOptions(parent=self))
            for index in range(settings.shards)
        ]
        entries = [
            pulumi.Output.all(
                writer=shard.writer_endpoint,
                readers=pulumi.Output.all(*shard.reader_endpoints),
                secretArn=args.role_secret_arns[index] if args.role_secret_arns else shard.master_secret_arn,
            )
            for index, shard in enumerate(self.shards)
        ]
        self.shard_map = pulumi.Output.all(*entries).apply(
            lambda shards: build_shard_map(
                [dict(entry) for entry in shards],
                settings.tables,
                virtual_nodes=settings.virtual_nodes,
                engine=settings.engine,
                port=settings.effective_port,
            )
        )
        self.shard_map_parameter = aws.ssm.Parameter(
            f"{name}-shard-map",
            name=f"/{args.name_prefix}/database/shard-map",
            type="String",
            # Standard (free) while the map fits in 4 KB; larger maps (many shards) move to Advanced by themselves.
            tier="Intelligent-Tiering",
            description=f"{args.name_prefix}: where each shard and table lives (webstack shard map, JSON)",
            insecure_value=self.shard_map.apply(lambda document: json.dumps(document, separators=(",", ":"))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"shardMap": self.shard_map, "shardMapParameter": self.shard_map_parameter.name})

    @property
    def secret_arns(self) -> list[pulumi.Output[str]]:
        """Every shard's master-password secret."""
        return [shard.master_secret_arn for shard in self.shards]
