"""Operator access on aws: an opt-in, audited way into the private data tier, with no SSH and no open port
(``webstack:app.operations``).

When enabled:

- an **operations task definition** (``<prefix>-operations``): a database client image in the app subnets with the
  app security group, so it reaches exactly what the backend reaches; it signs in to the shards as the read-only
  role (its credentials arrive as ECS secrets) and runs nothing but a shell that waits. Its root filesystem stays
  read-only: ECS Exec's agent writes only to ``/managed-agents``, ``/var/lib/amazon/ssm`` and
  ``/var/log/amazon/ssm``, which get scratch volumes of their own (aws/containers-roadmap#1359). No service runs it:
  an operator starts one task when needed, and stops it after.
- an **operator role**, assumable only by ``trustedPrincipalArns``, that may start that task family in the
  stack's cluster (and pass its two roles to ECS), open ECS Exec sessions in tasks tagged
  ``webstack:purpose=operations`` only, in their ``operations`` container only, and stop them. No service has ECS
  Exec (the policy pack keeps refusing it), so no other task can be entered.
- every session is logged by the cluster to the encrypted log group :func:`session_log_group` creates (kept
  ``sessionLogDays``): every command and its output.

Sources: Amazon ECS developer guide, "Monitor Amazon ECS containers with ECS Exec" (the task role's
``ssmmessages`` and logging permissions, ``ecs:ExecuteCommand`` with ``ecs:container-name`` and
``aws:ResourceTag`` conditions, the cluster's ``executeCommandConfiguration``).
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .account import Account

OPERATIONS_TYPE = "webstack:aws:Operations"
CONTAINER = "operations"
PURPOSE_TAG = "webstack:purpose"
PURPOSE = "operations"
#: Where ECS Exec's managed agent writes inside the container (the root filesystem stays read-only).
AGENT_PATHS = {"agent": "/managed-agents", "ssm-lib": "/var/lib/amazon/ssm", "ssm-log": "/var/log/amazon/ssm"}
#: A shell that waits until the operator stops the task (every client image has sh and sleep).
IDLE_COMMAND = ["/bin/sh", "-c", "trap 'exit 0' TERM INT; while :; do sleep 60 & wait $!; done"]


def session_log_group(
    name: str, name_prefix: str, logs_key_arn: pulumi.Input[str], days: int, opts: pulumi.ResourceOptions
) -> aws.cloudwatch.LogGroup:
    """The encrypted log group that records every operator session."""
    return aws.cloudwatch.LogGroup(
        name,
        name=f"/{name_prefix}/ecs/operator-sessions",
        retention_in_days=days,
        kms_key_id=logs_key_arn,
        opts=opts,
    )


@dataclass(frozen=True)
class OperationsArgs:
    """Inputs of :class:`Operations`."""

    account: Account
    """The account and region (ARNs in the roles' policies, the awslogs region)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    cluster: aws.ecs.Cluster
    """The ECS cluster the operations task runs in (its ECS Exec sessions are logged)."""
    session_logs: aws.cloudwatch.LogGroup
    """The encrypted log group every ECS Exec session (each command and its output) is written to."""
    image: str
    """The operators' client image (a database client), pinned."""
    user: str
    """The numeric uid:gid the task runs as (never root)."""
    trusted_principal_arns: Sequence[str]
    """Who may assume the operator role (IAM users or roles, each named)."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the task's log group."""
    secrets_key_arn: pulumi.Input[str]
    """Customer KMS key of the read-only role's secrets, used through Secrets Manager only."""
    reader_secret_arns: Sequence[pulumi.Input[str]]
    """The read-only role's secret per shard; the task receives shard 0's and may read the others."""
    database_hosts: Sequence[pulumi.Input[str]]
    """Every shard's writer endpoint."""
    database_port: int
    """The port the databases listen on."""
    database_name: str
    """The database the operators connect to."""
    log_retention_days: int = 30
    """Days CloudWatch keeps the task's own logs."""


class Operations(pulumi.ComponentResource):
    """The operations task definition and the operator role."""

    task_definition: aws.ecs.TaskDefinition
    operator_role: aws.iam.Role

    def __init__(self, name: str, args: OperationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(OPERATIONS_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = args.account
        family = f"{args.name_prefix}-operations"
        logs = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{args.name_prefix}/ecs/operations",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=child,
        )
        trust = account.trust_policy("ecs-tasks", source_arn=account.arn("ecs", "*"))
        execution_role = aws.iam.Role(
            f"web-{name}-execution-role",
            description=f"{args.name_prefix}: starts the operations task",
            assume_role_policy=trust,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.id,
            policy=pulumi.Output.all(logs.arn, args.secrets_key_arn, *args.reader_secret_arns).apply(
                lambda v: _policy(_log_and_secret_statements(v[0], v[1], v[2:], account))
            ),
            opts=child,
        )
        task_role = aws.iam.Role(
            f"web-{name}-task-role",
            description=f"{args.name_prefix}: runs as the operations task (ECS Exec sessions)",
            assume_role_policy=trust,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-task-policy",
            role=task_role.id,
            policy=pulumi.Output.all(args.session_logs.arn, args.secrets_key_arn, *args.reader_secret_arns).apply(
                lambda v: _policy(exec_session_statements(v[0]) + _secret_statements(v[2:], v[1], account))
            ),
            opts=child,
        )
        volumes = [aws.ecs.TaskDefinitionVolumeArgs(name=volume) for volume in ("tmp", *AGENT_PATHS)]
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=family,
            cpu="256",
            memory="512",
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=volumes,
            container_definitions=pulumi.Output.all(
                logs.name, pulumi.Output.all(*args.database_hosts), *args.reader_secret_arns
            ).apply(lambda v: json.dumps([self._container(args, v[0], v[1], v[2])])),
            tags={PURPOSE_TAG: PURPOSE},
            opts=child,
        )
        self.operator_role = aws.iam.Role(
            f"web-{name}-operator-role",
            description=f"{args.name_prefix}: operators start the operations task and open audited sessions in it",
            assume_role_policy=json.dumps(operator_trust_policy(args.trusted_principal_arns), sort_keys=True),
            max_session_duration=3600,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-operator-policy",
            role=self.operator_role.id,
            policy=pulumi.Output.all(args.cluster.arn, args.cluster.name, execution_role.arn, task_role.arn).apply(
                lambda v: _policy(operator_statements(v[0], v[1], family, [v[2], v[3]], account))
            ),
            opts=child,
        )
        self.register_outputs({"family": family, "operatorRoleArn": self.operator_role.arn})

    @staticmethod
    def _container(args: OperationsArgs, log_group: str, hosts: list[str], reader_arn: str) -> dict[str, Any]:
        mounts = [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
        mounts += [
            {"sourceVolume": volume, "containerPath": path, "readOnly": False} for volume, path in AGENT_PATHS.items()
        ]
        return {
            "name": CONTAINER,
            "image": args.image,
            "essential": True,
            "command": IDLE_COMMAND,
            "user": args.user,
            "readonlyRootFilesystem": True,
            "privileged": False,
            "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
            "environment": [
                {"name": "DATABASE_HOSTS", "value": ",".join(hosts)},
                {"name": "DATABASE_NAME", "value": args.database_name},
                {"name": "DATABASE_PORT", "value": str(args.database_port)},
            ],
            "secrets": [
                {"name": "DATABASE_READER_USER", "valueFrom": f"{reader_arn}:username::"},
                {"name": "DATABASE_READER_PASSWORD", "valueFrom": f"{reader_arn}:password::"},
            ],
            "mountPoints": mounts,
            "logConfiguration": {
                "logDriver": "awslogs",
                "options": {
                    "awslogs-group": log_group,
                    "awslogs-region": args.account.region,
                    "awslogs-stream-prefix": CONTAINER,
                },
            },
        }


def _policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def operator_trust_policy(principals: Sequence[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NamedOperatorsOnly",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(principals)},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def operator_statements(
    cluster_arn: str, cluster_name: str, family: str, role_arns: Sequence[str], account: Account
) -> list[dict[str, Any]]:
    """Start the operations task in this cluster, enter its container only, stop it; nothing else."""
    tasks = account.arn("ecs", f"task/{cluster_name}/*")
    return [
        {
            "Sid": "StartTheOperationsTask",
            "Effect": "Allow",
            "Action": "ecs:RunTask",
            "Resource": account.arn("ecs", f"task-definition/{family}:*"),
            "Condition": {"ArnEquals": {"ecs:cluster": cluster_arn}},
        },
        {
            "Sid": "PassItsRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": sorted(role_arns),
            "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}},
        },
        {
            "Sid": "EnterTheOperationsContainerOnly",
            "Effect": "Allow",
            "Action": "ecs:ExecuteCommand",
            "Resource": [cluster_arn, tasks],
            "Condition": {"StringEquals": {"ecs:container-name": CONTAINER, f"aws:ResourceTag/{PURPOSE_TAG}": PURPOSE}},
        },
        {
            # RunTask with --propagate-tags tags the new task, which takes ecs:TagResource on it.
            "Sid": "TagWatchAndStopIt",
            "Effect": "Allow",
            "Action": ["ecs:DescribeTasks", "ecs:ListTasks", "ecs:StopTask", "ecs:TagResource"],
            "Resource": [cluster_arn, tasks],
        },
    ]


def exec_channel_statement() -> dict[str, Any]:
    """ECS Exec's channel, as the task role needs it: the SSM message actions take no resource-level permissions."""
    return {
        "Sid": "EcsExecChannel",
        "Effect": "Allow",
        "Action": [
            "ssmmessages:CreateControlChannel",
            "ssmmessages:CreateDataChannel",
            "ssmmessages:OpenControlChannel",
            "ssmmessages:OpenDataChannel",
        ],
        "Resource": "*",
    }


def exec_session_statements(session_log_group_arn: str) -> list[dict[str, Any]]:
    """The task side of ECS Exec: the SSM message channel and the session log."""
    return [
        exec_channel_statement(),
        {
            "Sid": "WriteTheSessionLog",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
                "logs:PutLogEvents",
            ],
            "Resource": f"{session_log_group_arn}:*",
        },
    ]


def _secret_statements(secret_arns: Sequence[str], key_arn: str, account: Account) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "ReadTheReaderSecrets",
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


def _log_and_secret_statements(
    log_group_arn: str, key_arn: str, secret_arns: Sequence[str], account: Account
) -> list[dict[str, Any]]:
    return [
        {
            "Sid": "WriteTheTasksLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        },
        *_secret_statements(secret_arns, key_arn, account),
    ]
