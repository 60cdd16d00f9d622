"""The local stack's PostgreSQL primary and streaming replica, its backup job and the documented restore, in Debian
12's PostgreSQL 15 (the pinned image is 16.6: the generated settings use nothing 16 added).

Adapted as tests/realserver/postgres.py says (paths, ports, peers' names -> 127.0.0.1, certificates issued here, a
stand-in for the image's entrypoint). The backup job's scripts run as generated with three stand-ins on their PATH:
``date`` answers one fixed Sunday at the backup hour (so that the loop dumps now, daily and weekly), ``sleep`` ends the
loop after its first round, and ``mc`` (MinIO's client, in neither Debian nor PyPI) keeps the bucket in a directory:
``cp``, ``cat`` and ``ls`` on ``store/<bucket>/<key>``, and only while mc-env.sh has set the ``store`` alias and the CA.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.docker import backups, storage
from components.docker import database as db
from components.docker.tls_ca import CA_FILE, CONFIG_DIR
from tests.components.docker_support import localize
from tests.realserver.conftest import (
    Pki,
    Workspace,
    delivered,
    delivered_modes,
    free_port,
    poll,
    require,
    wait_for_port,
    workspace_at,
)
from tests.realserver.postgres import Server, local_psql, psql, shard_servers

ADMIN = "webstack_admin"
#: A Sunday, 02:00 UTC (the default backup hour): 2026-12-06T02:30:00Z.
SUNDAY_AT_TWO = 1796524200


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
        yield Stack(space, local_run, primary, replicas[0])


def app_password(stack: Stack) -> str:
    return stack.primary.secret("app-password")


def test_a_row_written_on_the_primary_is_read_on_the_replica_over_tls_replication(stack: Stack) -> None:
    password = app_password(stack)
    psql(
        stack.space,
        stack.primary,
        "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'first')",
        user="app",
        password=password,
    )
    assert poll(
        lambda: (
            psql(
                stack.space,
                stack.replica,
                "SELECT body FROM notes WHERE id = 1",
                user="app",
                password=password,
                check=False,
            ).stdout.strip()
            == "first"
        ),
        30,
    )
    # The replica streams over TLS, from its slot.
    ssl = local_psql(
        stack.space,
        stack.primary,
        "SELECT s.ssl, r.state FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)",
        ADMIN,
    )
    assert ssl == "t|streaming"
    slots = local_psql(stack.space, stack.primary, "SELECT slot_name, active FROM pg_replication_slots", ADMIN)
    assert slots == f"{db.replication_slot('database')}|t"


def test_the_replica_refuses_writes(stack: Stack) -> None:
    result = psql(
        stack.space,
        stack.replica,
        "INSERT INTO notes VALUES (2, 'no')",
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
MC = r"""#!/bin/sh
# Stand-in for MinIO's mc: the bucket is the directory $STORE.
set -eu
case "${MC_HOST_store:-}" in https://?*:?*@*) ;; *) echo "mc: no store alias" >&2; exit 1 ;; esac
[ -s "$MC_CONFIG_DIR/certs/CAs/webstack-ca.crt" ] || { echo "mc: no CA" >&2; exit 1; }
command="$1"; shift
[ "${1:-}" = --quiet ] && shift
[ "${1:-}" = --recursive ] && shift
case "$command" in
    cp) mkdir -p "$(dirname "$STORE/${2#store/}")"; cp "$1" "$STORE/${2#store/}" ;;
    cat) cat "$STORE/${1#store/}" ;;
    ls) cd "$STORE/${1#store/}" && find . -type f | sed 's|^\./||' ;;
    *) echo "mc: $command is not stood in for" >&2; exit 1 ;;
