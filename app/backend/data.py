"""The database: which shard holds a row, and a connection to its primary or to one of its replicas.

The shard map is the document ``components/shard_map.py`` describes, read with that module (the image carries the
repository's copy of it, not a rewrite): from the file ``SHARD_MAP_FILE`` on docker, from the SSM parameter
``SHARD_MAP_PARAMETER`` on aws; without either, one shard from ``DATABASE_HOST`` and ``DATABASE_READ_HOSTS``. A user's
rows live on :func:`~components.shard_map.shard_for_key` of the user's key; a table that is not keyed by user lives
on :func:`~components.shard_map.shard_for_table` of its name.

Credentials: shard 0 signs in as ``DATABASE_USER`` with ``DATABASE_PASSWORD`` (aws: ECS secrets; docker: the file
``DATABASE_PASSWORD_FILE``). Every other shard's password is in ``SHARD_PASSWORDS_FILE`` (docker: a JSON list by
shard index, the same user) or in the secret its map entry names (aws: ``secretArn``, the RDS rotation format
``{"username", "password", ...}``, which the task role may read). After a password rotation on aws, shard 0's
secret (``DATABASE_SECRET_ARN``) is read again when a login fails.

Every connection verifies the server (``DATABASE_SSL_MODE``, ``verify-full``) against ``DATABASE_CA_FILE`` (docker:
the stack's internal CA) or, where the platform names none (aws), the RDS certificate bundle the image carries.
Connections are opened per request and closed after it: a restarted or failed-over server is simply reached again.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import psycopg

from app.backend import aws
from app.backend.environment import Env, MissingSetting
from components.shard_map import SHARD_MAP_VERSION, shard, shard_for_key, shard_for_table

#: Where the image keeps the RDS certificate bundle (app/backend/Dockerfile downloads it from AWS).
RDS_CA_BUNDLE = "/etc/ssl/certs/rds-global-bundle.pem"
#: Seconds to wait for a server before a request (or the health check) gives up on it.
CONNECT_TIMEOUT_SECONDS = 3
#: The engines this application speaks.
ENGINES = ("postgres",)


@dataclass(frozen=True)
class Login:
    user: str
    password: str
    secret_arn: str = ""
    """Where a rotated password can be read again (aws); empty: nowhere."""


@dataclass(frozen=True)
class Shard:
    index: int
    writer: str
    readers: tuple[str, ...]
    login: Login


@dataclass
class Database:
    """The shards, their map, and how to reach them."""

    shard_map: Mapping[str, Any]
    shards: list[Shard]
    port: int
    name: str
    ssl_mode: str
    ca_file: str
    _logins: dict[int, Login] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Env) -> Database:
        engine = env.text("DATABASE_ENGINE", "postgres")
        if engine not in ENGINES:
            raise MissingSetting(f"DATABASE_ENGINE is {engine!r}: this application speaks {', '.join(ENGINES)} only")
        shard_map = load_shard_map(env)
        first = Login(
            user=env.text("DATABASE_USER"),
            password=env.secret("DATABASE_PASSWORD") or "",
            secret_arn=env.text("DATABASE_SECRET_ARN", ""),
        )
        others = _shard_passwords(env)
        shards = []
        for index, entry in enumerate(shard_map["shards"]):
            if index == 0:
                login = first
            elif entry.get("secretArn"):
                login = _login_from_secret(str(entry["secretArn"]))
            elif index < len(others):
                login = Login(first.user, others[index])
            else:
                raise MissingSetting(f"no password for shard {index}: SHARD_PASSWORDS_FILE does not list it")
            shards.append(Shard(index, str(entry["writer"]), tuple(str(r) for r in entry.get("readers", [])), login))
        return cls(
            shard_map=shard_map,
            shards=shards,
            port=int(shard_map.get("port") or env.number("DATABASE_PORT", 5432)),
            name=env.text("DATABASE_NAME"),
            ssl_mode=env.text("DATABASE_SSL_MODE", "verify-full"),
            ca_file=env.text("DATABASE_CA_FILE", RDS_CA_BUNDLE),
        )

    def shard_of_user(self, user_key: str) -> Shard:
        return self.shards[shard_for_key(self.shard_map, user_key)]

    def shard_of_table(self, table: str) -> Shard:
        return self.shards[shard_for_table(self.shard_map, table)]

    def conninfo(self, host: str, login: Login) -> dict[str, Any]:
        return {
            "host": host,
            "port": self.port,
            "dbname": self.name,
            "user": login.user,
            "password": login.password,
            "sslmode": self.ssl_mode,
            "sslrootcert": self.ca_file,
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "application_name": "webstack-reference",
        }

    @contextmanager
    def writer(self, target: Shard) -> Iterator[psycopg.Connection[Any]]:
        """A connection to the shard's primary, committed when the block ends without an error."""
        with self._connect(target, target.writer) as conn:
            yield conn

    @contextmanager
    def reader(self, target: Shard) -> Iterator[tuple[str, psycopg.Connection[Any]]]:
        """A connection to one of the shard's replicas (any; the primary when it has none), and which host."""
        host = random.choice(target.readers) if target.readers else target.writer
        with self._connect(target, host) as conn:
            yield host, conn

    @contextmanager
    def _connect(self, target: Shard, host: str) -> Iterator[psycopg.Connection[Any]]:
        login = self._logins.get(target.index, target.login)
        try:
            conn = psycopg.connect(**self.conninfo(host, login))
        except psycopg.OperationalError as error:
            if not login.secret_arn or "authentication failed" not in str(error):
                raise
            # The password was rotated since the task started: read the secret again, once.
            login = replace(_login_from_secret(login.secret_arn), secret_arn=login.secret_arn)
            self._logins[target.index] = login
            conn = psycopg.connect(**self.conninfo(host, login))
        with conn:
            yield conn

    def ping(self) -> None:
        """Every shard's primary answers a query (raises otherwise)."""
        for target in self.shards:
            with self.writer(target) as conn:
                conn.execute("SELECT 1").fetchone()


def load_shard_map(env: Env) -> dict[str, Any]:
    """The shard map: the docker platform's file, the aws platform's parameter, or one shard from the endpoints."""
    if env.has("SHARD_MAP_FILE"):
        document = json.loads(Path(env.text("SHARD_MAP_FILE")).read_text())
    elif env.has("SHARD_MAP_PARAMETER"):
        document = json.loads(aws.parameter(env.text("SHARD_MAP_PARAMETER")))
    else:
        readers = [host for host in env.text("DATABASE_READ_HOSTS", "").split(",") if host]
        document = {
            "version": SHARD_MAP_VERSION,
            "engine": env.text("DATABASE_ENGINE", "postgres"),
            "port": env.number("DATABASE_PORT", 5432),
            "shards": [{"index": 0, "writer": env.text("DATABASE_HOST"), "readers": readers}],
            "tables": {},
            "defaultShard": 0,
            "ring": {"algorithm": "sha256", "virtualNodes": 128},
        }
    shard(document, 0)  # checks the version and that there is a shard
    return document


def _shard_passwords(env: Env) -> Sequence[str]:
    raw = env.secret("SHARD_PASSWORDS", required=False)
    if raw is None:
        return ()
    passwords = json.loads(raw)
    if not isinstance(passwords, list) or not all(isinstance(p, str) for p in passwords):
        raise MissingSetting("SHARD_PASSWORDS_FILE must hold a JSON list of passwords, by shard index")
    return passwords


def _login_from_secret(arn: str) -> Login:
    document = json.loads(aws.secret(arn))
    return Login(str(document["username"]), str(document["password"]), arn)
