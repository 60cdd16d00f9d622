"""What the stack's features require: the roles services run as, names and settings, service-linked roles and
account prerequisites. Each test plants one broken requirement into prod, each requirement from the service's page
(cited in ``stackcheck/deployability/prerequisites.py`` and ``services.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from stackcheck.deployability import check, permissions, prerequisites, services
from stackcheck.deployability.arns import StackView
from stackcheck.deployability.permissions import Problem
from stackcheck.engine.resources import RecordedResource
from tests.conftest import ROOT
from tests.stackcheck.planting import named, planted
from tests.stackcheck.test_deployability import resource

REGION, DR_REGION = "us-east-1", "us-west-2"


def problems(resources: list[RecordedResource]) -> list[Problem]:
    return prerequisites.check(StackView(resources, REGION)).problems


def edit_policy(change: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def edit(inputs: dict[str, Any]) -> None:
        document = json.loads(inputs["policy"])
        change(document)
        inputs["policy"] = json.dumps(document)

    return edit


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    (found,) = [s for s in document["Statement"] if s.get("Sid") == sid]
    return found


def test_prods_features_have_what_they_require(prod_run: Any) -> None:
    tally = prerequisites.check(StackView(prod_run.resources, REGION))
    assert tally.problems == []
    assert tally.checked > 50


def test_a_canary_role_publishing_outside_the_synthetics_namespace_is_reported(prod_run: Any) -> None:
    def own_namespace(document: dict[str, Any]) -> None:
        condition = statement(document, "PublishCanaryMetrics")["Condition"]["StringEquals"]
        condition["cloudwatch:namespace"] = "webstack-prod"

    (problem,) = problems(planted(prod_run, "monitoring-uptime-policy", edit_policy(own_namespace)))
    assert problem.value.endswith(": cloudwatch:PutMetricData on *")
    assert problem.source.endswith("CloudWatch_Synthetics_Canaries_CanaryPermissions.html")


def test_a_canary_role_that_cannot_write_its_artifacts_is_reported(prod_run: Any) -> None:
    def elsewhere(document: dict[str, Any]) -> None:
        statement(document, "WriteArtifacts")["Resource"] = "arn:aws:s3:::another-bucket/*"

    found = problems(planted(prod_run, "monitoring-uptime-policy", edit_policy(elsewhere)))
    assert sorted(p.value.split(": ", 1)[1].split(" on ")[0] for p in found) == ["s3:GetObject", "s3:PutObject"]


def test_a_role_trusting_another_service_is_reported(prod_run: Any) -> None:
    role = named(prod_run.resources, "monitoring-uptime-role")

    def trust_ecs(inputs: dict[str, Any]) -> None:
        trust = json.loads(inputs["assumeRolePolicy"])
        trust["Statement"][0]["Principal"] = {"Service": "ecs-tasks.amazonaws.com"}
        inputs["assumeRolePolicy"] = json.dumps(trust)

    (problem,) = problems(planted(prod_run, role.name, trust_ecs))
    assert (
        problem.rule == "a canary runs as its execution role: the role must trust lambda.amazonaws.com (sts:AssumeRole)"
    )


def test_a_monitoring_role_without_its_managed_policy_is_reported(prod_run: Any) -> None:
    def attaches_to_shard_0(r: RecordedResource) -> bool:
        attachment = r.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
        return attachment and "database-shard-0-monitoring" in str(r.inputs.get("role"))

    found = problems([r for r in prod_run.resources if not attaches_to_shard_0(r)])
    assert {p.urn.rsplit("::", 1)[-1] for p in found} == {
        "database-shard-0-primary",
        "database-shard-0-replica-0",
        "database-shard-0-replica-1",
    }
    assert all("AmazonRDSEnhancedMonitoringRole" in p.rule for p in found)


def test_a_flow_log_role_that_cannot_describe_its_streams_is_reported(prod_run: Any) -> None:
    def no_describe(document: dict[str, Any]) -> None:
        statement(document, "WriteThisGroupOnly")["Action"].remove("logs:DescribeLogStreams")

    (problem,) = problems(planted(prod_run, "network-flow-logs-write", edit_policy(no_describe)))
    assert ": logs:DescribeLogStreams on arn:aws:logs:us-east-1:" in problem.value


def test_an_execution_role_that_cannot_decrypt_its_secrets_is_reported(prod_run: Any) -> None:
    def s3_only(document: dict[str, Any]) -> None:
        condition = statement(document, "DecryptThemThroughSecretsManager")["Condition"]["StringEquals"]
        condition["kms:ViaService"] = "s3.us-east-1.amazonaws.com"

    found = problems(planted(prod_run, "web-backend-execution-policy", edit_policy(s3_only)))
    assert found
    assert all(": kms:Decrypt on arn:aws:kms:us-east-1:" in p.value for p in found)
    # The migration runs as a task of its own with the backend's execution role and secrets: it cannot start either.
    assert {p.urn.rsplit("::", 1)[-1] for p in found} == {"web-backend-task", "web-backend-migrate-task"}


def test_waf_logging_into_a_log_group_without_the_prefix_is_reported(prod_run: Any) -> None:
    def renamed(inputs: dict[str, Any]) -> None:
        inputs["logDestinationConfigs"] = ["arn:aws:logs:us-east-1:123456789012:log-group:/webstack-prod/waf"]

    (problem,) = problems(planted(prod_run, "edge-waf-logging", renamed))
    assert problem.value == "logs into /webstack-prod/waf"
    assert "aws-waf-logs-" in problem.rule


def test_backing_up_a_bucket_without_versioning_is_reported(prod_run: Any) -> None:
    def suspended(inputs: dict[str, Any]) -> None:
        inputs["versioningConfiguration"]["status"] = "Suspended"

    (problem,) = problems(planted(prod_run, "storage-documents-versioning", suspended))
    assert problem.rule == "AWS Backup backs up S3 buckets with versioning enabled only"


def test_a_backup_role_without_the_s3_backup_policy_is_reported(prod_run: Any) -> None:
    resources = [
        r for r in prod_run.resources if "AWSBackupServiceRolePolicyForS3Backup" not in str(r.inputs.get("policyArn"))
    ]
    (problem,) = problems(resources)
    assert problem.urn.endswith("::backups-selection")
    assert "AWSBackupServiceRolePolicyForS3Backup" in problem.rule


def test_a_replication_role_that_cannot_replicate_deletes_is_reported(prod_run: Any) -> None:
    def no_deletes(document: dict[str, Any]) -> None:
        statement(document, "WriteTheReplicas")["Action"].remove("s3:ReplicateDelete")

    found = problems(planted(prod_run, "backups-replication-policy", edit_policy(no_deletes)))
    assert {p.value.split(": ", 1)[1].split(" on ")[0] for p in found} == {"s3:ReplicateDelete"}
    assert len(found) == 2  # the exports and the documents


# -- account prerequisites and service-linked roles --------------------------------------------------------------------
def region_settings(region_input: dict[str, Any]) -> RecordedResource:
    return resource("aws:backup/regionSettings:RegionSettings", "backups-region", region_input)


def test_the_s3_opt_in_is_no_prerequisite_once_the_stack_opts_s3_in(prod_run: Any) -> None:
    selection = named(prod_run.resources, "backups-selection")
    (opt_in, _) = services.features_of(selection)
    unmanaged = [r for r in prod_run.resources if r.type != "aws:backup/regionSettings:RegionSettings"]
    assert opt_in.needs_prerequisite(StackView(unmanaged, REGION), selection)
    opted = StackView([*unmanaged, region_settings({"resourceTypeOptInPreference": {"S3": True}})], REGION)
    assert not opt_in.needs_prerequisite(opted, selection)
    other = StackView([*unmanaged, region_settings({"resourceTypeOptInPreference": {"RDS": True}})], REGION)
    assert opt_in.needs_prerequisite(other, selection)


def service_linked_services(resources: list[RecordedResource]) -> list[str]:
    return sorted(
        {service for r in resources for f in services.features_of(r) for service, _ in f.service_linked_roles}
    )


@pytest.mark.parametrize(
    "service",
    [
        "backup.amazonaws.com",
        "ecs.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
        "elasticache.amazonaws.com",
        "elasticloadbalancing.amazonaws.com",
        "rds.amazonaws.com",
        "wafv2.amazonaws.com",
    ],
)
def test_each_service_linked_role_prod_runs_as_is_proven_against_the_deploy_role(prod_run: Any, service: str) -> None:
    assert service in service_linked_services(prod_run.resources)
    documents = permissions.load_roles(ROOT, stack="prod", region=REGION, dr_region=DR_REGION)
    for document_statement in documents["deploy"]["Statement"]:
        if document_statement.get("Sid") == "CreateServiceLinkedRoles":
            document_statement["Condition"]["StringEquals"]["iam:AWSServiceName"].remove(service)
    view = StackView(prod_run.resources, REGION)
    found = permissions.check_resources(view, documents, view.resources).problems
    missing = {p.value.rsplit(" for ", 1)[-1] for p in found if p.kind == "missing-service-linked-role"}
    assert service in missing


def test_docs_list_every_prerequisite_and_service_linked_role_the_stacks_need(prod_run: Any) -> None:
    text = (ROOT / "docs" / "deploying.md").read_text()
    result = check(prod_run.resources, root=ROOT, stack="prod", region=REGION, dr_region=DR_REGION)
    for prerequisite in result.prerequisites:
        assert prerequisite["source"] in text, prerequisite
    for service in service_linked_services(prod_run.resources):
        assert f"`{service}`" in text, service
