"""The load balancer's nginx.conf on the docker platform, built with crossplane from the load balancer's Args.

:func:`nginx_config` is pure: the site (:class:`Site`, the load balancer's Args with their defaults) and upstream
members in, the whole configuration text out, so tests parse it
back (``crossplane.parse``) and check every directive. What it configures, as the guides' nginx sections do:

- the unprivileged image's layout: workers, pid and every temp path under ``/tmp`` (the root filesystem is
  read-only), access log to stdout and error log to stderr, ``server_tokens off``;
- ``:8080`` (published as ``webstack:docker.httpPort``): ``/healthz`` answered locally for the container's health
  check, everything else ``301`` to HTTPS;
- ``:8443`` (published as ``webstack:docker.httpsPort``): TLS 1.2/1.3 with ECDHE + AES-GCM/ChaCha20 ciphers only, no
  session tickets, HTTP/2, for the domain and www; the security headers the other edges send (HSTS, nosniff,
  SAMEORIGIN, Referrer-Policy, Permissions-Policy, the Content-Security-Policy of ``webstack:cdn``) on every
  response, errors included; gzip; static assets cached for a year; ``/api`` to the backend and the rest to the
  frontend (see below); secrets-bearing files (``.env``, ``composer.json``, ...) answered 404 and
  other dotfiles denied, except ACME challenges;
- the rate limits (:class:`RateLimitArgs`; the stack's ``webstack:web.rateLimits``) per client address, with the
  same matching the WAF uses: each limit has its own key, empty for requests its path does not match (nginx does not
  count requests with an empty key), so every proxied location applies all three and each counts only its own
  requests.

Upstreams are names resolved per request, never at start. Docker gives a recreated container a new address, and
nginx resolves the names in an ``upstream`` block once, when it starts: it would keep sending requests to addresses
that are gone (502) until restarted. The open-source ``resolve`` parameter of upstream servers needs nginx 1.27.3,
which Debian 12's nginx 1.22 (the real-server tier) lacks, so ``proxy_pass`` names its upstream in a variable, which
nginx resolves at request time through :data:`RESOLVER` (Docker's embedded DNS, 127.0.0.11 in every container on a
user-defined network), caching answers for :data:`RESOLVER_VALID`. Each service's members share one DNS name
(:attr:`Upstream.service`; Docker's DNS answers a shared network alias with every member's address), over which nginx
spreads the requests and to whose other addresses ``proxy_next_upstream`` moves a failed request. With
``webstack:web.stickiness`` a client address is hashed onto one member (``split_clients``), and a request whose member
does not answer is retried once on the shared name. nginx keeps no idle connections to names resolved this way
(``keepalive`` needs an ``upstream`` block).

How nginx 1.22 spreads and fails over on a name resolved per request (its source: ``src/core/ngx_resolver.c``
``ngx_resolver_export``, ``src/http/ngx_http_upstream_round_robin.c``
``ngx_http_upstream_create_round_robin_peer``): each request gets a peer list of its own, built from the resolver's
answer, which for a cached name starts at a random address; so each request begins at a random member (not a strict
rotation), and ``max_fails``/``fail_timeout`` (1 and 10 s there, and not settable without an ``upstream`` block) count
within that request only: a member that refuses is skipped for the rest of the request, and the next request may try
it again. A member that is gone costs the requests that start on it one refused connection, until the name is
resolved again without it (:data:`RESOLVER_VALID`).

Behind Cloudflare (a :class:`Proxy`), nginx restores the client's address with the real_ip module: from
``CF-Connecting-IP``, for connections from the proxy's addresses only (Cloudflare's published ranges, or the tunnel
network), never from anyone else. ``$remote_addr`` and ``$binary_remote_addr`` are then the client's for those
connections and the peer's for every other, so the rate limits, the access log and the backend's headers count
clients, not Cloudflare. Connected directly, nginx also serves Cloudflare only: a client certificate from the
origin-pull CA (authenticated origin pulls) and a peer in Cloudflare's ranges (judged on ``$realip_remote_addr``, the
address before real_ip, since ``allow``/``deny`` would see the restored one).

The backend receives the client's address in ``X-Real-IP`` and ``CF-Connecting-IP`` (both set by nginx, whatever a
client sent) and as the only ``X-Forwarded-For`` entry.

The access log's ``ts=$msec`` is when nginx finished the request (Unix time, milliseconds): with ``rt=$request_time``
it gives when the request began, to correlate with the services' logs and to judge the rate limits on nginx's own
clock.
"""

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import crossplane
import pulumi

