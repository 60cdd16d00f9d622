"""The shard map: the document, table routing and the consistent-hash ring (property-based where it helps)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.shard_map import (
    SHARD_MAP_VERSION,
    build_shard_map,
    ring_points,
    shard,
    shard_for_key,
    shard_for_table,
)

#: The deployment guide's table distribution ("Database Sharding System").
GUIDE_TABLES = {
    "users": 0,
    "user_meta": 0,
    "sessions": 0,
    "deposits": 1,
    "withdrawals": 1,
    "transactions": 1,
    "posts": 2,
    "pages": 2,
    "comments": 2,
    "options": 2,
}

KEY_COUNT = 100_000
KEYS = [f"user:{i}" for i in range(KEY_COUNT)]

#: SSM parameter value limits: the standard tier holds 4 KB, the advanced tier 8 KB.
SSM_STANDARD_LIMIT = 4096
SSM_ADVANCED_LIMIT = 8192

keys = st.one_of(st.text(alphabet=st.characters(exclude_categories=("Cs",))), st.binary(), st.integers())
shard_counts = st.integers(min_value=1, max_value=16)


def shard_entry(index: int, *, secret: bool = True) -> dict[str, Any]:
    """A realistic shard entry: ~60-character endpoints, two readers and (optionally) the secret's ARN."""
    host = f"webstack-prod-shard-{index:02d}"
    entry: dict[str, Any] = {
        "writer": f"{host}.cluster-c9akciq32xyz.eu-west-1.rds.amazonaws.com"[:60],
        "readers": [f"{host}-r{j}.c9akciq32xyz.eu-west-1.rds.amazonaws.com"[:60] for j in range(2)],
    }
    if secret:
        entry["secretArn"] = f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{host}-AbCdEf"
    return entry


def make_map(shard_count: int, tables: dict[str, int] | None = None, **kwargs: Any) -> dict[str, Any]:
    shards = [shard_entry(i) for i in range(shard_count)]
    return build_shard_map(shards, tables or {}, engine="aurora-postgresql", port=5432, **kwargs)


def compact_size(document: dict[str, Any]) -> int:
    return len(json.dumps(document, separators=(",", ":")).encode("utf-8"))


@pytest.fixture(scope="module")
def routes() -> dict[int, list[int]]:
    """The shard of each of the 100,000 keys ``user:{i}`` for 1 to 9 shards (128 virtual nodes)."""
    documents = {k: make_map(k) for k in range(1, 10)}
    return {k: [shard_for_key(document, key) for key in KEYS] for k, document in documents.items()}


# --- the document ---------------------------------------------------------------------------------------------------


def test_the_document_has_the_version_1_shape() -> None:
    document = build_shard_map(
        [{"writer": "w0", "readers": ["r0"]}, {"writer": "w1", "readers": []}],
        {"users": 1},
        engine="aurora-postgresql",
        port=5432,
    )
    assert document == {
        "version": 1,
        "engine": "aurora-postgresql",
        "port": 5432,
        "shards": [{"index": 0, "writer": "w0", "readers": ["r0"]}, {"index": 1, "writer": "w1", "readers": []}],
        "tables": {"users": 1},
        "defaultShard": 0,
        "ring": {"algorithm": "sha256", "virtualNodes": 128},
    }
    assert SHARD_MAP_VERSION == 1
    assert next(iter(document["shards"][0])) == "index"


def test_the_document_survives_a_json_round_trip() -> None:
    document = make_map(5, GUIDE_TABLES, virtual_nodes=64, default_shard=3)
    loaded = json.loads(json.dumps(document))
    assert loaded == document
    assert [shard_for_key(loaded, key) for key in KEYS[:2000]] == [shard_for_key(document, key) for key in KEYS[:2000]]
    for table in [*GUIDE_TABLES, "unknown"]:
        assert shard_for_table(loaded, table) == shard_for_table(document, table)
    assert shard(loaded, 4) == shard(document, 4)


def test_shard_returns_the_entry_with_its_endpoints() -> None:
    document = make_map(3)
    entry = shard(document, 2)
    assert entry["index"] == 2
    assert entry["writer"] == shard_entry(2)["writer"]
    assert entry["readers"] == shard_entry(2)["readers"]
    with pytest.raises(ValueError, match="no shard 3: there are 3 shards"):
        shard(document, 3)


def test_the_guide_tables_route_to_their_shards() -> None:
    document = make_map(3, GUIDE_TABLES)
    assert {table: shard_for_table(document, table) for table in GUIDE_TABLES} == GUIDE_TABLES
    assert [t for t in GUIDE_TABLES if shard_for_table(document, t) == 0] == ["users", "user_meta", "sessions"]
    assert [t for t in GUIDE_TABLES if shard_for_table(document, t) == 1] == ["deposits", "withdrawals", "transactions"]
    assert [t for t in GUIDE_TABLES if shard_for_table(document, t) == 2] == ["posts", "pages", "comments", "options"]


