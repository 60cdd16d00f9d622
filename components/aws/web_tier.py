"""The web tier on aws: the site's services as ECS Fargate services behind the load balancer.

Creates an ECS cluster with Container Insights (ECS Exec sessions logged to an encrypted log group when one is
named), one :class:`~.service.Service` per entry of ``services`` (``service.py``: its image, logs, task definition,
roles, migration and autoscaling), placed in the cluster, the private subnets and the app security group with the
tier's keys; and, after the services, a smoke test (pulumi-command) that fetches ``https://<domain><path>`` through
the load balancer, with retries, whenever a task definition changes; if it fails, the update fails.
"""

import dataclasses
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
from pulumi_command import local

from .account import Account
from .args_errors import invalid
from .one_off import OneOffTask, waiting_for
from .service import Service, ServiceArgs, ServicePlacementArgs

WEB_TIER_TYPE = "webstack:aws:WebTier"


@dataclass(frozen=True)
class WebTierArgs:
    """Inputs of :class:`WebTier`. Every default is the secure (and the guides') choice; the network, the load
    balancer, the logs key and the services have none."""

    account: Account
    """The account and region (ARNs in the roles' policies, the awslogs region)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    domain: str
    """The site's domain (the smoke test's URL)."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The app (private) subnets; no task gets a public IP."""
    security_group_id: pulumi.Input[str]
    """The ``app`` security group."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the log groups."""
    load_balancer_arn_suffix: pulumi.Input[str]
    """For the requests-per-target scaling metric."""
    services: Mapping[str, ServiceArgs]
    """The services by name (``frontend``, ``backend``): each a :class:`~.service.Service` named
    ``<tier>-<name>``, which the tier places (leave their ``placement`` out)."""
    images_key_arn: pulumi.Input[str] | None = None
    """Customer KMS key of the ECR repositories; required when a service builds its image. Default: none."""
    secrets_key_arn: pulumi.Input[str] | None = None
    """Customer KMS key of the services' secrets, which their roles may use through Secrets Manager only. Default:
    none."""
    load_balancer_dns_name: pulumi.Input[str] | None = None
    """Where the smoke test connects. Default: none, through the domain's public DNS (the CDN, when the origin
    admits the CDN only)."""
    wait_for: Sequence[pulumi.Input[str]] = ()
    """Outputs of what every service and the smoke test wait for, e.g. the ARNs of the load balancer's listeners
    and rules; only their resources count, not their values. Default: none."""
    smoke_test_after: Sequence[pulumi.Input[str]] = ()
    """Outputs of what else must exist before the smoke test can reach the site (the CDN's DNS records); only their
    resources count. Default: none."""
    container_insights: str = "enhanced"
    """Container Insights level of the cluster: ``enhanced`` or ``enabled``. Default: ``enhanced``."""
    smoke_test: bool = True
    """Run the smoke test after the services change. Default: on."""
    smoke_test_path: str = "/health"
    """Path the smoke test fetches over HTTPS from the domain. Default: ``/health``."""
    smoke_test_retries: int = 10
    """Retries, 10 s apart, before the smoke test fails. Default: 10."""
    exec_log_group_name: pulumi.Input[str] | None = None
    """An encrypted log group the cluster logs ECS Exec sessions to (every command and its output). Default: none
    (no ECS Exec session logging: the services allow ECS Exec only when theirs is on)."""


def validate_web_tier_args(args: WebTierArgs) -> None:
    """Errors name the Args field."""
    if not args.services:
        raise invalid(args, "services", "name at least one service", dict(args.services))
    if args.container_insights not in ("enhanced", "enabled"):
        raise invalid(args, "container_insights", "be enhanced or enabled", args.container_insights)
    if not 0 <= args.smoke_test_retries <= 60:
        raise invalid(args, "smoke_test_retries", "be between 0 and 60", args.smoke_test_retries)
    placed = sorted(name for name, service in args.services.items() if service.placement is not None)
    if placed:
        raise invalid(args, "services", "leave each service's placement to the tier", placed)


class WebTier(pulumi.ComponentResource):
    """The ECS cluster, a service per configured service, and the smoke test."""

    cluster: aws.ecs.Cluster
    """The ECS cluster of the services."""
    services: dict[str, aws.ecs.Service]
    """The ECS service of each service, by name."""
    task_definitions: dict[str, aws.ecs.TaskDefinition]
    """The task definition of each service, by name."""
    task_roles: dict[str, aws.iam.Role]
    """The role each service's application runs as, by name."""
    repositories: dict[str, aws.ecr.Repository]
    """The image repository of each service that builds its image, by name."""

    def __init__(self, name: str, args: WebTierArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(WEB_TIER_TYPE, name, None, opts)
        validate_web_tier_args(args)
        self._name, self._args = name, args
        self.cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value=args.container_insights)],
            configuration=_exec_configuration(args.exec_log_group_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.services, self.task_definitions, self.task_roles, self.repositories = {}, {}, {}, {}
        self.execution_roles: dict[str, aws.iam.Role] = {}
        self.log_groups: dict[str, aws.cloudwatch.LogGroup] = {}
        self.components: dict[str, Service] = {}
        self.migration: OneOffTask | None = None
        placement = ServicePlacementArgs(
            account=args.account,
            name_prefix=args.name_prefix,
            cluster_arn=self.cluster.arn,
            cluster_name=self.cluster.name,
            subnet_ids=list(args.subnet_ids),
            security_group_id=args.security_group_id,
            logs_key_arn=args.logs_key_arn,
            load_balancer_arn_suffix=args.load_balancer_arn_suffix,
            images_key_arn=args.images_key_arn,
            secrets_key_arn=args.secrets_key_arn,
        )
        for service, service_args in args.services.items():
            self._service(service, service_args, placement)
        if args.smoke_test:
            self._smoke_test()
        self.register_outputs(
            {
                "clusterName": self.cluster.name,
                "serviceNames": {s: svc.name for s, svc in self.services.items()},
                "repositoryUrls": {s: repo.repository_url for s, repo in self.repositories.items()},
            }
        )

    def _service(self, service: str, service_args: ServiceArgs, placement: ServicePlacementArgs) -> None:
        component = Service(
            f"{self._name}-{service}",
            dataclasses.replace(
                service_args,
                placement=placement,
                service=service_args.service or service,
                wait_for=[*self._args.wait_for, *service_args.wait_for],
                # Before services were components of their own, the tier built their resources itself.
                moved_from=self.urn if service_args.moved_from is None else service_args.moved_from,
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
        url = f"https://{args.domain}{args.smoke_test_path}"
        failure = f"smoke test failed: {url} did not answer 2xx/3xx after {args.smoke_test_retries} retries"
        curl = (
            f"curl --fail --silent --show-error --output /dev/null --max-time 10 --retry {args.smoke_test_retries} "
            "--retry-delay 10 --retry-all-errors"
        )
        check = f" {shlex.quote(url)} || {{ echo {shlex.quote(failure)} >&2; exit 1; }}"
        if args.load_balancer_dns_name is None:
            command: pulumi.Input[str] = curl + check
        else:
            command = pulumi.Output.concat(
                curl, f" --connect-to {args.domain}:443:", args.load_balancer_dns_name, ":443", check
            )
        after: list[Any] = [*self.services.values(), *waiting_for([*args.wait_for, *args.smoke_test_after])]
        local.Command(
            f"{self._name}-smoke-test",
            create=command,
            triggers=[definition.arn for definition in self.task_definitions.values()],
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )


def _exec_configuration(log_group_name: pulumi.Input[str] | None) -> aws.ecs.ClusterConfigurationArgs | None:
    """ECS Exec sessions logged to an encrypted log group (only the operations task may open them)."""
    if log_group_name is None:
        return None
    return aws.ecs.ClusterConfigurationArgs(
        execute_command_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationArgs(
            logging="OVERRIDE",
            log_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs(
                cloud_watch_log_group_name=log_group_name, cloud_watch_encryption_enabled=True
            ),
        )
    )