from ..edge_common import (
    CLIENT_ADDRESS_HEADER,
    X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
    hsts_header,
    hsts_value,
)
from ..settings import DEFAULT_CSP, DEFAULT_PERMISSIONS_POLICY, RATE_LIMIT_NAMES

#: Ports the unprivileged nginx image listens on inside the container (it cannot bind below 1024).
HTTP_PORT = 8080
HTTPS_PORT = 8443
#: Where the load balancer container receives its files (a small config volume, see components/docker/load_balancer.py).
CONFIG_DIR = "/etc/nginx/webstack"
CONFIG_FILE = f"{CONFIG_DIR}/nginx.conf"
CERTIFICATE_FILE = f"{CONFIG_DIR}/tls.crt"
KEY_FILE = f"{CONFIG_DIR}/tls.key"
#: The CA of the client certificates nginx requires when Cloudflare connects directly (authenticated origin pulls).
CLIENT_CA_FILE = f"{CONFIG_DIR}/origin-pull-ca.pem"
#: Set by ``geo`` to 1 for a peer inside the proxy's ranges, 0 for any other.
PROXY_PEER_VARIABLE = "$cloudflare_peer"
#: Answered on :8080 without a redirect, for the container's own health check.
HEALTH_PATH = "/healthz"
#: The only dotfile path served (HTTP-01 challenges, which Let's Encrypt fetches after following the redirect).
ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/"

#: TLS: the protocols and the cipher suites of Mozilla's "intermediate" profile: ECDHE key exchange with AES-GCM or
#: ChaCha20-Poly1305 only (TLS 1.3 suites are not configurable here and are all AEAD).
SSL_PROTOCOLS = ("TLSv1.2", "TLSv1.3")
SSL_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
)
SSL_SESSION_CACHE = "shared:SSL:10m"
SSL_SESSION_TIMEOUT = "1d"

REFERRER_POLICY = "strict-origin-when-cross-origin"

#: Worker settings: one worker per CPU the container may use, each with room for many keepalive connections.
WORKER_PROCESSES = "auto"
WORKER_CONNECTIONS = 4096
#: Largest request body (uploads go through the backend to object storage).
CLIENT_MAX_BODY_SIZE = "10m"
#: Timeouts towards the web services.
PROXY_CONNECT_TIMEOUT = "5s"
PROXY_SEND_TIMEOUT = "60s"
PROXY_READ_TIMEOUT = "60s"
#: Docker's embedded DNS server, which every container on a user-defined network reaches at this address (Docker
#: documentation, "Container networking: DNS services"); it answers the containers' names and network aliases.
RESOLVER = "127.0.0.11"
#: How long nginx keeps a resolved address: a recreated web container is followed within this time.
RESOLVER_VALID = "5s"
RESOLVER_TIMEOUT = "5s"

#: Requests a client may send above each rate before it gets 429 (served at once: ``nodelay``).
RATE_LIMIT_BURSTS = {"api": 20, "login": 5, "general": 50}
#: Shared memory per rate-limit zone (about 160 000 client addresses for 10m).
RATE_LIMIT_ZONE_SIZE = "10m"

#: Static assets, cached by browsers for a year (the guides' ``expires 1y`` list, plus web fonts).
STATIC_ASSETS = r"\.(css|js|png|jpg|jpeg|gif|svg|ico|woff2?)$"
#: Files that must never be served, whatever the services would answer: 404, as if they did not exist.
HIDDEN_FILES = (
    ".env",
    "composer.json",
    "composer.lock",
    "package.json",
    "package-lock.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "Gemfile",
    "Gemfile.lock",
    "Dockerfile",
    "docker-compose.yml",
    "docker-compose.yaml",
)
HIDDEN_FILES_PATTERN = "(?:^|/)(?:" + "|".join(re.escape(name) for name in HIDDEN_FILES) + r")(?:\.[^/]*)?$"

GZIP_TYPES = (
    "text/plain",
    "text/css",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/rss+xml",
    "application/manifest+json",
    "image/svg+xml",
)

