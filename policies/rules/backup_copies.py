"""Copies of the data in another region: backup plans copy their recovery points to a vault there, the backups bucket
replicates to a bucket there, and every database's automated backups are replicated there.

Regions come from each resource's provider (its ``region`` prop). A resource without a provider, or whose provider's
region is unknown, cannot be shown to be in another region, so that counts as a violation. Resources are joined only
through property dependencies (URNs), never through ARNs, ids or names, which are unknown during a preview.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._props import (
    UNKNOWN,
    as_text,
    depends_on,
    is_set,
    list_items,
    prop,
    unknown_message,
)
from .backups import DAILY_EXAMPLE, PLAN, VAULT, frequency, plan_rules, rds_primaries, schedule_unknown
from .storage import (
    BUCKET_TYPES,
    ROLE_BACKUPS,
    attached,
    bucket_role,
    buckets,
    is_versioned,
    unknown_role_message,
)

AUTOMATED_BACKUPS_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"


BUCKET_REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


ENABLED = "Enabled"


def _region(resource: PolicyResource) -> str | None:
    """The region of the resource's provider; None without a provider or when its region is unknown or unset."""
    provider = resource.provider
    if provider is None:
        return None
    return as_text(prop(provider.props, "region")) or None


def _where(resource: PolicyResource) -> str:
    if resource.provider is None:
        return "has no provider"
    return "has no known region (its provider's region is unset or unknown during preview)"


# -- plan: copies in another region ------------------------------------------------------------------------------------
def _copies(rule: Any) -> list[Any] | None:
    """The rule's copy actions that name a destination vault; None when the list is unknown."""
    actions = prop(rule, "copyActions")
    if actions is UNKNOWN:
        return None
    found: list[Any] = []
    for action in list_items(actions):
        if action is UNKNOWN:
            return None
        if is_set(prop(action, "destinationVaultArn")):
            found.append(action)
    return found


def _remote_vaults(plan: PolicyResource, rule: Any, region: str) -> list[PolicyResource]:
    """The plan's vaults (through property dependencies of ``rules``) in another region than ``region``, other than
    the rule's own target vault (matched by name when both names are known)."""
    target = as_text(prop(rule, "targetVaultName"))
    vaults = [d for d in plan.property_dependencies.get("rules") or [] if d.resource_type == VAULT]
    return [
        vault
        for vault in vaults
        if not (target and as_text(prop(vault.props, "name")) == target) and _region(vault) not in (None, region)
    ]


COPY_FIX = (
    "copy_actions=[{destination_vault_arn: <vault>.arn, lifecycle: {delete_after: 30}}], where <vault> is an "
    "aws.backup.Vault of this program created with the disaster-recovery region's provider"
)


def _copy_problem(plan: PolicyResource, name: str, rule: Any, report: ReportViolation) -> str:
    """Why a daily rule does not copy to another region; empty when it does, or when that is unknown (reported)."""
    actions = _copies(rule)
    if actions is None:
        report(unknown_message(f"Rule {name}'s copy_actions", "a literal list of copy actions"), plan.urn)
        return ""
    if not actions:
        return (
            f"The daily rule {name} copies its recovery points nowhere, so a regional outage takes the backups with "
            f"it: add {COPY_FIX}."
        )
    region = _region(plan)
    if region is None:
        return (
            f"The plan {_where(plan)}, so the daily rule {name}'s copies cannot be shown to leave its region: create "
            "the plan with an explicit aws.Provider whose region is set."
        )
    if not _remote_vaults(plan, rule, region):
        return (
            f"The daily rule {name} copies to no vault of this stack outside {region}, the plan's region: set "
            f"{COPY_FIX}."
        )
    return ""


