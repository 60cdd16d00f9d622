"""Object storage on docker: MinIO (role ``object-storage``) on the data network, and a one-shot ``mc`` job
(role ``storage-setup``) that configures it.

MinIO:

- serves TLS only, with a certificate from the internal CA (``--certs-dir``: ``public.crt``, ``private.key``,
  ``CAs/``);
- root credentials are generated and read from files (``MINIO_ROOT_USER_FILE``, ``MINIO_ROOT_PASSWORD_FILE``); only
  the setup job uses them;
- encrypts every object at rest (SSE-S3) with a generated key (``MINIO_KMS_SECRET_KEY_FILE``, ``<name>:<base64 of 32
  bytes>``, derived with SHA-256 from a generated 64-character secret), by default encryption on both buckets and
  ``MINIO_KMS_AUTO_ENCRYPTION``; losing the key loses the data, and it is in the stack's state as a secret;
- the console is off (``MINIO_BROWSER=off``);
- metrics: ``MINIO_PROMETHEUS_AUTH_TYPE=public``. The data network is internal (no route off the host), the cluster
  metrics hold no object data or credentials, and a bearer token (``mc admin prometheus generate``) would be a JWT
  signed with the root credentials, to be regenerated with them and handed to Prometheus as one more secret file.
  Prometheus scrapes ``https://<host>:9000/minio/v2/metrics/cluster`` and must trust :attr:`ObjectStorage.ca_pem`;
- its data is on a protected volume mounted at ``/var/tmp``: the image has no directory an unprivileged user may
  write except ``/tmp`` and ``/var/tmp`` (mode 1777), and a new named volume takes the owner and mode of the directory
  it is first mounted on, so MinIO (uid 1000) can create its data directory there without a root init step.

MinIO and the job run read-only, their files in a config volume (see :mod:`components.docker.tls_ca`).

The setup job waits for MinIO, then (idempotently): creates the ``documents`` and ``backups`` buckets with versioning
and default SSE-S3 encryption, no anonymous access; object lock on ``backups`` when
``ObjectStorageArgs.object_lock_mode`` (a stack's ``webstack:backups.objectLock.mode``) is not ``off`` (GOVERNANCE or
COMPLIANCE for ``object_lock_days``; MinIO can only enable it when the bucket is created); lifecycle rules
(:func:`backups_lifecycle`: ``daily/`` dumps expire after ``daily_retention_days``, a stack's
``webstack:backups.dailyRetentionDays``, ``weekly/`` after ``weekly_retention_days``, its
``webstack:docker.weeklyRetentionDays``; :func:`documents_lifecycle`: old versions of documents after
``noncurrent_version_days``, its ``webstack:storage.noncurrentVersionDays``); an app user whose policy
(:func:`documents_policy`) reaches only the documents bucket, and a backup user (:func:`backups_policy`) that may list,
read and write the backups bucket and delete nothing. Secrets reach mc through stdin and ``MC_HOST_<alias>`` in the
job's own shell, never through its configuration.
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_docker as docker

from .common import (
    ContainerSpec,
    HealthCheck,
    ScrapeTarget,
    StorageEndpoint,
    Upload,
    volume,
)
from .tls_ca import (
    CA_FILE,
    InternalCa,
    InternalCaArgs,
    config_path,
    configured_container,
    generated_access_key,
    generated_secret,
    issue_certificate,
    server_names,
)

STORAGE_TYPE = "webstack:docker:ObjectStorage"
MINIO_PORT = 9000
#: MinIO and mc have no user of their own in their images; they run unprivileged as this uid (and gid).
MINIO_UID = MC_UID = 1000
DOCUMENTS_BUCKET = "documents"
BACKUPS_BUCKET = "backups"
#: Key prefixes in the backups bucket and the retention each one gets.
DAILY_PREFIX = "daily/"
WEEKLY_PREFIX = "weekly/"
#: Versions a newer upload or an expiry replaced in the backups bucket go after this many days.
BACKUP_NONCURRENT_DAYS = 1
#: What :class:`ObjectStorageArgs` falls back to; the same as the stack settings' defaults
#: (``webstack:backups.dailyRetentionDays``, ``webstack:docker.weeklyRetentionDays``,
#: ``webstack:storage.noncurrentVersionDays``, ``webstack:backups.objectLock``; tests/components/test_docker_storage.py
#: builds both and compares them).
DAILY_RETENTION_DAYS = 30
WEEKLY_RETENTION_DAYS = 90
NONCURRENT_VERSION_DAYS = 30
OBJECT_LOCK_MODES = ("off", "GOVERNANCE", "COMPLIANCE")
OBJECT_LOCK_DAYS = 30
STORAGE_MEMORY_MB = 1024
STORAGE_CPUS = 1.0
DATA_MOUNT = "/var/tmp"
DATA_DIR = f"{DATA_MOUNT}/minio"
CERTS_DIR = config_path("minio-certs")
KMS_KEY_NAME = "webstack-sse"
#: The mc alias every generated script uses for this MinIO.
MC_ALIAS = "store"
MC_ENV_FILE = config_path("mc-env.sh")
METRICS_PATH = "/minio/v2/metrics/cluster"
ROOT_USER_FILE = config_path("secrets", "root-user")
ROOT_PASSWORD_FILE = config_path("secrets", "root-password")
SETUP_ATTEMPTS = 60


def secret_file(name: str) -> str:
    return config_path("secrets", name)


def kms_secret_key(seed: str) -> str:
    """MinIO's static KMS key, ``<name>:<base64 of 32 bytes>``, derived from a generated secret."""
    digest = hashlib.sha256(seed.encode()).digest()
    return f"{KMS_KEY_NAME}:{base64.b64encode(digest).decode()}"


