"""Reads a ``pulumi stack export`` document (deployment version 3) into the result of a run, so that the policy pack
can be evaluated against what a stack holds instead of what the program would register.

Each live resource becomes a :class:`RecordedResource`: resource policies see its ``inputs``, stack policies the
``outputs`` of custom resources and the ``inputs`` of components, as after a run. The root ``pulumi:pulumi:Stack``
resource is not a resource of the result (a run does not record it either): its ``outputs`` are the stack outputs.
Resources pending deletion (``"delete": true``) are left out.

stackcheck never decrypts. Every secret, a ciphertext (``pulumi stack export``) or a plaintext (``--show-secrets``),
becomes a secret whose value is unknown: reports show ``"[secret]"``, and a rule that reads it is noted as unable to
check it (as during a preview), never passed or failed on a stand-in value. A plaintext's texts go into the result's
secret values, so that they are scrubbed from every message too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from stackcheck.engine.resources import (
    REDACTED,
    ROOT_STACK_TYPE,
    SECRET_SIG,
    SECRET_SIG_KEY,
    RecordedResource,
    plaintexts,
)
from stackcheck.engine.run import RunResult

SUPPORTED_VERSIONS = (3,)
#: The signature of a resource reference (``{"4dabf...": RESOURCE_SIG, "urn": ..., "id": ...}``).
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"


class StateFileError(Exception):
    """An export document stackcheck cannot evaluate; the message is one line."""


def load_export(path: Path, stack: str, project: str | None = None) -> RunResult:
    """Read the ``pulumi stack export`` document at ``path`` as stack ``stack`` (and, when given, project
    ``project``). Raises StateFileError."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StateFileError(f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StateFileError(f"{path} cannot be read: {error}") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise StateFileError(f"{path.name} is not valid JSON: {error}") from None
    return parse_export(document, stack, project, source=path.name)


def parse_export(document: Any, stack: str, project: str | None = None, source: str = "the export") -> RunResult:
    """The run result a parsed export document stands for; ``source`` names the document in messages."""
    if not isinstance(document, dict):
        raise StateFileError(f"{source} is not a `pulumi stack export` document: expected a JSON object")
    supported = " or ".join(str(v) for v in SUPPORTED_VERSIONS)
    version = document.get("version")
    if version not in SUPPORTED_VERSIONS or isinstance(version, bool):
        found = "has no version" if version is None else f"is a version {json.dumps(version)} export"
        raise StateFileError(f"{source} {found}; stackcheck reads `pulumi stack export` version {supported}")
    deployment = document.get("deployment")
    if not isinstance(deployment, dict):
        raise StateFileError(f"{source} has no deployment object: is it the output of `pulumi stack export`?")
    raw = deployment.get("resources")
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise StateFileError(f"{source}: deployment.resources must be a list, got {_kind(raw)}")

    secrets: set[str] = set()
    resources: list[RecordedResource] = []
    stack_resource: dict[str, Any] | None = None
    found_names: tuple[str, str] | None = None
    for index, entry in enumerate(raw):
        where = f"{source}: deployment.resources[{index}]"
        if not isinstance(entry, dict):
            raise StateFileError(f"{where} must be an object, got {_kind(entry)}")
        urn, type_ = entry.get("urn"), entry.get("type")
        if not isinstance(urn, str) or not urn:
            raise StateFileError(f"{where} has no urn")
        parts = urn.split("::", 3)
        if len(parts) != 4 or not parts[0].startswith("urn:pulumi:"):
            raise StateFileError(f"{where} has a malformed urn {urn!r}")
        if not isinstance(type_, str) or not type_:
            raise StateFileError(f"{where} ({urn}) has no type")
        if entry.get("delete") is True:
            continue
        if type_ == ROOT_STACK_TYPE:
            stack_resource = stack_resource or entry
            found_names = (parts[0].removeprefix("urn:pulumi:"), parts[1])
            continue
        found_names = found_names or (parts[0].removeprefix("urn:pulumi:"), parts[1])
        resources.append(_resource(entry, urn, type_, parts[3], where, secrets))

    if found_names is not None:
        found_stack, found_project = found_names
        if found_stack != stack:
            raise StateFileError(f"{source} is an export of stack '{found_stack}', not '{stack}'")
        if project is not None and found_project != project:
            raise StateFileError(
                f"{source} is an export of project '{found_project}', but Pulumi.yaml names project '{project}'"
            )

    outputs: dict[str, Any] = {}
    secret_outputs: set[str] = set()
    if stack_resource is not None:
        for key, value in _object(stack_resource, "outputs", f"{source}: the stack resource").items():
            outputs[key] = _property(value, secrets)
            if _is_secret(value):
                secret_outputs.add(key)
                outputs[key] = REDACTED
    encrypted = sum(_count_secrets(r.inputs) for r in resources)
    log = (
        [
            (
                "info",
                f"{encrypted} secret input values stay encrypted in the export: rules that read them (default "
                "passwords) cannot check them here; `pulumi preview` with the policy pack can",
            )
        ]
        if encrypted
        else []
    )
    return RunResult(
        project=found_names[1] if found_names else project or "",
        stack=stack,
        resources=resources,
        outputs=outputs,
        secret_outputs=secret_outputs,
        secret_values=secrets,
        log=log,
    )


