"""The docker Database component: hardened containers, generated credentials that exist only in secret uploads, TLS
from the internal CA, PostgreSQL streaming replication (configuration, pg_hba, init script, the replica's clone) and
MySQL GTID replication, the exporters, and the file delivery to read-only containers."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pulumi_docker as docker
import pytest

from components.docker.common import REVISION_ENV, ContainerSpec, HealthCheck, Upload
from components.docker.database import Database, DatabaseArgs
from components.docker.database_config import (
    APP_USER,
    BACKUP_USER,
    MONITOR_USER,
    REPLICATION_USER,
    mysql_cnf,
    mysql_primary_init,
    mysql_replica_init,
    pg_hba_conf,
    pg_hba_rules,
    postgres_init_sql,
    postgres_start_script,
    postgresql_conf,
    replication_slot,
)
from components.docker.network import Network, NetworkArgs
from components.docker.platform import database_args
from components.docker.tls_ca import InternalCa, InternalCaArgs, configured_container
from components.settings import Settings
from stackcheck.engine.resources import RecordedResource, is_secret, redact
from tests.components.docker_support import (
    assert_locked_down,
    built_alike,
    docker_settings,
    envs,
    files,
    generated,
    localize,
    stub_commands,
    under,
    unwrap,
)
from tests.conftest import construct, one, registered

DB_IMAGE = "sha256:" + "d" * 64
EXPORTER_IMAGE = "sha256:" + "e" * 64
DATA_NETWORK = "webstack-test-data"
PASSWORDS = ("admin", "app", "replication", "monitor", "backup")


def password(name: str) -> str:
    return generated(f"{name}-password")


def conf(text: str) -> dict[str, str]:
    """postgresql.conf back into a dict (quotes removed)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition(" = ")
            values[key] = value[1:-1].replace("''", "'") if value.startswith("'") else value
    return values


def build(name: str, settings: Settings, ca: bool = False) -> Database:
    def factory() -> Database:
        network = Network(f"{name}-net", NetworkArgs())
        authority = InternalCa(f"{name}-shared-ca", InternalCaArgs()) if ca else None
        built = Database(name, database_args(settings, network.data_network, DB_IMAGE, EXPORTER_IMAGE, authority))
        # A resource that takes the endpoint's password shows whether it is a secret.
        docker.Volume(f"{name}-probe", labels=[docker.VolumeLabelArgs(label="password", value=built.endpoint.password)])
        return built

    return construct(factory)


@pytest.fixture(scope="module")
def postgres() -> Database:
    return build("pgdb", docker_settings())


@pytest.fixture(scope="module")
def mysql() -> Database:
    return build("mydb", docker_settings(database={"engine": "mysql", "version": "8.4"}))


def assert_hardened(resource: RecordedResource, user: str, role: str) -> None:
    inputs = resource.inputs
    assert_locked_down(inputs, user)
    assert not inputs["user"].startswith(("0:", "root"))
    assert inputs["mustRun"] is True
    assert inputs["ports"] == []
    assert inputs["healthcheck"]["tests"]
    assert inputs["memory"] > 0
    assert inputs["memory"] == inputs["memorySwap"]
    assert inputs["uploads"] == [], "files come through the seed, the service's root stays read-only"
    assert {"label": "webstack.role", "value": role} in inputs["labels"]
    assert [network["name"] for network in inputs["networksAdvanced"]] == [DATA_NETWORK]


