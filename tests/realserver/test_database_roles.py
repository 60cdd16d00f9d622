"""The generated least-privilege roles (components/database_roles.py) against real servers: Debian's PostgreSQL and
MariaDB, run on 127.0.0.1 on a free port with their data in a temporary directory, as an unprivileged user, and
stopped after. Skipped where the binaries are missing (``apt-get install postgresql mariadb-server``).

PostgreSQL plays RDS: the bootstrap signs in as a master that is no superuser (CREATEROLE, CREATEDB, owner of the
application database, ``pg_monitor`` with ADMIN, as ``rds_superuser`` holds it), runs the script twice (it must be
idempotent), and then each role is tried for what it may and may not do. MariaDB differs from MySQL in places
(``AWSAuthenticationPlugin`` exists on RDS only), so it runs the password variant, as the docker platform does.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.database_roles import (
    APP_ROLE,
    MONITOR_PASSWORD_ENV,
    MONITOR_ROLE,
    PASSWORD_ENV,
    READER_ROLE,
    mysql_roles_sql,
    postgres_roles_sql,
)

PASSWORDS = {APP_ROLE: "AppPassw0rdAppPassw0rd", READER_ROLE: "ReadPassw0rdReadPassw0rd", MONITOR_ROLE: "MonPassw0rd1"}
MASTER, MASTER_PASSWORD = "webstack_admin", "MasterPassw0rdMaster"
DATABASE = "app"
ROLE_ENV = {**{PASSWORD_ENV[r]: PASSWORDS[r] for r in PASSWORD_ENV}, MONITOR_PASSWORD_ENV: PASSWORDS[MONITOR_ROLE]}

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
MARIADB = shutil.which("mariadbd") or (
    shutil.which("mariadbd", path="/usr/sbin") if os.path.isdir("/usr/sbin") else None
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_user() -> list[str]:
    """Servers refuse to run as root: run them as nobody when the tests run as root."""
    return ["runuser", "-u", "nobody", "--"] if os.geteuid() == 0 else []


def _own(path: Path) -> None:
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for item in [path, *path.rglob("*")]:
            os.chown(item, nobody.pw_uid, nobody.pw_gid)


@contextlib.contextmanager
def _server_dir(prefix: str) -> Iterator[Path]:
    """A directory the unprivileged server user can reach (pytest's own temporary directories are private to
    root), removed after."""
    root = Path(tempfile.mkdtemp(prefix=f"webstack-{prefix}-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=60, **kwargs)  # type: ignore[call-overload]


# -- PostgreSQL ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def postgres() -> Iterator[dict[str, str]]:
    if not PG_BIN or not shutil.which("psql"):
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    with _server_dir("pg") as root:
        yield from _postgres(Path(PG_BIN[-1]), root)


def _postgres(bin_dir: Path, root: Path) -> Iterator[dict[str, str]]:
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    _own(root)
    init = _run(
        [
            *_as_user(),
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
        ]
    )
    assert init.returncode == 0, init.stderr
    port = str(_free_port())
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock}"
    start = _run(
        [*_as_user(), str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(root / "log"), "start"]
    )
    assert start.returncode == 0, start.stderr + (root / "log").read_text()
    server = {"host": "127.0.0.1", "port": port, "socket": str(sock)}
    setup = [
        f"CREATE ROLE {MASTER} LOGIN CREATEROLE CREATEDB PASSWORD '{MASTER_PASSWORD}'",
        f"GRANT pg_monitor TO {MASTER} WITH ADMIN OPTION",
        f"CREATE DATABASE {DATABASE} OWNER {MASTER}",
        "CREATE ROLE intruder LOGIN PASSWORD 'IntruderPassw0rd'",
    ]
    for statement in setup:
        done = _psql(server, "postgres", "postgres", None, statement)
        assert done.returncode == 0, done.stderr
    try:
        yield server
    finally:
        _run([*_as_user(), str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"])


def _psql(
    server: dict[str, str], user: str, database: str, password: str | None, sql: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    host = server["socket"] if password is None else server["host"]
    environment = {**os.environ, **(env or {}), "PGPASSWORD": password or ""}
    return _run(
        [
            "psql",
            "--no-psqlrc",
            "-X",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            host,
            "-p",
            server["port"],
            "-U",
            user,
            "-d",
            database,
            "-tA",
        ],
        input=sql,
        env=environment,
    )


def _bootstrap(server: dict[str, str]) -> subprocess.CompletedProcess[str]:
    script = postgres_roles_sql(DATABASE, iam_monitor=False)
    return _psql(server, MASTER, DATABASE, MASTER_PASSWORD, script, env=ROLE_ENV)


@pytest.fixture(scope="module")
def bootstrapped(postgres: dict[str, str]) -> dict[str, str]:
    for _ in range(2):  # idempotent: a second run changes nothing and does not fail
        done = _bootstrap(postgres)
        assert done.returncode == 0, done.stderr
    created = _psql(
        postgres,
        APP_ROLE,
        DATABASE,
        PASSWORDS[APP_ROLE],
        "CREATE TABLE grants (id int); INSERT INTO grants VALUES (1);",
    )
    assert created.returncode == 0, created.stderr
    return postgres


def test_the_bootstrap_runs_as_a_master_that_is_no_superuser(bootstrapped: dict[str, str]) -> None:
    flags = _psql(
        bootstrapped, "postgres", "postgres", None, f"SELECT rolsuper FROM pg_roles WHERE rolname = '{MASTER}'"
    )
    assert flags.stdout.strip() == "f"


def test_the_app_role_owns_the_schema_and_nothing_more(bootstrapped: dict[str, str]) -> None:
    owner = _psql(
        bootstrapped,
        APP_ROLE,
        DATABASE,
        PASSWORDS[APP_ROLE],
        "SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'public'",
    )
    assert owner.stdout.strip() == APP_ROLE
    flags = _psql(
        bootstrapped,
        "postgres",
        "postgres",
        None,
        f"SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication FROM pg_roles WHERE rolname = '{APP_ROLE}'",
    )
    assert flags.stdout.strip() == "f|f|f|f"
    refused = _psql(bootstrapped, APP_ROLE, DATABASE, PASSWORDS[APP_ROLE], "CREATE ROLE sneaky LOGIN")
    assert refused.returncode != 0
    assert "permission denied" in refused.stderr


def test_the_reader_reads_new_tables_and_writes_nothing(bootstrapped: dict[str, str]) -> None:
    password = PASSWORDS[READER_ROLE]
    read = _psql(bootstrapped, READER_ROLE, DATABASE, password, "SELECT id FROM grants")
    assert read.stdout.strip() == "1"
    write = _psql(bootstrapped, READER_ROLE, DATABASE, password, "INSERT INTO grants VALUES (2)")
    assert write.returncode != 0
    create = _psql(
        bootstrapped,
        READER_ROLE,
        DATABASE,
        password,
        "SET default_transaction_read_only = off; CREATE TABLE mine (id int)",
    )
    assert create.returncode != 0
    assert "permission denied for schema public" in create.stderr


def test_the_monitoring_role_sees_every_session(bootstrapped: dict[str, str]) -> None:
    member = _psql(
        bootstrapped, MONITOR_ROLE, DATABASE, PASSWORDS[MONITOR_ROLE], "SELECT pg_has_role('pg_monitor', 'USAGE')"
    )
    assert member.stdout.strip() == "t"
    data = _psql(bootstrapped, MONITOR_ROLE, DATABASE, PASSWORDS[MONITOR_ROLE], "SELECT id FROM grants")
    assert data.returncode != 0


def test_public_may_not_connect_to_the_application_database(bootstrapped: dict[str, str]) -> None:
    refused = _psql(bootstrapped, "intruder", DATABASE, "IntruderPassw0rd", "SELECT 1")
    assert refused.returncode != 0
    assert 'permission denied for database "app"' in refused.stderr


# -- MariaDB ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def mariadb() -> Iterator[dict[str, str]]:
    install = shutil.which("mariadb-install-db")
    if not (MARIADB and install and shutil.which("mariadb") and shutil.which("openssl")):
        pytest.skip("MariaDB is not installed (apt-get install mariadb-server)")
    with _server_dir("mariadb") as root:
        yield from _mariadb_server(MARIADB, install, root)


def _mariadb_server(mariadbd: str, install: str, root: Path) -> Iterator[dict[str, str]]:
    data = root / "data"
    key, cert = root / "key.pem", root / "cert.pem"
    made = _run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ]
    )
    assert made.returncode == 0, made.stderr
    # Its own temporary directory: with the system's /tmp, the bootstrap's temporary tables share a directory with
    # every other test, and one bootstrap aborted with ENOENT removing its own ('Could not remove temporary table').
    tmp = root / "tmp"
    tmp.mkdir()
    _own(root)
    user = ["--user=nobody"] if os.geteuid() == 0 else []
    done = _run(
        [
            install,
            "--no-defaults",
            f"--datadir={data}",
            f"--tmpdir={tmp}",
            *user,
            "--auth-root-authentication-method=socket",
            "--skip-test-db",
        ]
    )
    assert done.returncode == 0, done.stderr
    port, sock = str(_free_port()), str(root / "mysqld.sock")
    server = subprocess.Popen(
        [
            mariadbd,
            "--no-defaults",
            f"--datadir={data}",
            f"--tmpdir={tmp}",
            *user,
            "--bind-address=127.0.0.1",
            f"--port={port}",
            f"--socket={sock}",
            f"--pid-file={root / 'mysqld.pid'}",
            f"--ssl-cert={cert}",
            f"--ssl-key={key}",
            "--skip-log-bin",
        ],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "log", "w"),  # noqa: SIM115 - closed with the process
    )
    try:
        for _ in range(100):
            if _mariadb({"socket": sock}, "root", None, "SELECT 1").returncode == 0:
                break
            time.sleep(0.2)
        else:
            pytest.fail("MariaDB did not start: " + (root / "log").read_text())
        created = _mariadb({"socket": sock}, "root", None, f"CREATE DATABASE {DATABASE}")
        assert created.returncode == 0, created.stderr
        yield {"socket": sock, "host": "127.0.0.1", "port": port}
    finally:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)


def _mariadb(server: dict[str, str], user: str, password: str | None, sql: str) -> subprocess.CompletedProcess[str]:
    if password is None:
        target = ["--socket", server["socket"]]
    else:
        target = ["-h", server["host"], "-P", server["port"], f"--password={password}"]
    return _run(["mariadb", "--no-defaults", "-u", user, *target, "--ssl", "-N", "-B", "-e", sql])


@pytest.fixture(scope="module")
def mariadb_roles(mariadb: dict[str, str]) -> dict[str, str]:
    script = mysql_roles_sql(DATABASE, iam_monitor=False, password=lambda role: PASSWORDS[role])
    for _ in range(2):
        done = _mariadb(mariadb, "root", None, script)
        assert done.returncode == 0, done.stderr
    created = _mariadb(
        mariadb,
        APP_ROLE,
        PASSWORDS[APP_ROLE],
        f"CREATE TABLE {DATABASE}.t (id int); INSERT INTO {DATABASE}.t VALUES (1)",
    )
    assert created.returncode == 0, created.stderr
    return mariadb


def test_mysql_app_role_owns_its_database_only(mariadb_roles: dict[str, str]) -> None:
    other = _mariadb(mariadb_roles, APP_ROLE, PASSWORDS[APP_ROLE], "CREATE DATABASE elsewhere")
    assert other.returncode != 0
    assert "Access denied" in other.stderr


def test_mysql_reader_reads_and_writes_nothing(mariadb_roles: dict[str, str]) -> None:
    read = _mariadb(mariadb_roles, READER_ROLE, PASSWORDS[READER_ROLE], f"SELECT id FROM {DATABASE}.t")
    assert read.stdout.strip() == "1"
    write = _mariadb(mariadb_roles, READER_ROLE, PASSWORDS[READER_ROLE], f"INSERT INTO {DATABASE}.t VALUES (2)")
    assert write.returncode != 0


def test_mysql_monitor_sees_processes_not_data(mariadb_roles: dict[str, str]) -> None:
    grants = _mariadb(mariadb_roles, MONITOR_ROLE, PASSWORDS[MONITOR_ROLE], "SHOW PROCESSLIST")
    assert grants.returncode == 0, grants.stderr
    data = _mariadb(mariadb_roles, MONITOR_ROLE, PASSWORDS[MONITOR_ROLE], f"SELECT id FROM {DATABASE}.t")
    assert data.returncode != 0


def test_mysql_roles_need_tls(mariadb_roles: dict[str, str]) -> None:
    plain = _run(
        [
            "mariadb",
            "--no-defaults",
            "-u",
            APP_ROLE,
            "-h",
            "127.0.0.1",
            "-P",
            mariadb_roles["port"],
            f"--password={PASSWORDS[APP_ROLE]}",
            "--skip-ssl",
            "-e",
            "SELECT 1",
        ]
    )
    assert plain.returncode != 0
    assert "Access denied" in plain.stderr
