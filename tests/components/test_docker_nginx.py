"""nginx.conf of the docker platform's load balancer: parsed back with crossplane, every directive checked, and the
location nginx would pick for a request worked out the way nginx does."""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import crossplane
import pytest

from components.docker.nginx import (
    ACME_CHALLENGE_PATH,
    CERTIFICATE_FILE,
    CLIENT_CA_FILE,
    DEFAULT_RATE_LIMITS,
    KEY_FILE,
    RESOLVER,
    STATIC_ASSETS,
    Proxy,
    RateLimitArgs,
    Upstream,
    nginx_config,
    nginx_rate,
    rate_limit_pattern,
)
from components.settings import RateLimits, Settings
from policies.rules import _nginx
from tests.components.docker_support import DOMAIN, nginx_site, prod_settings
from tests.realserver.conftest import BINARIES, require

FRONTEND = Upstream("web-frontend:3000", ["web-frontend-1:3000", "web-frontend-2:3000"])
BACKEND = Upstream("web-backend:8000", ["web-backend-1:8000", "web-backend-2:8000", "web-backend-3:8000"])
SECURITY_HEADERS = {
    "Strict-Transport-Security",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Permissions-Policy",
    "Content-Security-Policy",
}

Block = list[dict[str, Any]]


def parse(text: str, tmp_path: Path) -> Block:
    """The configuration as crossplane reads it (contexts and argument counts checked, includes not followed)."""
    path = tmp_path / "nginx.conf"
    path.write_text(text)
    result = crossplane.parse(str(path), single=True, comments=False)
    assert result["status"] == "ok", result["errors"]
    return result["config"][0]["parsed"]


def build(tmp_path: Path, settings: Settings | None = None, frontend: Upstream | None = None) -> Block:
    return parse(nginx_config(nginx_site(settings or prod_settings()), frontend or FRONTEND, BACKEND), tmp_path)


def find(block: Block, name: str) -> Block:
    return [item for item in block if item["directive"] == name]


def single(block: Block, name: str) -> dict[str, Any]:
    found = find(block, name)
    assert len(found) == 1, f"expected one {name}, found {len(found)}"
    return found[0]


def args(block: Block, name: str) -> list[str]:
    return single(block, name)["args"]


def http(config: Block) -> Block:
    return single(config, "http")["block"]


def server(config: Block, port: int) -> Block:
    servers = [s["block"] for s in find(http(config), "server") if any(
        item["args"][0] == str(port) for item in find(s["block"], "listen"))]  # fmt: skip
    assert len(servers) == 1
    return servers[0]


def variable(config: Block, name: str) -> dict[str, Any]:
    """The map or split_clients block that sets ``$<name>_upstream``."""
    return next(
        item
        for item in http(config)
        if item["directive"] in ("map", "split_clients") and item["args"][-1] == f"${name}_upstream"
    )


def location(block: Block, *location_args: str) -> Block:
    return next(loc["block"] for loc in find(block, "location") if loc["args"] == list(location_args))


def route(block: Block, uri: str) -> dict[str, Any]:
    """The location nginx picks for ``uri``: an exact match, else the longest prefix if it is ``^~``, else the first
    matching regular expression in order, else the longest prefix."""
    locations = find(block, "location")
    for loc in locations:
        if loc["args"][0] == "=" and loc["args"][1] == uri:
            return loc
    prefixes = [loc for loc in locations if loc["args"][0] in ("^~",) or len(loc["args"]) == 1]
    prefixes = [loc for loc in prefixes if uri.startswith(loc["args"][-1])]
    longest = max(prefixes, key=lambda loc: len(loc["args"][-1]), default=None)
    if longest is not None and longest["args"][0] == "^~":
        return longest
    for loc in locations:
        kind = loc["args"][0]
        if kind in ("~", "~*") and re.search(loc["args"][1], uri, re.IGNORECASE if kind == "~*" else 0):
            return loc
    assert longest is not None, f"no location for {uri}"
    return longest


