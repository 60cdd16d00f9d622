"""The relational database on docker: ``webstack:database.shards`` shards, each a primary and
``webstack:database.replicas`` streaming replicas of PostgreSQL or MySQL on the data network, over TLS from the
internal CA, with a metrics exporter per server, and the shard map that routes to them.

Shards (:func:`database_shards`): shard 0 is the component ``database`` (its containers and volumes keep the names
they had before sharding: ``database-primary``, ``database-replica``, ...), shard ``k`` is ``database-shard-<k>``.
Each is independent: its own primary, replicas, credentials and volumes. :func:`docker_shard_map` publishes the same
document as the aws platform (:func:`components.shard_map.build_shard_map`: writers, readers, table routing and the
hash ring), with each shard's DNS names on the data network; the backend receives it as a file and applications
route with :mod:`components.shard_map`. Replica ``1`` of a shard is ``<shard>-replica``, replica ``i`` (2 and up)
``<shard>-replica-<i>``, each with its own replication slot on its primary.

**PostgreSQL** (``postgres:<major>-alpine``, user ``postgres``, uid and gid 70):

- the primary (role ``db-primary``) and the replica (role ``db-replica``), each with its own protected volume;
- ``postgresql.conf`` (:func:`postgresql_conf`): TLS on (``ssl_min_protocol_version = 'TLSv1.2'``),
  ``password_encryption = 'scram-sha-256'``, ``wal_level = replica`` with WAL senders and slots (a slot's WAL is capped
  by ``max_slot_wal_keep_size`` so a dead replica cannot fill the primary's disk), hot standby, memory settings
  derived from the container's memory, and the aws parameter group's logging (statements over 2 s, connections);
- ``pg_hba.conf`` (:func:`pg_hba_conf`): ``hostssl`` + ``scram-sha-256`` only, for exactly the roles that need the
  network (the app and backup roles to the app database, the monitoring role to ``postgres``, the replication role to
  ``replication``), from ``samenet``; everything else is rejected (``host all all 0.0.0.0/0 reject`` and the same for
  IPv6 and replication). ``samenet`` is the subnet of each network the server is on; the database containers join
  the data network only, so it is exactly the data network's range, whatever subnet Docker chose for it (a constant
  subnet would be a guess: network.py lets Docker pick). The superuser has no network entry at all: it logs in over
  the local socket, inside the container (restores, break-glass);
- a one-time init script (:func:`postgres_init_sql`, run by the image's entrypoint when the data directory is created)
  that creates the app role and database (``REVOKE ALL ON DATABASE ... FROM PUBLIC``), the replication role, a
  ``pg_monitor`` role for the exporter, a ``pg_read_all_data`` role for the backups, ``pg_stat_statements`` in the
  ``postgres`` database (which the exporter reads: the SlowDatabaseQueries alert's source; on a primary created before
  it was added, run ``CREATE EXTENSION pg_stat_statements`` there once), and each replica's physical replication
  slot. Passwords are read from their files by psql (``\\set x `cat file```), never written in it;
- the replica's start script (:func:`postgres_start_script`) clones the primary with ``pg_basebackup -X stream -S
  <slot>`` the first time (it waits for the primary), then starts as a hot standby whose ``primary_conninfo``
  (in the generated ``postgresql.conf``) verifies the primary's certificate (``sslmode=verify-full``) and reads the
  password from a ``passfile``. It writes ``standby.signal`` itself instead of passing ``-R``: ``-R`` would write a
  second ``primary_conninfo`` into ``postgresql.auto.conf``, overriding the generated one;
- health checks with ``pg_isready`` on the local socket.

**MySQL** (``mysql:8.x``, user ``mysql``, uid and gid 999): a primary and a replica with GTID replication
(:func:`mysql_cnf`: ``gtid_mode=ON``, ``enforce_gtid_consistency=ON``, ``require_secure_transport=ON``,
``tls_version=TLSv1.2,TLSv1.3``, the slow query log as on aws, ``read_only`` and, set persistently by its init script,
``super_read_only`` on the replica). The image's entrypoint creates the app user and database from
``MYSQL_USER``/``MYSQL_PASSWORD_FILE``/``MYSQL_DATABASE`` and root (local only) from ``MYSQL_ROOT_PASSWORD_FILE``;
the primary's init script (:func:`mysql_primary_init`) adds ``REQUIRE SSL`` users for replication, monitoring and
backups; the replica's (:func:`mysql_replica_init`) runs ``CHANGE REPLICATION SOURCE TO ... SOURCE_SSL=1,
SOURCE_SSL_VERIFY_SERVER_CERT=1, SOURCE_AUTO_POSITION=1`` and ``START REPLICA``. Health checks with ``mysqladmin
ping``. MySQL keeps the replication password in the replica's connection metadata (in its data volume), as it must
to reconnect by itself.

**Exporters** (role ``exporter-postgres`` / ``exporter-mysql``): one per server, so that the replica's lag
(``pg_replication_lag_seconds``, ``mysql_slave_status_seconds_behind_master``) is measured where it exists. They log
in as the monitoring user over verified TLS, with the password from a file. postgres-exporter runs its
``stat_statements`` collector (off by default): ``pg_stat_statements_calls_total`` and
``pg_stat_statements_seconds_total`` per statement (postgres_exporter v0.16, ``collector/pg_stat_statements.go``).

Every container runs as its image's unprivileged user with a read-only root filesystem and receives its files in its
config volume (:func:`components.docker.tls_ca.configured_container`), owned by that user: keys and password files
0400, as PostgreSQL and libpq require of files their owner reads. Sizes are module constants (the
``webstack:database`` settings describe RDS instance classes, which mean nothing here).

Re-creating the primary from an empty volume gives it a new system identifier: re-clone the replica by deleting its
container and the ``.webstack-replica-cloned`` marker in its volume (PostgreSQL), or its volume (MySQL).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_docker as docker

from ..database_roles import (
    MONITOR_PASSWORD_ENV,
    PASSWORD_ENV,
    READER_ROLE,
    mysql_roles_sql,
    postgres_roles_sql,
)
from ..settings import Settings
from ..shard_map import build_shard_map
from .common import (
    ContainerSpec,
    DatabaseEndpoint,
    HealthCheck,
    Networks,
    ScrapeTarget,
    Upload,
    volume,
)
from .tls_ca import (
    CA_FILE,
    CERT_FILE,
    KEY_FILE,
    InternalCa,
    config_path,
    configured_container,
    container_name,
    generated_secret,
    server_names,
    sql_identifier,
    tls_uploads,
)

DATABASE_TYPE = "webstack:docker:Database"
Role = Literal["primary", "replica"]

#: Memory (MiB) and CPUs of each database server; shared_buffers / the InnoDB buffer pool follow the memory.
DATABASE_MEMORY_MB = 1024
DATABASE_CPUS = 1.0
EXPORTER_MEMORY_MB = 64
EXPORTER_CPUS = 0.1
MAX_CONNECTIONS = 100

#: The roles webstack creates (the superuser's name is ``webstack:database.masterUsername``).
APP_USER = "app"
REPLICATION_USER = "replicator"
MONITOR_USER = "monitor"
BACKUP_USER = "backup"

POSTGRES_UID = 70
POSTGRES_DATA_MOUNT = "/var/lib/postgresql/data"
#: PGDATA is a directory inside the volume, so that pg_basebackup and initdb get an empty directory of their own.
PGDATA = f"{POSTGRES_DATA_MOUNT}/pgdata"
POSTGRES_SOCKET_DIR = "/var/run/postgresql"
REPLICA_MARKER = f"{POSTGRES_DATA_MOUNT}/.webstack-replica-cloned"
POSTGRES_EXPORTER_PORT = 9187
#: The exporters' images run as nobody.
EXPORTER_UID = 65534

MYSQL_UID = 999
MYSQL_DATA_MOUNT = "/var/lib/mysql"
MYSQL_RUN_DIR = "/var/run/mysqld"
MYSQL_SOCKET = f"{MYSQL_RUN_DIR}/mysqld.sock"
MYSQL_EXPORTER_PORT = 9104
#: Days the primary keeps binary logs (a replica that is away longer must be re-created).
BINLOG_RETENTION_DAYS = 7

INITDB_DIR = "/docker-entrypoint-initdb.d"


def secret_file(name: str) -> str:
    """Where a secret file is delivered."""
    return config_path("secrets", name)


# -- PostgreSQL configuration ------------------------------------------------------------------------------------------
def _quote(value: str | int) -> str:
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def shard_name(index: int, name: str = "database") -> str:
    """The component name of shard ``index``: shard 0 keeps the unsharded name."""
    return name if index == 0 else f"{name}-shard-{index}"


def replica_name(name: str, number: int) -> str:
    """The name of replica ``number`` (1-based) of the shard ``name``: the first keeps the unsuffixed name."""
    return f"{name}-replica" if number == 1 else f"{name}-replica-{number}"


def replication_slot(name: str, number: int = 1) -> str:
    """The primary's physical replication slot for replica ``number`` of the shard ``name``."""
    return sql_identifier(replica_name(name, number).replace("-", "_"))


