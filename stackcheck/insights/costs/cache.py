"""The cache: ElastiCache replication groups (node hours, snapshots beyond the free one)."""

from __future__ import annotations

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.costs.core import Estimator, num, read
from stackcheck.insights.costs.model import CostLine, figure
from stackcheck.insights.costs.usage import CACHE_DATA_SHARE, HOURS, HOURS_PER_MONTH


def caches(est: Estimator, members: list[RecordedResource]) -> list[CostLine]:
    lines = []
    for r in members:
        node_type = str(read(r, "nodeType") or "")
        engine = str(read(r, "engine") or "redis")
        groups = num(read(r, "numNodeGroups"))
        if num(read(r, "numCacheClusters")):
            nodes, shards = num(read(r, "numCacheClusters")) or 1.0, 1.0
        elif groups:
            nodes, shards = groups * (1 + (num(read(r, "replicasPerNodeGroup")) or 0.0)), groups
        else:
            nodes, shards = 1.0, 1.0
        key = f"elasticache.{engine}.{node_type}.hour"
        lines.append(
            est.line(
                r,
                f"ElastiCache {engine} {node_type} nodes ({figure(nodes)})",
                nodes * HOURS_PER_MONTH,
                key,
                HOURS,
            )
        )
        snapshots = num(read(r, "snapshotRetentionLimit")) or 0.0
        price, _ = est.prices.lookup(key, est.region_of(r))
        memory = num(price.extra.get("memory_gib")) if price else None
        if snapshots > 1 and memory:
            share = est.assume("CACHE_DATA_SHARE", CACHE_DATA_SHARE, "of a node's memory holds data")
            lines.append(
                est.line(
                    r,
                    "ElastiCache snapshots beyond the free one",
                    (snapshots - 1) * shards * memory * CACHE_DATA_SHARE,
                    "elasticache.backup.gb_month",
                    f"{snapshots - 1:g} more daily snapshots x {figure(shards)} shard(s) x {memory:g} GiB x "
                    f"{CACHE_DATA_SHARE:g}; {share}",
                    unit="GB-month",
                )
            )
    return lines
