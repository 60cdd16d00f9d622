"""The Backups component: vaults in the main and DR regions under their own customer keys, reporting to the alert
topic; a daily (continuous) and a weekly rule copied to the DR vault; a selection of every primary and the documents;
monthly restore tests; the exports bucket and its lifecycle; replication of the exports and the documents to the DR
region; replicated automated database backups; the settings' switches; least-privilege roles; and protection."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.provider.experimental.component import ComponentProvider

from components.aws.account import Account
from components.aws.backups import Backups, BackupsArgs, backup_role_arns, validate_backups_args
from components.aws.buckets import fixed_bucket_name
from components.aws.platform_args import backups_args
from components.aws.storage import ObjectStorage, ObjectStorageArgs
from components.provider import PACKAGE, hosted
from components.settings import BackupSettings
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import RecordedResource
from tests.conftest import TEST_REGION, construct, one, registered

DR_REGION = "us-west-2"
ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
DR_ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=DR_REGION)
BACKUPS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/backups"
DR_BACKUPS_KEY_ARN = f"arn:aws:kms:{DR_REGION}:{ACCOUNT_ID}:key/dr-backups"
DATA_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/data"
ALERT_TOPIC_ARN = f"arn:aws:sns:{TEST_REGION}:{ACCOUNT_ID}:webstack-test-alerts-critical"
ACCESS_LOG_BUCKET = "webstack-test-access-logs-0a1b2c3d4e5f"
DR_ACCESS_LOG_BUCKET = "webstack-test-access-logs-6a7b8c9d0e1f"
DATABASE_RETENTION_DAYS = 14

VAULT_EVENTS = ["COPY_JOB_FAILED", "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED"]
MANAGED_POLICIES = [
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
]

BUCKET = "aws:s3/bucket:Bucket"
VAULT = "aws:backup/vault:Vault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
SELECTION = "aws:backup/selection:Selection"
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
DATABASE_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
OBJECT_LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
ATTRIBUTES = ("vault", "dr_vault", "plan", "role", "exports_bucket", "dr_exports_bucket", "dr_documents_bucket")


def backups(
    name: str,
    *,
    protect: bool = False,
    databases: int = 2,
    documents: bool = True,
    documents_noncurrent_days: int = 30,
    **settings: Any,
) -> dict[str, str]:
    """Backups named ``name`` (physical prefix ``webstack-<name>``) of ``databases`` primaries and, optionally, the
    documents bucket; what it backs up and the DR provider are named ``<name>src-...``, so ``registered(f"{name}-")``
    is the component's own. Returns the URNs the component's resource attributes resolved to (``None``: absent)."""
    prefix = f"webstack-{name}"
    backup_settings = BackupSettings.model_validate(settings)
    resolved: dict[str, str] = {}

    def factory() -> Backups:
        dr = aws.Provider(f"{name}src-dr", region=DR_REGION)
        primaries = [
            aws.rds.Instance(f"{name}src-db-{index}", identifier=f"{prefix}-db-{index}", instance_class="db.r7g.large")
            for index in range(databases)
        ]
        storage = (
            ObjectStorage(
                f"{name}src-storage",
                ObjectStorageArgs(
                    account=ACCOUNT,
                    name_prefix=prefix,
                    data_key_arn=DATA_KEY_ARN,
                    access_log_bucket=ACCESS_LOG_BUCKET,
                    bucket_name=fixed_bucket_name(ACCOUNT, prefix, "documents"),
                    service_role_arns=backup_role_arns(ACCOUNT, prefix),
                    noncurrent_version_days=documents_noncurrent_days,
                ),
            )
            if documents
            else None
        )
        built = Backups(
            name,
            backups_args(
                backup_settings,
                account=ACCOUNT,
                dr_account=DR_ACCOUNT,
                dr_provider=dr,
                name_prefix=prefix,
                backups_key_arn=BACKUPS_KEY_ARN,
                dr_backups_key_arn=DR_BACKUPS_KEY_ARN,
                alert_topic_arn=ALERT_TOPIC_ARN,
                access_log_bucket=ACCESS_LOG_BUCKET,
                dr_access_log_bucket=DR_ACCESS_LOG_BUCKET,
                database_arns=[primary.arn for primary in primaries],
                documents=storage,
                file_systems=[],
                database_retention_days=DATABASE_RETENTION_DAYS,
                protect=protect,
            ),
        )
        for attribute in ATTRIBUTES:
            resource = getattr(built, attribute)
            if resource is not None:
                resource.urn.apply(lambda urn, attribute=attribute: resolved.__setitem__(attribute, urn))
        return built

    construct(factory)
    return resolved


def dr_provider(name: str) -> str:
    return one(f"{name}src-dr").urn


def database_arns(name: str) -> list[str]:
    """The primaries' ARNs in index order (registrations are recorded in completion order)."""
    count = len(registered(f"{name}src-db-", "aws:rds/instance:Instance"))
    return [one(f"{name}src-db-{index}").outputs["arn"] for index in range(count)]