#: ``$remote_addr`` is the client (restored behind Cloudflare); ``peer`` is who connected (``$realip_remote_addr``);
#: ``ts`` is when the request ended (last, so a log reader can anchor on it).
LOG_FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" '
    '"$http_user_agent" rt=$request_time uct=$upstream_connect_time urt=$upstream_response_time '
    "peer=$realip_remote_addr ts=$msec"
)

Directive = dict[str, Any]


@dataclass(frozen=True)
class Proxy:
    """Cloudflare in front of nginx: whose ``CF-Connecting-IP`` nginx believes, and whom it serves at all."""

    trusted: Sequence[str]
    """CIDRs of the peers that hand nginx the client's address: Cloudflare's published ranges when Cloudflare
    connects directly, the tunnel network behind a tunnel."""
    admitted: Sequence[str] | None = None
    """The only peers nginx serves (Cloudflare's ranges, when it connects directly). Default (None): no allow-list
    (behind a tunnel nothing else can connect)."""
    client_ca_pem: pulumi.Input[str] | None = None
    """The CA (PEM) of the client certificate every connection must present (authenticated origin pulls: Cloudflare's
    origin-pull CA), uploaded as :data:`CLIENT_CA_FILE`. Default (None): no client certificate required."""

    def __post_init__(self) -> None:
        if not self.trusted:
            raise ValueError("Proxy.trusted needs the addresses whose CF-Connecting-IP nginx believes")
        for cidr in (*self.trusted, *(self.admitted or ())):
            if not re.fullmatch(r"[0-9A-Fa-f.:]+/\d{1,3}", cidr):
                raise ValueError(f"Proxy addresses must be CIDRs, got {cidr!r}")


@dataclass(frozen=True)
class RateLimitArgs:
    """One rate limit nginx enforces per client address, matched as the WAF matches it."""

    limit: int
    """Requests one client address may send in a window."""
    window_seconds: int
    """The window, in seconds."""
    path: str | None = None
    """Which requests count: a URL path text, case-insensitive. Default (None): every request."""
    match: str | None = None
    """How ``path`` matches the normalised request path: ``prefix`` or ``contains``. Default (None): ``prefix``."""

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_seconds < 1:
            raise ValueError(
                f"RateLimitArgs.limit and window_seconds must be positive, got {self.limit} per {self.window_seconds}"
            )
        if self.match not in (None, "prefix", "contains"):
            raise ValueError(f"RateLimitArgs.match must be prefix or contains, got {self.match!r}")


#: The guides' limits (API 10 r/s, login 5 r/min as 10 per 120 s, general 30 r/s): ``webstack:web.rateLimits``'
#: defaults too.
DEFAULT_RATE_LIMITS: Mapping[str, RateLimitArgs] = {
    "api": RateLimitArgs(limit=600, window_seconds=60, path="/api/"),
    "login": RateLimitArgs(limit=10, window_seconds=120, path="login", match="contains"),
    "general": RateLimitArgs(limit=1800, window_seconds=60),
}


@dataclass(frozen=True)
class Site:
    """What nginx.conf says about the site besides its upstreams, every default resolved (the load balancer's Args,
    see :class:`components.docker.load_balancer.LoadBalancerArgs`)."""

    domain: str
    https_port: int = 443
    """The published HTTPS port, where :8080 redirects."""
    rate_limits: Mapping[str, RateLimitArgs] = field(default_factory=lambda: dict(DEFAULT_RATE_LIMITS))
    """By zone (:data:`RATE_LIMIT_NAMES`)."""
    stickiness: bool = False
    hsts_include_subdomains: bool = False
    hsts_preload: bool = False
    content_security_policy: str = DEFAULT_CSP
    permissions_policy: str = DEFAULT_PERMISSIONS_POLICY

    def __post_init__(self) -> None:
        missing = [name for name in RATE_LIMIT_NAMES if name not in self.rate_limits]
        if missing:
            raise ValueError(f"the site needs a rate limit for each of {', '.join(missing)}")


def _d(directive: str, *args: object, block: list[Directive] | None = None) -> Directive:
    """One crossplane directive; arguments are turned into text."""
    built: Directive = {"directive": directive, "args": [str(arg) for arg in args]}
    if block is not None:
        built["block"] = block
    return built


def nginx_rate(limit: RateLimitArgs) -> str:
    """A limit as an nginx rate: requests per second when that is a whole number, else per minute (rounded up, at
    least one): 600 per 60 s -> ``10r/s``, 10 per 120 s -> ``5r/m``, 1800 per 60 s -> ``30r/s``."""
    if limit.limit % limit.window_seconds == 0:
        return f"{limit.limit // limit.window_seconds}r/s"
    return f"{max(1, math.ceil(limit.limit * 60 / limit.window_seconds))}r/m"