# -- the process ---------------------------------------------------------------------------------------------------
def test_the_configuration_parses_and_fits_a_read_only_unprivileged_container(tmp_path: Path) -> None:
    config = build(tmp_path)
    assert args(config, "pid") == ["/tmp/nginx.pid"]
    assert args(config, "worker_processes") == ["auto"]
    assert args(config, "error_log") == ["/dev/stderr", "warn"]
    events = single(config, "events")["block"]
    assert int(args(events, "worker_connections")[0]) >= 1024
    block = http(config)
    assert args(block, "server_tokens") == ["off"]
    for temp in ("client_body_temp_path", "proxy_temp_path", "fastcgi_temp_path", "uwsgi_temp_path", "scgi_temp_path"):
        assert args(block, temp)[0].startswith("/tmp/"), temp
    assert args(block, "access_log")[0] == "/dev/stdout"
    assert args(block, "client_max_body_size") == ["10m"]


def test_gzip_compresses_text_assets(tmp_path: Path) -> None:
    block = http(build(tmp_path))
    assert args(block, "gzip") == ["on"]
    assert {"text/css", "application/javascript", "application/json", "image/svg+xml"} <= set(args(block, "gzip_types"))


# -- upstreams -----------------------------------------------------------------------------------------------------
def test_upstreams_are_resolved_per_request_through_dockers_dns(tmp_path: Path) -> None:
    config = build(tmp_path)
    block = http(config)
    assert args(block, "resolver") == [RESOLVER, "valid=5s", "ipv6=off"]
    assert find(block, "upstream") == []
    for name, upstream in (("frontend", FRONTEND), ("backend", BACKEND)):
        found = variable(config, name)
        assert found["directive"] == "map"
        assert found["block"] == [
            {"directive": "default", "args": [f"http://{upstream.service}"], "line": found["block"][0]["line"]}
        ]


def test_stickiness_hashes_client_addresses_onto_members_with_a_failover(tmp_path: Path) -> None:
    config = build(tmp_path, prod_settings({"stickiness": True}))
    for name, upstream in (("frontend", FRONTEND), ("backend", BACKEND)):
        found = variable(config, name)
        assert found["directive"] == "split_clients"
        assert found["args"] == ["$remote_addr", f"${name}_upstream"]
        assert [item["args"] for item in found["block"]] == [[f"http://{m}"] for m in upstream.members]
        assert found["block"][-1]["directive"] == "*"
        https = server(config, 8443)
        failover = next(loc for loc in find(https, "location") if loc["args"] == [f"@{name}_failover"])
        assert args(failover["block"], "proxy_pass") == [f"${name}_failover"]


def test_members_must_be_host_and_port() -> None:
    with pytest.raises(ValueError, match="at least one member"):
        nginx_config(nginx_site(prod_settings()), Upstream("web-frontend:3000", []), BACKEND)
    with pytest.raises(ValueError, match="host:port"):
        nginx_config(nginx_site(prod_settings()), Upstream("frontend; evil", ["a:1"]), BACKEND)


# -- rate limits ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("limit", "window", "rate"),
    [(600, 60, "10r/s"), (10, 120, "5r/m"), (1800, 60, "30r/s"), (10, 600, "1r/m"), (100, 120, "50r/m"),
     (900, 300, "3r/s"), (45, 60, "45r/m")],
)  # fmt: skip
def test_limits_keep_their_rate_in_nginx_units(limit: int, window: int, rate: str) -> None:
    assert nginx_rate(RateLimitArgs(limit=limit, window_seconds=window)) == rate


def test_the_components_default_limits_are_the_settings_defaults() -> None:
    # The load balancer's own defaults (LoadBalancerArgs without rate limits) and webstack:web.rateLimits' agree.
    stack = RateLimits()
    for name, limit in DEFAULT_RATE_LIMITS.items():
        assert (nginx_rate(limit), rate_limit_pattern(limit)) == (
            nginx_rate(getattr(stack, name)),
            rate_limit_pattern(getattr(stack, name)),
        ), name


