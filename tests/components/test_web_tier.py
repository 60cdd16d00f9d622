"""The WebTier component: hardened Fargate tasks, separate least-privilege roles, encrypted logs, safe rolling
deploys, autoscaling, images built into ECR, ECS secrets, ECS Exec only on request, and the smoke test."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pulumi_cloudflare as cloudflare
import pytest
import yaml

from components.aws.account import Account
from components.aws.platform_args import ServiceAccess, web_tier_args
from components.aws.task_definitions import MetricsCollector, SecretRef
from components.aws.web_tier import WebTier
from components.build_context import context_tag
from components.settings import BuildSettings, WebSettings
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import RecordedResource, is_secret
from tests.conftest import IMAGES, RECORDER, TEST_REGION, ZONE_ID, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
DOMAIN = "app.example.org"
VPC_ID = "vpc-0a1b2c3d4e5f60718"
SUBNET_IDS = ["subnet-0a1b2c3d4e5f6071a", "subnet-0a1b2c3d4e5f6071b"]
SECURITY_GROUP_ID = "sg-0a1b2c3d4e5f6071a"
LOGS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/logs"
IMAGES_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/images"
ALB_ARN = f"arn:aws:elasticloadbalancing:{TEST_REGION}:{ACCOUNT_ID}:loadbalancer/app/webstack-alb/0123456789abcdef"
ALB_ARN_SUFFIX = "app/webstack-alb/0123456789abcdef"
ALB_DNS_NAME = "webstack-alb-1234567890.eu-west-1.elb.amazonaws.com"
CERTIFICATE_ARN = f"arn:aws:acm:{TEST_REGION}:{ACCOUNT_ID}:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
DB_SECRET = f"arn:aws:secretsmanager:{TEST_REGION}:{ACCOUNT_ID}:secret:db"
SESSION_SECRET = f"arn:aws:secretsmanager:{TEST_REGION}:{ACCOUNT_ID}:secret:session"
SECRETS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/secrets"
SHARD_MAP_ARN = f"arn:aws:ssm:{TEST_REGION}:{ACCOUNT_ID}:parameter/webstack/database/shard-map"

SERVICES = ("frontend", "backend")
PORTS = {"frontend": 3000, "backend": 8000}
RUNTIME = [
    {"name": "DEBUG", "value": "false"},
    {"name": "NODE_ENV", "value": "production"},
    {"name": "PYTHON_ENV", "value": "production"},
]
EXEC_ACTIONS = [
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
REPOSITORY = "aws:ecr/repository:Repository"
IMAGE = "docker:index/image:Image"
COMMAND = "command:local:Command"

#: The settings the web tier reads, away from their defaults (ECS Exec and the build have tests of their own).
TUNED = {
    "frontend": {
        **IMAGES["frontend"],
        "environment": {"PUBLIC_URL": "https://app.example.org", "LOG_LEVEL": "info"},
        "minCount": 3,
        "desiredCount": 4,
        "maxCount": 12,
    },
    "backend": {**IMAGES["backend"], "minCount": 2, "desiredCount": 2, "maxCount": 5},
    "logRetentionDays": 90,
    "containerInsights": "enabled",
    "autoscaling": {"cpuTarget": 55, "requestsPerTarget": 250},
    "smokeTest": {"path": "/ready", "retries": 3},
}


def web_tier(name: str, web: dict[str, Any] | None = None, *, via_cdn: bool = False, **extra: Any) -> WebTier:
    """A web tier named ``name`` with two target groups and two listeners of its own (``<name>-tg-<service>``,
    ``<name>-http`` and ``<name>-https``); ``via_cdn``: served through a CDN whose record is ``<name>-record``."""
    settings = WebSettings.model_validate(web or IMAGES)

    def factory() -> WebTier:
        groups = {
            service: aws.lb.TargetGroup(
                f"{name}-tg-{service}", port=PORTS[service], protocol="HTTP", target_type="ip", vpc_id=VPC_ID
            )
            for service in SERVICES
        }
        listeners = [
            aws.lb.Listener(
                f"{name}-{protocol.lower()}",
                load_balancer_arn=ALB_ARN,
                port=port,
                protocol=protocol,
                certificate_arn=CERTIFICATE_ARN if protocol == "HTTPS" else None,
                default_actions=[
                    aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=groups["frontend"].arn)
                ],
            )
            for protocol, port in (("HTTP", 80), ("HTTPS", 443))
        ]
        if via_cdn:
            record = cloudflare.DnsRecord(
                f"{name}-record", zone_id=ZONE_ID, name=DOMAIN, type="CNAME", content=ALB_DNS_NAME, proxied=True, ttl=1
            )
            extra.update(load_balancer_dns_name=None, smoke_test_after=[record])
        args = web_tier_args(
            settings,
            account=ACCOUNT,
            name_prefix=f"webstack-{name}",
            domain=DOMAIN,
            subnet_ids=SUBNET_IDS,
            security_group_id=SECURITY_GROUP_ID,
            logs_key_arn=LOGS_KEY_ARN,
            images_key_arn=IMAGES_KEY_ARN,
            target_groups=groups,
            load_balancer_arn_suffix=ALB_ARN_SUFFIX,
            load_balancer_dns_name=extra.pop("load_balancer_dns_name", ALB_DNS_NAME),
            listeners=listeners,
            **extra,
        )
        return WebTier(name, args)

    return construct(factory)


@pytest.fixture(scope="module")
def default_tier() -> WebTier:
    return web_tier("wtdefault")


@pytest.fixture(scope="module")
def tuned_tier() -> WebTier:
    return web_tier("wttuned", TUNED)


def task_definition(name: str, service: str) -> RecordedResource:
    """A service's task definition, found by type as well as by name (roles have shared its logical name)."""
    logical = f"{name}-{service}-task"
    (found,) = [r for r in registered(logical, TASK_DEFINITION) if r.name == logical]
    return found