def _count_secrets(value: Any) -> int:
    if _is_secret(value):
        return 1
    if isinstance(value, dict):
        return sum(_count_secrets(item) for item in value.values())
    if isinstance(value, list):
        return sum(_count_secrets(item) for item in value)
    return 0


def _resource(
    entry: Mapping[str, Any], urn: str, type_: str, name: str, where: str, secrets: set[str]
) -> RecordedResource:
    dependencies = entry.get("propertyDependencies")
    return RecordedResource(
        urn=urn,
        type=type_,
        name=name,
        custom=entry.get("custom") is True,
        parent=_text(entry.get("parent")),
        provider=_text(entry.get("provider")),
        protect=entry.get("protect") is True,
        dependencies=_texts(entry.get("dependencies")),
        property_dependencies=(
            {str(k): _texts(v) for k, v in dependencies.items()} if isinstance(dependencies, dict) else {}
        ),
        inputs=_property(_object(entry, "inputs", where), secrets),
        outputs=_property(_object(entry, "outputs", where), secrets),
        id=_text(entry.get("id")),
        delete_before_replace=entry.get("deleteBeforeReplace") is True,
        ignore_changes=_texts(entry.get("ignoreChanges")),
        additional_secret_outputs=_texts(entry.get("additionalSecretOutputs")),
        aliases=_texts(entry.get("aliases")),
        retain_on_delete=entry.get("retainOnDelete") is True,
    )


def _object(entry: Mapping[str, Any], key: str, where: str) -> dict[str, Any]:
    value = entry.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StateFileError(f"{where}: {key} must be an object, got {_kind(value)}")
    return value


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def _property(value: Any, secrets: set[str]) -> Any:
    """A property value as a run records it: every secret wrapped around an unknown value (its plaintext, if the export
    shows it, noted in ``secrets``), resource references as their id (custom resources) or URN (components)."""
    if isinstance(value, dict):
        signature = value.get(SECRET_SIG_KEY)
        if signature == SECRET_SIG:
            plaintext = value.get("plaintext")
            if isinstance(plaintext, str):
                secrets.update(_plaintexts(plaintext))
            return {SECRET_SIG_KEY: SECRET_SIG, "value": UNKNOWN_STRING_VALUE}
        if signature == RESOURCE_SIG:
            return _text(value.get("id")) or _text(value.get("urn"))
        return {key: _property(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_property(item, secrets) for item in value]
    return value


def _plaintexts(plaintext: str) -> Iterator[str]:
    """The texts of a ``--show-secrets`` plaintext (JSON text): itself and, decoded, every string and number in it."""
    yield plaintext
    try:
        decoded = json.loads(plaintext)
    except ValueError:
        return
    yield from plaintexts(decoded)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _texts(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )
