"""The docker Backups component: the hardened backup and upload containers, the daily schedule (and Sundays' weekly
copies), the dump and upload scripts (run here against stub tools), the heartbeat health check, the credentials that
stay in secret files, the retention the bucket applies, and the documented restore command."""

from __future__ import annotations

import configparser
import json
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from components.docker.backups import (
    HEARTBEAT_MAX_AGE_SECONDS,
    Backups,
    BackupsArgs,
    backup_script,
    heartbeat_check,
    list_command,
    restore_command,
    upload_script,
)
from components.docker.database import Database, DatabaseArgs
from components.docker.network import DockerNetworks
from components.docker.storage import ObjectStorage, ObjectStorageArgs, backups_lifecycle
from components.docker.tls_ca import InternalCa
from components.settings import Settings
from stackcheck.mocks import is_secret, redact
from tests.components.docker_support import (
    assert_locked_down,
    docker_settings,
    files,
    generated,
    localize,
    stub_commands,
)
from tests.conftest import construct, one, registered

DB_IMAGE = "sha256:" + "d" * 64
MC_IMAGE = "sha256:" + "c" * 64
NOW = 1_732_413_600  # 2024-11-24 02:00 UTC, a Sunday

pytestmark = pytest.mark.skipif(shutil.which("dash") is None or shutil.which("bash") is None, reason="needs shells")


def build(name: str, settings: Settings) -> Backups:
    def factory() -> Backups:
        networks = DockerNetworks(f"{name}-net").networks
        ca = InternalCa(f"{name}-ca")
        database = Database(f"{name}-db", DatabaseArgs(settings, networks, DB_IMAGE, "sha256:exporter", ca=ca))
        storage = ObjectStorage(f"{name}-st", ObjectStorageArgs(settings, networks, "sha256:minio", MC_IMAGE, ca=ca))
        return Backups(name, BackupsArgs(settings, networks, DB_IMAGE, MC_IMAGE, database, storage))

    return construct(factory)


@pytest.fixture(scope="module")
def postgres() -> Backups:
    return build("bkpg", docker_settings())


@pytest.fixture(scope="module")
def mysql() -> Backups:
    return build("bkmy", docker_settings(database={"engine": "mysql"}, docker={"backupHourUtc": 23}))


# -- defaults are secure ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "user", "role", "scratch"),
    [
        ("bkpg-dump", "70:70", "backup", "/var/lib/postgresql/data"),
        ("bkpg-upload", "70:70", "backup-upload", "/backup"),
        ("bkmy-dump", "999:999", "backup", "/var/lib/mysql"),
        ("bkmy-upload", "999:999", "backup-upload", "/backup"),
    ],
)
def test_defaults_are_secure(postgres: Backups, mysql: Backups, name: str, user: str, role: str, scratch: str) -> None:
    inputs = one(name).inputs
    assert_locked_down(inputs, user)
    assert inputs["ports"] == []
    assert inputs["uploads"] == []
    assert {"label": "webstack.role", "value": role} in inputs["labels"]
    assert [network["name"] for network in inputs["networksAdvanced"]] == ["webstack-test-data"]
    assert inputs["healthcheck"]["tests"][0] == "CMD-SHELL"
    component = name.split("-")[0]
    mounts = {m["target"]: m["source"] for m in inputs["mounts"] if m["type"] == "volume"}
    assert mounts[scratch] == one(f"{component}-scratch").inputs["name"]
    assert one(f"{name}-seed").inputs["restart"] == "no"
    assert one(f"{component}-scratch").protect, "dumps wait there until they reach the bucket"
    assert one(f"{component}-scratch").retain_on_delete


def test_containers_start_in_order(postgres: Backups) -> None:
    backup, uploader = one("bkpg-dump"), one("bkpg-upload")
    assert one("bkpg-db-primary").urn in backup.dependencies
    # The scratch volume takes the owner of the database image's data directory: the backup container mounts it first.
    assert backup.urn in uploader.dependencies
    assert one("bkpg-st-setup").urn in uploader.dependencies, "the bucket and the backup user exist first"
    assert postgres.containers == [postgres.backup, postgres.uploader]
    assert one("bkpg").type == "webstack:docker:Backups"


