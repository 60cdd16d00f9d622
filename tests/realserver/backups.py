"""The backup job's scripts as generated (``backup.sh`` in the dump container, ``upload.sh`` in the uploader), run
against real servers, and the documented restore, for either engine.

Adapted as the tier allows (paths under a scratch directory, the primaries' names and ports -> 127.0.0.1 and theirs,
the CA issued here), with three stand-ins on their PATH: ``date`` answers one fixed moment (by default a Sunday at the
backup hour, so that the loop dumps now, daily and weekly), ``sleep`` ends the loop after its first round (exit 3),
and ``mc`` (MinIO's client, in neither Debian nor PyPI) keeps the bucket in a directory: ``cp``, ``cat`` and ``ls`` on
``store/<bucket>/<key>``, and only while mc-env.sh has set the ``store`` alias and the CA.
"""

from __future__ import annotations

import re
import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.docker import backups
from components.docker import database_config as db
from components.docker.tls_ca import CA_FILE, CONFIG_DIR
from tests.components.docker_support import localize
from tests.realserver.conftest import SERVER_WAIT_SECONDS, Pki, Workspace, delivered, delivered_modes

#: A Sunday, 02:30 UTC (the default backup hour is 02): 2026-12-06T02:30:00Z.
SUNDAY_AT_TWO = 1796524200
#: The same Sunday at 05:30 UTC, outside the backup hour: the loop only writes its metrics.
SUNDAY_AT_FIVE = SUNDAY_AT_TWO + 3 * 3600
CONTAINERS = ("backups-dump", "backups-upload")

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


def stand_ins(space: Workspace, at: int = SUNDAY_AT_TWO) -> Path:
    """The stand-ins (see the module docstring) in a bin directory of their own."""
    bin_dir = space.path(f"backup-bin-{at}")
    bin_dir.mkdir(exist_ok=True)
    tools = {"date": f'#!/bin/sh\nexec /bin/date -d @{at} "$@"\n', "sleep": "#!/bin/sh\nexit 3\n", "mc": MC}
    for name, body in tools.items():
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    space.user.own(space.root)
    return bin_dir


@dataclass
class Layout:
    """Where each backup container's files lie here, and the environment its scripts run with."""

    space: Workspace
    paths: dict[str, dict[str, str]]
    env: dict[str, str]

    @property
    def scratch(self) -> Path:
        return self.space.path("scratch")

    @property
    def store(self) -> Path:
        return self.space.path("store")

    def at(self, moment: int) -> dict[str, str]:
        """The environment with ``date`` answering ``moment``."""
        return {**self.env, "PATH": f"{stand_ins(self.space, moment)}:{self.space.env()['PATH']}"}


def point_at(text: str, primaries: Mapping[str, int]) -> str:
    """Each primary's name and port in a generated file -> 127.0.0.1 and the port of its server here (libpq's
    conninfo, or a MySQL client option file)."""
    for host, port in primaries.items():
        text = re.sub(rf"host={re.escape(host)} port=\d+", f"host=127.0.0.1 port={port}", text)
        text = re.sub(rf"^host = {re.escape(host)}\nport = \d+$", f"host = 127.0.0.1\nport = {port}", text, flags=re.M)
    return text


def lay_out(
    space: Workspace,
    run: Any,
    pki: Pki,
    primaries: Mapping[str, int],
    adapt: Callable[[str, str], str] = lambda path, text: text,
) -> Layout:
    """The dump's and the uploader's files for the primaries (host -> port here); ``adapt`` changes what the server
    version requires (MariaDB)."""
    engine = "mysql" if any(path.endswith(".cnf") for path in delivered(run, "backups-dump")) else "postgres"
    paths = {
        "backups-dump": {
            CONFIG_DIR: str(space.path("dump", "etc")),
            backups.SCRATCH_MOUNTS[engine]: str(space.path("scratch")),
            "/tmp": str(space.path("dump", "tmp")),
        },
        "backups-upload": {
            CONFIG_DIR: str(space.path("upload", "etc")),
            backups.UPLOAD_MOUNT: str(space.path("scratch")),
            "/tmp": str(space.path("upload", "tmp")),
        },
    }
    for container, where in paths.items():
        files = {**delivered(run, container), CA_FILE: pki.ca_cert.read_text()}
        files = {path: adapt(path, point_at(text, primaries)) for path, text in files.items()}
        space.place(files, where, modes=delivered_modes(run, container))
        for directory in where.values():
            Path(directory).mkdir(parents=True, exist_ok=True)
    space.path("store").mkdir(exist_ok=True)
    space.user.own(space.root)
    layout = Layout(space, paths, {"STORE": str(space.path("store"))})
    layout.env = layout.at(SUNDAY_AT_TWO)
    return layout


def run_loop(layout: Layout, container: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """One round of ``container``'s loop (``backup.sh`` or ``upload.sh``), ended by the ``sleep`` stand-in."""
    script = db.config_path("backup.sh" if container == "backups-dump" else "upload.sh")
    shell = backups.SHELL if container == "backups-dump" else "/bin/sh"
    path = localize(script, layout.paths[container])
    result = layout.space.run([shell, path], env=env or layout.env, check=False)
    assert result.returncode == 3, f"{container} ended with {result.returncode}, not at its sleep:\n{result.stderr}"
    return result


def back_up(layout: Layout) -> None:
    """A dump and its upload, each one round of its loop."""
    dumped = run_loop(layout, "backups-dump")
    uploaded = run_loop(layout, "backups-upload")
    assert "backup: dumped" in dumped.stderr, dumped.stderr
    assert "backup-upload: uploaded" in uploaded.stderr, uploaded.stderr


def restore(
    layout: Layout, run: Any, file_name: str, primary: Mapping[str, str], fix: Callable[[str], str] = lambda s: s
) -> None:
    """The stack's documented restore (the output ``restoreCommand``: uploader | backup container | primary), each
    part run where its container's files are (``primary``: the primary's moved paths), as its user; ``fix`` adapts
    the primary's part (its port)."""
    command = run.outputs["restoreCommand"].split("\n")[-3:]
    places = {
        "webstack-local-backups-upload": layout.paths["backups-upload"],
        "webstack-local-backups-dump": layout.paths["backups-dump"],
        "webstack-local-database-primary": dict(primary),
    }
    procs: list[subprocess.Popen[bytes]] = []
    previous = None
    space = layout.space
    for part in command:
        words = shlex.split(part.strip().removeprefix("|").removesuffix("\\"))
        assert words[:2] == ["docker", "exec"], words
        assert words[-3:-1] == ["sh", "-c"], words
        container = words[-4]
        script = localize(words[-1].replace("<file>", file_name), places[container])
        if container.endswith("-primary"):
            script = fix(script)
        proc = subprocess.Popen(
            [*space.user.prefix, "/bin/sh", "-c", script], stdin=previous, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=space.env(layout.env), cwd=space.root,
        )  # fmt: skip
        if previous is not None:
            previous.close()
        previous = proc.stdout
        procs.append(proc)
    assert procs[-1].stdout is not None
    procs[-1].stdout.read()
    for proc in procs:
        proc.wait(timeout=SERVER_WAIT_SECONDS)
        assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""


def stored_dumps(layout: Layout) -> list[Path]:
    """The files in the bucket's stand-in, by prefix then name."""
    return sorted(p for p in layout.store.joinpath("backups").rglob("*") if p.is_file())
