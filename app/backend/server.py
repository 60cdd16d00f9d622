"""The backend's HTTP server (the standard library's threading server) and its routes.

``/health``      200 when every shard's primary and Redis answer, else 503 (the verdict is kept a few seconds, so
                 that a probe every few seconds does not become a query every few seconds)
``/metrics``     the Prometheus metrics (app/backend/metrics.py)
``/api/status``  what this backend sees: its client's address, the shards, the verdict of ``/health``
``/api/notes``   ``POST {"user", "text"}`` writes a note on the user's shard's primary (the shard map's ring);
                 ``GET ?user=`` reads the user's notes from one of that shard's replicas
``/api/visits``  ``POST`` records the client's address on the ``visits`` table's shard (the map's table routing)
                 and counts the client's visits in Redis; ``GET`` reads the latest visits from a replica
``/api/documents/<name>``  ``PUT`` stores the body in the documents bucket, ``GET`` reads it back

The client's address is the header ``WEBSTACK_CLIENT_ADDRESS_HEADER`` names (docs/moving-in.md): the last
``X-Forwarded-For`` entry (the one the platform's own last hop wrote), or ``CF-Connecting-IP`` on aws behind
Cloudflare; the TCP peer only when the header is absent (a request that did not come through the load balancer).
"""

from __future__ import annotations

import json
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import redis

from app.backend import cache
from app.backend.data import Database
from app.backend.documents import Documents
from app.backend.environment import Env
from app.backend.metrics import CONTENT_TYPE, Metrics

#: The platform's defaults (webstack:web.backend.port, .healthCheckPath, webstack:monitoring.metricsPath).
DEFAULT_PORT = 8000
HEALTH_PATH = "/health"
METRICS_PATH = "/metrics"
#: Seconds a /health verdict is reused.
HEALTH_CACHE_SECONDS = 5
#: Largest request body the API reads (the load balancer allows 10 MB).
MAX_BODY = 10 * 1024 * 1024
#: The header the client's address is in when the platform names none: nginx (docker) and the ALB (aws, no CDN)
#: both make the last X-Forwarded-For entry the address they saw.
DEFAULT_CLIENT_HEADER = "X-Forwarded-For"
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


class HttpError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Answer:
    status: HTTPStatus
    body: bytes
    content_type: str = "application/json"


def json_answer(status: HTTPStatus, document: Any) -> Answer:
    return Answer(status, (json.dumps(document, sort_keys=True, default=str) + "\n").encode())


