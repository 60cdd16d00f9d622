"""The load balancer's generated nginx.conf in Debian 12's nginx 1.22, in front of small upstream servers.

Adapted, and nothing else: the config directory and ``/tmp`` (pid, temp files) moved under a scratch directory; the
listen ports (8080, 8443) and the web services' port (3000, 8000) replaced by free ports; the resolver (Docker's DNS,
127.0.0.11) replaced by a DNS stand-in on loopback whose answers the test changes as Docker's change when containers
are recreated; the certificate (the mocks' placeholder) replaced by one issued here for the domain and www. nginx 1.22
predates the ``http2 on;`` directive (1.25.1) that the pinned image (1.27.3) uses: here it becomes the ``http2``
parameter of the HTTPS ``listen``, the form 1.22 knows. The web containers are loopback addresses 127.0.0.2-.7 that
the DNS stand-in hands out for the services' names.

Nothing here depends on how fast this machine is. The rate limits are judged on nginx's own clock: every request's
start as nginx logged it (``ts=$msec`` less ``rt=$request_time``, both from the same cached time in
``ngx_http_log_module.c``, so their difference is the request's creation time), and the number nginx admitted must
be what the leaky bucket nginx documents (``ngx_http_limit_req_module``) allows at the guides' rates in the span
nginx saw (:func:`out_of_bounds`). Spreading and failover are judged over enough requests that a member missed by
chance is less likely than one in a billion: nginx starts each request at a random address of the resolved name
(see components/docker/nginx.py), so P(a member of k unseen in n requests) <= k (1 - 1/k)^n.
"""

from __future__ import annotations

import http.client
import math
import re
import ssl
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
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
    log: Path
    """nginx's standard output: the access log."""

    def connect(self, *, https: bool = True, source: str = "127.0.0.1") -> http.client.HTTPConnection:
        """An open connection (TLS handshake done) from the client address ``source``."""
        if https:
            context = ssl.create_default_context()
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                "127.0.0.1", self.https_port, context=context, source_address=(source, 0), timeout=60
            )
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.http_port, source_address=(source, 0), timeout=60)
        conn.connect()
        return conn

    def request(
        self,
        path: str,
        *,
        https: bool = True,
        source: str = "127.0.0.1",
        conn: http.client.HTTPConnection | None = None,
        keep: bool = False,
    ) -> http.client.HTTPResponse:
        """One request; ``keep`` leaves the connection open (HTTP keep-alive) for another."""
        conn = conn or self.connect(https=https, source=source)
        conn.request("GET", path, headers={"Host": DOMAIN})
        response = conn.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        if not keep:
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
        site = Site(ports[HTTP_PORT], ports[HTTPS_PORT], web_port, dns, servers, config, space.path("nginx.log"))
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


def spread(site: Site, path: str, sources: Sequence[str], per_source: int = 10) -> Counter[str]:
    """Which members answered ``per_source`` requests from each client address (several addresses, so that no rate
    limit is reached); every answer must be a 200."""
    members: Counter[str] = Counter()
    for source in sources:
        for _ in range(per_source):
            response = site.request(path, source=source)
            assert response.status == 200, (path, response.status)
            members[response.body.decode().split()[0]] += 1  # type: ignore[attr-defined]
    return members


def test_api_goes_to_the_backends_and_pages_to_the_frontends_spread_over_every_member(site: Site) -> None:
    # 60 requests over 3 backends, 40 over 2 frontends: a member missed by chance, < 1e-10 (module docstring).
    backends = spread(site, "/api/items", [f"127.0.2.{n}" for n in range(1, 7)])
    frontends = spread(site, "/", [f"127.0.2.{n}" for n in range(11, 15)])
    assert set(backends) == {"backend-1", "backend-2", "backend-3"}
    assert set(frontends) == {"frontend-1", "frontend-2"}


@pytest.mark.parametrize("path", ["/.env", "/composer.json", "/.git/HEAD", "/deep/.htpasswd", "/package-lock.json"])
def test_secrets_and_dotfiles_are_never_served(site: Site, path: str) -> None:
    assert site.request(path, source="127.0.3.1").status in (403, 404)


def test_acme_challenges_are_served(site: Site) -> None:
    assert site.request("/.well-known/acme-challenge/token", source="127.0.3.2").status == 200


def fire(
    site: Site, path: str, connections: list[http.client.HTTPConnection], keep: bool = False
) -> list[http.client.HTTPResponse]:
    """One request on each open connection, all in flight together; the answers."""
    with ThreadPoolExecutor(max_workers=len(connections)) as pool:
        return list(pool.map(lambda conn: site.request(path, conn=conn, keep=keep), connections))


