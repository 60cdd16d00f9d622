"""The cache purge after a deployment: a local command whose token never reaches a command line, the logs or the
state in plaintext, that runs when a deployment changes and after the services it deployed, and that keeps the URN
it had as the Cdn's child; on both platforms."""

import json
from typing import Any

import pulumi
import pulumi_random as random
import pytest
import yaml

from components.cdn import LEGACY_CDN_TYPE
from components.cdn_compose import cache_purge
from components.settings import CdnSettings
from stackcheck.engine.resources import is_secret, redact
from tests.conftest import ROOT, ZONE_ID, construct, one, recorded_stack, registered

API_TOKEN = "cf-deploy-token-0123456789"
PURGE_URL = f"https://api.cloudflare.com/client/v4/zones/{ZONE_ID}/purge_cache"
COMMAND = "command:local:Command"


def settings(**options: Any) -> CdnSettings:
    return CdnSettings.model_validate({"enabled": True, "zoneId": ZONE_ID, "plan": "business", **options})


def secret_token(environment: Any) -> str:
    """The CLOUDFLARE_API_TOKEN of a command's environment; fails unless it is recorded as a secret."""
    if is_secret(environment):
        return environment["value"]["CLOUDFLARE_API_TOKEN"]
    value = environment["CLOUDFLARE_API_TOKEN"]
    assert is_secret(value), "CLOUDFLARE_API_TOKEN is not a secret"
    return value["value"]


def purge(name: str, api_token: str | None) -> None:
    """The stack's purge (``cdn-purge``), following a revision named ``<name>-revision`` and waiting for two
    services."""

    def factory() -> None:
        revision = random.RandomString(f"{name}-revision", length=12, special=False)
        services = [random.RandomPet(f"{name}-service-{index}") for index in range(2)]
        command = cache_purge(
            settings(purgeOnDeploy=True), api_token, triggers=[revision.result, "deployment-1"], after=services
        )
        assert command is not None

    construct(factory)


def test_no_purge_unless_asked() -> None:
    assert construct(lambda: cache_purge(settings(), API_TOKEN, triggers=["deployment-1"])) is None


def test_purge_on_deploy_empties_the_cache_with_the_token_kept_secret() -> None:
    purge("purgetoken", API_TOKEN)
    (command,) = [r for r in registered("cdn-purge") if r.dependencies and "purgetoken" in r.dependencies[0]]
    assert command.type == COMMAND
    create = command.inputs["create"]
    # The token goes to curl on stdin (printf is a shell builtin), never in an argument list.
    assert create.startswith("printf 'Authorization: Bearer %s\\n' \"$CLOUDFLARE_API_TOKEN\" | curl --fail ")
    assert "-X POST -H @- " in create
    assert f"--data '{{\"purge_everything\":true}}' {PURGE_URL} ||" in create
    assert create.endswith("exit 1; }")
    assert API_TOKEN not in create
    assert command.inputs["logging"] == "stderr"

    assert secret_token(command.inputs["environment"]) == API_TOKEN
    assert API_TOKEN not in json.dumps(redact(command.inputs))

    revision = one("purgetoken-revision")
    assert command.inputs["triggers"] == [revision.outputs["result"], "deployment-1"]
    assert command.property_dependencies["triggers"] == [revision.urn]
    services = [one(f"purgetoken-service-{index}").urn for index in range(2)]
    assert set(command.dependencies) == {*services, revision.urn}


def test_the_purge_keeps_the_urn_it_had_under_the_cdn() -> None:
    purge("purgealias", API_TOKEN)
    (command,) = [r for r in registered("cdn-purge") if r.dependencies and "purgealias" in r.dependencies[0]]
    project, stack = pulumi.get_project(), pulumi.get_stack()
    assert command.aliases == [f"parent=urn:pulumi:{stack}::{project}::{LEGACY_CDN_TYPE}::cdn"]


def test_purge_without_a_token_uses_the_deployers_environment() -> None:
    purge("purgeenv", None)
    (command,) = [r for r in registered("cdn-purge") if r.dependencies and "purgeenv" in r.dependencies[0]]
    assert "environment" not in command.inputs
    assert "$CLOUDFLARE_API_TOKEN" in command.inputs["create"]
    assert PURGE_URL in command.inputs["create"]


@pytest.fixture(scope="module")
def purging_server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The single-server stack (docker, behind Cloudflare) with ``webstack:cdn.purgeOnDeploy`` on, in a scratch
    project."""
    root = tmp_path_factory.mktemp("purging")
    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (root / name).symlink_to(ROOT / name)
    stack = yaml.safe_load((ROOT / "Pulumi.single-server.yaml").read_text())
    stack["config"]["webstack:cdn"]["purgeOnDeploy"] = True
    (root / "Pulumi.single-server.yaml").write_text(yaml.safe_dump(stack))
    return recorded_stack("single-server", root=root)


def test_the_docker_platform_purges_after_a_deployment_changes_an_image(purging_server: Any) -> None:
    resources = purging_server.resources
    (command,) = [r for r in resources if r.name == "cdn-purge"]
    assert command.type == COMMAND
    assert PURGE_URL in command.inputs["create"]
    containers = {r.urn: r for r in resources if r.type == "docker:index/container:Container"}
    services = sorted(
        urn
        for urn, r in containers.items()
        if r.name.startswith(("web-frontend-", "web-backend-")) and "seed" not in r.name
    )
    assert len(services) >= 2
    # It runs again whenever a service's image changes (each service container's image is a trigger) ...
    assert sorted(command.property_dependencies["triggers"]) >= services
    assert all(urn in containers for urn in command.property_dependencies["triggers"])
    # ... and only once the services and nginx run the new version.
    (nginx,) = [urn for urn, r in containers.items() if r.name == "edge-nginx"]
    assert {*services, nginx} <= set(command.dependencies)


def test_the_docker_platform_does_not_purge_unless_asked() -> None:
    assert not [r for r in recorded_stack("single-server").resources if r.name == "cdn-purge"]
