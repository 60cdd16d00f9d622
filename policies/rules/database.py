"""RDS rules: the database is encrypted, private, backed up, replicated, logged, and reached only over TLS.

A read replica is an instance with ``replicateSourceDb`` set. It inherits encryption, backups, the master user and
its password from its source, so the rules about those mark replicas not applicable. Stack rules join instances,
replicas and parameter groups only through property dependencies (URNs), never through identifiers, ARNs or names,
which are unknown during a preview.

Values unknown during a preview: a KMS key, a replica's source or a parameter group's name is another resource's
output, never empty, so an unknown one counts as set (:func:`._props.prop_is_set`). Every other setting the
rules read (booleans, numbers, the engine, the user name, parameter values) is written by the program; if one is
unknown, the analyzer's proxy raises and pulumi_policy reports that the rule cannot run during the preview. The
rule is then decided on ``pulumi up``, when the inputs are known. It never passes silently. Messages never echo a
password.
"""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import is_read_replica, names_replication_source, schema, setting
from ._props import as_number, customer_key_problem, is_list, is_true, plural, prop, prop_is_set

INSTANCE = "aws:rds/instance:Instance"

#: The most days RDS keeps automated backups.
MAX_BACKUP_RETENTION_DAYS = 35


def _primary(args: ResourceValidationArgs, replica_reason: str) -> bool:
    """Whether the resource is a primary instance. Read replicas are marked not applicable, for ``replica_reason``
    (what they take from their source)."""
    if args.resource_type != INSTANCE:
        return False
    if names_replication_source(args.props):
        args.not_applicable(replica_reason)
        return False
    return True


def _key_message(problem: str, setting_name: str, what: str) -> str:
    return (
        f"{setting_name} {problem}, so {what} is encrypted under an AWS-managed key whose policy you do not control: "
        f"set {setting_name} to a customer-managed KMS key's ARN (webstack's Keys component provides one)."
    )


# -- encryption at rest ------------------------------------------------------------------------------------------------
def _storage_encrypted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _primary(args, "read replicas inherit storage encryption from their source instance"):
        return
    if not is_true(args.props.get("storageEncrypted")):
        report(
            "Storage is not encrypted at rest: set storage_encrypted=True and kms_key_id to a customer-managed KMS "
            "key's ARN (an existing instance is encrypted by restoring an encrypted copy of its snapshot).",
            None,
        )
        return
    problem = customer_key_problem(prop(args.props, "kmsKeyId"))
    if problem:
        report(_key_message(problem, "kms_key_id", "the storage"), None)


rds_storage_encrypted = ResourceValidationPolicy(
    name="aws-rds-storage-encrypted",
    description="Checks that every RDS primary instance encrypts its storage under a customer-managed KMS key (read "
    "replicas inherit it).",
    validate=_storage_encrypted,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["rds", "encryption", "checklist:encryption-at-rest", "fsbp:RDS.3", "awsguard:rds-storage-encrypted"],
    remediation_steps="Set storage_encrypted=True and kms_key_id=<customer-managed key>.arn on the aws.rds.Instance "
    "(webstack's Database component uses the data key). Read replicas inherit the encryption of their source.",
)