def documents_bucket(name: str) -> RecordedResource:
    return one(f"{name}src-storage-documents")


def plan_rules(name: str) -> dict[str, dict[str, Any]]:
    return {rule["ruleName"]: rule for rule in one(f"{name}-plan").inputs["rules"]}


def lifecycle(bucket_name: str) -> dict[str, dict[str, Any]]:
    return {rule["id"]: rule for rule in one(f"{bucket_name}-lifecycle").inputs["rules"]}


def document(resource_name: str, key: str = "policy") -> dict[str, Any]:
    parsed = json.loads(one(resource_name).inputs[key])
    assert parsed["Version"] == "2012-10-17"
    return parsed


def trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
            }
        ],
    }


def export_rules(daily: int, weekly: int, archive_after: int = 0) -> dict[str, dict[str, Any]]:
    return {
        "daily-exports": {
            "id": "daily-exports",
            "status": "Enabled",
            "filter": {"prefix": "daily/"},
            "expiration": {"days": daily},
        },
        "weekly-exports": {
            "id": "weekly-exports",
            "status": "Enabled",
            "filter": {"prefix": "weekly/"},
            "transitions": [{"days": archive_after, "storageClass": "GLACIER_IR"}],
            "expiration": {"days": weekly},
        },
    }


@pytest.fixture(scope="module")
def default_backups() -> dict[str, str]:
    return backups("bkpdefault")


