"""ECS rules: services stay private and roll back, clusters report, and containers run locked down.

``containerDefinitions`` reaches the analyzer as JSON text (ECS API camelCase keys); :func:`_containers` reads it for
every task-definition rule. Messages name containers and environment variables, never a variable's value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import pattern_setting, schema, setting
from ._props import is_list, is_true

SERVICE = "aws:ecs/service:Service"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"

#: ``user`` values that mean root, besides those starting with ``root:`` or ``0:``.
ROOT_USERS = frozenset({"root", "0", "0:0"})
#: Environment values that turn a debug switch on (compared case-insensitively).
TRUTHY = frozenset({"1", "true", "yes", "on"})


def _mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or {} for anything else (absent, or the wrong shape)."""
    return value if isinstance(value, Mapping) else {}


def _containers(props: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The task's container definitions, from JSON text or an already-parsed list; None when they cannot be read
    (missing, not JSON, not a non-empty list of objects)."""
    raw = props.get("containerDefinitions")
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    if not is_list(raw) or not raw or not all(isinstance(item, Mapping) for item in raw):
        return None
    return list(raw)


def _task_containers(args: ResourceValidationArgs, report: ReportViolation) -> list[Mapping[str, Any]]:
    """The containers a task-definition rule judges: [] for other resources, and [] after reporting definitions that
    cannot be read (never echoing them: they may hold secrets)."""
    if args.resource_type != TASK_DEFINITION:
        return []
    containers = _containers(args.props)
    if containers is None:
        report(
            "containerDefinitions cannot be read as a JSON list of container definitions: pass "
            "container_definitions=json.dumps([...]) (or pulumi.Output.json_dumps) with one object per container.",
            None,
        )
        return []
    return containers


def _label(container: Mapping[str, Any], index: int) -> str:
    """How messages name a container: by its name, else by its position."""
    name = container.get("name")
    return f"Container '{name}'" if name else f"Container #{index + 1}"


def _environment(container: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The container's ``environment`` as (name, value) pairs; entries without a name are skipped."""
    entries = container.get("environment") or []
    if not is_list(entries):
        return []
    return [
        (str(entry.get("name")), entry.get("value"))
        for entry in entries
        if isinstance(entry, Mapping) and entry.get("name")
    ]


# -- services ----------------------------------------------------------------------------------------------------------
def _no_public_ip(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SERVICE:
        return
    network = _mapping(args.props.get("networkConfiguration"))
    if is_true(network.get("assignPublicIp")):
        report(
            "The service gives its tasks public IP addresses: set network_configuration.assign_public_ip=False and "
            "run the tasks in private subnets, reached only through the load balancer.",
            None,
        )


ecs_service_no_public_ip = ResourceValidationPolicy(
    name="aws-ecs-service-no-public-ip",
    description="Checks that no ECS service gives its tasks public IP addresses.",
    validate=_no_public_ip,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["ecs", "network", "checklist:block-app-ports", "fsbp:ECS.2"],
    remediation_steps="Set network_configuration.assign_public_ip=False on the aws.ecs.Service, place its tasks in "
    "private subnets (with a NAT gateway or VPC endpoints for outbound calls) and expose them through the load "
    "balancer.",
)


#: Deployment controllers that do not support the circuit breaker (it works only with rolling ECS deployments).
_NO_CIRCUIT_BREAKER = frozenset({"CODE_DEPLOY", "EXTERNAL"})


def _circuit_breaker(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SERVICE:
        return
    controller = str(_mapping(args.props.get("deploymentController")).get("type") or "ECS")
    if controller in _NO_CIRCUIT_BREAKER:
        args.not_applicable(f"the {controller} deployment controller has no deployment circuit breaker")
    breaker = _mapping(args.props.get("deploymentCircuitBreaker"))
    if not is_true(breaker.get("enable")):
        report(
            "The deployment circuit breaker is off: set deployment_circuit_breaker="
            "aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, rollback=True) so a failing deployment stops "
            "and rolls back.",
            None,
        )
    elif not is_true(breaker.get("rollback")):
        report(
            "The deployment circuit breaker does not roll back: set rollback=True in deployment_circuit_breaker so a "
            "failing deployment returns to the last working one.",
            None,
        )


ecs_service_deployment_circuit_breaker = ResourceValidationPolicy(
    name="aws-ecs-service-deployment-circuit-breaker",
    description="Checks that every ECS service rolls a failed deployment back by itself (the deployment circuit "
    "breaker with rollback).",
    validate=_circuit_breaker,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["ecs", "availability", "checklist:replication-health-checks"],
    remediation_steps="Set deployment_circuit_breaker=aws.ecs.ServiceDeploymentCircuitBreakerArgs(enable=True, "
    "rollback=True) on the aws.ecs.Service, and give its containers and target group health checks.",
)


def _exec_disabled(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == SERVICE and is_true(args.props.get("enableExecuteCommand")):
        report(
            "ECS Exec is on, so anyone allowed to call ecs:ExecuteCommand gets a shell in the running tasks: set "
            "enable_execute_command=False (webstack:web.execEnabled: false).",
            None,
        )


ecs_service_exec_disabled = ResourceValidationPolicy(
    name="aws-ecs-service-exec-disabled",
    description="Checks that no ECS service allows ECS Exec (interactive shells in running tasks).",
    validate=_exec_disabled,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["ecs", "checklist:least-privilege"],
    remediation_steps="Set enable_execute_command=False on the aws.ecs.Service; enable it only in non-production "
    "stacks, whose policy configuration makes this rule advisory.",
)


# -- clusters ----------------------------------------------------------------------------------------------------------
#: containerInsights values that collect metrics.
INSIGHTS_ON = ("enabled", "enhanced")


def _container_insights(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CLUSTER:
        return
    settings = args.props.get("settings") or []
    values = [
        str(item.get("value"))
        for item in (settings if is_list(settings) else [])
        if isinstance(item, Mapping) and item.get("name") == "containerInsights"
    ]
    if any(value in INSIGHTS_ON for value in values):
        return
    state = f"set to '{values[0]}'" if values else "not configured"
    report(
        f'Container Insights is {state}: set settings=[{{"name": "containerInsights", "value": "enhanced"}}] '
        '(or "enabled") on the cluster.',
        None,
    )


ecs_cluster_container_insights = ResourceValidationPolicy(
    name="aws-ecs-cluster-container-insights",
    description="Checks that every ECS cluster has Container Insights on (enabled or enhanced).",
    validate=_container_insights,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["ecs", "logging", "checklist:logging", "fsbp:ECS.12"],
    remediation_steps='Add aws.ecs.ClusterSettingArgs(name="containerInsights", value="enhanced") to the '
    "aws.ecs.Cluster's settings.",
)


# -- task definitions: containers --------------------------------------------------------------------------------------
def _is_root(user: str) -> bool:
    return user in ROOT_USERS or user.startswith(("root:", "0:"))


def _non_root_user(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for index, container in enumerate(_task_containers(args, report)):
        user = str(container.get("user") or "").strip()
        if not user:
            report(
                f"{_label(container, index)} sets no user, so it runs as the image's user, root by default: set "
                '"user": "1000:1000" (a non-root UID:GID) in its definition.',
                None,
            )
        elif _is_root(user):
            report(
                f"{_label(container, index)} runs as root (user '{user}'): set \"user\" to a non-root UID:GID such as "
                '"1000:1000".',
                None,
            )


ecs_task_non_root_user = ResourceValidationPolicy(
    name="aws-ecs-task-non-root-user",
    description="Checks that every container of an ECS task definition names a user, and not root.",
    validate=_non_root_user,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["ecs", "containers", "checklist:least-privilege"],
    remediation_steps='Set "user": "<uid>:<gid>" (e.g. "1000:1000") in every container definition, and build the '
    "image so that this user can run the app.",
)


def _read_only_root(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for index, container in enumerate(_task_containers(args, report)):
        if not is_true(container.get("readonlyRootFilesystem")):
            report(
                f'{_label(container, index)} can write to its root filesystem: set "readonlyRootFilesystem": true '
                "and mount a volume at each path it writes (such as /tmp).",
                None,
            )


ecs_task_read_only_root_filesystem = ResourceValidationPolicy(
    name="aws-ecs-task-read-only-root-filesystem",
    description="Checks that every container of an ECS task definition has a read-only root filesystem.",
    validate=_read_only_root,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["ecs", "containers", "checklist:least-privilege", "fsbp:ECS.5"],
    remediation_steps='Set "readonlyRootFilesystem": true in every container definition; give the paths the app '
    "writes (/tmp, caches) their own volumes and mountPoints.",
)


def _not_privileged(args: ResourceValidationArgs, report: ReportViolation) -> None:
    for index, container in enumerate(_task_containers(args, report)):
        if is_true(container.get("privileged")):
            report(
                f'{_label(container, index)} is privileged, with full access to the host: remove "privileged": '
                "true from its definition.",
                None,
            )
        capabilities = _mapping(_mapping(container.get("linuxParameters")).get("capabilities"))
        added = capabilities.get("add") or []
        if added:
            names = ", ".join(str(c) for c in added) if is_list(added) else str(added)
            report(
                f"{_label(container, index)} adds Linux capabilities ({names}): remove linuxParameters.capabilities."
                'add, and drop what it does not need ("drop": ["ALL"]).',
                None,
            )


ecs_task_not_privileged = ResourceValidationPolicy(
    name="aws-ecs-task-not-privileged",
    description="Checks that no container of an ECS task definition is privileged or adds Linux capabilities.",
    validate=_not_privileged,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["ecs", "containers", "checklist:least-privilege", "fsbp:ECS.4"],
    remediation_steps='Remove "privileged": true and linuxParameters.capabilities.add from the container '
    'definitions; set linuxParameters.capabilities.drop to ["ALL"].',
)


# -- task definitions: the task ----------------------------------------------------------------------------------------
#: Task properties that must not be "host": the setting's Python name, what "host" exposes, and the fix.
_HOST_MODES = {
    "networkMode": ("network_mode", "shares the host's network stack", 'set network_mode="awsvpc"'),
    "pidMode": ("pid_mode", "sees the host's processes", 'remove pid_mode (or set it to "task")'),
    "ipcMode": ("ipc_mode", "shares the host's IPC resources", 'remove ipc_mode (or set it to "task" or "none")'),
}


def _no_host_namespaces(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != TASK_DEFINITION:
        return
    for prop, (setting_name, exposure, fix) in _HOST_MODES.items():
        if str(args.props.get(prop) or "").strip().lower() == "host":
            report(f'{setting_name} is "host", so the task {exposure}: {fix}.', None)


ecs_task_no_host_namespaces = ResourceValidationPolicy(
    name="aws-ecs-task-no-host-namespaces",
    description="Checks that no ECS task definition shares the host's network, PID or IPC namespace.",
    validate=_no_host_namespaces,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["ecs", "containers", "checklist:least-privilege", "fsbp:ECS.3", "fsbp:ECS.17"],
    remediation_steps='Use network_mode="awsvpc" and leave pid_mode and ipc_mode unset (or "task") on the '
    "aws.ecs.TaskDefinition.",
)


# -- task definitions: logging -----------------------------------------------------------------------------------------
_LOG_SCHEMA = schema(
    {
        "allowedLogDrivers": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["awslogs", "awsfirelens"],
            "description": "Log drivers a container may use.",
        }
    }
)


def _log_configuration(args: ResourceValidationArgs, report: ReportViolation) -> None:
    allowed = [str(d) for d in setting(args, _LOG_SCHEMA, "allowedLogDrivers")]
    for index, container in enumerate(_task_containers(args, report)):
        driver = str(_mapping(container.get("logConfiguration")).get("logDriver") or "")
        if not driver:
            report(
                f"{_label(container, index)} has no log configuration, so its logs are lost: set "
                '"logConfiguration": {"logDriver": "awslogs", "options": {...}} with an encrypted log group.',
                None,
            )
        elif driver not in allowed:
            report(
                f"{_label(container, index)} logs through the '{driver}' driver: use one of {', '.join(allowed)}.",
                None,
            )


ecs_task_log_configuration = ResourceValidationPolicy(
    name="aws-ecs-task-log-configuration",
    description="Checks that every container of an ECS task definition ships its logs through an allowed log driver "
    "(`allowedLogDrivers`: awslogs or FireLens).",
    validate=_log_configuration,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_LOG_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["ecs", "logging", "checklist:logging", "fsbp:ECS.9"],
    remediation_steps='Give every container definition "logConfiguration": {"logDriver": "awslogs", "options": '
    '{"awslogs-group": ..., "awslogs-region": ..., "awslogs-stream-prefix": ...}} (or route it through FireLens).',
)


# -- task definitions: secrets -----------------------------------------------------------------------------------------
#: Whole ``_``-separated words that mark a secret, plus connection URLs that carry credentials.
DEFAULT_SECRET_NAME_PATTERN = (
    r"(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|API_KEY|PRIVATE_KEY|KEY|DSN|CREDENTIALS?)(_|$)"
    r"|^(DATABASE_URL|REDIS_URL)$"
)

_SECRETS_SCHEMA = schema(
    {
        "secretNamePattern": {
            "type": "string",
            "default": DEFAULT_SECRET_NAME_PATTERN,
            "description": "A regular expression (matched case-insensitively, anywhere in the name) for environment "
            "variable names that hold secrets.",
        }
    }
)


def _is_reference(name: str, value: Any) -> bool:
    """``*_ARN`` variables holding an ARN name a secret (for the app to fetch), they do not carry it."""
    return name.upper().endswith("_ARN") and isinstance(value, str) and value.startswith("arn:")


def _no_secrets_in_environment(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != TASK_DEFINITION:
        return
    pattern = pattern_setting(args, _SECRETS_SCHEMA, "secretNamePattern")
    if isinstance(pattern, str):
        report(pattern, None)
        return
    for index, container in enumerate(_task_containers(args, report)):
        names = [
            name for name, value in _environment(container) if pattern.search(name) and not _is_reference(name, value)
        ]
        if names:
            report(
                f"{_label(container, index)} puts {', '.join(names)} in its plain-text environment: move "
                f'{"them" if len(names) > 1 else "it"} to "secrets", each with a "valueFrom" naming a Secrets '
                "Manager secret or SSM parameter.",
                None,
            )


ecs_task_no_secrets_in_environment = ResourceValidationPolicy(
    name="aws-ecs-task-no-secrets-in-environment",
    description="Checks that ECS containers take secret-looking variables (passwords, tokens, keys, DSNs, database "
    "URLs) from `secrets`, never from the plain-text `environment`.",
    validate=_no_secrets_in_environment,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SECRETS_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["ecs", "secrets", "checklist:secrets", "fsbp:ECS.8"],
    remediation_steps="Store the value in Secrets Manager or SSM Parameter Store, reference it from the container's "
    "secrets[].valueFrom, let the execution role read it, and remove it from environment.",
)


# -- task definitions: debug -------------------------------------------------------------------------------------------
_DEBUG_SCHEMA = schema(
    {
        "debugVariables": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["DEBUG", "APP_DEBUG", "DJANGO_DEBUG", "FLASK_DEBUG"],
            "description": "Environment variables that must not be on (1, true, yes, on).",
        },
        "environmentVariables": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["NODE_ENV", "APP_ENV", "PYTHON_ENV"],
            "description": "Environment variables that, when set, must be 'production'.",
        },
    }
)
PRODUCTION = "production"


def _debug_off(args: ResourceValidationArgs, report: ReportViolation) -> None:
    debug = {str(v).upper() for v in setting(args, _DEBUG_SCHEMA, "debugVariables")}
    environments = {str(v).upper() for v in setting(args, _DEBUG_SCHEMA, "environmentVariables")}
    for index, container in enumerate(_task_containers(args, report)):
        for name, value in _environment(container):
            text = "" if value is None else str(value)
            if name.upper() in debug and text.strip().lower() in TRUTHY:
                report(
                    f'{_label(container, index)} turns {name} on: set {name} to "false" or remove it.',
                    None,
                )
            if name.upper() in environments and text != PRODUCTION:
                report(
                    f'{_label(container, index)} sets {name} to something other than "{PRODUCTION}": set '
                    f'{name}="{PRODUCTION}".',
                    None,
                )


ecs_task_debug_off = ResourceValidationPolicy(
    name="aws-ecs-task-debug-off",
    description="Checks that ECS containers turn no debug switch on (`debugVariables`: DEBUG, APP_DEBUG, "
    "DJANGO_DEBUG, FLASK_DEBUG), and NODE_ENV, APP_ENV and PYTHON_ENV, when set, say production.",
    validate=_debug_off,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_DEBUG_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["ecs", "containers", "checklist:debug-off"],
    remediation_steps='Remove DEBUG-style variables from the container environment (or set them to "false") and set '
    'NODE_ENV, APP_ENV and PYTHON_ENV to "production".',
)


# -- task definitions: roles -------------------------------------------------------------------------------------------
def _dependency_urns(resource: Any, prop: str) -> frozenset[str]:
    return frozenset(dep.urn for dep in resource.property_dependencies.get(prop) or [])


def _separate_roles(args: StackValidationArgs, report: ReportViolation) -> None:
    for task in (r for r in args.resources if r.resource_type == TASK_DEFINITION):
        execution = _dependency_urns(task, "executionRoleArn")
        task_role = _dependency_urns(task, "taskRoleArn")
        # An ARN is read only when no dependency names the role: a role's ARN is unknown during a preview.
        if not execution and not task.props.get("executionRoleArn"):
            report(
                "The task definition has no execution role: set execution_role_arn to a role that may only pull its "
                "images, write its logs and read its secrets (AmazonECSTaskExecutionRolePolicy).",
                task.urn,
            )
            continue
        if not task_role and not task.props.get("taskRoleArn"):
            continue
        if execution or task_role:
            same = bool(execution & task_role)
        else:
            same = str(task.props.get("executionRoleArn")) == str(task.props.get("taskRoleArn"))
        if same:
            report(
                "The task definition uses one role as both its execution role and its task role, so the app holds "
                "the rights to pull images and read every secret: give task_role_arn a role of its own with only what "
                "the app calls.",
                task.urn,
            )


ecs_task_separate_roles = StackValidationPolicy(
    name="aws-ecs-task-separate-roles",
    description="Checks that every ECS task definition has an execution role that is not its task role.",
    validate=_separate_roles,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["ecs", "iam", "checklist:least-privilege"],
    remediation_steps="Create two aws.iam.Roles trusted by ecs-tasks.amazonaws.com: an execution role that may pull "
    "the image, write the logs and read the task's secrets, and a task role with only the app's own permissions.",
)

POLICIES = [
    ecs_service_no_public_ip,
    ecs_service_deployment_circuit_breaker,
    ecs_service_exec_disabled,
    ecs_cluster_container_insights,
    ecs_task_non_root_user,
    ecs_task_read_only_root_filesystem,
    ecs_task_not_privileged,
    ecs_task_no_host_namespaces,
    ecs_task_log_configuration,
    ecs_task_no_secrets_in_environment,
    ecs_task_debug_off,
    ecs_task_separate_roles,
]
