"""Backup rules: AWS Backup plans keep daily and weekly recovery points within AWS's limits, vaults encrypt under a
customer key, the databases and documents are covered, and restores are tested.

Stack rules join only through property dependencies (URNs), never through ARNs, ids or names, which are unknown during
a preview. Values unknown during a preview: references to other resources (KMS keys, vault and bucket ARNs, names)
count as set. Settings the program writes literally (schedules, retention days, statuses, resource types) are
reported when unknown, with the advice to set them directly, so no rule passes silently or crashes on them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from ._common import ROLE_TAG, is_read_replica, schema, setting
from ._props import (
    UNKNOWN,
    as_number,
    as_text,
    count_text,
    customer_key_problem,
    depends_on,
    is_true,
    item_label,
    list_items,
    prop,
    unknown_message,
)
from .storage import (
    ROLE_DOCUMENTS,
    bucket_role,
    buckets,
    unknown_role_message,
)

PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
SELECTION = "aws:backup/selection:Selection"
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
INSTANCE = "aws:rds/instance:Instance"

#: The most days AWS Backup keeps continuous (point-in-time) backups; it rejects a longer lifecycle.
MAX_CONTINUOUS_RETENTION_DAYS = 35
#: The longest interval between restore tests that still counts as monthly.
MAX_RESTORE_TEST_INTERVAL_DAYS = 31
RDS_RESOURCE_TYPE = "RDS"

DAILY_EXAMPLE = "cron(0 2 * * ? *)"
WEEKLY_EXAMPLE = "cron(0 3 ? * SUN *)"
MONTHLY_EXAMPLE = "cron(0 5 1 * ? *)"


# -- reading props -----------------------------------------------------------------------------------------------------
# UNKNOWN (imported from storage, so that bucket_role's answer compares equal) stands for a value unknown during
# preview: the analyzer's proxies raise on reading one.


def rds_primaries(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == INSTANCE and not is_read_replica(r)]


# -- schedules ---------------------------------------------------------------------------------------------------------
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_WEEKDAY = re.compile(r"^(SUN|MON|TUE|WED|THU|FRI|SAT|[1-7])$", re.IGNORECASE)
_DAY_OF_MONTH = re.compile(r"^(\d+)(W|-\d+|/\d+)?$", re.IGNORECASE)
#: The highest day of the month that every month has.
_EVERY_MONTH_HAS = 28


def _cron(expression: Any) -> list[str] | None:
    """The six fields of an AWS cron expression (minutes hours day-of-month month day-of-week year)."""
    match = _CRON.match(as_text(expression))
    if not match:
        return None
    fields = match.group(1).split()
    return fields if len(fields) == 6 else None


def frequency(expression: Any) -> str:
    """``daily`` (every day, or more often), ``weekly`` (one day a week) or ``""`` for any other schedule."""
    fields = _cron(expression)
    if fields is None:
        return ""
    _, _, day_of_month, month, day_of_week, year = fields
    if month != "*" or year != "*":
        return ""
    if (day_of_month == "*" and day_of_week in ("?", "*")) or (day_of_month == "?" and day_of_week == "*"):
        return "daily"
    if day_of_month == "?" and _WEEKDAY.match(day_of_week):
        return "weekly"
    return ""


def _day_fires_every_month(day_of_month: str) -> bool:
    if day_of_month in ("*", "L", "LW"):
        return True
    for part in day_of_month.split(","):
        match = _DAY_OF_MONTH.match(part)
        if match and 1 <= int(match.group(1)) <= _EVERY_MONTH_HAS:
            return True
    return False


def _at_least_monthly(expression: Any) -> bool:
    """Whether a schedule fires at least once every month: a cron expression for every month, on a day every month
    has (or on days of the week), or a rate of at most 31 days."""
    rate = _RATE.match(as_text(expression))
    if rate:
        amount, unit = int(rate.group(1)), rate.group(2).lower()
        days = amount if unit.startswith("day") else amount / (24 if unit.startswith("hour") else 24 * 60)
        return 0 < days <= MAX_RESTORE_TEST_INTERVAL_DAYS
    fields = _cron(expression)
    if fields is None:
        return False
    _, _, day_of_month, month, day_of_week, year = fields
    if month != "*" or year != "*":
        return False
    if day_of_month == "?":
        return day_of_week != "?" and "#5" not in day_of_week
    return _day_fires_every_month(day_of_month)


# -- plan: daily and weekly --------------------------------------------------------------------------------------------
_PLAN_SCHEMA = schema(
    {
        "minDailyRetentionDays": {
            "type": "number",
            "default": 30,
            "minimum": 1,
            "description": "Fewest days a daily rule keeps its recovery points.",
        },
        "minWeeklyRetentionDays": {
            "type": "number",
            "default": 90,
            "minimum": 1,
            "description": "Fewest days a weekly rule keeps its recovery points.",
        },
    }
)


def plan_rules(props: Mapping[str, Any], report: ReportViolation, urn: str | None) -> list[tuple[str, Any]] | None:
    """The plan's rules with their names for messages; None, after reporting, when the list is unknown."""
    rules = prop(props, "rules")
    if rules is UNKNOWN:
        report(unknown_message("rules", "a literal list of plan rules"), urn)
        return None
    found: list[tuple[str, Any]] = []
    for index, rule in enumerate(list_items(rules)):
        if rule is UNKNOWN:
            report(unknown_message(f"rules[{index}]", "a literal plan rule"), urn)
            return None
        if isinstance(rule, Mapping):
            found.append((item_label(rule, index, "ruleName"), rule))
    return found