def test_a_rate_limit_names_the_field_it_refuses() -> None:
    with pytest.raises(ValueError, match=r"RateLimitArgs\.match must be prefix or contains, got 'suffix'"):
        RateLimitArgs(limit=10, window_seconds=60, path="/x", match="suffix")
    with pytest.raises(ValueError, match=r"RateLimitArgs\.limit and window_seconds must be positive, got 0 per 60"):
        RateLimitArgs(limit=0, window_seconds=60)


def zones(block: Block) -> dict[str, tuple[str, str]]:
    """zone name -> (key, rate)."""
    found = {}
    for zone in find(block, "limit_req_zone"):
        key, name, rate = zone["args"]
        found[name.removeprefix("zone=").split(":")[0]] = (key, rate.removeprefix("rate="))
    return found


def key_patterns(block: Block, key: str) -> dict[str, str]:
    """The map that sets ``key``: pattern -> value."""
    mapping = next(m["block"] for m in find(block, "map") if m["args"] == ["$uri", key])
    return {item["directive"]: item["args"][0] for item in mapping}


def test_the_three_zones_have_the_guides_rates_and_count_what_the_waf_counts(tmp_path: Path) -> None:
    block = http(build(tmp_path))
    found = zones(block)
    assert found == {
        "api": ("$limit_api", "10r/s"),
        "login": ("$limit_login", "5r/m"),
        "general": ("$binary_remote_addr", "30r/s"),
    }
    # A request a limit does not match has an empty key, which nginx does not count.
    assert key_patterns(block, "$limit_api") == {"default": "", "~*^/api/": "$binary_remote_addr"}
    assert key_patterns(block, "$limit_login") == {"default": "", "~*login": "$binary_remote_addr"}
    assert args(block, "limit_req_status") == ["429"]


def test_rate_limits_follow_the_settings(tmp_path: Path) -> None:
    limits = {
        "api": {"limit": 300, "windowSeconds": 60, "path": "graphql", "match": "contains"},
        "login": {"limit": 20, "windowSeconds": 60, "path": "/auth/login", "match": "prefix"},
        "general": {"limit": 6000, "windowSeconds": 300},
    }
    block = http(build(tmp_path, prod_settings({"rateLimits": limits})))
    assert zones(block)["api"] == ("$limit_api", "5r/s")
    assert zones(block)["login"] == ("$limit_login", "20r/m")
    assert zones(block)["general"] == ("$binary_remote_addr", "20r/s")
    assert key_patterns(block, "$limit_api") == {"default": "", "~*graphql": "$binary_remote_addr"}
    assert key_patterns(block, "$limit_login") == {"default": "", "~*^/auth/login": "$binary_remote_addr"}


def limited(block: Block) -> dict[str, list[str]]:
    return {item["args"][0].removeprefix("zone="): item["args"][1:] for item in find(block, "limit_req")}


def test_every_proxied_request_is_rate_limited_with_burst_and_nodelay(tmp_path: Path) -> None:
    https = server(build(tmp_path), 8443)
    api = limited(route(https, "/api/users")["block"])
    assert api == {"api": ["burst=20", "nodelay"], "login": ["burst=5", "nodelay"], "general": ["burst=50", "nodelay"]}
    site = limited(route(https, "/login")["block"])
    assert site == {"login": ["burst=5", "nodelay"], "general": ["burst=50", "nodelay"]}
    for loc in find(https, "location"):
        if find(loc["block"], "proxy_pass"):
            assert "general" in limited(loc["block"]), loc["args"]


# -- :8080 -------------------------------------------------------------------------------------------------------
def test_port_8080_only_redirects_to_https_and_answers_its_health_check(tmp_path: Path) -> None:
    plain = server(build(tmp_path), 8080)
    assert args(plain, "listen") == ["8080", "default_server"]
    assert args(route(plain, "/healthz")["block"], "return") == ["200", "ok"]
    for uri in ("/", "/api/users", "/login", "/app.js"):
        assert args(route(plain, uri)["block"], "return") == ["301", "https://$host$request_uri"]
    assert all(not find(loc["block"], "proxy_pass") for loc in find(plain, "location"))
    assert find(plain, "ssl_certificate") == []


