"""Databases: RDS instances (instance hours, storage, automated backups beyond the free allowance, Performance
Insights, the managed master password's secret) and automated backups replicated to the DR region."""

from __future__ import annotations

from typing import Any

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, num, read
from stackcheck.insights.costs.model import CostLine, figure
from stackcheck.insights.costs.usage import BACKUP_DAILY_CHANGE, DAYS_PER_MONTH, HOURS, HOURS_PER_MONTH


def rds_instances(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        allocated, source = source_storage(est, r)
        replica = source is not r or bool(read(r, "replicateSourceDb"))
        engine = str(read(r, "engine") or read(source, "engine") or "postgres")
        engine = "postgres" if engine.startswith("postgres") else "mysql" if engine in ("mysql", "mariadb") else engine
        if engine not in ("postgres", "mysql"):
            est.note(f"{r.name}: the {engine} engine is not in the price table: counted as 0")
        instance_class = str(read(r, "instanceClass") or "")
        multi_az = bool(read(r, "multiAz"))
        deployment = "Multi-AZ" if multi_az else "Single-AZ"
        role = " read replica" if replica else ""
        factor = 2.0 if multi_az else 1.0
        doubling = "Multi-AZ: twice the Single-AZ price (one standby); " if multi_az else ""
        lines.append(
            est.line(
                r,
                f"RDS {engine} {instance_class}, {deployment}{role}",
                HOURS_PER_MONTH,
                f"rds.{engine}.{instance_class}.hour",
                f"{doubling}{HOURS}",
                factor=factor,
                unit="instance-hour",
            )
        )
        storage_type = str(read(r, "storageType") or read(source, "storageType") or "gp2")
        if num(read(r, "iops")) or num(read(r, "storageThroughput")):
            est.note(f"{r.name}: provisioned IOPS or throughput above the gp3 baseline is not priced")
        size = f"allocatedStorage = {figure(allocated)} GB" + (" (its source's)" if source is not r else "")
        lines.append(
            est.line(
                r,
                f"RDS {storage_type} storage, {deployment}{role}",
                allocated,
                f"rds.{storage_type}.gb_month",
                f"{doubling}{size}; storage autoscaling not estimated",
                factor=factor,
                unit="GB-month",
            )
        )
        retention = num(read(r, "backupRetentionPeriod")) or 0.0
        if not replica and retention > 0:
            change = est.assume(
                "BACKUP_DAILY_CHANGE", BACKUP_DAILY_CHANGE, "of the data changes a day (incremental backups)"
            )
            lines.append(
                est.line(
                    r,
                    "RDS automated backups beyond the free allowance",
                    allocated * BACKUP_DAILY_CHANGE * retention,
                    "rds.backup.gb_month",
                    f"backups = allocated x (1 + {BACKUP_DAILY_CHANGE:g} x {retention:g} days); the first 100% of "
                    f"allocated storage is free; {change}",
                    unit="GB-month",
                )
            )
        if read(r, "performanceInsightsEnabled"):
            days = num(read(r, "performanceInsightsRetentionPeriod")) or 7.0
            if days > 7:
                est.note(f"{r.name}: Performance Insights kept {days:g} days is billed and not estimated")
            lines.append(
                est.line(
                    r,
                    "Performance Insights, 7 days of history",
                    1,
                    "rds.performance_insights.free_tier",
                    "free tier: 7 days of history" + ("" if days <= 7 else f" (kept {days:g}: not estimated)"),
                    unit="instance-month",
                )
            )
        if read(r, "manageMasterUserPassword"):
            lines.append(
                est.line(
                    r,
                    "Secrets Manager secret of the RDS-managed master password",
                    1,
                    "secretsmanager.secret.month",
                    "manageMasterUserPassword: RDS keeps the password in Secrets Manager",
                )
            )
    return lines


def rds_replication(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        source = est.find(r, "sourceDbInstanceArn", "aws:rds/instance:Instance") or rds_by_reference(
            est, read(r, "sourceDbInstanceArn")
        )
        if source is None:
            est.note(f"{r.name}: the replicated database is not among the resources: not priced")
            continue
        allocated, _ = source_storage(est, source)
        retention = num(read(r, "retentionPeriod")) or 7.0
        change = est.assume(
            "BACKUP_DAILY_CHANGE", BACKUP_DAILY_CHANGE, "of the data changes a day (incremental backups)"
        )
        lines += [
            est.line(
                r,
                "RDS automated backups replicated to the DR region",
                allocated * (1 + BACKUP_DAILY_CHANGE * retention),
                "rds.backup.gb_month",
                f"allocated x (1 + {BACKUP_DAILY_CHANGE:g} x {retention:g} days); no free allowance in the "
                f"destination region; {change}",
                unit="GB-month",
            ),
            est.line(
                r,
                "cross-region transfer of replicated RDS backups",
                allocated * BACKUP_DAILY_CHANGE * DAYS_PER_MONTH,
                "transfer.inter_region.gb",
                f"a month of changed data; the first full copy is not counted; {change}",
                region=est.region_of(source),
                unit="GB",
            ),
        ]
    return lines


def rds_by_reference(est: Estimator, reference: Any) -> RecordedResource | None:
    """The RDS instance an identifier or ARN names."""
    text = str(reference or "")
    if not text:
        return None
    for r in est.resources:
        if r.type != "aws:rds/instance:Instance":
            continue
        names = {str(read(r, "identifier") or ""), r.id}
        arn = str(r.outputs.get("arn") or "")
        if text in names or (arn and text == arn) or any(n and text.endswith(f":db:{n}") for n in names):
            return r
    return None


def source_storage(est: Estimator, instance: RecordedResource) -> tuple[float, RecordedResource]:
    """Allocated GB of an RDS instance (a read replica's is its source's), and the instance that says so."""
    allocated = num(read(instance, "allocatedStorage"))
    if allocated is not None:
        return allocated, instance
    source = est.find(instance, "replicateSourceDb", instance.type) or rds_by_reference(
        est, read(instance, "replicateSourceDb")
    )
    if source is not None and source is not instance:
        return source_storage(est, source)
    return 0.0, instance
