"""One web service on aws: an ECS Fargate service behind a load balancer's target group, and what belongs to it alone.

Creates, for the service ``<service>``:

- the image: a pinned reference, or built from source with pulumi-docker and pushed to a private ECR repository
  ``<prefix>/<service>`` (immutable tags, scan on push, KMS encryption, a lifecycle policy), deployed by digest;
- a KMS-encrypted log group ``/<prefix>/ecs/<service>`` with retention, and the task definition (family
  ``<prefix>-<service>``): awsvpc networking, a non-root user, a read-only root filesystem with a writable /tmp
  volume, no privileges and every Linux capability dropped, explicit CPU and memory, awslogs, the guides' container
  health check, NODE_ENV/PYTHON_ENV=production and DEBUG=false, credentials only as ECS ``secrets``; optionally an
  OpenTelemetry metrics collector beside it and its persistent file system mounted;
- separate roles: the execution role may write this service's logs and pull its image (and read its secrets); the
  task role holds only what the application itself needs;
- optionally a migration: a one-off task with the service's image, environment, secrets and roles, run before the
  service changes;
- the service in the given (private) subnets without public IPs: rolling deploys that keep 100 % healthy and may
  double, a circuit breaker that rolls back a failed deploy, a health-check grace period, ECS Exec only when enabled;
- target-tracking autoscaling on CPU and on load-balancer requests per task, between the given bounds.

:class:`~.web_tier.WebTier` composes one per service of the site (``web_tier.py``).
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from ..build_context import context_tag, docker_build
from ..settings import FARGATE_SIZES, RUNTIME_ENVIRONMENT, BuildSettings
from .account import Account
from .args_errors import invalid
from .files import ServiceVolume, mount_statements
from .one_off import OneOffArgs, OneOffTask, waiting_for
from .task_definitions import (
    SCRATCH_VOLUME,
    ContainerShape,
    MetricsCollector,
    SecretRef,
    container_definitions,
    efs_volumes,
    with_volume,
)
from .task_policies import exec_policy, execution_policy, policy, remote_write_policy, task_policy

if TYPE_CHECKING:  # imported when an image is built (see Service._image)
    import pulumi_docker as docker


SERVICE_TYPE = "webstack:aws:Service"


ECS_TASKS = "ecs-tasks"


@dataclass(frozen=True)
class ImageBuildArgs:
    """How to build a service's image from source (pushed to the service's private ECR repository, deployed by
    digest)."""

    context: str
    """Build context directory, relative to the program's directory (inside it)."""
    dockerfile: str = "Dockerfile"
    """Dockerfile path, relative to the context. Default: ``Dockerfile``."""
    target: str = ""
    """Build stage to stop at. Default: empty, the last stage."""
    args: Mapping[str, str] = field(default_factory=dict)
    """Build arguments (never secrets: they end up in the image). Default: none."""


