"""The sharded relational database on aws.

``ShardedDatabase`` creates K shards (each a :class:`~.database.Database`) side by side (no shard depends on
another) and publishes the shard map (``components.shard_map``: per shard its writer and reader endpoints and secret
ARN, the table routing and the consistent-hash ring's parameters) as an SSM parameter the application reads, and as
a stack output.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi
import pulumi_aws as aws

from ..shard_map import build_shard_map
from .database import Database, DatabaseArgs

SHARDED_DATABASE_TYPE = "webstack:aws:ShardedDatabase"


@dataclass(frozen=True)
class ShardedDatabaseArgs:
    """Inputs of :class:`ShardedDatabase`: how many shards, how tables route to them, and the shape of each."""

    database: DatabaseArgs
    """Every shard as one :class:`~.database.Database` (its ``shard`` index is set per shard)."""
    shards: int = 1
    """Independent databases (1-16; 1: unsharded), each a primary with its replicas."""
    tables: Mapping[str, int] = field(default_factory=dict)
    """Table routing: table name -> shard index. Other tables go to shard 0; keys route through the hash ring."""
    virtual_nodes: int = 128
    """Points per shard on the consistent-hash ring (more: a more even spread)."""
    role_secret_arns: Sequence[pulumi.Input[str]] = ()
    """Per shard, the secret of the role the application signs in as (the shard map names it); empty: the master
    secret."""


def validate_sharded_database_args(args: ShardedDatabaseArgs) -> None:
    """Errors name the Args field."""
    if not 1 <= args.shards <= 16:
        raise ValueError(f"ShardedDatabaseArgs.shards must be between 1 and 16, got {args.shards}")
    for table, shard in args.tables.items():
        if not 0 <= shard < args.shards:
            raise ValueError(
                f"ShardedDatabaseArgs.tables must route {table} to a shard below {args.shards}, got {shard}"
            )
    if args.role_secret_arns and len(args.role_secret_arns) != args.shards:
        raise ValueError(
            f"ShardedDatabaseArgs.role_secret_arns must name one secret per shard ({args.shards}), got "
            f"{len(args.role_secret_arns)}"
        )


class ShardedDatabase(pulumi.ComponentResource):
    """K independent shards and the shard map that routes to them."""

    shard_map: pulumi.Output[dict[str, Any]]
    """Per shard its writer and reader endpoints and secret ARN, the table routing and the hash ring."""
    shard_map_parameter: aws.ssm.Parameter
    """The SSM parameter the application reads the shard map from."""

    def __init__(self, name: str, args: ShardedDatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_sharded_database_args(args)
        super().__init__(SHARDED_DATABASE_TYPE, name, None, opts)
        shape = args.database
        # Not a class annotation: the component analyzer cannot reference a webstack component as an output.
        self.shards: list[Database] = [
            Database(f"{name}-shard-{index}", replace(shape, shard=index), opts=pulumi.ResourceOptions(parent=self))
            for index in range(args.shards)
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
                dict(args.tables),
                virtual_nodes=args.virtual_nodes,
                engine=shape.engine,
                port=shape.effective_port,
            )
        )
        self.shard_map_parameter = aws.ssm.Parameter(
            f"{name}-shard-map",
            name=f"/{shape.name_prefix}/database/shard-map",
            type="String",
            # Standard (free) while the map fits in 4 KB; larger maps (many shards) move to Advanced by themselves.
            tier="Intelligent-Tiering",
            description=f"{shape.name_prefix}: where each shard and table lives (webstack shard map, JSON)",
            insecure_value=self.shard_map.apply(lambda document: json.dumps(document, separators=(",", ":"))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"shardMap": self.shard_map, "shardMapParameter": self.shard_map_parameter.name})

    @property
    def secret_arns(self) -> list[pulumi.Output[str]]:
        """Every shard's master-password secret."""
        return [shard.master_secret_arn for shard in self.shards]
