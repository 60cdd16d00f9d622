"""The docker Cache component: a hardened Redis whose password exists only in secret files (hashed in redis.conf),
ACL-restricted commands, memory limit and eviction policy, AOF on a protected volume, a health check that reads the
password from its file, the exporter's own restricted user, and TLS when asked."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pulumi_docker as docker
import pytest

from components.docker.cache import (
    DENIED_COMMANDS,
    EXPORTER_USER,
    Cache,
    CacheArgs,
    health_command,
    maxmemory_mb,
    password_hash,
    redis_conf,
)
from components.docker.common import REVISION_ENV
from components.docker.network import DockerNetworks
from components.settings import Settings
from stackcheck.engine.resources import is_secret, redact
from tests.components.docker_support import assert_locked_down, docker_settings, envs, files, generated
from tests.conftest import construct, one, registered

REDIS_IMAGE = "sha256:" + "7" * 64
EXPORTER_IMAGE = "sha256:" + "8" * 64


def directives(text: str) -> dict[str, str]:
    """redis.conf as directive -> arguments (``user`` lines keyed ``user <name>``)."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, _, rest = line.partition(" ")
            if key == "user":
                name, _, rest = rest.partition(" ")
                key = f"user {name}"
            values[key] = rest
    return values


def build(name: str, settings: Settings, tls: bool = False) -> Cache:
    def factory() -> Cache:
        networks = DockerNetworks(f"{name}-net").networks
        built = Cache(name, CacheArgs(settings, networks, REDIS_IMAGE, EXPORTER_IMAGE, tls=tls))
        docker.Volume(f"{name}-probe", labels=[docker.VolumeLabelArgs(label="password", value=built.endpoint.password)])
        return built

    return construct(factory)


@pytest.fixture(scope="module")
def cache() -> Cache:
    return build("cachedef", docker_settings())


@pytest.fixture(scope="module")
def tls_cache() -> Cache:
    return build("cachetls", docker_settings(cache={"maxmemoryPolicy": "volatile-lfu"}), tls=True)


# -- defaults are secure ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "user", "role"),
    [("cachedef-redis", "999:1000", "cache"), ("cachedef-exporter", "59000:59000", "exporter-redis")],
)
def test_defaults_are_secure(cache: Cache, name: str, user: str, role: str) -> None:
    inputs = one(name).inputs
    assert_locked_down(inputs, user)
    assert inputs["ports"] == []
    assert inputs["healthcheck"]["tests"]
    assert inputs["uploads"] == []
    assert {"label": "webstack.role", "value": role} in inputs["labels"]
    assert [network["name"] for network in inputs["networksAdvanced"]] == ["webstack-test-data"]
    seed = one(f"{name}-seed")
    assert seed.inputs["user"] == user
    assert seed.inputs["restart"] == "no"
    assert seed.inputs["capabilities"] == {"drops": ["ALL"], "adds": []}
    assert envs(name)[REVISION_ENV] == seed.id
    assert seed.urn in one(name).dependencies


def test_data_is_on_a_protected_volume(cache: Cache) -> None:
    data = one("cachedef-data")
    assert data.protect
    assert data.retain_on_delete
    mounts = {m["target"]: m for m in one("cachedef-redis").inputs["mounts"]}
    assert mounts["/data"]["source"] == data.inputs["name"]
    assert mounts["/tmp"]["type"] == "tmpfs"
    assert one("cachedef-redis").inputs["command"] == ["redis-server", "/etc/webstack/redis.conf"]
    assert cache.containers == [cache.redis, cache.exporter]


def test_the_password_is_generated_and_never_in_plain_text(cache: Cache) -> None:
    secret, exporter_secret = generated("cachedef-password"), generated("cachedef-exporter-password")
    for generator in ("cachedef-password", "cachedef-exporter-password"):
        assert one(generator).inputs["length"] >= 32
        assert one(generator).inputs["special"] is False
    for resource in registered("cachedef"):
        visible = json.dumps(redact(resource.inputs))
        assert secret not in visible, resource.name
        assert exporter_secret not in visible, resource.name
    for name in ("cachedef-redis-seed", "cachedef-exporter-seed"):
        assert is_secret(one(name).inputs["uploads"])
    delivered = files("cachedef-redis")
    conf = delivered["/etc/webstack/redis.conf"]
    assert secret not in conf, "redis.conf holds the password's hash only"
    assert f"user default on #{hashlib.sha256(secret.encode()).hexdigest()} " in conf
    assert f"user {EXPORTER_USER} on #{password_hash(exporter_secret)} " in conf
    assert delivered["/etc/webstack/secrets/password"] == secret
    assert json.loads(files("cachedef-exporter")["/etc/webstack/secrets/exporter-password.json"]) == {
        "redis://cachedef-redis:6379": exporter_secret
    }
    assert is_secret(one("cachedef-probe").inputs["labels"])


