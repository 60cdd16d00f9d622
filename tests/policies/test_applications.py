"""The rules about what an application brings: its database role and its file systems (policies/rules/applications.py).
Each has a compliant fixture and failing cases that change one field."""

from __future__ import annotations

import json
from typing import Any

from policies.rules.applications import (
    aws_ecs_service_no_master_secret,
    aws_efs_app_tier_only,
    aws_efs_backed_up,
    aws_efs_encrypted_with_customer_key,
    docker_backend_not_master_user,
)
from tests.policies.support import Res, check_stack

APP_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webstack-prod/database/shard-0/app-AbCdEf"
#: RDS names the secrets of the master passwords it manages rds!db-<uuid> (RDS user guide).
MASTER_SECRET = (
    "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0f1e2d3c-aaaa-bbbb-cccc-000000000000-x1Y2z3"
)
OTHER_MASTER = "arn:aws:secretsmanager:us-east-1:123456789012:secret:imported-master-Q1w2E3"


def _service_stack(
    secrets: dict[str, str], environment: dict[str, str] | None = None, masters: tuple[str, ...] = ()
) -> list[Res]:
    container = {
        "name": "backend",
        "secrets": [{"name": k, "valueFrom": v} for k, v in secrets.items()],
        "environment": [{"name": k, "value": v} for k, v in (environment or {}).items()],
    }
    return [
        Res("urn:db", "aws:rds/instance:Instance", {"masterUserSecrets": [{"secretArn": arn} for arn in masters]}),
        Res("urn:task", "aws:ecs/taskDefinition:TaskDefinition", {"containerDefinitions": json.dumps([container])}),
        Res("urn:service", "aws:ecs/service:Service", {"taskDefinition": "arn:task"}, {"taskDefinition": ["urn:task"]}),
    ]


def test_a_service_with_the_application_role_passes() -> None:
    stack = _service_stack({"DATABASE_PASSWORD": f"{APP_SECRET}:password::"}, {"DATABASE_SECRET_ARN": APP_SECRET})
    assert check_stack(aws_ecs_service_no_master_secret, stack) == []


def test_a_service_given_an_rds_managed_master_secret_fails() -> None:
    stack = _service_stack({"DATABASE_PASSWORD": f"{MASTER_SECRET}:password::"})
    ((urn, message),) = check_stack(aws_ecs_service_no_master_secret, stack)
    assert urn == "urn:service"
    assert message.startswith("The service's container 'backend' receives a database master secret (DATABASE_PASSWORD)")


def test_a_service_given_an_instances_master_secret_arn_as_a_variable_fails() -> None:
    stack = _service_stack({}, {"DATABASE_SECRET_ARN": OTHER_MASTER}, masters=(OTHER_MASTER,))
    ((_, message),) = check_stack(aws_ecs_service_no_master_secret, stack)
    assert "(DATABASE_SECRET_ARN)" in message


def test_a_one_off_task_no_service_runs_may_read_the_master() -> None:
    stack = _service_stack({"DATABASE_PASSWORD": f"{APP_SECRET}:password::"})
    stack.append(
        Res(
            "urn:bootstrap",
            "aws:ecs/taskDefinition:TaskDefinition",
            {
                "containerDefinitions": json.dumps(
                    [{"name": "bootstrap", "secrets": [{"name": "MASTER_PASSWORD", "valueFrom": MASTER_SECRET}]}]
                )
            },
        )
    )
    assert check_stack(aws_ecs_service_no_master_secret, stack) == []


def _docker(user: str) -> list[Res]:
    def container(role: str, envs: list[str]) -> dict[str, Any]:
        return {"labels": [{"label": "webstack.role", "value": role}], "envs": envs}

    return [
        Res(
            "urn:primary", "docker:index/container:Container", container("db-primary", ["POSTGRES_USER=webstack_admin"])
        ),
        Res("urn:backend", "docker:index/container:Container", container("backend", [f"DATABASE_USER={user}"])),
    ]


def test_a_docker_backend_signing_in_as_the_app_role_passes() -> None:
    assert check_stack(docker_backend_not_master_user, _docker("app")) == []


