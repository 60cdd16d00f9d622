"""Checks of the hand-over between a read-only docker container and the seed that delivers its files.

``components.docker.common.container`` gives a read-only container with uploads a seed container (``<name>-seed``):
the seed receives the uploads into the service's volumes; the service carries no uploads, mounts those volumes,
depends on the seed and names it in ``WEBSTACK_CONFIG_REVISION``.
"""

from __future__ import annotations

from typing import Any

from stackcheck.engine.resources import RecordedResource, is_secret
from tests.components.docker_support import env_of
from tests.conftest import one, registered

CONTAINER = "docker:index/container:Container"
REVISION_ENV = "WEBSTACK_CONFIG_REVISION"
SEED_SUFFIX = "-seed"


def services(name_prefix: str) -> list[RecordedResource]:
    """The containers whose logical name starts with ``name_prefix``, without the seeds."""
    return [r for r in registered(name_prefix, CONTAINER) if not r.name.endswith(SEED_SUFFIX)]


def has_seed(service: RecordedResource) -> bool:
    return bool(registered(f"{service.name}{SEED_SUFFIX}", CONTAINER))


def seed_uploads(seed: RecordedResource) -> list[dict[str, Any]]:
    """The seed's uploads; a secret in any of them makes the whole list a secret, unwrapped here."""
    uploads = seed.inputs.get("uploads", [])
    return uploads["value"] if is_secret(uploads) else uploads


def volume_mounts(resource: RecordedResource) -> dict[str, str]:
    """Mount point -> volume name of the container's named volumes."""
    return {m["target"]: m["source"] for m in resource.inputs.get("mounts", []) if m["type"] == "volume"}


def seeded(service: RecordedResource, seed_image: str | None = None) -> RecordedResource:
    """The seed of the read-only ``service``, once both sides of the hand-over are checked.

    The service carries no uploads, depends on the seed, names it in ``WEBSTACK_CONFIG_REVISION`` and mounts a volume
    over every file. The seed (the service's image unless ``seed_image`` is given, the same user, the same volumes
    and nothing else) has no network, drops every capability, runs ``true`` once and is neither kept running nor
    restarted; the files it delivers belong to the service's numeric uid:gid."""
    seed = one(f"{service.name}{SEED_SUFFIX}")
    inputs, seed_inputs = service.inputs, seed.inputs
    # The service: read-only, no files of its own, replaced with its seed.
    assert inputs["readOnly"] is True, service.name
    assert inputs.get("uploads", []) == [], f"{service.name} carries uploads itself"
    assert env_of(service)[REVISION_ENV] == seed.id, service.name
    assert seed.urn in service.dependencies, f"{service.name} does not depend on its seed"
    # The seed: isolated, unprivileged, one-shot.
    assert seed.type == CONTAINER
    assert seed_inputs["networkMode"] == "none", seed.name
    assert seed_inputs.get("networksAdvanced", []) == [], seed.name
    assert seed_inputs.get("ports", []) == [], seed.name
    assert seed_inputs["capabilities"] == {"drops": ["ALL"], "adds": []}, seed.name
    assert seed_inputs["securityOpts"] == ["no-new-privileges:true"], seed.name
    assert seed_inputs["privileged"] is False, seed.name
    assert seed_inputs["user"] == inputs["user"], seed.name
    assert seed_inputs["mustRun"] is False, seed.name
    assert seed_inputs["restart"] == "no", seed.name
    assert seed_inputs["entrypoints"] == ["true"], seed.name
    assert seed_inputs["readOnly"] is False, seed.name
    assert seed_inputs["image"] == (seed_image or inputs["image"]), seed.name
    assert seed_inputs.get("envs", []) == [], seed.name
    labels = {label["label"]: label["value"] for label in seed_inputs["labels"]}
    role = {label["label"]: label["value"] for label in inputs["labels"]}["webstack.role"]
    assert labels["webstack.role"] == f"{role}-seed", seed.name
    # The same volumes, and nothing else: no tmpfs, no host path.
    volumes = volume_mounts(service)
    assert volumes, f"{service.name} mounts no volume for its files"
    assert {m["type"] for m in seed_inputs["mounts"]} == {"volume"}, seed.name
    assert volume_mounts(seed) == volumes, seed.name
    # Every file lands in a volume the service mounts, owned by the service's numeric uid:gid.
    files = seed_uploads(seed)
    assert files, f"{seed.name} delivers nothing"
    uid, _, gid = inputs["user"].partition(":")
    for upload in files:
        path = upload["file"]
        assert any(path.startswith(f"{target.rstrip('/')}/") for target in volumes), f"{service.name}: {path}"
        if uid.isdigit():
            assert (upload["owner"], upload["group"]) == (uid, gid or uid), f"{service.name}: {path}"
    return seed