def _bucket_arn(bucket: str) -> str:
    return f"arn:aws:s3:::{bucket}"


def _bucket_policy(bucket: str, object_actions: list[str]) -> dict[str, Any]:
    """A user's policy: list ``bucket``, and ``object_actions`` on its objects; nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"],
                "Resource": [_bucket_arn(bucket)],
            },
            {"Effect": "Allow", "Action": object_actions, "Resource": [f"{_bucket_arn(bucket)}/*"]},
        ],
    }


def documents_policy(bucket: str = DOCUMENTS_BUCKET) -> dict[str, Any]:
    """The app's policy: list the documents bucket, read, write and delete its objects; nothing else."""
    return _bucket_policy(
        bucket,
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
    )


def backups_policy(bucket: str = BACKUPS_BUCKET) -> dict[str, Any]:
    """The backup user's policy: list the backups bucket, read (restores) and write its objects, delete nothing
    (expiry is the lifecycle rules' job), so a compromised backup job cannot erase the history."""
    return _bucket_policy(
        bucket, ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
    )


def backups_lifecycle(daily_retention_days: int, weekly_retention_days: int) -> dict[str, Any]:
    """Lifecycle of the backups bucket (``mc ilm import`` JSON): daily and weekly dumps expire after their retention
    (days); the versions an expiry leaves behind go a day later."""
    rules = [
        ("daily-dumps", DAILY_PREFIX, daily_retention_days),
        ("weekly-dumps", WEEKLY_PREFIX, weekly_retention_days),
    ]
    return {
        "Rules": [
            {
                "ID": rule_id,
                "Status": "Enabled",
                "Filter": {"Prefix": prefix},
                "Expiration": {"Days": days},
                "NoncurrentVersionExpiration": {"NoncurrentDays": BACKUP_NONCURRENT_DAYS},
            }
            for rule_id, prefix, days in rules
        ]
    }


def documents_lifecycle(noncurrent_version_days: int) -> dict[str, Any]:
    """Lifecycle of the documents bucket: replaced and deleted versions go after ``noncurrent_version_days``;
    current documents stay."""
    return {
        "Rules": [
            {
                "ID": "old-versions",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "NoncurrentVersionExpiration": {"NoncurrentDays": noncurrent_version_days},
            }
        ]
    }


def mc_env_script(host: str, access_key_file: str, secret_key_file: str) -> str:
    """Sourced by every script that runs mc: a private mc config in /tmp that trusts the internal CA, and the alias
    ``store`` with the credentials read from their files into this shell's environment only. Sourcing it again (every
    health check, every documented command) works too."""
    return "\n".join(
        [
            "# Generated by webstack: sourced by scripts that run mc.",
            "umask 077",
            "MC_CONFIG_DIR=/tmp/.mc",
            "export MC_CONFIG_DIR",
            'mkdir -p "$MC_CONFIG_DIR/certs/CAs"',
            # -f: the copy a first sourcing made is read-only (umask 077, the CA's 0440); replace it.
            f'cp -f {CA_FILE} "$MC_CONFIG_DIR/certs/CAs/webstack-ca.crt"',
            f'MC_HOST_{MC_ALIAS}="https://$(cat {access_key_file}):$(cat {secret_key_file})@{host}:{MINIO_PORT}"',
            f"export MC_HOST_{MC_ALIAS}",
            "",
        ]
    )


