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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, cast

import pulumi
import pulumi_aws as aws

from ..naming import ROLE_TAG
from ..settings import BACKED_UP_RESOURCE_TYPES
from .account import Account
from .args_errors import invalid
from .backup_policies import (
    BACKUP_MANAGED_POLICIES,
    FAILED_JOBS,
    VAULT_EVENTS,
    backup_role_arns,
    backup_role_name,
    replication_policy,
    replication_role_name,
    vault_policy,
)
from .buckets import (
    ROLE_BACKUPS,
    ROLE_REPLICA,
    BucketArgs,
    HardenedBucket,
    StatementsFor,
    hardened_bucket,
    only_principals,
)

BACKUPS_TYPE = "webstack:aws:Backups"
DAILY_SCHEDULE = "cron(0 2 * * ? *)"
WEEKLY_SCHEDULE = "cron(0 3 ? * SUN *)"
RESTORE_TEST_SCHEDULE = "cron(0 5 1 * ? *)"
#: The resource types AWS Backup lists in a region's opt-in settings (DescribeRegionSettings), as pulumi-aws's
#: RegionSettings documents them. An account is opted in to every type supported in a region when it first uses AWS
#: Backup there (AWS Backup developer guide, "Assign resources to a backup plan"), so each is on unless settings say
#: otherwise; the map is the region's whole opt-in state, or a refresh would read back types the stack does not set.
BACKUP_RESOURCE_TYPES = ("Aurora", "CloudFormation", "DocumentDB", "DSQL", "DynamoDB", "EBS", "EC2", "EFS", "FSx",
                         "Neptune", "RDS", "Redshift", "Redshift Serverless", "S3", "SAP HANA on Amazon EC2",
                         "Storage Gateway", "VirtualMachine")  # fmt: skip


@dataclass(frozen=True)
class BackupDocumentsArgs:
    """A documents bucket (:class:`~.storage.ObjectStorage`'s) to back up and replicate to the DR region."""

    bucket: pulumi.Input[str]
    """The bucket's name."""
    bucket_arn: pulumi.Input[str]
    """The bucket's ARN: selected by the backup plan."""
    key_arn: pulumi.Input[str]
    """Customer KMS key of the bucket's objects (the replication role decrypts with it, through S3 only)."""
    versioning: aws.s3.BucketVersioning
    """The bucket's versioning (``ObjectStorage.hardened.versioning``): S3 refuses replication from a bucket not
    versioned, so replication waits for it."""
    noncurrent_version_days: int = 30
    """Days the replica keeps an overwritten or deleted version: as long as the bucket itself."""


@dataclass(frozen=True)
class BackupsArgs:
    """Inputs of :class:`Backups`. Every default is the secure (and the guides') choice: 30 days of daily and 90 of
    weekly backups, continuous backup, copies and replication to the DR region, a monthly restore test; locks are
    opt-in, since they cannot be undone."""

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
    database_arns: Sequence[pulumi.Input[str]] = ()
    """ARNs of every database primary (replicas are rebuilt from their primary)."""
    documents: BackupDocumentsArgs | None = None
    """The documents bucket: backed up by the plan and replicated to the DR region. None: no documents."""
    file_systems: Sequence[pulumi.Input[str]] = ()
    """ARNs of the services' persistent file systems (EFS): backed up by the plan too, in a selection of their own."""
    database_retention_days: int = 30
    """How long the replicated automated backups are kept (the primaries' retention)."""
    daily_retention_days: int = 30
    """Days daily backups (02:00 UTC) are kept, here and in the DR region (the guides: 30); also the daily exports'."""
    weekly_retention_days: int = 90
    """Days Sunday backups (and weekly exports) are kept, here and in the DR region; longer than the daily ones."""
    continuous_backup: bool = True
    """Continuous backups for point-in-time restore (RDS, S3) in the daily rule; they keep at most 35 days."""
    copy_to_dr_region: bool = True
    """Copy every recovery point to the DR region's vault."""
    replicate_database_backups: bool = True
    """Replicate each primary's automated backups (point-in-time restore) to the DR region."""
    restore_testing: bool = True
    """Restore the latest database recovery point monthly, to prove backups restore."""
    vault_lock: bool = False
    """Lock both vaults (WORM): no recovery point outside the retention bounds below."""
    vault_lock_min_retention_days: int = 7
    """Shortest retention a locked vault accepts; at most ``daily_retention_days``."""
    vault_lock_max_retention_days: int = 365
    """Longest retention a locked vault accepts; at least ``weekly_retention_days``."""
    vault_lock_changeable_for_days: int | None = None
    """Days the lock can still be removed (at least 3); after that nobody, root included, can. None: governance
    mode, removable by anyone with the permission."""
    export_archive_after_days: int = 0
    """Days before weekly exports move to Glacier Instant Retrieval (0: at once; it bills at least 90 days); less
    than ``weekly_retention_days``."""
    object_lock_mode: str | None = None
    """Object lock of the exports and their replica: ``GOVERNANCE`` (removable with a permission) or ``COMPLIANCE``
    (nobody can delete a locked version before its time). None: no lock. Only at bucket creation."""
    object_lock_days: int = 30
    """Days each export is locked."""
    manage_region_settings: bool = True
    """Manage AWS Backup's service opt-in of the region (account-wide: every stack of the account and region shares
    it). False: leave it to whoever manages it, who must opt in S3 and RDS."""
    service_opt_in: Mapping[str, bool] = field(default_factory=dict)
    """Opt-in per AWS Backup resource type, over the map of every type AWS Backup lists, on; S3 and RDS stay on."""
    protect: bool = False
    """Protect the vaults and export buckets from deletion by Pulumi (on in production)."""


