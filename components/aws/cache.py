"""The cache on aws: an ElastiCache replication group (Redis 7 or Valkey), encrypted, authenticated, failing over.

Creates:

- a subnet group over the data (isolated) subnets and a parameter group (eviction policy from settings, default
  ``allkeys-lru``; cluster mode when enabled);
- an AUTH token generated with pulumi-random (64 characters, never a default), kept in Secrets Manager under the
  customer secrets key for the application, and handed to the replication group as a secret; a new
  ``webstack:cache.authTokenGeneration`` rotates it without downtime (ElastiCache's ROTATE keeps the old token valid
  next to the new one until ``authTokenUpdateStrategy: SET`` retires it), and the secret's version tells the backend
  to start tasks with the new one;
- the replication group in the ``cache`` security group: encryption at rest with the customer data key, TLS
  required in transit, automatic failover and Multi-AZ with at least one replica (or cluster mode: shards x
  replicas), daily snapshots kept 7 days in their window, a maintenance window, automatic minor upgrades, and the
  slow log and engine log delivered to KMS-encrypted CloudWatch log groups with retention.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from ..settings import CACHE_VERSIONS
from .args_errors import invalid

CACHE_TYPE = "webstack:aws:Cache"
CACHE_PORT = 6379
TOKEN_LENGTH = 64


@dataclass(frozen=True)
class CacheArgs:
    """Inputs of :class:`Cache`."""

    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The data (isolated) subnets."""
    security_group_id: pulumi.Input[str]
    """The ``cache`` security group."""
    data_key_arn: pulumi.Input[str]
    """Customer KMS key for data at rest."""
    secrets_key_arn: pulumi.Input[str]
    """Customer KMS key of the AUTH token's secret."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the log groups."""
    engine: str = "redis"
    """``redis`` or ``valkey``."""
    engine_version: str = ""
    """redis 7.0 or 7.1, valkey 7.2 or 8.0. Empty: the engine's newest."""
    node_type: str = "cache.r7g.large"
    """Node type, of a current generation (older ones lack encryption and failover)."""
    replicas: int = 1
    """Replicas per shard (0-5); failover needs at least one."""
    multi_az: bool = True
    """Fail over automatically to a replica in another zone."""
    cluster_mode: bool = False
    """Shard the keyspace (Redis Cluster); clients must support it."""
    shards: int = 1
    """Node groups in cluster mode (1 otherwise)."""
    maxmemory_policy: str = "allkeys-lru"
    """What to evict when memory is full."""
    snapshot_retention_days: int = 7
    """Days daily snapshots are kept (1-35)."""
    snapshot_window: str = "03:00-04:00"
    """Daily snapshot window, UTC."""
    maintenance_window: str = "sun:05:00-sun:06:00"
    """Weekly maintenance window, UTC; must not overlap the snapshots."""
    log_retention_days: int = 30
    """Days CloudWatch keeps the slow and engine logs."""
    auth_token_generation: int = 1
    """Raise it by one to rotate the AUTH token (ElastiCache accepts the new one next to the current one)."""
    auth_token_update_strategy: str = "ROTATE"
    """``ROTATE`` (the new token joins the current one) or, after a rotation, ``SET`` (it becomes the only one)."""
    protect: bool = False
    """Protect the replication group from deletion by Pulumi (on in production)."""

    @property
    def effective_version(self) -> str:
        return self.engine_version or CACHE_VERSIONS[self.engine][0]

    @property
    def family(self) -> str:
        """The parameter-group family, e.g. redis7 or valkey8."""
        return f"{self.engine}{self.effective_version.split('.')[0]}"


def validate_cache_args(args: CacheArgs) -> None:
    """Errors name the Args field (a stack's settings are validated, naming their keys, in components/settings/)."""

    if args.engine not in CACHE_VERSIONS:
        raise invalid(args, "engine", "be redis or valkey", args.engine)
    if args.engine_version and args.engine_version not in CACHE_VERSIONS[args.engine]:
        raise invalid(
            args, "engine_version", f"be one of {', '.join(CACHE_VERSIONS[args.engine])}", args.engine_version
        )
    if not 0 <= args.replicas <= 5:
        raise invalid(args, "replicas", "be between 0 and 5", args.replicas)
    if not 1 <= args.snapshot_retention_days <= 35:
        raise invalid(args, "snapshot_retention_days", "be between 1 and 35", args.snapshot_retention_days)
    if args.auth_token_update_strategy not in ("ROTATE", "SET"):
        raise invalid(args, "auth_token_update_strategy", "be ROTATE or SET", args.auth_token_update_strategy)