def rate_limit_pattern(limit: RateLimitArgs) -> str | None:
    """The case-insensitive regular expression (on the normalised path, ``$uri``) of the requests a limit counts, as
    the WAF matches them; None when it counts every request."""
    if not limit.path:
        return None
    escaped = re.escape(limit.path)
    return escaped if limit.match == "contains" else f"^{escaped}"


def redirect_target(site: Site) -> str:
    """Where :8080 sends every request: the same host and path over HTTPS, on the published HTTPS port."""
    port = site.https_port
    return f"https://$host{'' if port == 443 else f':{port}'}$request_uri"


def security_headers(site: Site) -> list[Directive]:
    """The headers every HTTPS response carries, errors included (``always``). nginx drops inherited ``add_header``
    directives in a block that has its own, so every block that adds a header repeats these."""
    headers = (
        ("Strict-Transport-Security", hsts_header(hsts_value(site))),
        ("X-Frame-Options", X_FRAME_OPTIONS),
        ("X-Content-Type-Options", X_CONTENT_TYPE_OPTIONS),
        ("Referrer-Policy", REFERRER_POLICY),
        ("Permissions-Policy", site.permissions_policy),
        ("Content-Security-Policy", site.content_security_policy),
    )
    return [_d("add_header", name, value, "always") for name, value in headers]


@dataclass(frozen=True)
class Upstream:
    """A web service as nginx reaches it."""

    service: str
    """``host:port`` of the DNS name every member answers to (a shared network alias)."""
    members: Sequence[str]
    """Each member's own ``host:port`` (for stickiness)."""


def nginx_config(site: Site, frontend: Upstream, backend: Upstream, proxy: Proxy | None = None) -> str:
    """The whole nginx.conf of the load balancer; ``proxy`` is Cloudflare in front (None: clients connect
    directly)."""
    for name, upstream in (("frontend", frontend), ("backend", backend)):
        if not upstream.members:
            raise ValueError(f"the {name} upstream needs at least one member")
        for member in (upstream.service, *upstream.members):
            if not re.fullmatch(r"[A-Za-z0-9.-]+:\d{1,5}", member):
                raise ValueError(f"upstream members must be host:port, got {member!r} in {name}")
    payload = [
        _d("pid", "/tmp/nginx.pid"),
        _d("worker_processes", WORKER_PROCESSES),
        _d("error_log", "/dev/stderr", "warn"),
        _d("events", block=[_d("worker_connections", WORKER_CONNECTIONS), _d("multi_accept", "on")]),
        _d("http", block=_http(site, frontend, backend, proxy)),
    ]
    return crossplane.build(payload) + "\n"


def _http(site: Site, frontend: Upstream, backend: Upstream, proxy: Proxy | None) -> list[Directive]:
    block = [
        *_real_ip(proxy),
        _d("include", "/etc/nginx/mime.types"),
        _d("default_type", "application/octet-stream"),
        _d("server_tokens", "off"),
        _d("absolute_redirect", "off"),
        _d("sendfile", "on"),
        _d("tcp_nopush", "on"),
        _d("tcp_nodelay", "on"),
        _d("keepalive_timeout", "65s"),
        _d("keepalive_requests", 1000),
        _d("client_max_body_size", CLIENT_MAX_BODY_SIZE),
        _d("client_body_timeout", "15s"),
        _d("client_header_timeout", "15s"),
        _d("send_timeout", "30s"),
        # The root filesystem is read-only: every temporary file goes to the tmpfs at /tmp.
        _d("client_body_temp_path", "/tmp/client_temp"),
        _d("proxy_temp_path", "/tmp/proxy_temp"),
        _d("fastcgi_temp_path", "/tmp/fastcgi_temp"),
        _d("uwsgi_temp_path", "/tmp/uwsgi_temp"),
        _d("scgi_temp_path", "/tmp/scgi_temp"),
        _d("log_format", "main", LOG_FORMAT),
        _d("access_log", "/dev/stdout", "main"),
        _d("gzip", "on"),
        _d("gzip_vary", "on"),
        _d("gzip_proxied", "any"),
        _d("gzip_comp_level", 6),
        _d("gzip_min_length", 1024),
        _d("gzip_types", *GZIP_TYPES),
        # WebSocket upgrades pass through; every other request keeps the upstream connection alive.
        _d("map", "$http_upgrade", "$connection_upgrade", block=[_d("default", "upgrade"), _d("", "")]),
    ]
    for name in RATE_LIMIT_NAMES:
        limit = site.rate_limits[name]
        pattern = rate_limit_pattern(limit)
        if pattern is None:
            key = "$binary_remote_addr"
        else:
            key = f"$limit_{name}"
            block.append(_d("map", "$uri", key, block=[_d("default", ""), _d(f"~*{pattern}", "$binary_remote_addr")]))
        block.append(_d("limit_req_zone", key, f"zone={name}:{RATE_LIMIT_ZONE_SIZE}", f"rate={nginx_rate(limit)}"))
    block += [
        _d("limit_req_status", 429),
        _d("limit_req_log_level", "warn"),
        _d("resolver", RESOLVER, f"valid={RESOLVER_VALID}", "ipv6=off"),
        _d("resolver_timeout", RESOLVER_TIMEOUT),
    ]
    sticky = site.stickiness
    upstreams = {"frontend": frontend, "backend": backend}
    for name, upstream in upstreams.items():
        block.append(_upstream_variable(name, upstream, sticky=sticky))
    block += [_http_server(site), _https_server(site, upstreams, proxy, sticky=sticky)]
    return block


