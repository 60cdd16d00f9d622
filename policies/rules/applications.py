"""Rules for what an application brings: the database role it signs in as, and its persistent file systems.

RDS-managed master secrets are named ``rds!db-<uuid>`` (RDS user guide, "Password management with Amazon RDS and
AWS Secrets Manager"). Messages name containers and variables, never a value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import is_list

SERVICE = "aws:ecs/service:Service"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"
RDS_INSTANCE = "aws:rds/instance:Instance"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
SELECTION = "aws:backup/selection:Selection"
PLAN = "aws:backup/plan:Plan"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CONTAINER = "docker:index/container:Container"
#: The name RDS gives the secrets of the master passwords it manages.
RDS_MASTER_SECRET = re.compile(r":secret:rds!")
#: Names every managed-key ARN or alias has (aws/<service>): not a customer key.
AWS_MANAGED_KEY = re.compile(r"alias/aws/")
NFS_PORT = 2049


def _deps(resource: PolicyResource, prop: str) -> list[PolicyResource]:
    return list(resource.property_dependencies.get(prop) or [])


def _containers(task: PolicyResource) -> list[Mapping[str, Any]]:
    raw = task.props.get("containerDefinitions")
    try:
        parsed = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    except ValueError:
        return []
    if not is_list(parsed):
        return []
    return [c for c in parsed or [] if isinstance(c, Mapping)]


def _master_secret_arns(resources: Iterable[PolicyResource]) -> set[str]:
    found: set[str] = set()
    for instance in (r for r in resources if r.resource_type == RDS_INSTANCE):
        for entry in instance.props.get("masterUserSecrets") or []:
            arn = entry.get("secretArn") if isinstance(entry, Mapping) else None
            if isinstance(arn, str) and arn:
                found.add(arn)
    return found


def _is_master(reference: Any, masters: set[str]) -> bool:
    if not isinstance(reference, str):
        return False
    return bool(RDS_MASTER_SECRET.search(reference)) or any(reference.startswith(arn) for arn in masters)


def _no_master_secret(args: StackValidationArgs, report: ReportViolation) -> None:
    """A master secret is an RDS-managed ``rds!`` secret or the ``masterUserSecrets`` of an RDS instance of the stack,
    handed over as an ECS secret or an ``*_ARN`` variable. Only one-off tasks that no service runs (the roles'
    bootstrap) may read one."""
    masters = _master_secret_arns(args.resources)
    for service in (r for r in args.resources if r.resource_type == SERVICE):
        for task in (d for d in _deps(service, "taskDefinition") if d.resource_type == TASK_DEFINITION):
            for index, container in enumerate(_containers(task)):
                label = f"container '{container.get('name') or index + 1}'"
                names = [
                    str(entry.get("name"))
                    for entry in container.get("secrets") or []
                    if isinstance(entry, Mapping) and _is_master(entry.get("valueFrom"), masters)
                ]
                names += [
                    str(entry.get("name"))
                    for entry in container.get("environment") or []
                    if isinstance(entry, Mapping)
                    and str(entry.get("name", "")).upper().endswith("_ARN")
                    and _is_master(entry.get("value"), masters)
                ]
                if names:
                    report(
                        f"The service's {label} receives a database master secret ({', '.join(sorted(names))}): "
                        "give it the shard's application-role secret (webstack:app.databaseRoles.bootstrap) and "
                        "leave the master to the bootstrap task.",
                        service.urn,
                    )


aws_ecs_service_no_master_secret = StackValidationPolicy(
    name="aws-ecs-service-no-master-secret",
    description="Checks that no ECS service hands a container a database master secret (RDS-managed `rds!` secrets or "
    "an instance's `masterUserSecrets`), as an ECS secret or an `*_ARN` variable: services sign in as their shard's "
    "application role.",
    validate=_no_master_secret,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=["ecs", "secrets", "database", "checklist:least-privilege"],
    remediation_steps="Create an application role per shard (components/database_roles.py) whose credentials live "
    "in a secret of their own, and reference that secret from the service's task definition.",
)


def _docker_master_user(args: StackValidationArgs, report: ReportViolation) -> None:
    """A web or migration container signs in as the superuser when its ``DATABASE_USER`` is the primary's
    ``POSTGRES_USER``, or ``root``."""
    containers = [r for r in args.resources if r.resource_type == CONTAINER]
    superusers = {"root"}
    for container in containers:
        if _label(container) == "db-primary":
            superusers |= {v for k, v in _envs(container).items() if k == "POSTGRES_USER" and v}
    for container in containers:
        if _label(container) not in ("backend", "frontend", "migration"):
            continue
        user = _envs(container).get("DATABASE_USER")
        if user in superusers:
            report(
                f"The {_label(container)} container signs in to the database as its superuser ({user}): give it "
                "the application role (app) and its password file.",
                container.urn,
            )


def _label(container: PolicyResource) -> str:
    for entry in container.props.get("labels") or []:
        if isinstance(entry, Mapping) and entry.get("label") == "webstack.role":
            return str(entry.get("value"))
    return ""


def _envs(container: PolicyResource) -> dict[str, str]:
    found: dict[str, str] = {}
    for entry in container.props.get("envs") or []:
        if isinstance(entry, str) and "=" in entry:
            key, _, value = entry.partition("=")
            found[key] = value
    return found


docker_backend_not_master_user = StackValidationPolicy(
    name="docker-backend-not-master-user",
    description="Checks that no web or migration container on the docker platform signs in to the database as its "
    "superuser.",
    validate=_docker_master_user,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["docker", "database", "checklist:least-privilege"],
    remediation_steps="Set DATABASE_USER to the application role and deliver its password as a file.",
)


def _efs_encrypted(args: StackValidationArgs, report: ReportViolation) -> None:
    for fs in (r for r in args.resources if r.resource_type == FILE_SYSTEM):
        if fs.props.get("encrypted") is not True:
            report("The file system is not encrypted at rest: set encrypted=True and kms_key_id.", fs.urn)
            continue
        key = fs.props.get("kmsKeyId")
        customer = any(d.resource_type == "aws:kms/key:Key" for d in _deps(fs, "kmsKeyId"))
        if not customer and (not isinstance(key, str) or not key or AWS_MANAGED_KEY.search(key)):
            report(
                "The file system is encrypted with the AWS managed key (aws/elasticfilesystem): set kms_key_id to "
                "the stack's customer key, whose policy and rotation the stack controls.",
                fs.urn,
            )


aws_efs_encrypted_with_customer_key = StackValidationPolicy(
    name="aws-efs-encrypted-with-customer-key",
    description="Checks that every EFS file system is encrypted at rest under a customer-managed KMS key.",
    validate=_efs_encrypted,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["efs", "storage", "checklist:encryption-at-rest"],
    remediation_steps="Set encrypted=True and kms_key_id to a customer-managed aws.kms.Key on the aws.efs.FileSystem "
    "(encryption can only be chosen when the file system is created).",
)


def _efs_backed_up(args: StackValidationArgs, report: ReportViolation) -> None:
    if not any(r.resource_type == FILE_SYSTEM for r in args.resources):
        return
    covered: set[str] = set()
    for selection in (r for r in args.resources if r.resource_type == SELECTION):
        if any(d.resource_type == PLAN for d in _deps(selection, "planId")):
            covered |= {d.urn for d in _deps(selection, "resources")}
    for fs in (r for r in args.resources if r.resource_type == FILE_SYSTEM):
        if fs.urn not in covered:
            report(
                "The file system is not in any backup selection of this stack's plan: add its .arn to the "
                "resources of an aws.backup.Selection of the plan.",
                fs.urn,
            )


aws_efs_backed_up = StackValidationPolicy(
    name="aws-efs-backed-up",
    description="Checks that every EFS file system is in a backup selection of a plan of the stack.",
    validate=_efs_backed_up,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["efs", "backups", "checklist:backups"],
    remediation_steps="Add the file system's ARN to an aws.backup.Selection whose plan_id is the stack's plan.",
)


def _efs_app_tier_only(args: StackValidationArgs, report: ReportViolation) -> None:
    rules = [r for r in args.resources if r.resource_type == INGRESS_RULE]
    for target in (r for r in args.resources if r.resource_type == MOUNT_TARGET):
        groups = [d for d in _deps(target, "securityGroups") if d.resource_type == SECURITY_GROUP]
        if not groups:
            report(
                "The mount target has no security group of the stack: give it one that admits NFS (2049) from the "
                "app tier's security group only.",
                target.urn,
            )
            continue
        group_urns = {g.urn for g in groups}
        for rule in rules:
            if not {d.urn for d in _deps(rule, "securityGroupId")} & group_urns:
                continue
            if rule.props.get("cidrIpv4") or rule.props.get("cidrIpv6") or rule.props.get("prefixListId"):
                report(
                    "The mount target's security group admits an address range: admit NFS (2049) only from the app "
                    "tier's security group (referenced_security_group_id).",
                    target.urn,
                )
            elif (
                rule.props.get("ipProtocol") != "tcp"
                or rule.props.get("fromPort") != NFS_PORT
                or rule.props.get("toPort") != NFS_PORT
            ):
                report("The mount target's security group admits more than NFS (TCP 2049).", target.urn)


aws_efs_app_tier_only = StackValidationPolicy(
    name="aws-efs-app-tier-only",
    description="Checks that EFS mount targets admit NFS (TCP 2049) from security groups only, never from an address "
    "range.",
    validate=_efs_app_tier_only,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["efs", "network", "checklist:block-app-ports"],
    remediation_steps="Give each aws.efs.MountTarget a security group of its own with one "
    "aws.vpc.SecurityGroupIngressRule: TCP 2049 from the app tier's security group.",
)

POLICIES = [
    aws_ecs_service_no_master_secret,
    docker_backend_not_master_user,
    aws_efs_encrypted_with_customer_key,
    aws_efs_backed_up,
    aws_efs_app_tier_only,
]
