"""Pulumi.yaml and Pulumi.<stack>.yaml, read and checked as the Pulumi CLI checks them, then turned into the
configuration the engine would hand the program.

The rules are the CLI's own (pulumi/pulumi ``sdk/go/common/workspace/project.go`` and ``project.json``): a config
type is one of string, integer, boolean, array, object; an array declares ``items``; a default matches its type;
``default`` and ``value`` never appear together; keys of another namespace (``aws:region``) take only ``value``;
declared keys without a default must be set by every stack; a stack value matches its declared type; a key
declared ``secret: true`` is stored encrypted. ``PulumiPolicy.yaml`` needs ``runtime`` and ``version``.

Encrypted (``secure:``) values cannot be decrypted offline: they become a placeholder and their key is marked
secret, as the engine marks it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CONFIG_TYPES = ("string", "integer", "boolean", "array", "object")
SECRET_PLACEHOLDER = "stackcheck-placeholder-secret"
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")


class ProjectFileError(Exception):
    """A project, stack or policy-pack file the Pulumi CLI would reject."""


@dataclass(frozen=True)
class Project:
    name: str
    declarations: dict[str, dict[str, Any]]
    """Declared config keys, fully qualified (``webstack:network``)."""


@dataclass(frozen=True)
class StackConfig:
    """What the engine hands the program: every value as text (objects and arrays as JSON), and the secret keys."""

    values: dict[str, str]
    secret_keys: frozenset[str] = field(default_factory=frozenset)


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ProjectFileError(f"{path.name} does not exist") from None
    except yaml.YAMLError as error:
        raise ProjectFileError(f"{path.name} is not valid YAML: {error}") from None


def _qualify(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def matches_type(kind: str, value: Any, items: dict[str, Any] | None = None) -> bool:
    """The CLI's ValidateConfigValue: whether a value fits a declared config type."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        if isinstance(value, str):
            try:
                int(value)
            except ValueError:
                return False
            return True
        return False
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    if kind == "object":
        return isinstance(value, dict)
    if kind == "array":
        if not isinstance(value, list) or not items:
            return False
        return all(matches_type(items.get("type", ""), item, items.get("items")) for item in value)
    return False


def _type_name(kind: str, items: dict[str, Any] | None) -> str:
    return f"array<{_type_name(items.get('type', ''), items.get('items'))}>" if items else kind


def load_project(root: Path) -> Project:
    """Read and check Pulumi.yaml."""
    raw = _read_yaml(root / "Pulumi.yaml")
    if not isinstance(raw, dict):
        raise ProjectFileError("Pulumi.yaml must be a mapping")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise ProjectFileError("Pulumi.yaml is missing a non-empty string 'name' attribute")
    if not raw.get("runtime"):
        raise ProjectFileError("Pulumi.yaml is missing a 'runtime' attribute")
    declarations: dict[str, dict[str, Any]] = {}
    for key, entry in (raw.get("config") or {}).items():
        qualified = _qualify(name, key)
        if not isinstance(entry, dict):
            entry = {"default": entry} if qualified.startswith(f"{name}:") else {"value": entry}
        _check_declaration(name, qualified, entry)
        declarations[qualified] = entry
    return Project(name=name, declarations=declarations)


def _check_declaration(project: str, key: str, entry: dict[str, Any]) -> None:
    unknown = set(entry) - {"type", "items", "description", "secret", "default", "value"}
    if unknown:
        raise ProjectFileError(f"Pulumi.yaml: config '{key}' has unknown attributes: {', '.join(sorted(unknown))}")
    if "default" in entry and "value" in entry:
        raise ProjectFileError(
            f"Pulumi.yaml: project config '{key}' cannot have both a 'default' and 'value' attribute"
        )
    if not key.startswith(f"{project}:"):
        if "type" in entry:
            raise ProjectFileError(
                f"Pulumi.yaml: configuration key '{key}' is not namespaced by the project and should not define a type"
            )
        if "default" in entry:
            raise ProjectFileError(
                f"Pulumi.yaml: configuration key '{key}' is not namespaced by the project and "
                "should not define a default value; use 'value'"
            )
        if "value" not in entry:
            raise ProjectFileError(f"Pulumi.yaml: configuration key '{key}' must provide an attribute 'value'")
        return
    kind = entry.get("type")
    if kind is None:
        return
    if kind not in CONFIG_TYPES:
        raise ProjectFileError(
            f"Pulumi.yaml: config '{key}' has type {kind!r}; expected one of {', '.join(CONFIG_TYPES)}"
        )
    if kind == "array" and not entry.get("items"):
        raise ProjectFileError(
            f"Pulumi.yaml: the configuration key '{key}' declares an array but does not specify "
            "the underlying type via the 'items' attribute"
        )
    if "default" in entry and not matches_type(kind, entry["default"], entry.get("items")):
        raise ProjectFileError(
            f"Pulumi.yaml: the default value specified for configuration key '{key}' is not of "
            f"the expected type '{_type_name(kind, entry.get('items'))}'"
        )


