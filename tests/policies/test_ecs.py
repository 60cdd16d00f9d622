"""ECS rules: each passes on what webstack registers and fails when one thing changes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policies.rules.ecs import (
    POLICIES,
    ecs_cluster_container_insights,
    ecs_service_deployment_circuit_breaker,
    ecs_service_exec_disabled,
    ecs_service_no_public_ip,
    ecs_task_debug_off,
    ecs_task_log_configuration,
    ecs_task_no_host_namespaces,
    ecs_task_no_secrets_in_environment,
    ecs_task_non_root_user,
    ecs_task_not_privileged,
    ecs_task_read_only_root_filesystem,
    ecs_task_separate_roles,
)
from tests.policies.support import Res, apply_changes, check_resource, check_stack, not_applicable

SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
EXEC_ROLE = "urn:pulumi:prod::webstack::aws:iam/role:Role::exec"
TASK_ROLE = "urn:pulumi:prod::webstack::aws:iam/role:Role::task"
TASK_URN = "urn:pulumi:prod::webstack::aws:ecs/taskDefinition:TaskDefinition::backend"

#: Every rule that reads container definitions.
CONTAINER_RULES = [
    ecs_task_non_root_user,
    ecs_task_read_only_root_filesystem,
    ecs_task_not_privileged,
    ecs_task_log_configuration,
    ecs_task_no_secrets_in_environment,
    ecs_task_debug_off,
]
TASK_RULES = [*CONTAINER_RULES, ecs_task_no_host_namespaces]
RESOURCE_RULES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]

UNREADABLE = (
    "containerDefinitions cannot be read as a JSON list of container definitions: pass "
    "container_definitions=json.dumps([...]) (or pulumi.Output.json_dumps) with one object per container."
)


def backend(**changes: Any) -> dict[str, Any]:
    """The backend container webstack registers, with top-level keys changed (None removes a key)."""
    container: dict[str, Any] = {
        "name": "backend",
        "image": "123.dkr.ecr.us-east-1.amazonaws.com/backend@sha256:0123",
        "essential": True,
        "user": "1000:1000",
        "readonlyRootFilesystem": True,
        "privileged": False,
        "linuxParameters": {"initProcessEnabled": True, "capabilities": {"drop": ["ALL"]}},
        "portMappings": [{"containerPort": 8000, "protocol": "tcp"}],
        "environment": [
            {"name": "NODE_ENV", "value": "production"},
            {"name": "PYTHON_ENV", "value": "production"},
            {"name": "DEBUG", "value": "false"},
        ],
        "secrets": [
            {"name": "DATABASE_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}
        ],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": "/webstack-prod/ecs/backend",
                "awslogs-region": "us-east-1",
                "awslogs-stream-prefix": "backend",
            },
        },
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp"}],
        "healthCheck": {
            "command": ["CMD-SHELL", "curl -fsS http://localhost:8000/health || exit 1"],
            "interval": 30,
            "timeout": 10,
            "retries": 3,
            "startPeriod": 40,
        },
    }
    return apply_changes(container, changes)


def worker(**changes: Any) -> dict[str, Any]:
    """A second, equally compliant container."""
    return backend(**{"name": "worker", **changes})


def with_env(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    """The backend's environment plus ``pairs``."""
    return [*backend()["environment"], *({"name": name, "value": value} for name, value in pairs)]


