"""The docker ObjectStorage component: a hardened MinIO serving TLS, with generated root credentials and KMS key that
exist only in secret files, and the setup job's buckets, encryption, object lock, lifecycle rules, users and
policies (checked in the generated files, and by running the job's script against a stub ``mc``)."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.docker.common import REVISION_ENV
from components.docker.network import Network, NetworkArgs
from components.docker.platform import storage_args
from components.docker.storage import (
    BACKUPS_BUCKET,
    DOCUMENTS_BUCKET,
    ObjectStorage,
    ObjectStorageArgs,
    backups_lifecycle,
    backups_policy,
    documents_lifecycle,
    documents_policy,
    kms_secret_key,
    mc_env_script,
    setup_script,
)
from components.settings import Settings
from stackcheck.engine.resources import is_secret, redact
from tests.components.docker_support import (
    assert_locked_down,
    built_alike,
    docker_settings,
    envs,
    files,
    generated,
    localize,
    stub_commands,
    under,
)
from tests.conftest import construct, one, registered

MINIO_IMAGE = "sha256:" + "a" * 64
MC_IMAGE = "sha256:" + "b" * 64
SECRETS = (
    "root-user",
    "root-password",
    "kms-seed",
    "app-access-key",
    "app-secret-key",
    "backup-access-key",
    "backup-secret-key",
)


def build(name: str, settings: Settings) -> ObjectStorage:
    def factory() -> ObjectStorage:
        network = Network(f"{name}-net", NetworkArgs())
        return ObjectStorage(name, storage_args(settings, network.data_network, MINIO_IMAGE, MC_IMAGE))

    return construct(factory)


@pytest.fixture(scope="module")
def storage() -> ObjectStorage:
    return build("stordef", docker_settings())


@pytest.fixture(scope="module")
def locked() -> ObjectStorage:
    return build(
        "storlock",
        docker_settings(
            backups={"dailyRetentionDays": 14, "objectLock": {"mode": "COMPLIANCE", "days": 7}},
            database={"backupRetentionDays": 14},
            docker={"weeklyRetentionDays": 120},
            storage={"noncurrentVersionDays": 45},
        ),
    )


# -- defaults are secure ---------------------------------------------------------------------------------------------
def test_minio_defaults_are_secure(storage: ObjectStorage) -> None:
    inputs = one("stordef-minio").inputs
    assert_locked_down(inputs, "1000:1000")
    assert inputs["ports"] == []
    assert inputs["uploads"] == []
    assert {"label": "webstack.role", "value": "object-storage"} in inputs["labels"]
    assert [network["name"] for network in inputs["networksAdvanced"]] == ["webstack-test-data"]
    assert inputs["healthcheck"]["tests"] == ["CMD-SHELL", ". /etc/webstack/mc-env.sh && mc ready store"]
    data = one("stordef-data")
    assert data.protect
    assert data.retain_on_delete
    mounts = {m["target"]: m for m in inputs["mounts"]}
    assert mounts["/var/tmp"]["source"] == data.inputs["name"]
    assert inputs["command"] == [
        "minio",
        "server",
        "--address",
        ":9000",
        "--certs-dir",
        "/etc/webstack/minio-certs",
        "/var/tmp/minio",
    ]
    seed = one("stordef-minio-seed")
    assert envs("stordef-minio")[REVISION_ENV] == seed.id
    assert seed.inputs["restart"] == "no"


def test_credentials_and_the_kms_key_are_generated_files(storage: ObjectStorage) -> None:
    env = envs("stordef-minio")
    assert env["MINIO_ROOT_USER_FILE"] == "/etc/webstack/secrets/root-user"
    assert env["MINIO_ROOT_PASSWORD_FILE"] == "/etc/webstack/secrets/root-password"
    assert env["MINIO_KMS_SECRET_KEY_FILE"] == "/etc/webstack/secrets/kms-key"
    assert env["MINIO_KMS_AUTO_ENCRYPTION"] == "on"
    assert env["MINIO_BROWSER"] == "off"
    assert env["MINIO_PROMETHEUS_AUTH_TYPE"] == "public"
    assert not {"MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_KMS_SECRET_KEY"} & set(env)
    plaintexts = {name: generated(f"stordef-{name}") for name in SECRETS}
    for name in ("root-password", "kms-seed", "app-secret-key", "backup-secret-key"):
        assert one(f"stordef-{name}").inputs["length"] >= 32
    assert one("stordef-kms-seed").inputs["length"] == 64
    for resource in registered("stordef"):
        visible = json.dumps(redact(resource.inputs))
        assert not [name for name, text in plaintexts.items() if text in visible], resource.name
    delivered = files("stordef-minio")
    assert delivered["/etc/webstack/secrets/root-user"] == plaintexts["root-user"]
    assert delivered["/etc/webstack/secrets/root-password"] == plaintexts["root-password"]
    assert delivered["/etc/webstack/secrets/kms-key"] == kms_secret_key(plaintexts["kms-seed"])
    assert is_secret(one("stordef-minio-seed").inputs["uploads"])
    assert is_secret(one("stordef-setup-seed").inputs["uploads"])


def test_the_kms_key_is_32_bytes_under_a_name() -> None:
    name, _, key = kms_secret_key("x" * 64).partition(":")
    assert name == "webstack-sse"
    assert len(base64.b64decode(key, validate=True)) == 32
    assert kms_secret_key("x" * 64) == kms_secret_key("x" * 64)
    assert kms_secret_key("x" * 64) != kms_secret_key("y" * 64)


def test_minio_serves_tls_from_the_internal_ca(storage: ObjectStorage) -> None:
    delivered = files("stordef-minio")
    assert delivered["/etc/webstack/minio-certs/public.crt"] == one("stordef-minio-tls-cert").outputs["certPem"]
    assert delivered["/etc/webstack/minio-certs/private.key"] == one("stordef-minio-tls-key").outputs["privateKeyPem"]
    ca = one("stordef-ca-cert").outputs["certPem"]
    assert delivered["/etc/webstack/minio-certs/CAs/ca.crt"] == ca
    assert one("stordef-minio-tls-csr").inputs["dnsNames"] == [
        "stordef-minio",
        "webstack-test-stordef-minio",
        "localhost",
    ]
    assert "server_auth" in one("stordef-minio-tls-cert").inputs["allowedUses"]
    assert storage.endpoint.url == "https://stordef-minio:9000"


def test_the_setup_job_is_a_hardened_one_shot(storage: ObjectStorage) -> None:
    inputs = one("stordef-setup").inputs
    assert inputs["user"] == "1000:1000"
    assert inputs["restart"] == "no"
    assert inputs["mustRun"] is False
    assert inputs["readOnly"] is True
    assert inputs["capabilities"] == {"drops": ["ALL"], "adds": []}
    assert inputs["ports"] == []
    assert {"label": "webstack.role", "value": "storage-setup"} in inputs["labels"]
    assert inputs["entrypoints"] == ["/bin/sh", "/etc/webstack/setup.sh"]
    assert one("stordef-minio").urn in one("stordef-setup").dependencies
    assert storage.containers == [storage.minio, storage.setup]


def test_the_setup_script_creates_buckets_users_policies_and_rules(storage: ObjectStorage) -> None:
    script = files("stordef-setup")["/etc/webstack/setup.sh"]
    lock = docker_settings().backups.object_lock
    assert script == setup_script(lock.mode, lock.days)
    for bucket in (DOCUMENTS_BUCKET, BACKUPS_BUCKET):
        assert f"mc mb --ignore-existing --with-versioning store/{bucket}" in script
        assert f"mc version enable store/{bucket}" in script
        assert f"mc encrypt set sse-s3 store/{bucket}" in script
        assert f"mc anonymous set none store/{bucket}" in script
    assert "--with-lock" not in script
    assert "mc retention" not in script
    assert "mc ilm import store/backups < /etc/webstack/lifecycle/backups.json" in script
    assert (
        'mc admin policy attach store webstack-documents --user "$(cat /etc/webstack/secrets/app-access-key)"' in script
    )
    assert (
        'mc admin policy attach store webstack-backups --user "$(cat /etc/webstack/secrets/backup-access-key)"'
        in script
    )


def test_policies_keep_each_user_to_its_bucket(storage: ObjectStorage) -> None:
    delivered = files("stordef-setup")
    documents = json.loads(delivered["/etc/webstack/policies/webstack-documents.json"])
    backups = json.loads(delivered["/etc/webstack/policies/webstack-backups.json"])
    assert documents == documents_policy()
    assert backups == backups_policy()
    resources = {r for statement in documents["Statement"] for r in statement["Resource"]}
    assert resources == {"arn:aws:s3:::documents", "arn:aws:s3:::documents/*"}
    resources = {r for statement in backups["Statement"] for r in statement["Resource"]}
    assert resources == {"arn:aws:s3:::backups", "arn:aws:s3:::backups/*"}
    for policy in (documents, backups):
        actions = [a for statement in policy["Statement"] for a in statement["Action"]]
        assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])
        assert not [a for a in actions if "*" in a or a.startswith(("s3:PutBucket", "s3:DeleteBucket", "admin:"))]
    backup_actions = {a for statement in backups["Statement"] for a in statement["Action"]}
    assert not [a for a in backup_actions if "Delete" in a], "the backup user cannot erase backups"
    assert {"s3:PutObject", "s3:GetObject", "s3:ListBucket"} <= backup_actions


def test_lifecycle_rules_follow_the_retention_settings(locked: ObjectStorage) -> None:
    delivered = files("storlock-setup")
    backups = json.loads(delivered["/etc/webstack/lifecycle/backups.json"])
    assert backups == {
        "Rules": [
            {
                "ID": "daily-dumps",
                "Status": "Enabled",
                "Filter": {"Prefix": "daily/"},
                "Expiration": {"Days": 14},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            },
            {
                "ID": "weekly-dumps",
                "Status": "Enabled",
                "Filter": {"Prefix": "weekly/"},
                "Expiration": {"Days": 120},
                "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
            },
        ]
    }
    documents = json.loads(delivered["/etc/webstack/lifecycle/documents.json"])
    assert documents["Rules"][0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 45}
    assert "Expiration" not in documents["Rules"][0], "current documents never expire"
    defaults = docker_settings()
    daily, weekly = defaults.backups.daily_retention_days, defaults.docker.weekly_retention_days
    assert [rule["Expiration"]["Days"] for rule in backups_lifecycle(daily, weekly)["Rules"]] == [30, 90]
    noncurrent = documents_lifecycle(defaults.storage.noncurrent_version_days)
    assert noncurrent["Rules"][0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30


def test_object_lock_follows_the_backup_settings(locked: ObjectStorage) -> None:
    script = files("storlock-setup")["/etc/webstack/setup.sh"]
    assert "mc mb --ignore-existing --with-versioning --with-lock store/backups" in script
    assert "mc mb --ignore-existing --with-versioning store/documents" in script
    assert "mc retention set --default COMPLIANCE 7d store/backups" in script


def test_mc_gets_credentials_from_files_and_trusts_the_internal_ca(storage: ObjectStorage) -> None:
    script = files("stordef-setup")["/etc/webstack/mc-env.sh"]
    assert script == mc_env_script(
        "stordef-minio", "/etc/webstack/secrets/root-user", "/etc/webstack/secrets/root-password"
    )
    assert (
        'MC_HOST_store="https://$(cat /etc/webstack/secrets/root-user):$(cat /etc/webstack/secrets/root-password)'
        '@stordef-minio:9000"'
    ) in script
    assert 'cp -f /etc/webstack/tls/ca.crt "$MC_CONFIG_DIR/certs/CAs/webstack-ca.crt"' in script
    assert files("stordef-setup")["/etc/webstack/tls/ca.crt"] == one("stordef-ca-cert").outputs["certPem"]


@pytest.mark.skipif(shutil.which("dash") is None, reason="needs dash")
def test_the_setup_script_runs_against_mc(tmp_path: Path) -> None:
    """The script, run by a POSIX shell against a stub mc that logs its arguments and stdin: every step in order,
    each user's keys on stdin (never on the command line), and a failing step stops it."""
    root = tmp_path / "root"
    secrets = root / "etc/webstack/secrets"
    secrets.mkdir(parents=True)
    (root / "etc/webstack/tls").mkdir()
    (root / "etc/webstack/tls/ca.crt").write_text("CA")
    keys = {
        "root-user": "ROOTUSER",
        "root-password": "rootpw",
        "app-access-key": "APPKEY",
        "app-secret-key": "appsecret",
        "backup-access-key": "BACKUPKEY",
        "backup-secret-key": "backupsecret",
    }
    for file, value in keys.items():
        (secrets / file).write_text(value)
    for directory, names in (
        ("lifecycle", ("documents", "backups")),
        ("policies", ("webstack-documents", "webstack-backups")),
    ):
        (root / "etc/webstack" / directory).mkdir()
        for file in names:
            (root / "etc/webstack" / directory / f"{file}.json").write_text("{}")
    settings = docker_settings(backups={"objectLock": {"mode": "GOVERNANCE", "days": 10}})
    moved = under(root, "/etc/webstack", "/tmp")
    (root / "etc/webstack/mc-env.sh").write_text(
        localize(
            mc_env_script("minio", "/etc/webstack/secrets/root-user", "/etc/webstack/secrets/root-password"), moved
        )
    )
    bin_dir = stub_commands(
        tmp_path,
        {
            "mc": 'echo "mc $* [host=$MC_HOST_store]" >> "$LOG"\n'
            'case "$*" in "admin user add"*) while read -r line; do echo "stdin $line" >> "$LOG"; done ;; esac\n'
            'case "$*" in *"$FAIL"*) exit 1 ;; esac'
        },
    )
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "LOG": str(tmp_path / "log"), "FAIL": "@none@"}
    lock = settings.backups.object_lock
    script = localize(setup_script(lock.mode, lock.days), moved)
    subprocess.run(["dash", "-c", script], check=True, env=env, cwd=tmp_path, capture_output=True)
    log = (tmp_path / "log").read_text().splitlines()
    host = "[host=https://ROOTUSER:rootpw@minio:9000]"
    assert all(line.endswith(host) for line in log if line.startswith("mc "))
    steps = [line.removesuffix(" " + host) for line in log]
    assert steps == [
        "mc admin info store",
        "mc mb --ignore-existing --with-versioning store/documents",
        "mc mb --ignore-existing --with-versioning --with-lock store/backups",
        "mc version enable store/documents",
        "mc encrypt set sse-s3 store/documents",
        "mc anonymous set none store/documents",
        "mc version enable store/backups",
        "mc encrypt set sse-s3 store/backups",
        "mc anonymous set none store/backups",
        "mc retention set --default GOVERNANCE 10d store/backups",
        "mc ilm import store/documents",
        "mc ilm import store/backups",
        f"mc admin policy create store webstack-documents {root}/etc/webstack/policies/webstack-documents.json",
        "mc admin user add store",
        "stdin APPKEY",
        "stdin appsecret",
        "mc admin policy detach store webstack-documents --user APPKEY",
        "mc admin policy attach store webstack-documents --user APPKEY",
        f"mc admin policy create store webstack-backups {root}/etc/webstack/policies/webstack-backups.json",
        "mc admin user add store",
        "stdin BACKUPKEY",
        "stdin backupsecret",
        "mc admin policy detach store webstack-backups --user BACKUPKEY",
        "mc admin policy attach store webstack-backups --user BACKUPKEY",
    ]
    assert not [line for line in steps if line.startswith("mc ") and re.search("secret|rootpw", line)]
    (tmp_path / "log").unlink()
    failing = subprocess.run(
        ["dash", "-c", script], env={**env, "FAIL": "encrypt set"}, cwd=tmp_path, capture_output=True, check=False
    )
    assert failing.returncode != 0
    assert "admin user add" not in (tmp_path / "log").read_text()


