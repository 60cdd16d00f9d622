"""``webstack:app``: what an application moving in brings besides its images: secrets it already has in Secrets
Manager, a persistent volume per service, its migration command, its database roles and opt-in operator access.
Secret values are not here: they are ``webstack:appSecrets`` (``stack_secrets``)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, field_validator

from .base import RetentionDays, _got, _Model, _pinned_image, _problem, _unique
from .web import ENV_NAME_RE, RUNTIME_ENVIRONMENT

# -- An application moving in: webstack:app (plain) and webstack:appSecrets (secret) ---------------------------------
#: The services an application's settings and secrets belong to.
APP_SERVICES = ("frontend", "backend")
#: Environment names the program sets itself on the backend (where its data lives, its credentials): an
#: application's own secrets and settings may not take them over.
PROGRAM_ENVIRONMENT_PREFIXES = ("DATABASE_", "REDIS_", "S3_", "SHARD_MAP_", "DOCUMENTS_", "WEBSTACK_", "AWS_")
#: Paths a persistent volume may not be mounted on: the root, the scratch space, system and credential directories.
RESERVED_MOUNT_PATHS = ("/", "/tmp", "/run", "/run/webstack", "/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/lib")
SECRET_ARN_RE = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+(:[A-Za-z0-9_.-]*:[A-Za-z0-9_-]*:[A-Za-z0-9-]*)?"
)
_ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:(iam::\d{12}:(role|user)/[\w+=,.@/-]+|iam::\d{12}:root)")


def _app_env_name(name: str) -> str:
    if not ENV_NAME_RE.match(name):
        raise _problem(f"names must be letters, digits and _, got {name!r}")
    upper = name.upper()
    if upper in RUNTIME_ENVIRONMENT or upper.startswith(PROGRAM_ENVIRONMENT_PREFIXES) or upper.endswith("_FILE"):
        raise _problem(
            f"must not set {name}: webstack sets the runtime environment ({', '.join(RUNTIME_ENVIRONMENT)}), the "
            f"names starting with {', '.join(PROGRAM_ENVIRONMENT_PREFIXES)} and the *_FILE paths itself"
        )
    return name


class AppVolumeSettings(_Model):
    """``webstack:app.<service>.volume``: a persistent, encrypted volume mounted into every task of the service."""

    path: str = Field(description="Absolute path the volume is mounted at in the container, e.g. /data.")
    single_writer: bool = Field(
        default=True,
        description="Only one task may run at a time (the application keeps state a second writer would corrupt: "
        "an embedded database, a blockchain's data directory). Needs desiredCount, minCount and maxCount of 1; "
        "deployments then stop the old task before starting the new one (a short interruption).",
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.fullmatch(r"(/[A-Za-z0-9._-]+)+", value) or ".." in value.split("/"):
            raise _problem(f"must be an absolute path like /data, got {_got(value)}")
        if any(value == p or (p != "/" and value.startswith(p + "/")) for p in RESERVED_MOUNT_PATHS):
            raise _problem(f"must not be (or be inside) {', '.join(RESERVED_MOUNT_PATHS[1:])}, got {_got(value)}")
        return value


class AppServiceSettings(_Model):
    """``webstack:app.frontend`` / ``webstack:app.backend``: what one service of the application needs besides its
    image and plain environment (``webstack:web.<service>``)."""

    secret_arns: dict[str, str] = Field(
        default={},
        description="Secrets that already exist in Secrets Manager: environment name -> secret ARN (a JSON key: "
        "`<arn>:<key>::`). aws only; the execution role may read exactly these. A secret under another account's "
        "or another customer key needs that key's policy to admit the execution role.",
    )
    volume: AppVolumeSettings | None = Field(
        default=None,
        description="A persistent, encrypted volume `{path, singleWriter}`: EFS (customer key, backed up, reachable "
        "from the app tier only) on aws, a protected named volume on docker. Unset: no persistent storage.",
    )

    @field_validator("secret_arns")
    @classmethod
    def _secret_arns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, arn in value.items():
            _app_env_name(name)
            if not SECRET_ARN_RE.fullmatch(arn):
                raise _problem(
                    "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>, "
                    f"optionally :<json-key>::), got {_got(arn)}",
                    name,
                )
        return value


class MigrationSettings(_Model):
    """``webstack:app.migration``: the one-off command run from the backend's image before a new version serves."""

    command: list[str] = Field(
        default=[],
        description='The command, as an exec list, e.g. ["alembic", "upgrade", "head"] or ["php", "artisan", '
        '"migrate", "--force"]. It runs with the backend\'s environment and secrets, inside the private network, on '
        "every deployment whose backend image or command changed; a non-zero exit fails the deployment before the "
        "services change. Empty: no migration.",
    )
    timeout_minutes: Annotated[int, Field(ge=1, le=120)] = Field(
        default=30,
        description="Minutes the migration may run on aws before it is stopped and the deployment fails (docker "
        "waits for it to exit).",
    )

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if value and not value[0].strip():
            raise _problem(f"must start with the program to run, got {_got(value)}")
        return value