def test_credentials_stay_in_secret_files(postgres: Backups, mysql: Backups) -> None:
    for component in ("bkpg", "bkmy"):
        plaintexts = [
            generated(f"{component}-db-backup-password"),
            generated(f"{component}-st-backup-access-key"),
            generated(f"{component}-st-backup-secret-key"),
        ]
        for resource in registered(component):
            visible = json.dumps(redact(resource.inputs))
            assert not [text for text in plaintexts if text in visible], resource.name
        for name in (f"{component}-dump-seed", f"{component}-upload-seed"):
            assert is_secret(one(name).inputs["uploads"])
        uploader = files(f"{component}-upload")
        assert uploader["/etc/webstack/secrets/access-key"] == plaintexts[1]
        assert uploader["/etc/webstack/secrets/secret-key"] == plaintexts[2]
        assert "$(cat /etc/webstack/secrets/secret-key)@" in uploader["/etc/webstack/mc-env.sh"]
        assert f"@{component}-st-minio:9000" in uploader["/etc/webstack/mc-env.sh"]
    assert (
        files("bkpg-dump")["/etc/webstack/secrets/backup.pgpass"]
        == f"*:*:app:backup:{generated('bkpg-db-backup-password')}\n"
    )
    cnf = configparser.ConfigParser()
    cnf.read_string(files("bkmy-dump")["/etc/webstack/secrets/backup.cnf"])
    assert dict(cnf["client"]) == {
        "user": "backup",
        "password": generated("bkmy-db-backup-password"),
        "host": "bkmy-db-primary",
        "port": "3306",
        "ssl-mode": "VERIFY_IDENTITY",
        "ssl-ca": "/etc/webstack/tls/ca.crt",
    }
    assert files("bkpg-dump")["/etc/webstack/tls/ca.crt"] == one("bkpg-ca-cert").outputs["certPem"]


# -- the schedule ------------------------------------------------------------------------------------------------------
def test_the_schedule_follows_the_settings(postgres: Backups, mysql: Backups) -> None:
    pg = files("bkpg-dump")["/etc/webstack/backup.sh"]
    assert '[ "$(date -u +%H)" = "02" ]' in pg
    assert '[ "$(date -u +%u)" = "7" ]; then prefixes="daily weekly"' in pg
    assert (
        'pg_dump --format=custom --compress=6 --no-password --file="$outbox/$name.partial" "host=bkpg-db-primary '
        'port=5432 user=backup dbname=app sslmode=verify-full sslrootcert=/etc/webstack/tls/ca.crt"'
    ) in pg
    my = files("bkmy-dump")["/etc/webstack/backup.sh"]
    assert '[ "$(date -u +%H)" = "23" ]' in my
    assert "set -euo pipefail" in my
    assert (
        "mysqldump --defaults-extra-file=/etc/webstack/secrets/backup.cnf --single-transaction --quick --routines "
        '--triggers --events --set-gtid-purged=OFF --no-tablespaces app | gzip -6 > "$outbox/$name.partial"'
    ) in my
    assert one("bkmy-dump").inputs["entrypoints"] == ["/bin/bash", "/etc/webstack/backup.sh"]
    assert one("bkpg-dump").inputs["entrypoints"] == ["/bin/sh", "/etc/webstack/backup.sh"]
    assert files("bkpg-upload")["/etc/webstack/upload.sh"] == upload_script()


def test_retention_is_the_buckets_lifecycle(postgres: Backups) -> None:
    lifecycle = json.loads(files("bkpg-st-setup")["/etc/webstack/lifecycle/backups.json"])
    assert lifecycle == backups_lifecycle(docker_settings())
    days = {rule["Filter"]["Prefix"]: rule["Expiration"]["Days"] for rule in lifecycle["Rules"]}
    assert days == {"daily/": 30, "weekly/": 90}
    upload = upload_script()
    assert 'mc cp --quiet "$dump" "store/backups/$prefix/$name"' in upload


# -- the scripts, run ----------------------------------------------------------------------------------------------
DATE_STUB = """case "$*" in
    *T%H%M%SZ*) echo 20241124T020000Z ;;
    *%Y-%m-%d*) echo 2024-11-24 ;;
    *%H*) echo "$HOUR" ;;
    *%u*) echo "$DOW" ;;
    *%s*) echo "$NOW" ;;
esac"""


def stubs(tmp_path: Path, commands: dict[str, str]) -> Path:
    """The stub commands, with ``date`` answering for :data:`NOW` and ``sleep`` failing (one pass of a loop)."""
    return stub_commands(tmp_path, {"date": DATE_STUB, "sleep": "exit 1", **commands})


def run(shell: str, script: str, bin_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """One pass of a loop script: the stub ``sleep`` fails, which ends it under ``set -e``."""
    environ = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "HOUR": "02",
        "DOW": "7",
        "NOW": str(NOW),
        **env,
    }
    return subprocess.run([shell, "-c", script], env=environ, capture_output=True, text=True, check=False)


@pytest.fixture
def scratch(tmp_path: Path) -> dict[str, Path]:
    config = tmp_path / "etc"
    (config / "secrets").mkdir(parents=True)
    (config / "tls").mkdir()
    (config / "secrets/backup.pgpass").write_text("*:*:app:backup:pw\n")
    (config / "secrets/access-key").write_text("BACKUPKEY")
    (config / "secrets/secret-key").write_text("backupsecret")
    (config / "tls/ca.crt").write_text("CA")
    (tmp_path / "scratch").mkdir()
    (tmp_path / "tmp").mkdir()
    return {
        "/etc/webstack": config,
        "/tmp": tmp_path / "tmp",
        "/backup": tmp_path / "scratch",
        "/var/lib/postgresql/data": tmp_path / "scratch",
        "/var/lib/mysql": tmp_path / "scratch",
    }


