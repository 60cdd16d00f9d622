"""The database roles of least privilege on aws: generated, kept in Secrets Manager, created inside the network.

Per shard: two generated passwords (``pulumi_random``, 32 letters and digits), each in a Secrets Manager secret of
its own under the stack's secrets key, ``<prefix>/database/shard-<i>/app`` and ``.../reader``, holding the JSON the
RDS rotation functions expect (``engine``, ``host``, ``port``, ``dbname``, ``username``, ``password``); and a one-off
task (:class:`components.aws.one_off.OneOffTask`) from a database client image that signs in as the master user
over verified TLS and runs :func:`components.database_roles.bootstrap_script`. Its execution role is the only role
of the stack that may read a master secret; its task role may do nothing. It runs when the shard is created and
whenever the script changes, before the services (which sign in as the application role) change.

The monitoring role signs in with IAM database authentication (``rds_iam`` / ``AWSAuthenticationPlugin``), so it
has no password at all.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from ..database_roles import APP_ROLE, PASSWORD_ENV, READER_ROLE, bootstrap_script
from ..settings import ENGINE_VERSIONS
from .account import Account
from .one_off import OneOffArgs, OneOffTask
from .sharded_database import ShardedDatabase

BOOTSTRAP_TYPE = "webstack:aws:DatabaseBootstrap"
#: The Docker official client images on Amazon ECR Public, per engine (the default of
#: webstack:app.databaseRoles.clientImage).
CLIENT_IMAGES = {
    "postgres": "public.ecr.aws/docker/library/postgres:{version}-alpine",
    "mysql": "public.ecr.aws/docker/library/mysql:{version}",
}
#: The client images' unprivileged users: postgres (70) in the Alpine image, mysql (999).
CLIENT_USERS = {"postgres": "70:70", "mysql": "999:999"}
ROLES = (APP_ROLE, READER_ROLE)


def client_image(engine: str, version: str, override: str = "") -> str:
    """The pinned image that runs the bootstrap (and, by default, the operations task), for the engine's major
    ``version``."""
    return override or CLIENT_IMAGES[engine].format(version=version)


@dataclass(frozen=True)
class DatabaseBootstrapArgs:
    """Inputs of :class:`DatabaseBootstrap`."""

    account: Account
    """The account and region (ARNs in the bootstrap task's policies)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    secrets_key_arn: pulumi.Input[str]
    """Customer KMS key of the roles' secrets."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the bootstrap task's log group."""
    engine: str = "postgres"
    """The databases' engine, ``postgres`` or ``mysql`` (the roles' SQL and the client image follow it)."""
    engine_version: str = ""
    """The databases' major version; empty: the engine's default (postgres 16, mysql 8.0)."""
    port: int = 0
    """The port the databases listen on; 0: the engine's default (5432 or 3306)."""
    database_name: str = "app"
    """The database the roles are granted on."""
    shards: int = 1
    """How many shards (each gets its own roles and secrets)."""
    log_retention_days: int = 30
    """Days CloudWatch keeps the bootstrap task's logs."""
    image: str = ""
    """The client image, pinned; empty: :func:`client_image`."""

    @property
    def effective_version(self) -> str:
        return self.engine_version or ENGINE_VERSIONS[self.engine][0]

    @property
    def effective_port(self) -> int:
        return self.port or (5432 if self.engine == "postgres" else 3306)


class DatabaseBootstrap(pulumi.ComponentResource):
    """The roles' secrets and the bootstrap task of every shard. Built in three steps, because the shard map names
    the secrets before the shards exist and the task needs the cluster: the secrets at construction,
    :meth:`attach` (their values, once the shards are known), :meth:`run_in` (the tasks, once the cluster is)."""

    app_secrets: list[aws.secretsmanager.Secret]
    """Per shard, the application role's secret (what the backend receives)."""
    reader_secrets: list[aws.secretsmanager.Secret]
    """Per shard, the read-only role's secret."""

    def __init__(self, name: str, args: DatabaseBootstrapArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(BOOTSTRAP_TYPE, name, None, opts)
        self._name, self._args = name, args
        self._child = pulumi.ResourceOptions(parent=self)
        self._secrets: list[dict[str, aws.secretsmanager.Secret]] = []
        for index in range(args.shards):
            self._secrets.append(
                {
                    role: aws.secretsmanager.Secret(
                        f"{name}-shard-{index}-{role}-secret",
                        name=f"{args.name_prefix}/database/shard-{index}/{role}",
                        description=f"{args.name_prefix} shard {index}: the {role} role's credentials",
                        kms_key_id=args.secrets_key_arn,
                        recovery_window_in_days=30,
                        tags={"webstack:database-role": role},
                        opts=self._child,
                    )
                    for role in ROLES
                }
            )
        self.app_secrets = [secrets[APP_ROLE] for secrets in self._secrets]
        self.reader_secrets = [secrets[READER_ROLE] for secrets in self._secrets]
        self._log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{args.name_prefix}/ecs/database-bootstrap",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=self._child,
        )
        self._database: ShardedDatabase | None = None
        self._ready: list[list[aws.secretsmanager.SecretVersion]] = []
        self.register_outputs(
            {
                "appSecretArns": [secret.arn for secret in self.app_secrets],
                "readerSecretArns": [secret.arn for secret in self.reader_secrets],
            }
        )

    def attach(self, database: ShardedDatabase) -> None:
        """Write each role's credentials (generated passwords, the shard's endpoint) and the bootstrap's roles."""
        child, args = self._child, self._args
        self._database = database
        for index, (shard, secrets) in enumerate(zip(database.shards, self._secrets, strict=True)):
            label = f"{self._name}-shard-{index}"
            versions: list[aws.secretsmanager.SecretVersion] = []
            for role, secret in secrets.items():
                password = random.RandomPassword(
                    f"{label}-{role}-password",
                    length=32,
                    special=False,
                    min_lower=4,
                    min_upper=4,
                    min_numeric=4,
                    opts=child,
                )
                versions.append(
                    aws.secretsmanager.SecretVersion(
                        f"{label}-{role}-secret-value",
                        secret_id=secret.id,
                        secret_string=pulumi.Output.secret(
                            pulumi.Output.json_dumps(
                                {
                                    "engine": args.engine,
                                    "host": shard.writer_endpoint,
                                    "port": args.effective_port,
                                    "dbname": args.database_name,
                                    "username": role,
                                    "password": password.result,
                                }
                            )
                        ),
                        opts=child,
                    )
                )
            self._ready.append(versions)

    def run_in(
        self,
        cluster: aws.ecs.Cluster,
        subnet_ids: Sequence[pulumi.Input[str]],
        security_group_ids: Sequence[pulumi.Input[str]],
    ) -> list[pulumi.Resource]:
        """The bootstrap task of every shard, in the cluster's private network; returns the runs."""
        args, child = self._args, self._child
        if self._database is None:
            raise ValueError("DatabaseBootstrap.attach(database) must come before run_in(cluster)")
        script = bootstrap_script(args.engine, args.database_name, iam_monitor=True)
        runs: list[pulumi.Resource] = []
        for index, (shard, secrets) in enumerate(zip(self._database.shards, self._secrets, strict=True)):
            label = f"{self._name}-shard-{index}"
            read = [shard.master_secret_arn, *(secret.arn for secret in secrets.values())]
            execution_role = _role(label, "execution", args.account, args.name_prefix, child)
            policy = aws.iam.RolePolicy(
                f"{label}-execution-policy",
                role=execution_role.id,
                policy=pulumi.Output.all(self._log_group.arn, args.secrets_key_arn, *read).apply(
                    lambda values: bootstrap_execution_policy(values[0], values[1], values[2:], args.account)
                ),
                opts=child,
            )
            task_role = _role(label, "task", args.account, args.name_prefix, child)
            task = OneOffTask(
                f"{label}-bootstrap",
                OneOffArgs(
                    account=args.account,
                    family=f"{args.name_prefix}-database-bootstrap-{index}",
                    container="bootstrap",
                    image=client_image(args.engine, args.effective_version, args.image),
                    command=["/bin/sh", "-c", script],
                    cluster_arn=cluster.arn,
                    subnet_ids=subnet_ids,
                    security_group_ids=security_group_ids,
                    execution_role_arn=execution_role.arn,
                    task_role_arn=task_role.arn,
                    log_group_name=self._log_group.name,
                    user=CLIENT_USERS[args.engine],
                    cpu=256,
                    memory=512,
                    environment={"DATABASE_HOST": shard.writer_endpoint, "DATABASE_PORT": str(args.effective_port)},
                    secrets={
                        "MASTER_USERNAME": pulumi.Output.concat(shard.master_secret_arn, ":username::"),
                        "MASTER_PASSWORD": pulumi.Output.concat(shard.master_secret_arn, ":password::"),
                        **{
                            PASSWORD_ENV[role]: pulumi.Output.concat(secret.arn, ":password::")
                            for role, secret in secrets.items()
                        },
                    },
                    timeout_minutes=15,
                    # Again when the script changes, or a role's password does (a rotation: docs/moving-in.md).
                    triggers=[
                        hashlib.sha256(script.encode()).hexdigest(),
                        shard.writer_endpoint,
                        *(version.version_id for version in self._ready[index]),
                    ],
                    wait_for=[shard.urn, policy.urn, *(version.urn for version in self._ready[index])],
                    label=f"database bootstrap, shard {index}",
                ),
                opts=child,
            )
            runs.append(task.run)
        return runs

    @property
    def app_secret_arns(self) -> list[pulumi.Output[str]]:
        return [secret.arn for secret in self.app_secrets]

    @property
    def reader_secret_arns(self) -> list[pulumi.Output[str]]:
        return [secret.arn for secret in self.reader_secrets]


def _role(label: str, kind: str, account: Account, prefix: str, opts: pulumi.ResourceOptions) -> aws.iam.Role:
    # Named like the web tier's roles (web-*-execution-role-*, web-*-task-role-*): the deploy role manages and
    # passes exactly those.
    return aws.iam.Role(
        f"web-{label.replace('database-', 'db-')}-{kind}-role",
        description=f"{prefix}: {'starts' if kind == 'execution' else 'runs as'} the database bootstrap of {label}",
        assume_role_policy=account.trust_policy("ecs-tasks", source_arn=account.arn("ecs", "*")),
        opts=opts,
    )


def bootstrap_execution_policy(log_group_arn: str, key_arn: str, secret_arns: Sequence[str], account: Account) -> str:
    """Write the bootstrap's logs; read the master secret and the roles' secrets, through Secrets Manager only."""
    statements = [
        {
            "Sid": "WriteTheBootstrapsLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
        {
            "Sid": "ReadTheMasterAndRoleSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": sorted(set(secret_arns)),
        },
        {
            "Sid": "DecryptThemThroughSecretsManager",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": key_arn,
            "Condition": {"StringEquals": {"kms:ViaService": f"secretsmanager.{account.region}.{account.dns_suffix}"}},
        },
    ]
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)
