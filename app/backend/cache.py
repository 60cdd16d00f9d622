"""Redis: ``REDIS_HOST``, ``REDIS_PORT``, the password ``REDIS_PASSWORD`` (aws: an ECS secret; docker: the file
``REDIS_PASSWORD_FILE``), and TLS when ``REDIS_TLS`` says so (aws: ElastiCache requires it, and its certificates
chain to a public root the image's CA store holds; docker: the cache is reached on the internal data network)."""

from __future__ import annotations

from typing import Any

import redis

from app.backend.environment import Env

#: Seconds to wait for Redis before a request (or the health check) gives up on it.
TIMEOUT_SECONDS = 3


def connect(env: Env) -> redis.Redis[Any]:
    """A client (a small connection pool, reconnecting on its own) for the cache."""
    options: dict[str, Any] = {
        "host": env.text("REDIS_HOST"),
        "port": env.number("REDIS_PORT", 6379),
        "password": env.secret("REDIS_PASSWORD"),
        "socket_timeout": TIMEOUT_SECONDS,
        "socket_connect_timeout": TIMEOUT_SECONDS,
        "decode_responses": True,
    }
    if env.flag("REDIS_TLS"):
        options |= {"ssl": True, "ssl_cert_reqs": "required", "ssl_check_hostname": True}
    return redis.Redis(**options)
