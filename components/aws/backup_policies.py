"""The documents of :class:`~.backups.Backups`: the vaults' policy (no recovery point deleted or shortened), the S3
replication role's policy, the failures reported (vault events, the EventBridge pattern of failed jobs), and the
roles AWS Backup and S3 replication work as (their names are known before they exist, so that the documents bucket
can admit them)."""

from collections.abc import Sequence
from typing import Any

from .account import Account

#: The vault's own failure events (its notifications send completions of every outcome for backup and restore
#: jobs, so those come from :data:`FAILED_JOBS` instead, which matches failures only).
VAULT_EVENTS = ["COPY_JOB_FAILED", "S3_BACKUP_OBJECT_FAILED", "S3_RESTORE_OBJECT_FAILED"]
#: AWS Backup's EventBridge events for jobs that did not finish: backup and copy jobs report ``state``, restore jobs
#: ``status``.
FAILED_JOBS = {
    "source": ["aws.backup"],
    "detail-type": ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"],
    "$or": [
        {"detail": {"state": ["FAILED", "ABORTED", "EXPIRED"]}},
        {"detail": {"status": ["FAILED", "ABORTED"]}},
    ],
}
#: What nobody may do to a recovery point: the plan's lifecycle alone ends it.
PROTECTED_RECOVERY_POINT_ACTIONS = ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"]

#: The AWS managed policies of the role AWS Backup works as: back up and restore RDS and S3.
BACKUP_MANAGED_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


def backup_role_name(name_prefix: str) -> str:
    return f"{name_prefix}-backup"


def replication_role_name(name_prefix: str) -> str:
    return f"{name_prefix}-replication"


def backup_role_arns(account: Account, name_prefix: str) -> list[str]:
    """The roles AWS Backup and S3 replication work as, known before they exist (the documents bucket admits
    them)."""
    return [
        f"arn:{account.partition}:iam::{account.id}:role/{name}"
        for name in (backup_role_name(name_prefix), replication_role_name(name_prefix))
    ]


def vault_policy() -> dict[str, Any]:
    """Nobody deletes a recovery point or changes its lifecycle; the plan's lifecycle alone expires it. An
    administrator can still replace this policy (unless a vault lock is in force)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RecoveryPointsLiveTheirLifecycle",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": PROTECTED_RECOVERY_POINT_ACTIONS,
                "Resource": "*",
            }
        ],
    }


def replication_policy(
    pairs: Sequence[tuple[str, str, str]], replica_key: str, account: Account, dr_account: Account
) -> dict[str, Any]:
    """Read the sources' versions, write the replicas, and use each key through S3 in its own region only;
    ``pairs`` holds (source bucket ARN, source key ARN, replica bucket ARN)."""
    sources = sorted(source for source, _, _ in pairs)
    return {
        "Version": "2012-10-17",
        "Statement": [
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
                "Resource": sorted(f"{replica}/*" for _, _, replica in pairs),
            },
            {
                "Sid": "DecryptTheSources",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": sorted({key for _, key, _ in pairs}),
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{account.region}.{account.dns_suffix}"}},
            },
            {
                "Sid": "EncryptTheReplicas",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": replica_key,
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{dr_account.region}.{dr_account.dns_suffix}"}},
            },
        ],
    }