def load_policy_pack(root: Path) -> dict[str, Any]:
    """Read and check policies/PulumiPolicy.yaml."""
    path = root / "policies" / "PulumiPolicy.yaml"
    raw = _read_yaml(path)
    if not isinstance(raw, dict) or not raw.get("runtime"):
        raise ProjectFileError("policies/PulumiPolicy.yaml is missing a 'runtime' attribute")
    if not raw.get("version"):
        raise ProjectFileError("policies/PulumiPolicy.yaml is missing a 'version' attribute")
    return raw


def stack_names(root: Path) -> list[str]:
    """The stacks that have a stack file."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def load_stack(root: Path, project: Project, stack: str) -> StackConfig:
    """Read and check Pulumi.<stack>.yaml; merge it over the project's defaults as the engine does (a stack value
    replaces a default whole, objects included)."""
    file_name = f"Pulumi.{stack}.yaml"
    if not (root / file_name).exists():
        known = ", ".join(stack_names(root)) or "none"
        raise ProjectFileError(f"there is no stack '{stack}': {file_name} does not exist (stacks: {known})")
    raw = _read_yaml(root / file_name) or {}
    if not isinstance(raw, dict):
        raise ProjectFileError(f"{file_name} must be a mapping")
    unknown = set(raw) - set(STACK_FILE_KEYS)
    if unknown:
        raise ProjectFileError(f"{file_name} has unknown top-level keys: {', '.join(sorted(unknown))}")
    stack_values = raw.get("config") or {}
    if not isinstance(stack_values, dict):
        raise ProjectFileError(f"{file_name}: 'config' must be a mapping")

    merged: dict[str, Any] = {}
    for key, entry in project.declarations.items():
        if "default" in entry:
            merged[key] = entry["default"]
        elif "value" in entry:
            merged[key] = entry["value"]
    secret_keys: set[str] = set()
    for key, value in stack_values.items():
        qualified = _qualify(project.name, key)
        declared = project.declarations.get(qualified, {})
        plain, encrypted = _unwrap_secure(value)
        if encrypted:
            secret_keys.add(qualified)
        elif declared.get("secret"):
            raise ProjectFileError(
                f"{file_name}: {qualified} is declared secret in Pulumi.yaml but is stored in plaintext; "
                f"set it with `pulumi config set --secret {qualified} <value>`"
            )
        kind = declared.get("type")
        if kind and not matches_type(kind, plain, declared.get("items")):
            raise ProjectFileError(
                f"{file_name}: {qualified} should be of type '{_type_name(kind, declared.get('items'))}', "
                f"got {json.dumps(plain)}"
            )
        merged[qualified] = plain
    missing = [key for key in project.declarations if key not in merged and key.startswith(f"{project.name}:")]
    if missing:
        raise ProjectFileError(
            f"{file_name} is missing {', '.join(sorted(missing))}, which Pulumi.yaml declares without a default: "
            f"set it with `pulumi config set {sorted(missing)[0]} <value>`"
        )
    return StackConfig({key: _as_text(value) for key, value in merged.items()}, frozenset(secret_keys))


def _unwrap_secure(value: Any) -> tuple[Any, bool]:
    """Replace ``{secure: <ciphertext>}`` (at any depth) by a placeholder; report whether there was any."""
    if isinstance(value, dict):
        if set(value) == {"secure"}:
            return SECRET_PLACEHOLDER, True
        found = False
        plain: dict[str, Any] = {}
        for key, item in value.items():
            plain[key], inner = _unwrap_secure(item)
            found = found or inner
        return plain, found
    if isinstance(value, list):
        items = [_unwrap_secure(item) for item in value]
        return [item for item, _ in items], any(inner for _, inner in items)
    return value, False


def _as_text(value: Any) -> str:
    """Config reaches the program as text: strings as they are, booleans and numbers as the CLI prints them,
    objects and arrays as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return json.dumps(value)