def test_endpoint_credentials_and_scrape_target(storage: ObjectStorage) -> None:
    endpoint = storage.endpoint
    assert (endpoint.documents_bucket, endpoint.backups_bucket) == ("documents", "backups")
    delivered = files("stordef-setup")
    assert delivered["/etc/webstack/secrets/app-access-key"] == generated("stordef-app-access-key")
    assert delivered["/etc/webstack/secrets/backup-secret-key"] == generated("stordef-backup-secret-key")
    [target] = storage.scrape_targets
    assert (target.job, target.address, target.metrics_path, target.scheme) == (
        "object-storage",
        "stordef-minio:9000",
        "/minio/v2/metrics/cluster",
        "https",
    )
    assert storage.host == "stordef-minio"


# -- the Args as another program sees them -----------------------------------------------------------------------------
def test_the_args_defaults_are_the_settings_defaults() -> None:
    """Object storage built from ObjectStorageArgs' own defaults is the one a stack without webstack:backups,
    webstack:storage or webstack:docker builds."""

    def factory() -> None:
        network = Network("storsame-net", NetworkArgs())
        ObjectStorage("storsame1", ObjectStorageArgs(network.data_network, MINIO_IMAGE, MC_IMAGE))
        ObjectStorage("storsame2", storage_args(docker_settings(), network.data_network, MINIO_IMAGE, MC_IMAGE))

    construct(factory)
    assert len(registered("storsame1")) > 10
    assert built_alike("storsame1") == built_alike("storsame2")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"daily_retention_days": 0}, "ObjectStorageArgs.daily_retention_days must be between 1 and 36500, got 0"),
        ({"object_lock_days": -1}, "ObjectStorageArgs.object_lock_days must be between 1 and 36500, got -1"),
        (
            {"object_lock_mode": "governance"},
            "ObjectStorageArgs.object_lock_mode must be off, GOVERNANCE or COMPLIANCE",
        ),
        ({"ca_key_pem": "key"}, "ObjectStorageArgs.ca_cert_pem and ObjectStorageArgs.ca_key_pem go together"),
    ],
)
def test_storage_refuses_bad_args_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ObjectStorage("storrefused", replace(ObjectStorageArgs("webstack-test-data", MINIO_IMAGE, MC_IMAGE), **change))


def test_the_component_presents_the_app_endpoint_as_outputs(storage: ObjectStorage) -> None:
    """What another program reads from the component (the schema's outputs) is the endpoint the web tier gets."""
    endpoint = storage.endpoint
    assert (storage.url, storage.documents_bucket, storage.backups_bucket) == (
        endpoint.url,
        endpoint.documents_bucket,
        endpoint.backups_bucket,
    )
    assert (storage.access_key, storage.secret_key, storage.ca_pem) == (
        endpoint.access_key,
        endpoint.secret_key,
        endpoint.ca_pem,
    )
    assert storage.url == "https://stordef-minio:9000"
