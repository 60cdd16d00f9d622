"""The IAM policies of an ECS service's roles on aws: the execution role writes the service's logs, pulls its image
and reads its secrets; the task role reads what the application itself needs (its secrets, SSM parameters), and,
when asked, opens ECS Exec's channel and remote-writes metrics. Each names exactly its resources."""

import json
from collections.abc import Sequence
from typing import Any

from .account import Account
from .operations import exec_channel_statement


def remote_write_policy(workspace_arn: str) -> str:
    return policy(
        [{"Sid": "RemoteWriteMetrics", "Effect": "Allow", "Action": "aps:RemoteWrite", "Resource": workspace_arn}]
    )


def execution_policy(values: Any, account: Account) -> str:
    statements = execution_statements(values["logs"], values["repository"])
    return policy(statements + secret_statements(values["secrets"], values["key"], account))


def task_policy(values: Any, account: Account) -> str:
    statements = secret_statements(values["secrets"], values["key"], account)
    return policy(statements + parameter_statements(values["parameters"]))


def policy(statements: list[dict[str, Any]]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def execution_statements(log_group_arn: str, repository_arn: str | None) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = [
        {
            "Sid": "WriteThisServicesLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": f"{log_group_arn}:*",
        }
    ]
    if repository_arn:
        statements += [
            # ECR issues registry credentials account-wide: this one action has no resource-level permissions.
            {
                "Sid": "GetRegistryCredentials",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "PullThisServicesImages",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
                "Resource": repository_arn,
            },
        ]
    return statements


def secret_statements(secret_arns: Sequence[str], key_arn: str | None, account: Account) -> list[dict[str, Any]]:
    """Read exactly these secrets, and decrypt them with their key only as Secrets Manager does it."""
    if not secret_arns:
        return []
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadTheseSecrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": sorted(set(secret_arns)),
        }
    ]
    if key_arn:
        statements.append(
            {
                "Sid": "DecryptThemThroughSecretsManager",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{account.region}.{account.dns_suffix}"}
                },
            }
        )
    return statements


def parameter_statements(parameter_arns: Sequence[str]) -> list[dict[str, Any]]:
    if not parameter_arns:
        return []
    return [
        {
            "Sid": "ReadTheseParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": sorted(set(parameter_arns)),
        }
    ]


def exec_policy() -> dict[str, Any]:
    """ECS Exec's channel (components/aws/operations.py)."""
    return {"Version": "2012-10-17", "Statement": [exec_channel_statement()]}