def task(*containers: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """Task definition props as the program registers them (containers as JSON text); None removes a prop."""
    props: dict[str, Any] = {
        "family": "webstack-prod-backend",
        "cpu": "1024",
        "memory": "2048",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
        "taskRoleArn": "arn:aws:iam::123456789012:role/task",
        "containerDefinitions": json.dumps(list(containers or [backend()])),
    }
    return apply_changes(props, changes)


def service(**changes: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "launchType": "FARGATE",
        "networkConfiguration": {
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-app"],
            "assignPublicIp": False,
        },
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "deploymentMinimumHealthyPercent": 100.0,
        "deploymentMaximumPercent": 200.0,
    }
    return apply_changes(props, changes)


CLUSTER_PROPS = {"settings": [{"name": "containerInsights", "value": "enhanced"}]}


# -- the compliant stack -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", TASK_RULES, ids=lambda p: p.name)
def test_the_registered_task_definition_passes(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, TASK, task()) == []


@pytest.mark.parametrize("policy", TASK_RULES, ids=lambda p: p.name)
def test_two_compliant_containers_pass(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, TASK, task(backend(), worker())) == []


@pytest.mark.parametrize("policy", TASK_RULES, ids=lambda p: p.name)
def test_already_parsed_container_definitions_are_read_too(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, TASK, task(containerDefinitions=[backend(), worker()])) == []


@pytest.mark.parametrize("policy", TASK_RULES, ids=lambda p: p.name)
def test_the_analyzers_read_only_proxies_are_read_too(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, TASK, unknown_checking_proxy(task(containerDefinitions=[backend()]))) == []


@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_other_resources_are_ignored(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, "aws:ecs/capacityProvider:CapacityProvider", {}) == []


# -- unreadable container definitions ----------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", CONTAINER_RULES, ids=lambda p: p.name)
@pytest.mark.parametrize(
    "definitions",
    [
        '[{"name": "backend", "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]',
        '{"name": "backend"}',
        "[]",
        '["backend"]',
        "",
        42,
        None,
    ],
    ids=["truncated-json", "an-object", "empty", "not-objects", "empty-text", "a-number", "missing"],
)
def test_unreadable_container_definitions_are_a_violation(policy: ResourceValidationPolicy, definitions: Any) -> None:
    assert check_resource(policy, TASK, task(containerDefinitions=definitions)) == [UNREADABLE]


def test_unreadable_container_definitions_are_never_echoed() -> None:
    broken = '[{"name": "backend", "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]'
    for policy in CONTAINER_RULES:
        assert all("hunter2" not in m for m in check_resource(policy, TASK, task(containerDefinitions=broken)))


# -- aws-ecs-service-no-public-ip --------------------------------------------------------------------------------------
def test_a_private_service_passes() -> None:
    assert check_resource(ecs_service_no_public_ip, SERVICE, service()) == []


def test_a_service_without_network_configuration_gets_no_public_ip() -> None:
    assert check_resource(ecs_service_no_public_ip, SERVICE, service(networkConfiguration=None)) == []
    assert check_resource(ecs_service_no_public_ip, SERVICE, service(networkConfiguration={"subnets": ["a"]})) == []


def test_a_service_with_public_ips_fails() -> None:
    props = service(networkConfiguration={"subnets": ["subnet-a"], "assignPublicIp": True})
    (message,) = check_resource(ecs_service_no_public_ip, SERVICE, props)
    assert message == (
        "The service gives its tasks public IP addresses: set network_configuration.assign_public_ip=False and run "
        "the tasks in private subnets, reached only through the load balancer."
    )


# -- aws-ecs-service-deployment-circuit-breaker ------------------------------------------------------------------------
def test_a_service_with_a_rolling_back_circuit_breaker_passes() -> None:
    assert check_resource(ecs_service_deployment_circuit_breaker, SERVICE, service()) == []


def test_a_service_without_a_circuit_breaker_fails() -> None:
    (message,) = check_resource(ecs_service_deployment_circuit_breaker, SERVICE, service(deploymentCircuitBreaker=None))
    assert message.startswith("The deployment circuit breaker is off: set deployment_circuit_breaker=")


def test_a_disabled_circuit_breaker_fails() -> None:
    props = service(deploymentCircuitBreaker={"enable": False, "rollback": True})
    (message,) = check_resource(ecs_service_deployment_circuit_breaker, SERVICE, props)
    assert message.startswith("The deployment circuit breaker is off")


def test_a_circuit_breaker_that_does_not_roll_back_fails() -> None:
    for breaker in ({"enable": True, "rollback": False}, {"enable": True}):
        (message,) = check_resource(
            ecs_service_deployment_circuit_breaker, SERVICE, service(deploymentCircuitBreaker=breaker)
        )
        assert message == (
            "The deployment circuit breaker does not roll back: set rollback=True in deployment_circuit_breaker so a "
            "failing deployment returns to the last working one."
        )


def test_the_circuit_breaker_does_not_apply_to_code_deploy_services() -> None:
    props = service(deploymentCircuitBreaker=None, deploymentController={"type": "CODE_DEPLOY"})
    assert not_applicable(ecs_service_deployment_circuit_breaker, SERVICE, props) == (
        "the CODE_DEPLOY deployment controller has no deployment circuit breaker"
    )


def test_an_explicit_ecs_controller_still_needs_the_circuit_breaker() -> None:
    props = service(deploymentCircuitBreaker=None, deploymentController={"type": "ECS"})
    assert len(check_resource(ecs_service_deployment_circuit_breaker, SERVICE, props)) == 1


# -- aws-ecs-cluster-container-insights --------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["enhanced", "enabled"])
def test_a_cluster_with_container_insights_passes(value: str) -> None:
    props = {"settings": [{"name": "containerInsights", "value": value}]}
    assert check_resource(ecs_cluster_container_insights, CLUSTER, props) == []


def test_a_cluster_with_container_insights_disabled_fails() -> None:
    props = {"settings": [{"name": "containerInsights", "value": "disabled"}]}
    (message,) = check_resource(ecs_cluster_container_insights, CLUSTER, props)
    assert message == (
        'Container Insights is set to \'disabled\': set settings=[{"name": "containerInsights", "value": '
        '"enhanced"}] (or "enabled") on the cluster.'
    )


@pytest.mark.parametrize("props", [{}, {"settings": []}, {"settings": [{"name": "other", "value": "enabled"}]}])
def test_a_cluster_without_container_insights_fails(props: dict[str, Any]) -> None:
    (message,) = check_resource(ecs_cluster_container_insights, CLUSTER, props)
    assert message.startswith("Container Insights is not configured: set settings=")


def test_the_registered_cluster_passes() -> None:
    assert check_resource(ecs_cluster_container_insights, CLUSTER, CLUSTER_PROPS) == []


# -- aws-ecs-task-non-root-user ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("user", ["1000", "1000:1000", "app", "app:app", "10001:0"])
def test_a_non_root_user_passes(user: str) -> None:
    assert check_resource(ecs_task_non_root_user, TASK, task(backend(user=user))) == []


@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:root", "0:1000", "root:app"])
def test_a_root_user_fails(user: str) -> None:
    (message,) = check_resource(ecs_task_non_root_user, TASK, task(backend(user=user)))
    assert message == (
        f"Container 'backend' runs as root (user '{user}'): set \"user\" to a non-root UID:GID such as \"1000:1000\"."
    )


@pytest.mark.parametrize("user", [None, ""])
def test_a_container_without_a_user_fails(user: str | None) -> None:
    (message,) = check_resource(ecs_task_non_root_user, TASK, task(backend(user=user)))
    assert message == (
        "Container 'backend' sets no user, so it runs as the image's user, root by default: set \"user\": "
        '"1000:1000" (a non-root UID:GID) in its definition.'
    )


def test_a_second_container_running_as_root_fails() -> None:
    (message,) = check_resource(ecs_task_non_root_user, TASK, task(backend(), worker(user="0")))
    assert message.startswith("Container 'worker' runs as root")


def test_a_container_without_a_name_is_named_by_position() -> None:
    (message,) = check_resource(ecs_task_non_root_user, TASK, task(backend(), worker(name=None, user="root")))
    assert message.startswith("Container #2 runs as root")


# -- aws-ecs-task-read-only-root-filesystem ----------------------------------------------------------------------------
@pytest.mark.parametrize("value", [False, None])
def test_a_writable_root_filesystem_fails(value: bool | None) -> None:
    (message,) = check_resource(ecs_task_read_only_root_filesystem, TASK, task(backend(readonlyRootFilesystem=value)))
    assert message == (
        "Container 'backend' can write to its root filesystem: set \"readonlyRootFilesystem\": true and mount a "
        "volume at each path it writes (such as /tmp)."
    )


def test_a_second_container_with_a_writable_root_filesystem_fails() -> None:
    found = check_resource(
        ecs_task_read_only_root_filesystem, TASK, task(backend(), worker(readonlyRootFilesystem=False))
    )
    assert [m.split(" can ")[0] for m in found] == ["Container 'worker'"]


# -- aws-ecs-task-not-privileged ---------------------------------------------------------------------------------------
def test_a_container_without_the_privileged_flag_passes() -> None:
    assert check_resource(ecs_task_not_privileged, TASK, task(backend(privileged=None, linuxParameters=None))) == []


def test_a_privileged_container_fails() -> None:
    (message,) = check_resource(ecs_task_not_privileged, TASK, task(backend(privileged=True)))
    assert message == (
        "Container 'backend' is privileged, with full access to the host: remove \"privileged\": true from its "
        "definition."
    )


def test_a_container_adding_capabilities_fails() -> None:
    params = {"capabilities": {"add": ["SYS_ADMIN", "NET_ADMIN"], "drop": ["ALL"]}}
    (message,) = check_resource(ecs_task_not_privileged, TASK, task(backend(linuxParameters=params)))
    assert message == (
        "Container 'backend' adds Linux capabilities (SYS_ADMIN, NET_ADMIN): remove linuxParameters.capabilities.add, "
        'and drop what it does not need ("drop": ["ALL"]).'
    )


def test_an_empty_capability_list_passes() -> None:
    params = {"capabilities": {"add": [], "drop": ["ALL"]}}
    assert check_resource(ecs_task_not_privileged, TASK, task(backend(linuxParameters=params))) == []


def test_a_privileged_second_container_fails() -> None:
    (message,) = check_resource(ecs_task_not_privileged, TASK, task(backend(), worker(privileged=True)))
    assert message.startswith("Container 'worker' is privileged")


def test_malformed_linux_parameters_do_not_crash() -> None:
    assert check_resource(ecs_task_not_privileged, TASK, task(backend(linuxParameters="oops"))) == []


# -- aws-ecs-task-no-host-namespaces -----------------------------------------------------------------------------------
def test_host_networking_fails() -> None:
    (message,) = check_resource(ecs_task_no_host_namespaces, TASK, task(networkMode="host"))
    assert message == 'network_mode is "host", so the task shares the host\'s network stack: set network_mode="awsvpc".'


def test_the_host_pid_namespace_fails() -> None:
    (message,) = check_resource(ecs_task_no_host_namespaces, TASK, task(pidMode="host"))
    assert (
        message == 'pid_mode is "host", so the task sees the host\'s processes: remove pid_mode (or set it to "task").'
    )


def test_the_host_ipc_namespace_fails() -> None:
    (message,) = check_resource(ecs_task_no_host_namespaces, TASK, task(ipcMode="host"))
    assert message.startswith('ipc_mode is "host", so the task shares the host\'s IPC resources: remove ipc_mode')


def test_every_host_namespace_is_reported() -> None:
    assert len(check_resource(ecs_task_no_host_namespaces, TASK, task(networkMode="host", pidMode="host"))) == 2


@pytest.mark.parametrize("changes", [{"networkMode": None}, {"networkMode": "bridge", "pidMode": "task"}])
def test_task_scoped_namespaces_pass(changes: dict[str, Any]) -> None:
    assert check_resource(ecs_task_no_host_namespaces, TASK, task(**changes)) == []


# -- aws-ecs-task-log-configuration ------------------------------------------------------------------------------------
def test_firelens_logging_passes() -> None:
    props = task(backend(logConfiguration={"logDriver": "awsfirelens", "options": {"Name": "cloudwatch"}}))
    assert check_resource(ecs_task_log_configuration, TASK, props) == []


@pytest.mark.parametrize("log_configuration", [None, {}, {"options": {"awslogs-group": "x"}}])
def test_a_container_without_a_log_driver_fails(log_configuration: dict[str, Any] | None) -> None:
    (message,) = check_resource(ecs_task_log_configuration, TASK, task(backend(logConfiguration=log_configuration)))
    assert message.startswith(
        "Container 'backend' has no log configuration, so its logs are lost: set \"logConfiguration\": "
        '{"logDriver": "awslogs"'
    )


def test_a_log_driver_outside_the_allowed_ones_fails() -> None:
    (message,) = check_resource(
        ecs_task_log_configuration, TASK, task(backend(logConfiguration={"logDriver": "splunk"}))
    )
    assert message == "Container 'backend' logs through the 'splunk' driver: use one of awslogs, awsfirelens."


def test_a_second_container_without_logs_fails() -> None:
    (message,) = check_resource(ecs_task_log_configuration, TASK, task(backend(), worker(logConfiguration=None)))
    assert message.startswith("Container 'worker' has no log configuration")


def test_the_allowed_log_drivers_are_configurable() -> None:
    config = {"allowedLogDrivers": ["awsfirelens"]}
    (message,) = check_resource(ecs_task_log_configuration, TASK, task(), config=config)
    assert message == "Container 'backend' logs through the 'awslogs' driver: use one of awsfirelens."


# -- aws-ecs-task-no-secrets-in-environment ----------------------------------------------------------------------------
SECRET_NAMES = [
    "DB_PASSWORD",
    "SECRET_KEY",
    "GF_SECURITY_ADMIN_PASSWORD",
    "SENTRY_DSN",
    "DATABASE_URL",
    "REDIS_URL",
    "API_KEY",
    "STRIPE_API_KEY",
    "JWT_PRIVATE_KEY",
    "GITHUB_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "SMTP_PASS",
    "MYSQL_PASSWD",
    "GCP_CREDENTIALS",
    "SERVICE_CREDENTIAL",
    "db_password",
]
PLAIN_NAMES = [
    "KEYCLOAK_URL",
    "MONKEY",
    "PASSAGE_MODE",
    "NODE_ENV",
    "DATABASE_HOST",
    "REDIS_URL_PREFIX",
    "MY_DATABASE_URL",
    "TOKENIZER_MODEL",
    "SECRETARY_NAME",
]


@pytest.mark.parametrize("name", SECRET_NAMES)
def test_a_secret_looking_variable_in_the_environment_fails(name: str) -> None:
    props = task(backend(environment=with_env((name, "s3cr3t-value"))))
    (message,) = check_resource(ecs_task_no_secrets_in_environment, TASK, props)
    assert message == (
        f"Container 'backend' puts {name} in its plain-text environment: move it to \"secrets\", each with a "
        '"valueFrom" naming a Secrets Manager secret or SSM parameter.'
    )
    assert "s3cr3t-value" not in message


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_an_ordinary_variable_in_the_environment_passes(name: str) -> None:
    props = task(backend(environment=with_env((name, "value"))))
    assert check_resource(ecs_task_no_secrets_in_environment, TASK, props) == []


def test_secrets_from_value_from_pass() -> None:
    secrets = [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/db"}]
    assert check_resource(ecs_task_no_secrets_in_environment, TASK, task(backend(secrets=secrets))) == []


def test_several_secrets_in_one_container_are_reported_together() -> None:
    props = task(backend(environment=with_env(("DB_PASSWORD", "a"), ("SECRET_KEY", "b"))))
    (message,) = check_resource(ecs_task_no_secrets_in_environment, TASK, props)
    assert message.startswith(
        "Container 'backend' puts DB_PASSWORD, SECRET_KEY in its plain-text environment: move them"
    )


def test_a_secret_in_a_second_container_fails() -> None:
    props = task(backend(), worker(environment=[{"name": "SENTRY_DSN", "value": "https://key@sentry.io/1"}]))
    (message,) = check_resource(ecs_task_no_secrets_in_environment, TASK, props)
    assert message.startswith("Container 'worker' puts SENTRY_DSN")


def test_the_secret_name_pattern_is_configurable() -> None:
    props = task(backend(environment=with_env(("LICENSE", "abc"), ("DB_PASSWORD", "x"))))
    found = check_resource(ecs_task_no_secrets_in_environment, TASK, props, config={"secretNamePattern": "^license$"})
    assert [m.split(" in its ")[0] for m in found] == ["Container 'backend' puts LICENSE"]


def test_an_invalid_secret_name_pattern_is_reported_not_raised() -> None:
    (message,) = check_resource(ecs_task_no_secrets_in_environment, TASK, task(), config={"secretNamePattern": "("})
    assert message.startswith("The policy's secretNamePattern is not a valid regular expression")


# -- aws-ecs-task-debug-off --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["1", "true", "True", "TRUE", "yes", "on", " On "])
def test_a_debug_switch_that_is_on_fails(value: str) -> None:
    env = [{"name": "NODE_ENV", "value": "production"}, {"name": "DEBUG", "value": value}]
    (message,) = check_resource(ecs_task_debug_off, TASK, task(backend(environment=env)))
    assert message == "Container 'backend' turns DEBUG on: set DEBUG to \"false\" or remove it."


@pytest.mark.parametrize("name", ["APP_DEBUG", "DJANGO_DEBUG", "FLASK_DEBUG"])
def test_every_default_debug_switch_is_checked(name: str) -> None:
    (message,) = check_resource(ecs_task_debug_off, TASK, task(backend(environment=with_env((name, "1")))))
    assert message.startswith(f"Container 'backend' turns {name} on")


@pytest.mark.parametrize("value", ["0", "false", "off", "no", ""])
def test_a_debug_switch_that_is_off_passes(value: str) -> None:
    env = [{"name": "DJANGO_DEBUG", "value": value}]
    assert check_resource(ecs_task_debug_off, TASK, task(backend(environment=env))) == []


@pytest.mark.parametrize("name", ["NODE_ENV", "APP_ENV", "PYTHON_ENV"])
def test_an_environment_other_than_production_fails(name: str) -> None:
    env = [{"name": name, "value": "development"}]
    (message,) = check_resource(ecs_task_debug_off, TASK, task(backend(environment=env)))
    assert (
        message == f'Container \'backend\' sets {name} to something other than "production": set {name}="production".'
    )


def test_an_environment_variable_without_a_value_fails() -> None:
    env = [{"name": "APP_ENV"}]
    assert len(check_resource(ecs_task_debug_off, TASK, task(backend(environment=env)))) == 1


def test_a_container_without_environment_variables_passes() -> None:
    assert check_resource(ecs_task_debug_off, TASK, task(backend(environment=None))) == []


def test_debug_in_a_second_container_fails() -> None:
    (message,) = check_resource(
        ecs_task_debug_off, TASK, task(backend(), worker(environment=[{"name": "DEBUG", "value": "1"}]))
    )
    assert message.startswith("Container 'worker' turns DEBUG on")


def test_the_debug_and_environment_variables_are_configurable() -> None:
    env = [{"name": "RAILS_ENV", "value": "development"}, {"name": "VERBOSE", "value": "yes"}]
    props = task(backend(environment=env))
    assert check_resource(ecs_task_debug_off, TASK, props) == []
    config = {"debugVariables": ["VERBOSE"], "environmentVariables": ["RAILS_ENV"]}
    found = check_resource(ecs_task_debug_off, TASK, props, config=config)
    assert [m.split(":")[0] for m in found] == [
        "Container 'backend' sets RAILS_ENV to something other than \"production\"",
        "Container 'backend' turns VERBOSE on",
    ]


# -- no message echoes an environment value ----------------------------------------------------------------------------
def test_no_message_contains_an_environment_value() -> None:
    env = [
        {"name": "DB_PASSWORD", "value": "Zq9-leak-password"},
        {"name": "DATABASE_URL", "value": "postgres://app:Zq9-leak-url@db:5432/app"},
        {"name": "NODE_ENV", "value": "Zq9-leak-env"},
        {"name": "DEBUG", "value": "true"},
    ]
    props = task(backend(environment=env, user="root", privileged=True, logConfiguration=None), networkMode="host")
    found = [m for policy in TASK_RULES for m in check_resource(policy, TASK, props)]
    assert len(found) >= 6
    assert not [m for m in found if "Zq9" in m or "postgres://" in m]


# -- aws-ecs-task-separate-roles ---------------------------------------------------------------------------------------
def roles_stack(props: dict[str, Any] | None = None, deps: dict[str, list[str]] | None = None) -> list[Res]:
    """Two roles and the task definition, which depends on each through its ARN property."""
    return [
        Res(EXEC_ROLE, ROLE, {"name": "exec"}),
        Res(TASK_ROLE, ROLE, {"name": "task"}),
        Res(
            TASK_URN,
            TASK,
            task() if props is None else props,
            {"executionRoleArn": [EXEC_ROLE], "taskRoleArn": [TASK_ROLE]} if deps is None else deps,
        ),
    ]


def test_separate_execution_and_task_roles_pass() -> None:
    assert check_stack(ecs_task_separate_roles, roles_stack()) == []


def test_one_role_for_execution_and_task_fails() -> None:
    stack = roles_stack(deps={"executionRoleArn": [EXEC_ROLE], "taskRoleArn": [EXEC_ROLE]})
    ((urn, message),) = check_stack(ecs_task_separate_roles, stack)
    assert urn == TASK_URN
    assert message == (
        "The task definition uses one role as both its execution role and its task role, so the app holds the "
        "rights to pull images and read every secret: give task_role_arn a role of its own with only what the app "
        "calls."
    )


def test_the_roles_are_compared_through_dependencies_during_a_preview() -> None:
    unknown = task(executionRoleArn=UNKNOWN_STRING_VALUE, taskRoleArn=UNKNOWN_STRING_VALUE)
    assert check_stack(ecs_task_separate_roles, roles_stack(unknown_checking_proxy(unknown))) == []
    same = {"executionRoleArn": [EXEC_ROLE], "taskRoleArn": [EXEC_ROLE]}
    assert len(check_stack(ecs_task_separate_roles, roles_stack(unknown_checking_proxy(unknown), same))) == 1


def test_a_task_definition_without_an_execution_role_fails() -> None:
    ((urn, message),) = check_stack(
        ecs_task_separate_roles, roles_stack(task(executionRoleArn=None), {"taskRoleArn": [TASK_ROLE]})
    )
    assert urn == TASK_URN
    assert message.startswith("The task definition has no execution role: set execution_role_arn")


def test_a_task_definition_without_a_task_role_passes() -> None:
    assert (
        check_stack(ecs_task_separate_roles, roles_stack(task(taskRoleArn=None), {"executionRoleArn": [EXEC_ROLE]}))
        == []
    )


def test_literal_role_arns_are_compared_when_nothing_is_a_dependency() -> None:
    assert check_stack(ecs_task_separate_roles, roles_stack(deps={})) == []
    same = task(taskRoleArn="arn:aws:iam::123456789012:role/exec")
    ((_, message),) = check_stack(ecs_task_separate_roles, roles_stack(same, {}))
    assert message.startswith("The task definition uses one role as both its execution role and its task role")


def test_every_task_definition_is_checked() -> None:
    other_urn = TASK_URN.replace("::backend", "::worker")
    stack = [
        *roles_stack(),
        Res(other_urn, TASK, task(), {"executionRoleArn": [TASK_ROLE], "taskRoleArn": [TASK_ROLE]}),
    ]
    assert [urn for urn, _ in check_stack(ecs_task_separate_roles, stack)] == [other_urn]


def test_the_rules_do_not_change_the_props_they_judge() -> None:
    props = task()
    snapshot = copy.deepcopy(props)
    for policy in TASK_RULES:
        check_resource(policy, TASK, props)
    assert props == snapshot


# -- aws-ecs-service-exec-disabled -------------------------------------------------------------------------------------
def test_a_service_without_ecs_exec_passes() -> None:
    assert check_resource(ecs_service_exec_disabled, SERVICE, {"enableExecuteCommand": False}) == []
    assert check_resource(ecs_service_exec_disabled, SERVICE, {}) == []


def test_a_service_with_ecs_exec_fails() -> None:
    (message,) = check_resource(ecs_service_exec_disabled, SERVICE, {"enableExecuteCommand": True})
    assert message.startswith("ECS Exec is on, so anyone allowed to call ecs:ExecuteCommand gets a shell")


def test_a_variable_that_names_a_secret_by_arn_is_not_a_secret() -> None:
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-abc"
    props = task(backend(environment=[{"name": "DATABASE_SECRET_ARN", "value": arn}]))
    assert check_resource(ecs_task_no_secrets_in_environment, TASK, props) == []


def test_an_arn_named_variable_holding_anything_else_is_still_a_secret() -> None:
    props = task(backend(environment=[{"name": "DATABASE_SECRET_ARN", "value": "hunter2"}]))
    (message,) = check_resource(ecs_task_no_secrets_in_environment, TASK, props)
    assert "DATABASE_SECRET_ARN" in message
    assert "hunter2" not in message