def test_the_redirect_names_the_https_port_unless_it_is_443(tmp_path: Path) -> None:
    plain = server(build(tmp_path, prod_settings(docker={"httpPort": 8081, "httpsPort": 8444})), 8080)
    assert args(route(plain, "/")["block"], "return") == ["301", "https://$host:8444$request_uri"]


# -- :8443 -------------------------------------------------------------------------------------------------------
def test_https_serves_the_domain_and_www_with_modern_tls_only(tmp_path: Path) -> None:
    https = server(build(tmp_path), 8443)
    assert args(https, "listen") == ["8443", "ssl", "default_server"]
    assert args(https, "http2") == ["on"]
    assert args(https, "server_name") == [DOMAIN, f"www.{DOMAIN}"]
    assert args(https, "ssl_certificate") == [CERTIFICATE_FILE]
    assert args(https, "ssl_certificate_key") == [KEY_FILE]
    assert args(https, "ssl_protocols") == ["TLSv1.2", "TLSv1.3"]
    ciphers = args(https, "ssl_ciphers")[0].split(":")
    assert ciphers
    for cipher in ciphers:
        assert cipher.startswith("ECDHE-"), cipher
        assert re.search(r"-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)$", cipher), cipher
    assert args(https, "ssl_prefer_server_ciphers") == ["off"]
    assert args(https, "ssl_session_cache") == ["shared:SSL:10m"]
    assert args(https, "ssl_session_timeout") == ["1d"]
    assert args(https, "ssl_session_tickets") == ["off"]


def headers(block: Block) -> dict[str, list[str]]:
    return {item["args"][0]: item["args"][1:] for item in find(block, "add_header")}


def test_every_https_response_carries_the_security_headers(tmp_path: Path) -> None:
    settings = prod_settings(cdn={"contentSecurityPolicy": "default-src 'self'; frame-ancestors 'none'"})
    https = server(build(tmp_path, settings), 8443)
    sent = headers(https)
    # A year, with includeSubDomains and preload only as webstack:cdn opts in (they bind the whole domain).
    assert sent["Strict-Transport-Security"] == ["max-age=31536000", "always"]
    assert sent["X-Frame-Options"] == ["SAMEORIGIN", "always"]
    assert sent["X-Content-Type-Options"] == ["nosniff", "always"]
    assert sent["Referrer-Policy"] == ["strict-origin-when-cross-origin", "always"]
    assert sent["Permissions-Policy"] == [settings.cdn.permissions_policy, "always"]
    assert sent["Content-Security-Policy"] == ["default-src 'self'; frame-ancestors 'none'", "always"]
    # A block with add_header of its own inherits none: each one repeats all of them.
    for loc in find(https, "location"):
        if find(loc["block"], "add_header"):
            assert headers(loc["block"]).items() >= sent.items(), loc["args"]


def test_static_assets_are_cached_for_a_year(tmp_path: Path) -> None:
    https = server(build(tmp_path), 8443)
    assert STATIC_ASSETS == r"\.(css|js|png|jpg|jpeg|gif|svg|ico|woff2?)$"
    static = location(https, "~*", STATIC_ASSETS)
    assert args(static, "expires") == ["1y"]
    assert headers(static)["Cache-Control"] == ["public, immutable", "always"]
    assert args(static, "proxy_pass") == ["$frontend_upstream"]
    for uri in ("/app.css", "/assets/main.JS", "/font.woff2", "/font.woff", "/logo.svg"):
        assert route(https, uri)["args"] == ["~*", STATIC_ASSETS], uri


