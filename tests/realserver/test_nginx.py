"""The load balancer's generated nginx.conf in Debian 12's nginx 1.22, in front of small upstream servers.

Adapted, and nothing else: the config directory and ``/tmp`` (pid, temp files) moved under a scratch directory; the
listen ports (8080, 8443) and the web services' port (3000, 8000) replaced by free ports; the resolver (Docker's DNS,
127.0.0.11) replaced by a DNS stand-in on loopback whose answers the test changes as Docker's change when containers
are recreated; the certificate (the mocks' placeholder) replaced by one issued here for the domain and www. nginx 1.22
predates the ``http2 on;`` directive (1.25.1) that the pinned image (1.27.3) uses: here it becomes the ``http2``
parameter of the HTTPS ``listen``, the form 1.22 knows. The web containers are loopback addresses 127.0.0.2-.7 that
the DNS stand-in hands out for the services' names.
"""

from __future__ import annotations

import http.client
import re
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from components.docker import nginx
from components.docker.nginx import CERTIFICATE_FILE, CONFIG_FILE, HTTP_PORT, HTTPS_PORT, KEY_FILE, RESOLVER
from components.settings import RATE_LIMIT_NAMES
from tests.realserver.conftest import (
    Pki,
    Workspace,
    delivered,
    free_port,
    inputs,
    poll,
    require,
    wait_for_port,
    workspace_at,
)
from tests.realserver.upstreams import Dns, Upstream

DOMAIN = "webstack.localhost"
SECURITY_HEADERS = (
    "Strict-Transport-Security",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Content-Security-Policy",
)


@dataclass
class Site:
    http_port: int
    https_port: int
    web_port: int
    dns: Dns
    servers: dict[str, Upstream]
    config: str

    def connect(self, *, https: bool = True, source: str = "127.0.0.1") -> http.client.HTTPConnection:
        """An open connection (TLS handshake done) from the client address ``source``."""
        if https:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=context, source_address=(source, 0), timeout=10
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, source_address=(source, 0), timeout=10)
        conn.connect()
        return conn

    def request(
        self,
        path: str,
        *,
        https: bool = True,
        source: str = "127.0.0.1",
        conn: http.client.HTTPConnection | None = None,
    ) -> http.client.HTTPResponse:
        conn = conn or self.connect(https=https, source=source)
        conn.request("GET", path, headers={"Host": DOMAIN})
        response = conn.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        conn.close()
        return response

    def body(self, path: str, source: str = "127.0.0.1") -> str:
        return self.request(path, source=source).body.decode()  # type: ignore[attr-defined]

    def add(self, label: str, address: str) -> None:
        self.servers[label] = Upstream(address, self.web_port, label)

    def remove(self, label: str) -> None:
        self.servers.pop(label).stop()


def adapt(config: str, space: Workspace, ports: dict[int, int], dns_port: int) -> str:
    """The generated nginx.conf with only what this host needs changed (see the module docstring)."""
    text = re.sub(r"(?<![\w/.-])/tmp(?=/)", str(space.path("tmp")), config)
    text = text.replace(nginx.CONFIG_DIR, str(space.path("nginx")))
    for old, new in ports.items():
        text = re.sub(rf"(listen\s+){old}\b", rf"\g<1>{new}", text)
        text = re.sub(rf"(http://[A-Za-z0-9.-]+):{old}\b", rf"\g<1>:{new}", text)
    assert f"resolver {RESOLVER} " in text
    text = text.replace(f"resolver {RESOLVER} ", f"resolver 127.0.0.1:{dns_port} ")
    # nginx 1.22: HTTP/2 is a parameter of listen (``http2 on;`` needs 1.25.1).
    assert "http2 on;" in text
    text = text.replace("http2 on;", "").replace(
        f"listen {ports[HTTPS_PORT]} ssl", f"listen {ports[HTTPS_PORT]} ssl http2"
    )
    return text


def _free_web_port(addresses: list[str]) -> int:
    for _ in range(20):
        port = free_port()
        try:
            for address in addresses:
                Upstream(address, port, "probe").stop()
            return port
        except OSError:
            continue
    raise AssertionError("no port free on every loopback address")


