"""The local stack with ``webstack:database.engine: mysql``: its primary and GTID replica, its backup job and the
documented restore, in Debian 12's MariaDB 10.11 (Debian has no MySQL 8; the pinned image is ``mysql:8.0.40``).

Adapted as tests/realserver/mysql.py says: paths, ports, the peers' names -> 127.0.0.1, certificates issued here, a
stand-in for the image's entrypoint, and what MariaDB requires instead of MySQL 8's syntax (its :data:`MARIADB` list,
each change with its reason; :func:`test_each_mariadb_change_is_one_mariadb_requires` proves that MariaDB's own
server and clients refuse the generated form, so nothing is changed that would have run as generated). Those MySQL 8
forms (``CHANGE REPLICATION SOURCE TO ... SOURCE_AUTO_POSITION``, ``SET PERSIST super_read_only``, ``SHOW_ROUTINE``,
``gtid_mode``, ``ssl-mode``, ``--set-gtid-purged``) therefore run nowhere here: they are checked against the MySQL
8.0 Reference Manual only (docs/provider-notes.md). The backup job's scripts run as tests/realserver/backups.py says.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from components.docker import database_config as db
from tests.realserver.backups import SUNDAY_AT_TWO, Layout, back_up, lay_out, restore, run_loop, stored_dumps
from tests.realserver.conftest import (
    Pki,
    Workspace,
    delivered,
    free_port,
    local_variant,
    poll,
    require,
    workspace_at,
)
from tests.realserver.mysql import MARIADB, Adaptation, Server, admin, client, for_mariadb, shard_servers

BINARIES = ("mariadbd", "openssl")
#: Each network user's password file.
PASSWORDS = {
    db.APP_USER: "app-password",
    db.REPLICATION_USER: "replication-password",
    db.MONITOR_USER: "monitor-password",
    db.BACKUP_USER: "backup-password",
}


@pytest.fixture(scope="module")
def mysql_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return local_variant(tmp_path_factory.mktemp("mysql-project"), {"engine": "mysql", "replicas": 1})


@dataclass
class Stack:
    space: Workspace
    run: Any
    primary: Server
    replica: Server

    def app(self, server: Server, sql: str, check: bool = True) -> str:
        result = client(self.space, server, sql, user="app", password=self.primary.secret("app-password"), check=check)
        return result.stdout.strip() if check else result.stderr

    def replica_reads(self, row: int) -> str:
        """The body of the note ``row`` on the replica ('' while it has none)."""
        result = client(
            self.space,
            self.replica,
            f"SELECT body FROM notes WHERE id = {row}",
            user="app",
            password=self.primary.secret("app-password"),
            check=False,
        )
        return result.stdout.strip()


@pytest.fixture(scope="module")
def stack(mysql_run: Any, pki: Pki) -> Iterator[Stack]:
    require(*BINARIES)
    with workspace_at("mysql") as space:
        primary, replicas = shard_servers(space, mysql_run, pki, "database", 1)
        stack = Stack(space, mysql_run, primary, replicas[0])
        stack.app(primary, "CREATE TABLE notes (id int PRIMARY KEY, body text); INSERT INTO notes VALUES (1, 'first')")
        assert poll(lambda: stack.replica_reads(1) == "first")
        yield stack


def replica_status(stack: Stack) -> dict[str, str]:
    """``SHOW REPLICA STATUS`` on the replica, as root over its socket (MariaDB's names: Slave_..., Master_...)."""
    text = stack.space.run(
        ["mysql", f"--defaults-extra-file={stack.replica.file(db.secret_file('admin.cnf'))}", "-e",
         "SHOW REPLICA STATUS\\G"],
    ).stdout  # fmt: skip
    return dict(re.findall(r"^\s*(\w+): (.*)$", text, flags=re.M))


def test_a_row_written_on_the_primary_is_read_on_the_replica_over_tls_replication(stack: Stack) -> None:
    stack.app(stack.primary, "INSERT INTO notes VALUES (2, 'second')")
    assert poll(lambda: stack.replica_reads(2) == "second")
    status = replica_status(stack)
    assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
    # Over TLS that verifies the primary's certificate and name, positioned by GTID.
    assert (status["Master_SSL_Allowed"], status["Master_SSL_Verify_Server_Cert"]) == ("Yes", "Yes")
    assert status["Using_Gtid"] == "Slave_Pos"
    assert status["Master_User"] == db.REPLICATION_USER
    # The replication user exists only with REQUIRE SSL (and the server refuses any login without TLS).
    ssl_type = admin(
        stack.space, stack.primary, f"SELECT ssl_type FROM mysql.user WHERE user = '{db.REPLICATION_USER}'"
    )
    assert ssl_type == "ANY"


def test_the_replica_refuses_writes(stack: Stack) -> None:
    refused = stack.app(stack.replica, "INSERT INTO notes VALUES (3, 'no')", check=False)
    assert "--read-only option" in refused, refused


@pytest.mark.parametrize("user", list(PASSWORDS))
def test_logins_without_tls_are_refused(stack: Stack, user: str) -> None:
    """Each network user, with its password: refused without TLS, let in with it (MariaDB answers a REQUIRE SSL user
    without TLS "Access denied", as it does a wrong password: the TLS login beside it tells the two apart)."""
    password = stack.primary.secret(PASSWORDS[user])
    for server in (stack.primary, stack.replica):
        plain = client(
            stack.space, server, "SELECT 1", user=user, password=password, tls=False, database="", check=False
        )
        assert plain.returncode != 0
        assert f"Access denied for user '{user}'@'127.0.0.1'" in plain.stderr, plain.stderr
        assert client(stack.space, server, "SELECT 1", user=user, password=password, database="").stdout.strip() == "1"


def test_root_cannot_log_in_over_the_network(stack: Stack) -> None:
    for server in (stack.primary, stack.replica):
        result = client(
            stack.space, server, "SELECT 1", user="root", password=stack.primary.secret("admin-password"), check=False
        )
        assert result.returncode != 0
        assert "Access denied for user 'root'@'127.0.0.1'" in result.stderr, result.stderr


def test_the_monitoring_user_sees_a_statement_slower_than_two_seconds(stack: Stack) -> None:
    """The SlowDatabaseQueries source on MySQL: the Slow_queries counter (mysqld_exporter's
    ``mysql_global_status_slow_queries``), which ``long_query_time = 2`` makes count a 2.05 s statement, read by
    the exporter's user over TLS."""

    def slow_queries() -> int:
        found = client(
            stack.space,
            stack.primary,
            "SHOW GLOBAL STATUS LIKE 'Slow_queries'",
            user=db.MONITOR_USER,
            password=stack.primary.secret("monitor-password"),
            database="",  # as the exporter connects: the least-privilege role reaches no schema of the application
        )
        return int(found.stdout.split()[1])

    before = slow_queries()
    stack.app(stack.primary, "SELECT SLEEP(2.05)")
    assert slow_queries() == before + 1


# -- what MariaDB requires instead of MySQL 8's forms ------------------------------------------------------------
def test_each_mariadb_change_is_one_mariadb_requires(stack: Stack, mysql_run: Any) -> None:
    """Every change of :data:`MARIADB` was made (the generated files still hold each MySQL 8 form), and each form,
    as generated, is refused by MariaDB's own server or client."""
    used = stack.primary.adaptations | stack.replica.adaptations | backed_up_adaptations(mysql_run)
    assert set(MARIADB) == used, {a.mysql for a in set(MARIADB) - used}
    options = stack.space.run(["mariadbd", "--no-defaults", "--verbose", "--help"]).stdout
    for adaptation in MARIADB:
        assert refused_by_mariadb(stack, adaptation, options), adaptation


def refused_by_mariadb(stack: Stack, adaptation: Adaptation, server_options: str) -> bool:
    """Whether MariaDB refuses the MySQL 8 form of ``adaptation``."""
    form = adaptation.mysql.strip().strip(",;")
    if adaptation.file == "mysql.cnf":
        option = form.split(" = ")[0]
        if option == "secure_file_priv":  # known to MariaDB, but NULL is the name of a directory there
            checked = stack.space.run(["mariadbd", "--no-defaults", f"--{option}=NULL", "--help"], check=False)
            return (
                checked.returncode != 0
                and "Failed to normalize the argument for --secure-file-priv" in checked.stdout + checked.stderr
            )
        return not re.search(rf"^  --{option.replace('_', '-')}\b", server_options, flags=re.M)
    if adaptation.file == ".cnf":
        cnf = stack.space.write("refused.cnf", f"[client]\n{form}\n")
        result = stack.space.run(["mariadb", f"--defaults-file={cnf}", "-e", "SELECT 1"], check=False)
        return "unknown variable 'ssl-mode=VERIFY_IDENTITY'" in result.stderr
    if adaptation.file == "backup.sh":
        result = stack.space.run(["mysqldump", "--no-defaults", form, "app"], check=False)
        return result.returncode != 0 and "unknown variable 'set-gtid-purged=OFF'" in result.stderr
    statement = {
        "CHANGE REPLICATION SOURCE TO": "CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1'",
        "SOURCE_AUTO_POSITION=1": "CHANGE MASTER TO MASTER_HOST='127.0.0.1', SOURCE_AUTO_POSITION=1",
        "SOURCE_RETRY_COUNT=8640": "CHANGE MASTER TO MASTER_HOST='127.0.0.1', SOURCE_RETRY_COUNT=8640",
    }.get(form, form)
    result = stack.space.run(
        ["mysql", f"--defaults-extra-file={stack.primary.file(db.secret_file('admin.cnf'))}", "-e", statement],
        check=False,
    )
    return result.returncode != 0 and "ERROR 1064" in result.stderr


# -- the backup job, its upload and the documented restore -------------------------------------------------------
def backed_up_adaptations(run: Any) -> set[Adaptation]:
    used: set[Adaptation] = set()
    for container in ("backups-dump", "backups-upload"):
        for path, text in delivered(run, container).items():
            for_mariadb(path, text, used)
    return used


@pytest.fixture(scope="module")
def backed_up(stack: Stack, pki: Pki) -> Layout:
    layout = lay_out(
        stack.space,
        stack.run,
        pki,
        {"database-primary": stack.primary.port},
        adapt=lambda path, text: for_mariadb(path, text, set()),
    )
    back_up(layout)
    return layout


def test_the_dump_is_compressed_and_encrypted_by_the_job_before_it_is_stored(backed_up: Layout) -> None:
    files = stored_dumps(backed_up)
    assert [p.parent.name for p in files] == ["daily", "weekly"]
    assert files[0].name == "app-20261206T023000Z.sql.gz.enc"
    content = files[0].read_bytes()
    assert content.startswith(b"Salted__"), "openssl enc's salted format"
    assert b"\x1f\x8b" not in content[:32], "no gzip header: the compressed dump is inside the encryption"
    assert b"first" not in content
    assert not list(backed_up.scratch.joinpath("outbox").glob("*.sql.gz*")), "the uploaded dump left the outbox"
    metrics = backed_up.scratch.joinpath("metrics", "backup.prom").read_text()
    assert 'webstack_backup_failures_total{shard="0"} 0' in metrics
    assert f'webstack_backup_last_success_timestamp_seconds{{shard="0"}} {SUNDAY_AT_TWO}' in metrics


def test_the_documented_restore_brings_the_data_back(stack: Stack, backed_up: Layout) -> None:
    name = stored_dumps(backed_up)[0].name
    stack.app(stack.primary, "DROP TABLE notes")
    assert poll(lambda: "doesn't exist" in stack.app(stack.replica, "SELECT 1 FROM notes", check=False))
    restore(backed_up, stack.run, name, stack.primary.moved)
    assert stack.app(stack.primary, "SELECT body FROM notes WHERE id = 1") == "first"
    assert poll(lambda: stack.replica_reads(1) == "first")


def test_a_failed_dump_is_counted(mysql_run: Any, pki: Pki) -> None:
    """The same dump against a primary that does not answer: no file, the failure counted for the alert."""
    require(*BINARIES)
    with workspace_at("mysql-backup-failure") as space:
        layout = lay_out(
            space, mysql_run, pki, {"database-primary": free_port()}, adapt=lambda p, t: for_mariadb(p, t, set())
        )
        result = run_loop(layout, "backups-dump")
        assert "backup: the dump of shard 0 failed" in result.stderr
        assert not list(layout.scratch.joinpath("outbox").iterdir())
        metrics = layout.scratch.joinpath("metrics", "backup.prom").read_text()
        assert 'webstack_backup_failures_total{shard="0"} 1' in metrics
