"""Recorded resources written as ``pulumi stack export`` writes a stack (deployment version 3), for tests of
``python -m stackcheck --state``.

Secrets become ciphertext objects with a fake ciphertext (nothing here can be decrypted, and no plaintext is kept);
the root ``pulumi:pulumi:Stack`` resource comes first and holds the stack outputs, as in a real export.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from stackcheck.engine.resources import ROOT_STACK_TYPE, SECRET_SIG, SECRET_SIG_KEY, RecordedResource, is_secret

TIME = "2025-01-01T00:00:00.000000000Z"
MANIFEST = {"time": TIME, "magic": "0" * 64, "version": "v3.190.0"}
FAKE_CIPHERTEXT = "v1:ZmFrZQ==:ZmFrZWNpcGhlcnRleHQ="
SECRETS_PROVIDER = {"type": "passphrase", "state": {"salt": "v1:ZmFrZXNhbHQ=:v1:ZmFrZQ==:ZmFrZWNoZWNr"}}


def ciphertext() -> dict[str, str]:
    """A secret as an export holds it, with a fake ciphertext: nothing about the value is kept."""
    return {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": FAKE_CIPHERTEXT}


def export_value(value: Any) -> Any:
    """A property value as an export holds it: every wrapped secret replaced by a ciphertext object."""
    if is_secret(value):
        return ciphertext()
    if isinstance(value, Mapping):
        return {str(key): export_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [export_value(item) for item in value]
    return value


def stack_urn(project: str, stack: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{ROOT_STACK_TYPE}::{project}-{stack}"


def export_resource(resource: RecordedResource) -> dict[str, Any]:
    """One resource as ``pulumi stack export`` writes it (fields with their zero value left out, as the CLI does)."""
    entry: dict[str, Any] = {"urn": resource.urn, "custom": resource.custom}
    if resource.custom:
        entry["id"] = resource.id
    entry["type"] = resource.type
    entry["inputs"] = export_value(resource.inputs)
    # The engine encrypts the outputs a resource names in additionalSecretOutputs (pulumi-random's results, ...).
    entry["outputs"] = {
        key: ciphertext() if key in resource.additional_secret_outputs else export_value(value)
        for key, value in resource.outputs.items()
    }
    if resource.parent:
        entry["parent"] = resource.parent
    if resource.protect:
        entry["protect"] = True
    if resource.dependencies:
        entry["dependencies"] = list(resource.dependencies)
    if resource.property_dependencies:
        entry["propertyDependencies"] = {key: list(urns) for key, urns in resource.property_dependencies.items()}
    if resource.provider:
        entry["provider"] = resource.provider
    optional: Iterable[tuple[str, Any]] = (
        ("deleteBeforeReplace", resource.delete_before_replace),
        ("retainOnDelete", resource.retain_on_delete),
        ("ignoreChanges", list(resource.ignore_changes)),
        ("additionalSecretOutputs", list(resource.additional_secret_outputs)),
        ("aliases", list(resource.aliases)),
    )
    entry.update((key, value) for key, value in optional if value)
    entry["created"] = TIME
    entry["modified"] = TIME
    return entry


def export_document(
    resources: list[RecordedResource], outputs: dict, secret_outputs: set[str], project: str, stack: str
) -> dict:
    """The ``pulumi stack export`` document of a stack holding ``resources``, with these stack outputs (the keys in
    ``secret_outputs`` secret)."""
    root = {
        "urn": stack_urn(project, stack),
        "custom": False,
        "type": ROOT_STACK_TYPE,
        "outputs": {
            key: ciphertext() if key in secret_outputs else export_value(value) for key, value in outputs.items()
        },
        "created": TIME,
        "modified": TIME,
    }
    return {
        "version": 3,
        "deployment": {
            "manifest": dict(MANIFEST),
            "secrets_providers": json.loads(json.dumps(SECRETS_PROVIDER)),
            "resources": [root, *(export_resource(r) for r in resources if r.type != ROOT_STACK_TYPE)],
        },
    }