def upstream_variable(name: str) -> str:
    """The variable that holds where a request to the service ``name`` goes (``http://host:port``)."""
    return f"${name}_upstream"


def _upstream_variable(name: str, upstream: Upstream, *, sticky: bool) -> Directive:
    """``$<name>_upstream``: the shared name, or with stickiness the member a client address hashes onto."""
    if not sticky:
        return _d("map", "$host", upstream_variable(name), block=[_d("default", f"http://{upstream.service}")])
    count = len(upstream.members)
    shares = [_d(f"{math.floor(10000 / count) / 100:g}%", f"http://{member}") for member in upstream.members[:-1]]
    return _d(
        "split_clients",
        "$remote_addr",
        upstream_variable(name),
        block=[*shares, _d("*", f"http://{upstream.members[-1]}")],
    )


def _proxy(name: str, *, sticky: bool) -> list[Directive]:
    """Proxy to the service ``name``; with stickiness, a member that does not answer hands over to the shared name."""
    directives = [_d("proxy_pass", upstream_variable(name))]
    if sticky:
        directives.insert(0, _d("error_page", 502, 504, "=", f"@{name}_failover"))
    return directives


def _failover_location(name: str, upstream: Upstream) -> Directive:
    return _d(
        "location",
        f"@{name}_failover",
        block=[_d("set", f"${name}_failover", f"http://{upstream.service}"), _d("proxy_pass", f"${name}_failover")],
    )


def _real_ip(proxy: Proxy | None) -> list[Directive]:
    """The real_ip module: the client's address from CF-Connecting-IP, for the proxy's peers only (one address, so
    no recursion); and, with an allow-list, which peers are the proxy's, judged on the address before real_ip."""
    if proxy is None:
        return []
    block = [
        *(_d("set_real_ip_from", cidr) for cidr in proxy.trusted),
        _d("real_ip_header", CLIENT_ADDRESS_HEADER),
        _d("real_ip_recursive", "off"),
    ]
    if proxy.admitted:
        block.append(
            _d(
                "geo",
                "$realip_remote_addr",
                PROXY_PEER_VARIABLE,
                block=[_d("default", 0), *(_d(cidr, 1) for cidr in proxy.admitted)],
            )
        )
    return block


def _admission(proxy: Proxy | None) -> list[Directive]:
    """What the HTTPS server requires of every connection behind a directly connected proxy."""
    if proxy is None:
        return []
    block: list[Directive] = []
    if proxy.client_ca_pem is not None:
        block += [_d("ssl_client_certificate", CLIENT_CA_FILE), _d("ssl_verify_client", "on")]
    if proxy.admitted:
        block.append(_d("if", PROXY_PEER_VARIABLE, "=", 0, block=[_d("return", 403)]))
    return block