def _copies_elsewhere(args: StackValidationArgs, report: ReportViolation) -> None:
    for plan in (r for r in args.resources if r.resource_type == PLAN):
        rules = plan_rules(plan.props, report, plan.urn)
        if rules is None:
            continue
        daily: list[tuple[str, Any]] = []
        unknown = False
        for name, rule in rules:
            schedule = prop(rule, "schedule")
            if schedule is UNKNOWN:
                report(schedule_unknown(name), plan.urn)
                unknown = True
            elif frequency(schedule) == "daily":
                daily.append((name, rule))
        if not daily:
            if not unknown:
                report(
                    "The plan has no daily rule whose recovery points could be copied to another region: add a rule "
                    f'with schedule="{DAILY_EXAMPLE}" and {COPY_FIX}.',
                    plan.urn,
                )
            continue
        problems = [_copy_problem(plan, name, rule, report) for name, rule in daily]
        if all(problems):
            report(problems[0], plan.urn)


backup_copies_to_another_region = StackValidationPolicy(
    name="aws-backup-copies-to-another-region",
    description="Checks that every AWS Backup plan's daily rule copies its recovery points to a vault of this stack "
    "in another region than the plan's.",
    validate=_copies_elsewhere,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["backup", "resilience", "checklist:remote-copies", "checklist:rto-rpo"],
    remediation_steps="Create an aws.backup.Vault with the disaster-recovery region's provider (and a KMS key of that "
    "region) and add copy_actions=[{destination_vault_arn: <that vault>.arn, lifecycle: ...}] to the plan's daily "
    "rule.",
)


# -- S3 replication ----------------------------------------------------------------------------------------------------
def _replication_problems(
    resources: Sequence[PolicyResource], source: PolicyResource, replication: PolicyResource
) -> list[str]:
    rules = prop(replication.props, "rules")
    statuses = [UNKNOWN if rule is UNKNOWN else prop(rule, "status") for rule in list_items(rules)]
    if not any(as_text(status) == ENABLED for status in statuses):
        if rules is UNKNOWN or any(status is UNKNOWN for status in statuses):
            return [unknown_message("rules[].status", f'"{ENABLED}"')]
        return [
            f'The replication configuration has no rule with status "{ENABLED}", so nothing is copied: set '
            f'status="{ENABLED}" on its rule.'
        ]
    region = _region(source)
    if region is None:
        return [
            f"The backups bucket {_where(source)}, so its replica cannot be shown to be in another region: create it "
            "with an explicit aws.Provider whose region is set."
        ]
    targets = [
        d
        for d in replication.property_dependencies.get("rules") or []
        if d.resource_type in BUCKET_TYPES and d.urn != source.urn
    ]
    remote = [bucket for bucket in targets if _region(bucket) not in (None, region)]
    if not remote:
        return [
            f"The replication copies to no bucket of this stack outside {region}, the source's region: set "
            "rules[].destination.bucket to the .arn of an aws.s3.Bucket created with the disaster-recovery region's "
            "provider."
        ]
    if not any(is_versioned(resources, bucket) for bucket in remote):
        return [
            "The replica bucket in another region is not versioned, and S3 replicates only between versioned "
            "buckets: add an aws.s3.BucketVersioning(bucket=<replica>.id, versioning_configuration={status: "
            '"Enabled"}).'
        ]
    return []


def _replicas(resources: Sequence[PolicyResource]) -> set[str]:
    """The buckets some replication configuration of the stack copies into: they are the remote copies."""
    return {
        target.urn
        for replication in resources
        if replication.resource_type == BUCKET_REPLICATION
        for target in replication.property_dependencies.get("rules") or []
        if target.resource_type in BUCKET_TYPES and not depends_on(replication, "bucket", target.urn)
    }


def _s3_replicated(args: StackValidationArgs, report: ReportViolation) -> None:
    replicas = _replicas(args.resources)
    for bucket in buckets(args.resources):
        role = bucket_role(bucket)
        if role is UNKNOWN:
            report(unknown_role_message(), bucket.urn)
            continue
        if role != ROLE_BACKUPS or bucket.urn in replicas:
            continue  # a replica is itself the copy in another region
        if not is_versioned(args.resources, bucket):
            report(
                "The backups bucket is not versioned, and S3 replicates only from versioned buckets: add an "
                'aws.s3.BucketVersioning(bucket=<this bucket>.id, versioning_configuration={status: "Enabled"}).',
                bucket.urn,
            )
        replications = attached(args.resources, (BUCKET_REPLICATION,), bucket)
        if not replications:
            report(
                "The backups bucket is not replicated to another region, so a regional outage takes the backups with "
                "it: add an aws.s3.BucketReplicationConfig(bucket=<this bucket>.id, role=<replication role>.arn, "
                f'rules=[{{status: "{ENABLED}", filter: {{}}, delete_marker_replication: {{status: "{ENABLED}"}}, '
                "destination: {bucket: <a versioned bucket in the DR region>.arn}}]).",
                bucket.urn,
            )
            continue
        problems = [_replication_problems(args.resources, bucket, r) for r in replications]
        if all(problems):
            for replication, found in zip(replications, problems, strict=True):
                for problem in found:
                    report(problem, replication.urn)


