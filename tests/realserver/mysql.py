"""MySQL servers from the generated files of one shard, run in Debian 12's MariaDB 10.11 (Debian has no MySQL 8; the
pinned image is ``mysql:8.0.40``): the primary's and the replica's ``start.sh``, ``mysql.cnf``, init scripts and
password files, after the adaptations the tier allows (see conftest: paths under a scratch directory, the port, the
peers' names replaced by 127.0.0.1, ``bind_address`` too, the certificates issued here for the names the program
requests) and those MariaDB requires, each listed in :data:`MARIADB` with what MySQL 8 means by it and why MariaDB
needs another form. tests/realserver/test_mysql.py proves that each of those is required: MariaDB's own tools refuse
the generated form.

The image's entrypoint (docker-library/mysql ``8.0/docker-entrypoint.sh``: on the first start ``mysqld
--initialize-insecure`` (root@localhost only, no password), a temporary server with ``--skip-networking``, root's
password from ``MYSQL_ROOT_PASSWORD_FILE`` set without binary logging (``SET @@SESSION.SQL_LOG_BIN=0``),
``MYSQL_DATABASE`` and ``MYSQL_USER`` created (logged, so that replicas receive them), every
``/docker-entrypoint-initdb.d/*.sh`` sourced with ``docker_process_sql`` (the mysql client as root over the socket),
the temporary server stopped; then ``mysqld`` with the given arguments) is not in Debian's packages: :data:`ENTRYPOINT`
stands in for it, doing those steps only, with ``mariadb-install-db`` in place of ``--initialize-insecure`` (it also
makes root@127.0.0.1, root@::1 and root@<hostname>, which the stand-in drops, as MySQL never makes them) and the
image's ``/etc/my.cnf`` (datadir and socket, which the generated file does not set) written next to it, the generated
file included after it as ``--defaults-extra-file`` would read it (MariaDB ignores ``--defaults-extra-file`` beside the
``--defaults-file`` that keeps Debian's own ``/etc/mysql`` out).
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.docker import database_config as db
from components.docker.tls_ca import CA_FILE, CERT_FILE, CONFIG_DIR, KEY_FILE
from tests.components.docker_support import localize
from tests.realserver.backups import point_at
from tests.realserver.conftest import (
    Pki,
    Workspace,
    delivered,
    delivered_modes,
    environment,
    free_port,
    requested_names,
    wait_for_port,
)

ENTRYPOINT = r"""#!/bin/bash
# Stand-in for the MySQL image's docker-entrypoint.sh, on MariaDB (see tests/realserver/mysql.py).
set -euo pipefail
[ "$1" = mysqld ] && shift
generated="${1#--defaults-extra-file=}"
shift
datadir="$MYSQL_DATADIR"
cnf="$MYSQL_IMAGE_DIR/my.cnf"
printf '[mysqld]\ndatadir = %s\nsocket = %s\n[client]\nsocket = %s\n!include %s\n' \
    "$datadir" "$MYSQL_SOCKET" "$MYSQL_SOCKET" "$generated" > "$cnf"
if [ ! -d "$datadir/mysql" ]; then
    mariadb-install-db --defaults-file="$cnf" --auth-root-authentication-method=normal --skip-test-db >/dev/null
    mysqld --defaults-file="$cnf" --skip-networking "$@" &
    temporary=$!
    until mysqladmin --defaults-file="$cnf" -uroot ping >/dev/null 2>&1; do
        kill -0 "$temporary"
        sleep 0.2
    done
    root_password="$(cat "$MYSQL_ROOT_PASSWORD_FILE")"
    docker_process_sql() {
        mysql --defaults-file=<(printf '[client]\nsocket = %s\npassword = "%s"\n' "$MYSQL_SOCKET" "$root_password") \
            --protocol=socket -uroot -hlocalhost --comments "$@"
    }
    mysql --defaults-file="$cnf" --protocol=socket -uroot <<EOSQL