def primary_conninfo(settings: Settings, primary_host: str, application_name: str) -> str:
    """The replica's connection to the primary: the replication role, its password from a passfile, and TLS that
    verifies the primary's certificate and name against the internal CA."""
    return (
        f"host={primary_host} port={settings.database.effective_port} user={REPLICATION_USER} "
        f"passfile={secret_file('replication.pgpass')} sslmode=verify-full sslrootcert={CA_FILE} "
        f"application_name={application_name}"
    )


def postgresql_conf(
    settings: Settings,
    role: Role,
    memory_mb: int = DATABASE_MEMORY_MB,
    primary_host: str = "",
    slot: str = "",
) -> str:
    """``postgresql.conf`` of the primary or the replica (``primary_host`` and ``slot`` are the replica's)."""
    if role == "replica" and not (primary_host and slot):
        raise ValueError("the replica's configuration needs the primary's host and the replication slot")
    values: list[tuple[str, str | int]] = [
        ("listen_addresses", "*"),
        ("port", settings.database.effective_port),
        ("max_connections", MAX_CONNECTIONS),
        ("unix_socket_directories", POSTGRES_SOCKET_DIR),
        ("hba_file", config_path("pg_hba.conf")),
        ("password_encryption", "scram-sha-256"),
        ("ssl", "on"),
        ("ssl_cert_file", CERT_FILE),
        ("ssl_key_file", KEY_FILE),
        ("ssl_min_protocol_version", "TLSv1.2"),
        ("ssl_prefer_server_ciphers", "on"),
        ("shared_buffers", f"{memory_mb // 4}MB"),
        ("effective_cache_size", f"{memory_mb * 3 // 4}MB"),
        ("maintenance_work_mem", f"{max(64, memory_mb // 16)}MB"),
        ("work_mem", "4MB"),
        ("wal_level", "replica"),
        ("max_wal_senders", 10),
        ("max_replication_slots", 10),
        ("max_slot_wal_keep_size", "10GB"),
        ("wal_compression", "on"),
        ("hot_standby", "on"),
        ("hot_standby_feedback", "on"),
        ("shared_preload_libraries", "pg_stat_statements"),
        ("log_destination", "stderr"),
        ("logging_collector", "off"),
        ("log_min_duration_statement", 2000),
        ("log_connections", "on"),
        ("log_disconnections", "on"),
        ("log_lock_waits", "on"),
        ("log_line_prefix", "%m [%p] %q%u@%d "),
        ("log_timezone", "UTC"),
        ("timezone", "UTC"),
    ]
    if role == "replica":
        values += [
            ("primary_conninfo", primary_conninfo(settings, primary_host, slot)),
            ("primary_slot_name", slot),
        ]
    lines = [f"# Generated by webstack: the {role}'s settings. Edit the program, not this file."]
    lines += [f"{key} = {_quote(value)}" for key, value in values]
    return "\n".join(lines) + "\n"


