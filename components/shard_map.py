"""The shard map: which database shard holds a user's rows and which holds a table.

webstack deploys K independent database shards and publishes one small JSON document, the *shard map*, in an SSM
parameter and a stack output. Applications read it and route every query with this module, which is deliberately
standalone: standard library only, no Pulumi, so an application can copy the file or install the repository.

Two kinds of routing, as the deployment guide's "Database Sharding System" describes:

* **Table-based routing.** ``tables`` names the shard of each table (the guide puts ``users``, ``user_meta`` and
  ``sessions`` on shard 0, ``deposits``, ``withdrawals`` and ``transactions`` on shard 1, and ``posts``, ``pages``,
  ``comments`` and ``options`` on shard 2); :func:`shard_for_table` returns it, and ``defaultShard`` for any other
  table.
* **Consistent hashing** for user-based assignment: :func:`shard_for_key` places a key (a user id, say) on a hash
  ring and returns the shard that owns that arc.

The document (version 1)::

    {
      "version": 1,
      "engine": "aurora-postgresql",
      "port": 5432,
      "shards": [{"index": 0, "writer": "...", "readers": ["..."], "secretArn": "..."}, ...],
      "tables": {"comments": 2, "deposits": 1, ...},
      "defaultShard": 0,
      "ring": {"algorithm": "sha256", "virtualNodes": 128}
    }

The ring itself is *not* stored (K x 128 points would not fit a standard 4 KB SSM parameter); every reader derives
it from the shard count and ``virtualNodes``. The derivation is part of the format and must never change without a
new ``version``, because every application, on every machine, in every language, has to route a key the same way:

* ``position(data) = int.from_bytes(sha256(data).digest()[:8], "big")``, an unsigned 64-bit integer. Python's
  ``hash()`` is never used: it is salted per process.
* The ring has, for each shard ``k`` in ``0..K-1`` and each ``v`` in ``0..virtualNodes-1``, a point at
  ``position(f"shard-{k}#{v}".encode("utf-8"))`` owned by shard ``k``; points are sorted by (position, shard).
* A key's position is ``position`` of its UTF-8 bytes (``bytes`` are used as they are; an ``int`` is hashed as its
  decimal text, so ``42`` and ``"42"`` route alike). Its shard owns the first point at or after that position
  (clockwise), wrapping round to the first point.

Because a point depends only on its shard index and ``v``, going from K to K+1 shards keeps every existing point:
about 1/(K+1) of the keys move, and every key that moves goes to the new shard K, never between old shards. Shards
are therefore only ever appended; removing or reordering shards re-routes keys.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, TypeGuard

__all__ = [
    "MAX_VIRTUAL_NODES",
    "RING_ALGORITHM",
    "SHARD_MAP_VERSION",
    "build_shard_map",
    "ring_points",
    "shard",
    "shard_for_key",
    "shard_for_table",
]

#: The document format this module writes and reads. A reader rejects any other version.
SHARD_MAP_VERSION = 1

#: The hash the ring uses (recorded in the document as ``ring.algorithm``).
RING_ALGORITHM = "sha256"

#: The most virtual nodes (points per shard) a map may ask for.
MAX_VIRTUAL_NODES = 4096


def _position(data: bytes) -> int:
    """A position on the ring: the first 8 bytes of the SHA-256 digest, as a big-endian unsigned integer."""
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")


def _key_bytes(key: str | bytes | int) -> bytes:
    """The bytes a key is hashed as: UTF-8 text, bytes as given, an integer as its decimal text."""
    if isinstance(key, bool):  # bool is an int, but True/1 and "True" would be an easy mix-up: refuse it
        raise TypeError("a shard key must be str, bytes or int, not bool")
    if isinstance(key, str):
        return key.encode("utf-8")
    if isinstance(key, bytes):
        return key
    if isinstance(key, int):
        return str(key).encode("ascii")
    raise TypeError(f"a shard key must be str, bytes or int, not {type(key).__name__}")


def _is_int(value: object) -> TypeGuard[int]:
    """An int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_ring_size(shard_count: int, virtual_nodes: int) -> None:
    if not _is_int(shard_count) or shard_count < 1:
        raise ValueError(f"the shard count must be a positive integer, got {shard_count!r}")
    if not _is_int(virtual_nodes) or not 1 <= virtual_nodes <= MAX_VIRTUAL_NODES:
        raise ValueError(f"virtual_nodes must be an integer from 1 to {MAX_VIRTUAL_NODES}, got {virtual_nodes!r}")