SET @@SESSION.SQL_LOG_BIN=0;
DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1', 'root'@'$(hostname)', 'mysql'@'localhost';
ALTER USER 'root'@'localhost' IDENTIFIED BY '${root_password}';
DROP DATABASE IF EXISTS test;
EOSQL
    if [ -n "${MYSQL_DATABASE:-}" ]; then
        docker_process_sql --database=mysql <<<"CREATE DATABASE IF NOT EXISTS \`$MYSQL_DATABASE\`;"
    fi
    if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD_FILE:-}" ]; then
        password="$(cat "$MYSQL_PASSWORD_FILE")"
        docker_process_sql --database=mysql <<<"CREATE USER '$MYSQL_USER'@'%' IDENTIFIED BY '$password';"
        docker_process_sql --database=mysql <<<"GRANT ALL ON \`$MYSQL_DATABASE\`.* TO '$MYSQL_USER'@'%';"
    fi
    for f in "$INITDB_DIR"/*.sh; do
        [ -e "$f" ] || continue
        . "$f"
    done
    mysqladmin --defaults-file=<(printf '[client]\nsocket = %s\npassword = "%s"\n' "$MYSQL_SOCKET" "$root_password") \
        -uroot shutdown
    wait "$temporary"
    unset root_password
fi
exec mysqld --defaults-file="$cnf" "$@"
"""


#: The MySQL image's ``secure-file-priv`` directory (its /etc/my.cnf), empty.
IMAGE_FILES_DIR = "/var/lib/mysql-files"


@dataclass(frozen=True)
class Adaptation:
    """One change MariaDB 10.11 requires of a generated MySQL 8 file: in files whose path ends with ``file``, the
    text ``mysql`` becomes ``mariadb``; ``why`` says what differs, with its source."""

    file: str
    mysql: str
    mariadb: str
    why: str


#: Everything the tier changes because the server is MariaDB 10.11, not MySQL 8.0 (MySQL 8.0 Reference Manual;
#: MariaDB's knowledge base and ``mariadbd --verbose --help``). Authentication needs nothing: the generated SQL names
#: no plugin (MySQL 8 defaults to caching_sha2_password, MariaDB to mysql_native_password), and both require TLS the
#: same way (``REQUIRE SSL``, ``require_secure_transport``).
MARIADB: tuple[Adaptation, ...] = (
    Adaptation("mysql.cnf", "mysqlx = OFF\n", "", "MariaDB has no X Plugin, so no mysqlx option"),
    Adaptation("mysql.cnf", "gtid_mode = ON\n", "", "MariaDB's binary log always carries GTIDs: there is no gtid_mode"),
    Adaptation(
        "mysql.cnf",
        "enforce_gtid_consistency = ON\n",
        "",
        "MariaDB's GTIDs allow every statement MySQL's consistency check refuses: no such option",
    ),
    Adaptation(
        "mysql.cnf", "log_replica_updates = ON", "log_slave_updates = ON", "MariaDB 10.11 knows only the older name"
    ),
    Adaptation(
        "mysql.cnf",
        "secure_file_priv = NULL",
        f"secure_file_priv = {IMAGE_FILES_DIR}",
        "MySQL's NULL turns file import and export off; MariaDB has no such value (an empty one lifts the limit): "
        "the nearest is an empty directory, the image's own default for it",
    ),
    Adaptation(
        "initdb/10-webstack.sh",
        "CHANGE REPLICATION SOURCE TO",
        "CHANGE MASTER TO",
        "MySQL 8.0.23's new name for CHANGE MASTER; MariaDB 10.11 has only the old one (and its MASTER_ options)",
    ),
    Adaptation(
        "initdb/10-webstack.sh",
        "  SOURCE_AUTO_POSITION=1,\n",
        "  MASTER_USE_GTID=slave_pos,\n",
        "MariaDB's GTID positioning: the replica asks the primary for what follows its own GTID position",
    ),
    Adaptation(
        "initdb/10-webstack.sh",
        ",\n  SOURCE_RETRY_COUNT=8640;",
        ";",
        "MariaDB's CHANGE MASTER has no retry count: the server's master_retry_count (default 100000) bounds them",
    ),
    Adaptation(
        "initdb/10-webstack.sh",
        "SET PERSIST super_read_only = ON;\n",
        "",
        "MariaDB has neither SET PERSIST nor super_read_only: the option file's read_only binds every account "
        "without READ ONLY ADMIN (MariaDB 10.11), that is all but root, which MySQL's super_read_only binds too",
    ),
    Adaptation(
        "initdb/10-webstack.sh",
        "GRANT SHOW_ROUTINE ON *.* TO 'backup'@'%';\n",
        "",
        "MySQL 8.0.20's SHOW_ROUTINE privilege; MariaDB 10.11 has none (11.3 added SHOW CREATE ROUTINE)",
    ),
    Adaptation(
        ".cnf",
        "ssl-mode = VERIFY_IDENTITY",
        "ssl-verify-server-cert",
        "MariaDB's client spells MySQL's VERIFY_IDENTITY (the CA and the server's name checked) this way",
    ),
    Adaptation(
        "backup.sh",
        " --set-gtid-purged=OFF",
        "",
        "MariaDB's mysqldump has no --set-gtid-purged: it writes no GTID state unless asked (--gtid)",
    ),
)
#: The statements of the replica's init script that become MASTER_ options in CHANGE MASTER.
_SOURCE_OPTION = re.compile(r"^  SOURCE_(?=[A-Z_]+=)", re.M)


def for_mariadb(path: str, text: str, used: set[Adaptation]) -> str:
    """``text`` of the generated file ``path`` as MariaDB 10.11 needs it; the adaptations applied join ``used``."""
    for adaptation in MARIADB:
        if path.endswith(adaptation.file) and adaptation.mysql in text:
            text = text.replace(adaptation.mysql, adaptation.mariadb)
            used.add(adaptation)
    if "CHANGE MASTER TO" in text:
        text = _SOURCE_OPTION.sub("  MASTER_", text)
    return text


def adapt_text(path: str, text: str, ports: dict[str, int], port: int) -> str:
    """Peers' names -> 127.0.0.1 with their ports; the server's own port and listen address (its option file)."""
    text = point_at(text, ports)
    for host, peer_port in ports.items():
        text = re.sub(
            rf"SOURCE_HOST='{re.escape(host)}',\n  SOURCE_PORT=\d+,",
            f"SOURCE_HOST='127.0.0.1',\n  SOURCE_PORT={peer_port},",
            text,
        )
    if path.endswith("mysql.cnf"):
        text = text.replace("bind_address = *", "bind_address = 127.0.0.1")
        text = re.sub(r"^port = \d+$", f"port = {port}", text, flags=re.M)
    return text


@dataclass
class Server:
    name: str
    port: int
    root: Path
    moved: dict[str, str]
    files: dict[str, str]
    adaptations: set[Adaptation] = field(default_factory=set)

    def file(self, generated_path: str) -> Path:
        """Where a generated file of this server lies here."""
        return Path(localize(generated_path, self.moved))

    def secret(self, name: str) -> str:
        return self.files[db.secret_file(name)].strip()


def moved_paths(space: Workspace, name: str) -> dict[str, str]:
    base = space.path(name)
    return {
        CONFIG_DIR: str(base / "etc"),
        db.MYSQL_RUN_DIR: str(base / "run"),
        db.MYSQL_DATA_MOUNT: str(base / "data"),
        db.INITDB_DIR: str(base / "initdb.d"),
        IMAGE_FILES_DIR: str(base / "no-files"),
        "/tmp": str(base / "tmp"),
    }


def prepare(space: Workspace, run: Any, pki: Pki, container: str, ports: dict[str, int]) -> Server:
    """Lay out ``container``'s delivered files for a server on ``ports[container]``."""
    port = ports[container]
    files = delivered(run, container)
    moved = moved_paths(space, container)
    dns, ips = requested_names(run, container)
    cert, key = pki.issue(container, dns, ips)
    files = {**files, CA_FILE: pki.ca_cert.read_text(), CERT_FILE: cert, KEY_FILE: key}
    server = Server(container, port, space.path(container), moved, files)
    adapted = {
        path: for_mariadb(path, adapt_text(path, content, ports, port), server.adaptations)
        for path, content in files.items()
    }
    space.place(adapted, moved, modes=delivered_modes(run, container))
    for directory in ("run", "data", "initdb.d", "tmp", "image", "no-files"):
        (space.path(container) / directory).mkdir(parents=True, exist_ok=True)
    bin_dir = space.path("bin")
    bin_dir.mkdir(exist_ok=True)
    staged = bin_dir / f".docker-entrypoint.sh.{container}"
    staged.write_text(ENTRYPOINT)
    staged.chmod(0o755)
    staged.replace(bin_dir / "docker-entrypoint.sh")
    space.user.own(space.root)
    return server


def start(space: Workspace, run: Any, server: Server) -> subprocess.Popen[bytes]:
    """The container's entrypoint (``/bin/sh start.sh``) with its environment, paths moved."""
    env = {key: localize(value, server.moved) for key, value in environment(run, server.name).items()}
    env |= {
        "PATH": f"{space.path('bin')}:{space.env()['PATH']}",
        "INITDB_DIR": server.moved[db.INITDB_DIR],
        "MYSQL_DATADIR": server.moved[db.MYSQL_DATA_MOUNT],
        "MYSQL_SOCKET": localize(db.MYSQL_SOCKET, server.moved),
        "MYSQL_IMAGE_DIR": str(server.root / "image"),
        # The container's own /tmp (its tmpfs), where the server keeps temporary tables: here the moved one, not the
        # host's /tmp, which other servers share.
        "TMPDIR": server.moved["/tmp"],
    }
    return space.start(["/bin/sh", str(server.file(db.config_path("start.sh")))], env=env, log=f"{server.name}.log")


def shard_servers(space: Workspace, run: Any, pki: Pki, shard: str, replicas: int) -> tuple[Server, list[Server]]:
    """A shard's primary and replicas, started and accepting connections."""
    names = [f"{shard}-primary", *(db.replica_name(shard, n) for n in range(1, replicas + 1))]
    ports = {name: free_port() for name in names}
    servers = [prepare(space, run, pki, name, ports) for name in names]
    procs = [start(space, run, server) for server in servers]
    for server, proc in zip(servers, procs, strict=True):
        wait_for_port(server.port, proc=proc, log=space.path(f"{server.name}.log"))
    return servers[0], servers[1:]


def client(
    space: Workspace,
    server: Server,
    sql: str,
    *,
    user: str,
    password: str,
    database: str = "app",
    tls: bool = True,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``mariadb`` over TCP to 127.0.0.1, TLS verified against the test CA (name and chain) unless ``tls`` is off."""
    options = [f"--ssl-ca={server.file(CA_FILE)}", "--ssl-verify-server-cert"] if tls else ["--skip-ssl"]
    options += [database] if database else []
    return space.run(
        ["mariadb", "--no-defaults", "--protocol=tcp", "-h", "127.0.0.1", "-P", str(server.port), "-u", user,
         "--batch", "--skip-column-names", "--connect-timeout=60", "-e", sql, *options],
        env={"MYSQL_PWD": password},
        check=check,
    )  # fmt: skip


def admin(space: Workspace, server: Server, sql: str, database: str = "app") -> str:
    """``mysql`` as root with the generated ``admin.cnf`` (over the socket), as restores and break-glass work."""
    return space.run(
        ["mysql", f"--defaults-extra-file={server.file(db.secret_file('admin.cnf'))}", "--batch", "--skip-column-names",
         "-e", sql, database],
    ).stdout.strip()  # fmt: skip
