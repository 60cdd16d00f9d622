"""Docker service rules: long-running containers come back by themselves, run the image they were built with, and keep
their data.

A container's image comes from another resource of the stack (a RemoteImage's id), so the stack rule follows the
property dependency to that RemoteImage and judges its reference; any other setting unknown during a preview is
reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import schema, setting
from ._docker import (
    CONTAINER,
    DEFAULT_DATA_ROLES,
    MUST_RUN_EXPECTED,
    REMOTE_IMAGE,
    VOLUME,
    container_props,
    docker_role,
    long_running,
    role_matches,
)
from ._props import (
    UNKNOWN,
    as_text,
    list_items,
    prop,
    str_list,
    unknown_message,
)

# -- docker-container-health-check, docker-container-restart-policy ----------------------------------------------------
#: Restart policies that bring a service back after it exits or the host reboots.
SERVICE_RESTARTS = frozenset({"unless-stopped", "always", "on-failure"})


HEALTH_EXAMPLE = 'healthcheck=docker.ContainerHealthcheckArgs(tests=["CMD", ...], interval="30s", retries=3)'


def _service_props(args: ResourceValidationArgs, report: ReportViolation) -> tuple[Any, bool] | None:
    """A container's props and whether it is a long-running service; None for other resources, and after reporting
    that ``must_run`` is unknown."""
    props = container_props(args)
    if props is None:
        return None
    service = long_running(props)
    if service is UNKNOWN:
        report(unknown_message("must_run", MUST_RUN_EXPECTED), None)
        return None
    return props, bool(service)


def _restart_policy(args: ResourceValidationArgs, report: ReportViolation) -> None:
    found = _service_props(args, report)
    if found is None:
        return
    props, service = found
    restart = prop(props, "restart")
    policy = "" if restart is UNKNOWN else (as_text(restart).lower() or "no")
    if not service:
        if restart is UNKNOWN:
            report(unknown_message("restart", '"no"'), None)
        elif policy != "no":
            report(
                f"The one-shot job (must_run=False) has restart '{policy}', so it runs again whenever it exits or "
                'the daemon restarts: set restart="no".',
                None,
            )
    elif restart is UNKNOWN:
        report(unknown_message("restart", '"unless-stopped"'), None)
    elif policy.split(":", 1)[0] not in SERVICE_RESTARTS:
        report(
            f"The service's restart policy is '{policy}', so it stays down after it crashes or the host reboots: set "
            'restart="unless-stopped" (or "always", "on-failure").',
            None,
        )


def _health(args: ResourceValidationArgs, report: ReportViolation) -> None:
    found = _service_props(args, report)
    if found is None:
        return
    props, service = found
    if not service:
        args.not_applicable("a one-shot job (must_run=False) runs to completion and is not health-checked")
        return
    _health_check(prop(props, "healthcheck"), report)


def _health_check(health: Any, report: ReportViolation) -> None:
    if health is UNKNOWN:
        report(unknown_message("healthcheck", HEALTH_EXAMPLE), None)
        return
    if not isinstance(health, Mapping):
        report(
            "The service has no health check, so Docker cannot tell a hung process from a working one: set "
            f"{HEALTH_EXAMPLE}.",
            None,
        )
        return
    tests = prop(health, "tests")
    items = list_items(tests)
    if tests is UNKNOWN or (items and items[0] is UNKNOWN):
        report(unknown_message("healthcheck.tests", '["CMD", ...] or ["CMD-SHELL", "..."]'), None)
    elif not items:
        report(
            "The service's health check has no tests, so it only inherits the image's HEALTHCHECK (if any): set "
            'tests=["CMD", ...] with a command that fails when the service does not answer.',
            None,
        )
    elif as_text(items[0]).upper() == "NONE":
        report(
            'The service\'s health check is ["NONE"], which switches health checking off: set tests=["CMD", ...] '
            "with a command that fails when the service does not answer.",
            None,
        )
    elif as_text(items[0]).upper() not in ("CMD", "CMD-SHELL") or len(items) < 2:
        report(
            'The service\'s health check tests are not a command Docker runs: start them with "CMD" (then the '
            'program and its arguments) or "CMD-SHELL" (then one shell command).',
            None,
        )


docker_container_health_check = ResourceValidationPolicy(
    name="docker-container-health-check",
    description="Checks that every long-running Docker container has a health check that runs a real command.",
    validate=_health,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["docker", "availability", "checklist:replication-health-checks", "cis-docker:5.27"],
    remediation_steps="Give every long-running docker.Container a healthcheck whose tests run a real probe "
    '(["CMD", "wget", "-qO-", "http://127.0.0.1:8080/health"] or ["CMD-SHELL", "pg_isready ..."]); '
    "components/docker/common.py does.",
)

docker_container_restart_policy = ResourceValidationPolicy(
    name="docker-container-restart-policy",
    description="Checks that every long-running Docker container has a restart policy that brings it back, and "
    'one-shot jobs (must_run=False) never restart (restart="no").',
    validate=_restart_policy,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["docker", "availability", "checklist:replication-health-checks"],
    remediation_steps='Give every long-running docker.Container restart="unless-stopped" (components/docker/common.py '
    'does), and run jobs with must_run=False and restart="no".',
)


# -- docker-images-pinned (stack) --------------------------------------------------------------------------------------
_PINNED_SCHEMA = schema(
    {
        "floatingTags": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["latest"],
            "description": "Tags that move to new images (compared case-insensitively) and so do not pin one.",
        }
    }
)


#: An OCI digest: ``@algorithm:hex`` (at least 32 hex digits).
_DIGEST = re.compile(r"@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$")


#: An image id, as a RemoteImage's ``imageId`` hands it to a container: immutable content.
_IMAGE_ID = re.compile(r"sha256:[0-9a-fA-F]{32,}")


PIN_EXAMPLE = '"nginxinc/nginx-unprivileged:1.27.3-alpine" or "postgres@sha256:<digest>"'


def pin_problem(reference: str, floating: Iterable[str] = ("latest",)) -> str | None:
    """What keeps an image reference from naming one image; None when it is pinned (a version tag or a digest)."""
    text = reference.strip()
    if not text:
        return "is empty, so Docker cannot tell which image to run"
    if _DIGEST.search(text):
        return None
    if "@" in text:
        return "has a malformed digest"
    last = text.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag, which means :latest, whatever image that is on the day it is pulled"
    tag = last.rsplit(":", 1)[1]
    if tag.lower() in {str(f).lower() for f in floating}:
        return f"is tagged '{tag}', which moves to a new image whenever one is pushed"
    if not tag:
        return "has an empty tag"
    return None


def _images_pinned(args: StackValidationArgs, report: ReportViolation) -> None:
    floating = str_list(setting(args, _PINNED_SCHEMA, "floatingTags"))
    for resource in args.resources:
        if resource.resource_type == REMOTE_IMAGE:
            name = prop(resource.props, "name")
            if name is UNKNOWN:
                report(unknown_message("The image's name", f"a pinned reference such as {PIN_EXAMPLE}"), resource.urn)
                continue
            problem = pin_problem(as_text(name), floating)
            if problem:
                report(
                    f"The image reference '{as_text(name)}' {problem}: pin it to a version tag or a digest, such as "
                    f"{PIN_EXAMPLE}.",
                    resource.urn,
                )
        elif resource.resource_type == CONTAINER:
            _container_image(resource, floating, report)


def _container_image(container: PolicyResource, floating: Sequence[str], report: ReportViolation) -> None:
    pulled = [d for d in container.property_dependencies.get("image") or [] if d.resource_type == REMOTE_IMAGE]
    if pulled:
        # The container runs the id of a RemoteImage: judge the reference that RemoteImage pulls. An unknown reference
        # is reported on the RemoteImage itself.
        for image in pulled:
            name = prop(image.props, "name")
            problem = None if name is UNKNOWN else pin_problem(as_text(name), floating)
            if problem:
                report(
                    f"The container runs the image pulled as '{as_text(name)}', which {problem}: pin that "
                    f"docker.RemoteImage's name to a version tag or a digest, such as {PIN_EXAMPLE}.",
                    container.urn,
                )
        return
    image = prop(container.props, "image")
    if image is UNKNOWN:
        report(
            unknown_message("image", f"a pinned reference such as {PIN_EXAMPLE}, or a pinned RemoteImage's image_id"),
            container.urn,
        )
        return
    text = as_text(image)
    if _IMAGE_ID.fullmatch(text):
        return
    problem = pin_problem(text, floating)
    if problem:
        report(
            f"The container's image '{text}' {problem}: pull it with a docker.RemoteImage pinned to a version tag or "
            f"a digest (such as {PIN_EXAMPLE}) and pass its image_id.",
            container.urn,
        )


docker_images_pinned = StackValidationPolicy(
    name="docker-images-pinned",
    description="Checks that every Docker image the stack pulls, and every container's image, is pinned to a version "
    "tag (not latest) or a digest, following a container's image to the RemoteImage it comes from.",
    validate=_images_pinned,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PINNED_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["docker", "supply-chain", "checklist:replication-health-checks"],
    remediation_steps="Pull every image with components/docker/common.py pinned_image(...) (a docker.RemoteImage "
    "whose name carries a version tag or @sha256 digest; webstack:docker.images overrides must be pinned too) and "
    "pass its image_id to the container; never run a bare or :latest reference.",
)


# -- docker-volumes-protected ------------------------------------------------------------------------------------------
_VOLUMES_SCHEMA = schema(
    {
        "dataRoles": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_DATA_ROLES,
            "description": "webstack.role values (patterns allowed) of volumes that hold data and must be protected.",
        }
    }
)


def _volumes_protected(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != VOLUME:
        return
    role = docker_role(args.props)
    if role is UNKNOWN:
        report(unknown_message("labels (webstack.role)", "a literal label"), None)
    elif role_matches(role, setting(args, _VOLUMES_SCHEMA, "dataRoles")) and not args.opts.protect:
        report(
            f"The '{role}' volume holds data but is not protected, so a replacement or a `pulumi destroy` deletes it "
            "with everything in it: create it with opts=pulumi.ResourceOptions(protect=True, retain_on_delete=True) "
            "(components/docker/common.py volume(...)).",
            None,
        )


docker_volumes_protected = ResourceValidationPolicy(
    name="docker-volumes-protected",
    description="Checks that Docker volumes holding data (database, cache, object storage, backups) are protected "
    "against deletion.",
    validate=_volumes_protected,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_VOLUMES_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["docker", "resilience", "checklist:rto-rpo", "checklist:backups"],
    remediation_steps="Create data volumes with components/docker/common.py volume(...), which sets protect=True and "
    "retain_on_delete=True; to delete one, take a backup, unprotect it (pulumi state unprotect) and remove it by "
    "hand.",
)

POLICIES = [
    docker_container_health_check,
    docker_container_restart_policy,
    docker_images_pinned,
    docker_volumes_protected,
]
