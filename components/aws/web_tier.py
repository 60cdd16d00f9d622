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

import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from ..settings import ServiceSettings, WebSettings
from .account import Account
from .files import ServiceVolume
from .one_off import OneOffTask
from .service import ImageBuildArgs, Service, ServiceArgs
from .task_definitions import MetricsCollector, SecretRef

WEB_TIER_TYPE = "webstack:aws:WebTier"


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
        self.components: dict[str, Service] = {}
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
        args, web = self._args, self._args.web
        access = args.access.get(service, ServiceAccess())
        migration = args.migration if service == "backend" and args.migration is not None else None
        build = settings.build
        wait_for = [resource.urn for resource in (*args.listeners, *self.prepared)]
        component = Service(
            f"{self._name}-{service}",
            ServiceArgs(
                service=service,
                account=args.account,
                name_prefix=args.name_prefix,
                cluster_arn=self.cluster.arn,
                cluster_name=self.cluster.name,
                subnet_ids=list(args.subnet_ids),
                security_group_id=args.security_group_id,
                logs_key_arn=args.logs_key_arn,
                target_group_arn=args.target_groups[service].arn,
                target_group_arn_suffix=args.target_groups[service].arn_suffix,
                load_balancer_arn_suffix=args.load_balancer_arn_suffix,
                port=settings.port,
                image=settings.image,
                build=ImageBuildArgs(
                    context=build.context, dockerfile=build.dockerfile, target=build.target, args=dict(build.args)
                )
                if build is not None
                else None,
                images_key_arn=args.images_key_arn,
                cpu=settings.cpu,
                memory=settings.memory,
                desired_count=settings.desired_count,
                min_count=settings.min_count,
                max_count=settings.max_count,
                user=settings.user,
                health_check_path=settings.health_check_path,
                environment={**settings.environment, **args.environment.get(service, {})},
                secrets=dict(args.secrets.get(service, {})),
                secrets_key_arn=args.secrets_key_arn,
                readable_secret_arns=list(access.secret_arns),
                readable_parameter_arns=list(access.parameter_arns),
                collector=args.collectors.get(service),
                volume=args.volumes.get(service),
                migration_command=list(migration.command) if migration is not None else (),
                migration_timeout_minutes=migration.timeout_minutes if migration is not None else 30,
                exec_enabled=web.exec_enabled,
                log_retention_days=web.log_retention_days,
                cpu_target=web.autoscaling.cpu_target,
                requests_per_target=web.autoscaling.requests_per_target,
                wait_for=wait_for,
                protect=args.protect,
                moved_from=self.urn,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.components[service] = component
        self.services[service] = component.service
        self.task_definitions[service] = component.task_definition
        self.task_roles[service] = component.task_role
        self.execution_roles[service] = component.execution_role
        self.log_groups[service] = component.log_group
        if component.repository is not None:
            self.repositories[service] = component.repository
        if component.migration is not None:
            self.migration = component.migration

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