s3_backups_replicated_to_another_region = StackValidationPolicy(
    name="aws-s3-backups-replicated-to-another-region",
    description="Checks that every bucket tagged `webstack:role=backups` is versioned and replicates, with an enabled "
    "rule, to a versioned bucket of this stack in another region.",
    validate=_s3_replicated,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["s3", "backup", "resilience", "checklist:remote-copies", "fsbp:S3.7"],
    remediation_steps="Create a versioned bucket with the disaster-recovery region's provider and add an "
    'aws.s3.BucketReplicationConfig on the backups bucket with a rule of status "Enabled" whose destination.bucket '
    "is that bucket's .arn (both buckets need versioning Enabled).",
)


# -- RDS automated backups replication ---------------------------------------------------------------------------------
def _backups_replication_problems(primary: PolicyResource, replication: PolicyResource) -> list[str]:
    problems: list[str] = []
    if not is_set(prop(replication.props, "kmsKeyId")):
        problems.append(
            "The replicated backups name no kms_key_id: set kms_key_id to a customer-managed KMS key of the "
            "destination region (required for encrypted instances)."
        )
    region, replica_region = _region(primary), _region(replication)
    if region is None:
        problems.append(f"The primary {_where(primary)}, so its replicated backups cannot be shown to be elsewhere.")
    elif replica_region is None:
        problems.append(
            f"The backups replication {_where(replication)}, so it cannot be shown to be in another region: create "
            "it with the disaster-recovery region's provider."
        )
    elif replica_region == region:
        problems.append(
            f"The backups are replicated within {region}, the primary's own region: create the "
            "aws.rds.InstanceAutomatedBackupsReplication with the disaster-recovery region's provider."
        )
    return problems


def _rds_replicated(args: StackValidationArgs, report: ReportViolation) -> None:
    replications = [r for r in args.resources if r.resource_type == AUTOMATED_BACKUPS_REPLICATION]
    for primary in rds_primaries(args.resources):
        mine = [r for r in replications if depends_on(r, "sourceDbInstanceArn", primary.urn)]
        if not mine:
            report(
                "This primary's automated backups are not replicated to another region, so point-in-time recovery "
                "is lost with the region: add an aws.rds.InstanceAutomatedBackupsReplication(source_db_instance_arn="
                "<this instance>.arn, kms_key_id=<a key in the DR region>.arn, retention_period=...) created with the "
                "disaster-recovery region's provider.",
                primary.urn,
            )
            continue
        problems = [_backups_replication_problems(primary, r) for r in mine]
        if all(problems):
            for replication, found in zip(mine, problems, strict=True):
                for problem in found:
                    report(problem, replication.urn)


rds_backups_replicated_to_another_region = StackValidationPolicy(
    name="aws-rds-backups-replicated-to-another-region",
    description="Checks that every RDS primary instance's automated backups are replicated to another region under a "
    "KMS key.",
    validate=_rds_replicated,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["rds", "backup", "resilience", "checklist:remote-copies", "checklist:encrypted-backups", "checklist:rto-rpo"],
    remediation_steps="Add an aws.rds.InstanceAutomatedBackupsReplication for each primary with "
    "source_db_instance_arn=<primary>.arn and kms_key_id=<a key of the DR region>.arn, created with the "
    "disaster-recovery region's provider.",
)

POLICIES = [
    backup_copies_to_another_region,
    s3_backups_replicated_to_another_region,
    rds_backups_replicated_to_another_region,
]
