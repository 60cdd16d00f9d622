"""The error formatter: pydantic's first validation error becomes the one :class:`SettingsError` the user sees,
naming the key as written in the stack file (``webstack:database.replicas``), what was expected (bounds read from the
field itself, the allowed values, the type in words, or a validator's own message) and what was given."""

from __future__ import annotations

from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from .base import SettingsError, _got, _suggest
from .stack import _BY_ALIAS, Settings

_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "float_type": "a number",
}


def _settings_error(error: ValidationError, prefix: str) -> SettingsError:
    """Turn pydantic's first error into the one message the user sees."""
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    kind, ctx, given = first["type"], first.get("ctx") or {}, first.get("input")
    if kind == "webstack" and ctx.get("field"):
        loc.append(ctx["field"])
    about_a_key = bool(loc) and loc[-1] == "[key]"  # a map's key, not its value, is wrong
    if about_a_key:
        loc = loc[:-2]
    key = _key(prefix, loc)
    if kind == "webstack":
        message = str(ctx["message"])
    elif kind == "extra_forbidden":
        siblings = _aliases_at(loc[:-1])
        message = f"{key} is not a setting{_suggest(str(loc[-1]), siblings)}"
        return SettingsError(key, message)
    elif kind == "missing":
        return SettingsError(key, f"{key} is required: set it with `pulumi config set {key} <value>`")
    elif kind == "literal_error":
        keys = "keys " if about_a_key else ""
        message = f"{keys}must be one of {ctx['expected'].replace(chr(39), '')}, got {_got(given)}"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(loc)
        message = f"must be between {low} and {high}, got {_got(given)}"
    elif kind in _TYPE_WORDS:
        message = f"must be {_TYPE_WORDS[kind]}, got {_got(given)}"
    else:  # pragma: no cover - every constraint above is mapped; keep pydantic's words for anything new
        message = f"is invalid: {first['msg']}, got {_got(given)}"
    return SettingsError(key, f"{key} {message}")


def _key(prefix: str, loc: list[Any]) -> str:
    text = prefix
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith("["):
            text += str(part)
        else:
            text += ("." if index else "") + str(part)
    return text


def _field_at(loc: list[Any]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """Walk the Settings model along a location of aliases; return the model holding the last field and the field."""
    model: type[BaseModel] | None = Settings
    info: FieldInfo | None = None
    for part in loc:
        if model is None or isinstance(part, int):
            return None, None
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        info = fields.get(str(part))
        if info is None:
            return None, None
        nested = [a for a in (info.annotation, *get_args(info.annotation)) if isinstance(a, type)]
        model = next((a for a in nested if issubclass(a, BaseModel)), None)
    return model, info


def _aliases_at(loc: list[Any]) -> list[str]:
    model, _ = _field_at(loc) if loc else (Settings, None)
    if model is None:
        return []
    if model is Settings:
        return list(_BY_ALIAS)
    return [info.alias or name for name, info in model.model_fields.items()]


def _bounds(loc: list[Any]) -> tuple[Any, Any]:
    _, info = _field_at(loc)
    low = high = None
    for meta in _constraints(info):
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    return low, high


def _constraints(info: FieldInfo | None) -> list[Any]:
    if info is None:
        return []
    found = list(info.metadata)
    for arg in get_args(info.annotation):
        for meta in getattr(arg, "__metadata__", ()):
            found.extend(getattr(meta, "metadata", [meta]))
    return found