def test_api_goes_to_the_backend_and_everything_else_to_the_frontend(tmp_path: Path) -> None:
    https = server(build(tmp_path), 8443)
    for uri in ("/api", "/api/", "/api/users/1", "/api/bundle.js"):
        assert args(route(https, uri)["block"], "proxy_pass") == ["$backend_upstream"], uri
    for uri in ("/", "/apiary", "/login", "/about/api"):
        assert args(route(https, uri)["block"], "proxy_pass") == ["$frontend_upstream"], uri
    forwarded = {item["args"][0]: item["args"][1] for item in find(https, "proxy_set_header")}
    assert forwarded["Host"] == "$host"
    assert forwarded["X-Real-IP"] == "$remote_addr"
    assert forwarded["X-Forwarded-For"] == "$remote_addr"
    assert forwarded["X-Forwarded-Proto"] == "$scheme"
    assert args(https, "proxy_http_version") == ["1.1"]
    for timeout in ("proxy_connect_timeout", "proxy_send_timeout", "proxy_read_timeout"):
        assert args(https, timeout)[0].endswith("s")
    # Locations inherit the proxy headers: none sets its own (which would drop all inherited ones).
    assert all(not find(loc["block"], "proxy_set_header") for loc in find(https, "location"))


@pytest.mark.parametrize(
    "uri", ["/.env", "/.env.production", "/app/.env", "/composer.json", "/composer.lock", "/package.json",
            "/static/package-lock.json", "/yarn.lock", "/Dockerfile"],
)  # fmt: skip
def test_files_with_secrets_or_dependencies_do_not_exist(tmp_path: Path, uri: str) -> None:
    https = server(build(tmp_path), 8443)
    assert args(route(https, uri)["block"], "return") == ["404"]


@pytest.mark.parametrize("uri", ["/.git/config", "/.htaccess", "/api/.git/HEAD", "/.ssh/id_rsa"])
def test_other_dotfiles_are_denied(tmp_path: Path, uri: str) -> None:
    https = server(build(tmp_path), 8443)
    assert args(route(https, uri)["block"], "deny") == ["all"]


def test_acme_challenges_are_the_one_dotfile_path_served(tmp_path: Path) -> None:
    https = server(build(tmp_path), 8443)
    found = route(https, f"{ACME_CHALLENGE_PATH}token-123")
    assert found["args"] == ["^~", ACME_CHALLENGE_PATH]
    assert args(found["block"], "proxy_pass") == ["$frontend_upstream"]
    assert find(found["block"], "deny") == []


# -- behind Cloudflare: the client's address ---------------------------------------------------------------------------
CLOUDFLARE = ["173.245.48.0/20", "2400:cb00::/32"]
#: Stands in for Cloudflare's origin-pull CA: nginx.conf names the file the load balancer uploads it to.
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n"
TUNNEL_SUBNET = "192.168.255.248/29"


def behind(tmp_path: Path, proxy: Proxy | None, settings: Settings | None = None) -> Block:
    return parse(nginx_config(nginx_site(settings or prod_settings()), FRONTEND, BACKEND, proxy), tmp_path)


def test_connected_directly_nginx_restores_the_client_for_cloudflares_ranges_only(tmp_path: Path) -> None:
    proxy = Proxy(trusted=CLOUDFLARE, admitted=CLOUDFLARE, client_ca_pem=CA_PEM)
    block = http(behind(tmp_path, proxy))
    assert [item["args"] for item in find(block, "set_real_ip_from")] == [[cidr] for cidr in CLOUDFLARE]
    assert args(block, "real_ip_header") == ["CF-Connecting-IP"]
    assert args(block, "real_ip_recursive") == ["off"]
    # Every zone still keys on the connection's address, which real_ip has restored for Cloudflare's connections.
    assert {key for key, _ in zones(block).values()} == {"$limit_api", "$limit_login", "$binary_remote_addr"}
    assert set(key_patterns(block, "$limit_api").values()) == {"", "$binary_remote_addr"}


