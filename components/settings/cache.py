"""``webstack:cache``: Redis or Valkey: version, node type, replicas and failover, cluster mode, eviction, snapshots,
maintenance window, logs, and the AUTH token's rotation."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import DailyWindow, RetentionDays, WeeklyWindow, _got, _Model, _problem, windows_overlap

CACHE_VERSIONS = {"redis": ("7.1", "7.0"), "valkey": ("8.0", "7.2")}
MAXMEMORY_POLICIES = ("allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "allkeys-random",
                      "volatile-random", "volatile-ttl", "noeviction")  # fmt: skip


class CacheSettings(_Model):
    """``webstack:cache``: Redis or Valkey, encrypted, authenticated, with failover."""

    engine: Literal["redis", "valkey"] = Field(
        default="redis", description="`redis` (the guides: Redis 7) or `valkey`."
    )
    version: str = Field(
        default="", description="Engine version: redis 7.0 or 7.1, valkey 7.2 or 8.0. Empty: the newest."
    )
    node_type: str = Field(default="cache.r7g.large", description="Node type, e.g. cache.r7g.large or cache.t4g.small.")
    replicas: Annotated[int, Field(ge=0, le=5)] = Field(
        default=1, description="Replicas per shard (0-5). Failover needs at least 1."
    )
    multi_az: bool = Field(default=True, description="Fail over automatically to a replica in another zone.")
    cluster_mode: bool = Field(
        default=False, description="Shard the keyspace (Redis Cluster); clients must support it."
    )
    shards: Annotated[int, Field(ge=1, le=500)] = Field(
        default=1, description="Node groups in cluster mode (1 otherwise)."
    )
    maxmemory_policy: str = Field(default="allkeys-lru", description="What to evict when memory is full.")
    snapshot_retention_days: Annotated[int, Field(ge=1, le=35)] = Field(
        default=7, description="Days daily snapshots are kept (1-35)."
    )
    snapshot_window: DailyWindow = Field(default="03:00-04:00", description="Daily snapshot window, UTC.")
    maintenance_window: WeeklyWindow = Field(
        default="sun:05:00-sun:06:00", description="Weekly maintenance window, UTC; must not overlap the snapshots."
    )
    log_retention_days: RetentionDays = Field(default=30, description="Days CloudWatch keeps the slow and engine logs.")
    # -- AUTH token rotation ---------------------------------------------------------------------------------------
    auth_token_generation: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=1,
        description="Raise it by one to rotate the AUTH token: a new token is generated, the cache accepts it next to "
        "the current one (authTokenUpdateStrategy ROTATE), the secret holds it and the backend's tasks are replaced "
        "with tasks that use it. Then set authTokenUpdateStrategy to SET to retire the old token "
        '(docs/operations.md, "Rotating the cache\'s AUTH token").',
    )
    auth_token_update_strategy: Literal["ROTATE", "SET"] = Field(
        default="ROTATE",
        description="How a changed AUTH token reaches the cache: ROTATE (the new token joins the current one) or SET "
        "(only after ROTATE: the current token becomes the only one).",
    )

    @property
    def effective_version(self) -> str:
        return self.version or CACHE_VERSIONS[self.engine][0]

    @property
    def family(self) -> str:
        """The parameter-group family, e.g. redis7 or valkey8."""
        return f"{self.engine}{self.effective_version.split('.')[0]}"

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, value: str) -> str:
        if not re.fullmatch(r"cache\.[a-z0-9-]+\.[a-z0-9]+", value):
            raise _problem(f"must be an ElastiCache node type like cache.r7g.large, got {_got(value)}")
        if value.startswith(("cache.t2.", "cache.m3.", "cache.r3.", "cache.t1.", "cache.m1.")):
            raise _problem(f"must be a current generation: older ones lack encryption and failover, got {value}")
        return value

    @field_validator("maxmemory_policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        if value not in MAXMEMORY_POLICIES:
            raise _problem(f"must be one of {', '.join(MAXMEMORY_POLICIES)}, got {_got(value)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CacheSettings:
        if self.version and self.version not in CACHE_VERSIONS[self.engine]:
            raise _problem(
                f"must be one of {', '.join(CACHE_VERSIONS[self.engine])} for {self.engine}, got {_got(self.version)}",
                "version",
            )
        if self.multi_az and self.replicas < 1:
            raise _problem(
                "must be false without replicas: failover needs a replica to fail over to, got true", "multiAz"
            )
        if self.cluster_mode and self.replicas < 1:
            raise _problem("must be at least 1 in cluster mode, where failover is mandatory, got 0", "replicas")
        if not self.cluster_mode and self.shards != 1:
            raise _problem(f"must be 1 unless clusterMode is on, got {self.shards}", "shards")
        if windows_overlap(self.snapshot_window, self.maintenance_window):
            raise _problem(
                f"must not overlap snapshotWindow ({self.snapshot_window}), as ElastiCache requires, got "
                f"{self.maintenance_window}",
                "maintenanceWindow",
            )
        return self
