"""The deploy workflow's smoke test, against a local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest

from scripts.ci.smoke import check, main


class Health(BaseHTTPRequestHandler):
    answers: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        status = self.answers.pop(0) if self.answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/health"
    httpd.shutdown()


def test_passes_once_the_site_answers_200(server: str) -> None:
    Health.answers = [503, 502]
    slept: list[float] = []
    seen: list[str] = []
    assert check(server, attempts=5, delay=1.5, timeout=2, sleep=slept.append, report=seen.append)
    assert slept == [1.5, 1.5]
    assert [line.rsplit(": ", 1)[1] for line in seen] == ["HTTP 503", "HTTP 502", "HTTP 200"]


def test_fails_when_every_attempt_fails(server: str) -> None:
    Health.answers = [500, 500, 500]
    assert not check(server, attempts=3, delay=0, timeout=2, sleep=lambda _: None, report=lambda _: None)


def test_an_unreachable_site_fails_without_hanging() -> None:
    seen: list[str] = []
    assert not check("http://127.0.0.1:9/health", 2, 0, 1, sleep=lambda _: None, report=seen.append)
    assert all("no answer" in line for line in seen)


def test_the_command_line_wants_https_and_reports(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([server]) == 2
    assert "is not an https:// URL" in capsys.readouterr().err
    Health.answers = []
    assert main([server, "--allow-http", "--attempts", "1", "--delay", "0"]) == 0
    assert "smoke test passed" in capsys.readouterr().out
    Health.answers = [404]
    assert main([server, "--allow-http", "--attempts", "1"]) == 1
    assert main(["https://x.invalid/health", "--attempts", "0"]) == 2