def assert_seeded(name: str) -> None:
    """The container's files come from a seed: a stopped, unprivileged, non-root container that shares a config
    volume with it; the service depends on it and carries its id."""
    service, seed, config = one(name), one(f"{name}-seed"), one(f"{name}-config")
    assert seed.inputs["user"] == service.inputs["user"]
    assert seed.inputs["capabilities"] == {"drops": ["ALL"], "adds": []}
    assert seed.inputs["securityOpts"] == ["no-new-privileges:true"]
    assert seed.inputs["entrypoints"] == ["true"]
    assert seed.inputs["restart"] == "no"
    assert seed.inputs["mustRun"] is False
    assert seed.inputs["ports"] == []
    assert all(upload["file"].startswith("/etc/webstack/") for upload in unwrap(seed.inputs["uploads"]))
    uid, _, gid = service.inputs["user"].partition(":")
    for upload in unwrap(seed.inputs["uploads"]):
        assert (upload["owner"], upload["group"]) == (uid, gid), "files belong to the service's user"
        secret = "/secrets/" in upload["file"] or upload["file"].endswith(".key")
        assert upload["permissions"] == ("0400" if secret else "0440"), upload["file"]
    assert seed.inputs["networkMode"] == "none"
    for container in (service, seed):
        mount = {m["target"]: m for m in container.inputs["mounts"]}["/etc/webstack"]
        assert mount["source"] == config.inputs["name"]
    assert seed.urn in service.dependencies
    assert envs(name)[REVISION_ENV] == seed.id
    # The config volume and the seed are labelled apart from the data roles: regenerated files, not data.
    role = next(label["value"] for label in service.inputs["labels"] if label["label"] == "webstack.role")
    assert {"label": "webstack.role", "value": f"config-{role}"} in config.inputs["labels"]
    assert {"label": "webstack.role", "value": f"{role}-seed"} in seed.inputs["labels"]
    assert not config.protect


# -- defaults are secure ---------------------------------------------------------------------------------------------
def test_postgres_defaults_are_secure(postgres: Database) -> None:
    assert_hardened(one("pgdb-primary"), "70:70", "db-primary")
    assert_hardened(one("pgdb-replica"), "70:70", "db-replica")
    for role in ("primary", "replica"):
        assert_hardened(one(f"pgdb-exporter-{role}"), "65534:65534", "exporter-postgres")
        for name in (f"pgdb-{role}", f"pgdb-exporter-{role}"):
            assert_seeded(name)
        data = one(f"pgdb-{role}-data")
        assert data.protect
        assert data.retain_on_delete
        mounts = {m["target"]: m for m in one(f"pgdb-{role}").inputs["mounts"]}
        assert mounts["/var/lib/postgresql/data"]["source"] == data.inputs["name"]
        assert {"/tmp", "/var/run/postgresql", "/docker-entrypoint-initdb.d"} <= {
            target for target, mount in mounts.items() if mount["type"] == "tmpfs"
        }
    assert one("pgdb-replica").dependencies.count(one("pgdb-primary").urn) == 1
    assert postgres.containers == [postgres.primary, postgres.replica, *postgres.exporters]
    assert one("pgdb-primary").inputs["networksAdvanced"][0]["aliases"] == ["pgdb-primary"]


def test_mysql_defaults_are_secure(mysql: Database) -> None:
    assert_hardened(one("mydb-primary"), "999:999", "db-primary")
    assert_hardened(one("mydb-replica"), "999:999", "db-replica")
    for role in ("primary", "replica"):
        assert_hardened(one(f"mydb-exporter-{role}"), "65534:65534", "exporter-mysql")
        assert_seeded(f"mydb-{role}")
        data = one(f"mydb-{role}-data")
        assert data.protect
        assert data.retain_on_delete
        mounts = {m["target"]: m["source"] for m in one(f"mydb-{role}").inputs["mounts"] if m["type"] == "volume"}
        assert mounts["/var/lib/mysql"] == data.inputs["name"]
    assert mysql.admin_user == "root"


@pytest.mark.parametrize("prefix", ["pgdb", "mydb"])
def test_passwords_are_generated_and_only_in_secret_uploads(postgres: Database, mysql: Database, prefix: str) -> None:
    plaintexts = {key: password(f"{prefix}-{key}") for key in PASSWORDS}
    for key in PASSWORDS:
        generator = one(f"{prefix}-{key}-password")
        assert generator.type == "random:index/randomPassword:RandomPassword"
        assert generator.inputs["length"] >= 32
        assert generator.inputs["special"] is False
    for resource in registered(prefix):
        visible = json.dumps(redact(resource.inputs))
        leaked = [key for key, text in plaintexts.items() if text in visible]
        assert not leaked, f"{resource.name} shows the {leaked} password outside a secret"
        if resource.type == "docker:index/container:Container" and resource.inputs.get("uploads"):
            assert is_secret(resource.inputs["uploads"]), f"{resource.name}'s uploads hold secrets"
    assert is_secret(one(f"{prefix}-probe").inputs["labels"]), "the endpoint's password is a secret"
    primary = files(f"{prefix}-primary")
    assert primary["/etc/webstack/secrets/admin-password"] == plaintexts["admin"]
    for key in ("app", "replication", "monitor", "backup"):
        assert primary[f"/etc/webstack/secrets/{key}-password"] == plaintexts[key]