@pytest.fixture(scope="module")
def site(local_run: Any, pki: Pki) -> Iterator[Site]:
    require("nginx")
    env = inputs(local_run, "web-frontend-1")
    frontend_port = int(env["healthcheck"]["tests"][1].split("127.0.0.1:")[1].split("/")[0])
    backend_port = int(
        inputs(local_run, "web-backend-1")["healthcheck"]["tests"][1].split("127.0.0.1:")[1].split("/")[0]
    )
    files = delivered(local_run, "edge-nginx")
    with workspace_at("nginx") as space:
        web_port = _free_web_port([f"127.0.0.{n}" for n in range(2, 8)])
        ports = {HTTP_PORT: free_port(), HTTPS_PORT: free_port(), frontend_port: web_port, backend_port: web_port}
        # The frontends 127.0.0.2-3, the backends 127.0.0.4-6; nginx learns them from the DNS stand-in only.
        dns = Dns({"web-frontend": ["127.0.0.2", "127.0.0.3"], "web-backend": ["127.0.0.4", "127.0.0.5", "127.0.0.6"]})
        servers = {f"frontend-{n}": Upstream(f"127.0.0.{n + 1}", web_port, f"frontend-{n}") for n in (1, 2)}
        servers |= {f"backend-{n}": Upstream(f"127.0.0.{n + 3}", web_port, f"backend-{n}") for n in (1, 2, 3)}
        certificate, key = pki.issue("site", [DOMAIN, f"www.{DOMAIN}"])
        config = adapt(files[CONFIG_FILE], space, ports, dns.port)
        space.write("nginx/nginx.conf", config, 0o644)
        space.write(f"nginx/{CERTIFICATE_FILE.rsplit('/', 1)[1]}", certificate, 0o644)
        space.write(f"nginx/{KEY_FILE.rsplit('/', 1)[1]}", key, 0o400)
        space.path("tmp").mkdir()
        space.run(["nginx", "-t", "-c", str(space.path("nginx/nginx.conf"))])
        proc = space.start(["nginx", "-c", str(space.path("nginx/nginx.conf")), "-g", "daemon off;"], log="nginx.log")
        wait_for_port(ports[HTTPS_PORT], proc=proc)
        site = Site(ports[HTTP_PORT], ports[HTTPS_PORT], web_port, dns, servers, config)
        try:
            yield site
        finally:
            for server in list(site.servers.values()):
                server.stop()
            dns.close()


def test_plain_http_redirects_to_https_and_answers_its_health_check(site: Site) -> None:
    response = site.request("/some/page?x=1", https=False)
    assert response.status == 301
    assert response.getheader("Location") == f"https://{DOMAIN}/some/page?x=1"
    health = site.request("/healthz", https=False)
    assert (health.status, health.body) == (200, b"ok")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("path", "status"), [("/", 200), ("/missing/page", 404), ("/.git/config", 403), ("/app.css", 200)]
)
def test_every_security_header_on_pages_and_errors(site: Site, path: str, status: int) -> None:
    response = site.request(path, source="127.0.1.1")
    assert response.status == status
    missing = [name for name in SECURITY_HEADERS if not response.getheader(name)]
    assert not missing, f"{path}: missing {missing}"
    assert response.getheader("X-Powered-By") is None
    assert response.getheader("Server") == "nginx"


def test_api_goes_to_the_backends_and_pages_to_the_frontends_round_robin(site: Site) -> None:
    backends = {site.body("/api/items", source="127.0.2.1").split()[0] for _ in range(9)}
    frontends = {site.body("/", source="127.0.2.2").split()[0] for _ in range(6)}
    assert backends == {"backend-1", "backend-2", "backend-3"}
    assert frontends == {"frontend-1", "frontend-2"}


@pytest.mark.parametrize("path", ["/.env", "/composer.json", "/.git/HEAD", "/deep/.htpasswd", "/package-lock.json"])
def test_secrets_and_dotfiles_are_never_served(site: Site, path: str) -> None:
    assert site.request(path, source="127.0.3.1").status in (403, 404)


def test_acme_challenges_are_served(site: Site) -> None:
    assert site.request("/.well-known/acme-challenge/token", source="127.0.3.2").status == 200


def fire(site: Site, path: str, connections: list[http.client.HTTPConnection]) -> list[int]:
    """One request on each open connection, all in flight together; their statuses."""
    with ThreadPoolExecutor(max_workers=len(connections)) as pool:
        return list(pool.map(lambda conn: site.request(path, conn=conn).status, connections))


