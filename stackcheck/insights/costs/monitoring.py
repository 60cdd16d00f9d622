"""Monitoring and logs: CloudWatch alarms, composite alarms, dashboards and log groups (ingestion and storage),
Synthetics canary runs, Managed Prometheus and Managed Grafana."""

from __future__ import annotations

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, num, read
from stackcheck.insights.costs.model import CostLine
from stackcheck.insights.costs.schedules import runs_per_month
from stackcheck.insights.costs.usage import (
    AMP_BYTES_PER_SAMPLE,
    AMP_RETENTION_DAYS,
    AMP_SAMPLES_PER_HOUR,
    DAYS_PER_MONTH,
    GRAFANA_EDITORS,
    GRAFANA_VIEWERS,
    HOURS_PER_MONTH,
    LOG_GB_PER_GROUP,
    LOG_UNLIMITED_MONTHS,
)


def alarms(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    standard = high = 0
    for r in members:
        queries = read(r, "metricQueries") or []
        if queries:
            metrics = [q.get("metric") or {} for q in queries if q.get("metric")]
            periods = [num(m.get("period")) or 60.0 for m in metrics]
            count = len(metrics) or 1
        else:
            periods = [num(read(r, "period")) or 60.0]
            count = 1
        if read(r, "thresholdMetricId"):
            count *= 3  # an anomaly detection alarm is billed as three metrics
        if min(periods, default=60.0) < 60:
            high += count
        else:
            standard += count
    lines = []
    alarms = f"{len(members)} alarms: each metric an alarm reads is billed"
    if standard:
        lines.append(
            est.line(
                members[0],
                f"CloudWatch alarm metrics, standard resolution ({alarms})",
                standard,
                "cloudwatch.alarm.standard",
            )
        )
    if high:
        lines.append(
            est.line(
                members[0],
                f"CloudWatch alarm metrics, high resolution ({alarms})",
                high,
                "cloudwatch.alarm.high_resolution",
            )
        )
    return lines


def composite_alarms(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    return [
        est.line(
            members[0], f"CloudWatch composite alarms ({len(members)})", len(members), "cloudwatch.alarm.composite"
        )
    ]


def dashboards(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    return [
        est.line(
            members[0],
            f"CloudWatch dashboards ({len(members)})",
            len(members),
            "cloudwatch.dashboard",
            "the account's 3 free dashboards are not applied",
        )
    ]


def log_groups(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    gb = est.assume("LOG_GB_PER_GROUP", LOG_GB_PER_GROUP, "GB ingested a month per log group")
    for r in members:
        name = str(read(r, "name") or r.name)
        infrequent = str(read(r, "logGroupClass") or "STANDARD") == "INFREQUENT_ACCESS"
        days = num(read(r, "retentionInDays")) or 0.0
        months = days / DAYS_PER_MONTH if days else LOG_UNLIMITED_MONTHS
        kept = f"kept {days:g} days" if days else est.forever()
        lines += [
            est.line(
                r,
                f"CloudWatch Logs ingestion, {name}",
                LOG_GB_PER_GROUP,
                "cloudwatch.logs.ingest_ia_gb" if infrequent else "cloudwatch.logs.ingest_gb",
                gb,
                unit="GB",
            ),
            est.line(
                r,
                f"CloudWatch Logs storage, {name}",
                LOG_GB_PER_GROUP * months,
                "cloudwatch.logs.store_gb_month",
                f"{gb}; {kept}; stored uncompressed (an upper bound)",
                unit="GB-month",
            ),
        ]
    return lines


def canaries(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        expression = str((read(r, "schedule") or {}).get("expression") or "")
        runs = runs_per_month(expression)
        if runs is None:
            runs = DAYS_PER_MONTH * 24 * 12
            est.note(f"{r.name}: schedule {expression!r} not understood: every 5 minutes assumed")
        lines.append(
            est.line(
                r,
                f"CloudWatch Synthetics canary runs, {read(r, 'name') or r.name}",
                runs,
                "synthetics.canary_run",
                f"{expression}, all month; the canary's Lambda and S3 use are negligible",
            )
        )
    return lines


def prometheus(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    samples = AMP_SAMPLES_PER_HOUR * HOURS_PER_MONTH
    ingest = est.assume("AMP_SAMPLES_PER_HOUR", AMP_SAMPLES_PER_HOUR, "samples ingested an hour per workspace")
    stored = samples * AMP_BYTES_PER_SAMPLE * (AMP_RETENTION_DAYS / DAYS_PER_MONTH) / 1e9
    size = (
        f"{est.assume('AMP_BYTES_PER_SAMPLE', AMP_BYTES_PER_SAMPLE, 'bytes per stored sample')}, "
        f"{est.assume('AMP_RETENTION_DAYS', AMP_RETENTION_DAYS, 'days kept (the service default)')}"
    )
    for r in members:
        lines += [
            est.line(r, "Managed Prometheus samples ingested", samples / 1e7, "amp.ingest.per_10m_samples", ingest),
            est.line(
                r,
                "Managed Prometheus metrics storage",
                stored,
                "amp.storage.gb_month",
                f"{ingest}; {size}",
                unit="GB-month",
            ),
        ]
    return lines


def grafana(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    editors = est.assume("GRAFANA_EDITORS", GRAFANA_EDITORS, "active editors a month")
    viewers = est.assume("GRAFANA_VIEWERS", GRAFANA_VIEWERS, "active viewers a month")
    for r in members:
        lines += [
            est.line(r, "Managed Grafana editors", GRAFANA_EDITORS, "grafana.editor.month", editors),
            est.line(r, "Managed Grafana viewers", GRAFANA_VIEWERS, "grafana.viewer.month", viewers),
        ]
    return lines