# -- not public --------------------------------------------------------------------------------------------------------
def _not_public(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == INSTANCE and is_true(args.props.get("publiclyAccessible")):
        report(
            "The instance is publicly accessible, so its endpoint resolves to a public address: set "
            "publicly_accessible=False and keep it in the data (isolated) subnets, reachable only from the app's "
            "security group.",
            None,
        )


rds_not_publicly_accessible = ResourceValidationPolicy(
    name="aws-rds-not-publicly-accessible",
    description="Checks that no RDS instance, read replicas included, is publicly accessible.",
    validate=_not_public,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=["rds", "network", "checklist:db-not-public", "fsbp:RDS.2", "awsguard:rds-instance-public-access"],
    remediation_steps="Set publicly_accessible=False on every aws.rds.Instance, use a subnet group of private "
    "subnets, and let only the app tier's security group reach the database port.",
)


# -- backups -----------------------------------------------------------------------------------------------------------
_BACKUP_SCHEMA = schema(
    {
        "minBackupRetentionDays": {
            "type": "integer",
            "default": 30,
            "minimum": 1,
            "maximum": MAX_BACKUP_RETENTION_DAYS,
            "description": "Fewest days a primary keeps automated backups (RDS allows at most 35; a larger value "
            "counts as 35).",
        }
    }
)


def _backup_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _primary(args, "read replicas are covered by their source instance's backups"):
        return
    minimum = max(1, min(int(setting(args, _BACKUP_SCHEMA, "minBackupRetentionDays")), MAX_BACKUP_RETENTION_DAYS))
    fix = f"set backup_retention_period to {minimum} or more (at most {MAX_BACKUP_RETENTION_DAYS})"
    days = as_number(args.props.get("backupRetentionPeriod"))
    if days is None:
        report(f"backup_retention_period is not set, so RDS keeps automated backups 1 day: {fix}.", None)
    elif days <= 0:
        report(
            f"Automated backups are off (backup_retention_period is 0), so there is no point-in-time recovery: {fix}.",
            None,
        )
    elif days < minimum:
        report(f"Automated backups are kept {days:g} days: {fix}.", None)
    if not prop_is_set(args.props, "backupWindow"):
        report(
            "backup_window is not set, so RDS picks a 30-minute window of its own: set backup_window (e.g. "
            '"02:00-03:00", UTC) to a quiet hour that does not overlap maintenance_window.',
            None,
        )


rds_backup_retention = ResourceValidationPolicy(
    name="aws-rds-backup-retention",
    description="Checks that every RDS primary instance keeps automated backups at least `minBackupRetentionDays` "
    "(30) days, in an explicit backup window.",
    validate=_backup_retention,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_BACKUP_SCHEMA,
    severity=Severity.MEDIUM,
    tags=[
        "rds",
        "backup",
        "checklist:backups",
        "fsbp:RDS.11",
        "checklist:rto-rpo",
        "awsguard:rds-instance-backup-enabled",
    ],
    remediation_steps="Set backup_retention_period (30 or more, at most 35) and backup_window (e.g. "
    '"02:00-03:00") on the aws.rds.Instance (webstack:database.backupRetentionDays and backupWindow).',
)


# -- Multi-AZ ----------------------------------------------------------------------------------------------------------
def _multi_az(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _primary(args, "read replicas are themselves copies in other zones; Multi-AZ is required of primaries"):
        return
    if not is_true(args.props.get("multiAz")):
        report(
            "Multi-AZ is off, so a zone or host failure stops the database until it is recovered: set multi_az=True, "
            "so a standby in another zone takes over automatically.",
            None,
        )


rds_multi_az = ResourceValidationPolicy(
    name="aws-rds-multi-az",
    description="Checks that every RDS primary instance runs Multi-AZ, with a standby in another availability zone.",
    validate=_multi_az,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=[
        "rds",
        "availability",
        "fsbp:RDS.5",
        "checklist:replication-health-checks",
        "checklist:rto-rpo",
        "awsguard:rds-multi-az",
    ],
    remediation_steps="Set multi_az=True on the primary aws.rds.Instance (webstack:database.multiAz).",
)


# -- deletion protection -----------------------------------------------------------------------------------------------
def _deletion_protection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == INSTANCE and not is_true(args.props.get("deletionProtection")):
        report(
            "Deletion protection is off: set deletion_protection=True, so the database cannot be deleted by accident "
            "(Pulumi's protect option does not stop the console or the API).",
            None,
        )


rds_deletion_protection = ResourceValidationPolicy(
    name="aws-rds-deletion-protection",
    description="Checks that every RDS instance, read replicas included, has deletion protection on.",
    validate=_deletion_protection,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["rds", "resilience", "checklist:backups", "fsbp:RDS.8", "checklist:rto-rpo"],
    remediation_steps="Set deletion_protection=True on every aws.rds.Instance (turn it off in a separate update "
    "before deleting the stack).",
)


# -- IAM authentication ------------------------------------------------------------------------------------------------
def _iam_authentication(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _primary(args, "read replicas share their source instance's database users and grants"):
        return
    if not is_true(args.props.get("iamDatabaseAuthenticationEnabled")):
        report(
            "IAM database authentication is off: set iam_database_authentication_enabled=True, so the app and "
            "people sign in with short-lived IAM tokens instead of long-lived passwords.",
            None,
        )


rds_iam_authentication = ResourceValidationPolicy(
    name="aws-rds-iam-authentication",
    description="Checks that every RDS primary instance accepts IAM database authentication.",
    validate=_iam_authentication,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["rds", "iam", "checklist:secrets", "fsbp:RDS.10"],
    remediation_steps="Set iam_database_authentication_enabled=True on the aws.rds.Instance and grant rds_iam "
    "(PostgreSQL) or AWSAuthenticationPlugin (MySQL) to the users that sign in with IAM tokens.",
)


# -- Performance Insights ----------------------------------------------------------------------------------------------
def _performance_insights(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == INSTANCE and not is_true(args.props.get("performanceInsightsEnabled")):
        report(
            "Performance Insights is off: set performance_insights_enabled=True and performance_insights_kms_key_id "
            "to a customer-managed KMS key's ARN.",
            None,
        )


rds_performance_insights = ResourceValidationPolicy(
    name="aws-rds-performance-insights",
    description="Checks that every RDS instance, read replicas included, has Performance Insights on.",
    validate=_performance_insights,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["rds", "monitoring", "checklist:alerts"],
    remediation_steps="Set performance_insights_enabled=True on every aws.rds.Instance, with "
    "performance_insights_kms_key_id=<customer-managed key>.arn (the key cannot be changed once set).",
)


def _performance_insights_key(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != INSTANCE:
        return
    if not is_true(args.props.get("performanceInsightsEnabled")):
        args.not_applicable("Performance Insights is off (aws-rds-performance-insights reports it)")
        return
    problem = customer_key_problem(prop(args.props, "performanceInsightsKmsKeyId"))
    if problem:
        report(_key_message(problem, "performance_insights_kms_key_id", "the Performance Insights data"), None)


rds_performance_insights_customer_key = ResourceValidationPolicy(
    name="aws-rds-performance-insights-customer-key",
    description="Checks that every RDS instance with Performance Insights encrypts that data under a "
    "customer-managed KMS key.",
    validate=_performance_insights_key,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["rds", "encryption", "checklist:encryption-at-rest"],
    remediation_steps="Set performance_insights_kms_key_id=<customer-managed key>.arn on every aws.rds.Instance with "
    "Performance Insights (the key cannot be changed once set: a new one replaces the instance's Performance "
    "Insights data).",
)


# -- log exports -------------------------------------------------------------------------------------------------------
_LOG_EXPORTS_SCHEMA = schema(
    {
        "requiredLogExports": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "default": {"postgres": ["postgresql"], "mysql": ["audit", "error", "slowquery"]},
            "description": "Per engine (the engine name starts with the key), the logs an instance must export to "
            "CloudWatch Logs.",
        }
    }
)


def _log_exports(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != INSTANCE:
        return
    engine = str(args.props.get("engine") or "").strip().lower()
    if not engine:
        if names_replication_source(args.props):
            args.not_applicable("the read replica names no engine (it runs its source's)")
            return
        report(
            'The instance sets no engine, so its required log exports cannot be determined: set engine ("postgres" '
            'or "mysql") and enabled_cloudwatch_logs_exports.',
            None,
        )
        return
    required_by_engine = dict(setting(args, _LOG_EXPORTS_SCHEMA, "requiredLogExports") or {})
    prefixes = sorted((str(key) for key in required_by_engine if engine.startswith(str(key).lower())), key=len)
    if not prefixes:
        args.not_applicable(f"no log exports are required for the {engine} engine")
        return
    required = [str(name) for name in required_by_engine[prefixes[-1]] or []]
    exports = args.props.get("enabledCloudwatchLogsExports") or []
    present = {str(name) for name in exports} if is_list(exports) else set()
    missing = [name for name in required if name not in present]
    if missing:
        audit = (
            " (MySQL's audit log also needs an option group with the MARIADB_AUDIT_PLUGIN option)"
            if "audit" in missing
            else ""
        )
        report(
            f"The instance does not export its {', '.join(missing)} log{'s' if len(missing) > 1 else ''} to "
            f"CloudWatch Logs: add {'them' if len(missing) > 1 else 'it'} to enabled_cloudwatch_logs_exports "
            f"({engine} requires {', '.join(required)}){audit}.",
            None,
        )


rds_log_exports = ResourceValidationPolicy(
    name="aws-rds-log-exports",
    description="Checks that every RDS instance exports its engine's logs to CloudWatch Logs (`requiredLogExports`: "
    "PostgreSQL postgresql; MySQL audit, error and slowquery).",
    validate=_log_exports,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_LOG_EXPORTS_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["rds", "logging", "checklist:logging", "fsbp:RDS.9"],
    remediation_steps='Set enabled_cloudwatch_logs_exports on the aws.rds.Instance: ["postgresql", "upgrade"] for '
    'PostgreSQL, ["audit", "error", "slowquery"] for MySQL (with an option group that loads MARIADB_AUDIT_PLUGIN).',
)


# -- snapshots ---------------------------------------------------------------------------------------------------------
def _copy_tags_to_snapshot(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _primary(args, "read replicas are not snapshotted for backups; their source instance is"):
        return
    if not is_true(args.props.get("copyTagsToSnapshot")):
        report(
            "Tags are not copied to snapshots, so snapshots lose the tags that name their project, stack and owner: "
            "set copy_tags_to_snapshot=True.",
            None,
        )


rds_copy_tags_to_snapshot = ResourceValidationPolicy(
    name="aws-rds-copy-tags-to-snapshot",
    description="Checks that every RDS primary instance copies its tags to its snapshots.",
    validate=_copy_tags_to_snapshot,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    tags=["rds", "backup", "checklist:backups", "fsbp:RDS.17"],
    remediation_steps="Set copy_tags_to_snapshot=True on the aws.rds.Instance.",
)


# -- master user -------------------------------------------------------------------------------------------------------
_USERNAME_SCHEMA = schema(
    {
        "defaultUsernames": {
            "type": "array",
            "items": {"type": "string"},
            "default": ["admin", "administrator", "root", "postgres", "mysql", "sa", "master", "user"],
            "description": "Master user names that must not be used (compared case-insensitively).",
        }
    }
)


def _non_default_username(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _primary(args, "read replicas inherit the master user from their source instance"):
        return
    defaults = [str(name) for name in setting(args, _USERNAME_SCHEMA, "defaultUsernames")]
    username = str(args.props.get("username") or "").strip()
    if not username:
        report(
            "The instance sets no master username: set username to a name of your own that is not a well-known "
            "default (e.g. webstack_admin).",
            None,
        )
    elif username.lower() in {name.lower() for name in defaults}:
        report(
            f"The master username '{username}' is a well-known default that attackers try first: set username to a "
            "name of your own (e.g. webstack_admin; changing it replaces the instance).",
            None,
        )


rds_non_default_master_username = ResourceValidationPolicy(
    name="aws-rds-non-default-master-username",
    description="Checks that no RDS primary instance's master user is a well-known default (`defaultUsernames`: "
    "admin, root, postgres, mysql, ...).",
    validate=_non_default_username,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_USERNAME_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["rds", "credentials", "checklist:no-default-passwords", "fsbp:RDS.25"],
    remediation_steps="Set username on the aws.rds.Instance to a name of your own (webstack:database.masterUsername, "
    "e.g. webstack_admin).",
)

#: Props that hold a master password written by the program (``passwordWo`` is write-only but still an input).
PASSWORD_PROPS = {"password": "password", "passwordWo": "password_wo"}


def _managed_password(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not _primary(args, "read replicas inherit the master password from their source instance"):
        return
    literal = [name for key, name in PASSWORD_PROPS.items() if prop_is_set(args.props, key)]
    managed = is_true(args.props.get("manageMasterUserPassword"))
    if literal:
        report(
            f"The program sets the master password ({', '.join(literal)}), so it lives in the program's config or "
            f"state and never rotates: remove {' and '.join(literal)} and set manage_master_user_password=True, so "
            "RDS generates the password, keeps it in Secrets Manager and rotates it.",
            None,
        )
    elif not managed:
        report(
            "manage_master_user_password is not set: set manage_master_user_password=True, so RDS generates the "
            "master password, keeps it in Secrets Manager and rotates it.",
            None,
        )
    if managed:
        problem = customer_key_problem(prop(args.props, "masterUserSecretKmsKeyId"))
        if problem:
            report(_key_message(problem, "master_user_secret_kms_key_id", "the master password's secret"), None)


rds_managed_master_password = ResourceValidationPolicy(
    name="aws-rds-managed-master-password",
    description="Checks that RDS keeps and rotates every primary instance's master password in Secrets Manager under "
    "a customer-managed KMS key, and the program sets no password itself.",
    validate=_managed_password,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["rds", "secrets", "checklist:secrets"],
    remediation_steps="Remove password/password_wo from the aws.rds.Instance and set manage_master_user_password=True "
    "with master_user_secret_kms_key_id=<customer-managed key>.arn; the app reads the secret "
    "(master_user_secrets[0].secret_arn).",
)


# -- replicas ----------------------------------------------------------------------------------------------------------
_REPLICA_SCHEMA = schema(
    {
        "minReplicas": {
            "type": "integer",
            "default": 1,
            "minimum": 0,
            "description": "Fewest read replicas of this stack every primary must have.",
        }
    }
)


def _primary_has_replica(args: StackValidationArgs, report: ReportViolation) -> None:
    minimum = int(setting(args, _REPLICA_SCHEMA, "minReplicas"))
    instances = [r for r in args.resources if r.resource_type == INSTANCE]
    replicas = [r for r in instances if is_read_replica(r)]
    for primary in (r for r in instances if not is_read_replica(r)):
        count = sum(
            any(dep.urn == primary.urn for dep in replica.property_dependencies.get("replicateSourceDb") or [])
            for replica in replicas
        )
        if count < minimum:
            has = "no read replica" if count == 0 else plural(count, "read replica")
            report(
                f"This primary has {has} in the stack; at least {minimum} {'is' if minimum == 1 else 'are'} "
                f"required: add {plural(minimum - count, 'aws.rds.Instance')} with replicate_source_db=<this "
                "instance>.identifier, outside the primary's availability zone (webstack:database.replicas).",
                primary.urn,
            )


rds_primary_has_replica = StackValidationPolicy(
    name="aws-rds-primary-has-replica",
    description="Checks that every RDS primary instance has at least `minReplicas` (1) read replicas in the stack.",
    validate=_primary_has_replica,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_REPLICA_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["rds", "availability", "checklist:replication-health-checks", "checklist:rto-rpo"],
    remediation_steps="Add aws.rds.Instance read replicas with replicate_source_db=<primary>.identifier, spread over "
    "other availability zones (webstack:database.replicas).",
)

POLICIES = [
    rds_storage_encrypted,
    rds_not_publicly_accessible,
    rds_backup_retention,
    rds_multi_az,
    rds_deletion_protection,
    rds_iam_authentication,
    rds_performance_insights,
    rds_performance_insights_customer_key,
    rds_log_exports,
    rds_copy_tags_to_snapshot,
    rds_non_default_master_username,
    rds_managed_master_password,
    rds_primary_has_replica,
]
