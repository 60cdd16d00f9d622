"""The reference application (app/) end to end, in real servers: the local stack's generated configuration run in
Debian 12's nginx, PostgreSQL 15 (a primary and its streaming replica), Redis 7.0 and Prometheus 2.42, and the
reference backend run as a process from this checkout (no Docker), with the environment and the files the program
gives its container ``web-backend-1``.

Adapted, as the rest of the tier adapts (tests/realserver/conftest.py), and nothing else:

- paths: the backend's files (``/run/webstack/...``) under a scratch directory; the CA the mocks leave as a
  placeholder is the test CA that issued the servers' certificates (for the names the program requests);
- ports: PostgreSQL, Redis, nginx, the frontend, the backend (``PORT``, its own setting) and Prometheus on free
  loopback ports; the shard map's and ``DATABASE_PORT``'s port is the one port both database names answer on here;
- names: the data network's names (``database-primary``, ``database-replica``, ``cache``) resolve as Docker's DNS
  would, to loopback addresses, through a hosts file that only the backend sees (a private mount namespace,
  ``unshare``), so that the backend connects by name and verifies each server's certificate for that name
  (``verify-full``), exactly as in its container; small TCP relays put the primary and the replica at one port on
  two addresses, as the map has it;
- the backend runs as the test's user, not the container's 1000:1000 (this interpreter is not readable by the server
  user); the frontend's nginx.conf (app/frontend) runs with its root and temporary paths moved.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import select
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.alerts import catalog
from components.docker import database_config as db
from components.docker import monitoring_config as monitoring
from components.docker import web_tier
from components.docker.monitoring_config import PROMETHEUS_CONFIG_FILE, docker_alerts
from components.docker.nginx import CERTIFICATE_FILE, CONFIG_FILE, HTTP_PORT, HTTPS_PORT, KEY_FILE
from components.shard_map import shard_for_key, shard_for_table
from tests.components.docker_support import localize
from tests.conftest import ROOT
from tests.realserver import postgres, test_redis
from tests.realserver.backups import back_up, lay_out, restore, stored_dumps
from tests.realserver.conftest import (
    Pki,
    Workspace,
    delivered,
    environment,
    free_port,
    inputs,
    poll,
    require,
    wait_for_port,
    workspace_at,
)
from tests.realserver.test_nginx import DOMAIN, adapt
from tests.realserver.upstreams import Dns

BACKEND = "web-backend-1"
PRIMARY_ADDRESS, REPLICA_ADDRESS = "127.0.0.2", "127.0.0.3"


class Relay:
    """Accepts on ``address:port`` and relays every connection, byte for byte (TLS included), to ``127.0.0.1:target``;
    a connection the target refuses is closed at once."""

    def __init__(self, address: str, port: int, target: int) -> None:
        self.target = target
        self.listener = socket.create_server((address, port))
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target), timeout=5)
        except OSError:
            client.close()
            return
        with client, upstream, contextlib.suppress(OSError):  # a reset ends the connection, as it would anyway
            peers = {client: upstream, upstream: client}
            while True:
                readable, _, _ = select.select(list(peers), [], [], 60)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)

    def close(self) -> None:
        self.listener.close()


@dataclass
class Site:
    space: Workspace
    run: Any
    primary: postgres.Server
    replica: postgres.Server
    https_port: int
    backend_port: int
    prometheus_port: int
    backend_env: dict[str, str]
    hosts_file: Path

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        source: str = "127.0.0.1",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """A request to the site through nginx over HTTPS, from the client address ``source``."""
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=context, source_address=(source, 0), timeout=30
        )
        payload = None if body is None else json.dumps(body).encode()
        conn.request(
            method, path, body=payload, headers={"Host": DOMAIN, "Content-Type": "application/json", **(headers or {})}
        )
        response = conn.getresponse()
        answer = response.status, response.read()
        conn.close()
        return answer

    def json(self, method: str, path: str, body: Any = None, **options: Any) -> tuple[int, Any]:
        status, raw = self.request(method, path, body, **options)
        return status, json.loads(raw)

    def backend_json(self, path: str) -> tuple[int, Any]:
        """A request straight to the backend's port."""
        conn = http.client.HTTPConnection("127.0.0.1", self.backend_port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        answer = response.status, json.loads(response.read())
        conn.close()
        return answer

    def health(self) -> int:
        return self.backend_json("/health")[0]

    def backend(self, *command: str) -> list[str]:
        """``python -m app.backend <command>`` where only the backend sees the hosts file (see the module docstring)."""
        unshare = ["unshare", "--mount", "--propagation", "private"]
        if os.geteuid() != 0:
            unshare.insert(1, "--map-root-user")
        script = f'mount --bind {shlex.quote(str(self.hosts_file))} /etc/hosts && exec "$@"'
        return [*unshare, "--", "sh", "-c", script, "sh", sys.executable, "-m", "app.backend", *command]


def backend_files(site_space: Workspace, run: Any, pki: Pki) -> tuple[dict[str, str], dict[str, str]]:
    """The backend's files under the workspace, and the prefix they moved from and to."""
    moved = {web_tier.SECRETS_DIR: str(site_space.path("backend", "run-webstack"))}
    files = delivered(run, BACKEND)
    files[web_tier.DATABASE_CA_FILE] = pki.ca_cert.read_text()
    return files, moved


@pytest.fixture(scope="module")
def site(local_run: Any, pki: Pki) -> Iterator[Site]:
    require("postgres", "redis-server", "nginx", "prometheus", "openssl")
    if not Path("/usr/bin/unshare").exists():
        pytest.skip("unshare (util-linux) is needed to give the backend the data network's names")
    with workspace_at("reference-app") as space:
        primary, replicas = postgres.shard_servers(space, local_run, pki, "database", 1)
        replica = replicas[0]
        database_port = _free_port_on(PRIMARY_ADDRESS, REPLICA_ADDRESS)
        relays = [
            Relay(PRIMARY_ADDRESS, database_port, primary.port),
            Relay(REPLICA_ADDRESS, database_port, replica.port),
        ]
        redis_port = free_port()
        test_redis.start(space, local_run, redis_port)
        # The backend's environment and files, as the program gives them to its container.
        files, moved = backend_files(space, local_run, pki)
        shard_map = json.loads(files[web_tier.SHARD_MAP_FILE])
        (entry,) = shard_map["shards"]
        names = {entry["writer"]: PRIMARY_ADDRESS, **dict.fromkeys(entry["readers"], REPLICA_ADDRESS)}
        names[environment(local_run, BACKEND)["REDIS_HOST"]] = "127.0.0.1"
        hosts = space.write(
            "backend/hosts", "127.0.0.1 localhost\n" + "".join(f"{ip} {n}\n" for n, ip in names.items()), 0o644
        )
        assert shard_map["port"] == int(environment(local_run, BACKEND)["DATABASE_PORT"])
        shard_map["port"] = database_port
        files[web_tier.SHARD_MAP_FILE] = json.dumps(shard_map)
        space.place(files, moved, 0o400)
        backend_port = free_port()
        env = {key: localize(value, moved) for key, value in environment(local_run, BACKEND).items()}
        env |= {"DATABASE_PORT": str(database_port), "REDIS_PORT": str(redis_port), "PORT": str(backend_port)}
        env |= {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(ROOT), "HOME": str(space.root)}
        site = Site(space, local_run, primary, replica, 0, backend_port, 0, env, hosts)

        migrated = subprocess.run(site.backend("migrate"), env=env, cwd=ROOT, capture_output=True, text=True)
        assert migrated.returncode == 0, migrated.stderr
        log = space.path("backend.log").open("ab")
        proc = subprocess.Popen(
            site.backend("serve"), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        space.processes.append(proc)
        try:
            wait_for_port(backend_port, proc=proc, timeout=60)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{space.log('backend.log')}") from None

        frontend_port = start_frontend(space)
        site.https_port = start_nginx(space, local_run, pki, frontend_port, backend_port)
        site.prometheus_port = start_prometheus(space, local_run, frontend_port, backend_port)
        try:
            yield site
        finally:
            for relay in relays:
                relay.close()


def _free_port_on(*addresses: str) -> int:
    for _ in range(20):
        port = free_port()
        try:
            for address in addresses:
                socket.create_server((address, port)).close()
            return port
        except OSError:
            continue
    raise AssertionError(f"no port free on {addresses}")


def start_frontend(space: Workspace) -> int:
    """app/frontend/nginx.conf in Debian's nginx: its port, its root and /tmp moved (the site copied into the
    workspace, which the server user can read)."""
    port = free_port()
    site = space.path("frontend", "site")
    for source in (ROOT / "app" / "frontend" / "site").iterdir():
        space.write(f"frontend/site/{source.name}", source.read_text(), 0o644)
    space.path("frontend", "tmp").mkdir(parents=True)
    conf = (ROOT / "app" / "frontend" / "nginx.conf").read_text()
    assert "listen 3000;" in conf
    assert "root /srv/site;" in conf
    conf = re.sub(r"(?<![\w/.-])/tmp(?=/)", str(space.path("frontend", "tmp")), conf)
    conf = conf.replace("listen 3000;", f"listen 127.0.0.1:{port};").replace("root /srv/site;", f"root {site};")
    path = space.write("frontend/nginx.conf", conf, 0o644)
    proc = space.start(["nginx", "-c", str(path), "-g", "daemon off;"], log="frontend.log")
    wait_for_port(port, proc=proc)
    return port


def start_nginx(space: Workspace, run: Any, pki: Pki, frontend_port: int, backend_port: int) -> int:
    """The load balancer's generated nginx.conf (adapted as tests/realserver/test_nginx.py does), its resolver a DNS
    stand-in that answers the web services' names with 127.0.0.1."""
    files = delivered(run, "edge-nginx")
    frontend_internal = int(_health_port(run, "web-frontend-1"))
    backend_internal = int(_health_port(run, BACKEND))
    https_port = free_port()
    ports = {HTTP_PORT: free_port(), HTTPS_PORT: https_port, frontend_internal: frontend_port}
    ports[backend_internal] = backend_port
    dns = Dns({"web-frontend": ["127.0.0.1"], "web-backend": ["127.0.0.1"]})
    space.path("tmp").mkdir(exist_ok=True)
    config = adapt(files[CONFIG_FILE], space, ports, dns.port)
    certificate, key = pki.issue("site", [DOMAIN, f"www.{DOMAIN}"])
    space.write("nginx/nginx.conf", config, 0o644)
    space.write(f"nginx/{CERTIFICATE_FILE.rsplit('/', 1)[1]}", certificate, 0o644)
    space.write(f"nginx/{KEY_FILE.rsplit('/', 1)[1]}", key, 0o400)
    proc = space.start(["nginx", "-c", str(space.path("nginx/nginx.conf")), "-g", "daemon off;"], log="nginx.log")
    wait_for_port(https_port, proc=proc)
    return https_port


def _health_port(run: Any, container: str) -> str:
    return inputs(run, container)["healthcheck"]["tests"][1].split("127.0.0.1:")[1].split("/")[0]


def start_prometheus(space: Workspace, run: Any, frontend_port: int, backend_port: int) -> int:
    """Prometheus with the generated prometheus.yml and rules and the program's flags: paths moved, the web
    services' targets at their loopback ports, every other target (nothing answers for it here) at a closed port."""
    files = delivered(run, "monitoring-prometheus")
    moved = {monitoring.PROMETHEUS_CONFIG_DIR: str(space.path("prometheus"))}
    config = yaml.safe_load(files[PROMETHEUS_CONFIG_FILE])
    closed = f"127.0.0.1:{free_port()}"
    where = {"frontend": f"127.0.0.1:{frontend_port}", "backend": f"127.0.0.1:{backend_port}"}
    for job in config["scrape_configs"]:
        job["static_configs"] = [{"targets": [where.get(job["job_name"], closed)]}]
    config["alerting"]["alertmanagers"][0]["static_configs"] = [{"targets": [closed]}]
    files[PROMETHEUS_CONFIG_FILE] = yaml.safe_dump(config)
    space.place(files, moved, 0o644)
    port = free_port()
    data = space.path("prometheus-data")
    data.mkdir()
    flags = []
    for flag in inputs(run, "monitoring-prometheus")["command"]:
        if flag.startswith("--web.listen-address="):
            flag = f"--web.listen-address=127.0.0.1:{port}"
        elif flag.startswith("--web.external-url="):
            flag = f"--web.external-url=http://127.0.0.1:{port}/"
        elif flag.startswith("--storage.tsdb.path="):
            flag = f"--storage.tsdb.path={data}"
        flags.append(localize(flag, moved))
    space.user.own(space.root)
    proc = space.start(["prometheus", *flags], log="prometheus.log")
    wait_for_port(port, proc=proc, timeout=60)
    return port


def prometheus_api(site: Site, path: str) -> Any:
    with urllib.request.urlopen(f"http://127.0.0.1:{site.prometheus_port}{path}", timeout=10) as answer:
        return json.load(answer)


# -- the tests ------------------------------------------------------------------------------------------------------
def test_the_frontend_and_its_health_check_answer_through_nginx(site: Site) -> None:
    status, page = site.request("GET", "/")
    assert status == 200
    assert b"webstack is running" in page
    assert site.request("GET", "/app.js")[0] == 200
    status, body = site.json("GET", "/api/status")
    assert status == 200
    assert body["health"] == {"database": "ok", "cache": "ok"}


def test_a_note_goes_to_its_shards_primary_and_comes_back_from_the_replica(site: Site) -> None:
    shard_map = site.run.outputs["shardMap"]
    status, written = site.json("POST", "/api/notes", {"user": "ada", "text": "first light"}, source="127.0.7.1")
    assert status == 201, written
    assert written["shard"] == shard_for_key(shard_map, "ada")
    assert written["writtenTo"] == shard_map["shards"][written["shard"]]["writer"]
    on_primary = postgres.psql(
        site.space, site.primary, "SELECT body FROM notes WHERE user_key = 'ada'", user="app",
        password=site.primary.secret("app-password"),
    )  # fmt: skip
    assert on_primary.stdout.strip() == "first light"

    def read_back() -> bool:
        status, answer = site.json("GET", "/api/notes?user=ada")
        return status == 200 and [n["text"] for n in answer["notes"]] == ["first light"]

    assert poll(read_back, 30)
    answer = site.json("GET", "/api/notes?user=ada")[1]
    assert answer["readFrom"] == "database-replica"


def test_the_client_address_is_the_one_nginx_saw_whatever_the_client_claims(site: Site) -> None:
    status, visit = site.json(
        "POST",
        "/api/visits",
        {},
        source="127.0.8.9",
        headers={"X-Forwarded-For": "203.0.113.7", "X-Real-IP": "1.2.3.4"},
    )
    assert status == 201, visit
    assert visit["client"] == "127.0.8.9"
    assert visit["shard"] == shard_for_table(site.run.outputs["shardMap"], "visits")
    assert visit["visitsFromClient"] == 1
    assert site.json("POST", "/api/visits", {}, source="127.0.8.9")[1]["visitsFromClient"] == 2


def test_health_turns_503_when_the_database_stops_and_200_when_it_returns(site: Site) -> None:
    """The backend's /health as the platform probes it: on the backend's own port (Docker's health check runs
    ``wget`` inside the container, the ALB's target group calls the task), not through nginx, whose /health is the
    frontend's."""
    assert site.health() == 200
    start_script = str(site.primary.file(db.config_path("start.sh")))
    process = next(p for p in site.space.processes if start_script in list(map(str, p.args)))  # type: ignore[arg-type]
    site.space.stop(process)
    site.space.processes.remove(process)
    try:
        assert poll(lambda: site.health() == 503, 60)
        status, body = site.backend_json("/health")
        assert (status, body["cache"]) == (503, "ok")
        assert body["database"] != "ok"
    finally:
        # A restarted container starts with its tmpfs mounts empty (components/docker/database.py), initdb.d too.
        for script in site.primary.file(db.INITDB_DIR).iterdir():
            script.unlink()
        restarted = postgres.start(site.space, site.run, site.primary)
        try:
            wait_for_port(site.primary.port, proc=restarted, timeout=90)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{site.space.log('database-primary.log')[-2000:]}") from None
    assert poll(lambda: site.health() == 200, 90)


def test_prometheus_scrapes_the_backend_and_reads_the_series_the_alerts_use(site: Site) -> None:
    site.request("GET", "/api/status")

    def backend_up() -> bool:
        targets = prometheus_api(site, "/api/v1/targets")["data"]["activeTargets"]
        return any(t["labels"]["job"] == "backend" and t["health"] == "up" for t in targets)

    assert poll(backend_up, 120, interval=1), prometheus_api(site, "/api/v1/targets")
    for series in ('http_requests_total{job="backend"}', 'http_request_duration_seconds_bucket{job="backend"}'):
        result = prometheus_api(site, "/api/v1/query?" + urllib.parse.urlencode({"query": series}))
        assert result["status"] == "success"
        assert result["data"]["result"], f"no {series}"
    # Every catalog expression over the application's series evaluates (as Prometheus' rule manager would).
    for alert in docker_alerts(catalog()):
        if "http_request" in alert.prometheus.expr:
            expression = alert.prometheus.expr.replace("{threshold}", "0")
            result = prometheus_api(site, "/api/v1/query?" + urllib.parse.urlencode({"query": expression}))
            assert result["status"] == "success", (alert.name, result)


def test_the_backup_jobs_dump_restores_the_row(site: Site, pki: Pki) -> None:
    status, _ = site.json("POST", "/api/notes", {"user": "grace", "text": "kept safe"})
    assert status == 201
    layout = lay_out(site.space, site.run, pki, {"database-primary": site.primary.port})
    back_up(layout)
    password = site.primary.secret("app-password")
    postgres.psql(site.space, site.primary, "DELETE FROM notes WHERE user_key = 'grace'", user="app", password=password)
    assert poll(lambda: site.json("GET", "/api/notes?user=grace")[1]["notes"] == [], 30)

    # The documented restore (the stack's restoreCommand): the daily dump, decrypted by the dump job's key.
    restore(
        layout,
        site.run,
        stored_dumps(layout)[0].name,
        site.primary.moved,
        fix=lambda script: script.replace("--port=5432", f"--port={site.primary.port}"),
    )

    def back() -> bool:
        status, answer = site.json("GET", "/api/notes?user=grace")
        return status == 200 and [n["text"] for n in answer["notes"]] == ["kept safe"]

    assert poll(back, 60)
