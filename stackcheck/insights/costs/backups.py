"""Backups: AWS Backup's recovery points of the databases and buckets it selects, in each vault, their cross-region
copies, and the restore tests' instances."""

from __future__ import annotations

from collections import Counter

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, arn_region, num, read
from stackcheck.insights.costs.databases import rds_by_reference, source_storage
from stackcheck.insights.costs.model import CostLine, figure
from stackcheck.insights.costs.schedules import runs_per_month
from stackcheck.insights.costs.storage import bucket_by_reference, bucket_gb
from stackcheck.insights.costs.usage import BACKUP_DAILY_CHANGE, DAYS_PER_MONTH, HOURS_PER_MONTH, LOG_UNLIMITED_MONTHS


def backup_plans(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    plans = [r for r in est.resources if r.type == "aws:backup/plan:Plan"]
    for plan in members:
        sources: list[tuple[str, float, RecordedResource]] = []
        for selection in est.resources:
            if selection.type != "aws:backup/selection:Selection":
                continue
            owner = est.find(selection, "planId", plan.type)
            if owner is not plan and not (owner is None and len(plans) == 1):
                continue
            for arn in read(selection, "resources") or []:
                instance = rds_by_reference(est, arn)
                bucket = None if instance else bucket_by_reference(est, arn)
                if instance is not None:
                    sources.append(("rds", source_storage(est, instance)[0], instance))
                elif bucket is not None and str(arn).startswith("arn:aws:s3"):
                    sources.append(("s3", bucket_gb(est, bucket)[0], bucket))
                else:
                    est.note(f"backup selection {selection.name}: {arn} is not priced")
            if read(selection, "selectionTags") or read(selection, "conditions"):
                est.note(f"backup selection {selection.name}: resources selected by tag are not priced")
        if not sources:
            continue
        home = est.region_of(plan)
        kept: dict[str, float] = {}
        copies = 0
        continuous = False
        for rule in read(plan, "rules") or []:
            days = num((rule.get("lifecycle") or {}).get("deleteAfter")) or 0.0
            if not days:
                est.note(f"backup rule {rule.get('ruleName')}: kept forever; {est.forever()}")
                days = LOG_UNLIMITED_MONTHS * DAYS_PER_MONTH
            kept[home] = max(kept.get(home, 0.0), days)
            continuous = continuous or bool(rule.get("enableContinuousBackup"))
            for copy in rule.get("copyActions") or []:
                region = arn_region(copy.get("destinationVaultArn")) or home
                copy_days = num((copy.get("lifecycle") or {}).get("deleteAfter")) or days
                kept[region] = max(kept.get(region, 0.0), copy_days)
                copies += region != home
        change = est.assume(
            "BACKUP_DAILY_CHANGE", BACKUP_DAILY_CHANGE, "of the data changes a day (incremental backups)"
        )
        if continuous and any(kind == "rds" for kind, _, _ in sources):
            est.note(
                "AWS Backup's continuous backup of RDS (point-in-time restore) uses the instances' automated "
                "backups, priced with the database"
            )
        for kind, label in (("rds", "RDS snapshots"), ("s3", "S3 backups")):
            gb = sum(size for k, size, _ in sources if k == kind)
            if not gb:
                continue
            count = sum(1 for k, _, _ in sources if k == kind)
            for region, days in sorted(kept.items(), key=lambda item: (item[0] != home, item[0])):
                vault = "vault" if region == home else "DR vault"
                lines.append(
                    est.line(
                        plan,
                        f"AWS Backup {label} in the {vault}, {count} resource(s) kept {days:g} days",
                        gb * (1 + BACKUP_DAILY_CHANGE * days),
                        f"backup.{kind}.gb_month",
                        f"{figure(gb)} GB x (1 + {BACKUP_DAILY_CHANGE:g} x {days:g} days); {change}",
                        region=region,
                        unit="GB-month",
                    )
                )
            if copies:
                lines.append(
                    est.line(
                        plan,
                        f"AWS Backup cross-region copies of {label}, {copies} copy rule(s)",
                        copies * gb * BACKUP_DAILY_CHANGE * DAYS_PER_MONTH,
                        "transfer.inter_region.gb",
                        f"each copy rule carries a month of changed data; the first full copy is not counted; {change}",
                        region=home,
                        unit="GB",
                    )
                )
    return lines


def restore_tests(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        if str(read(r, "protectedResourceType") or "") != "RDS":
            est.note(f"{r.name}: restore tests of {read(r, 'protectedResourceType')} are not priced")
            continue
        plan = next(
            (
                p
                for p in est.resources
                if p.type == "aws:backup/restoreTestingPlan:RestoreTestingPlan"
                and read(p, "name") == read(r, "restoreTestingPlanName")
            ),
            None,
        )
        runs = runs_per_month(str(read(plan, "scheduleExpression") or "")) if plan is not None else None
        if runs is None:
            runs = 1.0
            est.note(f"{r.name}: restore test schedule unknown: once a month assumed")
        hours = num(read(r, "validationWindowHours")) or 24.0
        instances = [rds_by_reference(est, arn) for arn in read(r, "protectedResourceArns") or []]
        by_class: Counter[tuple[str, str]] = Counter()
        storage = 0.0
        for instance in instances:
            if instance is None:
                continue
            engine = str(read(instance, "engine") or "postgres")
            engine = "postgres" if engine.startswith("postgres") else engine
            by_class[(engine, str(read(instance, "instanceClass") or ""))] += 1
            storage += source_storage(est, instance)[0]
        why = (
            f"{figure(runs)} test(s) a month, each restored instance (Single-AZ) kept for the "
            f"{hours:g} h validation window; any per-test AWS Backup fee is not included"
        )
        for (engine, instance_class), count in sorted(by_class.items()):
            lines.append(
                est.line(
                    r,
                    f"restore tests: RDS {engine} {instance_class} ({count} database(s))",
                    count * runs * hours,
                    f"rds.{engine}.{instance_class}.hour",
                    why,
                    unit="instance-hour",
                )
            )
        if storage:
            lines.append(
                est.line(
                    r,
                    "restore tests: restored storage",
                    storage * runs * hours / HOURS_PER_MONTH,
                    "rds.gp3.gb_month",
                    why,
                    unit="GB-month",
                )
            )
    return lines
