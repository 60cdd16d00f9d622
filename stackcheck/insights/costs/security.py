"""Keys and secrets: KMS customer managed keys and their requests, Secrets Manager secrets and SSM parameters (by
tier)."""

from __future__ import annotations

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, read
from stackcheck.insights.costs.model import CostLine
from stackcheck.insights.costs.usage import KMS_REQUESTS_PER_KEY, SSM_STANDARD_MAX_BYTES


def keys(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    count = len(members)
    requests = est.assume("KMS_REQUESTS_PER_KEY", KMS_REQUESTS_PER_KEY, "requests a month per key")
    rotation = (
        "first year; each yearly rotation adds USD 1 a month to a key, for its first two rotations"
        if any(read(r, "enableKeyRotation") for r in members)
        else ""
    )
    return [
        est.line(members[0], f"KMS customer managed keys ({count})", count, "kms.key.month", rotation),
        est.line(members[0], "KMS requests", count * KMS_REQUESTS_PER_KEY / 10_000, "kms.requests.per_10000", requests),
    ]


def secrets(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    return [
        est.line(
            members[0],
            f"Secrets Manager secrets ({len(members)})",
            len(members),
            "secretsmanager.secret.month",
            "API calls (USD 0.05 per 10,000) are negligible",
        )
    ]


def parameters(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        tier = str(read(r, "tier") or "Standard")
        value = r.inputs.get("insecureValue", r.inputs.get("value"))
        size = len(str(value).encode()) if isinstance(value, str) else 0
        advanced = tier == "Advanced" or (tier == "Intelligent-Tiering" and size > SSM_STANDARD_MAX_BYTES)
        why = f"tier {tier}, value of {size} bytes" if size else f"tier {tier}"
        key = "ssm.parameter.advanced.month" if advanced else "ssm.parameter.standard.month"
        label = "advanced" if advanced else "standard"
        lines.append(est.line(r, f"SSM parameter ({label} tier), {read(r, 'name') or r.name}", 1, key, why))
    return lines
