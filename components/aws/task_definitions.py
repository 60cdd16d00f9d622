"""An ECS service's task definition on aws, as data: its container in the ECS API's shape (a non-root user, a
read-only root filesystem with a writable /tmp volume, no privileges and every Linux capability dropped, awslogs,
the guides' health check, credentials only as ECS ``secrets``), an OpenTelemetry metrics collector beside it, and
its persistent file system's volume and mount."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import yaml

from ..settings import RUNTIME_ENVIRONMENT
from .files import ServiceVolume

SCRATCH_VOLUME = "tmp"


#: What the metrics collector takes from its task; the application keeps the rest.
COLLECTOR_CPU, COLLECTOR_MEMORY = 128, 256


COLLECTOR_NAME = "metrics-collector"


@dataclass(frozen=True)
class ContainerShape:
    """What a service's container is sized and probed by."""

    port: int
    cpu: int
    memory: int
    user: str
    health_check_path: str


@dataclass(frozen=True)
class SecretRef:
    """A Secrets Manager secret, or one JSON key of it, for an ECS ``secrets`` entry."""

    arn: pulumi.Input[str]
    """The secret's ARN."""
    key: str = ""
    """A key of the secret's JSON value (e.g. ``password`` of an RDS-managed secret); empty: the whole value."""
    version_id: pulumi.Input[str] | None = None
    """A version of the secret to start tasks with. ECS reads a secret when a task starts only, so a new version
    (a rotated token) is a new task definition and the service rolls onto it. None: the current version, whichever
    that is when a task starts (a secret its owner rotates in place, as RDS does)."""

    def value_from(self, arn: str, version_id: str = "") -> str:
        """``valueFrom`` as ECS takes it: ``arn:json-key:version-stage:version-id`` (Amazon ECS developer guide,
        "Pass Secrets Manager secrets through Amazon ECS environment variables")."""
        if version_id:
            return f"{arn}:{self.key}::{version_id}"
        return f"{arn}:{self.key}::" if self.key else arn


@dataclass(frozen=True)
class MetricsCollector:
    """An OpenTelemetry collector next to a service: scrapes its Prometheus endpoint, remote-writes to a workspace."""

    image: str
    """The collector image, pinned (AWS Distro for OpenTelemetry)."""
    remote_write_url: pulumi.Input[str]
    """The workspace's remote-write endpoint."""
    workspace_arn: pulumi.Input[str]
    """The Prometheus workspace: the task role may remote-write to it and nothing else."""
    metrics_path: str = "/metrics"
    """Where the service serves its metrics. Default: ``/metrics``."""


def container_definition(
    service: str,
    settings: ContainerShape,
    *,
    image: str,
    log_group: str,
    region: str,
    environment: Mapping[str, str] | None = None,
    secrets: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The container of one service, in the ECS API's shape; ``secrets`` maps names to ``valueFrom``."""
    environment = {**(environment or {}), **RUNTIME_ENVIRONMENT}
    secrets = secrets or {}
    port = settings.port
    return {
        "name": service,
        "image": image,
        "essential": True,
        "cpu": settings.cpu,
        "memory": settings.memory,
        "user": settings.user,
        "readonlyRootFilesystem": True,
        "privileged": False,
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "portMappings": [{"containerPort": port, "protocol": "tcp", "name": f"{service}-http"}],
        "environment": [{"name": key, "value": value} for key, value in sorted(environment.items())],
        "secrets": [{"name": key, "valueFrom": value} for key, value in sorted(secrets.items())],
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": "/tmp", "readOnly": False}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": service,
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        },
        "healthCheck": {
            "command": ["CMD-SHELL", f"curl -fsS http://localhost:{port}{settings.health_check_path} || exit 1"],
            "interval": 30,
            "timeout": 10,
            "retries": 3,
            "startPeriod": 40,
        },
        "stopTimeout": 30,
    }


def container_definitions(
    service: str,
    settings: ContainerShape,
    values: Any,
    region: str,
    collector: MetricsCollector | None = None,
) -> str:
    container = container_definition(
        service,
        settings,
        image=values["image"],
        log_group=values["log_group"],
        region=region,
        environment=values["environment"],
        secrets=dict(values["secrets"]),
    )
    if collector is None:
        return json.dumps([container])
    container["cpu"] -= COLLECTOR_CPU
    container["memory"] -= COLLECTOR_MEMORY
    sidecar = collector_definition(
        service,
        settings.port,
        collector,
        remote_write_url=values["remote_write_url"],
        log_group=values["log_group"],
        region=region,
    )
    return json.dumps([container, sidecar])


def collector_config(service: str, port: int, metrics_path: str, remote_write_url: str, region: str) -> str:
    """The collector's configuration: scrape the service every 30 s, remote-write with SigV4 (the task role)."""
    config = {
        "extensions": {"sigv4auth": {"region": region, "service": "aps"}},
        "receivers": {
            "prometheus": {
                "config": {
                    "scrape_configs": [
                        {
                            "job_name": service,
                            "scrape_interval": "30s",
                            "metrics_path": metrics_path,
                            "static_configs": [{"targets": [f"localhost:{port}"]}],
                        }
                    ]
                }
            }
        },
        "exporters": {"prometheusremotewrite": {"endpoint": remote_write_url, "auth": {"authenticator": "sigv4auth"}}},
        "service": {
            "extensions": ["sigv4auth"],
            "pipelines": {"metrics": {"receivers": ["prometheus"], "exporters": ["prometheusremotewrite"]}},
        },
    }
    return yaml.safe_dump(config, sort_keys=True)


def collector_definition(
    service: str, port: int, collector: MetricsCollector, *, remote_write_url: str, log_group: str, region: str
) -> dict[str, Any]:
    """The collector container: not essential (the service keeps serving if it stops), as locked down as the
    service's own container."""
    config = collector_config(service, port, collector.metrics_path, remote_write_url, region)
    return {
        "name": COLLECTOR_NAME,
        "image": collector.image,
        "essential": False,
        "cpu": COLLECTOR_CPU,
        "memory": COLLECTOR_MEMORY,
        "user": "10001",
        "readonlyRootFilesystem": True,
        "privileged": False,
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "environment": [{"name": "AOT_CONFIG_CONTENT", "value": config}],
        "mountPoints": [{"sourceVolume": SCRATCH_VOLUME, "containerPath": "/tmp", "readOnly": False}],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": log_group,
                "awslogs-region": region,
                "awslogs-stream-prefix": COLLECTOR_NAME,
                "mode": "non-blocking",
                "max-buffer-size": "25m",
            },
        },
    }


#: The task-definition volume that holds a service's persistent file system.
FILES_VOLUME = "files"


def efs_volumes(volume: ServiceVolume | None) -> list[aws.ecs.TaskDefinitionVolumeArgs]:
    if volume is None:
        return []
    return [
        aws.ecs.TaskDefinitionVolumeArgs(
            name=FILES_VOLUME,
            efs_volume_configuration=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationArgs(
                file_system_id=volume.file_system_id,
                transit_encryption="ENABLED",
                authorization_config=aws.ecs.TaskDefinitionVolumeEfsVolumeConfigurationAuthorizationConfigArgs(
                    access_point_id=volume.access_point_id, iam="ENABLED"
                ),
            ),
        )
    ]


def with_volume(definitions: str, volume: ServiceVolume | None) -> str:
    """Mount the service's file system in its own container (the first)."""
    if volume is None:
        return definitions
    containers = json.loads(definitions)
    containers[0]["mountPoints"].append({"sourceVolume": FILES_VOLUME, "containerPath": volume.path, "readOnly": False})
    return json.dumps(containers)