# -- defaults are secure -----------------------------------------------------------------------------------------------
def test_defaults_are_secure(default_backups: dict[str, str]) -> None:
    component = one("bkpdefault")
    assert component.type == "webstack:aws:Backups"

    vault, dr_vault = one("bkpdefault-vault"), one("bkpdefault-dr-vault")
    assert (vault.type, dr_vault.type) == (VAULT, VAULT)
    assert vault.inputs == {"name": "webstack-bkpdefault-vault", "kmsKeyArn": BACKUPS_KEY_ARN}
    assert vault.provider == ""
    assert vault.outputs["region"] == TEST_REGION
    assert dr_vault.inputs == {"name": "webstack-bkpdefault-dr-vault", "kmsKeyArn": DR_BACKUPS_KEY_ARN}
    assert dr_vault.provider_urn == dr_provider("bkpdefault")
    assert dr_vault.outputs["region"] == DR_REGION
    assert (
        dr_vault.outputs["arn"] == f"arn:aws:backup:{DR_REGION}:{ACCOUNT_ID}:backup-vault:webstack-bkpdefault-dr-vault"
    )

    notifications = one("bkpdefault-vault-notifications")
    assert notifications.inputs == {
        "backupVaultName": "webstack-bkpdefault-vault",
        "snsTopicArn": ALERT_TOPIC_ARN,
        "backupVaultEvents": VAULT_EVENTS,
    }
    assert notifications.property_dependencies["backupVaultName"] == [vault.urn]
    failed = one("bkpdefault-failed-jobs")
    assert json.loads(failed.inputs["eventPattern"]) == {
        "source": ["aws.backup"],
        "detail-type": ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"],
        "$or": [
            {"detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]}},
            {"detail": {"status": ["FAILED", "ABORTED"]}},
        ],
    }
    target = one("bkpdefault-failed-jobs-alert")
    assert (target.inputs["rule"], target.inputs["arn"]) == (failed.outputs["name"], ALERT_TOPIC_ARN)
    for label, owner in (("vault", vault), ("dr-vault", dr_vault)):
        vault_policy = one(f"bkpdefault-{label}-policy")
        assert vault_policy.provider_urn == owner.provider_urn
        assert vault_policy.inputs["backupVaultName"] == owner.outputs["name"]
        assert json.loads(vault_policy.inputs["policy"])["Statement"] == [
            {
                "Sid": "RecoveryPointsLiveTheirLifecycle",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"],
                "Resource": "*",
            }
        ]

    plan = one("bkpdefault-plan")
    assert plan.inputs["name"] == "webstack-bkpdefault-plan"
    rules = plan_rules("bkpdefault")
    assert set(rules) == {"daily", "weekly"}
    copy = {"destinationVaultArn": dr_vault.outputs["arn"]}
    assert rules["daily"] == {
        "ruleName": "daily",
        "targetVaultName": "webstack-bkpdefault-vault",
        "schedule": "cron(0 2 * * ? *)",
        "scheduleExpressionTimezone": "Etc/UTC",
        "startWindow": 60,
        "completionWindow": 360,
        "enableContinuousBackup": True,
        "lifecycle": {"deleteAfter": 30},
        "copyActions": [{**copy, "lifecycle": {"deleteAfter": 30}}],
        "recoveryPointTags": {"webstack:backup-rule": "daily"},
    }
    assert rules["weekly"] == {
        "ruleName": "weekly",
        "targetVaultName": "webstack-bkpdefault-vault",
        "schedule": "cron(0 3 ? * SUN *)",
        "scheduleExpressionTimezone": "Etc/UTC",
        "startWindow": 60,
        "completionWindow": 360,
        "enableContinuousBackup": False,
        "lifecycle": {"deleteAfter": 90},
        "copyActions": [{**copy, "lifecycle": {"deleteAfter": 90}}],
        "recoveryPointTags": {"webstack:backup-rule": "weekly"},
    }
    assert sorted(plan.property_dependencies["rules"]) == sorted([vault.urn, dr_vault.urn])

    selection = one("bkpdefault-selection")
    assert selection.type == SELECTION
    primaries = database_arns("bkpdefault")
    assert primaries == [
        f"arn:aws:rds:{TEST_REGION}:{ACCOUNT_ID}:db:webstack-bkpdefault-db-0",
        f"arn:aws:rds:{TEST_REGION}:{ACCOUNT_ID}:db:webstack-bkpdefault-db-1",
    ]
    assert selection.inputs == {
        "name": "webstack-bkpdefault-data",
        "planId": plan.id,
        "iamRoleArn": one("bkpdefault-role").outputs["arn"],
        "resources": [*primaries, documents_bucket("bkpdefault").outputs["arn"]],
    }

    assert registered("bkpdefault-", VAULT_LOCK) == []
    assert registered("bkpdefault-", OBJECT_LOCK) == []
    assert [r.name for r in registered("bkpdefault-") if r.protect] == []
    assert default_backups == {
        "vault": vault.urn,
        "dr_vault": dr_vault.urn,
        "plan": plan.urn,
        "role": one("bkpdefault-role").urn,
        "exports_bucket": one("bkpdefault-exports").urn,
        "dr_exports_bucket": one("bkpdefault-exports-replica").urn,
        "dr_documents_bucket": one("bkpdefault-documents-replica").urn,
    }


REGION_SETTINGS = "aws:backup/regionSettings:RegionSettings"
#: AWS Backup developer guide, "Service opt-in": S3 is a resource type an account opts in to per region (and when an
#: account first uses AWS Backup in a region it is opted in to every type supported there then, "Assign resources to a
#: backup plan"). pulumi-aws's RegionSettings docs list the types DescribeRegionSettings returns.
RESOURCE_TYPES = ("Aurora", "CloudFormation", "DocumentDB", "DSQL", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune",
                  "RDS", "Redshift", "Redshift Serverless", "S3", "SAP HANA on Amazon EC2", "Storage Gateway",
                  "VirtualMachine")  # fmt: skip


def test_the_region_opts_in_to_s3_and_rds_before_anything_is_selected(default_backups: dict[str, str]) -> None:
    (settings,) = registered("bkpdefault-", REGION_SETTINGS)
    preference = settings.inputs["resourceTypeOptInPreference"]
    # Every type AWS lists, so that a refresh reads back exactly what the stack sets (its map is the region's whole
    # opt-in state); the stack's own types on, the others as AWS opts an account in: on.
    assert sorted(preference) == sorted(RESOURCE_TYPES)
    assert (preference["S3"], preference["RDS"]) == (True, True)
    assert all(preference.values())
    assert "resourceTypeManagementPreference" not in settings.inputs
    assert settings.urn in one("bkpdefault-selection").dependencies


def test_the_opt_in_follows_the_settings() -> None:
    backups("bkpoptin", serviceOptIn={"DynamoDB": False, "Timestream": True})
    (settings,) = registered("bkpoptin-", REGION_SETTINGS)
    preference = settings.inputs["resourceTypeOptInPreference"]
    assert (preference["DynamoDB"], preference["Timestream"], preference["S3"]) == (False, True, True)


def test_region_settings_managed_elsewhere_are_left_alone() -> None:
    backups("bkpnooptin", manageRegionSettings=False)
    assert registered("bkpnooptin-", REGION_SETTINGS) == []


def test_the_latest_database_recovery_point_is_restored_monthly(default_backups: dict[str, str]) -> None:
    plan = one("bkpdefault-restore-testing")
    assert plan.type == RESTORE_TESTING_PLAN
    assert plan.inputs == {
        "name": "webstack_bkpdefault_restore_tests",
        "scheduleExpression": "cron(0 5 1 * ? *)",
        "scheduleExpressionTimezone": "Etc/UTC",
        "startWindowHours": 24,
        "recoveryPointSelection": {
            "algorithm": "LATEST_WITHIN_WINDOW",
            "includeVaults": [one("bkpdefault-vault").outputs["arn"]],
            "recoveryPointTypes": ["SNAPSHOT", "CONTINUOUS"],
            "selectionWindowDays": 30,
        },
    }
    selection = one("bkpdefault-restore-testing-databases")
    assert selection.type == RESTORE_TESTING_SELECTION
    assert selection.inputs == {
        "name": "webstack_bkpdefault_restore_tests_databases",
        "restoreTestingPlanName": "webstack_bkpdefault_restore_tests",
        "protectedResourceType": "RDS",
        "protectedResourceArns": database_arns("bkpdefault"),
        "iamRoleArn": one("bkpdefault-role").outputs["arn"],
        "validationWindowHours": 24,
    }
    assert selection.property_dependencies["restoreTestingPlanName"] == [plan.urn]


def test_the_exports_bucket_is_hardened_and_keeps_daily_and_weekly_dumps(default_backups: dict[str, str]) -> None:
    bucket = one("bkpdefault-exports")
    assert bucket.type == BUCKET
    assert bucket.provider == ""
    assert bucket.inputs["bucketPrefix"] == "webstack-bkpdefault-backups-"
    assert bucket.inputs["tags"] == {"webstack:role": "backups"}
    assert "objectLockEnabled" not in bucket.inputs
    (rule,) = one("bkpdefault-exports-encryption").inputs["rules"]
    assert rule == {
        "applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": BACKUPS_KEY_ARN},
        "bucketKeyEnabled": True,
    }
    block = one("bkpdefault-exports-public-access").inputs
    assert [
        block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    ] == [True] * 4
    assert one("bkpdefault-exports-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
    logging = one("bkpdefault-exports-access-logging").inputs
    assert (logging["targetBucket"], logging["targetPrefix"]) == (ACCESS_LOG_BUCKET, "s3/backups/")
    rules = lifecycle("bkpdefault-exports")
    assert set(rules) == {"abort-incomplete-uploads", "expire-old-versions", "daily-exports", "weekly-exports"}
    expected = export_rules(daily=30, weekly=90)
    assert {key: rules[key] for key in expected} == expected
    (statement,) = document("bkpdefault-exports-policy")["Statement"]
    assert statement["Sid"] == "DenyInsecureTransport"


# -- replication to the DR region --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("label", "purpose"),
    [("exports", "exports-dr"), ("documents", "documents-dr")],
)
def test_exports_and_documents_replicate_to_versioned_buckets_in_the_dr_region(
    default_backups: dict[str, str], label: str, purpose: str
) -> None:
    source_name = "bkpdefault-exports" if label == "exports" else "bkpdefaultsrc-storage-documents"
    source = one(source_name)
    replica = one(f"bkpdefault-{label}-replica")
    assert replica.type == BUCKET
    assert replica.provider_urn == dr_provider("bkpdefault")
    assert replica.outputs["region"] == DR_REGION
    assert replica.inputs["bucketPrefix"] == f"webstack-bkpdefault-{purpose}-"
    assert replica.inputs["tags"] == {"webstack:role": "replica"}
    (rule,) = one(f"bkpdefault-{label}-replica-encryption").inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": DR_BACKUPS_KEY_ARN,
    }
    replica_logging = one(f"bkpdefault-{label}-replica-access-logging")
    assert replica_logging.provider_urn == dr_provider("bkpdefault")
    assert replica_logging.inputs["targetBucket"] == DR_ACCESS_LOG_BUCKET
    for bucket_name in (source_name, f"bkpdefault-{label}-replica"):
        assert one(f"{bucket_name}-versioning").inputs["versioningConfiguration"] == {"status": "Enabled"}
        block = one(f"{bucket_name}-public-access").inputs
        assert all(block[k] is True for k in ("blockPublicAcls", "blockPublicPolicy"))

    replication = one(f"bkpdefault-{label}-replication")
    assert replication.type == BUCKET_REPLICATION
    assert replication.provider == ""
    assert replication.inputs == {
        "bucket": source.outputs["bucket"],
        "role": one("bkpdefault-replication-role").outputs["arn"],
        "rules": [
            {
                "id": "to-dr-region",
                "status": "Enabled",
                "priority": 1,
                "filter": {"prefix": ""},
                "deleteMarkerReplication": {"status": "Enabled"},
                "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
                "destination": {
                    "bucket": replica.outputs["arn"],
                    "storageClass": "STANDARD_IA",
                    "encryptionConfiguration": {"replicaKmsKeyId": DR_BACKUPS_KEY_ARN},
                },
            }
        ],
    }
    # S3 refuses replication until both sides are versioned.
    assert one(f"{source_name}-versioning").urn in replication.dependencies
    assert one(f"bkpdefault-{label}-replica-versioning").urn in replication.dependencies


