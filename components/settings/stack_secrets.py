"""The stack's secret configuration: which keys hold secrets (webstack's own, such as ``webstack:alertWebhookUrl``
and ``webstack:appSecrets``, and the providers' credentials) and must be stored encrypted, and how their values are
read: as Pulumi secrets (:class:`StackSecrets`, :func:`load_secrets`), never validated as plaintext. Only the names in
``webstack:appSecrets`` are checked, and an error never echoes a value."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic_core import PydanticCustomError

from .app import APP_SERVICES, _app_env_name
from .base import PROJECT, SettingsError, _suggest

#: Keys of other namespaces that hold credentials. webstack never needs them (use roles and environment
#: credentials), but if a stack sets one it must be encrypted.
PROVIDER_SECRET_KEYS = (
    "aws:accessKey",
    "aws:secretKey",
    "aws:token",
    "cloudflare:apiKey",
    "cloudflare:apiToken",
    "cloudflare:apiUserServiceKey",
)

#: Optional settings of this project that hold secrets, read as Pulumi secrets (:class:`StackSecrets`) and never
#: validated as plaintext; stored in plaintext they are refused. Pulumi.yaml declares each with an empty default (and
#: not as `secret: true`, which the CLI would refuse for that plaintext default: docs/provider-notes.md, "Project
#: configuration declarations"); empty means unset. Key -> description.
SECRET_SETTINGS = {
    "alertWebhookUrl": "HTTPS webhook that receives every alert: a Slack incoming webhook (hooks.slack.com, through a "
    "small forwarder) or an endpoint that confirms SNS subscriptions (PagerDuty, Opsgenie, ...). Secret.",
    "appSecrets": "The application's secrets per service: `{frontend: {NAME: value}, backend: {NAME: value}}`, each "
    "set with `pulumi config set --secret --path 'webstack:appSecrets.backend.NAME' <value>`. On aws each is kept in "
    "Secrets Manager under the stack's secrets key and reaches the container as the environment variable NAME (ECS "
    "secrets); on docker as a file named by NAME_FILE. Secret.",
}
SECRET_SETTING_KEYS: tuple[str, ...] = tuple(f"{PROJECT}:{key}" for key in SECRET_SETTINGS)
#: How Pulumi.yaml declares each (its default is the empty value of the type, which means unset).
SECRET_SETTING_TYPES = {"alertWebhookUrl": "string", "appSecrets": "object"}


def is_unset(value: Any) -> bool:
    """Whether a secret setting's raw value is the empty default Pulumi.yaml declares (or nothing): unset. Only
    emptiness is looked at, never the value."""
    return value is None or (isinstance(value, str) and value.strip() in ("", "{}")) or value == {}


APP_SECRETS_KEY = "appSecrets"


def parse_app_secret_names(raw: Any) -> dict[str, tuple[str, ...]]:
    """The names in ``webstack:appSecrets`` per service, checked without ever echoing a value: ``{frontend: {NAME:
    value}, backend: {NAME: value}}``, every value text."""
    key = f"{PROJECT}:{APP_SECRETS_KEY}"
    if raw is None:
        return {}
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise SettingsError(key, f"{key} must be an object of services (frontend, backend), each an object of names")
    names: dict[str, tuple[str, ...]] = {}
    for service, entries in document.items():
        if service not in APP_SERVICES:
            raise SettingsError(
                f"{key}.{service}", f"{key}.{service} is not a service{_suggest(service, APP_SERVICES)}"
            )
        if not isinstance(entries, dict):
            raise SettingsError(f"{key}.{service}", f"{key}.{service} must be an object of environment names")
        for name, value in entries.items():
            where = f"{key}.{service}.{name}"
            try:
                _app_env_name(name)
            except PydanticCustomError as error:
                raise SettingsError(where, f"{where} {error.context['message'] if error.context else error}") from None
            # `pulumi config set --path` stores true/false and integers as such (its documentation): they are text here.
            if isinstance(value, (dict, list)) or value is None or value == "":
                raise SettingsError(
                    where,
                    f"{where} must be text, set with `pulumi config set --secret --path '{where}' <value>` (the value "
                    "is not shown)",
                )
        names[service] = tuple(sorted(entries))
    return names


def _secret_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def load_app_secrets() -> dict[str, dict[str, pulumi.Output[str]]]:
    """The application's secret values per service, each a Pulumi secret (names as in ``webstack:appSecrets``)."""
    raw = runtime_config.get_config(f"{PROJECT}:{APP_SECRETS_KEY}")
    if raw is None:
        return {}
    parse_app_secret_names(raw)
    document = json.loads(raw) if isinstance(raw, str) else raw
    return {
        service: {name: pulumi.Output.secret(_secret_text(value)) for name, value in sorted(entries.items())}
        for service, entries in document.items()
    }


@dataclass(frozen=True)
class StackSecrets:
    """Secret configuration, kept as Pulumi secrets: it never passes through validation as plaintext."""

    cloudflare_api_token: pulumi.Output[str] | None = None
    """``cloudflare:apiToken``; unset: the Cloudflare provider reads CLOUDFLARE_API_TOKEN from the environment."""
    alert_webhook_url: pulumi.Output[str] | None = None
    """``webstack:alertWebhookUrl``; unset: alerts go to email only."""
    app: Mapping[str, Mapping[str, pulumi.Output[str]]] = dataclass_field(default_factory=dict)
    """``webstack:appSecrets``: per service, environment name -> secret value."""


def load_secrets() -> StackSecrets:
    """The stack's secret configuration (validated as encrypted by load_settings)."""
    # Read raw first (no warning, nothing printed) only to tell the declared empty default from a value.
    unset = is_unset(runtime_config.get_config(f"{PROJECT}:alertWebhookUrl"))
    webhook = None if unset else pulumi.Config(PROJECT).get_secret("alertWebhookUrl")
    return StackSecrets(
        cloudflare_api_token=pulumi.Config("cloudflare").get_secret("apiToken"),
        alert_webhook_url=None if webhook is None else webhook.apply(validate_webhook_url),
        app=load_app_secrets(),
    )


def validate_webhook_url(url: str) -> str:
    """Checked inside the secret, so that the URL itself never reaches an error message."""
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d+)?(/\S*)?", url):
        raise SettingsError(
            f"{PROJECT}:alertWebhookUrl",
            f"{PROJECT}:alertWebhookUrl must be an https:// URL without credentials in it; the value set is not one",
        )
    return url