#: The guides' rates, per second (seeds, the BlackCnote guide's nginx section: "API (10r/s), login (5r/m), general
#: (30r/s)"); the WAF's 600/60 s, 10/120 s and 1800/60 s are the same (docs/checklist.md).
GUIDE_RATES = {"api": 10.0, "login": 5 / 60, "general": 30.0}
#: Each zone's test path (api counts paths under /api/, login those that contain "login", general every request:
#: webstack:web.rateLimits' defaults). general counts the other two zones' requests too, but its burst and rate are
#: larger: the zone under test is the one that refuses.
ZONE_PATHS = {"api": "/api/items", "login": "/account/login", "general": "/page"}
ZONE_SOURCES = {"api": "127.0.4.1", "login": "127.0.4.2", "general": "127.0.4.3"}

ACCESS_LINE = re.compile(
    r'^(?P<client>\S+) - \S+ \[[^\]]*\] "\S+ (?P<path>\S+) [^"]*" (?P<status>\d{3}) .* '
    r"rt=(?P<rt>\d+\.\d{3}) .* ts=(?P<ts>\d+\.\d{3})$"
)


@dataclass(frozen=True)
class Logged:
    """One request as nginx's access log records it: when it began (ms, nginx's clock), its path and status."""

    start_ms: int
    path: str
    status: int


def logged(site: Site, source: str) -> list[Logged]:
    """The requests of the client ``source`` in the access log, in the order they began."""
    found = []
    for line in site.log.read_text(errors="replace").splitlines():
        match = ACCESS_LINE.match(line)
        if match and match["client"] == source:
            start = round(float(match["ts"]) * 1000) - round(float(match["rt"]) * 1000)
            found.append(Logged(start, match["path"], int(match["status"])))
    return sorted(found, key=lambda request: request.start_ms)