def pg_hba_rules(settings: Settings) -> list[tuple[str, str, str, str, str]]:
    """(type, database, user, address, method) in the order PostgreSQL tries them: the first match decides."""
    database = settings.database.database_name
    scram = "scram-sha-256"
    return [
        ("local", "all", "all", "", scram),
        ("hostssl", database, APP_USER, "samenet", scram),
        ("hostssl", database, BACKUP_USER, "samenet", scram),
        ("hostssl", database, READER_ROLE, "samenet", scram),
        ("hostssl", "postgres", MONITOR_USER, "samenet", scram),
        ("hostssl", "replication", REPLICATION_USER, "samenet", scram),
        ("host", "all", "all", "0.0.0.0/0", "reject"),
        ("host", "all", "all", "::/0", "reject"),
        ("host", "replication", "all", "0.0.0.0/0", "reject"),
        ("host", "replication", "all", "::/0", "reject"),
    ]


def pg_hba_conf(settings: Settings) -> str:
    """``pg_hba.conf``: TLS and SCRAM from the data network for the roles that need it, nothing else."""
    lines = [
        "# Generated by webstack. samenet: the data network, the only network the database containers join.",
        f"# {'TYPE':<8} {'DATABASE':<12} {'USER':<12} {'ADDRESS':<10} METHOD",
    ]
    lines += [
        f"{kind:<10} {db:<12} {user:<12} {address:<10} {method}"
        for kind, db, user, address, method in pg_hba_rules(settings)
    ]
    return "\n".join(lines) + "\n"


def postgres_init_sql(settings: Settings, slots: Sequence[str]) -> str:
    """The primary's one-time initialization, run by the image's entrypoint as the superuser."""
    database = settings.database.database_name
    passwords = {
        "app_password": "app-password",
        "replication_password": "replication-password",
        "monitor_password": "monitor-password",
        "backup_password": "backup-password",
    }
    lines = [
        "-- Generated by webstack: run once, when the primary's data directory is created.",
        "\\set ON_ERROR_STOP on",
        *(f"\\set {variable} `cat {secret_file(file)}`" for variable, file in passwords.items()),
        f"CREATE ROLE {APP_USER} LOGIN PASSWORD :'app_password';",
        f"CREATE ROLE {REPLICATION_USER} LOGIN REPLICATION CONNECTION LIMIT 5 PASSWORD :'replication_password';",
        f"CREATE ROLE {MONITOR_USER} LOGIN CONNECTION LIMIT 5 PASSWORD :'monitor_password';",
        f"GRANT pg_monitor TO {MONITOR_USER};",
        f"CREATE ROLE {BACKUP_USER} LOGIN CONNECTION LIMIT 3 PASSWORD :'backup_password';",
        f"GRANT pg_read_all_data TO {BACKUP_USER};",
        f"CREATE DATABASE {database} OWNER {APP_USER};",
        f"REVOKE ALL ON DATABASE {database} FROM PUBLIC;",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {APP_USER};",
        f"GRANT CONNECT ON DATABASE {database} TO {BACKUP_USER};",
        "REVOKE ALL ON DATABASE postgres FROM PUBLIC;",
        f"GRANT CONNECT ON DATABASE postgres TO {MONITOR_USER};",
        # The exporter reads pg_stat_statements in the database it connects to (postgres).
        "CREATE EXTENSION IF NOT EXISTS pg_stat_statements;",
        f"\\connect {database}",
        f"ALTER SCHEMA public OWNER TO {APP_USER};",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC;",
        *(f"SELECT pg_create_physical_replication_slot('{slot}');" for slot in slots),
    ]
    return "\n".join(lines) + "\n"


