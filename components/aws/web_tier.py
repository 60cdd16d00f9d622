"""The web tier on aws: the frontend and backend as ECS Fargate services behind the load balancer.

Creates an ECS cluster with Container Insights and, per service:

- the image: a pinned reference from settings, or built from source with pulumi-docker and pushed to a private
  ECR repository (immutable tags, scan on push, KMS encryption, a lifecycle policy), deployed by digest;
- a KMS-encrypted log group with retention, and the task definition: awsvpc networking, a non-root user, a
  read-only root filesystem with a writable /tmp volume, no privileges and every Linux capability dropped, explicit
  CPU and memory, awslogs, the guides' container health check (curl /health every 30 s, 10 s timeout, 3 retries,
  40 s start period), NODE_ENV/PYTHON_ENV=production and DEBUG=false, credentials only as ECS ``secrets``;
- separate roles: the execution role may write this service's logs and pull its image (and read its secrets);
  the task role holds only what the application itself needs;
- the service in the app subnets without public IPs: rolling deploys that keep 100 % healthy and may double,
  a circuit breaker that rolls back a failed deploy, a health-check grace period, and ECS Exec only when enabled;
- target-tracking autoscaling on CPU and on load-balancer requests per task, between the configured bounds.

After the services, a smoke test (pulumi-command) fetches ``https://<domain>/health`` through the load balancer,
with retries, whenever a task definition changes; if it fails, the update fails.
"""

import json
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from ..build_context import context_tag, docker_build
from ..settings import RUNTIME_ENVIRONMENT, BuildSettings, ServiceSettings, WebSettings
from .account import Account
from .files import ServiceVolume, mount_statements
from .one_off import OneOffArgs, OneOffTask
from .task_definitions import (
    SCRATCH_VOLUME,
    MetricsCollector,
    SecretRef,
    container_definitions,
    efs_volumes,
    with_volume,
)
from .task_policies import exec_policy, execution_policy, policy, remote_write_policy, task_policy

if TYPE_CHECKING:  # imported when an image is built (see WebTier._image)
    import pulumi_docker as docker


WEB_TIER_TYPE = "webstack:aws:WebTier"


ECS_TASKS = "ecs-tasks"


@dataclass(frozen=True)
class ServiceAccess:
    """What a service's application may read at run time, through its task role; nothing else."""

    secret_arns: Sequence[pulumi.Input[str]] = ()
    """Secrets it may read (to follow rotations without a restart)."""
    parameter_arns: Sequence[pulumi.Input[str]] = ()
    """SSM parameters it may read (the shard map)."""


@dataclass(frozen=True)
class Migration:
    """The backend's one-off command before each new version serves (``webstack:app.migration``)."""

    command: Sequence[str]
    timeout_minutes: int = 30


@dataclass(frozen=True)
class ExecSessionLogging:
    """Where the cluster logs ECS Exec sessions (every command and its output): an encrypted log group."""

    log_group_name: pulumi.Input[str]