def out_of_bounds(requests: Sequence[Logged], first_round: int, zone: str) -> list[str]:
    """How nginx's admissions of one client's two rounds (the first ``first_round`` requests, then the rest) break
    what a leaky bucket at the guides' rate with the configured burst allows on nginx's clock
    (``ngx_http_limit_req_lookup``: each admitted request adds one to the zone's excess, which drains at the rate
    since the last admission and never goes over the burst; a refused request changes nothing):

    - the first burst + 1 requests of a client are admitted (its excess starts at 0);
    - no more are admitted, from the first request to the last admitted one, than burst + 1 + rate x that span;
    - after a gap between the rounds, at least rate x gap (up to the burst) are admitted again, and no more than
      burst + 1 + rate x the second round's span, nor, over both rounds, than burst + 1 + rate x their whole span.

    Only the rounds' first and last times enter, so this holds whatever order nginx's two workers took the requests
    in (each worker's clock is the time of its last event-loop turn, so their logged times interleave). The
    tolerances are nginx's clock and arithmetic, not this machine's speed: 2 ms (the log's and the limiter's cached
    times), a thousandth of a request per request (nginx's integer excess), 1 % of the rate (5r/m is 83 thousandths
    a second in nginx's integers). They pin api's and general's rates to within about 10 %; login's 5 a minute,
    whose second round (12.6 s on) admits one request, to between about 4.8 and 9.5 a minute."""
    rate, burst = GUIDE_RATES[zone], nginx.RATE_LIMIT_BURSTS[zone]
    one, two = requests[:first_round], requests[first_round:]
    admitted_one = [r.start_ms for r in one if r.status != 429]
    admitted_two = [r.start_ms for r in two if r.status != 429]
    slack = rate * 0.002 + 0.001 * len(requests)
    start = one[0].start_ms
    problems = []
    if len(admitted_one) < min(len(one), burst + 1):
        problems.append(f"first round: {len(admitted_one)} admitted, not the burst + 1 = {burst + 1}")
    most = burst + 1 + rate * (max(admitted_one) - start) / 1000 + slack
    if len(admitted_one) > most:
        problems.append(f"first round: {len(admitted_one)} admitted in {max(admitted_one) - start} ms, over {most:.2f}")
    drained = 0.99 * rate * (min(r.start_ms for r in two) - max(admitted_one) - 2) / 1000
    # A bucket drained of more than it can hold starts again as a new client's: burst + 1.
    least = min(len(two), burst + 1 if drained >= burst + 1 else math.floor(min(burst, drained)))
    if len(admitted_two) < least:
        problems.append(f"second round: {len(admitted_two)} admitted after {drained:.2f} drained, under {least}")
    if admitted_two:
        second = min(r.start_ms for r in two)
        most = burst + 1 + rate * (max(admitted_two) - second) / 1000 + slack
        if len(admitted_two) > most:
            problems.append(f"second round: {len(admitted_two)} admitted, over {most:.2f}")
        most = burst + 1 + rate * (max(admitted_two) - start) / 1000 + slack
        if len(admitted_one) + len(admitted_two) > most:
            problems.append(f"both rounds: {len(admitted_one) + len(admitted_two)} admitted, over {most:.2f}")
    return problems


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
    """A client (its own loopback address) sends batches of requests at once until nginx refuses some (429, with
    every security header), then waits until the zone's rate has drained more than one request's worth (on any
    clock) and sends again: some pass, the rest are refused. How many nginx admitted in each round must be what the
    leaky bucket at the guides' rate allows (:func:`out_of_bounds`), judged on nginx's clock, not this one's."""
    path, source = ZONE_PATHS[zone], ZONE_SOURCES[zone]
    burst, rate = nginx.RATE_LIMIT_BURSTS[zone], GUIDE_RATES[zone]
    assert re.search(rf"limit_req zone={zone} burst={burst} nodelay;", site.config)
    # A batch outruns the bucket unless it takes nginx over a second or two to receive it; a slower machine gets
    # more batches (a bounded number). The second round reuses the first batch's connections (HTTP keep-alive,
    # keepalive_timeout 65 s), so that no TLS handshake widens the gap between the rounds: the bucket is then not
    # emptied between them, and the bounds stay tight.
    wait = max(1.0, 1.05 / rate)
    batch = burst + 1 + 2 * math.ceil(rate * wait) + 5
    # Every connection (and TLS handshake) first, so that a batch's requests leave together.
    kept = [site.connect(source=source) for _ in range(batch)]
    answers = fire(site, path, kept, keep=True)
    for _ in range(4):
        if any(answer.status == 429 for answer in answers):
            break
        answers += fire(site, path, [site.connect(source=source) for _ in range(batch)])
    refused = [answer for answer in answers if answer.status == 429]
    assert refused, [answer.status for answer in answers]
    assert all(answer.getheader(name) for answer in refused for name in SECURITY_HEADERS)
    time.sleep(wait)  # not a measurement: the bucket drains at least 1.05 requests meanwhile, on nginx's clock too
    again = fire(site, path, kept)
    assert any(answer.status == 200 for answer in again), [answer.status for answer in again]
    assert any(answer.status == 429 for answer in again), [answer.status for answer in again]
    sent = Counter(answer.status for answer in [*answers, *again])
    assert set(sent) <= {200, 429}, sent
    assert poll(lambda: len(logged(site, source)) >= sum(sent.values()), 120), "nginx logged every request"
    requests = logged(site, source)
    assert Counter(request.status for request in requests) == sent
    assert {request.path for request in requests} == {path}
    # The rounds are a second or more apart on any clock: the first len(answers) to begin are the first round's.
    problems = out_of_bounds(requests, len(answers), zone)
    assert not problems, problems


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
        # 60 requests: each of the two left is seen but for a chance < 1e-10 (module docstring).
        answered = spread(site, "/api/items", [f"127.0.5.{n}" for n in range(1, 7)])
        assert set(answered) == {"backend-1", "backend-3"}
    finally:
        site.add("backend-2", "127.0.0.5")


def test_a_recreated_container_at_a_new_address_is_followed_without_a_restart(site: Site) -> None:
    """Docker recreates frontend-2 at a new address: its DNS name now answers with it, the old address is gone.
    Every request meanwhile is answered (nginx passes over the address that is gone until it resolves the name
    again), and the new container soon gets requests."""
    site.remove("frontend-2")
    site.add("frontend-2-new", "127.0.0.7")
    site.dns.records["web-frontend"] = ["127.0.0.2", "127.0.0.7"]
    seen: Counter[str] = Counter()
    try:
        # nginx keeps an answer RESOLVER_VALID (5 s); the bound only ends a wait that must end well before it.
        assert poll(lambda: bool(seen.update(spread(site, "/", ["127.0.6.1"], 4))) or "frontend-2-new" in seen, 120)
        assert set(seen) <= {"frontend-1", "frontend-2-new"}
    finally:
        site.remove("frontend-2-new")
        site.add("frontend-2", "127.0.0.3")
        site.dns.records["web-frontend"] = ["127.0.0.2", "127.0.0.3"]