def test_unknown_tables_go_to_the_default_shard() -> None:
    assert shard_for_table(make_map(3, GUIDE_TABLES), "audit_log") == 0
    assert shard_for_table(make_map(3, GUIDE_TABLES, default_shard=2), "audit_log") == 2
    assert shard_for_table(make_map(3, GUIDE_TABLES, default_shard=2), "users") == 0


def test_no_shards_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one shard"):
        build_shard_map([], {}, engine="aurora-postgresql", port=5432)


def test_a_table_beyond_the_last_shard_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"table 'options' is on shard 3, but there are 3 shards"):
        make_map(3, {**GUIDE_TABLES, "options": 3})
    with pytest.raises(ValueError, match=r"table 'users' is on shard -1"):
        make_map(3, {"users": -1})


def test_an_empty_table_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="table names must be non-empty"):
        make_map(3, {"": 0})


@pytest.mark.parametrize("default_shard", [-1, 3, 10])
def test_a_default_shard_out_of_range_is_an_error(default_shard: int) -> None:
    with pytest.raises(ValueError, match=rf"default shard .*there are 3 shards.*got {default_shard}"):
        make_map(3, default_shard=default_shard)


@pytest.mark.parametrize("virtual_nodes", [0, -1, 4097, 100_000])
def test_virtual_nodes_out_of_range_is_an_error(virtual_nodes: int) -> None:
    with pytest.raises(ValueError, match="virtual_nodes must be an integer from 1 to 4096"):
        make_map(3, virtual_nodes=virtual_nodes)
    with pytest.raises(ValueError, match="virtual_nodes must be an integer from 1 to 4096"):
        ring_points(3, virtual_nodes)


@pytest.mark.parametrize("virtual_nodes", [1, 4096])
def test_virtual_nodes_at_the_limits_are_accepted(virtual_nodes: int) -> None:
    document = make_map(2, virtual_nodes=virtual_nodes)
    assert shard_for_key(document, "user:1") in (0, 1)


@pytest.mark.parametrize("version", [0, 2, "1", None, True])
def test_other_document_versions_are_rejected(version: object) -> None:
    document = {**make_map(3, GUIDE_TABLES), "version": version}
    for read in (
        lambda: shard_for_key(document, "user:1"),
        lambda: shard_for_table(document, "users"),
        lambda: shard(document, 0),
    ):
        with pytest.raises(ValueError, match=r"unsupported shard map version .* reads version 1 only"):
            read()


def test_a_document_without_a_version_is_rejected() -> None:
    document = make_map(3)
    del document["version"]
    with pytest.raises(ValueError, match="unsupported shard map version None"):
        shard_for_key(document, "user:1")


def test_the_ring_points_are_not_stored() -> None:
    small, large = make_map(16, GUIDE_TABLES, virtual_nodes=1), make_map(16, GUIDE_TABLES, virtual_nodes=4096)
    assert compact_size(large) - compact_size(small) == len("4096") - len("1")


def test_sixteen_shards_with_endpoints_fit_a_standard_ssm_parameter() -> None:
    """16 shards, a ~60-character writer and two readers each, as compact JSON: under 4 KB (measured 3,828 bytes)."""
    shards = [shard_entry(i, secret=False) for i in range(16)]
    document = build_shard_map(shards, GUIDE_TABLES, engine="aurora-postgresql", port=5432)
    assert len(document["shards"][15]["writer"]) == 60
    assert compact_size(document) < SSM_STANDARD_LIMIT


def test_sixteen_shards_with_secret_arns_fit_an_advanced_ssm_parameter() -> None:
    """With an ~80-character secret ARN per shard as well, 16 shards take 5,380 bytes: more than the standard tier's
    4 KB (11 such shards fit it), within the advanced tier's 8 KB."""
    document = make_map(16, GUIDE_TABLES)
    assert compact_size(make_map(11, GUIDE_TABLES)) < SSM_STANDARD_LIMIT < compact_size(document)
    assert compact_size(document) < SSM_ADVANCED_LIMIT


# --- the ring -------------------------------------------------------------------------------------------------------


def test_ring_points_follow_the_documented_derivation() -> None:
    points = ring_points(3, 4)
    assert len(points) == 12
    assert points == sorted(points)
    expected = sorted(
        (int.from_bytes(hashlib.sha256(f"shard-{k}#{v}".encode()).digest()[:8], "big"), k)
        for k in range(3)
        for v in range(4)
    )
    assert points == expected


@given(shard_count=st.integers(min_value=1, max_value=15), virtual_nodes=st.integers(min_value=1, max_value=64))
def test_adding_a_shard_keeps_every_existing_point(shard_count: int, virtual_nodes: int) -> None:
    before = set(ring_points(shard_count, virtual_nodes))
    after = ring_points(shard_count + 1, virtual_nodes)
    assert before <= set(after)
    assert {point for point in after if point not in before} == {point for point in after if point[1] == shard_count}