@dataclass(frozen=True)
class WebTierArgs:
    """Inputs of :class:`WebTier`."""

    account: Account
    """The account and region (ARNs in the roles' policies, the awslogs region)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    domain: str
    """The site's domain (the smoke test's URL)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The app (private) subnets."""
    security_group_id: pulumi.Input[str]
    """The ``app`` security group."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the log groups."""
    images_key_arn: pulumi.Input[str]
    """Customer KMS key of the ECR repositories (when images are built)."""
    target_groups: Mapping[str, aws.lb.TargetGroup]
    """The load balancer's target group per service."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """For the requests-per-target scaling metric."""
    load_balancer_dns_name: pulumi.Input[str] | None
    """Where the smoke test connects; None: through the domain's public DNS (the CDN, when the origin admits the CDN
    only)."""
    listeners: Sequence[pulumi.Resource] = ()
    """Listeners and rules the services wait for."""
    smoke_test_after: Sequence[pulumi.Resource] = ()
    """What else must exist before the smoke test can reach the site (the CDN's DNS records)."""
    web: WebSettings = field(default_factory=WebSettings)
    """Services (image or build, sizes, counts, user, environment), log retention, autoscaling, ECS Exec and the
    smoke test. Defaults: the guides' sizes and counts, ECS Exec off, the smoke test on."""
    environment: Mapping[str, Mapping[str, pulumi.Input[str]]] = field(default_factory=dict)
    """Per service, more plain environment variables computed by the program (endpoints, ports, names)."""
    secrets: Mapping[str, Mapping[str, SecretRef]] = field(default_factory=dict)
    """Per service, environment name -> secret, handed to the container as ECS secrets (never as plain values)."""
    access: Mapping[str, ServiceAccess] = field(default_factory=dict)
    """Per service, what the application itself may read at run time (its task role)."""
    secrets_key_arn: pulumi.Input[str] | None = None
    """Customer KMS key of those secrets, which the roles may use through Secrets Manager only."""
    collectors: Mapping[str, MetricsCollector] = field(default_factory=dict)
    """Per service, a metrics collector in its task (it takes 128 CPU units and 256 MiB of the task's size)."""
    protect: bool = False
    """Protect the image repositories from deletion by Pulumi."""
    prepare: Callable[[aws.ecs.Cluster], Sequence[pulumi.Resource]] | None = None
    """Called with the cluster before any service is created; the services wait for what it returns (the database
    bootstrap's runs)."""
    migration: Migration | None = None
    """The backend's migration, run as a one-off task before the backend service changes."""
    volumes: Mapping[str, ServiceVolume] = field(default_factory=dict)
    """Per service, its persistent file system."""
    exec_logging: ExecSessionLogging | None = None
    """Log ECS Exec sessions of the cluster (the operations task's) to this log group."""


class WebTier(pulumi.ComponentResource):
    """The ECS cluster and the two services."""

    cluster: aws.ecs.Cluster
    services: dict[str, aws.ecs.Service]
    task_definitions: dict[str, aws.ecs.TaskDefinition]
    task_roles: dict[str, aws.iam.Role]
    repositories: dict[str, aws.ecr.Repository]

    def __init__(self, name: str, args: WebTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(WEB_TIER_TYPE, name, None, opts)
        self._name, self._args = name, args
        web = args.web
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value=web.container_insights)],
            configuration=_exec_configuration(args.exec_logging),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.services, self.task_definitions, self.task_roles, self.repositories = {}, {}, {}, {}
        self.execution_roles: dict[str, aws.iam.Role] = {}
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {}
        self.migration: OneOffTask | None = None
        self.prepared = list(args.prepare(self.cluster)) if args.prepare is not None else []
        for service, settings in (("frontend", web.frontend), ("backend", web.backend)):
            self._service(service, settings)
        if web.smoke_test.enabled:
            self._smoke_test()
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "serviceNames": {s: svc.name for s, svc in self.services.items()},
                "repositoryUrls": {s: repo.repository_url for s, repo in self.repositories.items()},
            }
        )

    def _service(self, service: str, settings: ServiceSettings) -> None:
        args, web, name = self._args, self._args.web, f"{self._name}-{service}"
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/{args.name_prefix}/ecs/{service}",
            retention_in_days=web.log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        repository = self._repository(service) if settings.build is not None else None
        image = self._image(service, settings.build, repository) if settings.build and repository else None
        image_ref: pulumi.Input[str] = image.repo_digest if image is not None else settings.image
        secrets = dict(args.secrets.get(service, {}))
        secret_arns = {key: ref.arn for key, ref in secrets.items()}
        secret_values = {
            key: pulumi.Output.all(ref.arn, ref.version_id or "").apply(
                lambda values, ref=ref: ref.value_from(values[0], values[1])
            )
            for key, ref in secrets.items()
        }

        execution_role = self._role(f"{name}-execution-role", f"starts the {service} tasks")
        # IAM is eventually consistent: the service waits for every policy of its roles, or its first tasks may start
        # before the execution role may pull the image and read the secrets.
        role_policies: list[aws.iam.RolePolicy] = []

        def role_policy(logical: str, role: aws.iam.Role, policy: pulumi.Input[str]) -> None:
            role_policies.append(
                aws.iam.RolePolicy(logical, role=role.id, policy=policy, opts=pulumi.ResourceOptions(parent=self))
            )

        role_policy(
            f"{name}-execution-policy",
            execution_role,
            pulumi.Output.from_input(
                {
                    "logs": log_group.arn,
                    "repository": repository.arn if repository else None,
                    "secrets": list(secret_arns.values()),
                    "key": args.secrets_key_arn,
                }
            ).apply(lambda v: execution_policy(v, args.account)),
        )
        task_role = self._role(f"{name}-task-role", f"runs as the {service} application")
        access = args.access.get(service, ServiceAccess())
        if access.secret_arns or access.parameter_arns:
            role_policy(
                f"{name}-task-access",
                task_role,
                pulumi.Output.from_input(
                    {
                        "secrets": list(access.secret_arns),
                        "parameters": list(access.parameter_arns),
                        "key": args.secrets_key_arn,
                    }
                ).apply(lambda v: task_policy(v, args.account)),
            )
        if web.exec_enabled:
            role_policy(f"{name}-task-exec", task_role, json.dumps(exec_policy(), sort_keys=True))
        collector = args.collectors.get(service)
        volume = args.volumes.get(service)
        if volume is not None:
            role_policy(
                f"{name}-task-files",
                task_role,
                pulumi.Output.all(
                    file_system_arn=volume.file_system_arn, access_point_arn=volume.access_point_arn
                ).apply(lambda v: policy(mount_statements(v))),
            )
        if collector is not None:
            role_policy(
                f"{name}-task-metrics",
                task_role,
                pulumi.Output.from_input(collector.workspace_arn).apply(remote_write_policy),
            )
        self.task_roles[service] = task_role

        task_definition = aws.ecs.TaskDefinition(
            f"{name}-task",
            family=f"{args.name_prefix}-{service}",
            cpu=str(settings.cpu),
            memory=str(settings.memory),
            network_mode="awsvpc",
            requires_compatibilities=["FARGATE"],
            runtime_platform=aws.ecs.TaskDefinitionRuntimePlatformArgs(
                operating_system_family="LINUX", cpu_architecture="X86_64"
            ),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=[aws.ecs.TaskDefinitionVolumeArgs(name=SCRATCH_VOLUME), *efs_volumes(volume)],
            container_definitions=pulumi.Output.from_input(
                {
                    "image": image_ref,
                    "log_group": log_group.name,
                    "environment": dict(args.environment.get(service, {})),
                    "secrets": secret_values,
                    "remote_write_url": collector.remote_write_url if collector else None,
                }
            ).apply(
                lambda v: with_volume(
                    container_definitions(service, settings, v, args.account.region, collector), volume
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.task_definitions[service] = task_definition
        self.execution_roles[service], self.log_groups[service] = execution_role, log_group
        gates: list[pulumi.Resource] = list(self.prepared)
        if service == "backend" and args.migration is not None and args.migration.command:
            self.migration = self._migration(settings, args.migration, image_ref, log_group, execution_role, task_role)
            gates.append(self.migration.run)
        single_writer = volume is not None and volume.single_writer

        ecs_service = aws.ecs.Service(
            f"{name}-service",
            cluster=self.cluster.arn,
            task_definition=task_definition.arn,
            desired_count=settings.desired_count,
            launch_type="FARGATE",
            platform_version="LATEST",
            network_configuration=aws.ecs.ServiceNetworkConfigurationArgs(
                subnets=list(args.subnet_ids), security_groups=[args.security_group_id], assign_public_ip=False
            ),
            load_balancers=[
                aws.ecs.ServiceLoadBalancerArgs(
                    target_group_arn=args.target_groups[service].arn,
                    container_name=service,
                    container_port=settings.port,
                )
            ],
            health_check_grace_period_seconds=60,
            deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True),
            # One writer at a time: the old task stops before the new one starts.
            deployment_minimum_healthy_percent=0 if single_writer else 100,
            deployment_maximum_percent=100 if single_writer else 200,
            availability_zone_rebalancing="ENABLED",
            enable_execute_command=web.exec_enabled,
            enable_ecs_managed_tags=True,
            propagate_tags="SERVICE",
            wait_for_steady_state=True,
            # Autoscaling owns the task count once the service exists.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*args.listeners, *gates, *role_policies], ignore_changes=["desiredCount"]
            ),
        )
        self.services[service] = ecs_service
        self._autoscaling(service, settings, ecs_service)

    def _migration(
        self,
        settings: ServiceSettings,
        migration: Migration,
        image: pulumi.Input[str],
        log_group: aws.cloudwatch.LogGroup,
        execution_role: aws.iam.Role,
        task_role: aws.iam.Role,
    ) -> OneOffTask:
        """The migration: the backend's image, environment, secrets and roles, the migration's command, in the
        backend's log group (stream prefix ``migrate``)."""
        args = self._args
        secrets = dict(args.secrets.get("backend", {}))
        environment = {**settings.environment, **dict(args.environment.get("backend", {})), **RUNTIME_ENVIRONMENT}
        return OneOffTask(
            f"{self._name}-backend-migrate",
            OneOffArgs(
                account=args.account,
                family=f"{args.name_prefix}-backend-migrate",
                container="migrate",
                image=image,
                command=list(migration.command),
                cluster_arn=self.cluster.arn,
                subnet_ids=args.subnet_ids,
                security_group_ids=[args.security_group_id],
                execution_role_arn=execution_role.arn,
                task_role_arn=task_role.arn,
                log_group_name=log_group.name,
                user=settings.user,
                cpu=settings.cpu,
                memory=settings.memory,
                environment=environment,
                secrets={
                    key: pulumi.Output.from_input(ref.arn).apply(lambda arn, ref=ref: ref.value_from(arn))
                    for key, ref in secrets.items()
                },
                timeout_minutes=migration.timeout_minutes,
                triggers=[image, json.dumps(list(migration.command))],
                wait_for=[resource.urn for resource in self.prepared],
                label="migration",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role(self, name: str, purpose: str) -> aws.iam.Role:
        account = self._args.account
        return aws.iam.Role(
            name,
            description=f"{self._args.name_prefix}: {purpose}",
            assume_role_policy=account.trust_policy(ECS_TASKS, source_arn=account.arn("ecs", "*")),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _repository(self, service: str) -> aws.ecr.Repository:
        args, name = self._args, f"{self._name}-{service}"
        repository = aws.ecr.Repository(
            f"{name}-images",
            name=f"{args.name_prefix}/{service}",
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.images_key_arn)
            ],
            force_delete=False,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-images-lifecycle",
            repository=repository.name,
            policy=json.dumps(IMAGE_LIFECYCLE, sort_keys=True),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.repositories[service] = repository
        return repository

    def _image(self, service: str, build: BuildSettings, repository: aws.ecr.Repository) -> "docker.Image":
        import pulumi_docker as docker  # only stacks that build their images need the Docker SDK

        credentials = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        return docker.Image(
            f"{self._name}-{service}-image",
            image_name=pulumi.Output.concat(repository.repository_url, ":", context_tag(build)),
            build=docker_build(build, platform="linux/amd64"),
            registry=docker.RegistryArgs(
                server=repository.repository_url,
                username=credentials.user_name,
                password=pulumi.Output.secret(credentials.password),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _autoscaling(self, service: str, settings: ServiceSettings, ecs_service: aws.ecs.Service) -> None:
        args, name = self._args, f"{self._name}-{service}"
        target = aws.appautoscaling.Target(
            f"{name}-scaling",
            service_namespace="ecs",
            scalable_dimension="ecs:service:DesiredCount",
            resource_id=pulumi.Output.concat("service/", self.cluster.name, "/", ecs_service.name),
            min_capacity=settings.min_count,
            max_capacity=settings.max_count,
            opts=pulumi.ResourceOptions(parent=self),
        )
        scaling = args.web.autoscaling
        metrics: dict[
            str,
            tuple[
                int, aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs
            ],
        ] = {
            "cpu": (
                scaling.cpu_target,
                aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ECSServiceAverageCPUUtilization"
                ),
            ),
            "requests": (
                scaling.requests_per_target,
                aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecificationArgs(
                    predefined_metric_type="ALBRequestCountPerTarget",
                    resource_label=pulumi.Output.concat(
                        args.load_balancer_arn_suffix, "/", args.target_groups[service].arn_suffix
                    ),
                ),
            ),
        }
        for metric, (value, specification) in metrics.items():
            aws.appautoscaling.Policy(
                f"{name}-scale-on-{metric}",
                policy_type="TargetTrackingScaling",
                resource_id=target.resource_id,
                scalable_dimension=target.scalable_dimension,
                service_namespace=target.service_namespace,
                target_tracking_scaling_policy_configuration=aws.appautoscaling.PolicyTargetTrackingScalingPolicyConfigurationArgs(
                    target_value=value,
                    predefined_metric_specification=specification,
                    scale_in_cooldown=300,
                    scale_out_cooldown=60,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _smoke_test(self) -> None:
        args = self._args
        smoke = args.web.smoke_test
        url = f"https://{args.domain}{smoke.path}"
        failure = f"smoke test failed: {url} did not answer 2xx/3xx after {smoke.retries} retries"
        curl = (
            f"curl --fail --silent --show-error --output /dev/null --max-time 10 --retry {smoke.retries} "
            "--retry-delay 10 --retry-all-errors"
        )
        check = f" {shlex.quote(url)} || {{ echo {shlex.quote(failure)} >&2; exit 1; }}"
        if args.load_balancer_dns_name is None:
            command: pulumi.Input[str] = curl + check
        else:
            command = pulumi.Output.concat(
                curl, f" --connect-to {args.domain}:443:", args.load_balancer_dns_name, ":443", check
            )
        local.Command(
            f"{self._name}-smoke-test",
            create=command,
            triggers=[definition.arn for definition in self.task_definitions.values()],
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[*self.services.values(), *args.listeners, *args.smoke_test_after]
            ),
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


def _exec_configuration(logging: ExecSessionLogging | None) -> aws.ecs.ClusterConfigurationArgs | None:
    """ECS Exec sessions logged to an encrypted log group (only the operations task may open them)."""
    if logging is None:
        return None
    return aws.ecs.ClusterConfigurationArgs(
        execute_command_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationArgs(
            logging="OVERRIDE",
            log_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs(
                cloud_watch_log_group_name=logging.log_group_name, cloud_watch_encryption_enabled=True
            ),
        )
    )