def setup_script(object_lock_mode: str = "off", object_lock_days: int = OBJECT_LOCK_DAYS) -> str:
    """The setup job: buckets, encryption, object lock (``object_lock_mode`` GOVERNANCE or COMPLIANCE, for
    ``object_lock_days``; ``off``: none), lifecycle, policies and users. Safe to run again."""
    store = MC_ALIAS
    documents, backups = f"{store}/{DOCUMENTS_BUCKET}", f"{store}/{BACKUPS_BUCKET}"
    lines = [
        "#!/bin/sh",
        "# Generated by webstack: configures the object storage. Idempotent: it runs again whenever it changes.",
        "set -eu",
        f". {MC_ENV_FILE}",
        "attempt=0",
        f"until mc admin info {store} >/dev/null 2>&1; do",
        "    attempt=$((attempt + 1))",
        f'    if [ "$attempt" -ge {SETUP_ATTEMPTS} ]; then',
        '        echo "storage-setup: MinIO is not answering" >&2',
        "        exit 1",
        "    fi",
        "    sleep 5",
        "done",
        f"mc mb --ignore-existing --with-versioning {documents}",
        f"mc mb --ignore-existing --with-versioning{' --with-lock' if object_lock_mode != 'off' else ''} {backups}",
    ]
    for bucket in (documents, backups):
        lines += [
            f"mc version enable {bucket}",
            f"mc encrypt set sse-s3 {bucket}",
            f"mc anonymous set none {bucket}",
        ]
    if object_lock_mode != "off":
        lines.append(f"mc retention set --default {object_lock_mode} {object_lock_days}d {backups}")
    lines += [
        f"mc ilm import {documents} < {config_path('lifecycle', 'documents.json')}",
        f"mc ilm import {backups} < {config_path('lifecycle', 'backups.json')}",
    ]
    for who, policy in (("app", "webstack-documents"), ("backup", "webstack-backups")):
        access, secret = secret_file(f"{who}-access-key"), secret_file(f"{who}-secret-key")
        lines += [
            f"mc admin policy create {store} {policy} {config_path('policies', policy + '.json')}",
            f'printf "%s\\n%s\\n" "$(cat {access})" "$(cat {secret})" | mc admin user add {store}',
            f'mc admin policy detach {store} {policy} --user "$(cat {access})" >/dev/null 2>&1 || true',
            f'mc admin policy attach {store} {policy} --user "$(cat {access})"',
        ]
    lines += ['echo "storage-setup: done"', ""]
    return "\n".join(lines)


def health_command() -> list[str]:
    """MinIO's health check: ``mc ready`` against itself, over TLS, through the same mc environment as the jobs."""
    return [".", MC_ENV_FILE, "&&", "mc", "ready", MC_ALIAS]


@dataclass(frozen=True)
class ObjectStorageArgs:
    """Inputs of :class:`ObjectStorage`. Every default is the secure (and the stack settings') choice; the network and
    the images have none."""

    data_network: pulumi.Input[str]
    """The Docker name of the internal data network: MinIO and its setup job join it, and no other."""
    image: pulumi.Input[str]
    """The MinIO image id."""
    mc_image: pulumi.Input[str]
    """The MinIO client (mc) image id: the setup job's, which needs ``/bin/sh``."""
    daily_retention_days: int | None = None
    """Days the backups bucket keeps the ``daily/`` dumps. Default (None): 30."""
    weekly_retention_days: int | None = None
    """Days the backups bucket keeps the ``weekly/`` (Sunday) dumps. Default (None): 90."""
    noncurrent_version_days: int | None = None
    """Days an overwritten or deleted document's version stays recoverable. Default (None): 30."""
    object_lock_mode: str | None = None
    """Object lock of the backups bucket: ``off``, ``GOVERNANCE`` (removable with a permission) or ``COMPLIANCE``
    (nobody can delete a locked version before its time); MinIO can enable it only when it creates the bucket.
    Default (None): ``off``."""
    object_lock_days: int | None = None
    """Days each object in the backups bucket is locked, with ``object_lock_mode``. Default (None): 30."""
    ca_cert_pem: pulumi.Input[str] | None = None
    """The internal CA certificate that signs MinIO's certificate and that clients verify it against; with
    ``ca_key_pem``. Default (None): the component creates its own CA (``<name>-ca``)."""
    ca_key_pem: pulumi.Input[str] | None = None
    """The internal CA's private key (a secret); with ``ca_cert_pem``."""