def test_the_known_vector_is_pinned() -> None:
    """Computed once with the documented algorithm: a change here re-routes every application's data."""
    document = make_map(3)
    assert [shard_for_key(document, f"user:{i}") for i in range(1, 11)] == [2, 0, 1, 2, 2, 1, 1, 1, 1, 0]
    assert [shard_for_key(document, i) for i in range(1, 11)] == [2, 0, 0, 1, 2, 1, 1, 2, 0, 1]
    assert ring_points(3, 128)[:3] == [(94510315995860579, 0), (129804819986914264, 0), (187420706627877056, 2)]


def reference_shard(shard_count: int, virtual_nodes: int, data: bytes) -> int:
    """The documented rule, spelled out: the first point at or after the key's position, else the first point."""
    position = int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
    points = ring_points(shard_count, virtual_nodes)
    return next((owner for point, owner in points if point >= position), points[0][1])


@given(key=st.binary(), shard_count=shard_counts, virtual_nodes=st.integers(min_value=1, max_value=3))
def test_routing_matches_a_linear_scan_of_the_ring(key: bytes, shard_count: int, virtual_nodes: int) -> None:
    """Small rings, so that many keys fall past the last point and wrap round to the first."""
    document = make_map(shard_count, virtual_nodes=virtual_nodes)
    assert shard_for_key(document, key) == reference_shard(shard_count, virtual_nodes, key)


def test_a_key_past_the_last_point_wraps_to_the_first_point() -> None:
    points = ring_points(2, 1)
    key = next(f"k{i}" for i in range(10_000) if _position(f"k{i}") > points[-1][0])
    assert points[0][1] != points[-1][1]
    assert shard_for_key(make_map(2, virtual_nodes=1), key) == points[0][1]


def _position(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


@given(key=keys, shard_count=shard_counts)
def test_routing_is_deterministic_across_separately_built_maps(key: str | bytes | int, shard_count: int) -> None:
    first, second = make_map(shard_count), json.loads(json.dumps(make_map(shard_count)))
    assert shard_for_key(first, key) == shard_for_key(first, key) == shard_for_key(second, key)


@given(key=keys, shard_count=shard_counts, virtual_nodes=st.integers(min_value=1, max_value=256))
def test_every_key_maps_to_an_existing_shard(key: str | bytes | int, shard_count: int, virtual_nodes: int) -> None:
    assert shard_for_key(make_map(shard_count, virtual_nodes=virtual_nodes), key) in range(shard_count)


@given(key=st.integers(), shard_count=shard_counts)
def test_an_int_routes_like_its_decimal_text(key: int, shard_count: int) -> None:
    document = make_map(shard_count)
    assert (
        shard_for_key(document, key) == shard_for_key(document, str(key)) == shard_for_key(document, str(key).encode())
    )


@given(key=st.text(alphabet=st.characters(exclude_categories=("Cs",))), shard_count=shard_counts)
def test_text_routes_like_its_utf8_bytes(key: str, shard_count: int) -> None:
    document = make_map(shard_count)
    assert shard_for_key(document, key) == shard_for_key(document, key.encode("utf-8"))


@pytest.mark.parametrize("key", [True, 1.0, None, ["user:1"]])
def test_other_key_types_are_refused(key: Any) -> None:
    with pytest.raises(TypeError, match="a shard key must be str, bytes or int"):
        shard_for_key(make_map(3), key)


@settings(max_examples=25)
@given(shard_count=st.integers(min_value=1, max_value=8), key=keys)
def test_a_key_that_moves_when_a_shard_is_added_moves_to_the_new_shard(
    key: str | bytes | int, shard_count: int
) -> None:
    before, after = shard_for_key(make_map(shard_count), key), shard_for_key(make_map(shard_count + 1), key)
    assert after in (before, shard_count)


# --- balance and rebalancing (the resolver's speed: make bench) ----------------------------------------------------


@pytest.mark.parametrize("shard_count", [2, 3, 4, 8])
def test_keys_spread_evenly_within_25_percent(routes: dict[int, list[int]], shard_count: int) -> None:
    """Every shard's share of 100,000 keys is within ±25 % of 1/K (128 virtual nodes; the worst measured is 16 %)."""
    counts = Counter(routes[shard_count])
    assert set(counts) == set(range(shard_count))
    fair = KEY_COUNT / shard_count
    for index, count in sorted(counts.items()):
        assert abs(count - fair) <= 0.25 * fair, f"shard {index} of {shard_count} holds {count / KEY_COUNT:.2%}"


@pytest.mark.parametrize("shard_count", range(1, 9))
def test_adding_a_shard_moves_about_its_fair_share_and_only_to_it(
    routes: dict[int, list[int]], shard_count: int
) -> None:
    """Going from K to K+1 shards moves 1/(K+1) ± 0.05 of the keys (the worst measured is 0.032), all to shard K."""
    moved = [(old, new) for old, new in zip(routes[shard_count], routes[shard_count + 1], strict=True) if old != new]
    assert all(new == shard_count for _, new in moved)
    assert abs(len(moved) / KEY_COUNT - 1 / (shard_count + 1)) <= 0.05
