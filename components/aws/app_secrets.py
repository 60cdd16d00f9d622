"""The application's own secrets on aws (``webstack:appSecrets``): one Secrets Manager secret each.

Each value becomes a secret named ``<prefix>/app/<service>/<NAME>``, encrypted with the stack's customer ``secrets``
key, with a 30-day recovery window; its value is written by a ``SecretVersion`` from the Pulumi secret, so it is
encrypted in the state and never appears in an output, a log or the task definition, which holds only the ARN (ECS
``secrets``). Secrets that already exist (``webstack:app.<service>.secretArns``) are referenced by ARN as they are.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..settings import ENV_NAME_RE, SECRET_ARN_RE
from .args_errors import invalid
from .task_definitions import SecretRef

APP_SECRETS_TYPE = "webstack:aws:AppSecrets"


@dataclass(frozen=True)
class AppSecretsArgs:
    """Inputs of :class:`AppSecrets`."""

    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``: each secret is named ``<prefix>/app/<service>/<NAME>``."""
    secrets_key_arn: pulumi.Input[str]
    """Customer KMS key every secret is encrypted with."""
    values: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    """Per service, environment name -> the secret's value (``webstack:appSecrets``). Each value is kept as a Pulumi
    secret: encrypted in the state, never in an output or a task definition (which holds only the ARN)."""
    existing_secret_arns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per service, environment name -> ARN of a secret that already exists in Secrets Manager, referenced as it is
    (``webstack:app.<service>.secretArns``); ``<arn>:<json-key>::`` hands the container one key of it."""
    services: Sequence[str] = ("frontend", "backend")
    """The services the secrets belong to; each has its entry in ``refs``, empty when it has no secret."""


def validate_app_secrets_args(args: AppSecretsArgs) -> None:
    """Secrets of a service not listed would be dropped, a malformed name or ARN refused by AWS at deploy time:
    errors name the Args field."""
    for field_name, by_service in (("values", args.values), ("existing_secret_arns", args.existing_secret_arns)):
        for service, named in by_service.items():
            if service not in args.services:
                raise invalid(args, field_name, f"name services of `services` ({', '.join(args.services)})", service)
            for env_name in named:
                if not ENV_NAME_RE.match(env_name):
                    rule = "name environment variables with letters, digits and _"
                    raise invalid(args, f"{field_name}[{service!r}]", rule, env_name)
    for service, named in args.existing_secret_arns.items():
        for env_name, arn in named.items():
            if not SECRET_ARN_RE.fullmatch(arn):
                rule = "be a Secrets Manager secret's ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)"
                raise invalid(args, f"existing_secret_arns[{service!r}][{env_name!r}]", rule, arn)


class AppSecrets(pulumi.ComponentResource):
    """The application's secrets, by service."""

    secrets: dict[str, dict[str, aws.secretsmanager.Secret]]
    """Per service, environment name -> the secret created for a value of ``values``."""
    refs: dict[str, dict[str, SecretRef]]
    """Per service, environment name -> the secret ECS hands the container."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_app_secrets_args(args)
        super().__init__(APP_SECRETS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.secrets, self.refs = {}, {}
        for service in args.services:
            refs: dict[str, SecretRef] = {}
            for env_name, arn in sorted(args.existing_secret_arns.get(service, {}).items()):
                base, _, rest = arn.partition(":secret:")
                secret_name, _, key = rest.partition(":")
                refs[env_name] = SecretRef(f"{base}:secret:{secret_name}", key.split(":")[0] if key else "")
            for env_name, value in sorted(args.values.get(service, {}).items()):
                slug = env_name.lower().replace("_", "-")
                secret = aws.secretsmanager.Secret(
                    f"{name}-{service}-{slug}",
                    name=f"{args.name_prefix}/app/{service}/{env_name}",
                    description=f"{args.name_prefix}: {env_name} of the {service} (webstack:appSecrets)",
                    kms_key_id=args.secrets_key_arn,
                    recovery_window_in_days=30,
                    opts=child,
                )
                aws.secretsmanager.SecretVersion(
                    f"{name}-{service}-{slug}-value",
                    secret_id=secret.id,
                    secret_string=pulumi.Output.secret(value),
                    opts=child,
                )
                self.secrets.setdefault(service, {})[env_name] = secret
                refs[env_name] = SecretRef(secret.arn)
            self.refs[service] = refs
        self.register_outputs(
            {"secretArns": {s: {n: secret.arn for n, secret in named.items()} for s, named in self.secrets.items()}}
        )
