"""The real-server tier: the docker platform's generated configuration run in Debian 12's servers on loopback.

Every test takes the files from a stack as the program generates them (the recorded run of ``Pulumi.local.yaml``, or
of a variant written here) and adapts only what a host without Docker needs: paths (under a scratch directory), ports
(free ones, chosen at run time), listen and peer addresses (127.0.0.1 instead of the data network's names), and the
placeholders the mocks return for what Pulumi generates at deployment (certificates: issued here by ``openssl`` for
the names and addresses the program asks for). Each test says what it adapts.

Servers run as an unprivileged user (``nobody`` when the tests run as root: PostgreSQL refuses root) in a scratch
directory of their own, and are stopped when the test ends. The servers come from ``scripts/ci/install-servers.sh``;
without them the tests skip, unless ``WEBSTACK_REALSERVER_REQUIRED=1`` (``.ci/run`` sets it) makes that a failure.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackcheck.engine.resources import RecordedResource
from tests.components.docker_support import localize, unwrap

REQUIRED_ENV = "WEBSTACK_REALSERVER_REQUIRED"
PG_BIN = Path("/usr/lib/postgresql/15/bin")
#: Where Debian's packages put each server binary the tier runs.
BINARIES = {
    "nginx": "/usr/sbin/nginx",
    "postgres": str(PG_BIN / "postgres"),
    "mariadbd": "/usr/sbin/mariadbd",
    "redis-server": "/usr/bin/redis-server",
    "promtool": "/usr/bin/promtool",
    "prometheus": "/usr/bin/prometheus",
    "amtool": "/usr/bin/amtool",
    "node-exporter": "/usr/bin/prometheus-node-exporter",
    "openssl": "/usr/bin/openssl",
}


#: Every wait for a server bounds the wait only (a server that never comes is a failure, a slow one is not): minutes.
SERVER_WAIT_SECONDS = 300


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.realserver)


def require(*names: str) -> None:
    """Skip the test (fail it under ``WEBSTACK_REALSERVER_REQUIRED=1``) unless every named server is installed."""
    missing = [name for name in names if not Path(BINARIES[name]).exists()]
    if not missing:
        return
    reason = f"real servers not installed: {', '.join(missing)} (run scripts/ci/install-servers.sh as root)"
    if os.environ.get(REQUIRED_ENV) == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the kernel's choice; another process may still take it before we do)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(
    port: int,
    host: str = "127.0.0.1",
    timeout: float = SERVER_WAIT_SECONDS,
    proc: subprocess.Popen[Any] | None = None,
    log: Path | None = None,
) -> None:
    """Wait until something accepts connections on ``host:port``; fail with the end of the server's ``log`` if it
    died or never listened."""
    # A bounded number of attempts, not a clock: the wait's length never decides the verdict.
    for _ in range(max(1, round(timeout / 0.1))):
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode} before listening on {port}{_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise AssertionError(f"nothing listens on {host}:{port} after {timeout} s{_tail(log)}")


def _tail(log: Path | None, lines: int = 30) -> str:
    if log is None or not log.exists():
        return ""
    return ":\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class ServerUser:
    """Who runs the servers: ``nobody`` when the tests run as root, else the current user."""

    uid: int
    gid: int

    @property
    def prefix(self) -> list[str]:
        if os.geteuid() != 0:
            return []
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups", "--"]

    def own(self, path: Path) -> None:
        """Give ``path`` (and what it holds) to this user."""
        if os.geteuid() != 0:
            return
        for item in [path, *path.rglob("*")]:
            # Running servers create and delete files meanwhile; what they made is theirs already.
            with contextlib.suppress(FileNotFoundError):
                if item.lstat().st_uid != self.uid:
                    os.lchown(item, self.uid, self.gid)


@dataclass
class Workspace:
    """A scratch directory the server user owns, the processes started in it, and the helpers to run commands."""

    root: Path
    user: ServerUser
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def write(self, relative: str, content: str, mode: int = 0o600) -> Path:
        """A file under the workspace, owned by the server user."""
        path = self.root / relative.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        path.chmod(mode)
        self.user.own(self.root)
        return path

    def place(
        self,
        files: Mapping[str, str],
        moved: Mapping[str, str],
        mode: int = 0o600,
        modes: Mapping[str, int] | None = None,
    ) -> dict[str, Path]:
        """Write generated files where ``moved`` (absolute prefix -> new prefix) puts them, their paths inside them
        moved alike (tests.components.docker_support.localize), each with its mode from ``modes`` (the program's),
        else ``mode``; returns original path -> new path."""
        placed = {}
        for original, content in files.items():
            target = Path(localize(original, moved))
            assert self.root in target.parents, f"{original} is not moved under the workspace"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(localize(content, moved))
            target.chmod((modes or {}).get(original, mode))
            placed[original] = target
        self.user.own(self.root)
        return placed

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        base = {"PATH": f"{PG_BIN}:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.root), "LANG": "C.UTF-8"}
        return {**base, **(extra or {})}

    def run(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        input: str | bytes | None = None,
        check: bool = True,
        timeout: float = SERVER_WAIT_SECONDS,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``command`` as the server user; ``check`` fails the test with its output. Its output goes to files
        the user owns: servers reopen /dev/stdout and /dev/stderr, which a pipe of the test's user would refuse."""
        self.user.own(self.root)
        data = input.encode() if isinstance(input, str) else input
        outputs = []
        for stream in ("stdout", "stderr"):
            path = self.root / f".run-{stream}"
            path.write_bytes(b"")
            self.user.own(path)
            outputs.append(path)
        with outputs[0].open("wb") as out, outputs[1].open("wb") as err:
            result = subprocess.run(
                [*self.user.prefix, *command],
                env=self.env(env),
                input=data,
                stdout=out,
                stderr=err,
                cwd=self.root,
                timeout=timeout,
                check=False,
            )
        text = subprocess.CompletedProcess(
            result.args,
            result.returncode,
            outputs[0].read_bytes().decode(errors="replace"),
            outputs[1].read_bytes().decode(errors="replace"),
        )
        if check and result.returncode != 0:
            raise AssertionError(f"{' '.join(command)} exited {result.returncode}:\n{text.stdout}\n{text.stderr}")
        return text

    def start(
        self, command: Sequence[str], *, env: Mapping[str, str] | None = None, log: str = ""
    ) -> subprocess.Popen[bytes]:
        """Start a server as the server user, its output in ``log`` (under the workspace); stopped at teardown."""
        path = self.root / (log or f"{Path(command[0]).name}-{len(self.processes)}.log")
        path.touch()
        self.user.own(self.root)
        out = path.open("ab")
        proc = subprocess.Popen(
            [*self.user.prefix, *command], env=self.env(env), stdout=out, stderr=subprocess.STDOUT, cwd=self.root,
            start_new_session=True,
        )  # fmt: skip
        out.close()
        self.processes.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)

    def log(self, name: str) -> str:
        path = self.root / name
        return path.read_text(errors="replace") if path.exists() else ""