def test_connected_directly_nginx_serves_cloudflare_only_with_its_client_certificate(tmp_path: Path) -> None:
    proxy = Proxy(trusted=CLOUDFLARE, admitted=CLOUDFLARE, client_ca_pem=CA_PEM)
    block = http(behind(tmp_path, proxy))
    (geo,) = find(block, "geo")
    # The address before real_ip: allow/deny would see the restored one, the client's.
    assert geo["args"] == ["$realip_remote_addr", "$cloudflare_peer"]
    assert {item["directive"]: item["args"] for item in geo["block"]} == {
        "default": ["0"],
        **{cidr: ["1"] for cidr in CLOUDFLARE},
    }
    https = server(behind(tmp_path, proxy), 8443)
    assert args(https, "ssl_client_certificate") == [CLIENT_CA_FILE]
    assert args(https, "ssl_verify_client") == ["on"]
    (refusal,) = find(https, "if")
    assert refusal["args"] == ["$cloudflare_peer", "=", "0"]
    assert refusal["block"] == [{"directive": "return", "line": refusal["block"][0]["line"], "args": ["403"]}]


def test_behind_a_tunnel_nginx_believes_the_tunnel_network_only(tmp_path: Path) -> None:
    block = http(behind(tmp_path, Proxy(trusted=[TUNNEL_SUBNET])))
    assert args(block, "set_real_ip_from") == [TUNNEL_SUBNET]
    assert args(block, "real_ip_header") == ["CF-Connecting-IP"]
    assert find(block, "geo") == []
    https = server(behind(tmp_path, Proxy(trusted=[TUNNEL_SUBNET])), 8443)
    assert find(https, "ssl_verify_client") == []
    assert find(https, "if") == []


def test_without_cloudflare_nginx_believes_no_header(tmp_path: Path) -> None:
    block = http(build(tmp_path))
    for directive in ("set_real_ip_from", "real_ip_header", "geo"):
        assert find(block, directive) == [], directive


def test_the_backend_gets_the_client_address_whatever_a_client_sends(tmp_path: Path) -> None:
    https = server(build(tmp_path), 8443)
    sent = {item["args"][0]: item["args"][1] for item in find(https, "proxy_set_header")}
    assert sent["X-Real-IP"] == sent["CF-Connecting-IP"] == sent["X-Forwarded-For"] == "$remote_addr"


def test_a_proxy_needs_cidrs_it_trusts() -> None:
    with pytest.raises(ValueError, match="needs the addresses"):
        Proxy(trusted=[])
    with pytest.raises(ValueError, match="must be CIDRs"):
        Proxy(trusted=["cloudflare"])


# -- the real server: who is counted -----------------------------------------------------------------------------------
NGINX = BINARIES["nginx"]