def test_a_sunday_dump_is_marked_daily_and_weekly_and_shipped(tmp_path: Path, scratch: dict[str, Path]) -> None:
    settings = docker_settings()
    bin_dir = stubs(
        tmp_path,
        {
            "pg_dump": 'for arg; do case "$arg" in --file=*) echo DUMP > "${arg#--file=}" ;; esac; done\n'
            'echo "pg_dump $PGPASSFILE $*" >> "$LOG"',
            "mc": 'echo "mc $* [$MC_HOST_store]" >> "$LOG"; exit "${MC_EXIT:-0}"',
        },
    )
    log, work = tmp_path / "log", scratch["/backup"]
    (scratch["/etc/webstack"] / "mc-env.sh").write_text(
        localize(files("bkpg-upload")["/etc/webstack/mc-env.sh"], scratch)
    )
    backup = localize(backup_script(settings, "primary"), scratch)
    assert run("dash", backup, bin_dir, LOG=str(log)).returncode == 1  # the loop's sleep
    name = "app-20241124T020000Z.dump"
    assert (work / "outbox" / name).read_text() == "DUMP\n"
    assert (work / "outbox" / f"{name}.ready").read_text() == "daily weekly\n"
    assert not list((work / "outbox").glob("*.partial"))
    assert (work / "state/last-run").read_text() == "2024-11-24\n"
    assert (work / "state/last-success").read_text() == f"{NOW}\n", "the first start counts as a success"
    [dump] = log.read_text().splitlines()
    assert dump.startswith(f"pg_dump {scratch['/etc/webstack']}/secrets/backup.pgpass --format=custom --compress=6")
    # The same hour again: today's dump exists, no second one.
    run("dash", backup, bin_dir, LOG=str(log))
    assert len(log.read_text().splitlines()) == 1
    # The uploader ships it under both prefixes, deletes it and beats.
    upload = localize(upload_script(), scratch)
    assert run("dash", upload, bin_dir, LOG=str(log), NOW=str(NOW + 60)).returncode == 1
    shipped = log.read_text().splitlines()[1:]
    host = "[https://BACKUPKEY:backupsecret@bkpg-st-minio:9000]"
    assert shipped == [
        f"mc cp --quiet {work}/outbox/{name} store/backups/daily/{name} {host}",
        f"mc cp --quiet {work}/outbox/{name} store/backups/weekly/{name} {host}",
    ]
    assert list((work / "outbox").iterdir()) == []
    assert (work / "state/last-success").read_text() == f"{NOW + 60}\n"
    assert (scratch["/tmp"] / "alive").read_text() == f"{NOW + 60}\n"
    metrics = (work / "metrics/backup.prom").read_text()
    assert "webstack_backup_failures_total 0\n" in metrics
    assert f"webstack_backup_last_success_timestamp_seconds {NOW + 60}\n" in metrics


def test_weekdays_are_daily_only_and_other_hours_do_nothing(tmp_path: Path, scratch: dict[str, Path]) -> None:
    bin_dir = stubs(tmp_path, {"pg_dump": 'for arg; do case "$arg" in --file=*) : > "${arg#--file=}" ;; esac; done'})
    backup = localize(backup_script(docker_settings(), "primary"), scratch)
    run("dash", backup, bin_dir, HOUR="01")
    assert list((scratch["/backup"] / "outbox").iterdir()) == []
    run("dash", backup, bin_dir, DOW="3")
    [ready] = (scratch["/backup"] / "outbox").glob("*.ready")
    assert ready.read_text() == "daily\n"


def test_failures_are_counted_and_nothing_is_lost(tmp_path: Path, scratch: dict[str, Path]) -> None:
    bin_dir = stubs(tmp_path, {"pg_dump": "exit 1", "mc": "exit 1"})
    work = scratch["/backup"]
    backup = localize(backup_script(docker_settings(), "primary"), scratch)
    run("dash", backup, bin_dir)
    assert list((work / "outbox").iterdir()) == [], "a failed dump leaves no partial file"
    assert not (work / "state/last-run").exists(), "it tries again in a minute"
    assert (work / "state/failures").read_text() == "1\n"
    assert "webstack_backup_failures_total 1\n" in (work / "metrics/backup.prom").read_text()
    # A finished dump whose upload fails stays in the outbox.
    (work / "outbox/app-x.dump").write_text("DUMP")
    (work / "outbox/app-x.dump.ready").write_text("daily\n")
    (scratch["/etc/webstack"] / "mc-env.sh").write_text("MC_HOST_store=x\n")
    run("dash", localize(upload_script(), scratch), bin_dir)
    assert sorted(p.name for p in (work / "outbox").iterdir()) == ["app-x.dump", "app-x.dump.ready"]
    assert (work / "state/failures").read_text() == "2\n"
    assert (work / "state/last-success").read_text() == f"{NOW}\n"