def test_a_docker_backend_signing_in_as_the_superuser_fails() -> None:
    ((urn, message),) = check_stack(docker_backend_not_master_user, _docker("webstack_admin"))
    assert urn == "urn:backend"
    assert message.startswith("The backend container signs in to the database as its superuser (webstack_admin)")


def _files(fs: dict[str, Any] | None = None, rule: dict[str, Any] | None = None, selected: bool = True) -> list[Res]:
    return [
        Res("urn:key", "aws:kms/key:Key", {}),
        Res(
            "urn:fs",
            "aws:efs/fileSystem:FileSystem",
            {"encrypted": True, "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/x", **(fs or {})},
            {"kmsKeyId": ["urn:key"]} if (fs or {}).get("kmsKeyId") is None else {},
        ),
        Res("urn:plan", "aws:backup/plan:Plan", {}),
        Res(
            "urn:selection",
            "aws:backup/selection:Selection",
            {},
            {"planId": ["urn:plan"], "resources": ["urn:fs"] if selected else []},
        ),
        Res("urn:files-sg", "aws:ec2/securityGroup:SecurityGroup", {}),
        Res("urn:app-sg", "aws:ec2/securityGroup:SecurityGroup", {}),
        Res(
            "urn:rule",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            {
                "ipProtocol": "tcp",
                "fromPort": 2049.0,
                "toPort": 2049.0,
                "referencedSecurityGroupId": "sg-app",
                **(rule or {}),
            },
            {"securityGroupId": ["urn:files-sg"], "referencedSecurityGroupId": ["urn:app-sg"]},
        ),
        Res("urn:mount", "aws:efs/mountTarget:MountTarget", {}, {"securityGroups": ["urn:files-sg"]}),
    ]


def test_a_file_system_under_a_customer_key_passes() -> None:
    assert check_stack(aws_efs_encrypted_with_customer_key, _files()) == []


def test_an_unencrypted_file_system_fails() -> None:
    ((urn, message),) = check_stack(aws_efs_encrypted_with_customer_key, _files({"encrypted": False}))
    assert urn == "urn:fs"
    assert message.startswith("The file system is not encrypted at rest")


def test_a_file_system_under_the_aws_managed_key_fails() -> None:
    stack = _files({"kmsKeyId": "arn:aws:kms:us-east-1:123456789012:alias/aws/elasticfilesystem"})
    ((_, message),) = check_stack(aws_efs_encrypted_with_customer_key, stack)
    assert "AWS managed key" in message


def test_a_selected_file_system_passes() -> None:
    assert check_stack(aws_efs_backed_up, _files()) == []


def test_a_file_system_no_plan_selects_fails() -> None:
    ((urn, message),) = check_stack(aws_efs_backed_up, _files(selected=False))
    assert urn == "urn:fs"
    assert message.startswith("The file system is not in any backup selection")


def test_a_mount_target_reachable_from_the_app_tier_only_passes() -> None:
    assert check_stack(aws_efs_app_tier_only, _files()) == []


def test_a_mount_target_open_to_an_address_range_fails() -> None:
    stack = _files(rule={"cidrIpv4": "10.0.0.0/8", "referencedSecurityGroupId": None})
    ((urn, message),) = check_stack(aws_efs_app_tier_only, stack)
    assert urn == "urn:mount"
    assert message.startswith("The mount target's security group admits an address range")


def test_a_mount_target_open_on_another_port_fails() -> None:
    ((_, message),) = check_stack(aws_efs_app_tier_only, _files(rule={"fromPort": 0.0, "toPort": 65535.0}))
    assert message == "The mount target's security group admits more than NFS (TCP 2049)."


def test_a_mount_target_without_a_security_group_fails() -> None:
    stack = [r for r in _files() if r.urn != "urn:mount"]
    stack.append(Res("urn:mount", "aws:efs/mountTarget:MountTarget", {}))
    ((_, message),) = check_stack(aws_efs_app_tier_only, stack)
    assert message.startswith("The mount target has no security group of the stack")