class App:
    """Everything a request needs, built once from the environment."""

    def __init__(self, env: Env) -> None:
        self.env = env
        self.database = Database.from_env(env)
        self.cache = cache.connect(env)
        self.documents = Documents(env) if env.has("DOCUMENTS_BUCKET") else None
        self.metrics = Metrics()
        self.client_header = env.text("WEBSTACK_CLIENT_ADDRESS_HEADER", DEFAULT_CLIENT_HEADER)
        self._health: tuple[float, dict[str, str]] | None = None
        self._health_lock = threading.Lock()
        self.routes: list[tuple[str, re.Pattern[str], str, Callable[..., Answer]]] = [
            ("GET", re.compile(re.escape(HEALTH_PATH)), HEALTH_PATH, self.health),
            ("GET", re.compile(re.escape(METRICS_PATH)), METRICS_PATH, self.render_metrics),
            ("GET", re.compile(r"/api/status"), "/api/status", self.status),
            ("POST", re.compile(r"/api/notes"), "/api/notes", self.write_note),
            ("GET", re.compile(r"/api/notes"), "/api/notes", self.read_notes),
            ("POST", re.compile(r"/api/visits"), "/api/visits", self.record_visit),
            ("GET", re.compile(r"/api/visits"), "/api/visits", self.read_visits),
            ("PUT", re.compile(r"/api/documents/(?P<name>[^/]+)"), "/api/documents/:name", self.put_document),
            ("GET", re.compile(r"/api/documents/(?P<name>[^/]+)"), "/api/documents/:name", self.get_document),
        ]

    # -- health and metrics ---------------------------------------------------------------------------------------
    def checks(self) -> dict[str, str]:
        """``database`` and ``cache``: ``ok`` or what went wrong; reused for :data:`HEALTH_CACHE_SECONDS`."""
        with self._health_lock:
            now = time.monotonic()
            if self._health is not None and now - self._health[0] < HEALTH_CACHE_SECONDS:
                return self._health[1]
            verdict = {"database": "ok", "cache": "ok"}
            try:
                self.database.ping()
            except psycopg.Error as error:
                verdict["database"] = _first_line(error)
            try:
                self.cache.ping()
            except redis.RedisError as error:
                verdict["cache"] = _first_line(error)
            self._health = (time.monotonic(), verdict)
            return verdict

    def health(self, request: Request) -> Answer:
        verdict = self.checks()
        healthy = all(value == "ok" for value in verdict.values())
        status = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
        return json_answer(status, {"status": "ok" if healthy else "unavailable", **verdict})

    def render_metrics(self, request: Request) -> Answer:
        return Answer(HTTPStatus.OK, self.metrics.render().encode(), CONTENT_TYPE)

    def status(self, request: Request) -> Answer:
        return json_answer(
            HTTPStatus.OK,
            {
                "service": "webstack reference backend",
                "client": request.client,
                "shards": len(self.database.shards),
                "health": self.checks(),
            },
        )

    # -- the API ----------------------------------------------------------------------------------------------------
    def write_note(self, request: Request) -> Answer:
        document = request.json()
        user, text = document.get("user"), document.get("text")
        if not isinstance(user, str) or not NAME_RE.fullmatch(user):
            raise HttpError(HTTPStatus.BAD_REQUEST, "user must be 1-128 letters, digits, '.', '_' or '-'")
        if not isinstance(text, str) or not 0 < len(text) <= 2000:
            raise HttpError(HTTPStatus.BAD_REQUEST, "text must be 1-2000 characters")
        target = self.database.shard_of_user(user)
        with self.database.writer(target) as conn:
            row = conn.execute(
                "INSERT INTO notes (user_key, body, client_address) VALUES (%s, %s, %s) RETURNING id, created_at",
                (user, text, request.client),
            ).fetchone()
        assert row is not None
        return json_answer(
            HTTPStatus.CREATED,
            {"id": row[0], "createdAt": row[1].isoformat(), "shard": target.index, "writtenTo": target.writer},
        )

    def read_notes(self, request: Request) -> Answer:
        user = request.query("user")
        if not NAME_RE.fullmatch(user):
            raise HttpError(HTTPStatus.BAD_REQUEST, "user must be 1-128 letters, digits, '.', '_' or '-'")
        target = self.database.shard_of_user(user)
        with self.database.reader(target) as (host, conn):
            rows = conn.execute(
                "SELECT id, body, client_address, created_at FROM notes WHERE user_key = %s ORDER BY id", (user,)
            ).fetchall()
        notes = [{"id": r[0], "text": r[1], "client": r[2], "createdAt": r[3].isoformat()} for r in rows]
        return json_answer(HTTPStatus.OK, {"user": user, "shard": target.index, "readFrom": host, "notes": notes})

    def record_visit(self, request: Request) -> Answer:
        target = self.database.shard_of_table("visits")
        with self.database.writer(target) as conn:
            conn.execute("INSERT INTO visits (client_address, path) VALUES (%s, %s)", (request.client, request.path))
        count = self.cache.incr(f"webstack-reference:visits:{request.client}")
        return json_answer(
            HTTPStatus.CREATED, {"client": request.client, "shard": target.index, "visitsFromClient": count}
        )

    def read_visits(self, request: Request) -> Answer:
        target = self.database.shard_of_table("visits")
        with self.database.reader(target) as (host, conn):
            rows = conn.execute("SELECT client_address, visited_at FROM visits ORDER BY id DESC LIMIT 20").fetchall()
        visits = [{"client": r[0], "visitedAt": r[1].isoformat()} for r in rows]
        return json_answer(HTTPStatus.OK, {"shard": target.index, "readFrom": host, "visits": visits})

    def _documents(self) -> Documents:
        if self.documents is None:
            raise HttpError(HTTPStatus.NOT_FOUND, "no documents bucket (DOCUMENTS_BUCKET is not set)")
        return self.documents

    def put_document(self, request: Request, name: str) -> Answer:
        if not NAME_RE.fullmatch(name):
            raise HttpError(HTTPStatus.BAD_REQUEST, "a document name is 1-128 letters, digits, '.', '_' or '-'")
        self._documents().put(name, request.body(), request.headers.get("Content-Type") or "application/octet-stream")
        return json_answer(HTTPStatus.CREATED, {"document": name})

    def get_document(self, request: Request, name: str) -> Answer:
        if not NAME_RE.fullmatch(name):
            raise HttpError(HTTPStatus.BAD_REQUEST, "a document name is 1-128 letters, digits, '.', '_' or '-'")
        body, content_type = self._documents().get(name)
        return Answer(HTTPStatus.OK, body, content_type)

    # -- dispatch -------------------------------------------------------------------------------------------------
    def handle(self, request: Request) -> tuple[str, Answer]:
        """The route's name (for the metrics) and the answer."""
        allowed = []
        for method, pattern, route, handler in self.routes:
            match = pattern.fullmatch(request.path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            try:
                return route, handler(request, **match.groupdict())
            except HttpError as error:
                return route, json_answer(error.status, {"error": str(error)})
            except (psycopg.OperationalError, redis.ConnectionError, redis.TimeoutError) as error:
                _log(f"unavailable: {_first_line(error)}")
                return route, json_answer(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "a data store is unavailable"})
        if allowed:
            return "other", json_answer(HTTPStatus.METHOD_NOT_ALLOWED, {"error": f"use {', '.join(allowed)}"})
        return "other", json_answer(HTTPStatus.NOT_FOUND, {"error": "no such route"})