def roles(name: str, service: str) -> tuple[RecordedResource, RecordedResource]:
    """A service's execution role and task role, joined through its task definition."""
    task = task_definition(name, service)
    by_urn = RECORDER.by_urn()
    (execution,) = task.property_dependencies["executionRoleArn"]
    (application,) = task.property_dependencies["taskRoleArn"]
    return by_urn[execution], by_urn[application]


def policies_of(role: RecordedResource) -> list[RecordedResource]:
    """The inline policies attached to a role."""
    return [r for r in RECORDER.resources if r.type == ROLE_POLICY and r.property_dependencies["role"] == [role.urn]]


def execution_statements(name: str, service: str) -> list[dict[str, Any]]:
    """The statements of the one policy of a service's execution role."""
    (policy,) = policies_of(roles(name, service)[0])
    return statements(policy.inputs["policy"])


def container(name: str, service: str) -> dict[str, Any]:
    """The single container of a service's task definition."""
    (definition,) = json.loads(task_definition(name, service).inputs["containerDefinitions"])
    return definition


def statements(policy: str) -> list[dict[str, Any]]:
    return json.loads(policy)["Statement"]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- tasks -------------------------------------------------------------------------------------------------------------
def test_defaults_are_secure(default_tier: WebTier) -> None:
    for service, cpu, memory in (("frontend", 512, 1024), ("backend", 1024, 2048)):
        task = task_definition("wtdefault", service)
        assert task.inputs["family"] == f"webstack-wtdefault-{service}"
        assert task.inputs["requiresCompatibilities"] == ["FARGATE"]
        assert task.inputs["networkMode"] == "awsvpc"
        assert (task.inputs["cpu"], task.inputs["memory"]) == (str(cpu), str(memory))
        assert task.inputs["volumes"] == [{"name": "tmp"}]
        assert task.inputs["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}
        assert [role.type for role in roles("wtdefault", service)] == [ROLE, ROLE]

        port = PORTS[service]
        definition = container("wtdefault", service)
        assert definition["name"] == service
        assert definition["image"] == IMAGES[service]["image"]
        assert definition["user"] == "1000:1000"
        assert definition["readonlyRootFilesystem"] is True
        assert definition["privileged"] is False
        assert definition["linuxParameters"] == {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}}
        assert definition["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}]
        assert [m["containerPort"] for m in definition["portMappings"]] == [port]
        logging = definition["logConfiguration"]
        assert logging["logDriver"] == "awslogs"
        assert logging["options"]["awslogs-group"] == f"/webstack-wtdefault/ecs/{service}"
        assert logging["options"]["awslogs-region"] == TEST_REGION
        assert definition["healthCheck"] == {
            "command": ["CMD-SHELL", f"curl -fsS http://localhost:{port}/health || exit 1"],
            "interval": 30,
            "timeout": 10,
            "retries": 3,
            "startPeriod": 40,
        }
        assert definition["environment"] == RUNTIME
        assert definition["secrets"] == []


def test_user_variables_join_the_runtime_environment(tuned_tier: WebTier) -> None:
    assert container("wttuned", "frontend")["environment"] == sorted(
        [*RUNTIME, {"name": "LOG_LEVEL", "value": "info"}, {"name": "PUBLIC_URL", "value": "https://app.example.org"}],
        key=lambda variable: variable["name"],
    )
    assert container("wttuned", "backend")["environment"] == RUNTIME


# -- services ----------------------------------------------------------------------------------------------------------
def test_services_roll_out_safely_in_private_subnets_behind_the_listeners(default_tier: WebTier) -> None:
    listeners = {one("wtdefault-http").urn, one("wtdefault-https").urn}
    for service, desired in (("frontend", 2), ("backend", 3)):
        ecs = one(f"wtdefault-{service}-service")
        group = one(f"wtdefault-tg-{service}")
        assert ecs.inputs["launchType"] == "FARGATE"
        assert ecs.inputs["networkConfiguration"] == {
            "subnets": SUBNET_IDS,
            "securityGroups": [SECURITY_GROUP_ID],
            "assignPublicIp": False,
        }
        assert ecs.inputs["loadBalancers"] == [
            {"targetGroupArn": group.outputs["arn"], "containerName": service, "containerPort": PORTS[service]}
        ]
        assert ecs.property_dependencies["loadBalancers"] == [group.urn]
        assert ecs.property_dependencies["cluster"] == [one("wtdefault-cluster").urn]
        assert ecs.property_dependencies["taskDefinition"] == [task_definition("wtdefault", service).urn]
        assert ecs.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert ecs.inputs["deploymentMinimumHealthyPercent"] == 100
        assert ecs.inputs["deploymentMaximumPercent"] == 200
        assert ecs.inputs["healthCheckGracePeriodSeconds"] == 60
        assert ecs.inputs["enableExecuteCommand"] is False
        assert ecs.inputs["waitForSteadyState"] is True
        assert ecs.inputs["desiredCount"] == desired
        assert "desiredCount" in ecs.ignore_changes
        assert listeners <= set(ecs.dependencies)


def test_services_wait_for_their_roles_policies(default_tier: WebTier) -> None:
    """IAM is eventually consistent: a policy attached just before ECS starts the first tasks may not be in effect yet
    (IAM user guide, "Troubleshoot IAM": changes take time to propagate), and a task whose execution role cannot pull
    its image or read its secrets fails to start. The service is created only after every policy of its roles."""
    web_tier(
        "wtdeps",
        access={"backend": ServiceAccess(secret_arns=[SESSION_SECRET])},
        secrets={"backend": {"SESSION_KEY": SecretRef(SESSION_SECRET)}},
        secrets_key_arn=SECRETS_KEY_ARN,
        collectors={"backend": MetricsCollector(image=COLLECTOR_IMAGE, remote_write_url=REMOTE_WRITE,
                                                workspace_arn=WORKSPACE_ARN)},
    )  # fmt: skip
    for name in ("wtdefault", "wtdeps"):
        for service in SERVICES:
            ecs = one(f"{name}-{service}-service")
            execution, task = roles(name, service)
            policies = policies_of(execution) + policies_of(task)
            assert policies_of(execution), f"{name} {service}: the execution role has its policy"
            missing = [p.name for p in policies if p.urn not in ecs.dependencies]
            assert not missing, f"{name} {service} does not wait for {missing}"


# -- roles -------------------------------------------------------------------------------------------------------------
def test_each_service_has_separate_execution_and_task_roles(default_tier: WebTier) -> None:
    for service in SERVICES:
        execution, task = roles("wtdefault", service)
        assert execution.type == task.type == ROLE
        assert execution.urn != task.urn
        assert execution.outputs["arn"] != task.outputs["arn"]
        for role in (execution, task):
            (trust,) = statements(role.inputs["assumeRolePolicy"])
            assert trust["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
            assert trust["Action"] == "sts:AssumeRole"
            assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT_ID}

        (policy,) = policies_of(execution)
        group_arn = one(f"wtdefault-{service}-logs").outputs["arn"]
        (write_logs,) = statements(policy.inputs["policy"])
        assert write_logs["Effect"] == "Allow"
        assert write_logs["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
        assert write_logs["Resource"] == f"{group_arn}:*"

        assert policies_of(task) == []


def test_log_groups_are_encrypted_and_expire(default_tier: WebTier, tuned_tier: WebTier) -> None:
    for name, days in (("wtdefault", 30), ("wttuned", 90)):
        for service in SERVICES:
            group = one(f"{name}-{service}-logs")
            assert group.inputs["name"] == f"/webstack-{name}/ecs/{service}"
            assert group.inputs["kmsKeyId"] == LOGS_KEY_ARN
            assert group.inputs["retentionInDays"] == days


def test_the_cluster_has_container_insights(default_tier: WebTier, tuned_tier: WebTier) -> None:
    assert one("wtdefault-cluster").inputs["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert one("wttuned-cluster").inputs["settings"] == [{"name": "containerInsights", "value": "enabled"}]


# -- autoscaling -------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "bounds", "cpu", "requests"),
    [
        ("wtdefault", {"frontend": (2, 6), "backend": (3, 9)}, 70, 1000),
        ("wttuned", {"frontend": (3, 12), "backend": (2, 5)}, 55, 250),
    ],
)
def test_services_scale_on_cpu_and_requests_per_target(
    default_tier: WebTier,
    tuned_tier: WebTier,
    name: str,
    bounds: dict[str, tuple[int, int]],
    cpu: int,
    requests: int,
) -> None:
    cluster_name = one(f"{name}-cluster").outputs["name"]
    for service in SERVICES:
        target = one(f"{name}-{service}-scaling")
        service_name = one(f"{name}-{service}-service").outputs["name"]
        assert target.inputs["serviceNamespace"] == "ecs"
        assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount"
        assert target.inputs["resourceId"] == f"service/{cluster_name}/{service_name}"
        assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == bounds[service]

        on_cpu, on_requests = one(f"{name}-{service}-scale-on-cpu"), one(f"{name}-{service}-scale-on-requests")
        for policy in (on_cpu, on_requests):
            assert policy.inputs["policyType"] == "TargetTrackingScaling"
            assert policy.inputs["resourceId"] == target.inputs["resourceId"]
            assert policy.property_dependencies["resourceId"] == [target.urn]
        cpu_tracking = on_cpu.inputs["targetTrackingScalingPolicyConfiguration"]
        assert cpu_tracking["targetValue"] == cpu
        assert cpu_tracking["predefinedMetricSpecification"] == {
            "predefinedMetricType": "ECSServiceAverageCPUUtilization"
        }
        request_tracking = on_requests.inputs["targetTrackingScalingPolicyConfiguration"]
        group_suffix = one(f"{name}-tg-{service}").outputs["arnSuffix"]
        assert request_tracking["targetValue"] == requests
        assert request_tracking["predefinedMetricSpecification"] == {
            "predefinedMetricType": "ALBRequestCountPerTarget",
            "resourceLabel": f"{ALB_ARN_SUFFIX}/{group_suffix}",
        }


# -- images built from source ------------------------------------------------------------------------------------------
def test_a_built_image_is_pushed_to_a_private_repository_and_deployed_by_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "app" / "backend" / "Dockerfile", "FROM python:3.12-slim\nCOPY . /app\n")
    write(tmp_path / "app" / "backend" / "main.py", "print('hello')\n")
    tier = web_tier("wtbuild", {"frontend": IMAGES["frontend"], "backend": {"build": {"context": "app/backend"}}})

    assert registered("wtbuild-frontend-", REPOSITORY) == []
    assert registered("wtbuild-frontend-", IMAGE) == []
    repository = one("wtbuild-backend-images")
    assert set(tier.repositories) == {"backend"}
    assert repository.inputs["name"] == "webstack-wtbuild/backend"
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": IMAGES_KEY_ARN}]
    lifecycle = one("wtbuild-backend-images-lifecycle")
    assert lifecycle.property_dependencies["repository"] == [repository.urn]
    rules = json.loads(lifecycle.inputs["policy"])["rules"]
    assert [(rule["selection"], rule["action"]) for rule in rules] == [
        (
            {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 7},
            {"type": "expire"},
        ),
        ({"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}, {"type": "expire"}),
    ]

    image = one("wtbuild-backend-image")
    url = repository.outputs["repositoryUrl"]
    tag = context_tag(BuildSettings(context="app/backend"))
    assert re.fullmatch(r"src-[0-9a-f]{16}", tag)
    assert image.inputs["imageName"] == f"{url}:{tag}"
    assert image.inputs["build"]["context"] == "app/backend"
    assert image.inputs["build"]["dockerfile"] == "app/backend/Dockerfile"
    assert image.inputs["build"]["platform"] == "linux/amd64"
    registry = image.inputs["registry"]
    assert is_secret(registry)
    assert registry["value"]["server"] == url
    assert registry["value"]["password"] in RECORDER.secret_values

    backend = container("wtbuild", "backend")
    assert backend["image"] == image.outputs["repoDigest"]
    assert backend["image"].startswith(f"{url}@sha256:")
    assert image.urn in task_definition("wtbuild", "backend").property_dependencies["containerDefinitions"]
    assert container("wtbuild", "frontend")["image"] == IMAGES["frontend"]["image"]

    group_arn = one("wtbuild-backend-logs").outputs["arn"]
    found = {s["Sid"]: s for s in execution_statements("wtbuild", "backend")}
    assert set(found) == {"WriteThisServicesLogs", "GetRegistryCredentials", "PullThisServicesImages"}
    assert found["WriteThisServicesLogs"]["Resource"] == f"{group_arn}:*"
    assert found["GetRegistryCredentials"]["Action"] == "ecr:GetAuthorizationToken"
    assert found["GetRegistryCredentials"]["Resource"] == "*"
    assert found["PullThisServicesImages"]["Resource"] == repository.outputs["arn"]
    assert sorted(found["PullThisServicesImages"]["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    (frontend_logs,) = execution_statements("wtbuild", "frontend")
    assert frontend_logs["Sid"] == "WriteThisServicesLogs"


# -- secrets and ECS Exec ----------------------------------------------------------------------------------------------
def test_secrets_reach_the_container_as_ecs_secrets_only() -> None:
    secrets = {"DATABASE_PASSWORD": SecretRef(DB_SECRET, "password"), "SESSION_SECRET": SecretRef(SESSION_SECRET)}
    web_tier("wtsecrets", secrets={"backend": secrets}, secrets_key_arn=SECRETS_KEY_ARN)
    backend = container("wtsecrets", "backend")
    assert backend["secrets"] == [
        {"name": "DATABASE_PASSWORD", "valueFrom": f"{DB_SECRET}:password::"},
        {"name": "SESSION_SECRET", "valueFrom": SESSION_SECRET},
    ]
    assert backend["environment"] == RUNTIME
    environment = json.dumps(backend["environment"])
    assert not any(name in environment for name in (*secrets, DB_SECRET, SESSION_SECRET))

    found = {s["Sid"]: s for s in execution_statements("wtsecrets", "backend")}
    assert set(found) == {"WriteThisServicesLogs", "ReadTheseSecrets", "DecryptThemThroughSecretsManager"}
    assert found["ReadTheseSecrets"]["Action"] == "secretsmanager:GetSecretValue"
    assert found["ReadTheseSecrets"]["Resource"] == [DB_SECRET, SESSION_SECRET]
    decrypt = found["DecryptThemThroughSecretsManager"]
    assert (decrypt["Action"], decrypt["Resource"]) == ("kms:Decrypt", SECRETS_KEY_ARN)
    assert decrypt["Condition"] == {"StringEquals": {"kms:ViaService": f"secretsmanager.{TEST_REGION}.amazonaws.com"}}

    assert container("wtsecrets", "frontend")["secrets"] == []
    sids = [s["Sid"] for s in execution_statements("wtsecrets", "frontend")]
    assert sids == ["WriteThisServicesLogs"]


def test_a_secret_pinned_to_a_version_starts_new_tasks_when_the_version_changes() -> None:
    """ECS reads a secret when a task starts and never again (Amazon ECS developer guide, "Pass Secrets Manager
    secrets through Amazon ECS environment variables"); naming its version in valueFrom
    (``arn:json-key:version-stage:version-id``) makes a new version a new task definition, so the service rolls."""
    secrets = {"REDIS_PASSWORD": SecretRef(SESSION_SECRET, version_id="3f1e2d3c-0000-4000-8000-0a1b2c3d4e5f")}
    web_tier("wtpinned", secrets={"backend": secrets}, secrets_key_arn=SECRETS_KEY_ARN)
    assert container("wtpinned", "backend")["secrets"] == [
        {"name": "REDIS_PASSWORD", "valueFrom": f"{SESSION_SECRET}:::3f1e2d3c-0000-4000-8000-0a1b2c3d4e5f"}
    ]
    (read,) = [s for s in execution_statements("wtpinned", "backend") if s["Sid"] == "ReadTheseSecrets"]
    assert read["Resource"] == [SESSION_SECRET]


def test_computed_environment_reaches_the_container() -> None:
    web_tier("wtenv", environment={"backend": {"DATABASE_HOST": "db.internal", "REDIS_PORT": "6379"}})
    backend = container("wtenv", "backend")
    assert {"name": "DATABASE_HOST", "value": "db.internal"} in backend["environment"]
    assert {"name": "REDIS_PORT", "value": "6379"} in backend["environment"]
    assert container("wtenv", "frontend")["environment"] == RUNTIME


def test_the_task_role_may_read_exactly_what_the_application_needs() -> None:
    access = {"backend": ServiceAccess(secret_arns=[DB_SECRET], parameter_arns=[SHARD_MAP_ARN])}
    web_tier("wtaccess", access=access, secrets_key_arn=SECRETS_KEY_ARN)
    _, task = roles("wtaccess", "backend")
    (policy,) = policies_of(task)
    found = {s["Sid"]: s for s in statements(policy.inputs["policy"])}
    assert set(found) == {"ReadTheseSecrets", "DecryptThemThroughSecretsManager", "ReadTheseParameters"}
    assert found["ReadTheseSecrets"]["Resource"] == [DB_SECRET]
    assert found["ReadTheseParameters"] == {
        "Sid": "ReadTheseParameters",
        "Effect": "Allow",
        "Action": ["ssm:GetParameter", "ssm:GetParameters"],
        "Resource": [SHARD_MAP_ARN],
    }
    assert policies_of(roles("wtaccess", "frontend")[1]) == []


def test_ecs_exec_opens_the_ssm_channel_on_the_task_role_only_when_enabled(default_tier: WebTier) -> None:
    web_tier("wtexec", {**IMAGES, "execEnabled": True})
    for service in SERVICES:
        assert one(f"wtexec-{service}-service").inputs["enableExecuteCommand"] is True
        execution, task = roles("wtexec", service)
        (policy,) = policies_of(task)
        (channel,) = statements(policy.inputs["policy"])
        assert channel["Effect"] == "Allow"
        assert channel["Action"] == EXEC_ACTIONS
        assert channel["Resource"] == "*"
        assert [s["Sid"] for s in statements(policies_of(execution)[0].inputs["policy"])] == ["WriteThisServicesLogs"]
        assert policies_of(roles("wtdefault", service)[1]) == []


# -- the smoke test ----------------------------------------------------------------------------------------------------
def smoke_command(name: str) -> tuple[list[str], str]:
    """The smoke test's curl arguments, and what the command does when curl fails."""
    curl, _, on_failure = one(f"{name}-smoke-test").inputs["create"].partition(" || ")
    return shlex.split(curl), on_failure


def test_the_smoke_test_fetches_health_through_the_load_balancer_after_every_deploy(default_tier: WebTier) -> None:
    command = one("wtdefault-smoke-test")
    assert command.type == COMMAND
    argv, on_failure = smoke_command("wtdefault")
    assert argv[0] == "curl"
    assert "--fail" in argv
    assert argv[argv.index("--retry") + 1] == "10"
    assert argv[argv.index("--connect-to") + 1] == f"{DOMAIN}:443:{ALB_DNS_NAME}:443"
    assert argv[-1] == f"https://{DOMAIN}/health"
    assert "echo 'smoke test failed:" in on_failure
    assert "exit 1" in on_failure

    tasks = [task_definition("wtdefault", service) for service in SERVICES]
    assert command.inputs["triggers"] == [task.outputs["arn"] for task in tasks]
    assert sorted(command.property_dependencies["triggers"]) == sorted(task.urn for task in tasks)
    waits_for = {one(f"wtdefault-{service}-service").urn for service in SERVICES}
    waits_for |= {one("wtdefault-http").urn, one("wtdefault-https").urn}
    assert waits_for <= set(command.dependencies)


def test_through_a_cdn_the_smoke_test_goes_the_way_visitors_do() -> None:
    web_tier("wtcdn", via_cdn=True)
    argv, on_failure = smoke_command("wtcdn")
    assert "--connect-to" not in argv
    assert argv[-1] == f"https://{DOMAIN}/health"
    assert "exit 1" in on_failure
    assert one("wtcdn-record").urn in one("wtcdn-smoke-test").dependencies


def test_the_smoke_test_follows_the_settings(tuned_tier: WebTier) -> None:
    argv, on_failure = smoke_command("wttuned")
    assert argv[argv.index("--retry") + 1] == "3"
    assert argv[-1] == f"https://{DOMAIN}/ready"
    assert f"smoke test failed: https://{DOMAIN}/ready" in on_failure
    assert "after 3 retries" in on_failure


def test_no_smoke_test_when_it_is_off() -> None:
    web_tier("wtnosmoke", {**IMAGES, "smokeTest": {"enabled": False}})
    assert registered("wtnosmoke-", COMMAND) == []
    assert len(registered("wtnosmoke-", "aws:ecs/service:Service")) == 2


# -- the metrics collector ---------------------------------------------------------------------------------------------
WORKSPACE_ARN = f"arn:aws:aps:{TEST_REGION}:{ACCOUNT_ID}:workspace/ws-0123"
REMOTE_WRITE = f"https://aps-workspaces.{TEST_REGION}.amazonaws.com/workspaces/ws-0123/api/v1/remote_write"
COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.47.0"


def test_a_collector_next_to_the_backend_scrapes_it_and_remote_writes_with_the_task_role() -> None:
    web_tier(
        "wtmetrics",
        collectors={
            "backend": MetricsCollector(
                image=COLLECTOR_IMAGE, remote_write_url=REMOTE_WRITE, workspace_arn=WORKSPACE_ARN, metrics_path="/m"
            )
        },
    )
    backend, sidecar = json.loads(task_definition("wtmetrics", "backend").inputs["containerDefinitions"])
    settings = WebSettings.model_validate(IMAGES).backend
    # The collector's share comes out of the application's: the task's size is unchanged.
    assert (backend["cpu"], backend["memory"]) == (settings.cpu - 128, settings.memory - 256)
    assert sidecar["name"] == "metrics-collector"
    assert sidecar["image"] == COLLECTOR_IMAGE
    assert (sidecar["essential"], sidecar["cpu"], sidecar["memory"]) == (False, 128, 256)
    assert (sidecar["user"], sidecar["readonlyRootFilesystem"], sidecar["privileged"]) == ("10001", True, False)
    assert sidecar["linuxParameters"]["capabilities"] == {"drop": ["ALL"]}
    assert sidecar["logConfiguration"]["options"]["awslogs-stream-prefix"] == "metrics-collector"
    (variable,) = sidecar["environment"]
    assert variable["name"] == "AOT_CONFIG_CONTENT"
    config = yaml.safe_load(variable["value"])
    (scrape,) = config["receivers"]["prometheus"]["config"]["scrape_configs"]
    assert scrape["job_name"] == "backend"
    assert scrape["metrics_path"] == "/m"
    assert scrape["static_configs"] == [{"targets": [f"localhost:{PORTS['backend']}"]}]
    assert config["exporters"]["prometheusremotewrite"] == {
        "endpoint": REMOTE_WRITE,
        "auth": {"authenticator": "sigv4auth"},
    }
    assert config["extensions"]["sigv4auth"] == {"region": TEST_REGION, "service": "aps"}

    policy = one("wtmetrics-backend-task-metrics")
    _, task_role = roles("wtmetrics", "backend")
    assert policy.property_dependencies["role"] == [task_role.urn]
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {"Sid": "RemoteWriteMetrics", "Effect": "Allow", "Action": "aps:RemoteWrite", "Resource": WORKSPACE_ARN}
    ]
    (frontend,) = json.loads(task_definition("wtmetrics", "frontend").inputs["containerDefinitions"])
    assert frontend["name"] == "frontend"
    assert registered("wtmetrics-frontend-task-metrics") == []


def test_without_a_collector_a_task_runs_its_service_alone(default_tier: WebTier) -> None:
    for service in SERVICES:
        (container,) = json.loads(task_definition("wtdefault", service).inputs["containerDefinitions"])
        assert container["name"] == service
    assert registered("wtdefault-backend-task-metrics") == []
