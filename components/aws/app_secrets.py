"""The application's own secrets on aws (``webstack:appSecrets``): one Secrets Manager secret each.

Each value becomes a secret named ``<prefix>/app/<service>/<NAME>``, encrypted with the stack's customer ``secrets``
key, with a 30-day recovery window; its value is written by a ``SecretVersion`` from the Pulumi secret, so it is
encrypted in the state and never appears in an output, a log or the task definition, which holds only the ARN (ECS
``secrets``). Secrets that already exist (``webstack:app.<service>.secretArns``) are referenced by ARN as they are.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from ..settings import AppSettings
from .task_definitions import SecretRef

APP_SECRETS_TYPE = "webstack:aws:AppSecrets"


@dataclass(frozen=True)
class AppSecretsArgs:
    """Inputs of :class:`AppSecrets`."""

    name_prefix: str
    secrets_key_arn: pulumi.Input[str]
    values: Mapping[str, Mapping[str, pulumi.Output[str]]] = field(default_factory=dict)
    """Per service, environment name -> secret value (``webstack:appSecrets``)."""
    app: AppSettings = field(default_factory=AppSettings)
    """``secretArns`` per service (existing secrets)."""


class AppSecrets(pulumi.ComponentResource):
    """The application's secrets, by service."""

    secrets: dict[str, dict[str, aws.secretsmanager.Secret]]
    refs: dict[str, dict[str, SecretRef]]
    """Per service, environment name -> the secret ECS hands the container."""

    def __init__(self, name: str, args: AppSecretsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(APP_SECRETS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.secrets, self.refs = {}, {}
        for service in ("frontend", "backend"):
            refs: dict[str, SecretRef] = {}
            for env_name, arn in sorted(args.app.service(service).secret_arns.items()):
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