def test_the_documents_replica_is_as_restricted_as_the_documents(default_backups: dict[str, str]) -> None:
    arn = one("bkpdefault-documents-replica").outputs["arn"]
    statements = {s["Sid"]: s for s in document("bkpdefault-documents-replica-policy")["Statement"]}
    assert list(statements) == ["DenyInsecureTransport", "OnlyBackupsAndReplicationTouchDocuments"]
    deny = statements["OnlyBackupsAndReplicationTouchDocuments"]
    assert (deny["Effect"], deny["Principal"], deny["Resource"]) == ("Deny", "*", [arn, f"{arn}/*"])
    assert {"s3:GetObject*", "s3:Replicate*", "s3:ListBucketVersions"} <= set(deny["Action"])
    assert "s3:ListBucket" not in deny["Action"]  # HeadBucket, which every refresh calls, needs it
    assert deny["Condition"] == {
        "StringNotEquals": {"aws:PrincipalArn": backup_role_arns(ACCOUNT, "webstack-bkpdefault")}
    }
    (exports_statement,) = document("bkpdefault-exports-replica-policy")["Statement"]
    assert exports_statement["Sid"] == "DenyInsecureTransport"


def test_the_documents_replica_keeps_old_versions_as_long_as_the_documents() -> None:
    backups("bkpversions", documents_noncurrent_days=45)
    for bucket in ("bkpversionssrc-storage-documents", "bkpversions-documents-replica"):
        rules = lifecycle(bucket)
        assert rules["expire-old-versions"]["noncurrentVersionExpiration"] == {"noncurrentDays": 45}


