"""The docker platform's WebTier: frontend and backend containers, hardened, sized and counted from the settings,
on their networks, with the runtime environment, the connection settings and the credentials as secret files
(delivered into each backend's config volume by its seed)."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_docker as docker
import pytest

from components.docker.common import CacheEndpoint, DatabaseEndpoint, ScrapeTarget, StorageEndpoint
from components.docker.network import Network, NetworkArgs
from components.docker.platform import web_tier_args
from components.docker.web_tier import (
    DATABASE_CA_FILE,
    DATABASE_PASSWORD_FILE,
    REDIS_PASSWORD_FILE,
    S3_ACCESS_KEY_FILE,
    S3_CA_FILE,
    S3_SECRET_KEY_FILE,
    SECRETS_DIR,
    WebServiceArgs,
    WebTier,
    WebTierArgs,
)
from components.settings import SECRET_NAME_RE, Settings
from stackcheck.engine.resources import RecordedResource, is_secret
from tests.components.docker_seeds import REVISION_ENV, has_seed, seed_uploads, seeded, services
from tests.components.docker_support import DOMAIN, assert_locked_down, env_of, prod_settings
from tests.conftest import IMAGES, construct, one, registered

FRONTEND_IMAGE = "sha256:" + "f" * 64
BACKEND_IMAGE = "sha256:" + "b" * 64
CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"

#: Fake credentials: each must appear in an upload and nowhere else.
DATABASE_PASSWORD = "d" * 32
REDIS_PASSWORD = "r" * 32
ACCESS_KEY = "webstack-app-access-key"
SECRET_KEY = "s" * 40
CREDENTIALS = (DATABASE_PASSWORD, REDIS_PASSWORD, ACCESS_KEY, SECRET_KEY)
DATABASE_CA = "-----BEGIN CERTIFICATE-----\ndatabase-ca\n-----END CERTIFICATE-----\n"
STORAGE_CA = "-----BEGIN CERTIFICATE-----\nstorage-ca\n-----END CERTIFICATE-----\n"

RUNTIME = {"NODE_ENV": "production", "APP_ENV": "production", "PYTHON_ENV": "production", "DEBUG": "false"}


def endpoints(engine: str = "postgres") -> tuple[DatabaseEndpoint, CacheEndpoint, StorageEndpoint]:
    database = DatabaseEndpoint(
        engine=engine,
        host="database-primary",
        replica_hosts=("database-replica-1", "database-replica-2"),
        port=5432 if engine == "postgres" else 3306,
        name="app",
        user="webstack_app",
        password=pulumi.Output.secret(DATABASE_PASSWORD),
        ca_pem=pulumi.Output.from_input(DATABASE_CA),
    )
    cache = CacheEndpoint(host="cache", port=6379, password=pulumi.Output.secret(REDIS_PASSWORD))
    storage = StorageEndpoint(
        url="https://storage:9000",
        documents_bucket="documents",
        backups_bucket="backups",
        access_key=pulumi.Output.from_input(ACCESS_KEY),
        secret_key=pulumi.Output.secret(SECRET_KEY),
        ca_pem=pulumi.Output.from_input(STORAGE_CA),
    )
    return database, cache, storage


def web_tier(name: str, settings: Settings | None = None, engine: str = "postgres") -> WebTier:
    """A web tier named ``name`` on networks of its own (``<name>-net-*``)."""

    def factory() -> WebTier:
        network = Network(f"{name}-net", NetworkArgs())
        database, cache, storage = endpoints(engine)
        args = web_tier_args(
            settings or prod_settings(),
            {"frontend": FRONTEND_IMAGE, "backend": BACKEND_IMAGE},
            app_network=network.app_network,
            data_network=network.data_network,
            database=database,
            cache=cache,
            storage=storage,
        )
        return WebTier(name, args)

    return construct(factory)


def containers(name: str, service: str) -> list[RecordedResource]:
    """The service's containers, without the backends' seeds."""
    return services(f"{name}-{service}-")


def envs(resource: RecordedResource) -> dict[str, str]:
    values = resource.inputs["envs"]
    assert all(isinstance(value, str) for value in values), "no environment value may be a secret"
    return env_of(resource)


def uploads(resource: RecordedResource) -> dict[str, dict[str, Any]]:
    """The files delivered to the container by its seed (the read-only container carries none itself, which
    :func:`seeded` checks); none for a container without a seed."""
    if not has_seed(resource):
        assert not resource.inputs.get("uploads"), f"{resource.name} carries uploads without a seed"
        return {}
    seed = seeded(resource)
    assert is_secret(seed.inputs["uploads"]), "uploads holding credentials are registered as secrets"
    return {upload["file"]: upload for upload in seed_uploads(seed)}


# -- defaults ------------------------------------------------------------------------------------------------------
def test_defaults_are_secure() -> None:
    web_tier("web-default")
    for service, port, path in (("frontend", 3000, "/health"), ("backend", 8000, "/health")):
        found = containers("web-default", service)
        assert found
        for resource in found:
            inputs = resource.inputs
            assert_locked_down(inputs, "1000:1000")
            assert inputs["ports"] == []  # only the load balancer publishes ports
            mounts = {mount["target"]: mount for mount in inputs["mounts"]}
            assert mounts["/tmp"]["type"] == "tmpfs"
            check = inputs["healthcheck"]
            assert check["tests"][0] == "CMD-SHELL"
            assert f"http://127.0.0.1:{port}{path}" in check["tests"][1]
            assert (check["interval"], check["timeout"], check["retries"]) == ("30s", "10s", 3)
            assert {label["label"]: label["value"] for label in inputs["labels"]}["webstack.role"] == service
            # Backends receive their credentials through a seed; frontends receive no file at all.
            if service == "backend":
                seeded(resource)
            else:
                assert not has_seed(resource)
                assert inputs["uploads"] == []


def test_sizes_come_from_the_service_settings() -> None:
    web_tier("web-sizes")
    frontend, backend = containers("web-sizes", "frontend")[0], containers("web-sizes", "backend")[0]
    assert (frontend.inputs["memory"], frontend.inputs["cpus"]) == (1024, "0.5")
    assert (backend.inputs["memory"], backend.inputs["cpus"]) == (2048, "1.0")
    assert frontend.inputs["memorySwap"] == frontend.inputs["memory"]
    assert frontend.inputs["image"] == FRONTEND_IMAGE
    assert backend.inputs["image"] == BACKEND_IMAGE


def test_frontends_stay_off_the_data_network() -> None:
    web = web_tier("web-networks")
    for resource in containers("web-networks", "frontend"):
        assert [n["name"] for n in resource.inputs["networksAdvanced"]] == ["webstack-test-app"]
    for resource in containers("web-networks", "backend"):
        assert [n["name"] for n in resource.inputs["networksAdvanced"]] == ["webstack-test-app", "webstack-test-data"]
    # Each container answers to its own alias (stickiness) and to its service's, which the load balancer resolves.
    # (Registrations complete in no fixed order: compare by container, not by position.)
    aliases = {r.name: r.inputs["networksAdvanced"][0]["aliases"] for r in containers("web-networks", "frontend")}
    assert aliases == {
        "web-networks-frontend-1": ["web-networks-frontend-1", "web-networks-frontend"],
        "web-networks-frontend-2": ["web-networks-frontend-2", "web-networks-frontend"],
    }
    assert web.frontend.service == "web-networks-frontend:3000"
    assert web.backend.service == "web-networks-backend:8000"
    for resource in containers("web-networks", "backend"):
        assert [n["aliases"] for n in resource.inputs["networksAdvanced"]] == [
            [resource.name, "web-networks-backend"]
        ] * 2
    assert web.frontend_hosts == ["web-networks-frontend-1:3000", "web-networks-frontend-2:3000"]
    assert web.backend_hosts == [f"web-networks-backend-{i}:8000" for i in (1, 2, 3)]


# -- counts, users, health paths -----------------------------------------------------------------------------------
def test_counts_users_and_health_paths_follow_the_settings() -> None:
    tuned = {
        "frontend": {**IMAGES["frontend"], "desiredCount": 3, "minCount": 1, "user": "1001:1001", "port": 3100,
                     "healthCheckPath": "/healthz", "cpu": 256, "memory": 512},
        "backend": {**IMAGES["backend"], "desiredCount": 1, "minCount": 1, "user": "10001:10001", "port": 8100,
                    "healthCheckPath": "/api/health"},
        "healthCheck": {"intervalSeconds": 15, "timeoutSeconds": 5, "unhealthyThreshold": 4},
    }  # fmt: skip
    web = web_tier("web-tuned", prod_settings(tuned))
    frontends, backends = containers("web-tuned", "frontend"), containers("web-tuned", "backend")
    assert len(frontends) == 3
    assert len(backends) == 1
    assert {r.inputs["user"] for r in frontends} == {"1001:1001"}
    assert backends[0].inputs["user"] == "10001:10001"
    assert (frontends[0].inputs["memory"], frontends[0].inputs["cpus"]) == (512, "0.25")
    assert "http://127.0.0.1:3100/healthz" in frontends[0].inputs["healthcheck"]["tests"][1]
    assert "http://127.0.0.1:8100/api/health" in backends[0].inputs["healthcheck"]["tests"][1]
    check = backends[0].inputs["healthcheck"]
    assert (check["interval"], check["timeout"], check["retries"]) == ("15s", "5s", 4)
    assert web.frontend_hosts == [f"web-tuned-frontend-{i}:3100" for i in (1, 2, 3)]
    assert web.backend_hosts == ["web-tuned-backend-1:8100"]
    assert len(registered("web-tuned-backend-", VOLUME)) == 1
    # The seed runs as the backend's user, and the files it delivers belong to that uid and gid.
    seed = seeded(backends[0])
    assert seed.inputs["user"] == "10001:10001"
    assert {(u["owner"], u["group"]) for u in seed_uploads(seed)} == {("10001", "10001")}


def test_scrape_targets_are_every_frontends_and_backends_metrics_path() -> None:
    web = web_tier("web-metrics", prod_settings(monitoring={"metricsPath": "/internal/metrics"}))
    assert web.scrape_targets == [
        *(
            ScrapeTarget(job="frontend", address=f"web-metrics-frontend-{i}:3000", metrics_path="/internal/metrics")
            for i in (1, 2)
        ),
        *(
            ScrapeTarget(job="backend", address=f"web-metrics-backend-{i}:8000", metrics_path="/internal/metrics")
            for i in (1, 2, 3)
        ),
    ]


# -- environment and credentials -----------------------------------------------------------------------------------
def test_every_service_runs_in_production_mode_with_its_own_environment() -> None:
    settings = prod_settings(
        {
            "frontend": {**IMAGES["frontend"], "environment": {"PUBLIC_URL": f"https://{DOMAIN}", "APP_ENV": "dev"}},
            "backend": {**IMAGES["backend"], "environment": {"LOG_LEVEL": "info", "DATABASE_HOST": "elsewhere"}},
        }
    )
    web_tier("web-env", settings)
    frontend = envs(containers("web-env", "frontend")[0])
    assert frontend == {**RUNTIME, "PUBLIC_URL": f"https://{DOMAIN}"}  # settings cannot leave production mode
    backend_container = containers("web-env", "backend")[0]
    backend = envs(backend_container)
    assert backend.items() >= {**RUNTIME, "LOG_LEVEL": "info"}.items()
    assert backend[REVISION_ENV] == one(f"{backend_container.name}-seed").id
    assert backend["DATABASE_HOST"] == "database-primary"  # nor redirect a connection


def test_backends_receive_where_their_data_lives() -> None:
    web_tier("web-conn")
    backend = envs(containers("web-conn", "backend")[0])
    assert (
        backend.items()
        >= {
            "DATABASE_ENGINE": "postgres",
            "DATABASE_HOST": "database-primary",
            "DATABASE_READ_HOSTS": "database-replica-1,database-replica-2",
            "DATABASE_PORT": "5432",
            "DATABASE_NAME": "app",
            "DATABASE_USER": "webstack_app",
            "DATABASE_SSL_MODE": "verify-full",
            "DATABASE_SSLMODE": "verify-full",
            "DATABASE_CA_FILE": DATABASE_CA_FILE,
            "DATABASE_PASSWORD_FILE": DATABASE_PASSWORD_FILE,
            "REDIS_HOST": "cache",
            "REDIS_PORT": "6379",
            "REDIS_PASSWORD_FILE": REDIS_PASSWORD_FILE,
            "S3_ENDPOINT": "https://storage:9000",
            "S3_BUCKET": "documents",
            "S3_CA_FILE": S3_CA_FILE,
            "S3_ACCESS_KEY_FILE": S3_ACCESS_KEY_FILE,
            "S3_SECRET_KEY_FILE": S3_SECRET_KEY_FILE,
        }.items()
    )


def test_mysql_clients_verify_the_server_identity() -> None:
    web_tier("web-mysql", engine="mysql")
    backend = envs(containers("web-mysql", "backend")[0])
    assert backend["DATABASE_SSL_MODE"] == "VERIFY_IDENTITY"
    assert backend["DATABASE_PORT"] == "3306"


def test_credentials_reach_the_backends_only_as_secret_files() -> None:
    web_tier("web-secrets")
    backends = containers("web-secrets", "backend")
    assert len(backends) == 3
    for resource in backends:
        files = uploads(resource)
        assert {path: (f["content"], f["permissions"]) for path, f in files.items()} == {
            DATABASE_PASSWORD_FILE: (DATABASE_PASSWORD, "0400"),
            DATABASE_CA_FILE: (DATABASE_CA, "0444"),
            REDIS_PASSWORD_FILE: (REDIS_PASSWORD, "0400"),
            S3_ACCESS_KEY_FILE: (ACCESS_KEY, "0400"),
            S3_SECRET_KEY_FILE: (SECRET_KEY, "0400"),
            S3_CA_FILE: (STORAGE_CA, "0444"),
        }
        # The read-only root refuses uploads: the seed delivers them into the container's own config volume, and
        # the backend, with no uploads of its own, mounts that volume.
        seed = seeded(resource)
        assert resource.inputs["uploads"] == []
        assert all(path.startswith(f"{SECRETS_DIR}/") for path in files)
        mounts = {mount["target"]: mount for mount in resource.inputs["mounts"]}
        assert mounts[SECRETS_DIR]["type"] == "volume"
        assert mounts[SECRETS_DIR]["source"] == f"webstack-test-{resource.name}-secrets"
        assert seed.inputs["mounts"] == [mounts[SECRETS_DIR]]
        volume = one(f"{resource.name}-secrets")
        assert volume.type == VOLUME
        assert volume.protect is False
        # The seed that holds the credentials reaches no network, has no capability and does not keep running.
        assert seed.inputs["networkMode"] == "none"
        assert seed.inputs["networksAdvanced"] == []
        assert seed.inputs["capabilities"] == {"drops": ["ALL"], "adds": []}
        assert seed.inputs["user"] == resource.inputs["user"] == "1000:1000"
        assert (seed.inputs["mustRun"], seed.inputs["restart"]) == (False, "no")
        assert {(f["owner"], f["group"]) for f in files.values()} == {("1000", "1000")}


def test_no_credential_is_an_environment_value_and_frontends_get_none() -> None:
    web_tier("web-noleak")
    for resource in registered("web-noleak-", CONTAINER):
        values = envs(resource)
        for key, value in values.items():
            if SECRET_NAME_RE.search(key):
                assert key.endswith("_FILE"), key
            assert not any(credential in value for credential in CREDENTIALS), key
    for resource in containers("web-noleak", "frontend"):
        assert not has_seed(resource)
        assert uploads(resource) == {}
        assert REVISION_ENV not in envs(resource)
        assert not any(key.endswith("_FILE") for key in envs(resource))
        assert [m["target"] for m in resource.inputs["mounts"]] == ["/tmp"]


@pytest.mark.parametrize("user", ["root", "0", "0:0"])
def test_settings_never_run_a_service_as_root(user: str) -> None:
    from components.settings import SettingsError

    with pytest.raises(SettingsError, match="must not be root"):
        prod_settings({"backend": {**IMAGES["backend"], "user": user}})


# -- the Args alone --------------------------------------------------------------------------------------------------
def bare(name: str, **fields: Any) -> WebTier:
    """A web tier from its required Args (and ``fields``), without the stack's settings."""

    def factory() -> WebTier:
        database, cache, storage = endpoints()
        services = {
            "frontend": WebServiceArgs(image=FRONTEND_IMAGE, port=3000),
            "backend": WebServiceArgs(image=BACKEND_IMAGE, port=8000),
        }
        args = WebTierArgs("app", "data", database=database, cache=cache, storage=storage, **{**services, **fields})
        return WebTier(name, args)

    return construct(factory)


