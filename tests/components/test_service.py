"""The Service component on its own: one ECS Fargate service, as a program builds it without a web tier. Its
defaults are the secure ones; its Args are checked with errors that name the field."""

import json
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.aws.service import Service, ServiceArgs
from stackcheck.engine.cloud import ACCOUNT_ID
from tests.components.test_web_tier import (
    ACCOUNT,
    ALB_ARN_SUFFIX,
    LOGS_KEY_ARN,
    RUNTIME,
    SECURITY_GROUP_ID,
    SUBNET_IDS,
    container,
    policies_of,
    roles,
    statements,
    task_definition,
)
from tests.conftest import TEST_REGION, construct, one, registered

CLUSTER_ARN = f"arn:aws:ecs:{TEST_REGION}:{ACCOUNT_ID}:cluster/webstack-svc"
TARGET_GROUP_ARN = f"arn:aws:elasticloadbalancing:{TEST_REGION}:{ACCOUNT_ID}:targetgroup/api/0123456789abcdef"
IMAGE = "ghcr.io/example/api:1.4.2"


def service_args(**changes: Any) -> ServiceArgs:
    """The Args a program must give (no more): everything else is the Args' default."""
    args = ServiceArgs(
        service="api",
        account=ACCOUNT,
        name_prefix="webstack-svc",
        cluster_arn=CLUSTER_ARN,
        cluster_name="webstack-svc",
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        logs_key_arn=LOGS_KEY_ARN,
        target_group_arn=TARGET_GROUP_ARN,
        target_group_arn_suffix="targetgroup/api/0123456789abcdef",
        load_balancer_arn_suffix=ALB_ARN_SUFFIX,
        port=8080,
        image=IMAGE,
    )
    return replace(args, **changes)


@pytest.fixture(scope="module")
def default_service() -> Service:
    return construct(lambda: Service("svc-api", service_args()))


def test_defaults_are_secure(default_service: Service) -> None:
    task = task_definition("svc", "api")
    assert (task.inputs["networkMode"], task.inputs["requiresCompatibilities"]) == ("awsvpc", ["FARGATE"])
    assert task.inputs["volumes"] == [{"name": "tmp"}]
    definition = container("svc", "api")
    assert definition["image"] == IMAGE
    assert definition["user"] == "1000:1000"
    assert definition["readonlyRootFilesystem"] is True
    assert definition["privileged"] is False
    assert definition["linuxParameters"] == {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}}
    assert definition["environment"] == RUNTIME
    assert definition["secrets"] == []
    assert definition["healthCheck"]["command"] == ["CMD-SHELL", "curl -fsS http://localhost:8080/health || exit 1"]

    ecs = one("svc-api-service")
    assert ecs.inputs["networkConfiguration"]["assignPublicIp"] is False
    assert ecs.inputs["enableExecuteCommand"] is False
    assert ecs.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert ecs.inputs["deploymentMinimumHealthyPercent"] == 100
    assert ecs.inputs["loadBalancers"] == [
        {"targetGroupArn": TARGET_GROUP_ARN, "containerName": "api", "containerPort": 8080}
    ]

    group = one("svc-api-logs")
    assert (group.inputs["kmsKeyId"], group.inputs["retentionInDays"]) == (LOGS_KEY_ARN, 30)
    execution, application = roles("svc", "api")
    assert [s["Sid"] for s in statements(policies_of(execution)[0].inputs["policy"])] == ["WriteThisServicesLogs"]
    assert policies_of(application) == []  # the application may read nothing unless told
    assert registered("svc-api-images") == []  # no repository without a build
    assert registered("svc-api-migrate") == []
    # Standing alone it moved from nowhere: no child names an old parent.
    assert all(r.aliases == [] for r in registered("svc-api-"))


def test_it_waits_for_what_it_is_told_to_by_the_outputs_resources() -> None:
    def build() -> Service:
        marker = pulumi.CustomResource("aws:ssm/parameter:Parameter", "svc-wait-marker", {"type": "String"})
        return Service("svc-wait", service_args(wait_for=[marker.urn], migration_command=["migrate"]))

    construct(build)
    marker = one("svc-wait-marker")
    assert marker.urn in one("svc-wait-service").dependencies
    assert marker.urn in one("svc-wait-migrate-run").dependencies
    # Only the order changes: the service's inputs do not name what it waits for.
    assert marker.urn not in json.dumps(one("svc-wait-service").property_dependencies)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"image": ""}, "ServiceArgs.image must name an image to run, or build be set, not both, got ''"),
        ({"user": "0:0"}, "ServiceArgs.user must not be root, got '0:0'"),
        ({"port": 80}, "ServiceArgs.port must be between 1024 and 65535"),
        ({"cpu": 300}, "ServiceArgs.cpu must be a Fargate size"),
        ({"memory": 512}, "ServiceArgs.memory must be a size Fargate offers with cpu 512, got 512"),
        ({"desired_count": 9}, "ServiceArgs.desired_count must lie between min_count and max_count"),
    ],
)
def test_bad_args_are_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        construct(lambda: Service("svc-bad", service_args(**changes)))