def test_postgres_credentials_reach_the_server_as_files(postgres: Database) -> None:
    env = envs("pgdb-primary")
    assert env["POSTGRES_PASSWORD_FILE"] == "/etc/webstack/secrets/admin-password"
    assert "POSTGRES_PASSWORD" not in env
    assert env["POSTGRES_USER"] == "webstack_admin" == postgres.admin_user
    assert (
        files("pgdb-primary")["/etc/webstack/secrets/admin.pgpass"]
        == f"*:*:*:webstack_admin:{password('pgdb-admin')}\n"
    )
    replica = files("pgdb-replica")
    assert replica["/etc/webstack/secrets/replication.pgpass"] == (
        f"*:*:replication:{REPLICATION_USER}:{password('pgdb-replication')}\n"
    )
    assert not any(path.endswith("admin-password") for path in replica), "the replica never needs the superuser"
    exporter = envs("pgdb-exporter-primary")
    assert exporter["DATA_SOURCE_USER"] == MONITOR_USER
    assert exporter["DATA_SOURCE_PASS_FILE"] == "/etc/webstack/secrets/monitor-password"
    assert exporter["DATA_SOURCE_URI"] == (
        "pgdb-primary:5432/postgres?sslmode=verify-full&sslrootcert=/etc/webstack/tls/ca.crt"
    )
    assert envs("pgdb-exporter-replica")["DATA_SOURCE_URI"].startswith("pgdb-replica:5432/")
    assert files("pgdb-exporter-primary")["/etc/webstack/secrets/monitor-password"] == password("pgdb-monitor")
    assert postgres.backup_user == BACKUP_USER


def test_mysql_credentials_reach_the_server_as_files(mysql: Database) -> None:
    primary, replica = envs("mydb-primary"), envs("mydb-replica")
    assert primary["MYSQL_ROOT_PASSWORD_FILE"] == "/etc/webstack/secrets/admin-password"
    assert primary["MYSQL_PASSWORD_FILE"] == "/etc/webstack/secrets/app-password"
    assert (primary["MYSQL_USER"], primary["MYSQL_DATABASE"]) == (APP_USER, "app")
    assert primary["MYSQL_ROOT_HOST"] == "localhost"
    assert "MYSQL_ROOT_PASSWORD" not in primary
    assert "MYSQL_PASSWORD" not in primary
    assert primary["MYSQL_INITDB_SKIP_TZINFO"] == replica["MYSQL_INITDB_SKIP_TZINFO"] == "1"
    assert "MYSQL_USER" not in replica, "the replica gets its users from the primary's binary log"
    cnf = configparser.ConfigParser()
    cnf.read_string(files("mydb-exporter-primary")["/etc/webstack/secrets/exporter.cnf"])
    assert dict(cnf["client"]) == {
        "user": MONITOR_USER,
        "password": password("mydb-monitor"),
        "host": "mydb-primary",
        "port": "3306",
        "ssl-mode": "VERIFY_IDENTITY",
        "ssl-ca": "/etc/webstack/tls/ca.crt",
    }
    assert one("mydb-exporter-replica").inputs["command"] == [
        "--config.my-cnf=/etc/webstack/secrets/exporter.cnf",
        "--mysqld.address=mydb-replica:3306",
    ]


