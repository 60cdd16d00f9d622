"""Reports: secrets never appear, exit codes follow the violations."""

from __future__ import annotations

import json

from stackcheck.engine.evaluate import Outcome, Violation
from stackcheck.engine.resources import SECRET_SIG, SECRET_SIG_KEY, RecordedResource
from stackcheck.engine.run import RunResult
from stackcheck.report import document, exit_code, text

SECRET = "correct-horse-battery"


def resource(urn: str, type_: str, parent: str = "", custom: bool = True, **inputs: object) -> RecordedResource:
    return RecordedResource(urn, type_, urn.rsplit("::", 1)[-1], custom, parent, "", False, [], {}, dict(inputs))


RESOURCES = [
    resource("urn:s::p::pulumi:providers:aws::aws", "pulumi:providers:aws", region="us-east-1"),
    resource("urn:s::p::webstack:aws:Data::data", "webstack:aws:Data", custom=False),
    resource(
        "urn:s::p::webstack:aws:Data$webstack:aws:Part::part",
        "webstack:aws:Part",
        "urn:s::p::webstack:aws:Data::data",
        False,
    ),
    resource(
        "urn:s::p::webstack:aws:Data$webstack:aws:Part$aws:rds/instance:Instance::db",
        "aws:rds/instance:Instance",
        "urn:s::p::webstack:aws:Data$webstack:aws:Part::part",
        password={SECRET_SIG_KEY: SECRET_SIG, "value": SECRET},
        username="app",
    ),
]
RESULT = RunResult(
    project="webstack",
    stack="prod",
    resources=RESOURCES,
    outputs={"endpoint": "db.example", "dsn": f"postgres://app:{SECRET}@db", "note": f"uses {SECRET}"},
    secret_outputs={"dsn"},
    secret_values={SECRET},
)
OUTCOMES = [Outcome("p", "Checks that p.", "resource", "mandatory", "high", 1)]
VIOLATIONS = [Violation("p", "mandatory", RESOURCES[-1].urn, f"password {SECRET} is a default")]


def test_no_secret_appears_in_the_json_document() -> None:
    doc = document(RESULT, OUTCOMES, VIOLATIONS)
    rendered = json.dumps(doc)
    assert SECRET not in rendered
    db = doc["resources"][-1]
    assert db["inputs"] == {"password": "[secret]", "username": "app"}
    assert doc["outputs"] == {"dsn": "[secret]", "endpoint": "db.example", "note": "uses [secret]"}
    assert doc["violations"][0]["message"] == "password [secret] is a default"


def test_no_secret_appears_in_the_text_report() -> None:
    report = text(RESULT, OUTCOMES, VIOLATIONS)
    assert SECRET not in report
    assert "[mandatory] p: password [secret] is a default" in report


def test_the_document_has_every_documented_field() -> None:
    doc = document(RESULT, OUTCOMES, VIOLATIONS)
    assert set(doc) == {
        "stack", "project", "source", "resources", "outputs", "policies", "violations", "deployability",
        "architecture", "summary"
    }  # fmt: skip
    assert doc["source"] == "program"
    assert set(doc["resources"][0]) == {
        "urn",
        "type",
        "name",
        "custom",
        "parent",
        "provider",
        "protect",
        "dependencies",
        "propertyDependencies",
        "inputs",
    }
    assert set(doc["violations"][0]) == {"policy", "enforcementLevel", "urn", "message"}
    assert doc["summary"]["violations"] == {"mandatory": 1, "advisory": 0}
    assert doc["summary"]["exitCode"] == 1


def test_only_mandatory_violations_fail() -> None:
    assert exit_code([]) == 0
    assert exit_code([Violation("p", "advisory", "u", "m")]) == 0
    assert exit_code([Violation("p", "advisory", "u", "m"), Violation("q", "mandatory", "u", "m")]) == 1
