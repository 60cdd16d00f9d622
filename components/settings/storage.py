"""``webstack:storage`` and ``webstack:backups``: the documents bucket's version history and the access-log archive;
the AWS Backup plan (daily and weekly retention, continuous backups, copies and replication to the DR region, restore
tests, vault lock), the exports bucket's archive class and object lock, and the service opt-in of the region."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import _Model, _problem


class StorageSettings(_Model):
    """``webstack:storage``: the documents bucket (the guides' MinIO "documents" bucket) and the access-log archive."""

    noncurrent_version_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=30, description="Days an overwritten or deleted object version stays recoverable."
    )
    access_log_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=365, description="Days S3 server access logs are kept."
    )


class VaultLockSettings(_Model):
    """``webstack:backups.vaultLock``: make recovery points immutable (WORM)."""

    enabled: bool = Field(default=False, description="Lock the backup vaults.")
    min_retention_days: Annotated[int, Field(ge=1, le=36500)] = Field(
        default=7, description="Shortest retention a recovery point may have."
    )
    max_retention_days: Annotated[int, Field(ge=1, le=36500)] = Field(
        default=365, description="Longest retention a recovery point may have."
    )
    changeable_for_days: Annotated[int, Field(ge=3, le=36500)] | None = Field(
        default=None,
        description="Days the lock can still be removed (at least 3); after that nobody, root included, can. Unset: "
        "governance mode, removable by anyone with the permission.",
    )


class ObjectLockSettings(_Model):
    """``webstack:backups.objectLock``: write-once exports in the backups bucket."""

    mode: Literal["off", "GOVERNANCE", "COMPLIANCE"] = Field(
        default="off",
        description="Object lock of the backups bucket: off, GOVERNANCE (removable with a permission) or "
        "COMPLIANCE (nobody can delete a locked version before its time). Only at bucket creation.",
    )
    days: Annotated[int, Field(ge=1, le=36500)] = Field(default=30, description="Days each export is locked.")


#: The AWS Backup resource types webstack's backup plan protects (RDS instances, the documents bucket).
BACKED_UP_RESOURCE_TYPES = ("RDS", "S3")


class BackupSettings(_Model):
    """``webstack:backups``: AWS Backup plan, cross-region copies, restore tests, the exports bucket."""

    daily_retention_days: Annotated[int, Field(ge=7, le=3650)] = Field(
        default=30, description="Days daily backups (02:00 UTC) are kept, here and in the DR region (the guides: 30)."
    )
    weekly_retention_days: Annotated[int, Field(ge=14, le=3650)] = Field(
        default=90, description="Days Sunday backups are kept, here and in the DR region."
    )
    continuous: bool = Field(
        default=True,
        description="Continuous backups for point-in-time restore (RDS, S3) in the daily rule; at most 35 days.",
    )
    copy_to_dr_region: bool = Field(default=True, description="Copy every recovery point to the DR region's vault.")
    replicate_database_backups: bool = Field(
        default=True,
        description="Replicate each primary's automated backups (point-in-time restore) to the DR region.",
    )
    restore_testing: bool = Field(
        default=True, description="Restore the latest database recovery point monthly, to prove backups restore."
    )
    vault_lock: VaultLockSettings = Field(default=VaultLockSettings(), description="Vault lock.")
    export_archive_after_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        default=0,
        description="Days before weekly exports move to Glacier Instant Retrieval (0: at once; it bills at least "
        "90 days, so a later move costs more, not less, for exports kept 90 days).",
    )
    object_lock: ObjectLockSettings = Field(default=ObjectLockSettings(), description="Object lock of exports.")
    # -- AWS Backup service opt-in (account-wide per region) -----------------------------------------------------------
    manage_region_settings: bool = Field(
        default=True,
        description="Manage AWS Backup's service opt-in of the stack's region (account-wide: every stack of the "
        "account and region shares it). False: leave it to whoever manages it (an organization's backup policies), "
        "who must opt in S3 and RDS.",
    )
    service_opt_in: dict[str, bool] = Field(
        default={},
        description="Opt-in per AWS Backup resource type, over webstack's map (every type AWS Backup lists, on, as AWS "
        "opts an account in on first use): add the types the region reports that the map lacks, or turn off those "
        "no stack of the account uses. S3 and RDS stay on.",
    )

    @field_validator("service_opt_in")
    @classmethod
    def _service_opt_in(cls, value: dict[str, bool]) -> dict[str, bool]:
        for resource_type, opted_in in value.items():
            if resource_type in BACKED_UP_RESOURCE_TYPES and not opted_in:
                raise _problem(
                    f"must be true: the backup plan protects the stack's {resource_type} resources, got false",
                    resource_type,
                )
            if not 1 <= len(resource_type) <= 50:
                raise _problem(f"keys must be AWS Backup resource types (1-50 characters), got {resource_type!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BackupSettings:
        daily = self.daily_retention_days
        if self.continuous and daily > 35:
            raise _problem(
                f"must be at most 35 with continuous backups, which keep at most 35 days, got {daily}",
                "dailyRetentionDays",
            )
        if self.weekly_retention_days <= daily:
            raise _problem(
                f"must be longer than dailyRetentionDays ({daily}), got {self.weekly_retention_days}",
                "weeklyRetentionDays",
            )
        if self.export_archive_after_days >= self.weekly_retention_days:
            raise _problem(
                f"must be less than weeklyRetentionDays ({self.weekly_retention_days}): S3 expires an object only "
                f"after it moves it, got {self.export_archive_after_days}",
                "exportArchiveAfterDays",
            )
        lock = self.vault_lock
        if lock.enabled and lock.min_retention_days > self.daily_retention_days:
            raise _problem(
                f"must be at most dailyRetentionDays ({self.daily_retention_days}), or the daily backups are refused, "
                f"got {lock.min_retention_days}",
                "vaultLock.minRetentionDays",
            )
        if lock.enabled and lock.max_retention_days < self.weekly_retention_days:
            raise _problem(
                f"must be at least weeklyRetentionDays ({self.weekly_retention_days}), or the weekly backups are "
                f"refused, got {lock.max_retention_days}",
                "vaultLock.maxRetentionDays",
            )
        return self