@pytest.fixture
def nginx_installed() -> None:
    """Debian's nginx, as the real-server tier requires it (skipped without it, failed under
    WEBSTACK_REALSERVER_REQUIRED=1, which CI sets)."""
    require("nginx")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fetch(port: int, client: str) -> tuple[int, str]:
    """The status, and "<the address nginx counts> <the peer>" from the response's headers."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/", headers={"CF-Connecting-IP": client})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, f"{response.headers['X-Client']} {response.headers['X-Peer']}"
    except urllib.error.HTTPError as error:
        return error.code, ""


def as_payload(directive: _nginx.Directive) -> dict[str, Any]:
    """A directive read back, as crossplane builds it again."""
    built: dict[str, Any] = {"directive": directive.name, "args": list(directive.args)}
    if directive.block is not None:
        built["block"] = [as_payload(d) for d in directive.block]
    return built


@contextlib.contextmanager
def serving(tmp_path: Path, proxy: Proxy) -> Iterator[int]:
    """Debian's nginx with the generated real_ip directives and general zone, on a loopback port; it serves a static
    file (the content phase, after limit_req: ``return`` would answer before any limit) with the address nginx
    counts and the peer in headers."""
    settings = prod_settings({"rateLimits": {"general": {"limit": 10, "windowSeconds": 60}}})
    generated = _nginx.parse(nginx_config(nginx_site(settings), FRONTEND, BACKEND, proxy))
    (http_block,) = _nginx.find(generated, "http")
    kept = [d for d in http_block.block or () if d.name in ("set_real_ip_from", "real_ip_header", "real_ip_recursive")]
    kept += http_block.find("geo")
    zone = next(d for d in http_block.find("limit_req_zone") if "zone=general:10m" in d.args)
    https = next(d for d in http_block.find("server") if any("ssl" in listen.args for listen in d.find("listen")))
    admission = https.find("if")  # behind a directly connected proxy: refuse peers outside its ranges
    port = free_port()
    payload = [
        {"directive": "pid", "args": [str(tmp_path / "nginx.pid")]},
        {"directive": "error_log", "args": [str(tmp_path / "error.log"), "warn"]},
        {"directive": "events", "args": [], "block": []},
        {
            "directive": "http",
            "args": [],
            "block": [
                *(as_payload(d) for d in (*kept, zone)),
                {"directive": "limit_req_status", "args": ["429"]},
                {"directive": "access_log", "args": ["off"]},
                *(
                    {"directive": f"{kind}_temp_path", "args": [str(tmp_path / kind)]}
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
                ),
                {
                    "directive": "server",
                    "args": [],
                    "block": [
                        {"directive": "listen", "args": [f"127.0.0.1:{port}"]},
                        *(as_payload(d) for d in admission),
                        {
                            "directive": "location",
                            "args": ["/"],
                            "block": [
                                {"directive": "root", "args": [str(tmp_path)]},
                                {"directive": "limit_req", "args": ["zone=general"]},
                                {"directive": "add_header", "args": ["X-Client", "$remote_addr", "always"]},
                                {"directive": "add_header", "args": ["X-Peer", "$realip_remote_addr", "always"]},
                            ],
                        },
                    ],
                },
            ],
        },
    ]
    (tmp_path / "index.html").write_text("ok\n")
    (tmp_path / "nginx.conf").write_text(crossplane.build(payload))
    command = [NGINX, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stderr
    server_process = subprocess.Popen([*command, "-g", "daemon off; master_process off;"])
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.1):
                break
            time.sleep(0.05)
        yield port
    finally:
        server_process.terminate()
        server_process.wait(timeout=10)


@pytest.mark.usefixtures("nginx_installed")
def test_nginx_counts_the_restored_client_for_a_trusted_proxy_and_the_peer_for_anyone_else(tmp_path: Path) -> None:
    """nginx itself: a peer the configuration trusts (here the loopback stands in for Cloudflare's ranges) has its
    clients counted one by one; any other peer, whatever CF-Connecting-IP it sends, is one client."""
    trusted = tmp_path / "trusted"
    trusted.mkdir()
    with serving(trusted, Proxy(trusted=["127.0.0.1/32"])) as port:
        assert fetch(port, "203.0.113.7") == (200, "203.0.113.7 127.0.0.1")
        assert fetch(port, "203.0.113.8") == (200, "203.0.113.8 127.0.0.1")  # another client: its own counter
        assert fetch(port, "203.0.113.7")[0] == 429  # the same client again: over 10 a minute
    untrusted = tmp_path / "untrusted"
    untrusted.mkdir()
    with serving(untrusted, Proxy(trusted=CLOUDFLARE)) as port:
        assert fetch(port, "203.0.113.7") == (200, "127.0.0.1 127.0.0.1")  # the header is not believed
        assert fetch(port, "203.0.113.8")[0] == 429  # a new claimed address does not buy a new counter


@pytest.mark.usefixtures("nginx_installed")
def test_nginx_admits_only_the_proxys_peers_judged_before_real_ip(tmp_path: Path) -> None:
    """The allow-list judges the connection's address, not the one real_ip restores: a peer outside the proxy's
    ranges is refused even when it claims, in CF-Connecting-IP, an address inside them."""
    inside = tmp_path / "inside"
    inside.mkdir()
    with serving(inside, Proxy(trusted=["127.0.0.1/32"], admitted=["127.0.0.1/32"])) as port:
        assert fetch(port, "203.0.113.7") == (200, "203.0.113.7 127.0.0.1")
    outside = tmp_path / "outside"
    outside.mkdir()
    with serving(outside, Proxy(trusted=CLOUDFLARE, admitted=CLOUDFLARE)) as port:
        assert fetch(port, "173.245.48.1")[0] == 403