def test_the_exports_replica_keeps_the_exports_lifecycle(default_backups: dict[str, str]) -> None:
    expected = export_rules(daily=30, weekly=90)
    rules = lifecycle("bkpdefault-exports-replica")
    assert {key: rules[key] for key in expected} == expected
    assert set(lifecycle("bkpdefault-documents-replica")) == {"abort-incomplete-uploads", "expire-old-versions"}


def test_each_primary_replicates_its_automated_backups_under_the_dr_key(default_backups: dict[str, str]) -> None:
    replications = registered("bkpdefault-", DATABASE_REPLICATION)
    assert sorted(r.name for r in replications) == [
        "bkpdefault-database-0-replication",
        "bkpdefault-database-1-replication",
    ]
    for index, arn in enumerate(database_arns("bkpdefault")):
        replication = one(f"bkpdefault-database-{index}-replication")
        assert replication.provider_urn == dr_provider("bkpdefault")
        assert replication.inputs == {
            "sourceDbInstanceArn": arn,
            "kmsKeyId": DR_BACKUPS_KEY_ARN,
            "retentionPeriod": DATABASE_RETENTION_DAYS,
        }
        assert replication.property_dependencies["sourceDbInstanceArn"] == [one(f"bkpdefaultsrc-db-{index}").urn]