def test_the_args_alone_are_secure() -> None:
    """Without the stack: two containers per service, unprivileged, health-checked on the guides' schedule, the
    credentials as files of the backends only."""
    web = bare("web-bare")
    for service, port in (("frontend", 3000), ("backend", 8000)):
        found = containers("web-bare", service)
        assert len(found) == 2
        for resource in found:
            assert_locked_down(resource.inputs, "1000:1000")
            assert resource.inputs["ports"] == []
            assert (resource.inputs["memory"], resource.inputs["cpus"]) == (1024, "0.5")
            check = resource.inputs["healthcheck"]
            assert f"http://127.0.0.1:{port}/health" in check["tests"][1]
            assert (check["interval"], check["timeout"], check["retries"]) == ("30s", "10s", 3)
    for resource in containers("web-bare", "frontend"):
        assert [n["name"] for n in resource.inputs["networksAdvanced"]] == ["app"]
        assert not has_seed(resource)
    for resource in containers("web-bare", "backend"):
        assert [n["name"] for n in resource.inputs["networksAdvanced"]] == ["app", "data"]
        assert uploads(resource)[DATABASE_PASSWORD_FILE]["permissions"] == "0400"
    assert web.migration is None
    assert [target.metrics_path for target in web.scrape_targets] == ["/metrics"] * 4