esac
"""


def tools(space: Workspace, failing_dump: bool = False) -> Path:
    """The stand-ins (see the module docstring) in a bin directory."""
    bin_dir = space.path("backup-bin")
    bin_dir.mkdir(exist_ok=True)
    stand_ins = {
        "date": f'#!/bin/sh\nexec /bin/date -d @{SUNDAY_AT_TWO} "$@"\n',
        "sleep": "#!/bin/sh\nexit 3\n",
        "mc": MC,
    }
    for name, body in stand_ins.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    return bin_dir


def moved(space: Workspace) -> dict[str, dict[str, str]]:
    return {
        "backups-dump": {
            CONFIG_DIR: str(space.path("dump", "etc")),
            db.POSTGRES_DATA_MOUNT: str(space.path("scratch")),
            "/tmp": str(space.path("dump", "tmp")),
        },
        "backups-upload": {
            CONFIG_DIR: str(space.path("upload", "etc")),
            backups.UPLOAD_MOUNT: str(space.path("scratch")),
            "/tmp": str(space.path("upload", "tmp")),
        },
    }


def lay_out_backups(stack: Stack, pki: Pki) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    space = stack.space
    paths = moved(space)
    for container, where in paths.items():
        files = delivered(stack.run, container)
        files[CA_FILE] = pki.ca_cert.read_text()
        files = {
            path: re.sub(r"host=database-primary port=\d+", f"host=127.0.0.1 port={stack.primary.port}", text)
            for path, text in files.items()
        }
        space.place(files, where, modes=delivered_modes(stack.run, container))
        for directory in where.values():
            Path(directory).mkdir(parents=True, exist_ok=True)
    space.path("store").mkdir(exist_ok=True)
    space.user.own(space.root)
    env = {"PATH": f"{tools(space)}:{space.env()['PATH']}", "STORE": str(space.path("store"))}
    return paths, env


def run_loop(
    stack: Stack, container: str, script: str, paths: dict[str, str], env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    path = localize(script, paths)
    shell = backups.SHELL if container == "backups-dump" else "/bin/sh"
    result = stack.space.run([shell, path], env=env, check=False)
    assert result.returncode == 3, f"{container} ended with {result.returncode}, not at its sleep:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def backed_up(stack: Stack, pki: Pki) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    paths, env = lay_out_backups(stack, pki)
    dumped = run_loop(stack, "backups-dump", db.config_path("backup.sh"), paths["backups-dump"], env)
    uploaded = run_loop(stack, "backups-upload", db.config_path("upload.sh"), paths["backups-upload"], env)
    assert "backup: dumped" in dumped.stderr, dumped.stderr
    assert "backup-upload: uploaded" in uploaded.stderr, uploaded.stderr
    return paths, env


def test_the_dump_is_encrypted_by_the_job_before_it_is_stored(stack: Stack, backed_up: Any) -> None:
    stored = sorted(stack.space.path("store", "backups").rglob("*"))
    files = [p for p in stored if p.is_file()]
    assert [p.parent.name for p in files] == ["daily", "weekly"]
    assert files[0].name.startswith("app-20261206T023000Z")
    assert files[0].name.endswith(".dump.enc")
    content = files[0].read_bytes()
    assert content.startswith(b"Salted__"), "openssl enc's salted format"
    assert b"PGDMP" not in content
    assert b"first" not in content
    assert not list(stack.space.path("scratch", "outbox").glob("*.dump*")), "the uploaded dump left the outbox"


def test_the_metrics_file_counts_no_failure_and_the_success(stack: Stack, backed_up: Any) -> None:
    metrics = stack.space.path("scratch", "metrics", "backup.prom").read_text()
    assert 'webstack_backup_failures_total{shard="0"} 0' in metrics
    assert f'webstack_backup_last_success_timestamp_seconds{{shard="0"}} {SUNDAY_AT_TWO}' in metrics


def test_mc_env_can_be_sourced_again(stack: Stack, backed_up: Any) -> None:
    paths, env = backed_up
    mc_env = localize(storage.MC_ENV_FILE, paths["backups-upload"])
    # As the scripts source it (set -e), and as every health check and README command does again in the container.
    result = stack.space.run(
        ["/bin/sh", "-c", f"set -e; . {mc_env}; . {mc_env}; mc ls store/backups/"], env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_documented_restore_brings_the_data_back(stack: Stack, backed_up: Any) -> None:
    paths, env = backed_up
    key = next(p for p in stack.space.path("store", "backups", "daily").iterdir()).name
    psql(stack.space, stack.primary, "DROP TABLE notes", user="app", password=app_password(stack))
    command = stack.run.outputs["restoreCommand"].split("\n")[-3:]
    # The three parts of the documented pipeline, each run where its container's files are, as its user.
    places = {
        "webstack-local-backups-upload": paths["backups-upload"],
        "webstack-local-backups-dump": paths["backups-dump"],
        "webstack-local-database-primary": stack.primary.moved,
    }
    procs: list[subprocess.Popen[bytes]] = []
    previous = None
    for part in command:
        words = shlex.split(part.strip().removeprefix("|").removesuffix("\\"))
        assert words[:2] == ["docker", "exec"], words
        assert words[-3:-1] == ["sh", "-c"], words
        container = words[-4]
        script = localize(words[-1].replace("<file>", key), places[container])
        script = script.replace("--port=5432", f"--port={stack.primary.port}")
        proc = subprocess.Popen(
            [*stack.space.user.prefix, "/bin/sh", "-c", script], stdin=previous, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=stack.space.env(env), cwd=stack.space.root,
        )  # fmt: skip
        if previous is not None:
            previous.close()
        previous = proc.stdout
        procs.append(proc)
    assert procs[-1].stdout is not None
    procs[-1].stdout.read()
    for proc in procs:
        proc.wait(timeout=60)
        assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    assert (
        psql(
            stack.space, stack.primary, "SELECT body FROM notes", user="app", password=app_password(stack)
        ).stdout.strip()
        == "first"
    )
    assert poll(
        lambda: (
            psql(
                stack.space,
                stack.replica,
                "SELECT body FROM notes",
                user="app",
                password=app_password(stack),
                check=False,
            ).stdout.strip()
            == "first"
        ),
        30,
    )


def test_a_failed_dump_is_counted_and_served_to_prometheus(stack: Stack, pki: Pki, local_run: Any) -> None:
    """The dump fails (the primary's address is wrong): the counter goes up, and the node exporter, run with the
    flags the program gives it (listen address and the metrics directory moved), serves it as Prometheus scrapes it."""
    require("node-exporter")
    with workspace_at("backup-metrics") as space:
        failing = Stack(space, stack.run, stack.primary, stack.replica)
        paths, env = lay_out_backups(failing, pki)
        script = Path(localize(db.config_path("backup.sh"), paths["backups-dump"]))
        script.write_text(script.read_text().replace(f"port={stack.primary.port}", f"port={free_port()}"))
        run_loop(failing, "backups-dump", db.config_path("backup.sh"), paths["backups-dump"], env)
        port = free_port()
        flags = [
            localize(flag, {backups.UPLOAD_MOUNT: str(space.path("scratch"))}).replace(
                f":{backups.METRICS_PORT}", f"127.0.0.1:{port}"
            )
            for flag in delivered_command(local_run)
        ]
        proc = space.start(["prometheus-node-exporter", *flags], log="node-exporter.log")
        wait_for_port(port, proc=proc)
        import urllib.request

        text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        assert 'webstack_backup_failures_total{shard="0"} 1' in text


def delivered_command(run: Any) -> list[str]:
    from tests.realserver.conftest import inputs

    return list(inputs(run, "backups-metrics")["command"])
