"""The local stack's PostgreSQL primary and streaming replica, its backup job and the documented restore, in Debian
12's PostgreSQL 15 (the pinned image is 16.6: the generated settings use nothing 16 added).

Adapted as tests/realserver/postgres.py says (paths, ports, peers' names -> 127.0.0.1, certificates issued here, a
stand-in for the image's entrypoint); the backup job's scripts as tests/realserver/backups.py says (stand-ins for
``date``, ``sleep`` and MinIO's ``mc``, the bucket a directory).
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from components.docker import backups, storage
from components.docker import database_config as db
from tests.components.docker_support import localize
from tests.realserver.backups import (
    SUNDAY_AT_TWO,
    Layout,
    back_up,
    lay_out,
    restore,
    run_loop,
    stored_dumps,
)
from tests.realserver.conftest import (
    Pki,
    Workspace,
    free_port,
    inputs,
    poll,
    require,
    wait_for_port,
    workspace_at,
)
from tests.realserver.postgres import Server, local_psql, psql, shard_servers

ADMIN = "webstack_admin"


@dataclass
class Stack:
    space: Workspace
    run: Any
    primary: Server
    replica: Server


@pytest.fixture(scope="module")
def stack(local_run: Any, pki: Pki) -> Iterator[Stack]:
    require("postgres", "openssl")
    with workspace_at("postgres") as space:
        primary, replicas = shard_servers(space, local_run, pki, "database", 1)
        stack = Stack(space, local_run, primary, replicas[0])
        # A table every test may read, on the replica too (which also waits until it accepts connections).
        psql(
            space,
            primary,
            "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'first')",
            user="app",
            password=app_password(stack),
        )
        assert poll(lambda: replica_reads(stack, 1) == "first")
        yield stack


def app_password(stack: Stack) -> str:
    return stack.primary.secret("app-password")


def replica_reads(stack: Stack, row: int) -> str:
    """The body of the note ``row`` on the replica ('' while it has none or is not ready)."""
    return psql(
        stack.space,
        stack.replica,
        f"SELECT body FROM notes WHERE id = {row}",
        user="app",
        password=app_password(stack),
        check=False,
    ).stdout.strip()


def test_a_row_written_on_the_primary_is_read_on_the_replica_over_tls_replication(stack: Stack) -> None:
    psql(stack.space, stack.primary, "INSERT INTO notes VALUES (2, 'second')", user="app", password=app_password(stack))
    assert poll(lambda: replica_reads(stack, 2) == "second")
    # The replica streams over TLS, from its slot (the state is "catchup" until it has caught up once).
    assert poll(
        lambda: (
            local_psql(
                stack.space,
                stack.primary,
                "SELECT s.ssl, r.state FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)",
                ADMIN,
            )
            == "t|streaming"
        )
    )
    slots = local_psql(stack.space, stack.primary, "SELECT slot_name, active FROM pg_replication_slots", ADMIN)
    assert slots == f"{db.replication_slot('database')}|t"


def test_the_replica_refuses_writes(stack: Stack) -> None:
    result = psql(
        stack.space,
        stack.replica,
        "INSERT INTO notes VALUES (3, 'no')",
        user="app",
        password=app_password(stack),
        check=False,
    )
    assert result.returncode != 0
    assert "read-only transaction" in result.stderr


def test_logins_without_tls_are_refused(stack: Stack) -> None:
    result = psql(
        stack.space, stack.primary, "SELECT 1", user="app", password=app_password(stack), sslmode="disable", check=False
    )
    assert result.returncode != 0
    assert "pg_hba.conf rejects connection" in result.stderr


def test_the_superuser_cannot_log_in_over_the_network(stack: Stack) -> None:
    result = psql(
        stack.space,
        stack.primary,
        "SELECT 1",
        user=ADMIN,
        password=stack.primary.secret("admin-password"),
        dbname="postgres",
        check=False,
    )
    assert result.returncode != 0
    assert "pg_hba.conf rejects connection" in result.stderr


def test_the_exporter_reads_slow_statements_from_pg_stat_statements(stack: Stack) -> None:
    """The SlowDatabaseQueries source on PostgreSQL: pg_stat_statements, created in the postgres database the exporter
    connects to, readable by the monitoring role (pg_monitor), which sees a statement slower than 2 s."""
    psql(stack.space, stack.primary, "SELECT pg_sleep(2.05)", user="app", password=app_password(stack))
    monitor = stack.primary.secret("monitor-password")
    mean = psql(
        stack.space,
        stack.primary,
        "SELECT max(mean_exec_time) FROM pg_stat_statements WHERE query LIKE '%pg_sleep%'",
        user=db.MONITOR_USER,
        password=monitor,
        dbname="postgres",
    )
    assert float(mean.stdout) > 2000


# -- the backup job, its upload and the documented restore -------------------------------------------------------
@pytest.fixture(scope="module")
def backed_up(stack: Stack, pki: Pki) -> Layout:
    layout = lay_out(stack.space, stack.run, pki, {"database-primary": stack.primary.port})
    back_up(layout)
    return layout


def test_the_dump_is_encrypted_by_the_job_before_it_is_stored(backed_up: Layout) -> None:
    files = stored_dumps(backed_up)
    assert [p.parent.name for p in files] == ["daily", "weekly"]
    assert files[0].name.startswith("app-20261206T023000Z")
    assert files[0].name.endswith(".dump.enc")
    content = files[0].read_bytes()
    assert content.startswith(b"Salted__"), "openssl enc's salted format"
    assert b"PGDMP" not in content
    assert b"first" not in content
    assert not list(backed_up.scratch.joinpath("outbox").glob("*.dump*")), "the uploaded dump left the outbox"


def test_the_metrics_file_counts_no_failure_and_the_success(backed_up: Layout) -> None:
    metrics = backed_up.scratch.joinpath("metrics", "backup.prom").read_text()
    assert 'webstack_backup_failures_total{shard="0"} 0' in metrics
    assert f'webstack_backup_last_success_timestamp_seconds{{shard="0"}} {SUNDAY_AT_TWO}' in metrics


def test_mc_env_can_be_sourced_again(stack: Stack, backed_up: Layout) -> None:
    mc_env = localize(storage.MC_ENV_FILE, backed_up.paths["backups-upload"])
    # As the scripts source it (set -e), and as every health check and README command does again in the container.
    result = stack.space.run(
        ["/bin/sh", "-c", f"set -e; . {mc_env}; . {mc_env}; mc ls store/backups/"], env=backed_up.env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_documented_restore_brings_the_data_back(stack: Stack, backed_up: Layout) -> None:
    name = stored_dumps(backed_up)[0].name
    psql(stack.space, stack.primary, "DROP TABLE notes", user="app", password=app_password(stack))
    restore(
        backed_up,
        stack.run,
        name,
        stack.primary.moved,
        fix=lambda script: script.replace("--port=5432", f"--port={stack.primary.port}"),
    )
    restored = psql(
        stack.space, stack.primary, "SELECT body FROM notes WHERE id = 1", user="app", password=app_password(stack)
    )
    assert restored.stdout.strip() == "first"
    assert poll(lambda: replica_reads(stack, 1) == "first")


def test_a_failed_dump_is_counted_and_served_to_prometheus(local_run: Any, pki: Pki) -> None:
    """The dump fails (nothing listens where the primary should be): the counter goes up, and the node exporter, run
    with the flags the program gives it (listen address and the metrics directory moved), serves it as Prometheus
    scrapes it."""
    require("postgres", "node-exporter")
    with workspace_at("backup-metrics") as space:
        layout = lay_out(space, local_run, pki, {"database-primary": free_port()})
        run_loop(layout, "backups-dump")
        port = free_port()
        proc = space.start(["prometheus-node-exporter", *metrics_flags(local_run, layout, port)], log="exporter.log")
        wait_for_port(port, proc=proc)
        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60).read().decode()
        assert 'webstack_backup_failures_total{shard="0"} 1' in text


def metrics_flags(run: Any, layout: Layout, port: int) -> list[str]:
    """The backup metrics exporter's flags as the program gives them, its directory and listen address moved."""
    return [
        localize(flag, {backups.UPLOAD_MOUNT: str(layout.scratch)}).replace(
            f":{backups.METRICS_PORT}", f"127.0.0.1:{port}"
        )
        for flag in inputs(run, "backups-metrics")["command"]
    ]