def test_redis_conf_is_locked_down(cache: Cache) -> None:
    values = directives(files("cachedef-redis")["/etc/webstack/redis.conf"])
    assert values["protected-mode"] == "yes"
    assert values["port"] == "6379"
    assert values["bind"] == "* -::*"
    assert values["maxmemory"] == "384mb"  # 75 % of 512 MiB
    assert values["maxmemory-policy"] == "allkeys-lru"
    assert values["appendonly"] == "yes"
    assert values["appendfsync"] == "everysec"
    assert values["dir"] == "/data"
    assert values["enable-debug-command"] == "no"
    assert values["enable-module-command"] == "no"
    assert values["enable-protected-configs"] == "no"
    assert "requirepass" not in values, "the default user's password is set, hashed, by its ACL"
    app = values["user default"].split()
    assert app[0] == "on"
    assert app[2:] == [
        "~*",
        "&*",
        "+@all",
        "-@dangerous",
        "+info",
        "-flushall",
        "-flushdb",
        "-config",
        "-debug",
        "-keys",
    ]
    assert set(DENIED_COMMANDS) == {"flushall", "flushdb", "config", "debug", "keys"}
    exporter = values[f"user {EXPORTER_USER}"].split()
    assert exporter[2:4] == ["resetkeys", "-@all"]
    assert "+@all" not in exporter
    assert not any(rule.startswith("+flush") or rule == "+config" for rule in exporter)


def test_maxmemory_follows_the_container_and_the_policy_the_settings() -> None:
    assert maxmemory_mb(1024) == 768
    conf = redis_conf(docker_settings(cache={"maxmemoryPolicy": "noeviction"}), "a" * 64, "b" * 64, 2048)
    assert directives(conf)["maxmemory"] == "1536mb"
    assert directives(conf)["maxmemory-policy"] == "noeviction"
    with pytest.raises(ValueError, match="SHA-256"):
        redis_conf(docker_settings(), "plaintext", "b" * 64, 512)


def test_the_health_check_reads_the_password_from_its_file(cache: Cache) -> None:
    check = one("cachedef-redis").inputs["healthcheck"]
    assert check["tests"] == [
        "CMD-SHELL",
        'REDISCLI_AUTH="$(cat /etc/webstack/secrets/password)" redis-cli -h localhost -p 6379 ping | grep -q PONG',
    ]
    assert one("cachedef-exporter").inputs["healthcheck"]["tests"][-1] == "http://127.0.0.1:9121/health"


@pytest.mark.skipif(shutil.which("dash") is None, reason="needs dash")
def test_the_health_check_is_valid_shell() -> None:
    for tls in (False, True):
        command = " ".join(health_command(tls))
        result = subprocess.run(["dash", "-n", "-c", command], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr


def test_the_exporter_logs_in_as_its_own_user(cache: Cache) -> None:
    assert envs("cachedef-exporter") == {
        "REDIS_ADDR": "redis://cachedef-redis:6379",
        "REDIS_USER": EXPORTER_USER,
        "REDIS_PASSWORD_FILE": "/etc/webstack/secrets/exporter-password.json",
        REVISION_ENV: one("cachedef-exporter-seed").id,
    }
    assert one("cachedef-exporter-seed").inputs["image"] == REDIS_IMAGE, "the exporter image has no `true`"
    assert one("cachedef-redis").urn in one("cachedef-exporter").dependencies


def test_endpoint_and_scrape_targets(cache: Cache) -> None:
    assert (cache.endpoint.host, cache.endpoint.port) == ("cachedef-redis", 6379)
    assert [(t.job, t.address, t.scheme) for t in cache.scrape_targets] == [("cache", "cachedef-exporter:9121", "http")]
    assert cache.tls is False
    assert cache.ca_pem is None
    assert registered("cachedef-ca") == []
    assert not any(path.startswith("/etc/webstack/tls/") for path in files("cachedef-redis"))


# -- TLS ---------------------------------------------------------------------------------------------------------------
def test_tls_serves_only_tls_with_a_certificate_from_the_internal_ca(tls_cache: Cache) -> None:
    delivered = files("cachetls-redis")
    values = directives(delivered["/etc/webstack/redis.conf"])
    assert values["port"] == "0"
    assert values["tls-port"] == "6379"
    assert values["tls-cert-file"] == "/etc/webstack/tls/server.crt"
    assert values["tls-key-file"] == "/etc/webstack/tls/server.key"
    assert values["tls-auth-clients"] == "no"
    assert values["tls-protocols"] == '"TLSv1.2 TLSv1.3"'
    assert values["maxmemory-policy"] == "volatile-lfu"
    assert delivered["/etc/webstack/tls/server.crt"] == one("cachetls-redis-tls-cert").outputs["certPem"]
    assert delivered["/etc/webstack/tls/server.key"] == one("cachetls-redis-tls-key").outputs["privateKeyPem"]
    assert one("cachetls-redis-tls-csr").inputs["dnsNames"] == [
        "cachetls-redis",
        "webstack-test-cachetls-redis",
        "localhost",
    ]
    assert "--tls --cacert /etc/webstack/tls/ca.crt" in one("cachetls-redis").inputs["healthcheck"]["tests"][1]
    exporter = envs("cachetls-exporter")
    assert exporter["REDIS_ADDR"] == "rediss://cachetls-redis:6379"
    assert exporter["REDIS_EXPORTER_TLS_CA_CERT_FILE"] == "/etc/webstack/tls/ca.crt"
    assert tls_cache.tls is True
    assert tls_cache.ca_pem is not None