@dataclass(frozen=True)
class ServicePlacementArgs:
    """Where a service runs, and what it shares with the services beside it: a :class:`~.web_tier.WebTier` gives
    its services this."""

    account: Account
    """The account and region (ARNs in the roles' policies, the awslogs region)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    cluster_arn: pulumi.Input[str]
    """The ECS cluster the service runs in."""
    cluster_name: pulumi.Input[str]
    """That cluster's name (the autoscaling target's resource id)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The private subnets of the tasks; they never get a public IP."""
    security_group_id: pulumi.Input[str]
    """The tasks' security group."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the log group."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """The load balancer's ARN suffix (the requests-per-target scaling metric)."""
    images_key_arn: pulumi.Input[str] | None = None
    """Customer KMS key of the ECR repository; required when the image is built. Default: none."""
    secrets_key_arn: pulumi.Input[str] | None = None
    """Customer KMS key of the service's secrets, which its roles may use through Secrets Manager only. Default:
    none."""


@dataclass(frozen=True)
class ServiceArgs:
    """Inputs of :class:`Service`: one ECS Fargate service behind a target group. Every default is the secure (and
    the guides') choice; the target group, the port and (standing alone) the placement have none."""

    target_group_arn: pulumi.Input[str]
    """The load balancer's target group the tasks register in."""
    target_group_arn_suffix: pulumi.Input[str]
    """That target group's ARN suffix (the requests-per-target scaling metric)."""
    port: int
    """Container port the service listens on (1024-65535: it runs as a non-root user)."""
    placement: ServicePlacementArgs | None = None
    """Where it runs: the account, cluster, network and keys. Required when the service stands alone; a WebTier
    places the services it composes (leave it out there). Default: none."""
    service: str = ""
    """The service's short name (``backend``): its container, log group ``/<prefix>/ecs/<service>``, task family
    ``<prefix>-<service>`` and ECR repository ``<prefix>/<service>``. Default: the component's name (in a WebTier,
    the service's key)."""
    image: str = ""
    """Image to run, pinned by tag or digest. Set this or ``build``. Default: empty."""
    build: ImageBuildArgs | None = None
    """Build the image from source instead, into a private ECR repository. Default: none."""
    cpu: int = 512
    """vCPU units per task (a Fargate size). Default: 512."""
    memory: int = 1024
    """Memory per task in MiB (a size Fargate offers for the cpu). Default: 1024."""
    desired_count: int = 2
    """Tasks to start with; autoscaling owns the count afterwards. Default: 2."""
    min_count: int = 2
    """Fewest tasks autoscaling keeps. Default: 2."""
    max_count: int = 6
    """Most tasks autoscaling starts. Default: 6."""
    user: str = "1000:1000"
    """User (uid:gid) the container runs as; never root. Default: ``1000:1000``."""
    health_check_path: str = "/health"
    """Path the container's health check probes. Default: ``/health``."""
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Plain environment variables (never credentials: those go in ``secrets``); NODE_ENV, PYTHON_ENV (production)
    and DEBUG (false) are always set. Default: none."""
    secrets: Mapping[str, SecretRef] = field(default_factory=dict)
    """Environment name -> secret, handed to the container as ECS secrets (never as plain values). Default: none."""
    readable_secret_arns: Sequence[pulumi.Input[str]] = ()
    """Secrets the application may read at run time through its task role (to follow rotations without a
    restart). Default: none."""
    readable_parameter_arns: Sequence[pulumi.Input[str]] = ()
    """SSM parameters the application may read at run time through its task role. Default: none."""
    collector: MetricsCollector | None = None
    """A metrics collector in the task (it takes 128 CPU units and 256 MiB of the task's size). Default: none."""
    volume: ServiceVolume | None = None
    """A persistent file system mounted in the container. Default: none."""
    migration_command: Sequence[str] = ()
    """A one-off command run with the service's image before each new version serves. Default: none."""
    migration_timeout_minutes: int = 30
    """Minutes the migration may take before the deployment fails. Default: 30."""
    exec_enabled: bool = False
    """Allow ECS Exec into the running tasks. Default: off."""
    log_retention_days: int = 30
    """Days CloudWatch keeps the container logs. Default: 30."""
    cpu_target: int = 70
    """Average CPU percentage autoscaling holds. Default: 70."""
    requests_per_target: int = 1000
    """Load-balancer requests per task per minute autoscaling holds. Default: 1000."""
    wait_for: Sequence[pulumi.Input[str]] = ()
    """Outputs of what must exist before the service (and its migration) starts, e.g. the ARNs of the listeners
    that forward to the target group; only their resources count, not their values. Default: none."""
    protect: bool = False
    """Protect the image repository from deletion by Pulumi. Default: off."""
    moved_from: pulumi.Input[str] | None = None
    """URN of the component the service's resources were children of before, under the same names (webstack's
    ``WebTier`` built them itself before it composed services): each gets an alias under it, so the move keeps them.
    Default: none."""


def validate_service_args(args: ServiceArgs) -> ServicePlacementArgs:
    """What ECS would refuse at deploy time, or what would make the service unsafe; errors name the Args field.
    Returns the placement."""
    if bool(args.image) == (args.build is not None):
        raise invalid(args, "image", "name the image to run unless build is set (one of the two)", args.image)
    if args.image and not _pinned(args.image):
        raise invalid(args, "image", "be pinned by tag or digest, never latest", args.image)
    if args.placement is None:
        raise invalid(args, "placement", "be set: the account, cluster, network and keys the service runs with", None)
    if args.build is not None and args.placement.images_key_arn is None:
        raise invalid(args, "placement", "name images_key_arn when build is set", None)
    if not 1024 <= args.port <= 65535:
        raise invalid(args, "port", "be between 1024 and 65535 (the service runs as a non-root user)", args.port)
    if args.user in ("root", "0") or args.user.startswith("0:"):
        raise invalid(args, "user", "not be root", args.user)
    if args.cpu not in FARGATE_SIZES:
        raise invalid(args, "cpu", f"be a Fargate size ({', '.join(map(str, FARGATE_SIZES))})", args.cpu)
    if args.memory not in FARGATE_SIZES[args.cpu]:
        raise invalid(args, "memory", f"be a size Fargate offers with cpu {args.cpu}", args.memory)
    if not 1 <= args.min_count <= args.desired_count <= args.max_count:
        raise invalid(args, "desired_count", "lie between min_count and max_count (at least 1)", args.desired_count)
    if args.collector is not None and (args.cpu <= 128 or args.memory <= 256):
        raise invalid(args, "cpu", "leave room for the metrics collector (128 CPU units, 256 MiB)", args.cpu)
    return args.placement


def _pinned(image: str) -> bool:
    """``name:tag`` (not ``latest``) or ``name@sha256:...``: the tag is the part after the last ``/``."""
    if "@" in image:
        return True
    _, _, tag = image.rpartition("/")[2].partition(":")
    return bool(tag) and tag != "latest"


class Service(pulumi.ComponentResource):
    """One ECS Fargate service with its task definition, image, logs, roles, migration and autoscaling."""

    service: aws.ecs.Service
    """The ECS service."""
    task_definition: aws.ecs.TaskDefinition
    """Its task definition."""
    task_role: aws.iam.Role
    """The role the application runs as."""
    execution_role: aws.iam.Role
    """The role ECS starts the tasks with."""
    log_group: aws.cloudwatch.LogGroup
    """The container logs."""

    def __init__(self, name: str, args: ServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(SERVICE_TYPE, name, None, opts)
        self._at = validate_service_args(args)
        self._name, self._args, self._label = name, args, args.service or name
        self.repository: aws.ecr.Repository | None = None
        self.migration: OneOffTask | None = None
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{self._at.name_prefix}/ecs/{self._label}",
            retention_in_days=args.log_retention_days,
            kms_key_id=self._at.logs_key_arn,
            opts=self._child(),
        )
        image_ref: pulumi.Input[str] = args.image
        if args.build is not None:
            self.repository = self._repository(self._at.images_key_arn)
            image_ref = self._image(args.build, self.repository).repo_digest
        self.execution_role = self._role(f"{name}-execution-role", f"starts the {self._label} tasks")
        self.task_role = self._role(f"{name}-task-role", f"runs as the {self._label} application")
        role_policies = self._role_policies()
        self.task_definition = self._task_definition(image_ref)
        after = waiting_for(args.wait_for)
        gates: list[Any] = list(after)
        if args.migration_command:
            self.migration = self._migration(image_ref)
            gates.append(self.migration.run)
        single_writer = args.volume is not None and args.volume.single_writer
        self.service = aws.ecs.Service(
            f"{name}-service",
            cluster=self._at.cluster_arn,
            task_definition=self.task_definition.arn,
            desired_count=args.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(self._at.subnet_ids), security_groups=[self._at.security_group_id], assign_public_ip=False
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=args.target_group_arn, container_name=self._label, container_port=args.port
                )
            ],
            health_check_grace_period_seconds=60,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            # One writer at a time: the old task stops before the new one starts.
            deployment_minimum_healthy_percent=0 if single_writer else 100,
            deployment_maximum_percent=100 if single_writer else 200,
            availability_zone_rebalancing="ENABLED",
            enable_execute_command=args.exec_enabled,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=True,
            # IAM is eventually consistent: the service waits for every policy of its roles, or its first tasks may
            # start before the execution role may pull the image and read the secrets. Autoscaling owns the task
            # count once the service exists.
            opts=self._child(depends_on=[*gates, *role_policies], ignore_changes=["desiredCount"]),
        )
        self._autoscaling()
        self.register_outputs(
            {
                "serviceName": self.service.name,
                "taskDefinitionArn": self.task_definition.arn,
                "taskRoleArn": self.task_role.arn,
                "logGroupName": self.log_group.name,
            }
        )

    def _child(self, **options: Any) -> pulumi.ResourceOptions:
        """Options of a child: under this service and, when it moved here, aliased under its old parent."""
        moved_from = self._args.moved_from
        aliases = [pulumi.Alias(parent=moved_from)] if moved_from is not None else None
        return pulumi.ResourceOptions(parent=self, aliases=aliases, **options)

    def _role_policies(self) -> list[aws.iam.RolePolicy]:
        args, name = self._args, self._name
        role_policies: list[aws.iam.RolePolicy] = []

        def role_policy(logical: str, role: aws.iam.Role, document: pulumi.Input[str]) -> None:
            role_policies.append(aws.iam.RolePolicy(logical, role=role.id, policy=document, opts=self._child()))

        role_policy(
            f"{name}-execution-policy",
            self.execution_role,
            pulumi.Output.from_input(
                {
                    "logs": self.log_group.arn,
                    "repository": self.repository.arn if self.repository else None,
                    "secrets": [ref.arn for ref in args.secrets.values()],
                    "key": self._at.secrets_key_arn,
                }
            ).apply(lambda v: execution_policy(v, self._at.account)),
        )
        if args.readable_secret_arns or args.readable_parameter_arns:
            role_policy(
                f"{name}-task-access",
                self.task_role,
                pulumi.Output.from_input(
                    {
                        "secrets": list(args.readable_secret_arns),
                        "parameters": list(args.readable_parameter_arns),
                        "key": self._at.secrets_key_arn,
                    }
                ).apply(lambda v: task_policy(v, self._at.account)),
            )
        if args.exec_enabled:
            role_policy(f"{name}-task-exec", self.task_role, json.dumps(exec_policy(), sort_keys=True))
        volume = args.volume
        if volume is not None:
            role_policy(
                f"{name}-task-files",
                self.task_role,
                pulumi.Output.all(
                    file_system_arn=volume.file_system_arn, access_point_arn=volume.access_point_arn
                ).apply(lambda v: policy(mount_statements(v))),
            )
        if args.collector is not None:
            role_policy(
                f"{name}-task-metrics",
                self.task_role,
                pulumi.Output.from_input(args.collector.workspace_arn).apply(remote_write_policy),
            )
        return role_policies

    def _task_definition(self, image: pulumi.Input[str]) -> aws.ecs.TaskDefinition:
        args, collector, volume = self._args, self._args.collector, self._args.volume
        secret_values = {
            key: pulumi.Output.all(ref.arn, ref.version_id or "").apply(
                lambda values, ref=ref: ref.value_from(values[0], values[1])
            )
            for key, ref in args.secrets.items()
        }
        container = ContainerShape(
            port=args.port, cpu=args.cpu, memory=args.memory, user=args.user, health_check_path=args.health_check_path
        )
        return aws.ecs.TaskDefinition(
            f"{self._name}-task",
            family=f"{self._at.name_prefix}-{self._label}",
            cpu=str(args.cpu),
            memory=str(args.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=self.execution_role.arn,
            task_role_arn=self.task_role.arn,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=SCRATCH_VOLUME), *efs_volumes(volume)],
            container_definitions=pulumi.Output.from_input(
                {
                    "image": image,
                    "log_group": self.log_group.name,
                    "environment": dict(args.environment),
                    "secrets": secret_values,
                    "remote_write_url": collector.remote_write_url if collector else None,
                }
            ).apply(
                lambda v: with_volume(
                    container_definitions(self._label, container, v, self._at.account.region, collector), volume
                )
            ),
            opts=self._child(),
        )

    def _migration(self, image: pulumi.Input[str]) -> OneOffTask:
        """The migration: the service's image, environment, secrets and roles, the migration's command, in the
        service's log group (stream prefix ``migrate``)."""
        args = self._args
        return OneOffTask(
            f"{self._name}-migrate",
            OneOffArgs(
                account=self._at.account,
                family=f"{self._at.name_prefix}-{self._label}-migrate",
                container="migrate",
                image=image,
                command=list(args.migration_command),
                cluster_arn=self._at.cluster_arn,
                subnet_ids=self._at.subnet_ids,
                security_group_ids=[self._at.security_group_id],
                execution_role_arn=self.execution_role.arn,
                task_role_arn=self.task_role.arn,
                log_group_name=self.log_group.name,
                user=args.user,
                cpu=args.cpu,
                memory=args.memory,
                environment={**args.environment, **RUNTIME_ENVIRONMENT},
                secrets={
                    key: pulumi.Output.from_input(ref.arn).apply(lambda arn, ref=ref: ref.value_from(arn))
                    for key, ref in args.secrets.items()
                },
                timeout_minutes=args.migration_timeout_minutes,
                triggers=[image, json.dumps(list(args.migration_command))],
                wait_for=list(args.wait_for),
                label="migration",
            ),
            opts=self._child(),
        )

    def _role(self, name: str, purpose: str) -> aws.iam.Role:
        account = self._at.account
        return aws.iam.Role(
            name,
            description=f"{self._at.name_prefix}: {purpose}",
            assume_role_policy=account.trust_policy(ECS_TASKS, source_arn=account.arn("ecs", "*")),
            opts=self._child(),
        )

    def _repository(self, key_arn: pulumi.Input[str] | None) -> aws.ecr.Repository:
        args, name = self._args, self._name
        repository = aws.ecr.Repository(
            f"{name}-images",
            name=f"{self._at.name_prefix}/{self._label}",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=key_arn)
            ],
            force_delete=False,
            opts=self._child(protect=args.protect),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-images-lifecycle",
            repository=repository.name,
            policy=json.dumps(IMAGE_LIFECYCLE, sort_keys=True),
            opts=self._child(),
        )
        return repository

    def _image(self, build: ImageBuildArgs, repository: aws.ecr.Repository) -> "docker.Image":
        import pulumi_docker as docker  # only services that build their images need the Docker SDK

        settings = BuildSettings(
            context=build.context, dockerfile=build.dockerfile, target=build.target, args=dict(build.args)
        )
        credentials = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        return docker.Image(
            f"{self._name}-image",
            image_name=pulumi.Output.concat(repository.repository_url, ":", context_tag(settings)),
            build=docker_build(settings, platform="linux/amd64"),
            registry=docker.RegistryArgs(
                server=repository.repository_url,
                username=credentials.user_name,
                password=pulumi.Output.secret(credentials.password),
            ),
            opts=self._child(),
        )

    def _autoscaling(self) -> None:
        args, name = self._args, self._name
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self._at.cluster_name, "/", self.service.name),
            min_capacity=args.min_count,
            max_capacity=args.max_count,
            opts=self._child(),
        )
        specification = (
            aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
        )
        metrics = {
            "cpu": (args.cpu_target, specification(predefined_metric_type="ECSServiceAverageCPUUtilization")),
            "requests": (
                args.requests_per_target,
                specification(
                    predefined_metric_type="ALBRequestCountPerTarget",
                    resource_label=pulumi.Output.concat(
                        self._at.load_balancer_arn_suffix, "/", args.target_group_arn_suffix
                    ),
                ),
            ),
        }
        for metric, (value, predefined) in metrics.items():
            aws.appautoscaling.Policy(
                f"{name}-scale-on-{metric}",
                policy_type="TargetTrackingScaling",
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                service_namespace=target.service_namespace,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=value,
                    predefined_metric_specification=predefined,
                    scale_in_cooldown=300,
                    scale_out_cooldown=60,
                ),
                opts=self._child(),
            )


#: Untagged images go after a week; the 30 newest tagged images stay (rollbacks).
IMAGE_LIFECYCLE = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "expire untagged images after 7 days",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 7,
            },
            "action": {"type": "expire"},
        },
        {
            "rulePriority": 2,
            "description": "keep the 30 newest images",
            "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30},
            "action": {"type": "expire"},
        },
    ]
}