def postgres_start_script(settings: Settings, role: Role, primary_host: str = "", slot: str = "") -> str:
    """The container's entrypoint: the init script into the image's init directory (primary), or the first clone of
    the primary (replica), then the image's entrypoint with the generated configuration."""
    port = settings.database.effective_port
    lines = [
        "#!/bin/sh",
        f"# Generated by webstack: starts the PostgreSQL {role}.",
        "set -eu",
        "umask 077",
    ]
    if role == "primary":
        lines.append(f"cp {config_path('initdb')}/*.sql {INITDB_DIR}/")
    else:
        if not (primary_host and slot):
            raise ValueError("the replica's start script needs the primary's host and the replication slot")
        conninfo = f"host={primary_host} port={port} user={REPLICATION_USER} sslmode=verify-full sslrootcert={CA_FILE}"
        lines += [
            f'if [ ! -f "{REPLICA_MARKER}" ]; then',
            '    rm -rf "$PGDATA"',
            f"    until pg_isready --quiet --host={primary_host} --port={port}; do",
            '        echo "replica: waiting for the primary" >&2',
            "        sleep 5",
            "    done",
            f'    PGPASSFILE={secret_file("replication.pgpass")} pg_basebackup --pgdata="$PGDATA" -X stream \\',
            f'        -S {slot} --checkpoint=fast --no-password --dbname="{conninfo}"',
            '    touch "$PGDATA/standby.signal"',
            f'    touch "{REPLICA_MARKER}"',
            "fi",
        ]
    lines.append(f"exec docker-entrypoint.sh postgres -c config_file={config_path('postgresql.conf')}")
    return "\n".join(lines) + "\n"


# -- MySQL configuration -----------------------------------------------------------------------------------------------
def mysql_cnf(settings: Settings, role: Role, server_id: int, memory_mb: int = DATABASE_MEMORY_MB) -> str:
    """The server's option file (read with ``--defaults-extra-file``)."""
    values: list[tuple[str, str | int]] = [
        ("server_id", server_id),
        ("port", settings.database.effective_port),
        ("bind_address", "*"),
        ("mysqlx", "OFF"),
        ("skip_name_resolve", "ON"),
        ("socket", MYSQL_SOCKET),
        ("pid_file", f"{MYSQL_RUN_DIR}/mysqld.pid"),
        ("max_connections", MAX_CONNECTIONS),
        ("innodb_buffer_pool_size", f"{memory_mb // 2}M"),
        ("innodb_flush_log_at_trx_commit", 1),
        ("sync_binlog", 1),
        ("gtid_mode", "ON"),
        ("enforce_gtid_consistency", "ON"),
        ("log_bin", "binlog"),
        ("binlog_format", "ROW"),
        ("binlog_expire_logs_seconds", BINLOG_RETENTION_DAYS * 86400),
        ("log_replica_updates", "ON"),
        ("require_secure_transport", "ON"),
        ("tls_version", "TLSv1.2,TLSv1.3"),
        ("ssl_ca", CA_FILE),
        ("ssl_cert", CERT_FILE),
        ("ssl_key", KEY_FILE),
        ("local_infile", "OFF"),
        ("secure_file_priv", "NULL"),
        ("slow_query_log", "ON"),
        ("slow_query_log_file", f"{MYSQL_DATA_MOUNT}/slow.log"),
        ("long_query_time", 2),
        ("log_queries_not_using_indexes", "ON"),
    ]
    if role == "replica":
        values += [("read_only", "ON"), ("relay_log", "relay-bin")]
    lines = [f"# Generated by webstack: the {role}'s settings. Edit the program, not this file.", "[mysqld]"]
    lines += [f"{key} = {value}" for key, value in values]
    return "\n".join(lines) + "\n"


def mysql_client_cnf(
    user: str, password: str, host: str = "", port: int = 0, socket: str = "", ca_file: str = ""
) -> str:
    """A ``[client]`` option file (mysql, mysqldump, mysqld_exporter); over TCP it verifies the server's name."""
    values: list[tuple[str, str | int]] = [("user", user), ("password", password)]
    if socket:
        values.append(("socket", socket))
    if host:
        values += [("host", host), ("port", port)]
    if ca_file:
        values += [("ssl-mode", "VERIFY_IDENTITY"), ("ssl-ca", ca_file)]
    return "[client]\n" + "".join(f"{key} = {value}\n" for key, value in values)