def _server_user() -> ServerUser:
    if os.geteuid() != 0:
        return ServerUser(os.getuid(), os.getgid())
    return ServerUser(pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid)


@contextlib.contextmanager
def workspace_at(prefix: str) -> Iterator[Workspace]:
    user = _server_user()
    root = Path(tempfile.mkdtemp(prefix=f"webstack-{prefix}-"))
    root.chmod(0o755)
    space = Workspace(root, user)
    try:
        yield space
    finally:
        for proc in reversed(space.processes):
            space.stop(proc)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def workspace(request: pytest.FixtureRequest) -> Iterator[Workspace]:
    """A scratch directory owned by the server user; every server started in it is stopped at the end."""
    with workspace_at(request.node.name[:40].replace("/", "_").replace("[", "-").replace("]", "")) as space:
        yield space


# -- what the program generated ----------------------------------------------------------------------------------------
def local_variant(directory: Path, database: Mapping[str, Any]) -> Any:
    """The recorded run of the local stack with ``webstack:database`` replaced, in a project copy at ``directory``
    (the real program, settings and policies)."""
    from tests.conftest import ROOT, recorded_stack

    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (directory / name).symlink_to(ROOT / name)
    config = yaml.safe_load((ROOT / "Pulumi.local.yaml").read_text())
    config["config"]["webstack:database"] = dict(database)
    (directory / "Pulumi.local.yaml").write_text(yaml.safe_dump(config))
    return recorded_stack("local", root=directory)


