"""The documents bucket (``DOCUMENTS_BUCKET``): S3 on aws, MinIO on docker, both through boto3's S3 client.

On docker the platform names the endpoint (``S3_ENDPOINT``, path-style addressing, ``S3_REGION``), the CA that
signed MinIO's certificate (``S3_CA_FILE``) and the application's own keys (``S3_ACCESS_KEY_FILE``,
``S3_SECRET_KEY_FILE``, limited to the documents bucket). On aws none of them is set: the task role signs, and the
bucket's default encryption (SSE-KMS with the stack's key) applies to every object.
"""

from __future__ import annotations

import importlib
from typing import Any

from app.backend import aws
from app.backend.environment import Env

#: Where the reference application keeps its objects in the bucket.
PREFIX = "reference/"


def client_options(env: Env) -> dict[str, Any]:
    """boto3's ``client("s3", ...)`` arguments for this platform (``addressing_style`` becomes botocore's
    ``Config(s3={"addressing_style": ...})``)."""
    if not env.has("S3_ENDPOINT"):
        return {}
    options: dict[str, Any] = {
        "endpoint_url": env.text("S3_ENDPOINT"),
        "region_name": env.text("S3_REGION", "us-east-1"),
        "aws_access_key_id": env.secret("S3_ACCESS_KEY"),
        "aws_secret_access_key": env.secret("S3_SECRET_KEY"),
        "verify": env.text("S3_CA_FILE", "") or True,
    }
    if env.flag("S3_FORCE_PATH_STYLE"):
        options["addressing_style"] = "path"
    return options


class Documents:
    def __init__(self, env: Env) -> None:
        self.bucket = env.text("DOCUMENTS_BUCKET")
        self._options = client_options(env)
        self._s3: Any = None

    def _client(self) -> Any:
        if self._s3 is None:
            options = dict(self._options)
            style = options.pop("addressing_style", None)
            if style is not None:
                config = importlib.import_module("botocore.config")
                options["config"] = config.Config(s3={"addressing_style": style})
            self._s3 = aws.boto3().client("s3", **options)
        return self._s3

    def put(self, name: str, body: bytes, content_type: str) -> None:
        self._client().put_object(Bucket=self.bucket, Key=PREFIX + name, Body=body, ContentType=content_type)

    def get(self, name: str) -> tuple[bytes, str]:
        answer = self._client().get_object(Bucket=self.bucket, Key=PREFIX + name)
        return answer["Body"].read(), str(answer.get("ContentType") or "application/octet-stream")
