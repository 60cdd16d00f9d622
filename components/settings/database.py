"""``webstack:database``: the relational database: engine and version, instance classes, storage, shards and their
table routing, replicas, backup and maintenance windows, the master user (never a default name), monitoring and the
exported logs' retention."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import DailyWindow, RetentionDays, WeeklyWindow, _got, _Model, _problem, windows_overlap

#: Major versions webstack supports per engine; the first is the default.
ENGINE_VERSIONS = {"postgres": ("16", "17", "15", "14"), "mysql": ("8.0", "8.4")}


#: Usernames every scanner tries first.
DEFAULT_USERNAMES = ("admin", "administrator", "root", "postgres", "mysql", "sa", "master", "user", "rdsadmin")


class DatabaseSettings(_Model):
    """``webstack:database``: the relational database: K shards, each a primary with N read replicas."""

    engine: Literal["postgres", "mysql"] = Field(
        default="postgres", description="Database engine: `postgres` (PostgreSQL) or `mysql` (MySQL)."
    )
    version: str = Field(
        default="",
        description="Major engine version: postgres 14-17, mysql 8.0 or 8.4. Empty: postgres 16, mysql 8.0. Minor "
        "versions are upgraded automatically.",
    )
    port: Annotated[int, Field(ge=1150, le=65535)] | None = Field(
        default=None,
        description="Port the database listens on (1150-65535). Unset: the engine's default (5432 or 3306).",
    )
    instance_class: str = Field(
        default="db.m7g.large",
        description="Instance class of the primaries, e.g. db.m7g.large. Micro and small classes lack Performance "
        "Insights and are refused.",
    )
    replica_instance_class: str = Field(
        default="", description="Instance class of the replicas. Empty: as the primary."
    )
    allocated_storage_gb: Annotated[int, Field(ge=20, le=65536)] = Field(
        default=100, description="Initial gp3 storage in GB (the guides: 100 GB SSD)."
    )
    max_allocated_storage_gb: Annotated[int, Field(ge=21, le=65536)] = Field(
        default=500, description="Storage autoscaling ceiling in GB; more than the initial storage."
    )
    multi_az: bool = Field(
        default=True, description="A standby in another zone for each primary (failover in ~1-2 min)."
    )
    replicas: Annotated[int, Field(ge=0, le=5)] = Field(
        default=1, description="Read replicas per primary (0-5), spread over the zones."
    )
    shards: Annotated[int, Field(ge=1, le=16)] = Field(
        default=1, description="Independent databases (1: unsharded). Each is a primary with its replicas."
    )
    tables: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default={},
        description="Table routing for a sharded database: table name -> shard index (the guides: users on 0, "
        "transactions on 1, content on 2). Other tables go to shard 0; keys route through the hash ring.",
    )
    virtual_nodes: Annotated[int, Field(ge=1, le=4096)] = Field(
        default=128, description="Points per shard on the consistent-hash ring (more: a more even spread)."
    )
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] = Field(
        default=30, description="Days of automated backups and point-in-time restore (1-35; the guides: 30)."
    )
    backup_window: DailyWindow = Field(
        default="02:00-03:00", description="Daily backup window, UTC (the guides: 2 AM)."
    )
    maintenance_window: WeeklyWindow = Field(
        default="sun:04:00-sun:05:00", description="Weekly maintenance window, UTC; must not overlap the backups."
    )
    deletion_protection: bool = Field(
        default=True, description="Refuse deletion of the primaries (the policy pack requires it in prod)."
    )
    master_username: str = Field(
        default="webstack_admin",
        description="Master user name; never a default one (admin, root, postgres, ...). Its password is "
        "generated and rotated by RDS in Secrets Manager.",
    )
    database_name: str = Field(default="app", description="Name of the database created on each primary.")
    performance_insights_retention_days: int = Field(
        default=7, description="Days Performance Insights keeps data: 7 (free), a multiple of 31 up to 713, or 731."
    )
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = Field(
        default=60, description="Seconds between Enhanced Monitoring samples."
    )
    # -- exported logs ------------------------------------------------------------------------------------------------
    log_retention_days: RetentionDays = Field(
        default=365,
        description="Days CloudWatch keeps the logs every instance exports (PostgreSQL's log with pgaudit, or MySQL's "
        "audit, error and slow-query logs): audit logs, kept a year by default.",
    )

    @property
    def effective_port(self) -> int:
        """The port clients connect to."""
        if self.port is not None:
            return self.port
        return 5432 if self.engine == "postgres" else 3306

    @property
    def effective_version(self) -> str:
        return self.version or ENGINE_VERSIONS[self.engine][0]

    @property
    def family(self) -> str:
        """The parameter-group family, e.g. postgres16 or mysql8.0."""
        return f"{self.engine}{self.effective_version}"

    @field_validator("instance_class", "replica_instance_class")
    @classmethod
    def _instance_class(cls, value: str) -> str:
        if value and not re.fullmatch(r"db\.[a-z0-9-]+\.[a-z0-9]+", value):
            raise _problem(f"must be an RDS instance class like db.m7g.large, got {_got(value)}")
        if value.endswith((".micro", ".small")) or value.startswith("db.t2."):
            raise _problem(
                f"must be medium or larger and not db.t2: smaller classes lack Performance Insights, got {value}"
            )
        return value

    @field_validator("master_username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,15}", value):
            raise _problem(f"must be 1-16 lowercase letters, digits or _, starting with a letter, got {_got(value)}")
        if value in DEFAULT_USERNAMES:
            raise _problem(f"must not be a default user name ({', '.join(DEFAULT_USERNAMES)}), got {_got(value)}")
        return value

    @field_validator("database_name")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", value):
            raise _problem(f"must be lowercase letters, digits or _, starting with a letter, got {_got(value)}")
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in (7, 731) and not (value % 31 == 0 and 1 <= value // 31 <= 23):
            raise _problem(f"must be 7, 731 or a multiple of 31 up to 713, got {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DatabaseSettings:
        if self.version and self.version not in ENGINE_VERSIONS[self.engine]:
            raise _problem(
                f"must be one of {', '.join(sorted(ENGINE_VERSIONS[self.engine]))} for {self.engine}, got "
                f"{_got(self.version)}",
                "version",
            )
        if self.max_allocated_storage_gb <= self.allocated_storage_gb:
            raise _problem(
                f"must be more than allocatedStorageGb ({self.allocated_storage_gb}) for storage to grow, got "
                f"{self.max_allocated_storage_gb}",
                "maxAllocatedStorageGb",
            )
        if windows_overlap(self.backup_window, self.maintenance_window):
            raise _problem(
                f"must not overlap backupWindow ({self.backup_window}), as RDS requires, got {self.maintenance_window}",
                "maintenanceWindow",
            )
        for table, shard in self.tables.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]{0,63}", table):
                raise _problem(f"must name tables (letters, digits, _ and $), got {table!r}", "tables")
            if shard >= self.shards:
                raise _problem(
                    f"must route {table} to a shard below {self.shards} (webstack:database.shards), got {shard}",
                    "tables",
                )
        if self.engine == "mysql" and len(self.master_username) > 16:
            raise _problem("must be at most 16 characters for MySQL", "masterUsername")
        return self