# -- TLS --------------------------------------------------------------------------------------------------------------
def test_servers_get_certificates_from_the_internal_ca(postgres: Database) -> None:
    ca = one("pgdb-ca-cert")
    assert ca.inputs["isCaCertificate"] is True
    for role in ("primary", "replica"):
        request = one(f"pgdb-{role}-tls-csr")
        assert request.inputs["dnsNames"] == [f"pgdb-{role}", f"webstack-test-pgdb-{role}", "localhost"]
        cert = one(f"pgdb-{role}-tls-cert")
        assert "server_auth" in cert.inputs["allowedUses"]
        assert cert.inputs["caCertPem"] == ca.outputs["certPem"]
        assert is_secret(cert.inputs["caPrivateKeyPem"])
        delivered = files(f"pgdb-{role}")
        assert delivered["/etc/webstack/tls/server.crt"] == cert.outputs["certPem"]
        assert delivered["/etc/webstack/tls/server.key"] == one(f"pgdb-{role}-tls-key").outputs["privateKeyPem"]
        assert delivered["/etc/webstack/tls/ca.crt"] == ca.outputs["certPem"]
        settings = conf(delivered["/etc/webstack/postgresql.conf"])
        assert settings["ssl"] == "on"
        assert settings["ssl_min_protocol_version"] == "TLSv1.2"
        assert settings["ssl_cert_file"] == "/etc/webstack/tls/server.crt"
        # PostgreSQL accepts a key its owner alone may read: the upload is 0400, owned by postgres (see assert_seeded).
        assert settings["ssl_key_file"] == "/etc/webstack/tls/server.key"
    assert postgres.endpoint.ca_pem is postgres.ca_pem


def test_a_shared_ca_is_used_when_given() -> None:
    build("pgshared", docker_settings(), ca=True)
    assert registered("pgshared-ca") == []
    assert one("pgshared-primary-tls-cert").inputs["caCertPem"] == one("pgshared-shared-ca-cert").outputs["certPem"]


def test_endpoint_and_scrape_targets(postgres: Database, mysql: Database) -> None:
    endpoint = postgres.endpoint
    assert (endpoint.engine, endpoint.host, endpoint.replica_hosts) == ("postgres", "pgdb-primary", ("pgdb-replica",))
    assert (endpoint.port, endpoint.name, endpoint.user) == (5432, "app", APP_USER)
    assert [(t.job, t.address) for t in postgres.scrape_targets] == [
        ("database", "pgdb-exporter-primary:9187"),
        ("replica", "pgdb-exporter-replica:9187"),
    ]
    assert [t.address for t in mysql.scrape_targets] == ["mydb-exporter-primary:9104", "mydb-exporter-replica:9104"]
    assert (mysql.endpoint.engine, mysql.endpoint.port) == ("mysql", 3306)
    assert postgres.primary_container_name == "webstack-test-pgdb-primary"
    assert (postgres.backup_user, mysql.backup_user) == (BACKUP_USER, BACKUP_USER)


def test_health_checks(postgres: Database, mysql: Database) -> None:
    assert one("pgdb-primary").inputs["healthcheck"]["tests"] == [
        "CMD",
        "pg_isready",
        "--quiet",
        "--host=/var/run/postgresql",
        "--port=5432",
    ]
    assert one("pgdb-replica").inputs["healthcheck"]["startPeriod"] == "600s", "the first clone takes time"
    assert one("mydb-primary").inputs["healthcheck"]["tests"] == [
        "CMD",
        "mysqladmin",
        "ping",
        "--silent",
        "--socket=/var/run/mysqld/mysqld.sock",
    ]
    assert one("pgdb-exporter-primary").inputs["healthcheck"]["tests"] == [
        "CMD",
        "wget",
        "-q",
        "-O",
        "/dev/null",
        "http://127.0.0.1:9187/",
    ]