def validate_storage_args(args: ObjectStorageArgs) -> None:
    """What MinIO or mc would refuse; errors name the Args field. (A stack's settings are validated, naming their
    keys, in ``components/settings/``.)"""
    for field in ("daily_retention_days", "weekly_retention_days", "noncurrent_version_days", "object_lock_days"):
        days = getattr(args, field)
        if days is not None and not 1 <= days <= 36500:
            raise ValueError(f"ObjectStorageArgs.{field} must be between 1 and 36500, got {days!r}")
    if args.object_lock_mode is not None and args.object_lock_mode not in OBJECT_LOCK_MODES:
        raise ValueError(
            f"ObjectStorageArgs.object_lock_mode must be off, GOVERNANCE or COMPLIANCE, got {args.object_lock_mode!r}"
        )
    if (args.ca_cert_pem is None) != (args.ca_key_pem is None):
        raise ValueError("ObjectStorageArgs.ca_cert_pem and ObjectStorageArgs.ca_key_pem go together")


def _or(value: int | None, default: int) -> int:
    return value if value is not None else default


class ObjectStorage(pulumi.ComponentResource):
    """MinIO with TLS and encryption at rest, and the job that creates its buckets, users and rules."""

    host: str
    """MinIO's DNS name on the data network."""
    url: str
    """MinIO's S3 endpoint, ``https://<host>:9000``."""
    documents_bucket: str
    """The app's bucket."""
    backups_bucket: str
    """The database dumps' bucket (versioned, with its retention rules and, if asked, object lock)."""
    access_key: pulumi.Output[str]
    """The app's access key (a secret): it reaches the documents bucket only."""
    secret_key: pulumi.Output[str]
    """The app's secret key (a secret)."""
    backup_access_key: pulumi.Output[str]
    """The backup user's access key (a secret): it may list, read and write the backups bucket and delete nothing."""
    backup_secret_key: pulumi.Output[str]
    """The backup user's secret key (a secret)."""
    ca_pem: pulumi.Output[str]
    """The CA that signed MinIO's certificate: clients verify MinIO against it."""

    def __init__(self, name: str, args: ObjectStorageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_storage_args(args)
        super().__init__(STORAGE_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.host = host = f"{name}-minio"
        if args.ca_cert_pem is not None and args.ca_key_pem is not None:
            ca_cert, ca_key = pulumi.Output.from_input(args.ca_cert_pem), args.ca_key_pem
        else:
            own = InternalCa(f"{name}-ca", InternalCaArgs(), opts=child)
            ca_cert, ca_key = own.cert_pem, own.key_pem
        self.ca_pem = ca_cert
        cert = issue_certificate(host, server_names(host, host), ca_cert, ca_key, self)
        self.root_user: pulumi.Output[str] = generated_access_key(f"{name}-root-user", child)
        """MinIO's root user (a secret), which only the setup job uses."""
        self.root_password: pulumi.Output[str] = generated_secret(f"{name}-root-password", child)
        """MinIO's root password (a secret)."""
        kms_key = generated_secret(f"{name}-kms-seed", child, length=64).apply(kms_secret_key)
        app_access, app_secret = (
            generated_access_key(f"{name}-app-access-key", child),
            generated_secret(f"{name}-app-secret-key", child),
        )
        self.backup_access_key = generated_access_key(f"{name}-backup-access-key", child)
        self.backup_secret_key = generated_secret(f"{name}-backup-secret-key", child)
        root_env = mc_env_script(host, ROOT_USER_FILE, ROOT_PASSWORD_FILE)
        self.volume: docker.Volume = volume(f"{name}-data", "object-storage", child)
        self.minio: docker.Container = configured_container(
            host,
            ContainerSpec(
                image=args.image,
                user=f"{MINIO_UID}:{MINIO_UID}",
                role="object-storage",
                networks=[args.data_network],
                health=HealthCheck(health_command(), timeout_seconds=10, shell=True),
                memory_mb=STORAGE_MEMORY_MB,
                cpus=STORAGE_CPUS,
                command=["minio", "server", "--address", f":{MINIO_PORT}", "--certs-dir", CERTS_DIR, DATA_DIR],
                envs={
                    "MINIO_ROOT_USER_FILE": ROOT_USER_FILE,
                    "MINIO_ROOT_PASSWORD_FILE": ROOT_PASSWORD_FILE,
                    "MINIO_KMS_SECRET_KEY_FILE": secret_file("kms-key"),
                    "MINIO_KMS_AUTO_ENCRYPTION": "on",
                    "MINIO_PROMETHEUS_AUTH_TYPE": "public",
                    "MINIO_BROWSER": "off",
                    "MINIO_UPDATE": "off",
                    "MC_CONFIG_DIR": "/tmp/.mc",
                },
                uploads=[
                    Upload(f"{CERTS_DIR}/public.crt", cert.cert_pem, "0440"),
                    Upload(f"{CERTS_DIR}/private.key", cert.key_pem, "0400"),
                    Upload(f"{CERTS_DIR}/CAs/ca.crt", ca_cert, "0440"),
                    Upload(CA_FILE, ca_cert, "0440"),
                    Upload(MC_ENV_FILE, root_env, "0440"),
                    Upload(ROOT_USER_FILE, self.root_user, "0400"),
                    Upload(ROOT_PASSWORD_FILE, self.root_password, "0400"),
                    Upload(secret_file("kms-key"), pulumi.Output.secret(kms_key), "0400"),
                ],
                tmpfs={"/tmp": "size=64m"},
                volumes={DATA_MOUNT: self.volume},
                aliases=[host],
            ),
            child,
        )
        lock_mode = args.object_lock_mode if args.object_lock_mode is not None else "off"
        lock_days = _or(args.object_lock_days, OBJECT_LOCK_DAYS)
        documents_rules = documents_lifecycle(_or(args.noncurrent_version_days, NONCURRENT_VERSION_DAYS))
        backups_rules = backups_lifecycle(
            _or(args.daily_retention_days, DAILY_RETENTION_DAYS), _or(args.weekly_retention_days, WEEKLY_RETENTION_DAYS)
        )
        self.setup: docker.Container = configured_container(
            f"{name}-setup",
            ContainerSpec(
                image=args.mc_image,
                user=f"{MC_UID}:{MC_UID}",
                role="storage-setup",
                networks=[args.data_network],
                health=None,
                long_running=False,
                memory_mb=128,
                cpus=0.2,
                entrypoint=["/bin/sh", config_path("setup.sh")],
                uploads=[
                    Upload(config_path("setup.sh"), setup_script(lock_mode, lock_days), "0440"),
                    Upload(MC_ENV_FILE, root_env, "0440"),
                    Upload(CA_FILE, ca_cert, "0440"),
                    Upload(config_path("lifecycle", "documents.json"), _json(documents_rules), "0440"),
                    Upload(config_path("lifecycle", "backups.json"), _json(backups_rules), "0440"),
                    Upload(config_path("policies", "webstack-documents.json"), _json(documents_policy()), "0440"),
                    Upload(config_path("policies", "webstack-backups.json"), _json(backups_policy()), "0440"),
                    Upload(ROOT_USER_FILE, self.root_user, "0400"),
                    Upload(ROOT_PASSWORD_FILE, self.root_password, "0400"),
                    Upload(secret_file("app-access-key"), app_access, "0400"),
                    Upload(secret_file("app-secret-key"), app_secret, "0400"),
                    Upload(secret_file("backup-access-key"), self.backup_access_key, "0400"),
                    Upload(secret_file("backup-secret-key"), self.backup_secret_key, "0400"),
                ],
                tmpfs={"/tmp": "size=16m"},
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[self.minio]),
        )
        self.containers: list[docker.Container] = [self.minio, self.setup]
        """MinIO and the setup job (not the seeds that deliver their files)."""
        self.url, self.documents_bucket, self.backups_bucket = (
            f"https://{host}:{MINIO_PORT}",
            DOCUMENTS_BUCKET,
            BACKUPS_BUCKET,
        )
        self.access_key, self.secret_key = app_access, app_secret
        self.endpoint: StorageEndpoint = StorageEndpoint(
            url=self.url,
            documents_bucket=DOCUMENTS_BUCKET,
            backups_bucket=BACKUPS_BUCKET,
            access_key=app_access,
            secret_key=app_secret,
            ca_pem=ca_cert,
        )
        """The app's endpoint: its credentials reach the documents bucket only."""
        self.scrape_targets: list[ScrapeTarget] = [
            ScrapeTarget(
                job="object-storage",
                address=f"{host}:{MINIO_PORT}",
                metrics_path=METRICS_PATH,
                scheme="https",
                ca_pem=self.ca_pem,
            )
        ]
        self.register_outputs({"url": self.endpoint.url, "buckets": [DOCUMENTS_BUCKET, BACKUPS_BUCKET]})


def _json(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
