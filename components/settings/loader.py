"""The loader: reads the stack's configuration as the engine hands it to the program (``namespace:key`` -> text),
refuses secrets stored in plaintext and plaintext settings stored as secrets, rejects unknown keys with a
suggestion, decodes structured values, fills in the context (project, stack, region) and validates everything before
a single resource is registered."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any, Literal, get_origin

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import ValidationError

from .base import _REGION_RE, PROJECT, SettingsError, _got, _suggest
from .errors import _settings_error
from .stack import _BY_ALIAS, CONFIG_FIELDS, Settings
from .stack_secrets import (
    APP_SECRETS_KEY,
    PROVIDER_SECRET_KEYS,
    SECRET_SETTING_KEYS,
    SECRET_SETTINGS,
    is_unset,
    parse_app_secret_names,
)


def load_settings() -> Settings:
    """Read and validate the current stack's configuration. Raises SettingsError with one message."""
    values: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {key for key in values if runtime_config.is_config_secret(key)}
    return parse_settings(values, secret_keys, project=pulumi.get_project(), stack=pulumi.get_stack())


def parse_settings(
    values: Mapping[str, Any], secret_keys: Collection[str], *, project: str = PROJECT, stack: str = "stack"
) -> Settings:
    """Validate configuration as the engine hands it to the program: a flat map of ``namespace:key`` to values
    (strings; objects and arrays as JSON text), plus the set of keys that are secret."""
    prefix = f"{project}:"
    _check_secrets(values, secret_keys, prefix)
    raw: dict[str, Any] = {}
    for key in sorted(values):
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if name in SECRET_SETTINGS:
            continue  # read as a secret by load_secrets, never as plaintext
        if name not in _BY_ALIAS:
            raise SettingsError(key, f"{key} is not a setting{_suggest(name, _BY_ALIAS)}")
        raw[name] = _decode(key, values[key], CONFIG_FIELDS[_BY_ALIAS[name]].annotation)
    region = values.get("aws:region")
    platform = raw.get("platform", "aws")
    if platform != "aws" and not region:
        region = "us-east-1"  # the docker platform makes no AWS call; the default only fills the settings' context
    if not isinstance(region, str) or not region:
        raise SettingsError("aws:region", "aws:region is required: set it with `pulumi config set aws:region <region>`")
    if not _REGION_RE.match(region):
        raise SettingsError("aws:region", f"aws:region must be an AWS region name like eu-west-1, got {_got(region)}")
    context: dict[str, Any] = {"project": project, "stack": stack, "region": region}
    context["appSecretNames"] = parse_app_secret_names(values.get(f"{prefix}{APP_SECRETS_KEY}"))
    try:
        # Keys as users write them (camelCase) only: a snake_case key is a typo, not an alternative spelling.
        return Settings.model_validate({**raw, **context}, by_alias=True, by_name=False)
    except ValidationError as error:
        raise _settings_error(error, prefix) from None


def _check_secrets(values: Mapping[str, Any], secret_keys: Collection[str], prefix: str) -> None:
    for key in sorted(values):
        holds_secret = key in PROVIDER_SECRET_KEYS or key in SECRET_SETTING_KEYS
        if key in SECRET_SETTING_KEYS and key not in secret_keys and is_unset(values[key]):
            continue  # the empty default Pulumi.yaml declares: unset
        if holds_secret and key not in secret_keys and key == f"{prefix}{APP_SECRETS_KEY}":
            raise SettingsError(
                key,
                f"{key} holds secrets but is stored in plaintext: remove it from the stack file and set each value "
                f"with `pulumi config set --secret --path '{key}.<service>.<NAME>' <value>`",
            )
        if holds_secret and key not in secret_keys:
            raise SettingsError(
                key,
                f"{key} holds a secret but is stored in plaintext: remove it from the stack file and set it with "
                f"`pulumi config set --secret {key} <value>`",
            )
        if key.startswith(prefix) and key in secret_keys and not holds_secret:
            raise SettingsError(
                key,
                f"{key} must not hold a secret (it is used in plaintext), got an encrypted value: set it with "
                f"`pulumi config set {key} <value>` (without --secret)",
            )


def _decode(key: str, value: Any, annotation: Any) -> Any:
    """Config values reach the program as text; structured ones are JSON."""
    if not isinstance(value, str) or annotation is str or get_origin(annotation) is Literal:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # left as text: validation then reports the expected type and what was given