# -- PostgreSQL replication --------------------------------------------------------------------------------------------
def test_postgresql_conf_replication_and_guides_settings() -> None:
    port = docker_settings().database.effective_port
    primary = conf(postgresql_conf(port, "primary"))
    replica = conf(postgresql_conf(port, "replica", primary_host="pgdb-primary", slot="pgdb_replica"))
    for values in (primary, replica):
        assert values["wal_level"] == "replica"
        assert int(values["max_wal_senders"]) >= 2
        assert int(values["max_replication_slots"]) >= 1
        assert values["max_slot_wal_keep_size"] == "10GB"
        assert values["hot_standby"] == "on"
        assert values["password_encryption"] == "scram-sha-256"
        assert values["hba_file"] == "/etc/webstack/pg_hba.conf"
        assert values["shared_buffers"] == "256MB"  # a quarter of the container's 1024 MiB
        assert values["effective_cache_size"] == "768MB"
        assert values["max_connections"] == "100"
        assert values["log_min_duration_statement"] == "2000"  # as the aws parameter group
        assert values["log_connections"] == values["log_disconnections"] == "on"
    assert "primary_conninfo" not in primary
    conninfo = dict(part.split("=", 1) for part in replica["primary_conninfo"].split())
    assert conninfo == {
        "host": "pgdb-primary",
        "port": "5432",
        "user": REPLICATION_USER,
        "passfile": "/etc/webstack/secrets/replication.pgpass",
        "sslmode": "verify-full",
        "sslrootcert": "/etc/webstack/tls/ca.crt",
        "application_name": "pgdb_replica",
    }
    assert replica["primary_slot_name"] == "pgdb_replica"
    assert conf(postgresql_conf(port, "primary", memory_mb=4096))["shared_buffers"] == "1024MB"
    with pytest.raises(ValueError, match="primary's host"):
        postgresql_conf(port, "replica")


def test_the_deployed_replica_follows_the_primary(postgres: Database) -> None:
    slot = replication_slot("pgdb")
    assert slot == "pgdb_replica"
    replica = conf(files("pgdb-replica")["/etc/webstack/postgresql.conf"])
    assert replica["primary_slot_name"] == slot
    assert "host=pgdb-primary " in replica["primary_conninfo"]
    assert (
        f"SELECT pg_create_physical_replication_slot('{slot}');"
        in files("pgdb-primary")["/etc/webstack/initdb/10-webstack.sql"]
    )
    assert replication_slot("my-db.2") == "my_db_2_replica"


def test_pg_hba_allows_tls_and_scram_from_the_data_network_only() -> None:
    database = docker_settings(database={"databaseName": "shop"}).database.database_name
    rules = pg_hba_rules(database)
    assert rules[0] == ("local", "all", "all", "", "scram-sha-256")
    network = [rule for rule in rules if rule[0] != "local" and rule[4] != "reject"]
    assert network == [
        ("hostssl", "shop", APP_USER, "samenet", "scram-sha-256"),
        ("hostssl", "shop", BACKUP_USER, "samenet", "scram-sha-256"),
        ("hostssl", "shop", "app_reader", "samenet", "scram-sha-256"),
        ("hostssl", "postgres", MONITOR_USER, "samenet", "scram-sha-256"),
        ("hostssl", "replication", REPLICATION_USER, "samenet", "scram-sha-256"),
    ]
    assert rules[-4:] == [
        ("host", "all", "all", "0.0.0.0/0", "reject"),
        ("host", "all", "all", "::/0", "reject"),
        ("host", "replication", "all", "0.0.0.0/0", "reject"),
        ("host", "replication", "all", "::/0", "reject"),
    ]
    assert "webstack_admin" not in {rule[2] for rule in rules}, "the superuser never logs in over the network"
    parsed = [line.split() for line in pg_hba_conf(database).splitlines() if line and not line.startswith("#")]
    assert parsed[0] == ["local", "all", "all", "scram-sha-256"]
    assert [tuple(line) for line in parsed[1:]] == [tuple(part for part in rule if part) for rule in rules[1:]]
    assert not {"trust", "password", "md5", "ident"} & {line[-1] for line in parsed}