class Cache(pulumi.ComponentResource):
    """The replication group, its AUTH token and its logs."""

    replication_group: aws.elasticache.ReplicationGroup
    """The replication group."""
    node_ids: list[pulumi.Output[str]]
    """Every node's id (CacheClusterId, the dimension of its metrics)."""
    auth_secret: aws.secretsmanager.Secret
    """The secret holding the AUTH token."""
    auth_secret_version: aws.secretsmanager.SecretVersion
    """The secret's value: its ``version_id`` changes with every new token."""
    endpoint: pulumi.Output[str]
    """The primary (or configuration) endpoint's address."""
    reader_endpoint: pulumi.Output[str]
    """The reader endpoint's address."""
    port: int
    """The port clients connect to (TLS)."""

    def __init__(self, name: str, args: CacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_cache_args(args)
        super().__init__(CACHE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.port = CACHE_PORT
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            description=f"{args.name_prefix}: the cache's data subnets",
            subnet_ids=args.subnet_ids,
            opts=child,
        )
        parameters = [aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value=args.maxmemory_policy)]
        if args.cluster_mode:
            parameters.append(aws.elasticache.ParameterGroupParameterArgs(name="cluster-enabled", value="yes"))
        parameter_group = aws.elasticache.ParameterGroup(
            f"{name}-params",
            family=args.family,
            description=f"{args.name_prefix}: cache parameters",
            parameters=parameters,
            opts=child,
        )

        # A new generation replaces the password (keepers are replace-on-change in pulumi-random). The first one has
        # no keeper, so that the token of a stack deployed before generations existed stays what it is.
        generation = args.auth_token_generation
        token = random.RandomPassword(
            f"{name}-auth-token",
            length=TOKEN_LENGTH,
            special=False,
            keepers={"generation": str(generation)} if generation > 1 else None,
            opts=child,
        )
        self.auth_secret = aws.secretsmanager.Secret(
            f"{name}-auth",
            name_prefix=f"{args.name_prefix}/cache-auth-",
            description=f"{args.name_prefix}: the cache's AUTH token",
            kms_key_id=args.secrets_key_arn,
            recovery_window_in_days=30,
            opts=child,
        )
        self.auth_secret_version = aws.secretsmanager.SecretVersion(
            f"{name}-auth-value", secret_id=self.auth_secret.id, secret_string=token.result, opts=child
        )

        logs = {
            log_type: aws.cloudwatch.LogGroup(
                f"{name}-{log_type}",
                name=f"/{args.name_prefix}/elasticache/{log_type}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=child,
            )
            for log_type in ("slow-log", "engine-log")
        }
        failover = args.replicas >= 1
        topology = (
            {
                "cluster_mode": "enabled",
                "num_node_groups": args.shards,
                "replicas_per_node_group": args.replicas,
            }
            if args.cluster_mode
            else {"cluster_mode": "disabled", "num_cache_clusters": args.replicas + 1}
        )
        # ElastiCache names each node after the group: <group>-<node> (-<shard>-<node> in cluster mode).
        nodes = (
            [f"{shard:04d}-{node:03d}" for shard in range(1, args.shards + 1) for node in range(1, args.replicas + 2)]
            if args.cluster_mode
            else [f"{node:03d}" for node in range(1, args.replicas + 2)]
        )
        self.replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-group",
            description=f"{args.name_prefix}: cache",
            engine=args.engine,
            engine_version=args.effective_version,
            node_type=args.node_type,
            port=self.port,
            parameter_group_name=parameter_group.name,
            subnet_group_name=subnet_group.name,
            security_group_ids=[args.security_group_id],
            auth_token=token.result,
            # ElastiCache API reference, ModifyReplicationGroup: ROTATE adds the new token and keeps the old one
            # valid; SET (allowed only after ROTATE) leaves the new one alone.
            auth_token_update_strategy=args.auth_token_update_strategy,
            transit_encryption_enabled=True,
            transit_encryption_mode="required",
            at_rest_encryption_enabled=True,
            kms_key_id=args.data_key_arn,
            automatic_failover_enabled=failover,
            multi_az_enabled=args.multi_az and failover,
            snapshot_retention_limit=args.snapshot_retention_days,
            snapshot_window=args.snapshot_window,
            maintenance_window=args.maintenance_window,
            final_snapshot_identifier=f"{args.name_prefix}-cache-final",
            auto_minor_version_upgrade=True,
            apply_immediately=False,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=group.name, destination_type="cloudwatch-logs", log_format="json", log_type=log_type
                )
                for log_type, group in logs.items()
            ],
            **topology,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        group = self.replication_group
        self.node_ids = [group.id.apply(lambda group_id, node=node: f"{group_id}-{node}") for node in nodes]
        if args.cluster_mode:
            self.endpoint = group.configuration_endpoint_address
            self.reader_endpoint = group.configuration_endpoint_address
        else:
            self.endpoint = group.primary_endpoint_address
            self.reader_endpoint = group.reader_endpoint_address
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "readerEndpoint": self.reader_endpoint,
                "port": self.port,
                "authSecretArn": self.auth_secret.arn,
            }
        )
