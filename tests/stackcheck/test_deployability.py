"""The deployability check catches one planted problem of each kind, and the real stacks deploy.

Every planted problem is chosen from AWS's data as cfn-lint ships it (a handler's permission, a property's enum, a
deprecated engine version), so the tests hold the check against that data rather than against our own constants.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from stackcheck.deployability import check, data, permissions, services, values
from stackcheck.deployability.arns import StackView, matches_catalogue
from stackcheck.deployability.types import TYPES, compute, databases, network, observability, security, storage
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import RecordedResource
from tests.conftest import ROOT, stackcheck_json

REGION, DR_REGION = "us-east-1", "us-west-2"
TOPIC = "aws:sns/topic:Topic"


def resource(typ: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:pulumi:prod::webstack::{typ}::{name}",
        type=typ,
        name=name,
        custom=True,
        parent="",
        provider="",
        protect=False,
        dependencies=[],
        property_dependencies={},
        inputs=inputs,
        outputs={**inputs, **(outputs or {})},
        id=str((outputs or {}).get("id", f"{name}-id")),
    )


def topic(name: str = "webstack-prod-alerts-critical") -> RecordedResource:
    arn = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
    return resource(TOPIC, name, {"name": name}, {"arn": arn, "id": arn})


def roles() -> dict[str, dict[str, Any]]:
    return permissions.load_roles(ROOT, stack="prod", region=REGION, dr_region=DR_REGION)


def problems_for(resources: list[RecordedResource], documents: dict[str, Any]) -> list[permissions.Problem]:
    view = StackView(resources, REGION)
    return permissions.check_resources(view, documents, resources).problems


def drop_action(document: dict[str, Any], action: str) -> None:
    for statement in document["Statement"]:
        if isinstance(statement.get("Action"), list) and action in statement["Action"]:
            statement["Action"].remove(action)


def test_the_roles_allow_everything_a_topic_needs() -> None:
    assert problems_for([topic()], roles()) == []


def test_a_missing_action_is_reported_with_the_handler_that_needs_it() -> None:
    needed = data.schema("AWS::SNS::Topic")["handlers"]["create"]["permissions"]
    assert "sns:CreateTopic" in needed
    documents = roles()
    drop_action(documents["deploy"], "sns:CreateTopic")
    found = problems_for([topic()], documents)
    assert [(p.kind, p.value.split(" on ")[0]) for p in found] == [("missing-action", "sns:CreateTopic")]
    assert "AWS::SNS::Topic" in found[0].source
    assert found[0].urn.endswith("::webstack-prod-alerts-critical")


def test_a_scoped_action_on_another_arn_is_reported_with_the_arns_it_is_scoped_to() -> None:
    found = problems_for([topic("billing-alerts")], roles())
    wrong = [p for p in found if p.kind == "wrong-arn"]
    assert wrong, found
    assert any(f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:billing-alerts" in p.value for p in wrong)
    assert all(f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:webstack-prod-*" in p.rule for p in wrong)


def test_a_service_linked_role_the_deploy_role_cannot_create_is_reported() -> None:
    database = resource("aws:rds/instance:Instance", "database-shard-0-primary", {"engine": "postgres"})
    (feature,) = services.features_of(database)
    assert feature.service_linked_roles == (("rds.amazonaws.com", "AWSServiceRoleForRDS"),)
    documents = roles()
    for statement in documents["deploy"]["Statement"]:
        if statement.get("Sid") == "CreateServiceLinkedRoles":
            statement["Condition"]["StringEquals"]["iam:AWSServiceName"].remove("rds.amazonaws.com")
    found = [p for p in problems_for([database], documents) if p.kind == "missing-service-linked-role"]
    assert len(found) == 1
    assert "aws-service-role/rds.amazonaws.com/AWSServiceRoleForRDS for rds.amazonaws.com" in found[0].value


def test_a_role_passed_to_a_service_it_does_not_trust_is_reported() -> None:
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/web-frontend-task-role-0a1b2c3"
    role = resource(
        "aws:iam/role:Role", "web-frontend-task-role", {"assumeRolePolicy": json.dumps(trust)}, {"arn": role_arn}
    )
    task = resource(
        "aws:ecs/taskDefinition:TaskDefinition",
        "web-frontend-task",
        {"family": "webstack-prod-frontend", "taskRoleArn": role_arn},
        {"arn": f"arn:aws:ecs:{REGION}:{ACCOUNT_ID}:task-definition/webstack-prod-frontend:1"},
    )
    found = [p for p in problems_for([role, task], roles()) if p.kind == "missing-pass-role"]
    assert found
    assert all("for lambda.amazonaws.com" in p.value for p in found)


def alarm(**inputs: Any) -> RecordedResource:
    return resource(
        "aws:cloudwatch/metricAlarm:MetricAlarm", "monitoring-high", {"name": "webstack-prod-high", **inputs}
    )


def test_a_value_outside_its_enum_is_reported_with_the_property_it_maps_to() -> None:
    operators = data.schema("AWS::CloudWatch::Alarm")["properties"]["ComparisonOperator"]["enum"]
    assert "GreaterThanThreshold" in operators
    assert "Bigger" not in operators
    good = alarm(comparisonOperator="GreaterThanThreshold")
    bad = alarm(comparisonOperator="Bigger")
    assert values.check(StackView([good], REGION), [good]).problems == []
    (problem,) = values.check(StackView([bad], REGION), [bad]).problems
    assert problem.value == "comparisonOperator = Bigger"
    assert "GreaterThanThreshold" in problem.rule
    assert "AWS::CloudWatch::Alarm" in problem.source


def test_a_value_against_its_pattern_is_reported() -> None:
    pattern = data.schema("AWS::RDS::DBInstance")["properties"]["DBInstanceIdentifier"]["pattern"]
    bad = resource("aws:rds/instance:Instance", "db", {"identifier": "1-starts-with-a-digit"})
    found = [p for p in values.check(StackView([bad], REGION), [bad]).problems if p.kind == "value"]
    assert [(p.value, p.rule) for p in found] == [
        ("identifier = 1-starts-with-a-digit", f"must match the pattern {pattern}")
    ]


def deprecated_postgres_version() -> str:
    for block in data.extension("aws_rds_dbinstance", "engine_version_deprecated")["allOf"]:
        condition = block["if"]["properties"]
        if condition["Engine"].get("const") == "postgres":
            return next(v for v in condition["EngineVersion"]["enum"] if "." in v)
    raise AssertionError("cfn-lint lists deprecated postgres versions")


def test_a_deprecated_engine_version_is_reported_from_cfn_lint_data() -> None:
    version = deprecated_postgres_version()
    bad = resource(
        "aws:rds/instance:Instance",
        "db",
        {"engine": "postgres", "engineVersion": version, "instanceClass": "db.m7g.large"},
    )
    found = [p for p in values.check(StackView([bad], REGION), [bad]).problems if p.kind == "curated-value"]
    assert [p.source for p in found] == [
        "cfn-lint schemas/extensions/aws_rds_dbinstance/engine_version_deprecated.json"
    ]
    assert version in found[0].value


def mysql_versions() -> list[str]:
    for block in data.extension("aws_rds_dbinstance", "engine_version")["allOf"]:
        condition = block["if"]["properties"]
        if condition["Engine"].get("const") == "mysql":
            return list(block["then"]["properties"]["EngineVersion"]["enum"])
    raise AssertionError("cfn-lint lists mysql versions")


@pytest.mark.parametrize("engine_version", ["8.0", "8.4"])
def test_a_version_prefix_rds_takes_is_accepted_while_cfn_lint_lists_a_version_under_it(engine_version: str) -> None:
    assert engine_version not in mysql_versions()
    assert any(v.startswith(f"{engine_version}.") for v in mysql_versions())
    db = resource(
        "aws:rds/instance:Instance",
        "db",
        {"engine": "mysql", "engineVersion": engine_version, "instanceClass": "db.m7g.large"},
    )
    assert [p for p in values.check(StackView([db], REGION), [db]).problems if p.kind == "curated-value"] == []


def test_a_version_prefix_with_no_version_under_it_is_reported() -> None:
    assert not any(v.startswith("8.9.") for v in mysql_versions())
    db = resource(
        "aws:rds/instance:Instance", "db", {"engine": "mysql", "engineVersion": "8.9", "instanceClass": "db.m7g.large"}
    )
    found = [p for p in values.check(StackView([db], REGION), [db]).problems if p.kind == "curated-value"]
    assert [p.source for p in found] == ["cfn-lint schemas/extensions/aws_rds_dbinstance/engine_version.json"]


def test_a_deprecated_synthetics_runtime_is_reported() -> None:
    runtime, day = next(iter(services.SYNTHETICS_DEPRECATED.items()))
    bad = resource("aws:synthetics/canary:Canary", "uptime", {"name": "webstack-prod-up", "runtimeVersion": runtime})
    found = [p for p in values.check(StackView([bad], REGION), [bad]).problems if p.kind == "curated-value"]
    assert [p.value for p in found] == [f"runtimeVersion {runtime}"]
    assert day in found[0].rule
    assert found[0].source == services.SYNTHETICS_RUNTIME_POLICY


def test_a_preview_role_that_writes_is_reported() -> None:
    assert data.access_level("sns:CreateTopic") == "Write"
    documents = roles()
    assert permissions.check_documents(documents).problems == []
    documents["preview"]["Statement"][0]["Action"].append("sns:CreateTopic")
    (problem,) = permissions.check_documents(documents).problems
    assert (problem.kind, problem.value) == (
        "preview-writes",
        "sns:createtopic (Write) in statement ReadWhatTheStacksDeploy",
    )


def test_an_action_not_in_the_catalogue_is_reported() -> None:
    assert "createtopick" not in data.catalogue_actions("sns")
    documents = copy.deepcopy(roles())
    documents["deploy"]["Statement"][0]["Action"].append("sns:CreateTopick")
    (problem,) = permissions.check_documents(documents).problems
    assert problem.kind == "unknown-action"
    assert problem.value.startswith("sns:CreateTopick")


# -- the real stacks ---------------------------------------------------------------------------------------------------
def test_every_arn_built_for_prod_has_the_shape_aws_documents(prod_run: Any) -> None:
    view = StackView(prod_run.resources, REGION)
    built = [view.identity(r) for r in view.resources]
    assert sum(t is not None for t in built) > 300
    wrong = sorted({t.arn for t in built if t is not None and not matches_catalogue(t)})
    assert not wrong, wrong


def test_every_registered_type_is_in_the_table_and_most_map_to_cloudformation(prod_run: Any) -> None:
    result = check(prod_run.resources, root=ROOT, stack="prod", region=REGION, dr_region=DR_REGION)
    assert result.types_total == len({r.type for r in prod_run.resources if r.custom and r.type.startswith("aws:")})
    assert result.types_mapped / result.types_total >= 0.95
    assert set(result.unmapped) <= {t for t, e in TYPES.items() if e.kind == "none"}
    assert result.actions_checked > 1000
    assert result.values_checked > 1000


def test_each_type_is_in_one_service_familys_table_only() -> None:
    tables = [compute.TYPES, databases.TYPES, network.TYPES, observability.TYPES, security.TYPES, storage.TYPES]
    assert sum(len(table) for table in tables) == len(TYPES)


#: What prod reports until the restore-testing service-linked role is granted (another change of issue 16).
EXPECTED_ELSEWHERE = {("missing-service-linked-role", "restore-testing.backup.amazonaws.com")}


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_stacks_report_their_deployability_section(stack: str) -> None:
    code, document = stackcheck_json(stack)
    section = document["deployability"]
    assert section["types"]["mapped"] / section["types"]["total"] >= 0.95
    remaining = {
        (p["kind"], service)
        for p in section["problems"]
        for service in ("restore-testing.backup.amazonaws.com",)
        if service in p["value"]
    }
    unexpected = [p for p in section["problems"] if not any(s in p["value"] for _, s in EXPECTED_ELSEWHERE)]
    assert not unexpected, unexpected
    assert remaining <= EXPECTED_ELSEWHERE
    assert code == (1 if section["problems"] else 0)
    assert document["summary"]["deployabilityProblems"] == len(section["problems"])


def test_the_local_stack_has_no_deployability_section() -> None:
    code, document = stackcheck_json("local")
    assert code == 0
    assert document["deployability"] is None