#: Object lock modes S3 knows (S3 user guide, "Object Lock": retention modes).
OBJECT_LOCK_MODES = ("GOVERNANCE", "COMPLIANCE")


def validate_backups_args(args: BackupsArgs) -> None:
    """What AWS Backup or S3 would refuse, or what would make the plan unsafe; errors name the Args field (a stack's
    settings are validated, naming their keys, in ``components/settings/storage.py``)."""
    daily, weekly = args.daily_retention_days, args.weekly_retention_days
    if daily < 1:
        raise invalid(args, "daily_retention_days", "be at least 1", daily)
    if args.continuous_backup and daily > 35:
        raise invalid(args, "daily_retention_days", "be at most 35 with continuous backup", daily)
    if weekly <= daily:
        raise invalid(args, "weekly_retention_days", f"be longer than daily_retention_days ({daily})", weekly)
    if not 0 <= args.export_archive_after_days < weekly:
        raise invalid(
            args, "export_archive_after_days", f"be 0 or more and less than weekly_retention_days ({weekly})",
            args.export_archive_after_days,
        )  # fmt: skip
    if args.object_lock_mode is not None and args.object_lock_mode not in OBJECT_LOCK_MODES:
        raise invalid(args, "object_lock_mode", "be GOVERNANCE, COMPLIANCE or None", args.object_lock_mode)
    if args.vault_lock:
        if args.vault_lock_min_retention_days > daily:
            raise invalid(
                args, "vault_lock_min_retention_days", f"be at most daily_retention_days ({daily})",
                args.vault_lock_min_retention_days,
            )  # fmt: skip
        if args.vault_lock_max_retention_days < weekly:
            raise invalid(
                args, "vault_lock_max_retention_days", f"be at least weekly_retention_days ({weekly})",
                args.vault_lock_max_retention_days,
            )  # fmt: skip
        changeable = args.vault_lock_changeable_for_days
        if changeable is not None and changeable < 3:
            raise invalid(args, "vault_lock_changeable_for_days", "be at least 3 (or None)", changeable)


class _Replicated(NamedTuple):
    """A bucket replicated to the DR region, and its replica."""

    bucket: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    key_arn: pulumi.Input[str]
    replica: HardenedBucket
    versioned: Sequence[pulumi.Resource]
    """What turns the source's versioning on (S3 refuses replication until both buckets are versioned)."""


