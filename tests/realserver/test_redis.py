"""The local stack's generated redis.conf in Debian 12's Redis 7.0 (the pinned image is 7.4: the file uses nothing
newer). Adapted: ``bind`` (every interface -> 127.0.0.1), ``port`` (a free one) and ``dir`` (under a scratch
directory); the password is the generated one (the mocks' value) whose hash the ACL holds."""

from __future__ import annotations

import re
from typing import Any

from components.docker import cache
from tests.realserver.conftest import Workspace, delivered, free_port, require, wait_for_port


def start(workspace: Workspace, local_run: Any, port: int) -> None:
    files = delivered(local_run, "cache-redis")
    conf = files[cache.config_path("redis.conf")]
    conf = conf.replace("bind * -::*", "bind 127.0.0.1")
    conf = re.sub(r"^port \d+$", f"port {port}", conf, flags=re.M)
    conf = conf.replace(f"dir {cache.DATA_DIR}", f"dir {workspace.path('data')}")
    workspace.path("data").mkdir(exist_ok=True)
    path = workspace.write("redis.conf", conf, 0o400)
    proc = workspace.start(["redis-server", str(path)], log="redis.log")
    wait_for_port(port, proc=proc)


def cli(workspace: Workspace, port: int, *command: str, password: str | None = None, user: str | None = None) -> str:
    env = {"REDISCLI_AUTH": password} if password else {}
    args = ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *(["--user", user] if user else []), *command]
    return workspace.run(args, env=env).stdout.strip()


def test_auth_acl_and_persistence(workspace: Workspace, local_run: Any) -> None:
    require("redis-server")
    password = delivered(local_run, "cache-redis")[cache.PASSWORD_FILE].strip()
    port = free_port()
    start(workspace, local_run, port)
    assert "NOAUTH" in cli(workspace, port, "GET", "x")
    assert "NOAUTH" in cli(workspace, port, "GET", "x", password="not-the-password")
    assert cli(workspace, port, "SET", "greeting", "hello", password=password) == "OK"
    for command in (["FLUSHALL"], ["FLUSHDB"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"], ["SHUTDOWN"]):
        assert "NOPERM" in cli(workspace, port, *command, password=password), command
    # DEBUG is refused before the ACL is even asked (enable-debug-command no).
    assert "DEBUG command not allowed" in cli(workspace, port, "DEBUG", "SLEEP", "0", password=password)
    assert "redis_version" in cli(workspace, port, "INFO", "server", password=password)
    # The exporter's user reads INFO and nothing else.
    exporter = delivered(local_run, "cache-exporter")[cache.config_path("secrets", "exporter-password.json")]
    exporter_password = next(iter(__import__("json").loads(exporter).values()))
    assert "redis_version" in cli(
        workspace, port, "INFO", "server", password=exporter_password, user=cache.EXPORTER_USER
    )
    assert "NOPERM" in cli(workspace, port, "GET", "greeting", password=exporter_password, user=cache.EXPORTER_USER)
    # Persistence: the AOF brings the key back after a restart.
    proc = workspace.processes[-1]
    workspace.stop(proc)
    start(workspace, local_run, port)
    assert cli(workspace, port, "GET", "greeting", password=password) == "hello"