def test_each_rate_limit_zone_enforces_its_rate(site: Site) -> None:
    """Every zone at once (each from its own client address: they count apart), so that login's wait is the only
    one."""
    with ThreadPoolExecutor(max_workers=len(RATE_LIMIT_NAMES)) as pool:
        outcomes = list(pool.map(lambda zone: _zone_outcome(site, zone), RATE_LIMIT_NAMES))
    assert not [o for o in outcomes if o], outcomes


def _zone_outcome(site: Site, zone: str) -> str:
    try:
        check_zone(site, zone)
    except AssertionError as error:
        return f"{zone}: {error}"
    return ""


def check_zone(site: Site, zone: str) -> None:
    """A client (its own loopback address) sends burst + 10 requests at once: the burst and one more pass, the rest get
    429 (with every security header). After a wait, about the zone's rate times the wait pass again: 10 per second for
    api, 30 for general, and for login (5 per minute) one after 12 s."""
    path = {"api": "/api/items", "login": "/account/login", "general": "/page"}[zone]
    burst_size = nginx.RATE_LIMIT_BURSTS[zone]
    rate = re.search(rf"zone={zone}:\S+ rate=(\d+)r/([sm])", site.config)
    assert rate
    per_second = int(rate[1]) / (1 if rate[2] == "s" else 60)
    wait = max(1.0, 1.05 / per_second)
    expected = max(1, int(per_second * wait))
    source = {"api": "127.0.4.1", "login": "127.0.4.2", "general": "127.0.4.3"}[zone]
    # The requests of a round take a moment to leave (Python clients on a small machine): the rate lets some more
    # through meanwhile, about 0.7 s worth here.
    slack = 2 + int(0.7 * per_second)
    # Every connection (and TLS handshake) first, so that the requests of each round leave together.
    first_round = [site.connect(source=source) for _ in range(burst_size + slack + 5)]
    second_round = [site.connect(source=source) for _ in range(expected + slack + 5)]
    first = fire(site, path, first_round)
    assert burst_size + 1 <= first.count(200) <= burst_size + 1 + slack, first
    assert 429 in first
    time.sleep(wait)
    again = fire(site, path, second_round)
    assert expected <= again.count(200) <= expected + slack, again
    limited = next(site.request(path, conn=conn) for conn in [site.connect(source=source)])
    if limited.status == 429:
        assert all(limited.getheader(name) for name in SECURITY_HEADERS)


def test_a_429_carries_every_security_header(site: Site) -> None:
    connections = [site.connect(source="127.0.4.9") for _ in range(nginx.RATE_LIMIT_BURSTS["login"] + 4)]
    answers = []
    with ThreadPoolExecutor(max_workers=len(connections)) as pool:
        answers = list(pool.map(lambda conn: site.request("/login", conn=conn), connections))
    limited = [a for a in answers if a.status == 429]
    assert limited
    for answer in limited:
        assert not [name for name in SECURITY_HEADERS if not answer.getheader(name)]


def test_a_failed_backend_is_passed_over(site: Site) -> None:
    site.remove("backend-2")
    try:
        answers = [site.request("/api/items", source="127.0.5.1") for _ in range(12)]
        assert {a.status for a in answers} == {200}
        assert {a.body.split()[0] for a in answers} == {b"backend-1", b"backend-3"}  # type: ignore[attr-defined]
    finally:
        site.add("backend-2", "127.0.0.5")


def test_a_recreated_container_at_a_new_address_is_followed_without_a_restart(site: Site) -> None:
    """Docker recreates frontend-2 at a new address: its DNS name now answers with it, the old address is gone."""
    site.remove("frontend-2")
    site.add("frontend-2-new", "127.0.0.7")
    site.dns.records["web-frontend"] = ["127.0.0.2", "127.0.0.7"]
    try:
        assert poll(lambda: "frontend-2-new" in {site.body("/", source="127.0.6.1").split()[0] for _ in range(4)}, 20)
        answers = [site.request("/", source="127.0.6.2") for _ in range(8)]
        assert {a.status for a in answers} == {200}
    finally:
        site.remove("frontend-2-new")
        site.add("frontend-2", "127.0.0.3")
        site.dns.records["web-frontend"] = ["127.0.0.2", "127.0.0.3"]