@lru_cache(maxsize=64)
def _ring(shard_count: int, virtual_nodes: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The ring as two parallel tuples, positions (sorted) and their owning shards; cached per size."""
    points = sorted((_position(f"shard-{k}#{v}".encode()), k) for k in range(shard_count) for v in range(virtual_nodes))
    return tuple(p for p, _ in points), tuple(k for _, k in points)


def ring_points(shard_count: int, virtual_nodes: int) -> list[tuple[int, int]]:
    """The ring's points, ``(position, shard index)``, sorted by position then shard.

    Shard ``k`` has one point per ``v`` in ``range(virtual_nodes)`` at the first 8 bytes (big-endian) of
    ``sha256(f"shard-{k}#{v}")``. A point depends only on ``k`` and ``v``, so the ring for K+1 shards is the ring
    for K shards plus the new shard's points.
    """
    _check_ring_size(shard_count, virtual_nodes)
    positions, owners = _ring(shard_count, virtual_nodes)
    return list(zip(positions, owners, strict=True))


def build_shard_map(
    shards: Sequence[Mapping[str, Any]],
    tables: Mapping[str, int],
    *,
    virtual_nodes: int = 128,
    default_shard: int = 0,
    engine: str,
    port: int,
) -> dict[str, Any]:
    """The shard-map document (JSON-serializable if the shard entries are) for ``shards`` and ``tables``.

    Shards are numbered 0..K-1 in the order given; each entry is a shallow copy of the given mapping (its writer
    endpoint, readers, secret ARN...) with ``index`` first. Append new shards at the end: the ring keeps the old
    shards' points, so only keys that move to the new shard move. ``tables`` maps a table name to its shard index;
    any other table is on ``default_shard``. The ring is described (``algorithm``, ``virtualNodes``) but its points
    are not stored: readers derive them (see the module documentation).

    Raises ``ValueError`` for no shards, a table or default shard outside ``0..K-1``, an empty table name,
    ``virtual_nodes`` outside 1..4096, an empty engine or a port outside 1..65535.
    """
    shard_count = len(shards)
    if shard_count == 0:
        raise ValueError("a shard map needs at least one shard")
    if not _is_int(virtual_nodes) or not 1 <= virtual_nodes <= MAX_VIRTUAL_NODES:
        raise ValueError(f"virtual_nodes must be an integer from 1 to {MAX_VIRTUAL_NODES}, got {virtual_nodes!r}")
    if not isinstance(engine, str) or not engine:
        raise ValueError(f"engine must be a non-empty string, got {engine!r}")
    if not _is_int(port) or not 1 <= port <= 65535:
        raise ValueError(f"port must be an integer from 1 to 65535, got {port!r}")
    if not _is_int(default_shard) or not 0 <= default_shard < shard_count:
        raise ValueError(
            f"the default shard must be a shard index from 0 to {shard_count - 1} "
            f"(there are {shard_count} shards), got {default_shard!r}"
        )

    entries: list[dict[str, Any]] = []
    for index, entry in enumerate(shards):
        if not isinstance(entry, Mapping):
            raise ValueError(f"shard {index} must be a mapping (writer, readers...), got {type(entry).__name__}")
        if "index" in entry and entry["index"] != index:
            raise ValueError(f"shard {index} carries index {entry['index']!r}: shards are numbered in order")
        entries.append({"index": index, **{k: v for k, v in entry.items() if k != "index"}})

    routed: dict[str, int] = {}
    for table, index in sorted(tables.items()):
        if not isinstance(table, str) or not table:
            raise ValueError(f"table names must be non-empty strings, got {table!r}")
        if not _is_int(index) or not 0 <= index < shard_count:
            raise ValueError(
                f"table {table!r} is on shard {index!r}, but there are {shard_count} shards "
                f"(indexes 0 to {shard_count - 1})"
            )
        routed[table] = index

    return {
        "version": SHARD_MAP_VERSION,
        "engine": engine,
        "port": port,
        "shards": entries,
        "tables": routed,
        "defaultShard": default_shard,
        "ring": {"algorithm": RING_ALGORITHM, "virtualNodes": virtual_nodes},
    }


def _shards_of(shard_map: Mapping[str, Any]) -> Sequence[Any]:
    """The document's shard list, after checking the version every reader must check."""
    version = shard_map.get("version")
    if not _is_int(version) or version != SHARD_MAP_VERSION:
        raise ValueError(
            f"unsupported shard map version {version!r}: this module reads version {SHARD_MAP_VERSION} only "
            "(upgrade the shard_map module)"
        )
    shards = shard_map.get("shards")
    if not isinstance(shards, Sequence) or isinstance(shards, str | bytes) or len(shards) == 0:
        raise ValueError("the shard map has no shards")
    return shards


def shard_for_key(shard_map: Mapping[str, Any], key: str | bytes | int) -> int:
    """The index of the shard that owns ``key`` (a user id, say) on the map's consistent-hash ring.

    ``key`` is hashed as UTF-8 text (bytes as given, an int as its decimal text); the owner is the first ring point
    at or after the key's position, wrapping round. The ring is built once per (shard count, virtual nodes).
    """
    shard_count = len(_shards_of(shard_map))
    ring = shard_map.get("ring")
    if not isinstance(ring, Mapping):
        raise ValueError("the shard map has no ring")
    algorithm = ring.get("algorithm")
    if algorithm != RING_ALGORITHM:
        raise ValueError(f"unsupported ring algorithm {algorithm!r}: expected {RING_ALGORITHM!r}")
    virtual_nodes = ring.get("virtualNodes")
    if not _is_int(virtual_nodes) or not 1 <= virtual_nodes <= MAX_VIRTUAL_NODES:
        raise ValueError(f"the ring's virtualNodes must be an integer from 1 to {MAX_VIRTUAL_NODES}")
    positions, owners = _ring(shard_count, virtual_nodes)
    at = bisect_left(positions, _position(_key_bytes(key)))
    return owners[at if at < len(positions) else 0]


def shard_for_table(shard_map: Mapping[str, Any], table: str) -> int:
    """The index of the shard that holds ``table``: its entry in ``tables``, else ``defaultShard``."""
    shard_count = len(_shards_of(shard_map))
    tables = shard_map.get("tables") or {}
    index = tables.get(table, shard_map.get("defaultShard", 0))
    if not _is_int(index) or not 0 <= index < shard_count:
        raise ValueError(f"the shard map puts table {table!r} on shard {index!r}, but there are {shard_count} shards")
    return index


def shard(shard_map: Mapping[str, Any], index: int) -> Mapping[str, Any]:
    """The entry of shard ``index`` (its ``writer``, ``readers``...), as :func:`build_shard_map` stored it."""
    shards = _shards_of(shard_map)
    if not _is_int(index) or not 0 <= index < len(shards):
        raise ValueError(f"no shard {index!r}: there are {len(shards)} shards (indexes 0 to {len(shards) - 1})")
    entry = shards[index]
    if not isinstance(entry, Mapping):
        raise ValueError(f"shard {index} of the shard map is not an object")
    return entry
