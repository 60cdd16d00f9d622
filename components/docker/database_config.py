"""The database servers' files on docker: PostgreSQL and MySQL configuration, init scripts and start scripts,
the roles webstack creates, and the names of shards, replicas and their exporters; pure functions of the database's
port and name (:class:`components.docker.database.Database` uploads what they render).

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

from collections.abc import Sequence
from typing import Literal

from ..database_roles import (
    MONITOR_PASSWORD_ENV,
    PASSWORD_ENV,
    READER_ROLE,
    mysql_roles_sql,
    postgres_roles_sql,
)
from .tls_ca import CA_FILE, CERT_FILE, KEY_FILE, config_path, sql_identifier

Role = Literal["primary", "replica"]

#: Memory (MiB) and CPUs of each database server; shared_buffers / the InnoDB buffer pool follow the memory.
DATABASE_MEMORY_MB = 1024
DATABASE_CPUS = 1.0
EXPORTER_MEMORY_MB = 64
EXPORTER_CPUS = 0.1
MAX_CONNECTIONS = 100

#: The engines and the port each listens on unless told otherwise (PostgreSQL's and MySQL's IANA-registered ports).
ENGINE_PORTS = {"postgres": 5432, "mysql": 3306}
#: What :class:`components.docker.database.DatabaseArgs` falls back to; the same as ``webstack:database``'s defaults
#: (tests/components/test_docker_database.py builds both and compares them).
DEFAULT_ENGINE = "postgres"
DEFAULT_REPLICAS = 1
DEFAULT_DATABASE_NAME = "app"
DEFAULT_MASTER_USERNAME = "webstack_admin"

#: The roles webstack creates (the superuser's name is ``DatabaseArgs.master_username``).
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


def primary_conninfo(port: int, primary_host: str, application_name: str) -> str:
    """The replica's connection to the primary: the replication role, its password from a passfile, and TLS that
    verifies the primary's certificate and name against the internal CA."""
    return (
        f"host={primary_host} port={port} user={REPLICATION_USER} "
        f"passfile={secret_file('replication.pgpass')} sslmode=verify-full sslrootcert={CA_FILE} "
        f"application_name={application_name}"
    )


def postgresql_conf(
    port: int,
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
        ("port", port),
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
            ("primary_conninfo", primary_conninfo(port, primary_host, slot)),
            ("primary_slot_name", slot),
        ]
    lines = [f"# Generated by webstack: the {role}'s settings. Edit the program, not this file."]
    lines += [f"{key} = {_quote(value)}" for key, value in values]
    return "\n".join(lines) + "\n"


def pg_hba_rules(database: str) -> list[tuple[str, str, str, str, str]]:
    """(type, database, user, address, method) in the order PostgreSQL tries them (``database``: the app's): the
    first match decides."""
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


def pg_hba_conf(database: str) -> str:
    """``pg_hba.conf``: TLS and SCRAM from the data network for the roles that need it, nothing else."""
    lines = [
        "# Generated by webstack. samenet: the data network, the only network the database containers join.",
        f"# {'TYPE':<8} {'DATABASE':<12} {'USER':<12} {'ADDRESS':<10} METHOD",
    ]
    lines += [
        f"{kind:<10} {db:<12} {user:<12} {address:<10} {method}"
        for kind, db, user, address, method in pg_hba_rules(database)
    ]
    return "\n".join(lines) + "\n"


def postgres_init_sql(database: str, slots: Sequence[str]) -> str:
    """The primary's one-time initialization (``database``: the app's), run by the image's entrypoint as the
    superuser."""
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


def postgres_start_script(port: int, role: Role, primary_host: str = "", slot: str = "") -> str:
    """The container's entrypoint: the init script into the image's init directory (primary), or the first clone of
    the primary (replica), then the image's entrypoint with the generated configuration."""
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
def mysql_cnf(port: int, role: Role, server_id: int, memory_mb: int = DATABASE_MEMORY_MB) -> str:
    """The server's option file (read with ``--defaults-extra-file``)."""
    values: list[tuple[str, str | int]] = [
        ("server_id", server_id),
        ("port", port),
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


def mysql_primary_init(database: str) -> str:
    """The primary's one-time initialization (sourced by the image's entrypoint after it created root and the app
    user): TLS required of the app user; the replication, monitoring and backup users (``database``: the app's)."""
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


def mysql_replica_init(port: int, primary_host: str) -> str:
    """The replica's one-time initialization: replicate from the primary by GTID over verified TLS, then refuse
    writes from everyone (``super_read_only``, persisted)."""
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


def postgres_roles_init(database: str) -> str:
    """The least-privilege roles (components/database_roles.py), run once after 10-webstack.sql: the read-only role,
    the application's schema, the guides' REVOKEs; passwords read from their files by psql."""
    return postgres_roles_sql(
        database,
        iam_monitor=False,
        passwords=lambda role: f"\\set {role}_password `cat {secret_file(ROLE_PASSWORD_FILES[role])}`",
    )


def mysql_roles_init(database: str) -> str:
    """The least-privilege roles (components/database_roles.py), sourced once after 10-webstack.sh."""
    names = {**PASSWORD_ENV, MONITOR_USER: MONITOR_PASSWORD_ENV}
    return "\n".join(
        [
            "# Generated by webstack: sourced once by the image's entrypoint when the data directory is created.",
            *(f'{names[role]}="$(cat {secret_file(file)})"' for role, file in ROLE_PASSWORD_FILES.items()),
            "docker_process_sql <<EOSQL",
            mysql_roles_sql(database, iam_monitor=False).rstrip("\n"),
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


POSTGRES_TMPFS = {POSTGRES_SOCKET_DIR: "size=16m", "/tmp": "size=64m", INITDB_DIR: "size=1m"}
MYSQL_TMPFS = {MYSQL_RUN_DIR: "size=16m", "/tmp": "size=256m", INITDB_DIR: "size=1m"}
#: postgres-exporter's flags: the collector of pg_stat_statements, off by default, is the slow-query source.
POSTGRES_EXPORTER_FLAGS = ("--collector.stat_statements",)


def exporter_alias(host: str) -> str:
    """The exporter of the server ``host`` (``database-primary`` -> ``database-exporter-primary``)."""
    if host.endswith("-primary"):
        return f"{host.removesuffix('-primary')}-exporter-primary"
    shard, _, number = host.partition("-replica")
    return f"{shard}-exporter-replica{number}"
