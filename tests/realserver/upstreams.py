"""Stand-ins for what surrounds nginx in a Docker network: Docker's embedded DNS (a tiny DNS server whose answers a
test changes, as Docker's change when a container is recreated with a new address) and the web containers (small
HTTP servers on loopback addresses that name themselves in every answer)."""

from __future__ import annotations

import http.server
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager


class Dns:
    """Answers A queries for the names it holds (RFC 1035 wire format, one question, TTL 1 s); NXDOMAIN otherwise."""

    def __init__(self, records: Mapping[str, list[str]]) -> None:
        self.records = {name.lower(): list(addresses) for name, addresses in records.items()}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._running = True
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while self._running:
            try:
                query, peer = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            except OSError:
                return
            self.sock.sendto(self._answer(query), peer)

    def _answer(self, query: bytes) -> bytes:
        ident, _flags, _qd = struct.unpack(">HHH", query[:6])
        labels, at = [], 12
        while query[at]:
            length = query[at]
            labels.append(query[at + 1 : at + 1 + length].decode())
            at += 1 + length
        question = query[12 : at + 5]
        qtype = struct.unpack(">H", query[at + 1 : at + 3])[0]
        addresses = self.records.get(".".join(labels).lower())
        if addresses is None:
            return struct.pack(">HHHHHH", ident, 0x8183, 1, 0, 0, 0) + question
        answers = [] if qtype != 1 else addresses
        body = b"".join(
            b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 1, 4) + socket.inet_aton(address) for address in answers
        )
        return struct.pack(">HHHHHH", ident, 0x8180, 1, len(answers), 0, 0) + question + body

    def close(self) -> None:
        self._running = False
        self.sock.close()


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Upstream  # type: ignore[assignment]

    def do_GET(self) -> None:
        status = 404 if self.path.startswith("/missing") else 200
        body = f"{self.server.label} {self.path}".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Powered-By", "stand-in")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class Upstream(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """One web container: answers ``<label> <path>``, 404 under /missing."""

    daemon_threads = True
    #: socketserver's default backlog is 5: a burst through nginx would overflow it and wait for SYN retries.
    request_queue_size = 128

    def __init__(self, address: str, port: int, label: str) -> None:
        self.label = label
        super().__init__((address, port), _Handler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@contextmanager
def upstreams(port: int, members: Mapping[str, str]) -> Iterator[dict[str, Upstream]]:
    """Servers by label, each on its loopback address (label -> address), all on ``port``."""
    running = {label: Upstream(address, port, label) for label, address in members.items()}
    try:
        yield running
    finally:
        for server in running.values():
            server.stop()


class _MetricsHandler(http.server.BaseHTTPRequestHandler):
    server: MetricsTarget  # type: ignore[assignment]

    def do_GET(self) -> None:
        body = self.server.exposition.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


class MetricsTarget(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """A web container as Prometheus scrapes it: every path answers 200 with ``exposition`` (Prometheus' text
    format; empty is a valid scrape with no samples)."""

    daemon_threads = True

    def __init__(self, port: int, exposition: str = "") -> None:
        self.exposition = exposition
        super().__init__(("127.0.0.1", port), _MetricsHandler)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