def test_a_weekday_dump_is_daily_only_and_taken_once_a_day(stack: Stack, pki: Pki) -> None:
    with workspace_at("backup-weekday") as space:
        layout = lay_out(space, stack.run, pki, {"database-primary": stack.primary.port})
        monday = SUNDAY_AT_TWO + 86400
        first = run_loop(layout, "backups-dump", layout.at(monday))
        again = run_loop(layout, "backups-dump", layout.at(monday + 600))
        assert "backup: dumped" in first.stderr
        assert "backup: dumped" not in again.stderr, "one dump a day"
        marks = [ready.read_text() for ready in layout.scratch.joinpath("outbox").glob("*.ready")]
        assert marks == ["0 daily\n"]


def test_an_upload_that_fails_keeps_the_dump_and_counts_the_failure(stack: Stack, pki: Pki) -> None:
    with workspace_at("backup-upload-failure") as space:
        layout = lay_out(space, stack.run, pki, {"database-primary": stack.primary.port})
        run_loop(layout, "backups-dump")
        success_before = layout.scratch.joinpath("state", "last-success-0").read_text()
        blocked = space.write("blocked", "a file where the bucket's directory should be")
        result = run_loop(layout, "backups-upload", {**layout.env, "STORE": str(blocked)})
        assert "backup: the upload of app-" in result.stderr
        outbox = sorted(p.name for p in layout.scratch.joinpath("outbox").iterdir())
        assert outbox == [outbox[0], f"{outbox[0]}.ready"], "the dump waits for the next round"
        assert layout.scratch.joinpath("state", "last-success-0").read_text() == success_before
        assert (
            'webstack_backup_failures_total{shard="0"} 1'
            in layout.scratch.joinpath("metrics", "backup.prom").read_text()
        )


@pytest.mark.parametrize(("age_hours", "healthy"), [(25, True), (27, False), (None, False)])
def test_the_backup_containers_health_check_is_its_heartbeat(
    local_run: Any, pki: Pki, age_hours: int | None, healthy: bool
) -> None:
    """The backup container's health check as generated: healthy while the last dump that reached the bucket is
    younger than 26 hours, unhealthy after, or without one."""
    require("postgres")
    check = inputs(local_run, "backups-dump")["healthcheck"]["tests"]
    assert check[0] == "CMD-SHELL"
    with workspace_at("backup-heartbeat") as space:
        layout = lay_out(space, local_run, pki, {"database-primary": free_port()})
        state = layout.scratch.joinpath("state")
        state.mkdir(parents=True, exist_ok=True)
        if age_hours is not None:
            state.joinpath("last-success-0").write_text(f"{SUNDAY_AT_TWO - age_hours * 3600}\n")
        space.user.own(space.root)
        command = localize(check[1], layout.paths["backups-dump"])
        result = space.run(["/bin/sh", "-c", command], env=layout.env, check=False)
        assert (result.returncode == 0) is healthy, result.stderr
