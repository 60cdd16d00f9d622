"""Backup rules: each passes on what webstack registers (a backup plan with daily and weekly rules copied to the DR
region, vaults under customer keys, a selection of the primaries and the documents bucket, a monthly RDS restore
test, the backups bucket replicated to the DR region, RDS automated backups replicated there) and fails when one thing
changes. Props go through the analyzer's read-only proxies; stack rules join through property dependencies and read
regions from each resource's provider."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE, UNKNOWN_STRING_VALUE

from policies.rules import backup_copies, backups
from policies.rules.backup_copies import (
    backup_copies_to_another_region,
    rds_backups_replicated_to_another_region,
    s3_backups_replicated_to_another_region,
)
from policies.rules.backups import (
    backup_plan_continuous_retention_limit,
    backup_plan_daily_and_weekly,
    backup_restore_testing,
    backup_vault_customer_key,
    rds_covered_by_backup_plan,
)
from tests.policies.support import (
    MAIN_REGION,
    At,
    Res,
    analyzed,
    check_resource,
    check_stack,
    stack_not_applicable,
    unknown_message,
    urns,
)

MAIN, DR = MAIN_REGION, "us-west-2"
ACCOUNT = "123456789012"
ROLE = "webstack:role"

PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
SELECTION = "aws:backup/selection:Selection"
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
RESTORE_TESTING_SELECTION = "aws:backup/restoreTestingSelection:RestoreTestingSelection"
INSTANCE = "aws:rds/instance:Instance"
BACKUPS_REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
VERSIONING_V2 = "aws:s3/bucketVersioningV2:BucketVersioningV2"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
KMS_KEY = "aws:kms/key:Key"
ROLE_RESOURCE = "aws:iam/role:Role"


# -- calling rules -----------------------------------------------------------------------------------------------------
def check(
    policy: StackValidationPolicy, resources: Sequence[Res], config: Mapping[str, Any] | None = None
) -> list[tuple[str, str]]:
    """The (urn, message) violations of a stack rule ("" for the stack itself); plain resources are in MAIN."""
    return check_stack(policy, resources, config, default_region=MAIN)


def check_one(policy: ResourceValidationPolicy, resource_type: str, props: Any, config: Any = None) -> list[str]:
    return check_resource(policy, resource_type, analyzed(props), config=config)


# -- what webstack registers -------------------------------------------------------------------------------------------
def arn(service: str, region: str, rest: str) -> str:
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{rest}"


DR_VAULT_ARN = arn("backup", DR, "backup-vault:webstack-prod-dr")


def plan_props() -> dict[str, Any]:
    return {
        "name": "webstack-prod-backups",
        "rules": [
            {
                "ruleName": "daily",
                "targetVaultName": "webstack-prod",
                "schedule": "cron(0 2 * * ? *)",
                "startWindow": 60.0,
                "completionWindow": 360.0,
                "enableContinuousBackup": True,
                "lifecycle": {"deleteAfter": 30.0},
                "copyActions": [{"destinationVaultArn": DR_VAULT_ARN, "lifecycle": {"deleteAfter": 30.0}}],
            },
            {
                "ruleName": "weekly",
                "targetVaultName": "webstack-prod",
                "schedule": "cron(0 3 ? * SUN *)",
                "startWindow": 60.0,
                "completionWindow": 720.0,
                "lifecycle": {"deleteAfter": 90.0},
                "copyActions": [{"destinationVaultArn": DR_VAULT_ARN, "lifecycle": {"deleteAfter": 90.0}}],
            },
        ],
    }


def vault_props(name: str, region: str) -> dict[str, Any]:
    return {"name": name, "kmsKeyArn": arn("kms", region, "key/backups"), "forceDestroy": False}


def primary(index: int) -> At:
    return At(
        f"urn:db:shard-{index}-primary",
        INSTANCE,
        {"engine": "postgres", "storageEncrypted": True, "kmsKeyId": arn("kms", MAIN, "key/data")},
        {"kmsKeyId": ["urn:key:data"]},
    )


def replica(index: int) -> At:
    return At(
        f"urn:db:shard-{index}-replica",
        INSTANCE,
        {"replicateSourceDb": f"shard-{index}-primary-abc"},
        {"replicateSourceDb": [f"urn:db:shard-{index}-primary"]},
    )


def bucket(name: str, role: str, region: str = MAIN, bucket_type: str = BUCKET) -> list[At]:
    """A bucket and its versioning (the other hardening is storage.py's business)."""
    urn = f"urn:bucket:{name}"
    return [
        At(urn, bucket_type, {"bucketPrefix": f"webstack-prod-{name}-", "tags": {ROLE: role}}, region=region),
        At(
            f"urn:versioning:{name}",
            VERSIONING if bucket_type == BUCKET else VERSIONING_V2,
            {"bucket": f"webstack-prod-{name}-abc", "versioningConfiguration": {"status": "Enabled"}},
            {"bucket": [urn]},
            region,
        ),
    ]


def stack(shards: int = 2, bucket_type: str = BUCKET) -> list[At]:
    """What webstack registers for backups, over ``shards`` shards of one primary and one replica each."""
    primaries = [f"urn:db:shard-{i}-primary" for i in range(shards)]
    return [
        At("urn:key:data", KMS_KEY, {"enableKeyRotation": True}),
        At("urn:key:backups", KMS_KEY, {"enableKeyRotation": True}),
        At("urn:key:dr", KMS_KEY, {"enableKeyRotation": True}, region=DR),
        At("urn:role:backup", ROLE_RESOURCE, {"assumeRolePolicy": "{}"}),
        *(r for i in range(shards) for r in (primary(i), replica(i))),
        *bucket("documents", "documents", bucket_type=bucket_type),
        *bucket("backups", "backups", bucket_type=bucket_type),
        *bucket("backups-dr", "backups", DR, bucket_type=bucket_type),
        *bucket("lb-logs", "log-sink", bucket_type=bucket_type),
        At("urn:vault:main", VAULT, vault_props("webstack-prod", MAIN), {"kmsKeyArn": ["urn:key:backups"]}),
        At("urn:vault:dr", VAULT, vault_props("webstack-prod-dr", DR), {"kmsKeyArn": ["urn:key:dr"]}, DR),
        At("urn:plan", PLAN, plan_props(), {"rules": ["urn:vault:main", "urn:vault:dr"]}),
        At(
            "urn:selection",
            SELECTION,
            {
                "name": "webstack-prod-data",
                "planId": "plan-id",
                "iamRoleArn": arn("iam", "", "role/backup"),
                "resources": [*(arn("rds", MAIN, f"db:shard-{i}") for i in range(shards)), "arn:aws:s3:::documents"],
            },
            {
                "planId": ["urn:plan"],
                "iamRoleArn": ["urn:role:backup"],
                "resources": [*primaries, "urn:bucket:documents"],
            },
        ),
        At(
            "urn:restore-plan",
            RESTORE_TESTING_PLAN,
            {
                "name": "webstack_prod_restore_tests",
                "scheduleExpression": "cron(0 5 1 * ? *)",
                "recoveryPointSelection": {
                    "algorithm": "LATEST_WITHIN_WINDOW",
                    "includeVaults": [arn("backup", MAIN, "backup-vault:webstack-prod")],
                    "recoveryPointTypes": ["SNAPSHOT", "CONTINUOUS"],
                    "selectionWindowDays": 30.0,
                },
            },
            {"recoveryPointSelection": ["urn:vault:main"]},
        ),
        At(
            "urn:restore-selection",
            RESTORE_TESTING_SELECTION,
            {
                "name": "webstack_prod_rds",
                "restoreTestingPlanName": "webstack_prod_restore_tests",
                "protectedResourceType": "RDS",
                "iamRoleArn": arn("iam", "", "role/restore"),
                "protectedResourceArns": [arn("rds", MAIN, f"db:shard-{i}") for i in range(shards)],
            },
            {"restoreTestingPlanName": ["urn:restore-plan"], "protectedResourceArns": primaries},
        ),
        At(
            "urn:replication:backups",
            REPLICATION,
            {
                "bucket": "webstack-prod-backups-abc",
                "role": arn("iam", "", "role/replication"),
                "rules": [
                    {
                        "id": "to-dr",
                        "status": "Enabled",
                        "filter": {},
                        "deleteMarkerReplication": {"status": "Enabled"},
                        "destination": {
                            "bucket": "arn:aws:s3:::webstack-prod-backups-dr-abc",
                            "encryptionConfiguration": {"replicaKmsKeyId": arn("kms", DR, "key/dr")},
                        },
                        "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
                    }
                ],
            },
            {"bucket": ["urn:bucket:backups"], "rules": ["urn:bucket:backups-dr", "urn:key:dr"]},
        ),
        *(
            At(
                f"urn:db-backups-replication:{i}",
                BACKUPS_REPLICATION,
                {
                    "sourceDbInstanceArn": arn("rds", MAIN, f"db:shard-{i}"),
                    "kmsKeyId": arn("kms", DR, "key/dr"),
                    "retentionPeriod": 30.0,
                },
                {"sourceDbInstanceArn": [f"urn:db:shard-{i}-primary"], "kmsKeyId": ["urn:key:dr"]},
                DR,
            )
            for i in range(shards)
        ),
    ]


def find(resources: Sequence[Res], urn: str) -> At:
    found = next(r for r in resources if r.urn == urn)
    assert isinstance(found, At)
    return found


def drop(resources: list[At], *dropped: str) -> list[At]:
    return [r for r in resources if r.urn not in dropped]


#: Props that hold another resource's identifier, name or ARN: unknown during a preview of a new stack.
PREVIEW_UNKNOWN = (
    "bucket",
    "destinationVaultArn",
    "targetVaultName",
    "kmsKeyArn",
    "kmsKeyId",
    "planId",
    "iamRoleArn",
    "role",
    "sourceDbInstanceArn",
    "replicaKmsKeyId",
    "replicateSourceDb",
    "restoreTestingPlanName",
)


def _unknown_references(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: UNKNOWN_STRING_VALUE if k in PREVIEW_UNKNOWN else _unknown_references(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unknown_references(v) for v in value]
    return value


def previewed(resources: list[At]) -> list[At]:
    """The stack as a preview of a new stack sees it: ids, names and ARNs of other resources (and lists of them)
    unknown; literal settings known."""
    result = copy.deepcopy(resources)
    for r in result:
        r.props = _unknown_references(r.props)
        for key in ("resources", "protectedResourceArns", "includeVaults"):
            if key in r.props:
                r.props[key] = UNKNOWN_STRING_VALUE
    return result


def plan_rule(resources: list[At], name: str) -> dict[str, Any]:
    return next(rule for rule in find(resources, "urn:plan").props["rules"] if rule["ruleName"] == name)


# -- every rule --------------------------------------------------------------------------------------------------------
RULE_TAGS = {
    "aws-backup-plan-daily-and-weekly": (
        "checklist:backups",
        "config:backup-plan-min-frequency-and-min-retention-check",
    ),
    "aws-backup-plan-continuous-retention-limit": ("checklist:backups", None),
    "aws-backup-copies-to-another-region": ("checklist:remote-copies", None),
    "aws-backup-vault-customer-key": ("checklist:encrypted-backups", "fsbp:Backup.1"),
    "aws-rds-covered-by-backup-plan": ("checklist:backups", "fsbp:RDS.26"),
    "aws-backup-restore-testing": ("checklist:restore-tests", None),
    "aws-s3-backups-replicated-to-another-region": ("checklist:remote-copies", "fsbp:S3.7"),
    "aws-rds-backups-replicated-to-another-region": ("checklist:remote-copies", None),
}
POLICIES = [*backups.POLICIES, *backup_copies.POLICIES]
STACK_RULES = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]


def test_the_modules_export_their_eight_rules() -> None:
    assert sorted(p.name for p in POLICIES) == sorted(RULE_TAGS)
    assert {p.name for p in POLICIES if isinstance(p, ResourceValidationPolicy)} == {
        "aws-backup-plan-daily-and-weekly",
        "aws-backup-plan-continuous-retention-limit",
        "aws-backup-vault-customer-key",
    }


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_is_described_for_people(policy: Any) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.startswith("Checks that ")
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    assert policy.severity is not None
    assert policy.remediation_steps
    checklist, anchor = RULE_TAGS[policy.name]
    assert next(tag for tag in policy.tags if tag.startswith("checklist:")) == checklist
    if anchor:
        assert anchor in policy.tags
    for spec in (policy.config_schema.properties if policy.config_schema else {}).values():
        assert "type" in spec
        assert "default" in spec


@pytest.mark.parametrize("bucket_type", [BUCKET, BUCKET_V2], ids=["v7", "v2"])
@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_every_stack_rule_passes_on_what_webstack_registers(policy: StackValidationPolicy, bucket_type: str) -> None:
    assert check(policy, stack(bucket_type=bucket_type)) == []
    assert check(policy, stack(shards=1, bucket_type=bucket_type)) == []


@pytest.mark.parametrize("policy", STACK_RULES, ids=lambda p: p.name)
def test_every_stack_rule_decides_during_a_preview_when_ids_names_and_arns_are_unknown(
    policy: StackValidationPolicy,
) -> None:
    assert check(policy, previewed(stack())) == []


@pytest.mark.parametrize("policy", [p for p in STACK_RULES if p is not backup_restore_testing], ids=lambda p: p.name)
def test_every_stack_rule_passes_an_empty_stack(policy: StackValidationPolicy) -> None:
    assert check(policy, []) == []


def test_the_resource_rules_pass_what_webstack_registers() -> None:
    assert check_one(backup_plan_daily_and_weekly, PLAN, plan_props()) == []
    assert check_resource(backup_plan_daily_and_weekly, PLAN, plan_props()) == []
    assert check_one(backup_vault_customer_key, VAULT, vault_props("webstack-prod", MAIN)) == []
    assert check_one(backup_vault_customer_key, VAULT, vault_props("webstack-prod-dr", DR)) == []


@pytest.mark.parametrize("policy", [backup_plan_daily_and_weekly, backup_vault_customer_key], ids=lambda p: p.name)
def test_the_resource_rules_ignore_other_resources(policy: ResourceValidationPolicy) -> None:
    assert check_one(policy, SELECTION, {}) == []
    assert check_one(policy, INSTANCE, {}) == []


# -- aws-backup-plan-daily-and-weekly ----------------------------------------------------------------------------------
def with_rules(*changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The registered plan with its daily and weekly rules changed (None drops that rule; a None value drops a key)."""
    props = plan_props()
    rules = []
    for rule, change in zip(props["rules"], changes, strict=True):
        if change is None:
            continue
        for key, value in change.items():
            if value is None:
                rule.pop(key, None)
            else:
                rule[key] = value
        rules.append(rule)
    props["rules"] = rules
    return props


def test_plan_fails_without_a_daily_rule() -> None:
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, with_rules(None, {}))
    assert message == (
        'The plan has no daily rule: add a rule with schedule="cron(0 2 * * ? *)" and lifecycle={delete_after: 30} '
        "or more."
    )


def test_plan_fails_without_a_weekly_rule() -> None:
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, with_rules({}, None))
    assert message == (
        'The plan has no weekly rule: add a rule with schedule="cron(0 3 ? * SUN *)" and lifecycle={delete_after: 90} '
        "or more."
    )


def test_plan_fails_when_the_daily_rule_keeps_backups_too_briefly() -> None:
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, with_rules({"lifecycle": {"deleteAfter": 14.0}}, {}))
    assert message == (
        "The daily rule 'daily' (14 days) keeps recovery points less than 30 days, or for no set time: set "
        "lifecycle.delete_after to 30 or more."
    )


def test_plan_fails_when_the_weekly_rule_keeps_backups_too_briefly() -> None:
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, with_rules({}, {"lifecycle": {"deleteAfter": 60.0}}))
    assert message.startswith("The weekly rule 'weekly' (60 days) keeps recovery points less than 90 days")


@pytest.mark.parametrize("lifecycle", [None, {"coldStorageAfter": 30.0}])
def test_plan_fails_when_a_rule_sets_no_retention(lifecycle: dict[str, Any] | None) -> None:
    props = with_rules({"lifecycle": lifecycle}, {})
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, props)
    assert message.startswith("The daily rule 'daily' (no lifecycle.delete_after) keeps recovery points less than 30")


def test_plan_fails_when_continuous_backups_are_kept_longer_than_aws_allows() -> None:
    (message,) = check_one(
        backup_plan_continuous_retention_limit, PLAN, with_rules({"lifecycle": {"deleteAfter": 40.0}}, {})
    )
    assert message == (
        "Rule 'daily' keeps continuous backups 40 days, but AWS keeps point-in-time backups at most 35 days and "
        "rejects the plan: set lifecycle.delete_after to 35 or less, and keep longer retention in a snapshot rule "
        "(e.g. the weekly one)."
    )


def test_plan_fails_when_the_weekly_rule_is_continuous() -> None:
    (message,) = check_one(
        backup_plan_continuous_retention_limit, PLAN, with_rules({}, {"enableContinuousBackup": True})
    )
    assert message.startswith("Rule 'weekly' keeps continuous backups 90 days, but AWS keeps point-in-time backups")


def test_plan_accepts_35_days_of_continuous_backup() -> None:
    assert (
        check_one(backup_plan_continuous_retention_limit, PLAN, with_rules({"lifecycle": {"deleteAfter": 35.0}}, {}))
        == []
    )


def test_plan_retention_minimums_are_configurable() -> None:
    props = plan_props()
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, props, config={"minDailyRetentionDays": 35})
    assert message.startswith("The daily rule 'daily' (30 days) keeps recovery points less than 35 days")
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, props, config={"minWeeklyRetentionDays": 365.0})
    assert message.startswith("The weekly rule 'weekly' (90 days) keeps recovery points less than 365 days")
    shorter = with_rules({"lifecycle": {"deleteAfter": 7.0}}, {"lifecycle": {"deleteAfter": 28.0}})
    config = {"minDailyRetentionDays": 7.0, "minWeeklyRetentionDays": 28}
    assert check_one(backup_plan_daily_and_weekly, PLAN, shorter, config=config) == []


@pytest.mark.parametrize(
    "schedule", ["cron(0 5 ? * * *)", "cron(0 */4 * * ? *)", "cron(30 1 * * * *)", "CRON(0 2 * * ? *)"]
)
def test_plan_recognises_every_daily_schedule(schedule: str) -> None:
    assert check_one(backup_plan_daily_and_weekly, PLAN, with_rules({"schedule": schedule}, {})) == []


@pytest.mark.parametrize(
    "schedule",
    ["cron(0 2 1 * ? *)", "cron(0 2 * 1 ? *)", "cron(0 2 * * ? 2030)", "rate(1 day)", "cron(0 2 * *)", "", None],
    ids=["monthly", "january", "one-year", "rate", "five-fields", "empty", "unset"],
)
def test_plan_does_not_count_a_rule_that_is_not_daily(schedule: str | None) -> None:
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, with_rules({"schedule": schedule}, {}))
    assert message.startswith("The plan has no daily rule")


@pytest.mark.parametrize("schedule", ["cron(0 3 ? * 1 *)", "cron(0 3 ? * sat *)", "cron(15 23 ? * WED *)"])
def test_plan_recognises_every_weekly_schedule(schedule: str) -> None:
    assert check_one(backup_plan_daily_and_weekly, PLAN, with_rules({}, {"schedule": schedule})) == []


@pytest.mark.parametrize("schedule", ["cron(0 3 ? * MON-FRI *)", "cron(0 3 ? * SUN#1 *)", "cron(0 3 1 * ? *)"])
def test_plan_does_not_count_a_rule_that_is_not_weekly(schedule: str) -> None:
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, with_rules({}, {"schedule": schedule}))
    assert message.startswith("The plan has no weekly rule")


def test_plan_accepts_a_daily_rule_among_others() -> None:
    props = plan_props()
    props["rules"].insert(0, {**props["rules"][0], "ruleName": "hourly", "schedule": "cron(0 * * * ? *)"})
    props["rules"][0]["lifecycle"] = {"deleteAfter": 2.0}
    assert check_one(backup_plan_daily_and_weekly, PLAN, props) == []


def test_plan_reports_a_schedule_unknown_during_preview_instead_of_a_missing_rule() -> None:
    (message,) = check_one(backup_plan_daily_and_weekly, PLAN, with_rules({"schedule": UNKNOWN_STRING_VALUE}, {}))
    assert message == unknown_message("Rule 'daily''s schedule", 'a cron expression such as "cron(0 2 * * ? *)"')


def test_plan_reports_a_retention_unknown_during_preview_and_still_judges_the_other_rule() -> None:
    props = with_rules({"lifecycle": {"deleteAfter": UNKNOWN_NUMBER_VALUE}}, {"lifecycle": {"deleteAfter": 30.0}})
    messages = check_one(backup_plan_daily_and_weekly, PLAN, props)
    assert messages == [
        unknown_message("Rule 'daily''s lifecycle.delete_after", "a number of days"),
        "The weekly rule 'weekly' (30 days) keeps recovery points less than 90 days, or for no set time: set "
        "lifecycle.delete_after to 90 or more.",
    ]


def test_plan_reports_continuous_backup_unknown_during_preview() -> None:
    props = with_rules({"enableContinuousBackup": UNKNOWN_BOOLEAN_VALUE}, {})
    assert check_one(backup_plan_continuous_retention_limit, PLAN, props) == [
        unknown_message("Rule 'daily''s enable_continuous_backup", "True or False")
    ]
    assert check_one(backup_plan_daily_and_weekly, PLAN, props) == []


def test_the_continuous_limit_reports_a_retention_unknown_during_preview() -> None:
    props = with_rules({"lifecycle": {"deleteAfter": UNKNOWN_NUMBER_VALUE}}, {})
    assert check_one(backup_plan_continuous_retention_limit, PLAN, props) == [
        unknown_message("Rule 'daily''s lifecycle.delete_after", "a number of days")
    ]


def test_the_daily_and_weekly_rule_does_not_judge_the_continuous_limit() -> None:
    assert check_one(backup_plan_daily_and_weekly, PLAN, with_rules({"lifecycle": {"deleteAfter": 40.0}}, {})) == []


@pytest.mark.parametrize("policy", [backup_plan_daily_and_weekly, backup_plan_continuous_retention_limit])
def test_plan_reports_rules_unknown_during_preview(policy: ResourceValidationPolicy) -> None:
    props = {**plan_props(), "rules": UNKNOWN_STRING_VALUE}
    assert check_one(policy, PLAN, props) == [unknown_message("rules", "a literal list of plan rules")]


def test_plan_decides_during_a_preview_when_vault_names_and_arns_are_unknown() -> None:
    assert check_one(backup_plan_daily_and_weekly, PLAN, _unknown_references(plan_props())) == []
    props = _unknown_references(with_rules({"lifecycle": {"deleteAfter": 7.0}}, {}))
    assert len(check_one(backup_plan_daily_and_weekly, PLAN, props)) == 1


def test_plan_names_rules_without_a_name_by_position() -> None:
    props = with_rules({"ruleName": None, "lifecycle": {"deleteAfter": 40.0}}, {})
    (message,) = check_one(backup_plan_continuous_retention_limit, PLAN, props)
    assert message.startswith("Rule #1 keeps continuous backups 40 days")


# -- aws-backup-copies-to-another-region -------------------------------------------------------------------------------
COPY_FIX = (
    "copy_actions=[{destination_vault_arn: <vault>.arn, lifecycle: {delete_after: 30}}], where <vault> is an "
    "aws.backup.Vault of this program created with the disaster-recovery region's provider."
)


def test_copies_fail_when_the_daily_rule_copies_nowhere() -> None:
    resources = stack()
    plan_rule(resources, "daily").pop("copyActions")
    ((urn, message),) = check(backup_copies_to_another_region, resources)
    assert urn == "urn:plan"
    assert message == (
        "The daily rule 'daily' copies its recovery points nowhere, so a regional outage takes the backups with it: "
        "add " + COPY_FIX
    )


def test_copies_fail_when_the_dr_vault_is_in_the_plans_region() -> None:
    resources = stack()
    find(resources, "urn:vault:dr").region = MAIN
    ((urn, message),) = check(backup_copies_to_another_region, resources)
    assert urn == "urn:plan"
    assert message == (
        "The daily rule 'daily' copies to no vault of this stack outside us-east-1, the plan's region: set " + COPY_FIX
    )


@pytest.mark.parametrize("region", [None, UNKNOWN_STRING_VALUE], ids=["no-provider", "unknown-region"])
def test_copies_fail_when_the_dr_vault_cannot_be_shown_to_be_elsewhere(region: str | None) -> None:
    resources = stack()
    find(resources, "urn:vault:dr").region = region
    ((_, message),) = check(backup_copies_to_another_region, resources)
    assert message.startswith("The daily rule 'daily' copies to no vault of this stack outside us-east-1")


@pytest.mark.parametrize("region", [None, UNKNOWN_STRING_VALUE], ids=["no-provider", "unknown-region"])
def test_copies_fail_when_the_plan_has_no_known_region(region: str | None) -> None:
    resources = stack()
    find(resources, "urn:plan").region = region
    ((urn, message),) = check(backup_copies_to_another_region, resources)
    assert urn == "urn:plan"
    where = "has no provider" if region is None else "has no known region"
    assert message.startswith(f"The plan {where}")
    assert message.endswith(
        "so the daily rule 'daily''s copies cannot be shown to leave its region: create the plan with an explicit "
        "aws.Provider whose region is set."
    )


def test_copies_fail_when_the_destination_vault_is_not_in_the_stack() -> None:
    resources = stack()
    find(resources, "urn:plan").deps["rules"] = ["urn:vault:main"]
    assert urns(check(backup_copies_to_another_region, resources)) == ["urn:plan"]


def test_copies_do_not_count_the_rules_own_target_vault() -> None:
    resources = stack()
    find(resources, "urn:vault:dr").props["name"] = "webstack-prod"
    assert urns(check(backup_copies_to_another_region, resources)) == ["urn:plan"]


def test_copies_do_not_count_a_dependency_that_is_not_a_vault() -> None:
    resources = stack()
    find(resources, "urn:plan").deps["rules"] = ["urn:vault:main", "urn:key:dr"]
    assert urns(check(backup_copies_to_another_region, resources)) == ["urn:plan"]


def test_copies_of_the_weekly_rule_do_not_stand_in_for_the_daily_rule() -> None:
    resources = stack()
    plan_rule(resources, "daily")["copyActions"] = []
    assert urns(check(backup_copies_to_another_region, resources)) == ["urn:plan"]


def test_copies_fail_without_a_daily_rule() -> None:
    resources = stack()
    find(resources, "urn:plan").props["rules"].pop(0)
    ((_, message),) = check(backup_copies_to_another_region, resources)
    assert message.startswith("The plan has no daily rule whose recovery points could be copied to another region:")


def test_copies_are_judged_per_plan() -> None:
    resources = stack()
    second = copy.deepcopy(find(resources, "urn:plan"))
    second.urn = "urn:plan-2"
    second.props["rules"][0]["copyActions"] = []
    assert urns(check(backup_copies_to_another_region, [*resources, second])) == ["urn:plan-2"]


def test_copies_report_a_schedule_unknown_during_preview() -> None:
    resources = stack()
    plan_rule(resources, "daily")["schedule"] = UNKNOWN_STRING_VALUE
    assert check(backup_copies_to_another_region, resources) == [
        ("urn:plan", unknown_message("Rule 'daily''s schedule", 'a cron expression such as "cron(0 2 * * ? *)"'))
    ]


def test_copies_report_copy_actions_unknown_during_preview() -> None:
    resources = stack()
    plan_rule(resources, "daily")["copyActions"] = UNKNOWN_STRING_VALUE
    assert check(backup_copies_to_another_region, resources) == [
        ("urn:plan", unknown_message("Rule 'daily''s copy_actions", "a literal list of copy actions"))
    ]


def test_copies_still_fail_during_a_preview() -> None:
    resources = previewed(stack())
    find(resources, "urn:vault:dr").region = MAIN
    assert urns(check(backup_copies_to_another_region, resources)) == ["urn:plan"]


# -- aws-backup-vault-customer-key -------------------------------------------------------------------------------------
def test_vault_fails_without_a_key() -> None:
    (message,) = check_one(backup_vault_customer_key, VAULT, {"name": "webstack-prod"})
    assert message == (
        "kms_key_arn is not set, so the vault encrypts recovery points under the AWS-managed key aws/backup, whose "
        "policy you do not control: set kms_key_arn to a customer-managed KMS key's ARN (this replaces the vault; "
        "move or copy its recovery points first)."
    )


@pytest.mark.parametrize("key", ["alias/aws/backup", arn("kms", MAIN, "alias/aws/backup")])
def test_vault_fails_with_the_aws_managed_key(key: str) -> None:
    (message,) = check_one(backup_vault_customer_key, VAULT, {"name": "v", "kmsKeyArn": key})
    assert message.startswith(f"kms_key_arn names the AWS-managed key {key}, whose policy you do not control:")


def test_vault_passes_a_key_unknown_during_preview() -> None:
    assert check_one(backup_vault_customer_key, VAULT, {"name": "v", "kmsKeyArn": UNKNOWN_STRING_VALUE}) == []


# -- aws-rds-covered-by-backup-plan ------------------------------------------------------------------------------------
def test_coverage_fails_for_the_primary_that_no_selection_names() -> None:
    resources = stack()
    find(resources, "urn:selection").deps["resources"].remove("urn:db:shard-1-primary")
    ((urn, message),) = check(rds_covered_by_backup_plan, resources)
    assert urn == "urn:db:shard-1-primary"
    assert message == (
        "This RDS primary is not in any AWS Backup selection: add its .arn to the resources of an "
        "aws.backup.Selection whose plan_id is an aws.backup.Plan of this program (daily and weekly rules, copies in "
        "the DR region)."
    )


@pytest.mark.parametrize("bucket_type", [BUCKET, BUCKET_V2], ids=["v7", "v2"])
def test_coverage_fails_for_the_documents_bucket_when_no_selection_names_it(bucket_type: str) -> None:
    resources = stack(bucket_type=bucket_type)
    find(resources, "urn:selection").deps["resources"].remove("urn:bucket:documents")
    ((urn, message),) = check(rds_covered_by_backup_plan, resources)
    assert urn == "urn:bucket:documents"
    assert message.startswith("This bucket tagged webstack:role=documents is not in any AWS Backup selection:")


def test_coverage_fails_when_the_selections_plan_is_not_in_the_stack() -> None:
    resources = stack(shards=1)
    find(resources, "urn:selection").deps["planId"] = []
    found = check(rds_covered_by_backup_plan, resources)
    assert urns(found) == ["urn:db:shard-0-primary", "urn:bucket:documents"]
    assert found[0][1] == (
        "This RDS primary is selected only by a backup selection whose plan is not one of this stack's, so the pack "
        "cannot check the schedule: pass plan_id=<a aws.backup.Plan of this program>.id on the aws.backup.Selection."
    )


def test_coverage_joins_through_dependencies_not_arns() -> None:
    """The selection's resources list the primary's ARN, but without a dependency the rule cannot tell."""
    resources = stack(shards=1)
    find(resources, "urn:selection").deps["resources"] = ["urn:bucket:documents"]
    assert urns(check(rds_covered_by_backup_plan, resources)) == ["urn:db:shard-0-primary"]


def test_coverage_accepts_several_selections() -> None:
    resources = stack(shards=2)
    selection = find(resources, "urn:selection")
    second = copy.deepcopy(selection)
    second.urn = "urn:selection-2"
    selection.deps["resources"] = ["urn:db:shard-0-primary"]
    second.deps["resources"] = ["urn:db:shard-1-primary", "urn:bucket:documents"]
    assert check(rds_covered_by_backup_plan, [*resources, second]) == []


def test_coverage_needs_no_selection_for_replicas_backups_buckets_or_log_sinks() -> None:
    resources = stack(shards=1)
    assert {r.urn for r in resources if r.type == INSTANCE} == {"urn:db:shard-0-primary", "urn:db:shard-0-replica"}
    assert "urn:bucket:lb-logs" not in find(resources, "urn:selection").deps["resources"]
    assert check(rds_covered_by_backup_plan, resources) == []


def test_coverage_treats_a_replica_with_an_unknown_source_as_a_replica() -> None:
    resources = stack(shards=1)
    find(resources, "urn:db:shard-0-replica").deps.pop("replicateSourceDb")
    find(resources, "urn:db:shard-0-replica").props["replicateSourceDb"] = UNKNOWN_STRING_VALUE
    assert check(rds_covered_by_backup_plan, resources) == []


def test_coverage_reports_a_bucket_role_unknown_during_preview() -> None:
    resources = stack(shards=1)
    find(resources, "urn:bucket:lb-logs").props["tags"] = {ROLE: UNKNOWN_STRING_VALUE}
    ((urn, message),) = check(rds_covered_by_backup_plan, resources)
    assert urn == "urn:bucket:lb-logs"
    assert message.startswith("The bucket's webstack:role tag is unknown during preview")


# -- aws-backup-restore-testing ----------------------------------------------------------------------------------------
def test_restore_testing_does_not_apply_without_rds_instances() -> None:
    resources = [r for r in stack() if r.type != INSTANCE]
    assert stack_not_applicable(backup_restore_testing, resources) == "the stack has no RDS instances"


def test_restore_testing_reports_once_on_the_stack_without_a_plan() -> None:
    resources = drop(stack(), "urn:restore-plan", "urn:restore-selection")
    assert check(backup_restore_testing, resources) == [
        (
            "",
            "The stack has RDS instances but no restore testing plan, so nobody learns whether the backups restore: "
            'add an aws.backup.RestoreTestingPlan(schedule_expression="cron(0 5 1 * ? *)", '
            "recovery_point_selection=...) and an aws.backup.RestoreTestingSelection("
            'restore_testing_plan_name=<plan>.name, protected_resource_type="RDS", ...).',
        )
    ]


def test_restore_testing_reports_once_on_the_stack_when_no_selection_tests_rds() -> None:
    resources = drop(stack(), "urn:restore-selection")
    ((urn, message),) = check(backup_restore_testing, resources)
    assert urn == ""
    assert message.startswith(
        "No restore testing plan of this stack tests RDS: add an aws.backup.RestoreTestingSelection("
    )


def test_restore_testing_does_not_count_a_selection_of_another_resource_type() -> None:
    resources = stack()
    find(resources, "urn:restore-selection").props["protectedResourceType"] = "S3"
    assert urns(check(backup_restore_testing, resources)) == [""]


def test_restore_testing_accepts_the_resource_type_in_any_case() -> None:
    resources = stack()
    find(resources, "urn:restore-selection").props["protectedResourceType"] = "rds"
    assert check(backup_restore_testing, resources) == []


def test_restore_testing_does_not_count_a_selection_of_a_plan_outside_the_stack() -> None:
    resources = stack()
    find(resources, "urn:restore-selection").deps.pop("restoreTestingPlanName")
    assert urns(check(backup_restore_testing, resources)) == [""]


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 5 1 * ? *)",
        "cron(0 5 28 * ? *)",
        "cron(0 5 L * ? *)",
        "cron(0 5 1,15 * ? *)",
        "cron(0 5 * * ? *)",
        "cron(0 5 ? * MON *)",
        "cron(0 5 ? * MON#1 *)",
        "rate(30 days)",
        "rate(12 hours)",
        "rate(31 days)",
    ],
)
def test_restore_testing_accepts_every_schedule_that_runs_at_least_monthly(schedule: str) -> None:
    resources = stack()
    find(resources, "urn:restore-plan").props["scheduleExpression"] = schedule
    assert check(backup_restore_testing, resources) == []


@pytest.mark.parametrize(
    "schedule",
    [
        "cron(0 5 1 */3 ? *)",
        "cron(0 5 1 1 ? *)",
        "cron(0 5 31 * ? *)",
        "cron(0 5 ? * MON#5 *)",
        "cron(0 5 1 * ? 2030)",
        "rate(60 days)",
        "at(2030-01-01T00:00:00)",
        "",
    ],
)
def test_restore_testing_fails_on_the_plan_for_a_schedule_less_than_monthly(schedule: str) -> None:
    resources = stack()
    find(resources, "urn:restore-plan").props["scheduleExpression"] = schedule
    ((urn, message),) = check(backup_restore_testing, resources)
    assert urn == "urn:restore-plan"
    assert message == (
        f"The restore testing plan runs on '{schedule or 'no schedule'}', which is not at least monthly: set "
        'schedule_expression="cron(0 5 1 * ? *)" (or more often; a day of the month every month has, or a rate of at '
        "most 31 days)."
    )


def test_restore_testing_reports_a_schedule_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:restore-plan").props["scheduleExpression"] = UNKNOWN_STRING_VALUE
    assert check(backup_restore_testing, resources) == [
        ("urn:restore-plan", unknown_message("schedule_expression", 'a cron expression such as "cron(0 5 1 * ? *)"'))
    ]


def test_restore_testing_reports_a_resource_type_unknown_during_preview_instead_of_a_missing_test() -> None:
    resources = stack()
    find(resources, "urn:restore-selection").props["protectedResourceType"] = UNKNOWN_STRING_VALUE
    assert check(backup_restore_testing, resources) == [
        ("urn:restore-selection", unknown_message("protected_resource_type", '"RDS"'))
    ]


# -- aws-s3-backups-replicated-to-another-region -----------------------------------------------------------------------
def test_replication_fails_on_the_backups_bucket_without_one() -> None:
    """Without the replication, the DR bucket (also tagged backups) is no longer a replica: it needs one too."""
    resources = drop(stack(), "urn:replication:backups")
    found = check(s3_backups_replicated_to_another_region, resources)
    assert urns(found) == ["urn:bucket:backups", "urn:bucket:backups-dr"]
    message = found[0][1]
    assert message.startswith(
        "The backups bucket is not replicated to another region, so a regional outage takes the backups with it: "
        "add an aws.s3.BucketReplicationConfig(bucket=<this bucket>.id, role=<replication role>.arn, rules=["
    )


@pytest.mark.parametrize("status", ["Disabled", None])
def test_replication_fails_without_an_enabled_rule(status: str | None) -> None:
    resources = stack()
    rule = find(resources, "urn:replication:backups").props["rules"][0]
    if status is None:
        rule.pop("status")
    else:
        rule["status"] = status
    ((urn, message),) = check(s3_backups_replicated_to_another_region, resources)
    assert urn == "urn:replication:backups"
    assert message == (
        'The replication configuration has no rule with status "Enabled", so nothing is copied: set status="Enabled" '
        "on its rule."
    )


def test_replication_fails_when_the_destination_is_in_the_same_region() -> None:
    resources = stack()
    find(resources, "urn:bucket:backups-dr").region = MAIN
    ((urn, message),) = check(s3_backups_replicated_to_another_region, resources)
    assert urn == "urn:replication:backups"
    assert message == (
        "The replication copies to no bucket of this stack outside us-east-1, the source's region: set "
        "rules[].destination.bucket to the .arn of an aws.s3.Bucket created with the disaster-recovery region's "
        "provider."
    )


@pytest.mark.parametrize("region", [None, UNKNOWN_STRING_VALUE], ids=["no-provider", "unknown-region"])
def test_replication_fails_when_the_destination_cannot_be_shown_to_be_elsewhere(region: str | None) -> None:
    resources = stack()
    find(resources, "urn:bucket:backups-dr").region = region
    assert urns(check(s3_backups_replicated_to_another_region, resources)) == ["urn:replication:backups"]


def test_replication_fails_when_the_destination_is_not_in_the_stack() -> None:
    resources = stack()
    find(resources, "urn:replication:backups").deps["rules"] = ["urn:key:dr"]
    assert sorted(urns(check(s3_backups_replicated_to_another_region, resources))) == [
        "urn:bucket:backups-dr",
        "urn:replication:backups",
    ]


def test_replication_does_not_count_the_source_as_its_own_destination() -> None:
    resources = stack()
    find(resources, "urn:bucket:backups").region = DR
    find(resources, "urn:bucket:backups-dr").region = DR
    find(resources, "urn:replication:backups").deps["rules"] = ["urn:bucket:backups"]
    assert sorted(urns(check(s3_backups_replicated_to_another_region, resources))) == [
        "urn:bucket:backups-dr",
        "urn:replication:backups",
    ]


def test_replication_fails_when_the_source_has_no_known_region() -> None:
    resources = stack()
    find(resources, "urn:bucket:backups").region = None
    ((urn, message),) = check(s3_backups_replicated_to_another_region, resources)
    assert urn == "urn:replication:backups"
    assert message.startswith("The backups bucket has no provider, so its replica cannot be shown to be in another")


def test_replication_fails_on_the_source_when_it_is_not_versioned() -> None:
    resources = drop(stack(), "urn:versioning:backups")
    ((urn, message),) = check(s3_backups_replicated_to_another_region, resources)
    assert urn == "urn:bucket:backups"
    assert message.startswith("The backups bucket is not versioned, and S3 replicates only from versioned buckets:")


@pytest.mark.parametrize("status", ["Suspended", None])
def test_replication_fails_when_the_destination_is_not_versioned(status: str | None) -> None:
    resources = stack()
    if status is None:
        resources = drop(resources, "urn:versioning:backups-dr")
    else:
        find(resources, "urn:versioning:backups-dr").props["versioningConfiguration"]["status"] = status
    ((urn, message),) = check(s3_backups_replicated_to_another_region, resources)
    assert urn == "urn:replication:backups"
    assert message.startswith("The replica bucket in another region is not versioned, and S3 replicates only between")


def test_replication_is_required_of_backups_buckets_only() -> None:
    resources = drop(stack(), "urn:replication:backups")
    for urn in ("urn:bucket:backups", "urn:bucket:backups-dr"):
        find(resources, urn).props["tags"] = {ROLE: "documents"}
    assert check(s3_backups_replicated_to_another_region, resources) == []


def test_replication_is_not_required_of_the_replica_which_is_the_copy() -> None:
    resources = stack()
    assert find(resources, "urn:bucket:backups-dr").props["tags"] == {ROLE: "backups"}
    assert check(s3_backups_replicated_to_another_region, resources) == []
    find(resources, "urn:replication:backups").deps["rules"] = ["urn:key:dr"]
    assert sorted(urns(check(s3_backups_replicated_to_another_region, resources))) == [
        "urn:bucket:backups-dr",
        "urn:replication:backups",
    ]


def test_replication_is_required_of_every_backups_bucket() -> None:
    resources = [*stack(), *bucket("exports", "backups")]
    assert urns(check(s3_backups_replicated_to_another_region, resources)) == ["urn:bucket:exports"]


def test_replication_reports_a_status_unknown_during_preview() -> None:
    resources = stack()
    find(resources, "urn:replication:backups").props["rules"][0]["status"] = UNKNOWN_STRING_VALUE
    assert check(s3_backups_replicated_to_another_region, resources) == [
        ("urn:replication:backups", unknown_message("rules[].status", '"Enabled"'))
    ]


def test_replication_still_fails_during_a_preview() -> None:
    resources = previewed(stack())
    find(resources, "urn:bucket:backups-dr").region = MAIN
    assert urns(check(s3_backups_replicated_to_another_region, resources)) == ["urn:replication:backups"]


# -- aws-rds-backups-replicated-to-another-region ----------------------------------------------------------------------
def test_rds_replication_fails_for_the_primary_without_one() -> None:
    resources = drop(stack(), "urn:db-backups-replication:1")
    ((urn, message),) = check(rds_backups_replicated_to_another_region, resources)
    assert urn == "urn:db:shard-1-primary"
    assert message.startswith(
        "This primary's automated backups are not replicated to another region, so point-in-time recovery is lost "
        "with the region: add an aws.rds.InstanceAutomatedBackupsReplication(source_db_instance_arn=<this "
        "instance>.arn"
    )


def test_rds_replication_of_another_primary_does_not_count() -> None:
    resources = stack()
    find(resources, "urn:db-backups-replication:1").deps["sourceDbInstanceArn"] = ["urn:db:shard-0-primary"]
    assert urns(check(rds_backups_replicated_to_another_region, resources)) == ["urn:db:shard-1-primary"]


def test_rds_replication_fails_within_the_primarys_region() -> None:
    resources = stack()
    find(resources, "urn:db-backups-replication:0").region = MAIN
    ((urn, message),) = check(rds_backups_replicated_to_another_region, resources)
    assert urn == "urn:db-backups-replication:0"
    assert message == (
        "The backups are replicated within us-east-1, the primary's own region: create the "
        "aws.rds.InstanceAutomatedBackupsReplication with the disaster-recovery region's provider."
    )


@pytest.mark.parametrize("region", [None, UNKNOWN_STRING_VALUE], ids=["no-provider", "unknown-region"])
def test_rds_replication_fails_when_it_cannot_be_shown_to_be_elsewhere(region: str | None) -> None:
    resources = stack()
    find(resources, "urn:db-backups-replication:0").region = region
    ((urn, message),) = check(rds_backups_replicated_to_another_region, resources)
    assert urn == "urn:db-backups-replication:0"
    assert message.startswith("The backups replication has no")


def test_rds_replication_fails_when_the_primary_has_no_known_region() -> None:
    resources = stack(shards=1)
    find(resources, "urn:db:shard-0-primary").region = None
    ((_, message),) = check(rds_backups_replicated_to_another_region, resources)
    assert message.startswith("The primary has no provider, so its replicated backups cannot be shown to be elsewhere")


@pytest.mark.parametrize("key", [None, ""])
def test_rds_replication_fails_without_a_kms_key(key: str | None) -> None:
    resources = stack()
    replication = find(resources, "urn:db-backups-replication:1")
    if key is None:
        replication.props.pop("kmsKeyId")
    else:
        replication.props["kmsKeyId"] = key
    ((urn, message),) = check(rds_backups_replicated_to_another_region, resources)
    assert urn == "urn:db-backups-replication:1"
    assert message.startswith("The replicated backups name no kms_key_id: set kms_key_id to a customer-managed KMS")


def test_rds_replication_passes_when_one_of_two_replications_is_right() -> None:
    resources = stack(shards=1)
    wrong = copy.deepcopy(find(resources, "urn:db-backups-replication:0"))
    wrong.urn, wrong.region = "urn:db-backups-replication:same-region", MAIN
    assert check(rds_backups_replicated_to_another_region, [*resources, wrong]) == []


def test_rds_replication_is_not_required_of_replicas() -> None:
    resources = stack(shards=1)
    assert check(rds_backups_replicated_to_another_region, resources) == []
    assert find(resources, "urn:db:shard-0-replica").type == INSTANCE
