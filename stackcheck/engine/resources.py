"""What an offline run records: each registration as the engine would see it (:class:`RecordedResource`), the
:class:`Recorder` that collects them, and how secrets are recognised and kept out of everything shown.

Secrets are property values wrapped with the Pulumi secret signature (:data:`SECRET_SIG_KEY`, :data:`SECRET_SIG`);
:func:`redact` replaces them with :data:`REDACTED`, and :func:`marked_secret` and :func:`plaintexts` give the texts
that every output is scrubbed of.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
REDACTED = "[secret]"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def is_secret(value: Any) -> bool:
    """Whether a deserialized property value is a wrapped secret."""
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def redact(value: Any, found: set[str] | None = None) -> Any:
    """A copy of a property value with every secret replaced by ``"[secret]"``; the plaintexts go into ``found``."""
    if is_secret(value):
        if found is not None:
            found.update(plaintexts(value.get("value")))
        return REDACTED
    if isinstance(value, dict):
        return {key: redact(item, found) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, found) for item in value]
    return value


#: Keys whose values are never secret even inside a secret object: where an uploaded file goes, its mode and owner.
#: (A list of container uploads is secret as a whole when one file's content is.)
STRUCTURAL_KEYS = frozenset({"file", "permissions", "owner", "group", "executable"})


def marked_secret(value: Any) -> Iterable[str]:
    """The plaintexts of the values marked secret in a registration as the SDK sends it (the request's ``object``
    as plain JSON values, secret signatures where the program put them).

    These, not the secrets of the deserialized inputs, are what is secret: the Python SDK's deserializer lifts the
    mark to the enclosing object or list (``deserialize_property`` in pulumi/runtime/rpc.py: "push the secretness
    'up' a level"), so an object with one secret field arrives wrapped as a whole (``docker.Image.registry``, whose
    server and user name are not secret), while the engine keeps the mark on the field: an export encrypts only
    it."""
    if is_secret(value):
        yield from plaintexts(value.get("value"))
    elif isinstance(value, dict):
        for item in value.values():
            yield from marked_secret(item)
    elif isinstance(value, list):
        for item in value:
            yield from marked_secret(item)


def plaintexts(value: Any) -> Iterable[str]:
    """Every non-empty text (strings, and numbers as text) inside a value, but the structural fields of objects."""
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in STRUCTURAL_KEYS:
                yield from plaintexts(item)
    elif isinstance(value, list):
        for item in value:
            yield from plaintexts(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


@dataclass
class RecordedResource:
    """One RegisterResource request as the engine would see it, plus the mock's answer."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    """``<provider urn>::<provider id>``, or empty for the default provider."""
    protect: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    """Inputs exactly as registered: camelCase keys, secrets still wrapped."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """The state the mock returned (inputs plus computed values)."""
    id: str = ""
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    import_id: str = ""
    """The ``import`` resource option: the id of an existing resource to adopt ("" when none)."""

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0] if self.provider else ""


class Recorder:
    """Collects registrations in order, and every secret plaintext seen, so that output can be scrubbed."""

    def __init__(self) -> None:
        self.resources: list[RecordedResource] = []
        self.secret_values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, resource: RecordedResource) -> None:
        with self._lock:
            self.resources.append(resource)

    def note_secrets(self, values: Iterable[str]) -> None:
        with self._lock:
            self.secret_values.update(v for v in values if v)

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}
