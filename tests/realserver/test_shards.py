"""Three PostgreSQL shards with a replica each, from a stack file that asks for them (``webstack:database.shards: 3``,
``replicas: 1`` and the guide's table placement), in Debian 12's PostgreSQL 15: rows routed with the program's own
shard map and resolver (components/shard_map.py) land on their shard and replicate to its replica only, and the
backup job dumps every shard. Adapted as tests/realserver/postgres.py and test_postgres.py say."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import yaml

from components.docker import database_config as db
from components.docker.monitoring_config import PROMETHEUS_CONFIG_FILE
from components.shard_map import shard_for_key, shard_for_table
from tests.realserver.backups import lay_out, run_loop
from tests.realserver.conftest import Pki, Workspace, delivered, local_variant, poll, require, workspace_at
from tests.realserver.postgres import Server, psql, shard_servers

TABLES = {"users": 0, "deposits": 1, "posts": 2}


@pytest.fixture(scope="module")
def sharded_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return local_variant(
        tmp_path_factory.mktemp("sharded-project"),
        {"engine": "postgres", "shards": 3, "replicas": 1, "tables": TABLES},
    )


@pytest.fixture(scope="module")
def shards(sharded_run: Any, pki: Pki) -> Iterator[tuple[Workspace, list[tuple[Server, Server]]]]:
    require("postgres", "openssl")
    with workspace_at("shards") as space:
        # The shards are independent: started side by side.
        with ThreadPoolExecutor(max_workers=3) as pool:
            started = list(pool.map(lambda k: shard_servers(space, sharded_run, pki, db.shard_name(k), 1), range(3)))
        yield space, [(primary, replicas[0]) for primary, replicas in started]


def test_the_shard_map_routes_tables_and_keys_to_three_shards_with_a_replica_each(sharded_run: Any) -> None:
    shard_map = sharded_run.outputs["shardMap"]
    assert [s["writer"] for s in shard_map["shards"]] == [
        "database-primary",
        "database-shard-1-primary",
        "database-shard-2-primary",
    ]
    assert [s["readers"] for s in shard_map["shards"]] == [
        ["database-replica"],
        ["database-shard-1-replica"],
        ["database-shard-2-replica"],
    ]
    assert {table: shard_for_table(shard_map, table) for table in TABLES} == TABLES
    scrape = yaml.safe_load(delivered(sharded_run, "monitoring-prometheus")[PROMETHEUS_CONFIG_FILE])
    jobs = {job["job_name"]: job["static_configs"][0]["targets"] for job in scrape["scrape_configs"]}
    assert len(jobs["database"]) == 3
    assert len(jobs["replica"]) == 3


def test_rows_land_on_their_shard_and_its_replica_only(sharded_run: Any, shards: Any) -> None:
    space, servers = shards
    shard_map = sharded_run.outputs["shardMap"]
    for table in TABLES:
        index = shard_for_table(shard_map, table)
        primary, replica = servers[index]
        password = primary.secret("app-password")
        psql(
            space,
            primary,
            f"CREATE TABLE {table} (id bigint PRIMARY KEY, owner text); "
            f"INSERT INTO {table} VALUES ({shard_for_key(shard_map, 7)}, 'user-7')",
            user="app",
            password=password,
        )
        assert poll(
            lambda r=replica, t=table, p=password: (
                psql(space, r, f"SELECT owner FROM {t}", user="app", password=p, check=False).stdout.strip() == "user-7"
            ),
        )
        for other, (elsewhere, _) in enumerate(servers):
            if other != index:
                absent = psql(
                    space,
                    elsewhere,
                    f"SELECT 1 FROM {table}",
                    user="app",
                    password=elsewhere.secret("app-password"),
                    check=False,
                )
                assert "does not exist" in absent.stderr


def test_the_backup_job_dumps_every_shard(sharded_run: Any, shards: Any, pki: Pki) -> None:
    space, servers = shards
    ports = {db.shard_name(index) + "-primary": primary.port for index, (primary, _) in enumerate(servers)}
    layout = lay_out(space, sharded_run, pki, ports)
    result = run_loop(layout, "backups-dump")
    dumps = sorted(p.name for p in layout.scratch.joinpath("outbox").glob("*.enc"))
    assert [re.sub(r"-\d{8}T\d{6}Z", "", name) for name in dumps] == [f"app-shard-{k}.dump.enc" for k in range(3)], (
        result.stderr
    )
    metrics = layout.scratch.joinpath("metrics", "backup.prom").read_text()
    assert all(f'webstack_backup_failures_total{{shard="{k}"}} 0' in metrics for k in range(3))
