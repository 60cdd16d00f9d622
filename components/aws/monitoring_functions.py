"""The two functions monitoring deploys on aws, their code and the permissions they run with: the alert forwarder
(a Lambda that posts each alert to the webhook kept in Secrets Manager) and the uptime check (a CloudWatch
Synthetics canary that fetches the site's health endpoint)."""

import hashlib
import io
import re
import zipfile
from pathlib import Path
from typing import Any

from .account import Account

#: Where generated artifacts go, relative to the project (Pulumi runs the program there); ignored by git.
BUILD_DIR = Path(".webstack-build")


FORWARDER_CODE = '''\
"""Posts each alert from an alert topic to the webhook kept in Secrets Manager (Slack and compatible)."""
import json
import os
import urllib.request

import boto3

_URL = None


def _webhook():
    global _URL
    if _URL is None:
        secrets = boto3.client("secretsmanager")
        _URL = secrets.get_secret_value(SecretId=os.environ["WEBHOOK_SECRET_ARN"])["SecretString"]
    return _URL


def handler(event, context):
    for record in event["Records"]:
        note = record["Sns"]
        topic = note["TopicArn"].rsplit(":", 1)[-1]
        severity = "critical" if topic.endswith("-critical") else "warning"
        subject = note.get("Subject") or "alert"
        body = json.dumps({"text": f"[{severity.upper()}] {subject}\\n{note['Message']}", "severity": severity})
        request = urllib.request.Request(
            _webhook(), data=body.encode(), headers={"Content-Type": "application/json"}, method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            if response.status >= 300:
                raise RuntimeError(f"the webhook answered {response.status}")
'''


CANARY_CODE = '''\
"""The uptime check: fetch URL; any error or a status outside 2xx/3xx fails the run."""
import os
import urllib.request


def handler(event, context):
    url = os.environ["URL"]
    request = urllib.request.Request(url, headers={"User-Agent": "webstack-uptime-check"})
    with urllib.request.urlopen(request, timeout=10) as response:
        status = response.status
    if not 200 <= status < 400:
        raise RuntimeError(f"{url} answered {status}")
    return f"{url} answered {status}"
'''


def canary_archive() -> Path:
    """The canary's code as a zip (``python/uptime.py``), byte for byte the same on every run and named after its
    content, at the same project-relative path on every machine: an unchanged check is no diff."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo("python/uptime.py", date_time=(2020, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, CANARY_CODE)
    data = buffer.getvalue()
    path = BUILD_DIR / f"uptime-{hashlib.sha256(data).hexdigest()[:16]}.zip"
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path


def canary_name(name_prefix: str) -> str:
    """Synthetics names: at most 21 characters of ``[0-9a-z_-]``."""
    name = re.sub(r"[^0-9a-z_-]", "-", f"{name_prefix}-up".lower())
    if len(name) <= 21:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[:14]}-{digest}"


def canary_policy(bucket_arn: str, key_arn: str, *, account: Account) -> dict[str, Any]:
    """What a Synthetics canary needs: write its artifacts, its metrics (in its namespace only) and its logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "WriteArtifacts", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
             "Resource": f"{bucket_arn}/*"},
            {"Sid": "FindTheBucket", "Effect": "Allow", "Action": "s3:GetBucketLocation", "Resource": bucket_arn},
            # Synthetics lists buckets before writing; the action has no resource-level permissions.
            {"Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
            {
                "Sid": "PublishCanaryMetrics",
                "Effect": "Allow",
                "Action": "cloudwatch:PutMetricData",
                "Resource": "*",
                "Condition": {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}},
            },
            {
                "Sid": "WriteCanaryLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": account.arn("logs", "log-group:/aws/lambda/cwsyn-*"),
            },
            {
                "Sid": "EncryptArtifacts",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{account.region}.{account.dns_suffix}"}},
            },
        ],
    }  # fmt: skip


def forwarder_policy(log_group_arn: str, secret_arn: str, key_arn: str, *, account: Account) -> dict[str, Any]:
    """The forwarder writes its own logs and reads its one secret, nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "WriteItsLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{log_group_arn}:*",
            },
            {"Sid": "ReadTheWebhook", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
             "Resource": secret_arn},
            {
                "Sid": "DecryptTheWebhook",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"secretsmanager.{account.region}.{account.dns_suffix}"}
                },
            },
        ],
    }  # fmt: skip