def test_the_mysql_dump_is_compressed(tmp_path: Path, scratch: dict[str, Path]) -> None:
    bin_dir = stubs(tmp_path, {"mysqldump": 'echo "CREATE TABLE t (id int);"; echo "$*" > "$LOG"'})
    settings = docker_settings(database={"engine": "mysql"})
    result = run("bash", localize(backup_script(settings, "primary"), scratch), bin_dir, LOG=str(tmp_path / "log"))
    assert result.returncode == 1, result.stderr
    [dump] = (scratch["/backup"] / "outbox").glob("*.sql.gz")
    assert dump.name == "app-20241124T020000Z.sql.gz"
    assert subprocess.run(["gunzip", "-c", str(dump)], capture_output=True, text=True, check=True).stdout == (
        "CREATE TABLE t (id int);\n"
    )
    assert "--single-transaction" in (tmp_path / "log").read_text()


def test_the_heartbeat_check(tmp_path: Path, scratch: dict[str, Path], postgres: Backups) -> None:
    check = one("bkpg-dump").inputs["healthcheck"]
    assert check["tests"] == [
        "CMD-SHELL",
        '[ "$(( $(date +%s) - $(cat /var/lib/postgresql/data/state/last-success) ))" -lt 93600 ]',
    ]
    assert HEARTBEAT_MAX_AGE_SECONDS == 26 * 3600
    bin_dir = stubs(tmp_path, {})
    state = scratch["/backup"] / "state"
    state.mkdir()
    command = localize(" ".join(heartbeat_check("/backup/state/last-success", HEARTBEAT_MAX_AGE_SECONDS)), scratch)
    assert run("dash", command, bin_dir).returncode != 0, "no heartbeat: unhealthy"
    (state / "last-success").write_text(f"{NOW - 25 * 3600}\n")
    assert run("dash", command, bin_dir).returncode == 0
    (state / "last-success").write_text(f"{NOW - 27 * 3600}\n")
    assert run("dash", command, bin_dir).returncode != 0
    uploader = one("bkpg-upload").inputs["healthcheck"]["tests"][1]
    assert uploader == '[ "$(( $(date +%s) - $(cat /tmp/alive) ))" -lt 300 ]'


# -- restore ---------------------------------------------------------------------------------------------------------
def test_the_postgres_restore_command(postgres: Backups) -> None:
    command = restore_command(docker_settings(), "webstack-prod-backups-upload", "webstack-prod-database-primary")
    fetch, restore = command.split(" \\\n  | ")
    assert shlex.split(fetch) == [
        "docker",
        "exec",
        "webstack-prod-backups-upload",
        "sh",
        "-c",
        ". /etc/webstack/mc-env.sh && mc cat store/backups/daily/<file>",
    ]
    assert shlex.split(restore) == [
        "docker",
        "exec",
        "-i",
        "webstack-prod-database-primary",
        "sh",
        "-c",
        "PGPASSFILE=/etc/webstack/secrets/admin.pgpass pg_restore --clean --if-exists --exit-on-error "
        "--no-password --host=/var/run/postgresql --port=5432 --username=webstack_admin --dbname=app",
    ]
    assert postgres.restore_instructions.splitlines()[1] == list_command("webstack-test-bkpg-upload")
    assert "docker exec -i webstack-test-bkpg-db-primary sh -c" in postgres.restore_instructions
    assert "mc cat store/backups/weekly/x.dump" in restore_command(docker_settings(), "u", "p", "weekly/x.dump")


def test_the_mysql_restore_command(mysql: Backups) -> None:
    command = restore_command(docker_settings(database={"engine": "mysql"}), "u", "p", "daily/app-1.sql.gz")
    fetch, restore = command.split(" \\\n  | ")
    assert shlex.split(fetch)[-1] == ". /etc/webstack/mc-env.sh && mc cat store/backups/daily/app-1.sql.gz"
    assert shlex.split(restore) == [
        "docker",
        "exec",
        "-i",
        "p",
        "sh",
        "-c",
        "gunzip | mysql --defaults-extra-file=/etc/webstack/secrets/admin.cnf app",
    ]
    assert "webstack-test-bkmy-db-primary" in mysql.restore_instructions
    for secret in (generated("bkmy-db-admin-password"), generated("bkmy-st-backup-secret-key")):
        assert secret not in mysql.restore_instructions