class DatabaseRolesSettings(_Model):
    """``webstack:app.databaseRoles``: the least-privilege roles created inside every shard."""

    bootstrap: bool = Field(
        default=True,
        description="Create, per shard, the application role (owns the application's schema, nothing else), the "
        "read-only role (the replicas' readers) and the monitoring role, with the guides' REVOKEs, from a one-off "
        "task inside the network that alone uses the master credentials. The backend then signs in as the "
        "application role. Off: the backend gets no database credentials.",
    )
    client_image: str = Field(
        default="",
        description="Image that runs the bootstrap (it needs psql or mysql, and wget or curl), pinned. Empty: the "
        "Docker official postgres or mysql image of the engine's version, from Amazon ECR Public.",
    )

    @field_validator("client_image")
    @classmethod
    def _client_image(cls, value: str) -> str:
        return _pinned_image(value) if value else value


class OperationsSettings(_Model):
    """``webstack:app.operations``: opt-in, audited operator access to the private data tier (no SSH, no port)."""

    enabled: bool = Field(
        default=False,
        description="Create the operations task (ECS Exec allowed on it alone) and the operator role that may start "
        "it and open a shell in it; sessions are logged to an encrypted log group. Off by default, prod included.",
    )
    trusted_principal_arns: list[str] = Field(
        default=[],
        description="IAM roles or users (ARNs, e.g. an IAM Identity Center permission set's role) that may assume the "
        "operator role. Required when enabled.",
    )
    image: str = Field(
        default="",
        description="Image of the operations task, pinned (it needs a shell and the database client). Empty: the "
        "bootstrap's client image.",
    )
    session_log_days: RetentionDays = Field(
        default=365, description="Days CloudWatch keeps the session logs (every command and its output)."
    )

    @field_validator("trusted_principal_arns")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        for index, arn in enumerate(value):
            if not _ROLE_ARN_RE.fullmatch(arn):
                raise _problem(f"must be an IAM role or user ARN, got {_got(arn)}", f"[{index}]")
        _unique(value)
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _pinned_image(value) if value else value


class AppSettings(_Model):
    """``webstack:app``: what an application brings besides its images: secrets it already has, persistent storage,
    its migration, its database roles, and operator access. Secret values go in ``webstack:appSecrets``."""

    frontend: AppServiceSettings = Field(default=AppServiceSettings(), description="The frontend's secrets and volume.")
    backend: AppServiceSettings = Field(default=AppServiceSettings(), description="The backend's secrets and volume.")
    migration: MigrationSettings = Field(
        default=MigrationSettings(), description="The one-off command run before each new backend version serves."
    )
    database_roles: DatabaseRolesSettings = Field(
        default=DatabaseRolesSettings(), description="The application, read-only and monitoring roles per shard."
    )
    operations: OperationsSettings = Field(
        default=OperationsSettings(), description="Opt-in, audited operator access to the data tier."
    )

    def service(self, name: str) -> AppServiceSettings:
        return self.frontend if name == "frontend" else self.backend
