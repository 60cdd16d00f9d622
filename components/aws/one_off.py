"""One-off tasks on aws: a command run to completion inside the private network during ``pulumi up``.

A :class:`OneOffTask` is a Fargate task definition (one locked-down container: non-root, read-only root filesystem
with a ``/tmp`` volume, no capabilities, awslogs into the given log group under the stream prefix of its name) and
a ``pulumi_command`` local Command that runs ``scripts/run-task.sh`` (its text): ``aws ecs run-task`` in the app
subnets with the app security group and no public IP, polling ``describe-tasks`` until it stops, and failing unless
the container exited 0 (it prints the stop reason and the log stream; in GitHub Actions it writes them to the job
summary). The Command runs again whenever one of its ``triggers`` changes (for a migration: the image and the
command), never on an unchanged ``pulumi up``, and not during previews. Whatever depends on it (the services) waits
for it, so a failed task fails the deployment before anything serves the new version.

The task runs the family's latest revision, which the same update registered before the Command ran.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from .account import Account

ONE_OFF_TYPE = "webstack:aws:OneOffTask"
#: The runner, as text: the Command runs it itself, so it works from whatever directory the command provider runs in
#: (and a change to the runner runs the tasks again, under the new runner).
#: The script that starts the task and waits for it (the repository's scripts/run-task.sh, which docs/moving-in.md
#: runs by hand too). Read when a task is built, not when the module loads: the installed package, which does not
#: ship scripts/, must still import.
RUN_TASK_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "run-task.sh"
SCRATCH_VOLUME = "tmp"


@dataclass(frozen=True)
class OneOffArgs:
    """Inputs of :class:`OneOffTask`."""

    account: Account
    family: str
    """Task definition family, e.g. ``webstack-prod-backend-migrate``."""
    container: str
    """Container name (also the log stream prefix)."""
    image: pulumi.Input[str]
    command: Sequence[str]
    """The exec-form command of the container."""
    cluster_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_ids: Sequence[pulumi.Input[str]]
    execution_role_arn: pulumi.Input[str]
    """May write the log group and read exactly ``secrets``."""
    task_role_arn: pulumi.Input[str]
    log_group_name: pulumi.Input[str]
    user: str = "1000:1000"
    cpu: int = 512
    memory: int = 1024
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment name -> ``valueFrom`` (a secret ARN, or ``<arn>:<json-key>::``)."""
    timeout_minutes: int = 30
    triggers: Sequence[pulumi.Input[Any]] = ()
    """What makes it run again (any change); it always runs when created."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What must exist (and have run) first."""
    label: str = ""
    """How the run's messages name it."""


def one_off_container(
    name: str,
    *,
    image: str,
    command: Sequence[str],
    user: str,
    cpu: int,
    memory: int,
    log_group: str,
    region: str,
    environment: Mapping[str, str],
    secrets: Mapping[str, str],
) -> dict[str, Any]:
    """The container of a one-off task in the ECS API's shape: as locked down as a service's, without a port or a
    health check (it is meant to exit)."""
    return {
        "name": name,
        "image": image,
        "essential": True,
        "command": list(command),
        "cpu": cpu,
        "memory": memory,
        "user": user,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "environment": [{"name": key, "value": value} for key, value in sorted(environment.items())],
        "secrets": [{"name": key, "valueFrom": value} for key, value in sorted(secrets.items())],
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": "/tmp", "readOnly": False}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group, "awslogs-region": region, "awslogs-stream-prefix": name},
        },
        "stopTimeout": 30,
    }


class OneOffTask(pulumi.ComponentResource):
    """A task definition and the Command that runs it to completion."""

    task_definition: aws.ecs.TaskDefinition
    run: local.Command

    def __init__(self, name: str, args: OneOffArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ONE_OFF_TYPE, name, None, opts)
        region = args.account.region
        self.task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=args.family,
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=args.execution_role_arn,
            task_role_arn=args.task_role_arn,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=SCRATCH_VOLUME)],
            container_definitions=pulumi.Output.all(
                image=args.image,
                log_group=args.log_group_name,
                environment=pulumi.Output.from_input(dict(args.environment)),
                secrets=pulumi.Output.from_input(dict(args.secrets)),
            ).apply(
                lambda v: json.dumps(
                    [
                        one_off_container(
                            args.container,
                            image=v["image"],
                            command=args.command,
                            user=args.user,
                            cpu=args.cpu,
                            memory=args.memory,
                            log_group=v["log_group"],
                            region=region,
                            environment=v["environment"],
                            secrets=v["secrets"],
                        )
                    ]
                )
            ),
            tags={"webstack:purpose": "one-off"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.run = local.Command(
            f"{name}-run",
            create=RUN_TASK_SCRIPT.read_text(),
            environment={
                "CLUSTER": args.cluster_arn,
                "TASK_DEFINITION": args.family,
                "CONTAINER": args.container,
                "SUBNETS": pulumi.Output.all(*args.subnet_ids).apply(lambda ids: ",".join(ids)),
                "SECURITY_GROUPS": pulumi.Output.all(*args.security_group_ids).apply(lambda ids: ",".join(ids)),
                "TIMEOUT_SECONDS": str(args.timeout_minutes * 60),
                "LOG_GROUP": args.log_group_name,
                "AWS_REGION": region,
                "LABEL": args.label or args.container,
            },
            triggers=list(args.triggers),
            logging=local.Logging.STDOUT_AND_STDERR,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.task_definition, *args.depends_on]),
        )
        self.register_outputs({"family": args.family, "taskDefinitionArn": self.task_definition.arn})