def mysql_primary_init(settings: Settings) -> str:
    """The primary's one-time initialization (sourced by the image's entrypoint after it created root and the app
    user): TLS required of the app user; the replication, monitoring and backup users."""
    database = settings.database.database_name
    return "\n".join(
        [
            "# Generated by webstack: sourced once by the image's entrypoint when the data directory is created.",
            f'replication_password="$(cat {secret_file("replication-password")})"',
            f'monitor_password="$(cat {secret_file("monitor-password")})"',
            f'backup_password="$(cat {secret_file("backup-password")})"',
            "docker_process_sql --database=mysql <<EOSQL",
            f"ALTER USER '{APP_USER}'@'%' REQUIRE SSL;",
            f"CREATE USER '{REPLICATION_USER}'@'%' IDENTIFIED BY '${{replication_password}}' REQUIRE SSL;",
            f"GRANT REPLICATION SLAVE ON *.* TO '{REPLICATION_USER}'@'%';",
            f"CREATE USER '{MONITOR_USER}'@'%' IDENTIFIED BY '${{monitor_password}}' REQUIRE SSL "
            "WITH MAX_USER_CONNECTIONS 3;",
            f"GRANT PROCESS, REPLICATION CLIENT, SELECT ON *.* TO '{MONITOR_USER}'@'%';",
            f"CREATE USER '{BACKUP_USER}'@'%' IDENTIFIED BY '${{backup_password}}' REQUIRE SSL "
            "WITH MAX_USER_CONNECTIONS 2;",
            f"GRANT SELECT, SHOW VIEW, TRIGGER, LOCK TABLES, EVENT ON {database}.* TO '{BACKUP_USER}'@'%';",
            f"GRANT SHOW_ROUTINE ON *.* TO '{BACKUP_USER}'@'%';",
            "EOSQL",
            "unset replication_password monitor_password backup_password",
            "",
        ]
    )


def mysql_replica_init(settings: Settings, primary_host: str) -> str:
    """The replica's one-time initialization: replicate from the primary by GTID over verified TLS, then refuse
    writes from everyone (``super_read_only``, persisted)."""
    port = settings.database.effective_port
    return "\n".join(
        [
            "# Generated by webstack: sourced once by the image's entrypoint when the data directory is created.",
            f'replication_password="$(cat {secret_file("replication-password")})"',
            "docker_process_sql <<EOSQL",
            "CHANGE REPLICATION SOURCE TO",
            f"  SOURCE_HOST='{primary_host}',",
            f"  SOURCE_PORT={port},",
            f"  SOURCE_USER='{REPLICATION_USER}',",
            "  SOURCE_PASSWORD='${replication_password}',",
            "  SOURCE_SSL=1,",
            f"  SOURCE_SSL_CA='{CA_FILE}',",
            "  SOURCE_SSL_VERIFY_SERVER_CERT=1,",
            "  SOURCE_AUTO_POSITION=1,",
            "  SOURCE_CONNECT_RETRY=10,",
            "  SOURCE_RETRY_COUNT=8640;",
            "START REPLICA;",
            "SET PERSIST super_read_only = ON;",
            "EOSQL",
            "unset replication_password",
            "",
        ]
    )


#: Which generated password file each least-privilege role reads (components/database_roles.py).
ROLE_PASSWORD_FILES = {"app": "app-password", READER_ROLE: "reader-password", MONITOR_USER: "monitor-password"}


def postgres_roles_init(settings: Settings) -> str:
    """The least-privilege roles (components/database_roles.py), run once after 10-webstack.sql: the read-only role,
    the application's schema, the guides' REVOKEs; passwords read from their files by psql."""
    return postgres_roles_sql(
        settings.database.database_name,
        iam_monitor=False,
        passwords=lambda role: f"\\set {role}_password `cat {secret_file(ROLE_PASSWORD_FILES[role])}`",
    )


def mysql_roles_init(settings: Settings) -> str:
    """The least-privilege roles (components/database_roles.py), sourced once after 10-webstack.sh."""
    names = {**PASSWORD_ENV, MONITOR_USER: MONITOR_PASSWORD_ENV}
    return "\n".join(
        [
            "# Generated by webstack: sourced once by the image's entrypoint when the data directory is created.",
            *(f'{names[role]}="$(cat {secret_file(file)})"' for role, file in ROLE_PASSWORD_FILES.items()),
            "docker_process_sql <<EOSQL",
            mysql_roles_sql(settings.database.database_name, iam_monitor=False).rstrip("\n"),
            "EOSQL",
            "unset " + " ".join(names[role] for role in ROLE_PASSWORD_FILES),
            "",
        ]
    )


def mysql_start_script(role: Role) -> str:
    """The container's entrypoint: the init script into the image's init directory, then the image's entrypoint."""
    return "\n".join(
        [
            "#!/bin/sh",
            f"# Generated by webstack: starts the MySQL {role}.",
            "set -eu",
            "umask 027",
            f"cp {config_path('initdb')}/*.sh {INITDB_DIR}/",
            f"exec docker-entrypoint.sh mysqld --defaults-extra-file={config_path('mysql.cnf')}",
            "",
        ]
    )


# -- the component -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatabaseArgs:
    """Inputs of :class:`Database`."""

    settings: Settings
    networks: Networks
    image: pulumi.Input[str]
    """The engine's image id (PostgreSQL or MySQL, per ``settings.database.engine``)."""
    exporter_image: pulumi.Input[str]
    """postgres-exporter or mysqld-exporter."""
    ca: InternalCa | None = None
    """The stack's internal CA; ``None``: the component creates its own."""
    shard: int = 0
    """Which shard this is (its index in the shard map)."""


