"""The docker Backups component: the hardened backup and upload containers, the daily schedule (and Sundays' weekly
copies), the dump and upload scripts (run here against stub tools), the heartbeat health check, the credentials that
stay in secret files, the retention the bucket applies, and the documented restore command."""

from __future__ import annotations

import configparser
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.docker.backups import (
    Backups,
    BackupsArgs,
    BackupShardArgs,
    list_command,
    restore_command,
    upload_script,
)
from components.docker.database import Database
from components.docker.network import Network, NetworkArgs
from components.docker.platform import backups_args, database_args, storage_args
from components.docker.storage import ObjectStorage, backups_lifecycle
from components.docker.tls_ca import InternalCa, InternalCaArgs
from components.settings import Settings
from stackcheck.engine.resources import is_secret, redact
from tests.components.docker_support import (
    assert_locked_down,
    built_alike,
    docker_settings,
    files,
    generated,
    stub_commands,
)
from tests.conftest import construct, one, registered

DB_IMAGE = "sha256:" + "d" * 64
MC_IMAGE = "sha256:" + "c" * 64
IMAGES = (DB_IMAGE, MC_IMAGE, "sha256:node-exporter")
NOW = 1_732_413_600  # 2024-11-24 02:00 UTC, a Sunday

pytestmark = pytest.mark.skipif(shutil.which("dash") is None or shutil.which("bash") is None, reason="needs shells")


def build(name: str, settings: Settings) -> Backups:
    def factory() -> Backups:
        data = Network(f"{name}-net", NetworkArgs()).data_network
        ca = InternalCa(f"{name}-ca", InternalCaArgs())
        database = Database(f"{name}-db", database_args(settings, data, DB_IMAGE, "sha256:exporter", ca))
        storage = ObjectStorage(f"{name}-st", storage_args(settings, data, "sha256:minio", MC_IMAGE, ca))
        return Backups(name, backups_args(settings, data, IMAGES, [database], storage))

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
    assert postgres.containers == [postgres.backup, postgres.uploader, postgres.metrics]
    assert one("bkpg").type == "webstack:docker:Backups"


def test_credentials_stay_in_secret_files(postgres: Backups, mysql: Backups) -> None:
    for component in ("bkpg", "bkmy"):
        plaintexts = [
            generated(f"{component}-db-backup-password"),
            generated(f"{component}-st-backup-access-key"),
            generated(f"{component}-st-backup-secret-key"),
            generated(f"{component}-encryption-key"),
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
        assert files(f"{component}-dump")["/etc/webstack/secrets/backup-key"] == plaintexts[3]
    assert (
        files("bkpg-dump")["/etc/webstack/secrets/backup-0.pgpass"]
        == f"*:*:app:backup:{generated('bkpg-db-backup-password')}\n"
    )
    cnf = configparser.ConfigParser()
    cnf.read_string(files("bkmy-dump")["/etc/webstack/secrets/backup-0.cnf"])
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
        "PGPASSFILE=/etc/webstack/secrets/backup-0.pgpass pg_dump --format=custom --compress=6 --no-password "
        '"host=bkpg-db-primary port=5432 user=backup dbname=app sslmode=verify-full '
        'sslrootcert=/etc/webstack/tls/ca.crt"'
        " | openssl enc -aes-256-cbc -pbkdf2 -iter 600000 -md sha256 -salt -pass file:/etc/webstack/secrets/backup-key"
        ' > "$outbox/$name.partial"'
    ) in pg
    my = files("bkmy-dump")["/etc/webstack/backup.sh"]
    assert '[ "$(date -u +%H)" = "23" ]' in my
    assert "set -euo pipefail" in my
    assert (
        "mysqldump --defaults-extra-file=/etc/webstack/secrets/backup-0.cnf --single-transaction --quick --routines "
        "--triggers --events --set-gtid-purged=OFF --no-tablespaces app | gzip -6 | openssl enc"
    ) in my
    assert one("bkmy-dump").inputs["entrypoints"] == ["/bin/bash", "/etc/webstack/backup.sh"]
    assert one("bkpg-dump").inputs["entrypoints"] == ["/bin/bash", "/etc/webstack/backup.sh"]
    assert files("bkpg-upload")["/etc/webstack/upload.sh"] == upload_script(1)


def test_retention_is_the_buckets_lifecycle(postgres: Backups) -> None:
    lifecycle = json.loads(files("bkpg-st-setup")["/etc/webstack/lifecycle/backups.json"])
    defaults = docker_settings()
    assert lifecycle == backups_lifecycle(defaults.backups.daily_retention_days, defaults.docker.weekly_retention_days)
    days = {rule["Filter"]["Prefix"]: rule["Expiration"]["Days"] for rule in lifecycle["Rules"]}
    assert days == {"daily/": 30, "weekly/": 90}
    upload = upload_script(1)
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