def schedule_unknown(name: str) -> str:
    return unknown_message(f"Rule {name}'s schedule", f'a cron expression such as "{DAILY_EXAMPLE}"')


def _retention_message(kind: str, short: list[tuple[str, float | None]], minimum: float, example: str) -> str:
    if not short:
        return (
            f'The plan has no {kind} rule: add a rule with schedule="{example}" and lifecycle={{delete_after: '
            f"{count_text(minimum)}}} or more."
        )
    described = ", ".join(
        f"{name} ({count_text(days)} days)" if days is not None else f"{name} (no lifecycle.delete_after)"
        for name, days in short
    )
    return (
        f"The {kind} rule{'s' if len(short) > 1 else ''} {described} keep{'' if len(short) > 1 else 's'} recovery "
        f"points less than {count_text(minimum)} days, or for no set time: set lifecycle.delete_after to "
        f"{count_text(minimum)} or more."
    )


def _daily_and_weekly(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != PLAN:
        return
    minimums = {
        "daily": float(setting(args, _PLAN_SCHEMA, "minDailyRetentionDays")),
        "weekly": float(setting(args, _PLAN_SCHEMA, "minWeeklyRetentionDays")),
    }
    rules = plan_rules(args.props, report, None)
    if rules is None:
        return
    met = {"daily": False, "weekly": False}
    #: Kinds this rule cannot decide because a value is unknown during preview (reported as such).
    undecided: set[str] = set()
    short: dict[str, list[tuple[str, float | None]]] = {"daily": [], "weekly": []}
    for name, rule in rules:
        lifecycle = prop(rule, "lifecycle")
        delete_after = prop(lifecycle, "deleteAfter")
        retention_unknown = lifecycle is UNKNOWN or delete_after is UNKNOWN
        days = None if retention_unknown else as_number(delete_after)
        if retention_unknown:
            report(unknown_message(f"Rule {name}'s lifecycle.delete_after", "a number of days"), None)
        schedule = prop(rule, "schedule")
        if schedule is UNKNOWN:
            report(schedule_unknown(name), None)
            undecided |= {"daily", "weekly"}
            continue
        kind = frequency(schedule)
        if not kind:
            continue
        if retention_unknown:
            undecided.add(kind)
        elif days is not None and days >= minimums[kind]:
            met[kind] = True
        else:
            short[kind].append((name, days))
    examples = {"daily": DAILY_EXAMPLE, "weekly": WEEKLY_EXAMPLE}
    for kind in ("daily", "weekly"):
        if not met[kind] and kind not in undecided:
            report(_retention_message(kind, short[kind], minimums[kind], examples[kind]), None)


backup_plan_daily_and_weekly = ResourceValidationPolicy(
    name="aws-backup-plan-daily-and-weekly",
    description="Checks that every AWS Backup plan has a daily rule kept at least 30 days and a weekly rule kept at "
    "least 90 (`minDailyRetentionDays`, `minWeeklyRetentionDays`).",
    validate=_daily_and_weekly,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PLAN_SCHEMA,
    severity=Severity.MEDIUM,
    tags=["backup", "checklist:backups", "config:backup-plan-min-frequency-and-min-retention-check"],
    remediation_steps=f'Give the aws.backup.Plan a daily rule (schedule="{DAILY_EXAMPLE}", lifecycle.delete_after 30 '
    f'or more) and a weekly rule (schedule="{WEEKLY_EXAMPLE}", lifecycle.delete_after 90 or more).',
)


def _continuous_retention(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != PLAN:
        return
    rules = plan_rules(args.props, report, None)
    for name, rule in rules or []:
        continuous = prop(rule, "enableContinuousBackup")
        if continuous is UNKNOWN:
            report(unknown_message(f"Rule {name}'s enable_continuous_backup", "True or False"), None)
            continue
        if not is_true(continuous):
            continue
        lifecycle = prop(rule, "lifecycle")
        delete_after = prop(lifecycle, "deleteAfter")
        if lifecycle is UNKNOWN or delete_after is UNKNOWN:
            report(unknown_message(f"Rule {name}'s lifecycle.delete_after", "a number of days"), None)
            continue
        days = as_number(delete_after)
        if days is not None and days > MAX_CONTINUOUS_RETENTION_DAYS:
            report(
                f"Rule {name} keeps continuous backups {count_text(days)} days, but AWS keeps point-in-time backups at "
                f"most {MAX_CONTINUOUS_RETENTION_DAYS} days and rejects the plan: set lifecycle.delete_after to "
                f"{MAX_CONTINUOUS_RETENTION_DAYS} or less, and keep longer retention in a snapshot rule (e.g. the "
                "weekly one).",
                None,
            )


backup_plan_continuous_retention_limit = ResourceValidationPolicy(
    name="aws-backup-plan-continuous-retention-limit",
    description="Checks that no continuous-backup rule of an AWS Backup plan keeps its recovery points more than the "
    "35 days AWS allows (a longer lifecycle previews fine and fails on apply).",
    validate=_continuous_retention,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["backup", "checklist:backups"],
    remediation_steps="Set lifecycle.delete_after to 35 or less on every rule with enable_continuous_backup=True, "
    "and keep longer retention in a snapshot rule (the weekly one).",
)


# -- vault key ---------------------------------------------------------------------------------------------------------
def _vault_key(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != VAULT:
        return
    problem = customer_key_problem(prop(args.props, "kmsKeyArn"))
    if not problem:
        return
    if problem == "is not set":
        problem += ", so the vault encrypts recovery points under the AWS-managed key aws/backup"
    report(
        f"kms_key_arn {problem}, whose policy you do not control: set kms_key_arn to a customer-managed KMS key's ARN "
        "(this replaces the vault; move or copy its recovery points first).",
        None,
    )


backup_vault_customer_key = ResourceValidationPolicy(
    name="aws-backup-vault-customer-key",
    description="Checks that every AWS Backup vault encrypts its recovery points under a customer-managed KMS key, "
    "not `aws/backup`.",
    validate=_vault_key,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["backup", "encryption", "checklist:encrypted-backups", "fsbp:Backup.1"],
    remediation_steps="Set kms_key_arn=<customer-managed key>.arn on every aws.backup.Vault (a key in the vault's own "
    "region for the disaster-recovery vault).",
)


# -- coverage ----------------------------------------------------------------------------------------------------------
def _covered_by_plan(args: StackValidationArgs, report: ReportViolation) -> None:
    covered: set[str] = set()
    selected_elsewhere: set[str] = set()
    for selection in (r for r in args.resources if r.resource_type == SELECTION):
        selected = {d.urn for d in selection.property_dependencies.get("resources") or []}
        if any(d.resource_type == PLAN for d in selection.property_dependencies.get("planId") or []):
            covered |= selected
        else:
            selected_elsewhere |= selected
    protected: list[tuple[PolicyResource, str]] = [(p, "RDS primary") for p in rds_primaries(args.resources)]
    for bucket in buckets(args.resources):
        role = bucket_role(bucket)
        if role is UNKNOWN:
            report(unknown_role_message(), bucket.urn)
        elif role == ROLE_DOCUMENTS:
            protected.append((bucket, f"bucket tagged {ROLE_TAG}={ROLE_DOCUMENTS}"))
    for resource, what in protected:
        if resource.urn in covered:
            continue
        if resource.urn in selected_elsewhere:
            report(
                f"This {what} is selected only by a backup selection whose plan is not one of this stack's, so the "
                "pack cannot check the schedule: pass plan_id=<a aws.backup.Plan of this program>.id on the "
                "aws.backup.Selection.",
                resource.urn,
            )
        else:
            report(
                f"This {what} is not in any AWS Backup selection: add its .arn to the resources of an "
                "aws.backup.Selection whose plan_id is an aws.backup.Plan of this program (daily and weekly rules, "
                "copies in the DR region).",
                resource.urn,
            )


rds_covered_by_backup_plan = StackValidationPolicy(
    name="aws-rds-covered-by-backup-plan",
    description="Checks that every RDS primary instance and the documents bucket are selected, by ARN, by an AWS "
    "Backup selection of a plan of this stack.",
    validate=_covered_by_plan,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["backup", "rds", "s3", "checklist:backups", "fsbp:RDS.26"],
    remediation_steps="Add an aws.backup.Selection(plan_id=<plan>.id, iam_role_arn=<backup role>.arn, "
    "resources=[<each primary>.arn, <documents bucket>.arn]); read replicas need none.",
)


# -- restore tests -----------------------------------------------------------------------------------------------------
def _restore_testing(args: StackValidationArgs, report: ReportViolation) -> None:
    if not any(r.resource_type == INSTANCE for r in args.resources):
        args.not_applicable("the stack has no RDS instances")
        return
    plans = [r for r in args.resources if r.resource_type == RESTORE_TESTING_PLAN]
    selections = [r for r in args.resources if r.resource_type == RESTORE_TESTING_SELECTION]
    for plan in plans:
        schedule = prop(plan.props, "scheduleExpression")
        if schedule is UNKNOWN:
            report(unknown_message("schedule_expression", f'a cron expression such as "{MONTHLY_EXAMPLE}"'), plan.urn)
        elif not _at_least_monthly(schedule):
            report(
                f"The restore testing plan runs on '{as_text(schedule) or 'no schedule'}', which is not at least "
                f'monthly: set schedule_expression="{MONTHLY_EXAMPLE}" (or more often; a day of the month every month '
                f"has, or a rate of at most {MAX_RESTORE_TEST_INTERVAL_DAYS} days).",
                plan.urn,
            )
    unknown = False
    tested = False
    for selection in selections:
        if not any(depends_on(selection, "restoreTestingPlanName", plan.urn) for plan in plans):
            continue
        kind = prop(selection.props, "protectedResourceType")
        if kind is UNKNOWN:
            report(unknown_message("protected_resource_type", f'"{RDS_RESOURCE_TYPE}"'), selection.urn)
            unknown = True
        elif as_text(kind).upper() == RDS_RESOURCE_TYPE:
            tested = True
    if tested or unknown:
        return
    if not plans:
        report(
            "The stack has RDS instances but no restore testing plan, so nobody learns whether the backups restore: "
            f'add an aws.backup.RestoreTestingPlan(schedule_expression="{MONTHLY_EXAMPLE}", '
            "recovery_point_selection=...) and an aws.backup.RestoreTestingSelection(restore_testing_plan_name="
            f'<plan>.name, protected_resource_type="{RDS_RESOURCE_TYPE}", ...).',
            None,
        )
    else:
        report(
            "No restore testing plan of this stack tests RDS: add an aws.backup.RestoreTestingSelection("
            f'restore_testing_plan_name=<plan>.name, protected_resource_type="{RDS_RESOURCE_TYPE}", '
            "iam_role_arn=<restore role>.arn, protected_resource_arns=[...]).",
            None,
        )


backup_restore_testing = StackValidationPolicy(
    name="aws-backup-restore-testing",
    description="Checks that a stack with databases has an AWS Backup restore testing plan that runs at least "
    "monthly, with a restore testing selection for RDS.",
    validate=_restore_testing,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["backup", "rds", "checklist:restore-tests"],
    remediation_steps=f'Add an aws.backup.RestoreTestingPlan with schedule_expression="{MONTHLY_EXAMPLE}" (or more '
    "often) and an aws.backup.RestoreTestingSelection with restore_testing_plan_name=<plan>.name and "
    'protected_resource_type="RDS".',
)


POLICIES = [
    backup_plan_daily_and_weekly,
    backup_plan_continuous_retention_limit,
    backup_vault_customer_key,
    rds_covered_by_backup_plan,
    backup_restore_testing,
]