class Request:
    """What a route sees of one HTTP request."""

    def __init__(self, handler: BaseHTTPRequestHandler, client_header: str) -> None:
        self._handler = handler
        self.method = handler.command
        parts = urlsplit(handler.path)
        self.path = parts.path
        self._query = parse_qs(parts.query)
        self.headers = handler.headers
        self.client = client_address(handler.headers.get(client_header), client_header, handler.client_address[0])

    def query(self, name: str) -> str:
        values = self._query.get(name) or [""]
        return values[0]

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise HttpError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"at most {MAX_BODY} bytes")
        return self._handler.rfile.read(length)

    def json(self) -> dict[str, Any]:
        try:
            document = json.loads(self.body() or b"{}")
        except ValueError:
            raise HttpError(HTTPStatus.BAD_REQUEST, "the body must be JSON") from None
        if not isinstance(document, dict):
            raise HttpError(HTTPStatus.BAD_REQUEST, "the body must be a JSON object")
        return document


def client_address(value: str | None, header: str, peer: str) -> str:
    """The client's address from ``header``'s ``value``: the last entry of X-Forwarded-For (earlier entries are
    whatever the client or hops before the platform's claimed), the whole value of any other header; ``peer`` when
    the header is absent."""
    if not value:
        return peer
    if header.lower() == "x-forwarded-for":
        return value.split(",")[-1].strip() or peer
    return value.strip()


def make_handler(app: App) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "webstack-reference"
        sys_version = ""
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            started = time.perf_counter()
            request = Request(self, app.client_header)
            route, answer = app.handle(request)
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)
            app.metrics.observe(self.command, route, int(answer.status), time.perf_counter() - started)
            if route not in (HEALTH_PATH, METRICS_PATH):
                _log(f'{request.client} "{self.command} {request.path}" {int(answer.status)}')

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per request is written by _serve

    return Handler


def serve(env: Env) -> None:
    """Listen on every interface at ``PORT`` (8000) until SIGTERM or SIGINT, then finish the requests in flight."""
    app = App(env)
    server = ThreadingHTTPServer(("0.0.0.0", env.number("PORT", DEFAULT_PORT)), make_handler(app))
    server.daemon_threads = True

    def stop(signum: int, frame: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    _log(f"listening on :{server.server_address[1]}, {len(app.database.shards)} shard(s)")
    server.serve_forever()
    server.server_close()
    _log("stopped")


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def _log(message: str) -> None:
    print(f"webstack-reference: {message}", file=sys.stderr, flush=True)
