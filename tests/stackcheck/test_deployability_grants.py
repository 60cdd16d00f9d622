"""The resource-policy check plants one policy mistake at a time into prod and sees the service's request refused.

Each request follows a service's documentation (cited in ``stackcheck/deployability/grants.py``): CloudWatch alarms
publish as ``cloudwatch.amazonaws.com`` with ``aws:SourceAccount``/``aws:SourceArn``; EventBridge publishes with no
condition keys at all; Alertmanager also reads the topic's attributes; CloudWatch Logs encrypts with the log group's
ARN as encryption context; S3 delivers access logs as ``logging.s3.amazonaws.com`` under the target prefix, into
SSE-S3 buckets only; ELB delivers as its region's account; services use keys for the account through
``kms:ViaService``; a role that replicates must not be denied by the bucket policies.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from stackcheck.deployability import grants, permissions, resource_policies
from stackcheck.deployability.arns import StackView
from stackcheck.deployability.permissions import Problem
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import RecordedResource
from tests.conftest import ROOT
from tests.stackcheck.planting import named, planted, without
from tests.stackcheck.test_deployability import resource

REGION, DR_REGION = "us-east-1", "us-west-2"


def roles(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, dict[str, Any]]:
    documents = permissions.load_roles(ROOT, stack="prod", region=REGION, dr_region=DR_REGION)
    if change is not None:
        change(documents["deploy"])
    return documents


def problems(resources: list[RecordedResource], documents: dict[str, Any] | None = None) -> list[Problem]:
    return resource_policies.check(StackView(resources, REGION), documents or roles()).problems


def edit_policy(key: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    """Change the JSON policy document held in the input ``key``."""

    def edit(inputs: dict[str, Any]) -> None:
        document = json.loads(inputs[key])
        change(document)
        inputs[key] = json.dumps(document)

    return edit


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in document["Statement"] if s.get("Sid") == sid]
    return found


def grant_names(found: list[Problem]) -> set[str]:
    return {p.rule.split(":", 1)[0] for p in found}


def test_prods_resource_policies_admit_every_request_its_services_make(prod_run: Any) -> None:
    tally = resource_policies.check(StackView(prod_run.resources, REGION), roles())
    assert tally.problems == []
    assert tally.checked > 500


def test_a_condition_on_eventbridges_statements_refuses_it(prod_run: Any) -> None:
    def hold_to_the_account(document: dict[str, Any]) -> None:
        statement(document, "EventBridgePublishes")["Condition"] = {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}

    found = problems(planted(prod_run, "alerts-critical-policy", edit_policy("policy", hold_to_the_account)))
    assert [(p.urn.rsplit("::", 1)[-1], p.value.split(" on ")[0]) for p in found] == [
        ("backups-failed-jobs", "events.amazonaws.com sns:Publish")
    ]
    assert found[0].rule == "eventbridge-rule-publishes: the topic policy does not allow it"
    assert "eb-use-resource-based" in found[0].source


def test_alertmanager_without_the_topics_attributes_is_refused(prod_run: Any) -> None:
    def publish_only(document: dict[str, Any]) -> None:
        statement(document, "AlertmanagerPublishes")["Action"] = "sns:Publish"

    (problem,) = problems(planted(prod_run, "alerts-warning-policy", edit_policy("policy", publish_only)))
    assert problem.value.startswith("aps.amazonaws.com sns:GetTopicAttributes on arn:aws:sns:")
    assert "'aws:SourceArn': 'arn:aws:aps:us-east-1:" in problem.value
    assert "AMP-alertmanager-receiver-AMPpermission" in problem.source


def test_an_alarm_on_a_topic_whose_key_does_not_admit_cloudwatch_is_reported(prod_run: Any) -> None:
    def other_publishers(document: dict[str, Any]) -> None:
        services = statement(document, "AlertingServicesPublishToEncryptedTopics")["Principal"]["Service"]
        services.remove("cloudwatch.amazonaws.com")

    found = problems(planted(prod_run, "keys-alerts", edit_policy("policy", other_publishers)))
    assert grant_names(found) == {"cloudwatch-alarm-encrypts"}
    alarms = {p.urn for p in found}
    assert len(alarms) == len([r for r in prod_run.resources if r.type in resource_policies.ALARM_TYPES])
    assert {p.value.split(" on ")[0] for p in found} == {
        "cloudwatch.amazonaws.com kms:GenerateDataKey",
        "cloudwatch.amazonaws.com kms:Decrypt",
    }


def test_a_topic_without_a_policy_of_its_own_refuses_eventbridge_only(prod_run: Any) -> None:
    # SNS's default policy admits the owner's account through AWS:SourceOwner, which EventBridge does not send.
    found = problems(without(list(prod_run.resources), "alerts-critical-policy"))
    assert grant_names(found) == {"eventbridge-rule-publishes"}


def test_a_log_key_held_to_another_regions_log_groups_refuses_cloudwatch_logs(prod_run: Any) -> None:
    def elsewhere(document: dict[str, Any]) -> None:
        condition = statement(document, "CloudWatchLogsEncryptsLogGroups")["Condition"]["ArnLike"]
        condition["kms:EncryptionContext:aws:logs:arn"] = f"arn:aws:logs:eu-west-1:{ACCOUNT_ID}:log-group:*"

    found = problems(planted(prod_run, "keys-logs", edit_policy("policy", elsewhere)))
    groups = [r for r in prod_run.resources if r.type == resource_policies.LOG_GROUP and r.inputs.get("kmsKeyId")]
    assert len({p.urn for p in found}) == len(groups)
    assert all(p.value.startswith(f"logs.{REGION}.amazonaws.com kms:") for p in found)
    assert all("kms:EncryptionContext:aws:logs:arn" in p.value for p in found)


def test_a_log_group_encrypted_with_a_key_of_another_region_is_reported(prod_run: Any) -> None:
    dr_key = named(prod_run.resources, "dr-keys-backups")

    def with_the_dr_key(inputs: dict[str, Any]) -> None:
        inputs["kmsKeyId"] = dr_key.outputs["arn"]

    found = problems(planted(prod_run, "edge-waf-logs", with_the_dr_key))
    assert any("the key is in us-west-2" in p.rule for p in found)


def test_access_logs_outside_the_prefix_the_log_bucket_admits_are_reported(prod_run: Any) -> None:
    def elsewhere(inputs: dict[str, Any]) -> None:
        inputs["targetPrefix"] = "logs/documents/"

    (problem,) = problems(planted(prod_run, "storage-documents-access-logging", elsewhere))
    assert problem.value.startswith("logging.s3.amazonaws.com s3:PutObject on arn:aws:s3:::webstack-prod-access-logs")
    assert "'aws:SourceArn': 'arn:aws:s3:::webstack-prod-documents-" in problem.value


def test_a_log_bucket_encrypted_with_kms_is_reported(prod_run: Any) -> None:
    def with_kms(inputs: dict[str, Any]) -> None:
        inputs["rules"][0]["applyServerSideEncryptionByDefault"] = {"sseAlgorithm": "aws:kms"}

    found = problems(planted(prod_run, "access-logs-bucket-encryption", with_kms))
    assert found
    assert all(p.rule.endswith("encrypts by default with SSE-S3 (AES256) only") for p in found)


def test_alb_logs_the_regions_elb_account_may_not_write_are_reported(prod_run: Any) -> None:
    def service_principal_only(document: dict[str, Any]) -> None:
        document["Statement"].remove(statement(document, "ElbLogDeliveryAccount"))

    found = problems(planted(prod_run, "edge-logs-policy", edit_policy("policy", service_principal_only)))
    # us-east-1 predates August 2022: its ELB account delivers, not the log-delivery service principal.
    assert {p.value.split(" on ")[0] for p in found} == {"arn:aws:iam::127311923021:root s3:PutObject"}
    assert len(found) == 2  # access logs and connection logs


def test_a_vault_key_that_backup_may_not_use_is_reported(prod_run: Any) -> None:
    def without_backup(document: dict[str, Any]) -> None:
        via = statement(document, "AccountUsesTheKeyThroughItsServices")["Condition"]["StringEquals"]
        via["kms:ViaService"] = [s for s in via["kms:ViaService"] if not s.startswith("backup.")]

    found = problems(planted(prod_run, "keys-backups", edit_policy("policy", without_backup)))
    assert grant_names(found) == {"backup-encrypts-vault"}
    assert all("'kms:ViaService': 'backup.us-east-1.amazonaws.com'" in p.value for p in found)


def test_a_replica_bucket_that_denies_the_replication_role_is_reported(prod_run: Any) -> None:
    def deny_everyone_else(document: dict[str, Any]) -> None:
        deny = statement(document, "OnlyBackupsAndReplicationTouchDocuments")
        deny["Condition"]["StringNotEquals"]["aws:PrincipalArn"] = [f"arn:aws:iam::{ACCOUNT_ID}:role/someone"]

    found = problems(planted(prod_run, "backups-documents-replica-policy", edit_policy("policy", deny_everyone_else)))
    assert grant_names(found) == {"s3-replication-writes-replica"}
    assert {p.value.split(" on ")[0].split()[-1] for p in found} == {
        "s3:ReplicateObject",
        "s3:ReplicateDelete",
        "s3:ReplicateTags",
    }


def test_vended_logs_need_a_policy_or_a_deploy_role_that_lets_cloudwatch_logs_write_one(prod_run: Any) -> None:
    resources = without(list(prod_run.resources), "edge-waf-log-delivery")
    assert problems(resources) == []  # CloudWatch Logs creates the policy: the deploy role may let it

    def no_resource_policies(document: dict[str, Any]) -> None:
        document["Statement"].append(
            {"Effect": "Deny", "Action": "logs:PutResourcePolicy", "Resource": "*", "Sid": "NoLogPolicies"}
        )

    found = problems(resources, roles(no_resource_policies))
    assert {p.urn.rsplit("::", 1)[-1] for p in found} == {"edge-waf-logging", "cache-group"}
    assert all("may not let CloudWatch Logs create one" in p.rule for p in found)


def test_sns_invokes_a_subscribed_function_only_with_its_permission() -> None:
    topic_arn = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:webstack-prod-alerts-critical"
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:webstack-prod-alert-webhook"
    topic = resource("aws:sns/topic:Topic", "alerts-critical", {"name": "webstack-prod-alerts-critical"}, {
        "arn": topic_arn, "id": topic_arn
    })  # fmt: skip
    function = resource("aws:lambda/function:Function", "webhook", {"name": "webstack-prod-alert-webhook"}, {
        "arn": function_arn, "id": "webstack-prod-alert-webhook"
    })  # fmt: skip
    subscription = resource(
        "aws:sns/topicSubscription:TopicSubscription",
        "webhook-critical",
        {"topic": topic_arn, "protocol": "lambda", "endpoint": function_arn},
    )

    def permission(source: str) -> RecordedResource:
        return resource(
            "aws:lambda/permission:Permission",
            "webhook-critical-invoke",
            {
                "action": "lambda:InvokeFunction",
                "function": "webstack-prod-alert-webhook",
                "principal": "sns.amazonaws.com",
                "sourceArn": source,
            },
        )

    assert problems([topic, function, subscription, permission(topic_arn)]) == []
    (problem,) = problems([topic, function, subscription, permission(topic_arn.replace("critical", "warning"))])
    assert problem.value.startswith(f"sns.amazonaws.com lambda:InvokeFunction on {function_arn}")
    assert problem.rule == "sns-invokes-subscribed-function: the function's permissions does not allow it"


@pytest.mark.parametrize("name", sorted(grants.GRANTS))
def test_every_grant_cites_a_page_and_names_what_it_asks(name: str) -> None:
    grant = grants.GRANTS[name]
    assert grant.source.startswith("https://docs.aws.amazon.com/")
    assert grant.actions
    assert (grant.principal == "account") == bool(grant.via)