def test_init_sql_creates_the_roles_and_locks_the_database_down() -> None:
    sql = postgres_init_sql(docker_settings().database.database_name, ["pgdb_replica"])
    for variable, file in (
        ("app_password", "app-password"),
        ("replication_password", "replication-password"),
        ("monitor_password", "monitor-password"),
        ("backup_password", "backup-password"),
    ):
        assert f"\\set {variable} `cat /etc/webstack/secrets/{file}`" in sql
        assert f":'{variable}'" in sql
    statements = [line for line in sql.splitlines() if not line.startswith(("\\", "--"))]
    assert statements == [
        "CREATE ROLE app LOGIN PASSWORD :'app_password';",
        "CREATE ROLE replicator LOGIN REPLICATION CONNECTION LIMIT 5 PASSWORD :'replication_password';",
        "CREATE ROLE monitor LOGIN CONNECTION LIMIT 5 PASSWORD :'monitor_password';",
        "GRANT pg_monitor TO monitor;",
        "CREATE ROLE backup LOGIN CONNECTION LIMIT 3 PASSWORD :'backup_password';",
        "GRANT pg_read_all_data TO backup;",
        "CREATE DATABASE app OWNER app;",
        "REVOKE ALL ON DATABASE app FROM PUBLIC;",
        "GRANT CONNECT, TEMPORARY ON DATABASE app TO app;",
        "GRANT CONNECT ON DATABASE app TO backup;",
        "REVOKE ALL ON DATABASE postgres FROM PUBLIC;",
        "GRANT CONNECT ON DATABASE postgres TO monitor;",
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;",
        "ALTER SCHEMA public OWNER TO app;",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        "SELECT pg_create_physical_replication_slot('pgdb_replica');",
    ]
    assert "\\connect app" in sql


def test_the_primary_start_script_installs_the_init_script(postgres: Database) -> None:
    delivered = files("pgdb-primary")
    assert "/etc/webstack/initdb/10-webstack.sql" in delivered
    script = delivered["/etc/webstack/start.sh"]
    assert "cp /etc/webstack/initdb/*.sql /docker-entrypoint-initdb.d/" in script
    assert script.rstrip().endswith("exec docker-entrypoint.sh postgres -c config_file=/etc/webstack/postgresql.conf")
    assert "pg_basebackup" not in script
    assert one("pgdb-primary").inputs["entrypoints"] == ["/bin/sh", "/etc/webstack/start.sh"]
    assert envs("pgdb-primary")["PGDATA"] == "/var/lib/postgresql/data/pgdata"


def test_the_replica_start_script_clones_the_primary_once(tmp_path: Path) -> None:
    script = postgres_start_script(docker_settings().database.effective_port, "replica", "pgdb-primary", "pgdb_replica")
    assert 'pg_basebackup --pgdata="$PGDATA" -X stream \\\n        -S pgdb_replica --checkpoint=fast' in script
    assert "sslmode=verify-full sslrootcert=/etc/webstack/tls/ca.crt" in script
    assert "-R" not in script.split(), "standby.signal is written by the script; primary_conninfo is generated"
    # Run it: stubs stand in for the PostgreSQL tools, paths are moved into a scratch directory.
    root = tmp_path / "root"
    (root / "etc/webstack/secrets").mkdir(parents=True)
    (root / "etc/webstack/secrets/replication.pgpass").write_text("*:*:replication:replicator:pw\n")
    (root / "var/lib/postgresql/data").mkdir(parents=True)
    bin_dir = stub_commands(
        tmp_path,
        {
            "pg_isready": "exit 0",
            "pg_basebackup": 'echo "$PGPASSFILE $*" >> "$LOG"; mkdir -p "$PGDATA"; echo 16 > "$PGDATA/PG_VERSION"',
            "docker-entrypoint.sh": 'echo "entrypoint $*" >> "$LOG"',
        },
    )
    local = localize(script, under(root, "/etc/webstack", "/var/lib/postgresql/data", "/var/run/postgresql"))
    env = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "LOG": str(tmp_path / "log"),
        "PGDATA": str(root / "var/lib/postgresql/data/pgdata"),
    }
    for _ in range(2):
        subprocess.run(["dash", "-c", local], check=True, env=env)
    log = (tmp_path / "log").read_text().splitlines()
    assert len([line for line in log if "--pgdata=" in line]) == 1, "the second start finds the clone"
    assert log[0].startswith(f"{root}/etc/webstack/secrets/replication.pgpass --pgdata=")
    assert log[1:] == [f"entrypoint postgres -c config_file={root}/etc/webstack/postgresql.conf"] * 2
    data = root / "var/lib/postgresql/data"
    assert (data / "pgdata/standby.signal").exists()
    assert (data / ".webstack-replica-cloned").exists()


