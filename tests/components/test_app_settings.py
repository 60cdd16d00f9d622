"""webstack:app and webstack:appSecrets: what an application brings, validated before anything is registered; errors
name the key as the user types it and never show a secret value."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.settings import AppSettings, SettingsError, parse_settings
from tests.conftest import IMAGES, valid_config

SECRETS_KEY = "webstack:appSecrets"
ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sentry-AbCdEf"
VALUE = "s3cr3t-value-that-must-never-be-echoed"


def parse(secret_keys: tuple[str, ...] = (), **overrides: Any) -> Any:
    values = valid_config(**{key: json.dumps(value) for key, value in overrides.items()})
    return parse_settings(values, set(secret_keys))


def error(secret_keys: tuple[str, ...] = (), **overrides: Any) -> str:
    with pytest.raises(SettingsError) as caught:
        parse(secret_keys, **overrides)
    return caught.value.message


def config(**entries: Any) -> dict[str, Any]:
    """webstack:* keys from keyword arguments (webstack_app -> webstack:app)."""
    return {key.replace("webstack_", "webstack:"): value for key, value in entries.items()}


def test_defaults_bring_nothing_and_bootstrap_the_roles() -> None:
    app = parse().app
    assert app == AppSettings()
    assert app.database_roles.bootstrap is True
    assert app.operations.enabled is False
    assert app.migration.command == []


def test_secret_names_are_read_from_the_encrypted_key() -> None:
    settings = parse((SECRETS_KEY,), **config(webstack_appSecrets={"backend": {"JWT_SECRET_KEY": VALUE}}))
    assert settings.app_secret_names == {"backend": ("JWT_SECRET_KEY",)}


def test_application_secrets_in_plaintext_are_refused_with_the_way_to_set_them() -> None:
    message = error(**config(webstack_appSecrets={"backend": {"JWT_SECRET_KEY": VALUE}}))
    assert message == (
        "webstack:appSecrets holds secrets but is stored in plaintext: remove it from the stack file and set each "
        "value with `pulumi config set --secret --path 'webstack:appSecrets.<service>.<NAME>' <value>`"
    )


def test_a_secret_for_an_unknown_service_names_the_key() -> None:
    message = error((SECRETS_KEY,), **config(webstack_appSecrets={"worker": {"TOKEN": VALUE}}))
    assert message.startswith("webstack:appSecrets.worker is not a service")
    assert VALUE not in message


def test_a_secret_name_webstack_sets_itself_is_refused_without_its_value() -> None:
    message = error((SECRETS_KEY,), **config(webstack_appSecrets={"backend": {"DATABASE_PASSWORD": VALUE}}))
    assert message.startswith("webstack:appSecrets.backend.DATABASE_PASSWORD must not set DATABASE_PASSWORD")
    assert VALUE not in message


def test_a_secret_that_is_not_text_is_refused_without_its_value() -> None:
    message = error((SECRETS_KEY,), **config(webstack_appSecrets={"backend": {"PIN_SET": ["12345"]}}))
    assert message.startswith("webstack:appSecrets.backend.PIN_SET must be text")
    assert "12345" not in message


def test_a_secret_the_cli_stored_as_a_number_is_text_to_the_application() -> None:
    # `pulumi config set --path` keeps integers and true/false as such (the CLI's documentation).
    settings = parse((SECRETS_KEY,), **config(webstack_appSecrets={"backend": {"LICENSE_PIN": 12345}}))
    assert settings.app_secret_names == {"backend": ("LICENSE_PIN",)}


def test_a_secret_arn_must_be_a_secrets_manager_arn() -> None:
    message = error(**config(webstack_app={"backend": {"secretArns": {"SENTRY_DSN": "arn:aws:s3:::bucket"}}}))
    assert message.startswith("webstack:app.backend.secretArns.SENTRY_DSN must be a Secrets Manager secret ARN")


def test_a_secret_arn_with_a_json_key_is_accepted() -> None:
    app = parse(**config(webstack_app={"backend": {"secretArns": {"SENTRY_DSN": f"{ARN}:dsn::"}}})).app
    assert app.backend.secret_arns == {"SENTRY_DSN": f"{ARN}:dsn::"}


def test_one_name_may_not_be_both_a_value_and_an_arn() -> None:
    message = error(
        (SECRETS_KEY,),
        **config(
            webstack_appSecrets={"backend": {"SENTRY_DSN": VALUE}},
            webstack_app={"backend": {"secretArns": {"SENTRY_DSN": ARN}}},
        ),
    )
    assert message == (
        "webstack:app.backend.secretArns must not name SENTRY_DSN twice: it is already set in "
        "webstack:appSecrets.backend"
    )


def test_a_secret_may_not_also_be_a_plain_environment_value() -> None:
    web = {**IMAGES, "backend": {**IMAGES["backend"], "environment": {"SMTP_HOST": "x", "SMTP_USER": "x"}}}
    message = error((SECRETS_KEY,), **config(webstack_appSecrets={"backend": {"SMTP_USER": VALUE}}, webstack_web=web))
    assert message.startswith("webstack:web.backend.environment must not set SMTP_USER, a secret of the backend")


def test_secret_arns_are_refused_on_docker() -> None:
    values = {
        "webstack:platform": "docker",
        "webstack:environment": "dev",
        "webstack:domain": "app.localhost",
        "webstack:web": json.dumps(IMAGES),
        "webstack:app": json.dumps({"backend": {"secretArns": {"SENTRY_DSN": ARN}}}),
    }
    with pytest.raises(SettingsError) as caught:
        parse_settings(values, set())
    assert caught.value.message.startswith("webstack:app.backend.secretArns is not supported on the docker platform")


def test_a_single_writer_volume_needs_one_task() -> None:
    message = error(**config(webstack_app={"backend": {"volume": {"path": "/data"}}}))
    assert message == (
        "webstack:web.backend.desiredCount must be 1 while webstack:app.backend.volume.singleWriter is true (one "
        "task writes the volume at a time), got 3"
    )


def test_a_shared_volume_allows_many_tasks() -> None:
    app = parse(**config(webstack_app={"backend": {"volume": {"path": "/data", "singleWriter": False}}})).app
    assert app.backend.volume is not None
    assert app.backend.volume.path == "/data"


@pytest.mark.parametrize("path", ["/tmp", "/tmp/x", "/run/webstack", "data", "/", "/data/../etc"])
def test_a_volume_may_not_go_where_the_platform_writes(path: str) -> None:
    message = error(**config(webstack_app={"backend": {"volume": {"path": path, "singleWriter": False}}}))
    assert message.startswith("webstack:app.backend.volume.path must")


def test_operations_need_named_principals() -> None:
    message = error(**config(webstack_app={"operations": {"enabled": True}}))
    assert message.startswith(
        "webstack:app.operations.trustedPrincipalArns must name at least one IAM role or user while "
        "webstack:app.operations.enabled is true"
    )


def test_operations_principals_must_be_iam_arns() -> None:
    message = error(**config(webstack_app={"operations": {"enabled": True, "trustedPrincipalArns": ["alice"]}}))
    assert message == 'webstack:app.operations.trustedPrincipalArns[0] must be an IAM role or user ARN, got "alice"'


def test_the_migration_timeout_is_bounded() -> None:
    message = error(**config(webstack_app={"migration": {"command": ["migrate"], "timeoutMinutes": 600}}))
    assert message == "webstack:app.migration.timeoutMinutes must be between 1 and 120, got 600"


def test_the_client_image_must_be_pinned() -> None:
    message = error(**config(webstack_app={"databaseRoles": {"clientImage": "postgres:latest"}}))
    assert message.startswith("webstack:app.databaseRoles.clientImage must be pinned")


def test_an_unknown_app_key_suggests_the_right_one() -> None:
    message = error(**config(webstack_app={"migrations": {}}))
    assert message.startswith("webstack:app.migrations is not a setting; did you mean migration?")