class Backups(pulumi.ComponentResource):
    """Vaults, plan, selections, restore tests, the exports bucket and cross-region copies."""

    vault: aws.backup.Vault
    """The vault of the main region, under ``backups_key_arn``."""
    dr_vault: aws.backup.Vault
    """The vault of the DR region, under ``dr_backups_key_arn``: every recovery point is copied there."""
    plan: aws.backup.Plan
    """The daily and weekly rules."""
    role: aws.iam.Role
    """The role AWS Backup backs up and restores as."""
    exports_bucket: aws.s3.Bucket
    """Where logical dumps go (``daily/``, ``weekly/``)."""
    dr_exports_bucket: aws.s3.Bucket
    """The exports' replica in the DR region."""
    dr_documents_bucket: aws.s3.Bucket | None
    """The documents' replica in the DR region (None without documents)."""

    def __init__(self, name: str, args: BackupsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_backups_args(args)
        super().__init__(BACKUPS_TYPE, name, None, opts)
        self._name, self._args = name, args
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
        if args.vault_lock:
            for label, vault, options in vaults:
                aws.backup.VaultLockConfiguration(
                    f"{name}-{label}-lock",
                    backup_vault_name=vault.name,
                    min_retention_days=args.vault_lock_min_retention_days,
                    max_retention_days=args.vault_lock_max_retention_days,
                    changeable_for_days=args.vault_lock_changeable_for_days,
                    opts=options,
                )

        self.role = self._role()
        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-plan",
            rules=[
                self._rule("daily", DAILY_SCHEDULE, args.daily_retention_days, args.continuous_backup),
                self._rule("weekly", WEEKLY_SCHEDULE, args.weekly_retention_days, False),
            ],
            opts=child,
        )
        opted_in = self._opt_in() if args.manage_region_settings else []
        documents = args.documents
        resources = [*args.database_arns, *([documents.bucket_arn] if documents is not None else [])]
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
        if args.restore_testing and args.database_arns:
            self._restore_tests()
        exports = self._exports()
        exports_replica = self._replica(
            "exports",
            self._export_lifecycle(),
            object_lock_mode=self._object_lock_mode(),
            object_lock_days=args.object_lock_days,
        )
        pairs = [
            _Replicated(
                exports.bucket.id, exports.bucket.arn, args.backups_key_arn, exports_replica, [exports.versioning]
            )
        ]
        if documents is not None:
            documents_replica = self._replica(
                "documents",
                (),
                noncurrent_days=documents.noncurrent_version_days,
                statements=only_principals(
                    "OnlyBackupsAndReplicationTouchDocuments", backup_role_arns(args.account, args.name_prefix)
                ),
            )
            pairs.append(
                _Replicated(
                    documents.bucket, documents.bucket_arn, documents.key_arn, documents_replica, [documents.versioning]
                )
            )
        role = self._replication_role(pairs)
        for label, pair in zip(("exports", "documents"), pairs, strict=False):
            self._replicate(label, pair, role)
        self.exports_bucket, self.dr_exports_bucket = exports.bucket, pairs[0].replica.bucket
        self.dr_documents_bucket = pairs[1].replica.bucket if len(pairs) > 1 else None
        if args.replicate_database_backups:
            for index, database_arn in enumerate(args.database_arns):
                aws.rds.InstanceAutomatedBackupsReplication(
                    f"{name}-database-{index}-replication",
                    source_db_instance_arn=database_arn,
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
            if self._args.copy_to_dr_region
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
        preference.update(self._args.service_opt_in)
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
                selection_window_days=min(30, args.daily_retention_days),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.backup.RestoreTestingSelection(
            f"{self._name}-restore-testing-databases",
            name=f"{plan_name}_databases",
            restore_testing_plan_name=plan.name,
            protected_resource_type="RDS",
            iam_role_arn=self.role.arn,
            protected_resource_arns=list(args.database_arns),
            validation_window_hours=24,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _object_lock_mode(self) -> Literal["GOVERNANCE", "COMPLIANCE"] | None:
        # validate_backups_args admits only these
        return cast(Literal["GOVERNANCE", "COMPLIANCE"] | None, self._args.object_lock_mode)

    def _exports(self) -> HardenedBucket:
        args = self._args
        return hardened_bucket(
            f"{self._name}-exports",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="backups",
                kms_key_arn=args.backups_key_arn,
                access_log_bucket=args.access_log_bucket,
                lifecycle_rules=self._export_lifecycle(),
                object_lock_mode=self._object_lock_mode(),
                object_lock_days=args.object_lock_days,
                tags={ROLE_TAG: ROLE_BACKUPS},
                protect=args.protect,
            ),
            parent=self,
        )

    def _export_lifecycle(self) -> list[aws.s3.BucketLifecycleConfigurationRuleArgs]:
        args = self._args
        prefixed = aws.s3.BucketLifecycleConfigurationRuleFilterArgs
        return [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="daily-exports",
                status="Enabled",
                filter=prefixed(prefix="daily/"),
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.daily_retention_days),
            ),
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="weekly-exports",
                status="Enabled",
                filter=prefixed(prefix="weekly/"),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=args.export_archive_after_days, storage_class="GLACIER_IR"
                    )
                ],
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.weekly_retention_days),
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

    def _replicate(self, label: str, pair: _Replicated, role: aws.iam.Role) -> None:
        aws.s3.BucketReplicationConfig(
            f"{self._name}-{label}-replication",
            bucket=pair.bucket,
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
                        bucket=pair.replica.bucket.arn,
                        storage_class="STANDARD_IA",
                        encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                            replica_kms_key_id=self._args.dr_backups_key_arn
                        ),
                    ),
                )
            ],
            # S3 refuses replication until both buckets are versioned.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*pair.versioned, pair.replica.versioning]),
        )

    def _replication_role(self, pairs: Sequence[_Replicated]) -> aws.iam.Role:
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
            *(pulumi.Output.all(pair.bucket_arn, pair.key_arn, pair.replica.bucket.arn) for pair in pairs),
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
