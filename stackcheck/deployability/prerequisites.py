"""What the stack's features require of the stack itself, each requirement from the service's documentation.

- ``ROLES``: the roles services run as. A role a feature hands to a service must trust that service
  (``sts:AssumeRole`` for its principal), carry the AWS managed policies the service documents, and allow (in its
  inline policies, decided by the package's IAM evaluator) the actions the service performs with it, on the resources
  of the stack it performs them on.
- Names and settings a feature needs: AWS WAF logs only into log groups named ``aws-waf-logs-*``; AWS Backup backs up
  only S3 buckets with versioning enabled.

Account prerequisites and service-linked roles (what no resource of the stack provides) are ``services.FEATURES``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from stackcheck.deployability.arns import StackView
from stackcheck.deployability.permissions import Problem, Tally
from stackcheck.deployability.policy import as_list, evaluate
from stackcheck.engine.cloud import ACCOUNT_ID, PARTITION
from stackcheck.engine.resources import RecordedResource

ROLE = "aws:iam/role:Role"
MANAGED = f"arn:{PARTITION}:iam::aws:policy/"


@dataclass(frozen=True)
class Ask:
    """One action a service performs as the role, on one resource, with the request's condition keys."""

    action: str
    resource: str
    context: Mapping[str, str]


@dataclass(frozen=True)
class RoleRequirement:
    name: str
    role_input: str
    trusted: str
    """The service principal the role must trust."""
    source: str
    managed: Callable[[RecordedResource], tuple[str, ...]] = lambda _: ()
    """AWS managed policies (after ``arn:aws:iam::aws:policy/``) the role must carry."""
    asks: Callable[[StackView, RecordedResource], list[Ask]] = lambda _view, _resource: []
    applies: Callable[[RecordedResource], bool] = lambda _: True


def _region_context(view: StackView, resource: RecordedResource) -> dict[str, str]:
    return {"aws:RequestedRegion": view.region_of(resource)}


