"""PostgreSQL servers from the generated files of one shard: the primary's and the replicas' ``start.sh``,
``postgresql.conf``, ``pg_hba.conf``, init SQL and password files, run as they are after the adaptations the tier
allows (see conftest): paths under a scratch directory, the port, and the peers' names replaced by 127.0.0.1
(``listen_addresses`` too); the certificates issued here for the names the program requests.

The images' entrypoint (docker-library/postgres ``docker-entrypoint.sh``: initdb with ``POSTGRES_USER``,
``POSTGRES_PASSWORD_FILE`` and ``POSTGRES_INITDB_ARGS`` on the first start, a temporary local-only server that runs
``/docker-entrypoint-initdb.d/*.sql`` with psql as that user, then ``postgres`` with the given arguments) is not in
Debian's packages: :data:`ENTRYPOINT` stands in for it, doing those steps only.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.docker import database_config as db
from components.docker.tls_ca import CA_FILE, CERT_FILE, CONFIG_DIR, KEY_FILE
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

ENTRYPOINT = """#!/bin/sh
# Stand-in for the PostgreSQL image's docker-entrypoint.sh (first start: initdb, init scripts; then postgres).
set -eu
[ "$1" = postgres ] && shift
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    initdb --username="$POSTGRES_USER" --pwfile="$POSTGRES_PASSWORD_FILE" $POSTGRES_INITDB_ARGS -D "$PGDATA" >/dev/null
    port="$(sed -n 's/^port = //p' "$(echo "$@" | sed 's/.*config_file=//')")"
    pg_ctl -D "$PGDATA" -o "$* -c listen_addresses=''" -w start >/dev/null
    export PGPASSWORD="$(cat "$POSTGRES_PASSWORD_FILE")"
    for file in "$INITDB_DIR"/*.sql; do
        [ -e "$file" ] || continue
        psql -v ON_ERROR_STOP=1 --no-psqlrc --host="$SOCKET_DIR" --port="$port" --username="$POSTGRES_USER" \\
            --dbname="$POSTGRES_DB" -f "$file" >/dev/null
    done
    unset PGPASSWORD
    pg_ctl -D "$PGDATA" -m fast -w stop >/dev/null
fi
exec postgres "$@"
"""


@dataclass
class Server:
    name: str
    port: int
    root: Path
    moved: dict[str, str]
    files: dict[str, str]

    def file(self, generated_path: str) -> Path:
        """Where a generated file of this server lies here."""
        for old, new in sorted(self.moved.items(), key=lambda item: -len(item[0])):
            if generated_path.startswith(old):
                return Path(new + generated_path[len(old) :])
        raise KeyError(generated_path)

    def secret(self, name: str) -> str:
        return self.files[db.secret_file(name)].strip()


def moved_paths(space: Workspace, name: str) -> dict[str, str]:
    base = space.path(name)
    return {
        CONFIG_DIR: str(base / "etc"),
        db.POSTGRES_SOCKET_DIR: str(base / "run"),
        db.POSTGRES_DATA_MOUNT: str(base / "data"),
        db.INITDB_DIR: str(base / "initdb.d"),
        "/tmp": str(base / "tmp"),
    }


def adapt_text(text: str, ports: dict[str, int], port: int) -> str:
    """Peers' names -> 127.0.0.1 with their ports; the server's own port; listen on loopback."""
    for host, peer_port in ports.items():
        text = re.sub(rf"host={re.escape(host)} port=\d+", f"host=127.0.0.1 port={peer_port}", text)
        text = re.sub(rf"--host={re.escape(host)} --port=\d+", f"--host=127.0.0.1 --port={peer_port}", text)
    text = text.replace("listen_addresses = '*'", "listen_addresses = '127.0.0.1'")
    text = re.sub(r"^port = \d+$", f"port = {port}", text, flags=re.M)
    return re.sub(r"--port=5432\b", f"--port={port}", text)


def prepare(space: Workspace, run: Any, pki: Pki, container: str, ports: dict[str, int]) -> Server:
    """Lay out ``container``'s delivered files for a server on ``ports[container's alias]``."""
    alias = container
    port = ports[alias]
    files = delivered(run, container)
    moved = moved_paths(space, container)
    dns, ips = requested_names(run, container)
    cert, key = pki.issue(container, dns, ips)
    files = {**files, CA_FILE: pki.ca_cert.read_text(), CERT_FILE: cert, KEY_FILE: key}
    adapted = {path: adapt_text(content, ports, port) for path, content in files.items()}
    space.place(adapted, moved, modes=delivered_modes(run, container))
    for directory in ("run", "data", "initdb.d", "tmp"):
        (space.path(container) / directory).mkdir(parents=True, exist_ok=True)
    (space.path(container) / "data").chmod(0o700)
    bin_dir = space.path("bin")
    bin_dir.mkdir(exist_ok=True)
    # Shards are prepared side by side and may already run the entrypoint: replace it atomically (a new inode),
    # never rewrite the file a running shell executes ("Text file busy").
    staged = bin_dir / f".docker-entrypoint.sh.{container}"
    staged.write_text(ENTRYPOINT)
    staged.chmod(0o755)
    staged.replace(bin_dir / "docker-entrypoint.sh")
    space.user.own(space.root)
    return Server(container, port, space.path(container), moved, files)


def start(space: Workspace, run: Any, server: Server) -> subprocess.Popen[bytes]:
    """The container's entrypoint (``/bin/sh start.sh``) with its environment, paths moved."""
    from tests.components.docker_support import localize

    env = {key: localize(value, server.moved) for key, value in environment(run, server.name).items()}
    env |= {
        "PATH": f"{space.path('bin')}:{space.env()['PATH']}",
        "INITDB_DIR": server.moved[db.INITDB_DIR],
        "SOCKET_DIR": server.moved[db.POSTGRES_SOCKET_DIR],
    }
    proc = space.start(["/bin/sh", str(server.file(db.config_path("start.sh")))], env=env, log=f"{server.name}.log")
    return proc


def shard_servers(space: Workspace, run: Any, pki: Pki, shard: str, replicas: int) -> tuple[Server, list[Server]]:
    """A shard's primary and replicas, started and accepting connections."""
    names = [f"{shard}-primary", *(db.replica_name(shard, n) for n in range(1, replicas + 1))]
    ports = {name: free_port() for name in names}
    servers = [prepare(space, run, pki, name, ports) for name in names]
    procs = [start(space, run, servers[0])]
    wait_for_port(servers[0].port, proc=procs[0], log=space.path(f"{servers[0].name}.log"))
    for server in servers[1:]:
        procs.append(start(space, run, server))
    for server, proc in zip(servers[1:], procs[1:], strict=True):
        wait_for_port(server.port, proc=proc, log=space.path(f"{server.name}.log"))
    return servers[0], servers[1:]


def psql(
    space: Workspace,
    server: Server,
    sql: str,
    *,
    user: str,
    password: str,
    dbname: str = "app",
    sslmode: str = "verify-full",
    ca: Path | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``psql`` over TCP to 127.0.0.1 (TLS verified against the test CA unless ``sslmode`` says otherwise)."""
    ca_file = ca or server.file(CA_FILE)
    conninfo = f"host=127.0.0.1 port={server.port} dbname={dbname} user={user} sslmode={sslmode} sslrootcert={ca_file}"
    return space.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, conninfo],
        env={"PGPASSWORD": password, "PGCONNECT_TIMEOUT": "5"},
        check=check,
    )


def local_psql(space: Workspace, server: Server, sql: str, admin: str, dbname: str = "app") -> str:
    """``psql`` as the superuser over the server's socket, the way restores and break-glass work."""
    return space.run(
        ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", f"--host={server.file(db.POSTGRES_SOCKET_DIR)}",
         f"--port={server.port}", f"--username={admin}", f"--dbname={dbname}", "-c", sql],
        env={"PGPASSWORD": server.secret("admin-password")},
    ).stdout.strip()  # fmt: skip
