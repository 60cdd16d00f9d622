"""The Service component on its own: one ECS Fargate service, as a program builds it without a web tier. Its
defaults are the secure ones; its Args are checked with errors that name the field."""

import json
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from components.aws.service import Service, ServiceArgs, ServicePlacementArgs
from components.aws.web_tier import WebTier, WebTierArgs
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
        target_group_arn=TARGET_GROUP_ARN,
        target_group_arn_suffix="targetgroup/api/0123456789abcdef",
        port=8080,
        placement=ServicePlacementArgs(
            account=ACCOUNT,
            name_prefix="webstack-svc",
            cluster_arn=CLUSTER_ARN,
            cluster_name="webstack-svc",
            subnet_ids=SUBNET_IDS,
            security_group_id=SECURITY_GROUP_ID,
            logs_key_arn=LOGS_KEY_ARN,
            load_balancer_arn_suffix=ALB_ARN_SUFFIX,
        ),
        service="api",
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
        ({"placement": None}, "ServiceArgs.placement must be set"),
        ({"image": ""}, "ServiceArgs.image must name the image to run unless build is set (one of the two), got ''"),
        ({"image": "ghcr.io/example/api:latest"}, "ServiceArgs.image must be pinned by tag or digest, never latest"),
        ({"image": "registry:5000/api"}, "ServiceArgs.image must be pinned by tag or digest, never latest"),
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


def tier_args(name: str, services: dict[str, ServiceArgs]) -> WebTierArgs:
    return WebTierArgs(
        account=ACCOUNT,
        name_prefix=f"webstack-{name}",
        domain="app.example.org",
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        logs_key_arn=LOGS_KEY_ARN,
        load_balancer_arn_suffix=ALB_ARN_SUFFIX,
        services=services,
    )


def test_a_web_tier_composes_the_services_it_is_given_and_places_them() -> None:
    worker = replace(service_args(), placement=None, service="")
    tier = construct(lambda: WebTier("svctier", tier_args("svctier", {"worker": worker})))
    assert set(tier.services) == {"worker"}
    component, ecs = one("svctier-worker"), one("svctier-worker-service")
    assert (component.type, component.parent) == ("webstack:aws:Service", one("svctier").urn)
    assert ecs.parent == component.urn
    assert ecs.property_dependencies["cluster"] == [one("svctier-cluster").urn]
    assert one("svctier-worker-logs").inputs["name"] == "/webstack-svctier/ecs/worker"
    assert container("svctier", "worker")["name"] == "worker"
    assert len(registered("svctier-", "aws:ecs/service:Service")) == 1


def test_a_web_tier_refuses_services_placed_elsewhere() -> None:
    args = tier_args("svcbad", {"api": service_args()})
    with pytest.raises(ValueError, match=r"WebTierArgs.services must leave each service's placement to the tier"):
        construct(lambda: WebTier("svcbad", args))


def test_the_component_package_builds_a_service_from_its_inputs_as_other_languages_send_them() -> None:
    """A construct call through Pulumi's own provider class, with the nested placement and account as mappings."""
    from pulumi.provider.experimental.component import ComponentProvider

    from components.provider import PACKAGE, hosted

    provider = ComponentProvider([hosted(Service)], PACKAGE, version="0.0.0")
    inputs = {
        "targetGroupArn": TARGET_GROUP_ARN,
        "targetGroupArnSuffix": "targetgroup/api/0123456789abcdef",
        "port": 8080,
        "image": IMAGE,
        "placement": {
            "account": {"id": ACCOUNT_ID, "partition": "aws", "region": TEST_REGION},
            "namePrefix": "webstack-svcpkg",
            "clusterArn": CLUSTER_ARN,
            "clusterName": "webstack-svcpkg",
            "subnetIds": SUBNET_IDS,
            "securityGroupId": SECURITY_GROUP_ID,
            "logsKeyArn": LOGS_KEY_ARN,
            "loadBalancerArnSuffix": ALB_ARN_SUFFIX,
        },
    }

    def build() -> Any:
        return provider.construct("svcpkg", f"{PACKAGE}:index:Service", inputs, pulumi.ResourceOptions()).urn

    construct(build)
    (component,) = registered("svcpkg", f"{PACKAGE}:index:Service")
    ecs = one("svcpkg-service")
    assert ecs.parent == component.urn
    assert ecs.inputs["networkConfiguration"] == {
        "subnets": SUBNET_IDS,
        "securityGroups": [SECURITY_GROUP_ID],
        "assignPublicIp": False,
    }
    assert one("svcpkg-logs").inputs["name"] == "/webstack-svcpkg/ecs/svcpkg"
    (definition,) = json.loads(one("svcpkg-task").inputs["containerDefinitions"])
    assert (definition["name"], definition["user"]) == ("svcpkg", "1000:1000")