def _http_server(site: Site) -> Directive:
    return _d(
        "server",
        block=[
            _d("listen", HTTP_PORT, "default_server"),
            _d("server_name", "_"),
            _d(
                "location",
                "=",
                HEALTH_PATH,
                block=[_d("access_log", "off"), _d("default_type", "text/plain"), _d("return", 200, "ok")],
            ),
            _d("location", "/", block=[_d("return", 301, redirect_target(site))]),
        ],
    )


def _https_server(site: Site, upstreams: dict[str, Upstream], proxy: Proxy | None, *, sticky: bool) -> Directive:
    domain = site.domain
    headers = security_headers(site)
    frontend = _proxy("frontend", sticky=sticky)
    failover = [_failover_location(name, upstream) for name, upstream in upstreams.items()] if sticky else []
    return _d(
        "server",
        block=[
            _d("listen", HTTPS_PORT, "ssl", "default_server"),
            _d("http2", "on"),
            _d("server_name", domain, f"www.{domain}"),
            _d("ssl_certificate", CERTIFICATE_FILE),
            _d("ssl_certificate_key", KEY_FILE),
            _d("ssl_protocols", *SSL_PROTOCOLS),
            _d("ssl_ciphers", ":".join(SSL_CIPHERS)),
            _d("ssl_prefer_server_ciphers", "off"),
            _d("ssl_session_cache", SSL_SESSION_CACHE),
            _d("ssl_session_timeout", SSL_SESSION_TIMEOUT),
            _d("ssl_session_tickets", "off"),
            *_admission(proxy),
            *headers,
            *_proxy_settings(),
            # Regular expressions are tried in order and the first match wins; ^~ prefixes skip them.
            _d("location", "^~", ACME_CHALLENGE_PATH, block=[*_limits("general"), *frontend]),
            _d("location", "~*", HIDDEN_FILES_PATTERN, block=[_d("access_log", "off"), _d("return", 404)]),
            _d(
                "location",
                "~",
                r"/\.",
                block=[_d("deny", "all"), _d("access_log", "off"), _d("log_not_found", "off")],
            ),
            _d(
                "location",
                "~",
                "^/api(?:/|$)",
                block=[*_limits("api", "login", "general"), *_proxy("backend", sticky=sticky)],
            ),
            _d(
                "location",
                "~*",
                STATIC_ASSETS,
                block=[
                    _d("expires", "1y"),
                    _d("add_header", "Cache-Control", "public, immutable", "always"),
                    *headers,
                    *_hidden_upstream_headers("Cache-Control", "Expires"),
                    *_limits("login", "general"),
                    *frontend,
                ],
            ),
            _d("location", "/", block=[*_limits("login", "general"), *frontend]),
            *failover,
        ],
    )


def _limits(*names: str) -> list[Directive]:
    """``limit_req`` for each zone; a zone whose path does not match a request does not count it."""
    return [_d("limit_req", f"zone={name}", f"burst={RATE_LIMIT_BURSTS[name]}", "nodelay") for name in names]


def _hidden_upstream_headers(*extra: str) -> list[Directive]:
    # Inherited only by blocks without proxy_hide_header of their own, so a block that adds one repeats these.
    return [_d("proxy_hide_header", name) for name in ("X-Powered-By", *extra)]


def _proxy_settings() -> list[Directive]:
    return [
        _d("proxy_http_version", "1.1"),
        _d("proxy_set_header", "Host", "$host"),
        # The client's address ($remote_addr, restored from CF-Connecting-IP for the proxy's peers only). nginx is
        # the first hop webstack trusts: whatever a client sends in these headers is replaced, never passed on.
        _d("proxy_set_header", "X-Real-IP", "$remote_addr"),
        _d("proxy_set_header", CLIENT_ADDRESS_HEADER, "$remote_addr"),
        _d("proxy_set_header", "X-Forwarded-For", "$remote_addr"),
        _d("proxy_set_header", "X-Forwarded-Proto", "$scheme"),
        _d("proxy_set_header", "X-Forwarded-Host", "$host"),
        _d("proxy_set_header", "Upgrade", "$http_upgrade"),
        _d("proxy_set_header", "Connection", "$connection_upgrade"),
        _d("proxy_connect_timeout", PROXY_CONNECT_TIMEOUT),
        _d("proxy_send_timeout", PROXY_SEND_TIMEOUT),
        _d("proxy_read_timeout", PROXY_READ_TIMEOUT),
        _d("proxy_next_upstream", "error", "timeout", "http_502", "http_503"),
        *_hidden_upstream_headers(),
    ]