def _secret(path: str, content: pulumi.Input[str]) -> Upload:
    return Upload(path, pulumi.Output.secret(content), "0400")


def _plain(path: str, content: pulumi.Input[str]) -> Upload:
    return Upload(path, content, "0440")


class Database(pulumi.ComponentResource):
    """One shard: a primary and ``webstack:database.replicas`` streaming replicas, each with a metrics exporter."""

    shard: int
    endpoint: DatabaseEndpoint
    scrape_targets: list[ScrapeTarget]
    admin_user: str
    """The superuser (PostgreSQL: ``masterUsername``; MySQL: root), reachable only inside the primary."""
    admin_password: pulumi.Output[str]
    backup_user: str
    """A role that may read everything in the app database and nothing else (``pg_read_all_data`` / SELECT...)."""
    backup_password: pulumi.Output[str]
    primary: docker.Container
    replicas: list[docker.Container]
    exporters: list[docker.Container]
    containers: list[docker.Container]
    """The primary, the replicas and the exporters (not the seeds that deliver their files)."""
    primary_container_name: str
    """The primary's Docker name (``docker exec`` for restores)."""
    volumes: list[docker.Volume]
    ca: InternalCa

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(DATABASE_TYPE, name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self.shard = args.shard
        settings = args.settings
        database = settings.database
        self.ca = args.ca if args.ca is not None else InternalCa(f"{name}-ca", pulumi.ResourceOptions(parent=self))
        self._passwords = {
            key: generated_secret(f"{name}-{key}-password", self._child)
            for key in ("admin", "app", "replication", "monitor", "backup", "reader")
        }
        self._primary_host = f"{name}-primary"
        self._replica_hosts = [replica_name(name, number) for number in range(1, database.replicas + 1)]
        self._slots = [replication_slot(name, number) for number in range(1, database.replicas + 1)]
        hosts = [self._primary_host, *self._replica_hosts]
        self._certs = {host: self.ca.issue(host, server_names(host, host), self) for host in hosts}
        self.volumes = [volume(f"{host}-data", "db-primary" if index == 0 else "db-replica", self._child)
                        for index, host in enumerate(hosts)]  # fmt: skip
        if database.engine == "postgres":
            self.admin_user = database.master_username
            self.primary = self._postgres_primary()
            self.replicas = [self._postgres_replica(number) for number in range(1, database.replicas + 1)]
        else:
            self.admin_user = "root"
            self.primary = self._mysql_primary()
            self.replicas = [self._mysql_replica(number) for number in range(1, database.replicas + 1)]
        servers: list[tuple[Role, str, docker.Container]] = [
            ("primary", self._primary_host, self.primary),
            *(("replica", host, replica) for host, replica in zip(self._replica_hosts, self.replicas, strict=True)),
        ]
        self.exporters = [self._exporter(host, server) for _, host, server in servers]
        self.containers = [self.primary, *self.replicas, *self.exporters]
        self.primary_container_name = container_name(self._primary_host)
        self.admin_password = self._passwords["admin"]
        self.backup_user, self.backup_password = BACKUP_USER, self._passwords["backup"]
        self.endpoint = DatabaseEndpoint(
            engine=database.engine,
            host=self._primary_host,
            replica_hosts=tuple(self._replica_hosts),
            port=database.effective_port,
            name=database.database_name,
            user=APP_USER,
            password=pulumi.Output.secret(self._passwords["app"]),
            ca_pem=self.ca.cert_pem,
        )
        exporter_port = POSTGRES_EXPORTER_PORT if database.engine == "postgres" else MYSQL_EXPORTER_PORT
        self.scrape_targets = [
            ScrapeTarget(
                job="database" if role == "primary" else "replica", address=f"{exporter_alias(h)}:{exporter_port}"
            )
            for role, h, _ in servers
        ]
        self.register_outputs(
            {"host": self.endpoint.host, "replicaHosts": list(self.endpoint.replica_hosts), "engine": database.engine}
        )

    @property
    def replica(self) -> docker.Container | None:
        """The first replica, if there is one."""
        return self.replicas[0] if self.replicas else None

    def _spec(
        self,
        role: Role,
        host: str,
        envs: Mapping[str, pulumi.Input[str]],
        uploads: list[Upload],
        tmpfs: dict[str, str],
        data: docker.Volume,
        data_mount: str,
    ) -> ContainerSpec:
        database = self._args.settings.database
        start = 60 if role == "primary" else 600  # a replica clones the primary first
        if database.engine == "postgres":
            user = f"{POSTGRES_UID}:{POSTGRES_UID}"
            probe = ["pg_isready", "--quiet", f"--host={POSTGRES_SOCKET_DIR}", f"--port={database.effective_port}"]
        else:
            user = f"{MYSQL_UID}:{MYSQL_UID}"
            probe = ["mysqladmin", "ping", "--silent", f"--socket={MYSQL_SOCKET}"]
        return ContainerSpec(
            image=self._args.image,
            user=user,
            role=f"db-{role}",
            networks=[self._args.networks.data],
            health=HealthCheck(probe, interval_seconds=10, retries=5, start_period_seconds=start),
            memory_mb=DATABASE_MEMORY_MB,
            cpus=DATABASE_CPUS,
            entrypoint=["/bin/sh", config_path("start.sh")],
            envs=envs,
            uploads=uploads,
            tmpfs=tmpfs,
            volumes={data_mount: data},
            aliases=[host],
        )

    def _deliver(self, host: str, spec: ContainerSpec, after: list[pulumi.Resource]) -> docker.Container:
        return configured_container(host, spec, pulumi.ResourceOptions(parent=self, depends_on=after))

    def _postgres_primary(self) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        admin = settings.database.master_username
        host = self._primary_host
        uploads = [
            _plain(config_path("start.sh"), postgres_start_script(settings, "primary")),
            _plain(config_path("postgresql.conf"), postgresql_conf(settings, "primary")),
            _plain(config_path("pg_hba.conf"), pg_hba_conf(settings)),
            _plain(config_path("initdb", "10-webstack.sql"), postgres_init_sql(settings, self._slots)),
            _plain(config_path("initdb", "20-webstack-roles.sql"), postgres_roles_init(settings)),
            *tls_uploads(self._certs[host]),
            _secret(secret_file("admin-password"), passwords["admin"]),
            _secret(secret_file("admin.pgpass"), pulumi.Output.concat("*:*:*:", admin, ":", passwords["admin"], "\n")),
            *(
                _secret(secret_file(f"{key}-password"), passwords[key])
                for key in ("app", "replication", "monitor", "backup", "reader")
            ),
        ]
        envs = {
            "PGDATA": PGDATA,
            "POSTGRES_USER": admin,
            "POSTGRES_PASSWORD_FILE": secret_file("admin-password"),
            "POSTGRES_DB": "postgres",
            "POSTGRES_INITDB_ARGS": "--data-checksums",
        }
        spec = self._spec("primary", host, envs, uploads, _POSTGRES_TMPFS, self.volumes[0], POSTGRES_DATA_MOUNT)
        return self._deliver(host, spec, [])

    def _postgres_replica(self, number: int) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        host, slot = self._replica_hosts[number - 1], self._slots[number - 1]
        primary = self._primary_host
        uploads = [
            _plain(config_path("start.sh"), postgres_start_script(settings, "replica", primary, slot)),
            _plain(
                config_path("postgresql.conf"), postgresql_conf(settings, "replica", primary_host=primary, slot=slot)
            ),
            _plain(config_path("pg_hba.conf"), pg_hba_conf(settings)),
            *tls_uploads(self._certs[host]),
            _secret(
                secret_file("replication.pgpass"),
                pulumi.Output.concat("*:*:replication:", REPLICATION_USER, ":", passwords["replication"], "\n"),
            ),
        ]
        spec = self._spec(
            "replica", host, {"PGDATA": PGDATA}, uploads, _POSTGRES_TMPFS, self.volumes[number], POSTGRES_DATA_MOUNT
        )
        return self._deliver(host, spec, [self.primary])

    def _mysql_env(self) -> dict[str, str]:
        return {
            "MYSQL_ROOT_PASSWORD_FILE": secret_file("admin-password"),
            "MYSQL_ROOT_HOST": "localhost",
            "MYSQL_INITDB_SKIP_TZINFO": "1",
        }

    def _admin_cnf(self) -> pulumi.Output[str]:
        return self._passwords["admin"].apply(lambda pw: mysql_client_cnf("root", pw, socket=MYSQL_SOCKET))

    def _mysql_primary(self) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        host = self._primary_host
        envs = {
            **self._mysql_env(),
            "MYSQL_DATABASE": settings.database.database_name,
            "MYSQL_USER": APP_USER,
            "MYSQL_PASSWORD_FILE": secret_file("app-password"),
        }
        uploads = [
            _plain(config_path("start.sh"), mysql_start_script("primary")),
            _plain(config_path("mysql.cnf"), mysql_cnf(settings, "primary", server_id=1)),
            _plain(config_path("initdb", "10-webstack.sh"), mysql_primary_init(settings)),
            _plain(config_path("initdb", "20-webstack-roles.sh"), mysql_roles_init(settings)),
            *tls_uploads(self._certs[host]),
            _secret(secret_file("admin-password"), passwords["admin"]),
            _secret(secret_file("admin.cnf"), self._admin_cnf()),
            *(
                _secret(secret_file(f"{key}-password"), passwords[key])
                for key in ("app", "replication", "monitor", "backup", "reader")
            ),
        ]
        spec = self._spec("primary", host, envs, uploads, _MYSQL_TMPFS, self.volumes[0], MYSQL_DATA_MOUNT)
        return self._deliver(host, spec, [])

    def _mysql_replica(self, number: int) -> docker.Container:
        settings, passwords = self._args.settings, self._passwords
        host = self._replica_hosts[number - 1]
        uploads = [
            _plain(config_path("start.sh"), mysql_start_script("replica")),
            _plain(config_path("mysql.cnf"), mysql_cnf(settings, "replica", server_id=1 + number)),
            _plain(config_path("initdb", "10-webstack.sh"), mysql_replica_init(settings, self._primary_host)),
            *tls_uploads(self._certs[host]),
            _secret(secret_file("admin-password"), passwords["admin"]),
            _secret(secret_file("admin.cnf"), self._admin_cnf()),
            _secret(secret_file("replication-password"), passwords["replication"]),
        ]
        spec = self._spec(
            "replica", host, self._mysql_env(), uploads, _MYSQL_TMPFS, self.volumes[number], MYSQL_DATA_MOUNT
        )
        return self._deliver(host, spec, [self.primary])

    def _exporter(self, host: str, server: docker.Container) -> docker.Container:
        settings = self._args.settings
        database = settings.database
        port = database.effective_port
        alias = exporter_alias(host)
        if database.engine == "postgres":
            listen = POSTGRES_EXPORTER_PORT
            envs: dict[str, pulumi.Input[str]] = {
                "DATA_SOURCE_URI": f"{host}:{port}/postgres?sslmode=verify-full&sslrootcert={CA_FILE}",
                "DATA_SOURCE_USER": MONITOR_USER,
                "DATA_SOURCE_PASS_FILE": secret_file("monitor-password"),
            }
            command: list[pulumi.Input[str]] | None = list(POSTGRES_EXPORTER_FLAGS)
            uploads = [
                _plain(CA_FILE, self.ca.cert_pem),
                _secret(secret_file("monitor-password"), self._passwords["monitor"]),
            ]
        else:
            listen = MYSQL_EXPORTER_PORT
            envs = {}
            command = [f"--config.my-cnf={secret_file('exporter.cnf')}", f"--mysqld.address={host}:{port}"]
            cnf = self._passwords["monitor"].apply(
                lambda pw: mysql_client_cnf(MONITOR_USER, pw, host=host, port=port, ca_file=CA_FILE)
            )
            uploads = [_plain(CA_FILE, self.ca.cert_pem), _secret(secret_file("exporter.cnf"), cnf)]
        spec = ContainerSpec(
            image=self._args.exporter_image,
            user=f"{EXPORTER_UID}:{EXPORTER_UID}",
            role=f"exporter-{database.engine}",
            networks=[self._args.networks.data],
            health=HealthCheck(["wget", "-q", "-O", "/dev/null", f"http://127.0.0.1:{listen}/"]),
            memory_mb=EXPORTER_MEMORY_MB,
            cpus=EXPORTER_CPUS,
            command=command,
            envs=envs,
            uploads=uploads,
            tmpfs={"/tmp": "size=8m"},
            aliases=[alias],
            # The exporter images are minimal: the seed that delivers their files runs on the database image.
            seed_image=self._args.image,
        )
        return configured_container(alias, spec, pulumi.ResourceOptions(parent=self, depends_on=[server]))


_POSTGRES_TMPFS = {POSTGRES_SOCKET_DIR: "size=16m", "/tmp": "size=64m", INITDB_DIR: "size=1m"}
_MYSQL_TMPFS = {MYSQL_RUN_DIR: "size=16m", "/tmp": "size=256m", INITDB_DIR: "size=1m"}
#: postgres-exporter's flags: the collector of pg_stat_statements, off by default, is the slow-query source.
POSTGRES_EXPORTER_FLAGS = ("--collector.stat_statements",)


def exporter_alias(host: str) -> str:
    """The exporter of the server ``host`` (``database-primary`` -> ``database-exporter-primary``)."""
    if host.endswith("-primary"):
        return f"{host.removesuffix('-primary')}-exporter-primary"
    shard, _, number = host.partition("-replica")
    return f"{shard}-exporter-replica{number}"


def database_shards(
    settings: Settings,
    networks: Networks,
    image: pulumi.Input[str],
    exporter_image: pulumi.Input[str],
    ca: InternalCa,
    opts: pulumi.ResourceOptions | None = None,
) -> list[Database]:
    """``webstack:database.shards`` independent shards (see the module docstring for their names)."""
    return [
        Database(
            shard_name(index),
            DatabaseArgs(
                settings=settings, networks=networks, image=image, exporter_image=exporter_image, ca=ca, shard=index
            ),
            opts,
        )
        for index in range(settings.database.shards)
    ]


def docker_shard_map(settings: Settings, shards: Sequence[Database]) -> dict[str, Any]:
    """The shard map (:func:`components.shard_map.build_shard_map`) of the docker shards: each shard's writer and
    readers as DNS names on the data network. Credentials are not in it: each shard's app password is a file."""
    database = settings.database
    return build_shard_map(
        [{"writer": shard.endpoint.host, "readers": list(shard.endpoint.replica_hosts)} for shard in shards],
        database.tables,
        virtual_nodes=database.virtual_nodes,
        engine=database.engine,
        port=database.effective_port,
    )


def shard_map_json(settings: Settings, shards: Sequence[Database]) -> str:
    return json.dumps(docker_shard_map(settings, shards), indent=2, sort_keys=True) + "\n"