# -- roles -------------------------------------------------------------------------------------------------------------
def test_the_backup_role_trusts_only_aws_backup(default_backups: dict[str, str]) -> None:
    role = one("bkpdefault-role")
    assert role.inputs["name"] == "webstack-bkpdefault-backup"
    assert role.outputs["arn"] == backup_role_arns(ACCOUNT, "webstack-bkpdefault")[0]
    assert json.loads(role.inputs["assumeRolePolicy"]) == trust("backup.amazonaws.com")
    attachments = registered("bkpdefault-role-", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert sorted(a.inputs["policyArn"] for a in attachments) == MANAGED_POLICIES
    assert {a.inputs["role"] for a in attachments} == {"webstack-bkpdefault-backup"}
    assert registered("bkpdefault-", "aws:iam/rolePolicy:RolePolicy") == [one("bkpdefault-replication-policy")]


def test_the_replication_role_trusts_only_s3(default_backups: dict[str, str]) -> None:
    role = one("bkpdefault-replication-role")
    assert role.inputs["name"] == "webstack-bkpdefault-replication"
    assert role.outputs["arn"] == backup_role_arns(ACCOUNT, "webstack-bkpdefault")[1]
    assert json.loads(role.inputs["assumeRolePolicy"]) == trust("s3.amazonaws.com")
    # The documents bucket, created before these roles, admits both by the ARN it was told in advance.
    (deny,) = [
        s for s in document("bkpdefaultsrc-storage-documents-policy")["Statement"] if s["Sid"].startswith("Only")
    ]
    assert deny["Condition"]["StringNotEquals"]["aws:PrincipalArn"] == sorted(
        [one("bkpdefault-role").outputs["arn"], role.outputs["arn"]]
    )


def test_the_replication_policy_grants_only_what_replication_needs(default_backups: dict[str, str]) -> None:
    policy = one("bkpdefault-replication-policy")
    assert policy.inputs["role"] == one("bkpdefault-replication-role").id
    sources = sorted([one("bkpdefault-exports").outputs["arn"], documents_bucket("bkpdefault").outputs["arn"]])
    replicas = sorted(
        [one("bkpdefault-exports-replica").outputs["arn"], one("bkpdefault-documents-replica").outputs["arn"]]
    )
    statements = document("bkpdefault-replication-policy")["Statement"]
    assert statements == [
        {
            "Sid": "ReadTheSourceConfiguration",
            "Effect": "Allow",
            "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            "Resource": sources,
        },
        {
            "Sid": "ReadTheSourceVersions",
            "Effect": "Allow",
            "Action": [
                "s3:GetObjectVersionForReplication",
                "s3:GetObjectVersionAcl",
                "s3:GetObjectVersionTagging",
                "s3:GetObjectRetention",
                "s3:GetObjectLegalHold",
            ],
            "Resource": [f"{source}/*" for source in sources],
        },
        {
            "Sid": "WriteTheReplicas",
            "Effect": "Allow",
            "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            "Resource": [f"{replica}/*" for replica in replicas],
        },
        {
            "Sid": "DecryptTheSources",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": sorted([BACKUPS_KEY_ARN, DATA_KEY_ARN]),
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{TEST_REGION}.amazonaws.com"}},
        },
        {
            "Sid": "EncryptTheReplicas",
            "Effect": "Allow",
            "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
            "Resource": DR_BACKUPS_KEY_ARN,
            "Condition": {"StringEquals": {"kms:ViaService": f"s3.{DR_REGION}.amazonaws.com"}},
        },
    ]
    for statement in statements:
        assert statement["Effect"] == "Allow"
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert resources != []
        assert all(resource != "*" and "*" not in resource.removesuffix("/*") for resource in resources)


# -- settings ----------------------------------------------------------------------------------------------------------
def test_without_dr_copies_no_rule_copies_to_the_dr_vault() -> None:
    backups("bkpnocopy", copyToDrRegion=False)
    rules = plan_rules("bkpnocopy")
    assert set(rules) == {"daily", "weekly"}
    assert [rule.get("copyActions") for rule in rules.values()] == [None, None]
    assert one("bkpnocopy-plan").property_dependencies["rules"] == [one("bkpnocopy-vault").urn]


def test_without_database_backup_replication_no_automated_backups_are_replicated() -> None:
    backups("bkpnodbrepl", replicateDatabaseBackups=False)
    assert registered("bkpnodbrepl-", DATABASE_REPLICATION) == []
    assert len(database_arns("bkpnodbrepl")) == 2
    assert one("bkpnodbrepl-selection").inputs["resources"][:2] == database_arns("bkpnodbrepl")


def test_without_restore_testing_there_is_no_restore_testing_plan() -> None:
    backups("bkpnorestore", restoreTesting=False)
    assert registered("bkpnorestore-", RESTORE_TESTING_PLAN) == []
    assert registered("bkpnorestore-", RESTORE_TESTING_SELECTION) == []
    assert len(registered("bkpnorestore-", DATABASE_REPLICATION)) == 2


def test_without_continuous_backup_the_daily_rule_keeps_snapshots_for_its_retention() -> None:
    backups("bkpnocont", continuous=False, dailyRetentionDays=40, weeklyRetentionDays=120, exportArchiveAfterDays=60)
    rules = plan_rules("bkpnocont")
    assert rules["daily"]["enableContinuousBackup"] is False
    assert rules["daily"]["lifecycle"] == {"deleteAfter": 40}
    assert rules["daily"]["copyActions"][0]["lifecycle"] == {"deleteAfter": 40}
    assert rules["weekly"]["enableContinuousBackup"] is False
    assert rules["weekly"]["lifecycle"] == {"deleteAfter": 120}
    assert rules["weekly"]["copyActions"][0]["lifecycle"] == {"deleteAfter": 120}
    expected = export_rules(daily=40, weekly=120, archive_after=60)
    for bucket_name in ("bkpnocont-exports", "bkpnocont-exports-replica"):
        rules_by_id = lifecycle(bucket_name)
        assert {key: rules_by_id[key] for key in expected} == expected
    selection = one("bkpnocont-restore-testing").inputs["recoveryPointSelection"]
    assert selection["selectionWindowDays"] == 30


@pytest.mark.parametrize(
    ("name", "lock"),
    [
        ("bkplockgov", {"enabled": True, "minRetentionDays": 7, "maxRetentionDays": 365}),
        ("bkplockcmp", {"enabled": True, "minRetentionDays": 14, "maxRetentionDays": 400, "changeableForDays": 3}),
    ],
)
def test_vault_lock_locks_both_vaults(name: str, lock: dict[str, Any]) -> None:
    backups(name, vaultLock=lock)
    locks = registered(f"{name}-", VAULT_LOCK)
    assert sorted(r.name for r in locks) == [f"{name}-dr-vault-lock", f"{name}-vault-lock"]
    expected = {"minRetentionDays": lock["minRetentionDays"], "maxRetentionDays": lock["maxRetentionDays"]}
    if "changeableForDays" in lock:
        expected["changeableForDays"] = lock["changeableForDays"]
    main, dr = one(f"{name}-vault-lock"), one(f"{name}-dr-vault-lock")
    assert main.inputs == {"backupVaultName": f"webstack-{name}-vault", **expected}
    assert main.property_dependencies["backupVaultName"] == [one(f"{name}-vault").urn]
    assert main.provider == ""
    assert dr.inputs == {"backupVaultName": f"webstack-{name}-dr-vault", **expected}
    assert dr.property_dependencies["backupVaultName"] == [one(f"{name}-dr-vault").urn]
    assert dr.provider_urn == dr_provider(name)


@pytest.mark.parametrize(("name", "mode", "days"), [("bkpolgov", "GOVERNANCE", 45), ("bkpolcmp", "COMPLIANCE", 60)])
def test_object_lock_locks_every_export(name: str, mode: str, days: int) -> None:
    backups(name, objectLock={"mode": mode, "days": days})
    locks = registered(f"{name}-", OBJECT_LOCK)
    # S3 replicates locked objects only into a locked bucket: the DR replica is locked alike.
    assert sorted(lock.name for lock in locks) == [f"{name}-exports-object-lock", f"{name}-exports-replica-object-lock"]
    for bucket in (f"{name}-exports", f"{name}-exports-replica"):
        assert one(bucket).inputs["objectLockEnabled"] is True
        lock = one(f"{bucket}-object-lock")
        assert lock.inputs == {
            "bucket": one(bucket).outputs["bucket"],
            "objectLockEnabled": "Enabled",
            "rule": {"defaultRetention": {"mode": mode, "days": days}},
        }
        assert lock.provider_urn == one(bucket).provider_urn
        assert one(f"{bucket}-versioning").urn in lock.dependencies
    assert "objectLockEnabled" not in one(f"{name}-documents-replica").inputs


def test_without_databases_or_documents_only_the_exports_are_kept_and_replicated() -> None:
    resolved = backups("bkpexportsonly", databases=0, documents=False)
    assert "dr_documents_bucket" not in resolved
    assert resolved["dr_exports_bucket"] == one("bkpexportsonly-exports-replica").urn
    assert registered("bkpexportsonly-", SELECTION) == []
    assert registered("bkpexportsonly-", RESTORE_TESTING_PLAN) == []
    assert registered("bkpexportsonly-", DATABASE_REPLICATION) == []
    assert [r.name for r in registered("bkpexportsonly-", BUCKET_REPLICATION)] == ["bkpexportsonly-exports-replication"]
    assert registered("bkpexportsonly-documents-") == []
    statements = {s["Sid"]: s for s in document("bkpexportsonly-replication-policy")["Statement"]}
    source = one("bkpexportsonly-exports").outputs["arn"]
    assert statements["ReadTheSourceConfiguration"]["Resource"] == [source]
    assert statements["WriteTheReplicas"]["Resource"] == [f"{one('bkpexportsonly-exports-replica').outputs['arn']}/*"]
    assert statements["DecryptTheSources"]["Resource"] == [BACKUPS_KEY_ARN]


# -- protection --------------------------------------------------------------------------------------------------------
def test_protect_keeps_the_vaults_and_the_buckets(default_backups: dict[str, str]) -> None:
    backups("bkpkept", protect=True, vaultLock={"enabled": True})
    assert sorted(r.name for r in registered("bkpkept-") if r.protect) == [
        "bkpkept-documents-replica",
        "bkpkept-dr-vault",
        "bkpkept-exports",
        "bkpkept-exports-replica",
        "bkpkept-vault",
    ]
    assert [r.name for r in registered("bkpdefault-") if r.protect] == []


# -- the Args as a program sees them -----------------------------------------------------------------------------------
#: What the platform wires in; a provider object would stand in for the DR region (nothing is registered here: the
#: Args are only mapped and validated).
WIRING: dict[str, Any] = {
    "account": ACCOUNT,
    "dr_account": DR_ACCOUNT,
    "dr_provider": None,
    "name_prefix": "webstack-args",
    "backups_key_arn": BACKUPS_KEY_ARN,
    "dr_backups_key_arn": DR_BACKUPS_KEY_ARN,
    "alert_topic_arn": ALERT_TOPIC_ARN,
    "access_log_bucket": ACCESS_LOG_BUCKET,
    "dr_access_log_bucket": DR_ACCESS_LOG_BUCKET,
}


def args_of(**fields: Any) -> BackupsArgs:
    return BackupsArgs(**{**WIRING, **fields})


def test_the_args_defaults_are_the_settings_defaults() -> None:
    """A program that sets nothing gets what a stack that sets nothing gets (``webstack:backups`` unset)."""
    mapped = backups_args(
        BackupSettings(),
        **WIRING,
        database_arns=[],
        documents=None,
        file_systems=[],
        database_retention_days=30,
        protect=False,
    )
    defaults = args_of()
    from_settings = [f.name for f in dataclasses.fields(BackupsArgs) if f.name not in WIRING]
    assert {name: getattr(mapped, name) for name in from_settings} == {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in ((name, getattr(defaults, name)) for name in from_settings)
    }


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"daily_retention_days": 36}, "BackupsArgs.daily_retention_days must be at most 35 with continuous backup"),
        ({"weekly_retention_days": 30}, "BackupsArgs.weekly_retention_days must be longer than daily_retention_days"),
        (
            {"export_archive_after_days": 90},
            "BackupsArgs.export_archive_after_days must be 0 or more and less than weekly_retention_days (90), got 90",
        ),
        ({"object_lock_mode": "off"}, "BackupsArgs.object_lock_mode must be GOVERNANCE, COMPLIANCE or None, got 'off'"),
        (
            {"vault_lock": True, "vault_lock_min_retention_days": 31},
            "BackupsArgs.vault_lock_min_retention_days must be at most daily_retention_days (30), got 31",
        ),
        (
            {"vault_lock": True, "vault_lock_max_retention_days": 60},
            "BackupsArgs.vault_lock_max_retention_days must be at least weekly_retention_days (90), got 60",
        ),
        (
            {"vault_lock": True, "vault_lock_changeable_for_days": 2},
            "BackupsArgs.vault_lock_changeable_for_days must be at least 3 (or None), got 2",
        ),
    ],
)
def test_args_aws_backup_or_s3_would_refuse_are_refused_by_field(fields: dict[str, Any], message: str) -> None:
    validate_backups_args(args_of())
    validate_backups_args(args_of(continuous_backup=False, daily_retention_days=36, weekly_retention_days=90))
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_backups_args(args_of(**fields))


def test_the_schema_takes_the_dr_provider_as_a_reference_and_the_documents_as_nested_args() -> None:
    schema = json.loads(ComponentProvider([hosted(Backups)], PACKAGE, version="0.0.0").schema)  # type: ignore[attr-defined]
    inputs = schema["resources"][f"{PACKAGE}:index:Backups"]["inputProperties"]
    assert inputs["drProvider"]["$ref"].endswith("#/resources/pulumi:providers:aws")
    assert inputs["documents"]["$ref"] == f"#/types/{PACKAGE}:index:BackupDocumentsArgs"
    assert inputs["databaseArns"]["items"]["type"] == "string"
    assert inputs["serviceOptIn"]["additionalProperties"]["type"] == "boolean"
    documents = schema["types"][f"{PACKAGE}:index:BackupDocumentsArgs"]
    assert sorted(documents["required"]) == ["bucket", "bucketArn", "keyArn", "versioning"]
    assert documents["properties"]["versioning"]["$ref"].endswith(
        "#/resources/aws:s3%2FbucketVersioning:BucketVersioning"
    )


def test_a_construct_call_through_the_package_puts_the_dr_vault_in_the_dr_region() -> None:
    provider = ComponentProvider([hosted(Backups)], PACKAGE, version="0.0.0")

    def build() -> str:
        dr = aws.Provider("bkphostedsrc-dr", region=DR_REGION)
        inputs = {
            "account": {"id": ACCOUNT_ID, "partition": "aws", "region": TEST_REGION},
            "drAccount": {"id": ACCOUNT_ID, "partition": "aws", "region": DR_REGION},
            "drProvider": dr,
            "namePrefix": "webstack-bkphosted",
            "backupsKeyArn": BACKUPS_KEY_ARN,
            "drBackupsKeyArn": DR_BACKUPS_KEY_ARN,
            "alertTopicArn": ALERT_TOPIC_ARN,
            "accessLogBucket": ACCESS_LOG_BUCKET,
            "drAccessLogBucket": DR_ACCESS_LOG_BUCKET,
            "restoreTesting": False,
        }
        return provider.construct("bkphosted", f"{PACKAGE}:index:Backups", inputs, pulumi.ResourceOptions()).urn  # type: ignore[return-value]

    construct(build)
    (component,) = registered("bkphosted", f"{PACKAGE}:index:Backups")
    dr_vault = one("bkphosted-dr-vault")
    assert dr_vault.parent == component.urn
    assert dr_vault.provider_urn == dr_provider("bkphosted")
    assert dr_vault.outputs["region"] == DR_REGION
    assert one("bkphosted-vault").provider == ""