def restore_for(settings: Settings, *containers: str) -> str:
    """:func:`restore_command` for the database ``settings`` describe."""
    database = settings.database
    engine, port, name, admin = (
        database.engine,
        database.effective_port,
        database.database_name,
        database.master_username,
    )
    return restore_command(engine, port, name, admin, *containers)


def test_the_postgres_restore_command(postgres: Backups) -> None:
    command = restore_for(
        docker_settings(),
        "webstack-prod-backups-upload",
        "webstack-prod-backups-dump",
        "webstack-prod-database-primary",
    )
    fetch, decrypt, restore = command.split(" \\\n  | ")
    assert shlex.split(decrypt)[:4] == ["docker", "exec", "-i", "webstack-prod-backups-dump"]
    assert shlex.split(decrypt)[-1].startswith("openssl enc -d -aes-256-cbc -pbkdf2")
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
    assert "mc cat store/backups/weekly/x.dump" in restore_for(docker_settings(), "u", "d", "p", "weekly/x.dump")


def test_the_mysql_restore_command(mysql: Backups) -> None:
    command = restore_for(docker_settings(database={"engine": "mysql"}), "u", "d", "p", "daily/app-1.sql.gz")
    fetch, _, restore = command.split(" \\\n  | ")
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


# -- the Args as another program sees them -----------------------------------------------------------------------------
def shard_args(host: str = "db-primary") -> BackupShardArgs:
    return BackupShardArgs(host=host, backup_password="pw", primary_container_name=f"webstack-test-{host}")


def test_the_args_defaults_are_the_settings_defaults() -> None:
    """Backups built from BackupsArgs' own defaults are the ones a stack without webstack:database or
    webstack:docker builds (given the same shard and object storage)."""

    def factory() -> None:
        settings = docker_settings()
        data = Network("bksame-net", NetworkArgs()).data_network
        ca = InternalCa("bksame-ca", InternalCaArgs())
        database = Database("bksame-db", database_args(settings, data, DB_IMAGE, "sha256:exporter", ca))
        storage = ObjectStorage("bksame-st", storage_args(settings, data, "sha256:minio", MC_IMAGE, ca))
        stack = backups_args(settings, data, IMAGES, [database], storage)
        Backups("bksame2", stack)
        own = BackupsArgs(
            data_network=data,
            backup_image=IMAGES[0],
            mc_image=IMAGES[1],
            metrics_image=IMAGES[2],
            shards=[
                BackupShardArgs(
                    host=database.host,
                    backup_password=database.backup_password,
                    primary_container_name=database.primary_container_name,
                    primary=database.primary,
                )
            ],
            database_ca_pem=database.ca_pem,
            storage_host=storage.host,
            storage_ca_pem=storage.ca_pem,
            storage_access_key=storage.backup_access_key,
            storage_secret_key=storage.backup_secret_key,
            storage_setup=storage.setup,
        )
        Backups("bksame1", own)

    construct(factory)
    assert len(registered("bksame1")) > 5
    assert built_alike("bksame1") == built_alike("bksame2")
    assert one("bksame-db-primary").urn in one("bksame1-dump").dependencies
    assert one("bksame-st-setup").urn in one("bksame1-upload").dependencies


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shards": []}, "BackupsArgs.shards must name at least one shard, got []"),
        ({"engine": "oracle"}, "BackupsArgs.engine must be postgres or mysql, got 'oracle'"),
        ({"backup_hour_utc": 24}, "BackupsArgs.backup_hour_utc must be between 0 and 23, got 24"),
    ],
)
def test_backups_refuse_bad_args_naming_the_field(change: dict[str, Any], message: str) -> None:
    args = BackupsArgs("webstack-test-data", DB_IMAGE, MC_IMAGE, "sha256:node", [shard_args()], "ca", "minio", "ca",
                       "key", "secret")  # fmt: skip
    with pytest.raises(ValueError, match=re.escape(message)):
        Backups("bkrefused", replace(args, **change))


def test_the_outputs_name_the_restore_and_the_metrics(postgres: Backups) -> None:
    assert postgres.metrics_address == "bkpg-metrics:9100"
    assert [target.address for target in postgres.scrape_targets] == [postgres.metrics_address]
    assert "webstack-test-bkpg-db-primary" in postgres.restore_instructions
