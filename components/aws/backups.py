"""Backups and disaster recovery on aws.

Creates:

- a backup vault under the customer ``backups`` key, and a second one in the disaster-recovery region under that
  region's own key; neither lets anyone delete a recovery point or shorten its life (only the plan's lifecycle
  expires them);
- failed, aborted and expired backup, copy and restore jobs, and failed S3 objects, reported to the critical alert
  topic (an EventBridge rule on AWS Backup's job events, and the vault's own notifications);
- the IAM role AWS Backup works as (backups and restores of RDS and S3), with a fixed name so that the documents
  bucket can admit it before it exists;
- a plan with a daily rule at 02:00 UTC kept 30 days (with continuous backup for point-in-time restore) and a
  weekly rule on Sundays kept 90 days, both copied into the DR vault; an optional vault lock;
- the region's AWS Backup service opt-in (account-wide), with S3 and RDS on, before anything is selected;
- a selection, by ARN, of every database primary of every shard and the documents bucket;
- a monthly restore test of the latest database recovery point (the guides' ``test_restore_monthly``);
- the exports bucket for logical dumps (``daily/`` kept 30 days, ``weekly/`` 90 in Glacier Instant Retrieval,
  optional object lock) replicated to a bucket in the DR region under that region's key, locked alike; the documents
  replicated likewise, their replica as restricted as the documents bucket itself;
- replication of each primary's automated backups (point-in-time restore) to the DR region.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from ..naming import ROLE_TAG
from ..settings import BACKED_UP_RESOURCE_TYPES, BackupSettings
from .account import Account
from .buckets import (
    ROLE_BACKUPS,
    ROLE_REPLICA,
    BucketArgs,
    HardenedBucket,
    StatementsFor,
    hardened_bucket,
    only_principals,
)
from .storage import ObjectStorage

BACKUPS_TYPE = "webstack:aws:Backups"
DAILY_SCHEDULE = "cron(0 2 * * ? *)"
WEEKLY_SCHEDULE = "cron(0 3 ? * SUN *)"
RESTORE_TEST_SCHEDULE = "cron(0 5 1 * ? *)"
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
#: The resource types AWS Backup lists in a region's opt-in settings (DescribeRegionSettings), as pulumi-aws's
#: RegionSettings documents them. An account is opted in to every type supported in a region when it first uses AWS
#: Backup there (AWS Backup developer guide, "Assign resources to a backup plan"), so each is on unless settings say
#: otherwise; the map is the region's whole opt-in state, or a refresh would read back types the stack does not set.
BACKUP_RESOURCE_TYPES = ("Aurora", "CloudFormation", "DocumentDB", "DSQL", "DynamoDB", "EBS", "EC2", "EFS", "FSx",
                         "Neptune", "RDS", "Redshift", "Redshift Serverless", "S3", "SAP HANA on Amazon EC2",
                         "Storage Gateway", "VirtualMachine")  # fmt: skip
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


@dataclass(frozen=True)
class BackupsArgs:
    """Inputs of :class:`Backups`."""

    account: Account
    """The main account and region."""
    dr_account: Account
    """The disaster-recovery region."""
    dr_provider: aws.Provider
    """The provider of the disaster-recovery region."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    backups_key_arn: pulumi.Input[str]
    """Customer KMS key of the vault and the exports (main region)."""
    dr_backups_key_arn: pulumi.Input[str]
    """Customer KMS key of the DR vault, the replicated exports and the replicated database backups."""
    alert_topic_arn: pulumi.Input[str]
    """Where the vault reports jobs (the critical alert topic)."""
    access_log_bucket: pulumi.Input[str]
    """The main region's log archive."""
    dr_access_log_bucket: pulumi.Input[str]
    """The DR region's log archive."""
    databases: Sequence[aws.rds.Instance] = ()
    """Every database primary (replicas are rebuilt from their primary)."""
    documents: ObjectStorage | None = None
    """The documents bucket: backed up by the plan and replicated to the DR region."""
    file_systems: Sequence[pulumi.Input[str]] = ()
    """ARNs of the services' persistent file systems (EFS): backed up by the plan too, in a selection of their own."""
    database_retention_days: int = 30
    """How long the replicated automated backups are kept (the primaries' retention)."""
    settings: BackupSettings = field(default_factory=BackupSettings)
    """Retention, continuous backup, copies, restore tests, locks. Defaults: the guides' 30 days daily and 90
    weekly, copied to the DR region, a monthly restore test, no locks."""
    protect: bool = False
    """Protect the vaults and export buckets from deletion by Pulumi (on in production)."""