def test_app_secrets_and_a_persistent_volume_reach_their_service() -> None:
    def factory() -> WebTier:
        database, cache, storage = endpoints()
        files = docker.Volume("web-vol-files", name="files")
        backend = WebServiceArgs(
            image=BACKEND_IMAGE,
            port=8000,
            desired_count=1,
            secrets={"JWT_SECRET_KEY": pulumi.Output.secret("jwt-" + "k" * 32)},
            volume=files,
            volume_path="/var/lib/app",
        )
        args = WebTierArgs("app", "data", WebServiceArgs(FRONTEND_IMAGE, 3000, 1), backend, database, cache, storage)
        return WebTier("web-vol", args)

    construct(factory)
    (backend,) = containers("web-vol", "backend")
    mounts = {mount["target"]: mount for mount in backend.inputs["mounts"]}
    assert mounts["/var/lib/app"] == {"target": "/var/lib/app", "type": "volume", "source": "files"}
    assert envs(backend)["JWT_SECRET_KEY_FILE"] == "/run/webstack/secrets/JWT_SECRET_KEY"
    assert uploads(backend)["/run/webstack/secrets/JWT_SECRET_KEY"]["permissions"] == "0400"
    (frontend,) = containers("web-vol", "frontend")
    assert "/var/lib/app" not in {mount["target"] for mount in frontend.inputs["mounts"]}


def test_the_args_name_what_they_refuse() -> None:
    with pytest.raises(ValueError, match=r"WebTierArgs\.health_check_timeout_seconds must be less than the interval"):
        bare("web-bad-check", health_check_interval_seconds=10, health_check_timeout_seconds=10)
    with pytest.raises(ValueError, match=r"WebTierArgs\.frontend\.volume and volume_path go together"):
        bare("web-bad-volume", frontend=WebServiceArgs(FRONTEND_IMAGE, 3000, volume_path="/data"))
    with pytest.raises(ValueError, match=r"WebTierArgs\.backend\.desired_count must be at least 1, got 0"):
        bare("web-bad-count", backend=WebServiceArgs(BACKEND_IMAGE, 8000, desired_count=0))
