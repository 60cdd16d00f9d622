"""One-off tasks on aws: a command run to completion inside the private network during ``pulumi up``.

A :class:`OneOffTask` is a Fargate task definition (one locked-down container: non-root, read-only root filesystem
with a ``/tmp`` volume, no capabilities, awslogs into the given log group under the stream prefix of its name) and
a ``pulumi_command`` local Command that runs ``run-task.sh`` (its text; the script ships beside this module):
``aws ecs run-task`` in the app subnets with the app security group and no public IP, polling ``describe-tasks``
until it stops, and failing unless the container exited 0 (it prints the stop reason and the log stream; in GitHub
Actions it writes them to the job summary). The Command runs again whenever one of its ``triggers`` changes (for a
migration: the image and the command), never on an unchanged ``pulumi up``, and not during previews. Whatever
depends on it (the services) waits for it, so a failed task fails the deployment before anything serves the new
version.

The task runs the family's latest revision, which the same update registered before the Command ran.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from ..settings import FARGATE_SIZES
from .account import Account
from .args_errors import invalid

ONE_OFF_TYPE = "webstack:aws:OneOffTask"
#: The script that starts the task and waits for it, shipped inside the package (docs/moving-in.md runs it by hand
#: too). The Command runs its text itself, so it works from whatever directory the command provider runs in (and a
#: change to the runner runs the tasks again, under the new runner).
RUN_TASK_SCRIPT = "run-task.sh"
SCRATCH_VOLUME = "tmp"


@dataclass(frozen=True)
class OneOffArgs:
    """Inputs of :class:`OneOffTask`. The defaults are the locked-down choice: a non-root user, half a vCPU, a
    timeout that fails a stuck run."""

    account: Account
    """The account and region the task runs in (its logs' region)."""
    family: str
    """Task definition family, e.g. ``webstack-prod-backend-migrate``."""
    container: str
    """Container name (also the log stream prefix)."""
    image: pulumi.Input[str]
    """The image to run, pinned (a digest or an immutable tag)."""
    command: Sequence[str]
    """The exec-form command of the container."""
    cluster_arn: pulumi.Input[str]
    """The ECS cluster the task runs in."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The private (app) subnets; the task gets no public IP."""
    security_group_ids: Sequence[pulumi.Input[str]]
    """The task's security groups (the app tier's)."""
    execution_role_arn: pulumi.Input[str]
    """May write the log group and read exactly ``secrets``."""
    task_role_arn: pulumi.Input[str]
    """The role the command runs as."""
    log_group_name: pulumi.Input[str]
    """The CloudWatch log group the container logs into (stream prefix ``container``)."""
    user: str = "1000:1000"
    """User (uid:gid) the container runs as; never root."""
    cpu: int = 512
    """CPU units (a Fargate size: 256, 512, 1024, ...)."""
    memory: int = 1024
    """Memory in MiB, a size Fargate offers with ``cpu``."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain environment variables (nothing secret: those go in ``secrets``)."""
    secrets: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Environment name -> ``valueFrom`` (a secret ARN, or ``<arn>:<json-key>::``)."""
    timeout_minutes: int = 30
    """Minutes the run waits for the task to stop before it stops it and fails the update."""
    triggers: Sequence[pulumi.Input[Any]] = ()
    """What makes it run again (any change); it always runs when created."""
    wait_for: Sequence[pulumi.Input[str]] = ()
    """What must exist (and have run) first: outputs of those resources, best their ``urn`` (known at preview; a
    component's waits for all of its children). The run depends on every resource behind them, as with
    ``depends_on``; their values are not used."""
    label: str = ""
    """How the run's messages name it. Empty: the container's name."""


def validate_one_off_args(args: OneOffArgs) -> None:
    """What ECS would refuse when the task definition is registered, or a container running as root: errors name
    the Args field."""
    if args.user in ("root", "0") or args.user.startswith(("0:", "root:")):
        raise invalid(args, "user", "not be root: the task runs unprivileged", args.user)
    if args.cpu not in FARGATE_SIZES:
        raise invalid(args, "cpu", f"be a Fargate size ({', '.join(map(str, FARGATE_SIZES))})", args.cpu)
    if args.memory not in FARGATE_SIZES[args.cpu]:
        sizes = FARGATE_SIZES[args.cpu]
        steps = f"{sizes[0]}-{sizes[-1]} MiB in steps of {sizes[1] - sizes[0]}"
        rule = f"be a size Fargate offers with cpu {args.cpu} ({steps})"
        raise invalid(args, "memory", rule, args.memory)
    if args.timeout_minutes < 1:
        raise invalid(args, "timeout_minutes", "be at least 1", args.timeout_minutes)
    if not args.command:
        raise invalid(args, "command", "name the command to run", list(args.command))


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
    """The task's definition (the family's latest revision)."""
    run: local.Command
    """The Command that runs the task to completion during ``pulumi up``."""

    def __init__(self, name: str, args: OneOffArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_one_off_args(args)
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
            create=run_task_script(),
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.task_definition, *waiting_for(args.wait_for)]),
        )
        self.register_outputs({"family": args.family, "taskDefinitionArn": self.task_definition.arn})


def waiting_for(outputs: Sequence[pulumi.Input[str]]) -> list[Any]:
    """``depends_on`` items that make a resource wait for the resources behind ``outputs`` and for nothing else: an
    output of None whose resources are theirs (the SDK adds an item's resources to the dependencies:
    pulumi/runtime/_depends_on.py, ``_resolve_depends_on``); the resource's inputs stay as they are."""
    return [pulumi.Output.all(*outputs).apply(lambda _: None)] if outputs else []


def run_task_script() -> str:
    """The text of the runner: package data of this package, read through importlib.resources, so that it is found
    wherever the package is installed."""
    return files(__name__.rpartition(".")[0]).joinpath(RUN_TASK_SCRIPT).read_text()