def resource(run: Any, name: str, type_: str = "docker:index/container:Container") -> RecordedResource:
    found = [r for r in run.resources if r.name == name and r.type == type_]
    assert len(found) == 1, f"expected one {type_} named {name}, found {len(found)}"
    return found[0]


def delivered(run: Any, container: str) -> dict[str, str]:
    """The files the program delivers to ``container`` (through its seed, or directly): path -> content, secrets
    unwrapped (the mocks' generated values, consistent across files)."""
    names = {r.name for r in run.resources}
    source = f"{container}-seed" if f"{container}-seed" in names else container
    uploads = unwrap(resource(run, source).inputs.get("uploads", []))
    return {upload["file"]: upload["content"] for upload in uploads}


def delivered_modes(run: Any, container: str) -> dict[str, int]:
    """The modes the program gives the files of :func:`delivered`."""
    names = {r.name for r in run.resources}
    source = f"{container}-seed" if f"{container}-seed" in names else container
    uploads = unwrap(resource(run, source).inputs.get("uploads", []))
    return {upload["file"]: int(upload.get("permissions", "0600"), 8) for upload in uploads}


def inputs(run: Any, container: str) -> dict[str, Any]:
    return unwrap(resource(run, container).inputs)


def environment(run: Any, container: str) -> dict[str, str]:
    return dict(entry.split("=", 1) for entry in inputs(run, container).get("envs", []))


def requested_names(run: Any, certificate: str) -> tuple[list[str], list[str]]:
    """The DNS names and IP addresses the program's certificate request ``certificate`` asks for."""
    request = resource(run, f"{certificate}-tls-csr", "tls:index/certRequest:CertRequest")
    return list(request.inputs.get("dnsNames", [])), list(request.inputs.get("ipAddresses", []))


# -- certificates: the program's requests, issued for real -------------------------------------------------------------
@dataclass(frozen=True)
class Pki:
    """A CA made here (the mocks' PEM is a placeholder) and the certificates it issues."""

    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    def issue(self, name: str, dns_names: Sequence[str], ip_addresses: Sequence[str] = ()) -> tuple[str, str]:
        """A server certificate and key (PEM texts) for the names, signed by the CA. Shards issue theirs side by
        side: a random serial each, not ``-CAcreateserial``'s shared serial file, which two at once corrupt."""
        key, csr, cert = (self.directory / f"{name}.{ext}" for ext in ("key", "csr", "crt"))
        ext = self.directory / f"{name}.ext"
        alt = ",".join([*(f"DNS:{n}" for n in dns_names), *(f"IP:{a}" for a in ip_addresses)])
        ext.write_text(f"subjectAltName={alt}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n")
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(key))
        _openssl("req", "-new", "-key", str(key), "-subj", f"/CN={dns_names[0]}", "-out", str(csr))
        _openssl(
            "x509", "-req", "-in", str(csr), "-CA", str(self.ca_cert), "-CAkey", str(self.directory / "ca.key"),
            "-set_serial", str(secrets.randbits(63)), "-days", "2", "-extfile", str(ext), "-out", str(cert),
        )  # fmt: skip
        return cert.read_text(), key.read_text()


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    require("openssl")
    directory = tmp_path_factory.mktemp("pki")
    key = directory / "ca.key"
    _openssl("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", str(key))
    _openssl(
        "req", "-x509", "-new", "-key", str(key), "-subj", "/CN=webstack test CA", "-days", "2",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-out", str(directory / "ca.crt"),
    )  # fmt: skip
    return Pki(directory)


def poll(check: Callable[[], bool], timeout: float = SERVER_WAIT_SECONDS, interval: float = 0.2) -> bool:
    """Whether ``check`` became true within ``timeout`` seconds (a bound on a wait, never the verdict itself)."""
    for _ in range(max(1, round(timeout / interval))):
        if check():
            return True
        time.sleep(interval)
    return check()
