"""The AWS APIs the backend calls on the aws platform, through boto3 (imported when first used: the docker platform
needs it for the documents bucket only, and the tests never load it).

boto3 finds the task role's credentials and the region itself (the ECS container credentials endpoint and
``AWS_REGION``/``AWS_DEFAULT_REGION``, which ECS sets in every task: boto3's credentials guide, "Container
provider"), signs with SigV4 and retries what AWS asks it to retry.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Any


def boto3() -> Any:
    return importlib.import_module("boto3")


@cache
def client(service: str) -> Any:
    """A boto3 client with the platform's defaults, one per service (boto3 clients are thread-safe)."""
    return boto3().client(service)


def parameter(name: str) -> str:
    """An SSM parameter's value (the shard map, ``SHARD_MAP_PARAMETER``)."""
    return str(client("ssm").get_parameter(Name=name)["Parameter"]["Value"])


def secret(arn: str) -> str:
    """A Secrets Manager secret's text (a shard's application role, ``secretArn`` in the shard map)."""
    return str(client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"])