class Backups(pulumi.ComponentResource):
    """Vaults, plan, selections, restore tests, the exports bucket and cross-region copies."""

    vault: aws.backup.Vault
    dr_vault: aws.backup.Vault
    plan: aws.backup.Plan
    role: aws.iam.Role
    exports_bucket: aws.s3.Bucket
    dr_exports_bucket: aws.s3.Bucket
    dr_documents_bucket: aws.s3.Bucket | None

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(BACKUPS_TYPE, name, None, opts)
        self._name, self._args = name, args
        settings = args.settings
        child = pulumi.ResourceOptions(parent=self)
        in_dr = pulumi.ResourceOptions(parent=self, provider=args.dr_provider)
        keep = pulumi.ResourceOptions(parent=self, protect=args.protect)

        self.vault = aws.backup.Vault(
            f"{name}-vault", name=f"{args.name_prefix}-vault", kms_key_arn=args.backups_key_arn, opts=keep
        )
        self.dr_vault = aws.backup.Vault(
            f"{name}-dr-vault",
            name=f"{args.name_prefix}-dr-vault",
            kms_key_arn=args.dr_backups_key_arn,
            opts=pulumi.ResourceOptions.merge(keep, in_dr),
        )
        vaults = (("vault", self.vault, child), ("dr-vault", self.dr_vault, in_dr))
        for label, vault, options in vaults:
            aws.backup.VaultPolicy(
                f"{name}-{label}-policy",
                backup_vault_name=vault.name,
                policy=json.dumps(vault_policy(), sort_keys=True),
                opts=options,
            )
        self._alerts()
        if settings.vault_lock.enabled:
            for label, vault, options in vaults:
                aws.backup.VaultLockConfiguration(
                    f"{name}-{label}-lock",
                    backup_vault_name=vault.name,
                    min_retention_days=settings.vault_lock.min_retention_days,
                    max_retention_days=settings.vault_lock.max_retention_days,
                    changeable_for_days=settings.vault_lock.changeable_for_days,
                    opts=options,
                )

        self.role = self._role()
        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-plan",
            rules=[
                self._rule("daily", DAILY_SCHEDULE, settings.daily_retention_days, settings.continuous),
                self._rule("weekly", WEEKLY_SCHEDULE, settings.weekly_retention_days, False),
            ],
            opts=child,
        )
        opted_in = self._opt_in() if settings.manage_region_settings else []
        resources = [db.arn for db in args.databases]
        if args.documents is not None:
            resources.append(args.documents.bucket.arn)
        if resources:
            aws.backup.Selection(
                f"{name}-selection",
                name=f"{args.name_prefix}-data",
                plan_id=self.plan.id,
                iam_role_arn=self.role.arn,
                resources=resources,
                opts=pulumi.ResourceOptions(parent=self, depends_on=opted_in),
            )
        if args.file_systems:
            aws.backup.Selection(
                f"{name}-files-selection",
                name=f"{args.name_prefix}-files",
                plan_id=self.plan.id,
                iam_role_arn=self.role.arn,
                resources=list(args.file_systems),
                opts=child,
            )
        if settings.restore_testing and args.databases:
            self._restore_tests()
        exports = self._exports()
        lock = settings.object_lock
        exports_replica = self._replica(
            "exports",
            self._export_lifecycle(),
            object_lock_mode=None if lock.mode == "off" else lock.mode,
            object_lock_days=lock.days,
        )
        pairs = [(exports, args.backups_key_arn, exports_replica)]
        if args.documents is not None:
            documents_replica = self._replica(
                "documents",
                (),
                noncurrent_days=args.documents.noncurrent_version_days,
                statements=only_principals(
                    "OnlyBackupsAndReplicationTouchDocuments", backup_role_arns(args.account, args.name_prefix)
                ),
            )
            pairs.append((args.documents.hardened, args.documents.key_arn, documents_replica))
        role = self._replication_role(pairs)
        for label, (source, _, replica) in zip(("exports", "documents"), pairs, strict=False):
            self._replicate(label, source, replica, role)
        self.exports_bucket, self.dr_exports_bucket = exports.bucket, pairs[0][2].bucket
        self.dr_documents_bucket = pairs[1][2].bucket if len(pairs) > 1 else None
        if settings.replicate_database_backups:
            for index, database in enumerate(args.databases):
                aws.rds.InstanceAutomatedBackupsReplication(
                    f"{name}-database-{index}-replication",
                    source_db_instance_arn=database.arn,
                    kms_key_id=args.dr_backups_key_arn,
                    retention_period=args.database_retention_days,
                    opts=in_dr,
                )
        self.register_outputs(
            {
                "vaultArn": self.vault.arn,
                "drVaultArn": self.dr_vault.arn,
                "planId": self.plan.id,
                "exportsBucket": self.exports_bucket.id,
                "drExportsBucket": self.dr_exports_bucket.id,
                "drDocumentsBucket": self.dr_documents_bucket.id if self.dr_documents_bucket else None,
            }
        )

    def _rule(self, rule: str, schedule: str, days: int, continuous: bool) -> aws.backup.PlanRuleArgs:
        copies = (
            [
                aws.backup.PlanRuleCopyActionArgs(
                    destination_vault_arn=self.dr_vault.arn,
                    lifecycle=aws.backup.PlanRuleCopyActionLifecycleArgs(delete_after=days),
                )
            ]
            if self._args.settings.copy_to_dr_region
            else None
        )
        return aws.backup.PlanRuleArgs(
            rule_name=rule,
            target_vault_name=self.vault.name,
            schedule=schedule,
            schedule_expression_timezone="Etc/UTC",
            start_window=60,
            completion_window=360,
            enable_continuous_backup=continuous,
            lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=days),
            copy_actions=copies,
            recovery_point_tags={"webstack:backup-rule": rule},
        )

    def _opt_in(self) -> list[pulumi.Resource]:
        """AWS Backup protects a resource type in a region only once the account opts in to it there, and S3 is one
        to opt in to (AWS Backup developer guide, "Service opt-in"): the region's opt-in, S3 and RDS on. The settings
        are the account's, for the region: removing them from the stack leaves them as they are."""
        preference: dict[str, bool] = dict.fromkeys(BACKUP_RESOURCE_TYPES, True)
        preference.update(self._args.settings.service_opt_in)
        preference.update(dict.fromkeys(BACKED_UP_RESOURCE_TYPES, True))
        return [
            aws.backup.RegionSettings(
                f"{self._name}-region-settings",
                resource_type_opt_in_preference=dict(sorted(preference.items())),
                opts=pulumi.ResourceOptions(parent=self),
            )
        ]

    def _alerts(self) -> None:
        name, args = self._name, self._args
        aws.backup.VaultNotifications(
            f"{name}-vault-notifications",
            backup_vault_name=self.vault.name,
            sns_topic_arn=args.alert_topic_arn,
            backup_vault_events=VAULT_EVENTS,
            opts=pulumi.ResourceOptions(parent=self),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-failed-jobs",
            name=f"{args.name_prefix}-backup-failed-jobs",
            description=f"{args.name_prefix}: backup, copy and restore jobs that failed, were aborted or expired",
            event_pattern=json.dumps(FAILED_JOBS, sort_keys=True),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-failed-jobs-alert",
            rule=rule.name,
            arn=args.alert_topic_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role(self) -> aws.iam.Role:
        args, account = self._args, self._args.account
        role = aws.iam.Role(
            f"{self._name}-role",
            name=backup_role_name(args.name_prefix),
            description=f"{args.name_prefix}: AWS Backup backs up and restores the databases and documents",
            assume_role_policy=account.trust_policy("backup"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for policy in BACKUP_MANAGED_POLICIES:
            aws.iam.RolePolicyAttachment(
                f"{self._name}-role-{policy.rsplit('/', 1)[-1]}",
                role=role.name,
                policy_arn=f"arn:{account.partition}:iam::aws:policy/{policy}",
                opts=pulumi.ResourceOptions(parent=self),
            )
        return role

    def _restore_tests(self) -> None:
        args = self._args
        plan_name = f"{args.name_prefix.replace('-', '_')}_restore_tests"
        plan = aws.backup.RestoreTestingPlan(
            f"{self._name}-restore-testing",
            name=plan_name,
            schedule_expression=RESTORE_TEST_SCHEDULE,
            schedule_expression_timezone="Etc/UTC",
            start_window_hours=24,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm="LATEST_WITHIN_WINDOW",
                include_vaults=[self.vault.arn],
                recovery_point_types=["SNAPSHOT", "CONTINUOUS"],
                selection_window_days=min(30, args.settings.daily_retention_days),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.backup.RestoreTestingSelection(
            f"{self._name}-restore-testing-databases",
            name=f"{plan_name}_databases",
            restore_testing_plan_name=plan.name,
            protected_resource_type="RDS",
            iam_role_arn=self.role.arn,
            protected_resource_arns=[db.arn for db in args.databases],
            validation_window_hours=24,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _exports(self) -> HardenedBucket:
        args, settings = self._args, self._args.settings
        lock = settings.object_lock
        return hardened_bucket(
            f"{self._name}-exports",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="backups",
                kms_key_arn=args.backups_key_arn,
                access_log_bucket=args.access_log_bucket,
                lifecycle_rules=self._export_lifecycle(),
                object_lock_mode=None if lock.mode == "off" else lock.mode,
                object_lock_days=lock.days,
                tags={ROLE_TAG: ROLE_BACKUPS},
                protect=args.protect,
            ),
            parent=self,
        )

    def _export_lifecycle(self) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
        settings = self._args.settings
        prefixed = aws.s3.BucketLifecycleConfigurationRuleFilterArgs
        return [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="daily-exports",
                status="Enabled",
                filter=prefixed(prefix="daily/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=settings.daily_retention_days),
            ),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="weekly-exports",
                status="Enabled",
                filter=prefixed(prefix="weekly/"),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=settings.export_archive_after_days, storage_class="GLACIER_IR"
                    )
                ],
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=settings.weekly_retention_days),
            ),
        ]

    def _replica(
        self,
        label: str,
        lifecycle: Sequence[aws.s3.BucketLifecycleConfigurationRuleArgs],
        *,
        noncurrent_days: int = 30,
        statements: StatementsFor | None = None,
        object_lock_mode: Literal["GOVERNANCE", "COMPLIANCE"] | None = None,
        object_lock_days: int = 30,
    ) -> HardenedBucket:
        """The DR copy of a bucket: keeps what its source keeps, locked as its source is (S3 replicates locked
        objects only into a bucket with object lock)."""
        args = self._args
        return hardened_bucket(
            f"{self._name}-{label}-replica",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose=f"{label}-dr",
                kms_key_arn=args.dr_backups_key_arn,
                access_log_bucket=args.dr_access_log_bucket,
                lifecycle_rules=lifecycle,
                noncurrent_days=noncurrent_days,
                statements=statements,
                object_lock_mode=object_lock_mode,
                object_lock_days=object_lock_days,
                tags={ROLE_TAG: ROLE_REPLICA},
                protect=args.protect,
            ),
            parent=self,
            provider=args.dr_provider,
        )

    def _replicate(self, label: str, source: HardenedBucket, replica: HardenedBucket, role: aws.iam.Role) -> None:
        aws.s3.BucketReplicationConfig(
            f"{self._name}-{label}-replication",
            bucket=source.bucket.id,
            role=role.arn,
            rules=[
                aws.s3.BucketReplicationConfigRuleArgs(
                    id="to-dr-region",
                    status="Enabled",
                    priority=1,
                    filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                    delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                        status="Enabled"
                    ),
                    source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                        sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                            status="Enabled"
                        )
                    ),
                    destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                        bucket=replica.bucket.arn,
                        storage_class="STANDARD_IA",
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=self._args.dr_backups_key_arn
                        ),
                    ),
                )
            ],
            # S3 refuses replication until both buckets are versioned.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[source.versioning, replica.versioning]),
        )

    def _replication_role(
        self, pairs: Sequence[tuple[HardenedBucket, pulumi.Input[str], HardenedBucket]]
    ) -> aws.iam.Role:
        """The role S3 replicates as: read each source, write its replica, use each key through S3 only."""
        args, account = self._args, self._args.account
        role = aws.iam.Role(
            f"{self._name}-replication-role",
            name=replication_role_name(args.name_prefix),
            description=f"{args.name_prefix}: S3 replicates the exports and documents to the DR region",
            assume_role_policy=account.trust_policy("s3"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        documents = pulumi.Output.all(
            *(pulumi.Output.all(source.bucket.arn, key, replica.bucket.arn) for source, key, replica in pairs),
            args.dr_backups_key_arn,
        )
        aws.iam.RolePolicy(
            f"{self._name}-replication-policy",
            role=role.id,
            policy=documents.apply(
                lambda values: json.dumps(
                    replication_policy(
                        [tuple(pair) for pair in values[:-1]], values[-1], args.account, args.dr_account
                    ),
                    sort_keys=True,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role


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
