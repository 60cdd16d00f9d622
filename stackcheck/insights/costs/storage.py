"""Storage: S3 buckets (storage by the bucket's role and lifecycle, the documents' requests) and cross-region
replication."""

from __future__ import annotations

from typing import Any

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, num, read
from stackcheck.insights.costs.model import CostLine, figure
from stackcheck.insights.costs.usage import (
    DAYS_PER_MONTH,
    LOG_UNLIMITED_MONTHS,
    S3_DOCUMENTS_GB,
    S3_EXPORTS_GB,
    S3_GET_REQUESTS,
    S3_LOG_GB_PER_MONTH,
    S3_MONTHLY_WRITE_SHARE,
    S3_OTHER_GB,
    S3_PUT_REQUESTS,
)


def buckets(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        gb, storage_class, why = bucket_gb(est, r)
        key = "s3.standard_ia.gb_month" if storage_class == "STANDARD_IA" else "s3.standard.gb_month"
        if storage_class not in ("STANDARD", "STANDARD_IA"):
            est.note(f"{r.name}: {storage_class} storage is priced as S3 Standard")
        label = "Standard-IA" if storage_class == "STANDARD_IA" else "Standard"
        lines.append(est.line(r, f"S3 {label} storage, {r.name}", gb, key, why, unit="GB-month"))
        if str((read(r, "tags") or {}).get("webstack:role", "")) == "documents":
            gets = est.assume("S3_GET_REQUESTS", S3_GET_REQUESTS, "GET requests a month to the documents")
            puts = est.assume("S3_PUT_REQUESTS", S3_PUT_REQUESTS, "PUT requests a month to the documents")
            lines += [
                est.line(r, f"S3 GET requests, {r.name}", S3_GET_REQUESTS / 1000, "s3.get.per_1000", gets),
                est.line(r, f"S3 PUT requests, {r.name}", S3_PUT_REQUESTS / 1000, "s3.put.per_1000", puts),
            ]
    return lines


def bucket_replication(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        source = est.find(r, "bucket", "aws:s3/bucket:Bucket") or bucket_by_reference(est, read(r, "bucket"))
        if source is None:
            continue
        gb, _, _ = bucket_gb(est, source)
        for rule in read(r, "rules") or []:
            destination = bucket_by_reference(est, (rule.get("destination") or {}).get("bucket"))
            if destination is None or est.region_of(destination) == est.region_of(source):
                continue
            share = est.assume(
                "S3_MONTHLY_WRITE_SHARE", S3_MONTHLY_WRITE_SHARE, "of a replicated bucket is written each month"
            )
            lines.append(
                est.line(
                    r,
                    f"S3 replication to {est.region_of(destination)}, {source.name}",
                    gb * S3_MONTHLY_WRITE_SHARE,
                    "transfer.inter_region.gb",
                    f"{figure(gb)} GB x {S3_MONTHLY_WRITE_SHARE:g}; {share}",
                    region=est.region_of(source),
                    unit="GB",
                )
            )
    return lines


def bucket_by_reference(est: Estimator, reference: Any) -> RecordedResource | None:
    """The S3 bucket a name or ARN names."""
    text = str(reference or "")
    name = text.rsplit(":::", 1)[-1]
    for r in est.resources:
        if r.type == "aws:s3/bucket:Bucket" and name and name in {str(read(r, "bucket") or ""), r.id}:
            return r
    return None


def bucket_gb(est: Estimator, bucket: RecordedResource) -> tuple[float, str, str]:
    """GB a bucket holds, its storage class and the assumption behind the size."""
    role = str((read(bucket, "tags") or {}).get("webstack:role", ""))
    if role == "documents":
        return S3_DOCUMENTS_GB, "STANDARD", est.assume("S3_DOCUMENTS_GB", S3_DOCUMENTS_GB, "GB of documents")
    if role == "backups":
        return (
            S3_EXPORTS_GB,
            "STANDARD",
            est.assume("S3_EXPORTS_GB", S3_EXPORTS_GB, "GB of logical dumps (all counted as S3 Standard)"),
        )
    if role == "log-sink":
        days = expiration_days(est, bucket)
        months = days / DAYS_PER_MONTH if days else LOG_UNLIMITED_MONTHS
        kept = f"kept {days:g} days" if days else est.forever()
        return (
            S3_LOG_GB_PER_MONTH * months,
            "STANDARD",
            (
                est.assume("S3_LOG_GB_PER_MONTH", S3_LOG_GB_PER_MONTH, "GB of access logs a month per log bucket")
                + f"; {kept}"
            ),
        )
    if role == "replica":
        for config in est.resources:
            if config.type != "aws:s3/bucketReplicationConfig:BucketReplicationConfig":
                continue
            for rule in read(config, "rules") or []:
                destination = rule.get("destination") or {}
                if bucket_by_reference(est, destination.get("bucket")) is bucket:
                    source = est.find(config, "bucket", bucket.type) or bucket_by_reference(est, read(config, "bucket"))
                    if source is not None:
                        gb, _, why = bucket_gb(est, source)
                        return gb, str(destination.get("storageClass") or "STANDARD"), f"a replica of {why}"
        return S3_OTHER_GB, "STANDARD", est.assume("S3_OTHER_GB", S3_OTHER_GB, "GB in any other bucket")
    return S3_OTHER_GB, "STANDARD", est.assume("S3_OTHER_GB", S3_OTHER_GB, "GB in any other bucket")


def expiration_days(est: Estimator, bucket: RecordedResource) -> float:
    """The longest expiration the bucket's lifecycle sets (0: objects never expire)."""
    days = 0.0
    for config in est.resources:
        if config.type != "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration":
            continue
        target = est.find(config, "bucket", bucket.type) or bucket_by_reference(est, read(config, "bucket"))
        if target is not bucket:
            continue
        for rule in read(config, "rules") or []:
            if rule.get("status", "Enabled") == "Enabled":
                days = max(days, num((rule.get("expiration") or {}).get("days")) or 0.0)
    return days
