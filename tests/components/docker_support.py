"""What the docker component tests share: docker-platform settings, the hardening every service gets, and readers of
what a component registered (environments, the files a seed delivers, generated values) with secrets unwrapped."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.docker.load_balancer import site
from components.docker.nginx import Site, Upstream
from components.docker.platform import load_balancer_args
from components.settings import Settings, parse_settings
from stackcheck.engine.resources import RecordedResource, is_secret, redact
from tests.conftest import IMAGES, one, registered, valid_config

DOMAIN = "app.example.org"


def docker_settings(**areas: Any) -> Settings:
    """Valid docker-platform settings (no CDN) with ``areas`` (``database={...}``) as the stack would set them."""
    config = valid_config(
        **{"webstack:platform": "docker", "webstack:cdn": json.dumps({"enabled": False})},
        **{f"webstack:{key}": json.dumps(value) for key, value in areas.items()},
    )
    return parse_settings(config, set())


def prod_settings(web: dict[str, Any] | None = None, **areas: Any) -> Settings:
    """A docker ``prod`` stack's settings for :data:`DOMAIN`: ``web`` is merged over the required images, ``areas``
    are whole objects."""
    config = {
        "aws:region": "us-east-1",
        "webstack:platform": "docker",
        "webstack:environment": "prod",
        "webstack:domain": DOMAIN,
        "webstack:web": json.dumps({**IMAGES, **(web or {})}),
    }
    config.update({f"webstack:{key}": json.dumps(value) for key, value in areas.items()})
    return parse_settings(config, set(), stack="prod")


def nginx_site(settings: Settings) -> Site:
    """What the stack's load balancer tells nginx about the site: the platform's Args for ``settings``, defaults
    resolved as the component resolves them."""
    upstream = Upstream("web:1024", ["web-1:1024"])
    return site(load_balancer_args(settings, "image", (upstream, upstream), edge_network="edge", app_network="app"))


def assert_locked_down(inputs: Mapping[str, Any], user: str) -> None:
    """The hardening ``components.docker.common.container`` gives a service: its own user, every capability dropped,
    no-new-privileges, not privileged, a read-only root filesystem, restarted unless stopped."""
    assert inputs["user"] == user
    assert inputs["capabilities"] == {"drops": ["ALL"], "adds": []}
    assert inputs["securityOpts"] == ["no-new-privileges:true"]
    assert inputs["privileged"] is False
    assert inputs["readOnly"] is True
    assert inputs["restart"] == "unless-stopped"


def unwrap(value: Any) -> Any:
    """A recorded property with every secret replaced by its plaintext."""
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def files(name: str) -> dict[str, str]:
    """What the seed of container ``name`` delivers: path -> content."""
    return {upload["file"]: upload["content"] for upload in unwrap(one(f"{name}-seed").inputs["uploads"])}


def env_of(resource: RecordedResource) -> dict[str, str]:
    """A container's environment (``NAME=value`` entries) as a dict."""
    return dict(entry.split("=", 1) for entry in resource.inputs.get("envs", []))


def envs(name: str) -> dict[str, str]:
    """The environment of the container ``name``."""
    return env_of(one(name))


def generated(name: str) -> str:
    """The value of the generated secret (``random.RandomPassword``) ``name``."""
    return str(one(name).outputs["result"])


# -- running the generated scripts -------------------------------------------------------------------------------------
def stub_commands(tmp_path: Path, commands: Mapping[str, str]) -> Path:
    """A ``bin`` directory of executables named after ``commands`` that run their shell text."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for command, body in commands.items():
        path = bin_dir / command
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    return bin_dir


def under(root: Path, *prefixes: str) -> dict[str, str]:
    """Each absolute path prefix, moved under ``root`` (for :func:`localize`)."""
    return {prefix: f"{root}{prefix}" for prefix in prefixes}


def localize(script: str, paths: Mapping[str, str | Path]) -> str:
    """``script`` with each absolute path prefix of ``paths`` replaced by its scratch path."""
    pattern = "|".join(re.escape(prefix) for prefix in paths)
    return re.sub(rf"(?<![\w/.-])({pattern})(?=[/\"' ]|$)", lambda m: str(paths[m[1]]), script, flags=re.M)


# -- comparing two builds ----------------------------------------------------------------------------------------------
def built_alike(prefix: str) -> list[tuple[str, str, str]]:
    """What a component named ``prefix`` registered (type, name, inputs with secrets redacted), its name taken out, and
    the ids the mocks derive from names (the seeds' in the services' revisions) made alike."""
    return sorted(
        (
            r.type,
            r.name.replace(prefix, "<name>"),
            re.sub(
                r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])", "<id>", json.dumps(redact(r.inputs), sort_keys=True)
            ).replace(prefix, "<name>"),
        )
        for r in registered(prefix)
    )