# -- MySQL replication -------------------------------------------------------------------------------------------------
def mysqld(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser()
    parser.read_string(text)
    return dict(parser["mysqld"])


def test_mysql_gtid_replication_and_tls_settings(mysql: Database) -> None:
    primary = mysqld(files("mydb-primary")["/etc/webstack/mysql.cnf"])
    replica = mysqld(files("mydb-replica")["/etc/webstack/mysql.cnf"])
    for values in (primary, replica):
        assert values["gtid_mode"] == values["enforce_gtid_consistency"] == "ON"
        assert values["require_secure_transport"] == "ON"
        assert values["tls_version"] == "TLSv1.2,TLSv1.3"
        assert (values["ssl_ca"], values["ssl_cert"], values["ssl_key"]) == (
            "/etc/webstack/tls/ca.crt",
            "/etc/webstack/tls/server.crt",
            "/etc/webstack/tls/server.key",
        )
        assert values["binlog_format"] == "ROW"
        assert values["log_replica_updates"] == "ON"
        assert values["slow_query_log"] == "ON"
        assert values["long_query_time"] == "2"
        assert values["local_infile"] == "OFF"
        assert values["mysqlx"] == "OFF"
        assert values["innodb_buffer_pool_size"] == "512M"
    assert (primary["server_id"], replica["server_id"]) == ("1", "2")
    assert "read_only" not in primary
    assert replica["read_only"] == "ON"
    assert (
        mysqld(mysql_cnf(docker_settings(database={"engine": "mysql"}).database.effective_port, "primary", 7))[
            "server_id"
        ]
        == "7"
    )


def test_mysql_init_scripts_create_tls_users_and_start_replication(mysql: Database) -> None:
    database = docker_settings(database={"engine": "mysql"}).database
    primary = mysql_primary_init(database.database_name)
    assert 'replication_password="$(cat /etc/webstack/secrets/replication-password)"' in primary
    assert "CREATE USER 'replicator'@'%' IDENTIFIED BY '${replication_password}' REQUIRE SSL;" in primary
    assert "GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'%';" in primary
    assert "ALTER USER 'app'@'%' REQUIRE SSL;" in primary
    assert "GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO 'monitor'@'%';" in primary
    assert "GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON app.* TO 'backup'@'%';" in primary
    assert "`" not in primary, "no backquotes in an unquoted here-document"
    replica = mysql_replica_init(database.effective_port, "mydb-primary")
    change = replica[replica.index("CHANGE REPLICATION SOURCE TO") : replica.index(";", replica.index("CHANGE"))]
    options = dict(
        re.match(r"\s*(\w+)=(.*?),?$", line).groups()  # type: ignore[union-attr]
        for line in change.splitlines()[1:]
    )
    assert options == {
        "SOURCE_HOST": "'mydb-primary'",
        "SOURCE_PORT": "3306",
        "SOURCE_USER": "'replicator'",
        "SOURCE_PASSWORD": "'${replication_password}'",
        "SOURCE_SSL": "1",
        "SOURCE_SSL_CA": "'/etc/webstack/tls/ca.crt'",
        "SOURCE_SSL_VERIFY_SERVER_CERT": "1",
        "SOURCE_AUTO_POSITION": "1",
        "SOURCE_CONNECT_RETRY": "10",
        "SOURCE_RETRY_COUNT": "8640",
    }
    assert "START REPLICA;" in replica
    assert "SET PERSIST super_read_only = ON;" in replica
    delivered = files("mydb-replica")
    assert delivered["/etc/webstack/initdb/10-webstack.sh"] == mysql_replica_init(
        mysql_settings().database.effective_port, "mydb-primary"
    )
    assert "cp /etc/webstack/initdb/*.sh /docker-entrypoint-initdb.d/" in delivered["/etc/webstack/start.sh"]
    assert "--defaults-extra-file=/etc/webstack/mysql.cnf" in delivered["/etc/webstack/start.sh"]
    admin = configparser.ConfigParser()
    admin.read_string(files("mydb-primary")["/etc/webstack/secrets/admin.cnf"])
    assert dict(admin["client"]) == {
        "user": "root",
        "password": password("mydb-admin"),
        "socket": "/var/run/mysqld/mysqld.sock",
    }


def mysql_settings() -> Settings:
    return docker_settings(database={"engine": "mysql", "version": "8.4"})


@pytest.mark.skipif(shutil.which("bash") is None or shutil.which("dash") is None, reason="needs bash and dash")
def test_generated_scripts_parse() -> None:
    pg, my = docker_settings().database, mysql_settings().database
    scripts = [
        postgres_start_script(pg.effective_port, "primary"),
        postgres_start_script(pg.effective_port, "replica", "pgdb-primary", "pgdb_replica"),
        mysql_primary_init(my.database_name),
        mysql_replica_init(my.effective_port, "mydb-primary"),
    ]
    for script in scripts:
        for shell in ("bash", "dash"):
            result = subprocess.run([shell, "-n"], input=script, text=True, capture_output=True, check=False)
            assert result.returncode == 0, result.stderr


def test_a_custom_port_reaches_every_piece() -> None:
    built = build("pgport", docker_settings(database={"port": 6543}))
    assert built.endpoint.port == 6543
    assert conf(files("pgport-primary")["/etc/webstack/postgresql.conf"])["port"] == "6543"
    assert "--port=6543" in one("pgport-primary").inputs["healthcheck"]["tests"]
    assert envs("pgport-exporter-replica")["DATA_SOURCE_URI"].startswith("pgport-replica:6543/")


# -- file delivery -----------------------------------------------------------------------------------------------------
def test_delivery_refuses_files_outside_the_config_directory() -> None:
    spec = ContainerSpec(
        image="sha256:x",
        user="1000:0",
        role="test",
        networks=[],
        health=HealthCheck(["true"]),
        uploads=[Upload("/etc/passwd", "x")],
    )
    with pytest.raises(ValueError, match="uploads must be under /etc/webstack"):
        configured_container("refused", spec, pulumi.ResourceOptions())


# -- the Args as another program sees them -----------------------------------------------------------------------------
def test_the_args_defaults_are_the_settings_defaults() -> None:
    """A shard built from DatabaseArgs' own defaults is the one a stack without webstack:database builds."""

    def factory() -> None:
        network = Network("dbsame-net", NetworkArgs())
        Database("dbsame1", DatabaseArgs(network.data_network, DB_IMAGE, EXPORTER_IMAGE))
        Database("dbsame2", database_args(docker_settings(), network.data_network, DB_IMAGE, EXPORTER_IMAGE))

    construct(factory)
    assert len(registered("dbsame1")) > 10
    assert built_alike("dbsame1") == built_alike("dbsame2")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replicas": 6}, "DatabaseArgs.replicas must be between 0 and 5, got 6"),
        ({"engine": "oracle"}, "DatabaseArgs.engine must be postgres or mysql, got 'oracle'"),
        ({"port": 80}, "DatabaseArgs.port must be between 1150 and 65535, got 80"),
        ({"shard": -1}, "DatabaseArgs.shard must be 0 or more, got -1"),
        (
            {"master_username": "postgres"},
            "DatabaseArgs.master_username must not be a default user name, got 'postgres'",
        ),
        ({"database_name": "App; DROP"}, "DatabaseArgs.database_name must be lowercase letters, digits or _"),
        ({"ca_cert_pem": "-----BEGIN CERTIFICATE-----"}, "DatabaseArgs.ca_cert_pem and DatabaseArgs.ca_key_pem go"),
    ],
)
def test_a_shard_refuses_unsafe_args_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Database("dbrefused", replace(DatabaseArgs("webstack-test-data", DB_IMAGE, EXPORTER_IMAGE), **change))


def test_the_shard_presents_its_endpoint_as_outputs(postgres: Database) -> None:
    """What another program reads from the component (the schema's outputs) is the endpoint the web tier gets."""
    endpoint = postgres.endpoint
    assert (postgres.host, postgres.replica_hosts, postgres.port) == (
        endpoint.host,
        list(endpoint.replica_hosts),
        endpoint.port,
    )
    assert (postgres.engine, postgres.database_name, postgres.user) == (endpoint.engine, endpoint.name, endpoint.user)
    assert (postgres.password, postgres.ca_pem) == (endpoint.password, endpoint.ca_pem)
    assert (postgres.shard, postgres.admin_user) == (0, "webstack_admin")