def _canary_asks(view: StackView, canary: RecordedResource) -> list[Ask]:
    """CloudWatch user guide, "Required roles and permissions for canaries" (and "Encrypting canary artifacts")."""
    region, inputs = view.region_of(canary), canary.inputs
    context = _region_context(view, canary)
    location = str(inputs.get("artifactS3Location", "")).removeprefix("s3://").rstrip("/")
    bucket = location.split("/", 1)[0]
    name = str(inputs.get("name", ""))
    group = f"arn:{PARTITION}:logs:{region}:{ACCOUNT_ID}:log-group:/aws/lambda/cwsyn-{name}-0123456789ab"
    asks = [
        Ask("s3:PutObject", f"arn:{PARTITION}:s3:::{location}/canary/{region}/{name}/run", context),
        Ask("s3:GetObject", f"arn:{PARTITION}:s3:::{location}/canary/{region}/{name}/run", context),
        Ask("s3:GetBucketLocation", f"arn:{PARTITION}:s3:::{bucket}", context),
        Ask("s3:ListAllMyBuckets", "*", context),
        Ask("cloudwatch:PutMetricData", "*", {**context, "cloudwatch:namespace": "CloudWatchSynthetics"}),
        *(Ask(a, group, context) for a in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents")),
    ]
    encryption = (inputs.get("artifactConfig") or {}).get("s3Encryption") or {}
    if encryption.get("encryptionMode") == "SSE_KMS" and encryption.get("kmsKeyArn"):
        via = {**context, "kms:ViaService": f"s3.{region}.amazonaws.com"}
        asks += [Ask(a, str(encryption["kmsKeyArn"]), via) for a in ("kms:GenerateDataKey", "kms:Decrypt")]
    if (inputs.get("runConfig") or {}).get("activeTracing"):
        asks.append(Ask("xray:PutTraceSegments", "*", context))
    return asks


def _flow_log_asks(view: StackView, flow_log: RecordedResource) -> list[Ask]:
    """VPC user guide, "Publish flow logs to CloudWatch Logs" (IAM role for publishing flow logs)."""
    group = str(flow_log.inputs.get("logDestination", "")).removesuffix(":*")
    context = _region_context(view, flow_log)
    return [
        *(Ask(a, f"{group}:log-stream:eni", context) for a in ("logs:CreateLogStream", "logs:PutLogEvents")),
        Ask("logs:DescribeLogStreams", f"{group}:log-stream:eni", context),
        Ask("logs:DescribeLogGroups", f"{group}", context),
    ]


def _execution_asks(view: StackView, task: RecordedResource) -> list[Ask]:
    """Amazon ECS developer guide, "Amazon ECS task execution IAM role": awslogs needs logs:CreateLogStream and
    logs:PutLogEvents; secrets from Secrets Manager need secretsmanager:GetSecretValue, and kms:Decrypt for a
    customer managed key."""
    region, context = view.region_of(task), _region_context(view, task)
    try:
        containers = json.loads(str(task.inputs.get("containerDefinitions", "[]")))
    except ValueError:
        return []
    asks: list[Ask] = []
    for container in containers if isinstance(containers, list) else []:
        logging = container.get("logConfiguration") or {}
        group = (logging.get("options") or {}).get("awslogs-group")
        if logging.get("logDriver") == "awslogs" and group:
            arn = f"arn:{PARTITION}:logs:{region}:{ACCOUNT_ID}:log-group:{group}:log-stream:task"
            asks += [Ask(a, arn, context) for a in ("logs:CreateLogStream", "logs:PutLogEvents")]
        for secret in container.get("secrets") or []:
            value = str(secret.get("valueFrom", ""))
            if ":secretsmanager:" not in value:
                continue
            arn = ":".join(value.split(":")[:7])
            asks.append(Ask("secretsmanager:GetSecretValue", arn, context))
            key = _secret_key(view, arn)
            if key:
                via = {**context, "kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}
                asks.append(Ask("kms:Decrypt", key, via))
    return asks


def _secret_key(view: StackView, secret_arn: str) -> str:
    """The customer key of a secret of the stack: a Secrets Manager secret's, or the key of an RDS-managed master
    password (the instance's masterUserSecretKmsKeyId)."""
    for resource in view.resources:
        if resource.type == "aws:secretsmanager/secret:Secret" and resource.outputs.get("arn") == secret_arn:
            return str(resource.inputs.get("kmsKeyId") or "")
        if resource.type == "aws:rds/instance:Instance":
            for secret in resource.outputs.get("masterUserSecrets") or []:
                if isinstance(secret, Mapping) and secret.get("secretArn") == secret_arn:
                    return str(secret.get("kmsKeyId") or resource.inputs.get("masterUserSecretKmsKeyId") or "")
    return ""


def _replication_asks(view: StackView, replication: RecordedResource) -> list[Ask]:
    """S3 user guide, "Setting up permissions for live replication"."""
    context = _region_context(view, replication)
    source = f"arn:{PARTITION}:s3:::{replication.inputs.get('bucket', '')}"
    asks = [Ask(a, source, context) for a in ("s3:GetReplicationConfiguration", "s3:ListBucket")]
    asks += [
        Ask(a, f"{source}/object", context)
        for a in ("s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging")
    ]
    for rule in replication.inputs.get("rules") or []:
        destination = (rule.get("destination") or {}) if isinstance(rule, Mapping) else {}
        if destination.get("bucket"):
            replica = f"{destination['bucket']}/object"
            asks += [Ask(a, replica, context) for a in ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags")]
    return asks


def _function_asks(view: StackView, function: RecordedResource) -> list[Ask]:
    """Lambda developer guide, "Sending Lambda function logs to CloudWatch Logs": logs:CreateLogStream and
    logs:PutLogEvents on the function's log group."""
    region, context = view.region_of(function), _region_context(view, function)
    group = (function.inputs.get("loggingConfig") or {}).get("logGroup") or f"/aws/lambda/{function.inputs.get('name')}"
    arn = f"arn:{PARTITION}:logs:{region}:{ACCOUNT_ID}:log-group:{group}:log-stream:run"
    return [Ask(a, arn, context) for a in ("logs:CreateLogStream", "logs:PutLogEvents")]


def _backup_policies(selection: RecordedResource) -> tuple[str, ...]:
    """AWS Backup developer guide, "Creating S3 backups" and "Default service role for AWS Backup"."""
    resources = [str(r) for r in selection.inputs.get("resources") or []]
    needed = ["service-role/AWSBackupServiceRolePolicyForBackup"]
    if any(":s3:::" in r for r in resources):
        needed.append("AWSBackupServiceRolePolicyForS3Backup")
    return tuple(needed)


ROLES: Mapping[str, tuple[RoleRequirement, ...]] = {
    "aws:synthetics/canary:Canary": (
        RoleRequirement(
            "a canary runs as its execution role",
            "executionRoleArn",
            "lambda.amazonaws.com",
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_CanaryPermissions.html",
            asks=_canary_asks,
        ),
    ),
    "aws:rds/instance:Instance": (
        RoleRequirement(
            "Enhanced Monitoring publishes OS metrics as the monitoring role",
            "monitoringRoleArn",
            "monitoring.rds.amazonaws.com",
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html",
            managed=lambda _: ("service-role/AmazonRDSEnhancedMonitoringRole",),
            applies=lambda instance: float(instance.inputs.get("monitoringInterval") or 0) > 0,
        ),
    ),
    "aws:ec2/flowLog:FlowLog": (
        RoleRequirement(
            "VPC flow logs publish to CloudWatch Logs as the flow log's role",
            "iamRoleArn",
            "vpc-flow-logs.amazonaws.com",
            "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html",
            asks=_flow_log_asks,
            applies=lambda log: log.inputs.get("logDestinationType", "cloud-watch-logs") == "cloud-watch-logs",
        ),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        RoleRequirement(
            "ECS writes a task's logs and reads its secrets as the task execution role",
            "executionRoleArn",
            "ecs-tasks.amazonaws.com",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
            asks=_execution_asks,
        ),
        RoleRequirement(
            "a task's containers call AWS as the task role",
            "taskRoleArn",
            "ecs-tasks.amazonaws.com",
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html",
        ),
    ),
    "aws:backup/selection:Selection": (
        RoleRequirement(
            "AWS Backup backs up the selected resources as the selection's role",
            "iamRoleArn",
            "backup.amazonaws.com",
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html",
            managed=_backup_policies,
        ),
    ),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": (
        RoleRequirement(
            "restore testing restores the selected resources as the selection's role",
            "iamRoleArn",
            "backup.amazonaws.com",
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html",
            managed=lambda _: ("service-role/AWSBackupServiceRolePolicyForRestores",),
        ),
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": (
        RoleRequirement(
            "S3 replicates as the replication configuration's role",
            "role",
            "s3.amazonaws.com",
            "https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html",
            asks=_replication_asks,
        ),
    ),
    "aws:lambda/function:Function": (
        RoleRequirement(
            "a function runs as its execution role",
            "role",
            "lambda.amazonaws.com",
            "https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html",
            asks=_function_asks,
        ),
    ),
}

WAF_LOGS_DOCS = "https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html"
BACKUP_S3_DOCS = "https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html"


class _Checker:
    def __init__(self, view: StackView) -> None:
        self.view = view
        self.tally = Tally(kind="features")
        self.by_type: dict[str, list[RecordedResource]] = {}
        for resource in view.resources:
            self.by_type.setdefault(resource.type, []).append(resource)

    def problem(self, resource: RecordedResource, value: str, rule: str, source: str) -> None:
        self.tally.problems.append(Problem("prerequisite", resource.urn, value, rule, source))

    def role(self, arn: Any) -> RecordedResource | None:
        found = self.view.resolve(arn)
        return found if found is not None and found.type == ROLE else None

    def _attached(self, role: RecordedResource) -> set[str]:
        names = {role.id, str(role.outputs.get("name")), str(role.outputs.get("arn"))}
        return {
            str(a.inputs.get("policyArn", "")).removeprefix(MANAGED)
            for a in self.by_type.get("aws:iam/rolePolicyAttachment:RolePolicyAttachment", [])
            if a.inputs.get("role") in names
        }

    def _inline(self, role: RecordedResource) -> list[dict[str, Any]]:
        names = {role.id, str(role.outputs.get("name")), str(role.outputs.get("arn"))}
        documents = []
        for policy in self.by_type.get("aws:iam/rolePolicy:RolePolicy", []):
            if policy.inputs.get("role") in names:
                try:
                    documents.append(json.loads(str(policy.inputs.get("policy", ""))))
                except ValueError:
                    continue
        return documents

    def requirement(self, resource: RecordedResource, requirement: RoleRequirement) -> None:
        reference = resource.inputs.get(requirement.role_input)
        role = self.role(reference)
        if not reference or role is None or not requirement.applies(resource):
            return
        self.tally.checked += 1
        if requirement.trusted not in self.view.trusted_services(role):
            self.problem(
                resource,
                f"{role.name} trusts {', '.join(self.view.trusted_services(role)) or 'no service'}",
                f"{requirement.name}: the role must trust {requirement.trusted} (sts:AssumeRole)",
                requirement.source,
            )
        attached = self._attached(role)
        for policy in requirement.managed(resource):
            self.tally.checked += 1
            if policy not in attached:
                self.problem(
                    resource,
                    f"{role.name} without {MANAGED}{policy}",
                    f"{requirement.name}: the role carries the AWS managed policy {policy}",
                    requirement.source,
                )
        documents = self._inline(role)
        for ask in requirement.asks(self.view, resource):
            self.tally.checked += 1
            decisions = [evaluate(d, ask.action, ask.resource, ask.context).result for d in documents]
            if "allow" in decisions and "deny" not in decisions:
                continue
            self.problem(
                resource,
                f"{role.name}: {ask.action} on {ask.resource}",
                f"{requirement.name}: its policies must allow it",
                requirement.source,
            )

    def waf_log_groups(self) -> None:
        for config in self.by_type.get("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", []):
            for destination in as_list(config.inputs.get("logDestinationConfigs")):
                self.tally.checked += 1
                text = str(destination)
                name = text.split(":log-group:", 1)[-1] if ":log-group:" in text else text.rsplit(":", 1)[-1]
                name = name.removesuffix(":*")
                if not name.startswith("aws-waf-logs-"):
                    self.problem(
                        config,
                        f"logs into {name}",
                        "AWS WAF logs only into destinations whose names start with aws-waf-logs-",
                        WAF_LOGS_DOCS,
                    )

    def backed_up_buckets(self) -> None:
        versioned = {
            str(v.inputs.get("bucket"))
            for v in self.by_type.get("aws:s3/bucketVersioning:BucketVersioning", [])
            if (v.inputs.get("versioningConfiguration") or {}).get("status") == "Enabled"
        }
        for selection in self.by_type.get("aws:backup/selection:Selection", []):
            for arn in as_list(selection.inputs.get("resources")):
                if not str(arn).startswith(f"arn:{PARTITION}:s3:::"):
                    continue
                self.tally.checked += 1
                bucket = str(arn).removeprefix(f"arn:{PARTITION}:s3:::")
                if bucket not in versioned:
                    self.problem(
                        selection,
                        f"backs up {bucket}",
                        "AWS Backup backs up S3 buckets with versioning enabled only",
                        BACKUP_S3_DOCS,
                    )


def check(view: StackView) -> Tally:
    checker = _Checker(view)
    for resource in view.resources:
        for requirement in ROLES.get(resource.type, ()):
            checker.requirement(resource, requirement)
    checker.waf_log_groups()
    checker.backed_up_buckets()
    return checker.tally


def requirements_of(resource: RecordedResource) -> Iterator[RoleRequirement]:
    yield from ROLES.get(resource.type, ())
