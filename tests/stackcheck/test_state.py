"""``python -m stackcheck STACK --state FILE``: a ``pulumi stack export`` document evaluated instead of a run.

The fixture is a small hand-written prod export in the real version 3 format: the root stack with a ciphertext
output, a default aws provider with default tags, a network component with a VPC, its flow log and a security group,
an RDS instance whose password is a ciphertext, and a bucket pending deletion. No program runs for ``--state``, so
the CLI is called in process; only the round trip runs the prod program (once, in a subprocess).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
from policies.rules._props import UNKNOWN
from stackcheck import report
from stackcheck.cli import main
from stackcheck.engine.evaluate import PolicySetting, evaluate, load_policy_config, resolve_settings
from stackcheck.engine.resources import REDACTED, SECRET_SIG, SECRET_SIG_KEY, is_secret
from stackcheck.engine.run import RunResult
from stackcheck.engine.state import StateFileError, load_export, parse_export
from tests.conftest import ROOT
from tests.stackcheck.export import FAKE_CIPHERTEXT, export_document

FIXTURE = Path(__file__).parent / "fixtures" / "prod-export.json"
URN = "urn:pulumi:prod::webstack::"
PROVIDER_URN = f"{URN}pulumi:providers:aws::default_7_0_0"
PROVIDER_REF = f"{PROVIDER_URN}::5f0c7a3e-8d1b-4c2e-9a6f-2b3c4d5e6f70"
NETWORK = f"{URN}webstack:aws:Network::network"
VPC = f"{URN}webstack:aws:Network$aws:ec2/vpc:Vpc::network-vpc"
FLOW_LOG = f"{URN}webstack:aws:Network$aws:ec2/flowLog:FlowLog::network-flow-log"
GROUP = f"{URN}webstack:aws:Network$aws:ec2/securityGroup:SecurityGroup::network-app-sg"
DB = f"{URN}aws:rds/instance:Instance::db"
#: A --show-secrets plaintext made up for these tests; it must never be printed.
PLAINTEXT = "not-a-real-password-4711"


def fixture() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text())


def resource_entry(doc: dict[str, Any], urn: str) -> dict[str, Any]:
    (entry,) = [r for r in doc["deployment"]["resources"] if r["urn"] == urn]
    return entry


def write(tmp_path: Path, doc: Any, name: str = "export.json") -> Path:
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def leaks(text: str) -> list[str]:
    """Ciphertexts, secret signatures and the --show-secrets plaintext found in printed output."""
    markers = ["ciphertext", "v1:ZmFrZQ==", FAKE_CIPHERTEXT, PLAINTEXT, SECRET_SIG]
    return [marker for marker in markers if marker in text]


# -- loading -----------------------------------------------------------------------------------------------------------
def test_the_export_loads_as_the_resources_a_run_records() -> None:
    result = load_export(FIXTURE, "prod", "webstack")
    assert (result.project, result.stack) == ("webstack", "prod")
    assert [level for level, _ in result.log] == ["info"]
    # The root stack is not a resource of the result, and the bucket pending deletion is left out.
    assert [r.urn for r in result.resources] == [PROVIDER_URN, NETWORK, VPC, FLOW_LOG, GROUP, DB]
    by_urn = {r.urn: r for r in result.resources}
    assert [r.name for r in result.resources] == [
        "default_7_0_0",
        "network",
        "network-vpc",
        "network-flow-log",
        "network-app-sg",
        "db",
    ]
    vpc, flow_log, group, db = by_urn[VPC], by_urn[FLOW_LOG], by_urn[GROUP], by_urn[DB]
    assert (vpc.custom, vpc.id, vpc.parent, vpc.provider, vpc.protect) == (
        True,
        "vpc-0a1b2c3d4e5f60718",
        NETWORK,
        PROVIDER_REF,
        True,
    )
    assert vpc.provider_urn == PROVIDER_URN
    assert vpc.dependencies == []
    assert flow_log.dependencies == [VPC]
    assert flow_log.property_dependencies["vpcId"] == [VPC]
    assert flow_log.ignore_changes == ["tags"]
    assert (flow_log.protect, flow_log.delete_before_replace) == (False, False)
    assert group.delete_before_replace is True
    assert group.aliases == [f"{URN}aws:ec2/securityGroup:SecurityGroup::network-app-sg"]
    assert (db.retain_on_delete, db.additional_secret_outputs) == (True, ["password"])
    assert by_urn[NETWORK].custom is False
    assert by_urn[NETWORK].inputs == {"azCount": 3}
    assert by_urn[PROVIDER_URN].inputs["region"] == "us-east-1"
    # Resources and outputs of the export, not of a run: the state's outputs carry what the cloud computed.
    assert "arn" not in vpc.inputs
    assert vpc.outputs["arn"] == "arn:aws:ec2:us-east-1:123456789012:vpc/vpc-0a1b2c3d4e5f60718"
    assert result.outputs["url"] == "https://app.example.org"
    assert result.secret_outputs == {"dbPassword"}


def test_every_secret_becomes_a_secret_whose_value_is_unknown() -> None:
    result = load_export(FIXTURE, "prod")
    db = {r.urn: r for r in result.resources}[DB]
    assert db.inputs["password"] == {SECRET_SIG_KEY: SECRET_SIG, "value": UNKNOWN_STRING_VALUE}
    assert is_secret(db.outputs["password"])
    assert db.outputs["password"]["value"] == UNKNOWN_STRING_VALUE
    assert result.outputs["dbPassword"] == REDACTED
    assert is_secret(result.outputs["database"]["dsn"])
    assert result.outputs["database"]["endpoint"].endswith(":5432")
    assert result.secret_values == set()
    assert "ciphertext" not in repr(result)
    assert "ZmFrZ" not in repr(result)


def test_a_show_secrets_plaintext_is_redacted_and_scrubbed_everywhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = fixture()
    credentials = json.dumps({"username": "app", "password": PLAINTEXT})
    db = resource_entry(doc, DB)
    db["inputs"]["password"] = {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(PLAINTEXT)}
    stack = resource_entry(doc, f"{URN}pulumi:pulumi:Stack::webstack-prod")
    stack["outputs"]["credentials"] = {SECRET_SIG_KEY: SECRET_SIG, "plaintext": json.dumps(credentials)}
    # The same text outside a secret, as a careless output would hold it: scrubbed from it too.
    stack["outputs"]["note"] = f"the password is {PLAINTEXT}"
    path = write(tmp_path, doc)

    result = load_export(path, "prod")
    assert {r.urn: r for r in result.resources}[DB].inputs["password"]["value"] == UNKNOWN_STRING_VALUE
    assert PLAINTEXT in result.secret_values
    assert result.secret_outputs == {"dbPassword", "credentials"}

    code, out, err = run(capsys, "prod", "--state", str(path))
    assert (code, err) == (1, "")
    assert "  note: the password is [secret]" in out
    assert "  credentials: [secret]" in out
    assert leaks(out) == []
    code, out, _ = run(capsys, "prod", "--state", str(path), "--json")
    doc_out = json.loads(out)
    assert doc_out["outputs"]["note"] == "the password is [secret]"
    assert doc_out["outputs"]["credentials"] == REDACTED
    assert leaks(out) == []


# -- what the rules see ------------------------------------------------------------------------------------------------
def test_resource_rules_see_inputs_and_stack_rules_see_outputs_of_custom_resources_and_inputs_of_components() -> None:
    seen: dict[str, dict[str, Any]] = {}

    def readable(props: Any) -> dict[str, Any]:
        """Every property, an unknown one (a secret from state) as UNKNOWN."""
        found: dict[str, Any] = {}
        for key in props:
            try:
                found[key] = props[key]
            except UnknownValueError:
                found[key] = UNKNOWN
        return found

    def resource_probe(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        seen[f"resource {args.urn}"] = {
            "props": readable(args.props),
            "provider": args.provider.props.get("region") if args.provider else None,
        }

    def stack_probe(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for r in args.resources:
            seen[f"stack {r.urn}"] = {"props": readable(r.props), "parent": r.parent.urn if r.parent else None}

    policies = [
        ResourceValidationPolicy("probe-resources", "Sees resources.", resource_probe),
        StackValidationPolicy("probe-stack", "Sees the stack.", stack_probe),
    ]
    settings = {p.name: PolicySetting(EnforcementLevel.ADVISORY, {}) for p in policies}
    evaluate(load_export(FIXTURE, "prod").resources, policies, settings)

    db = seen[f"resource {DB}"]
    assert db["props"]["password"] is UNKNOWN
    assert db["props"]["username"] == "webstack_admin"
    assert "arn" not in db["props"]
    assert db["provider"] == "us-east-1"
    assert seen[f"resource {VPC}"]["props"]["tags"] == {"Name": "webstack-prod"}
    assert f"resource {NETWORK}" not in seen

    stack_db = seen[f"stack {DB}"]
    assert stack_db["props"]["password"] is UNKNOWN
    assert stack_db["props"]["arn"] == "arn:aws:rds:us-east-1:123456789012:db:webstack-db"
    assert seen[f"stack {VPC}"]["props"]["tagsAll"]["Stack"] == "prod"
    assert seen[f"stack {VPC}"]["parent"] == NETWORK
    assert seen[f"stack {NETWORK}"]["props"] == {"azCount": 3}
    assert not any(urn.endswith("::old-uploads") or "pulumi:Stack" in urn for urn in seen)


# -- the command line --------------------------------------------------------------------------------------------------
FLOW_LOGS_ONLY = {"all": "advisory", "aws-vpc-flow-logs-enabled": "mandatory", "aws-required-tags": "mandatory"}


def test_the_text_report_has_the_shape_of_a_run_and_shows_secrets_as_secret(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "prod", "--state", str(FIXTURE))
    # prod's enforcement: the hand-written database breaks many mandatory rules.
    assert (code, err) == (1, "")
    assert out.startswith("stackcheck webstack/prod: 6 resources, ")
    for line in (
        "Inventory",
        "  network (webstack:aws:Network): 3",
        "       1  aws:ec2/flowLog:FlowLog",
        "  (stack): 2",
        "Policies",
        "  mandatory  aws-vpc-flow-logs-enabled ",
        "Violations",
        "  [mandatory] aws-rds-multi-az: ",
        f"      {DB}",
        "Outputs",
        "  dbPassword: [secret]",
        "  database: {'endpoint': 'webstack-db.cabcdef012345.us-east-1.rds.amazonaws.com:5432', 'dsn': '[secret]'}",
    ):
        assert any(printed.startswith(line) for printed in out.splitlines()), line
    assert "stay encrypted" in out.split("\nMessages\n")[1]
    assert "old-uploads" not in out
    assert leaks(out) == []


def test_the_json_document_has_the_shape_of_a_run_and_says_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "prod", "--state", str(FIXTURE), "--json")
    doc = json.loads(out)
    assert code == doc["summary"]["exitCode"] == 1
    program_shape = report.document(RunResult("webstack", "prod", [], {}, set(), set()), [], [])
    assert set(doc) == set(program_shape)
    assert (doc["source"], program_shape["source"]) == ("state", "program")
    assert (doc["stack"], doc["project"]) == ("prod", "webstack")
    (db,) = [r for r in doc["resources"] if r["urn"] == DB]
    assert db["inputs"]["password"] == REDACTED
    assert db["provider"] == PROVIDER_REF
    assert db["protect"] is True
    assert doc["outputs"] == {
        "database": {"endpoint": "webstack-db.cabcdef012345.us-east-1.rds.amazonaws.com:5432", "dsn": REDACTED},
        "dbPassword": REDACTED,
        "url": "https://app.example.org",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
    }
    assert doc["summary"]["resources"] == 6
    assert doc["summary"]["customResources"] == 5
    assert doc["summary"]["violations"]["mandatory"] == len(doc["violations"]) > 0
    assert len(doc["policies"]) == len(ALL_POLICIES)
    assert leaks(out) == []


def test_no_mandatory_violation_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, FLOW_LOGS_ONLY, "gate.json")
    code, out, _ = run(capsys, "prod", "--state", str(FIXTURE), "--policy-config", str(config), "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["summary"]["violations"]["mandatory"] == 0
    assert doc["summary"]["violations"]["advisory"] > 0
    outcomes = {p["name"]: p for p in doc["policies"]}
    # The flow log depends on the VPC; the provider's default tags tag every resource.
    assert (
        outcomes["aws-vpc-flow-logs-enabled"]["enforcementLevel"],
        outcomes["aws-vpc-flow-logs-enabled"]["violations"],
    ) == ("mandatory", 0)
    assert outcomes["aws-required-tags"]["violations"] == 0


@pytest.mark.parametrize(
    ("change", "policy", "urn"),
    [
        (
            lambda doc: doc["deployment"]["resources"].remove(resource_entry(doc, FLOW_LOG)),
            "aws-vpc-flow-logs-enabled",
            VPC,
        ),
        (
            lambda doc: resource_entry(doc, PROVIDER_URN)["inputs"].pop("defaultTags"),
            "aws-required-tags",
            VPC,
        ),
    ],
    ids=["no-flow-log", "no-default-tags"],
)
def test_a_mandatory_violation_in_the_state_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, policy: str, urn: str
) -> None:
    doc = fixture()
    change(doc)
    config = write(tmp_path, FLOW_LOGS_ONLY, "gate.json")
    code, out, _ = run(capsys, "prod", "--state", str(write(tmp_path, doc)), "--policy-config", str(config), "--json")
    assert code == 1
    mandatory = [(v["policy"], v["urn"]) for v in json.loads(out)["violations"] if v["enforcementLevel"] == "mandatory"]
    assert (policy, urn) in mandatory
    assert {p for p, _ in mandatory} == {policy}


def test_an_empty_stack_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = fixture()
    doc["deployment"]["resources"] = [resource_entry(doc, f"{URN}pulumi:pulumi:Stack::webstack-prod")]
    del doc["deployment"]["resources"][0]["outputs"]
    for resources in (doc["deployment"]["resources"], [], None):
        doc["deployment"]["resources"] = resources
        code, out, err = run(capsys, "prod", "--state", str(write(tmp_path, doc)), "--json")
        result = json.loads(out)
        assert (code, err) == (0, "")
        assert (result["resources"], result["outputs"], result["violations"]) == ([], {}, [])
        assert result["project"] == "webstack"


def test_unknown_fields_and_resource_references_are_tolerated() -> None:
    doc = fixture()
    doc["deployment"]["newDeploymentField"] = {"anything": True}
    group = resource_entry(doc, GROUP)
    group["someFutureField"] = [1, 2]
    group["inputs"]["vpcId"] = {
        SECRET_SIG_KEY: "5cf8f73096256a8f31e491e813e4eb8e",
        "urn": VPC,
        "id": "vpc-0a1b2c3d4e5f60718",
    }
    result = parse_export(doc, "prod", "webstack")
    assert {r.urn: r for r in result.resources}[GROUP].inputs["vpcId"] == "vpc-0a1b2c3d4e5f60718"


# -- bad input ---------------------------------------------------------------------------------------------------------
def _drop(key: str) -> Any:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        del doc[key]
        return doc

    return change


def _set(path: tuple[str | int, ...], value: Any) -> Any:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        target: Any = doc
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return doc

    return change


def _drop_field(index: int, key: str) -> Any:
    def change(doc: dict[str, Any]) -> dict[str, Any]:
        del doc["deployment"]["resources"][index][key]
        return doc

    return change


def _other_project(doc: dict[str, Any]) -> str:
    return json.dumps(doc).replace("::webstack::", "::shop::")


BAD: list[tuple[str, Any, str]] = [
    (
        "invalid-json",
        lambda doc: json.dumps(doc)[:-2],
        "export.json is not valid JSON: Expecting ',' delimiter: line 1 ",
    ),
    ("not-an-object", lambda doc: [doc], "export.json is not a `pulumi stack export` document: expected a JSON object"),
    (
        "no-deployment",
        _drop("deployment"),
        "export.json has no deployment object: is it the output of `pulumi stack export`?",
    ),
    (
        "version-2",
        _set(("version",), 2),
        "export.json is a version 2 export; stackcheck reads `pulumi stack export` version 3",
    ),
    ("no-version", _drop("version"), "export.json has no version; stackcheck reads `pulumi stack export` version 3"),
    (
        "resources-not-a-list",
        _set(("deployment", "resources"), {"urn": "x"}),
        "export.json: deployment.resources must be a list, got an object",
    ),
    ("resource-without-urn", _drop_field(2, "urn"), "export.json: deployment.resources[2] has no urn"),
    (
        "resource-without-type",
        _drop_field(3, "type"),
        f"export.json: deployment.resources[3] ({VPC}) has no type",
    ),
    (
        "malformed-urn",
        _set(("deployment", "resources", 1, "urn"), "vpc-123"),
        "export.json: deployment.resources[1] has a malformed urn 'vpc-123'",
    ),
    (
        "inputs-not-an-object",
        _set(("deployment", "resources", 3, "inputs"), ["cidrBlock"]),
        "export.json: deployment.resources[3]: inputs must be an object, got a list",
    ),
    (
        "other-project",
        _other_project,
        "export.json is an export of project 'shop', but Pulumi.yaml names project 'webstack'",
    ),
]


@pytest.mark.parametrize(("change", "message"), [(c, m) for _, c, m in BAD], ids=[i for i, _, _ in BAD])
def test_a_bad_export_exits_2_with_one_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    path = write(tmp_path, change(fixture()))
    with pytest.raises(StateFileError) as raised:
        load_export(path, "prod", "webstack")
    assert str(raised.value).startswith(message)
    code, out, err = run(capsys, "prod", "--state", str(path))
    assert (code, out) == (2, "")
    assert err.strip() == str(raised.value)
    assert len(err.strip().splitlines()) == 1
    code, out, err = run(capsys, "prod", "--state", str(path), "--json")
    doc = json.loads(out)
    assert code == doc["summary"]["exitCode"] == 2
    assert doc["error"] == err.strip()
    assert doc["resources"] == []


def test_a_missing_export_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "prod-state.json"
    assert run(capsys, "prod", "--state", str(missing)) == (2, "", f"{missing} does not exist\n")


def test_an_export_of_another_stack_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write(tmp_path, {}, "defaults.json")
    code, out, err = run(capsys, "staging", "--state", str(FIXTURE), "--policy-config", str(config))
    assert (code, out) == (2, "")
    assert err == "prod-export.json is an export of stack 'prod', not 'staging'\n"


# -- the round trip ----------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def prod_state(prod_run: RunResult, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    doc = export_document(prod_run.resources, prod_run.outputs, prod_run.secret_outputs, "webstack", "prod")
    path = tmp_path_factory.mktemp("state") / "prod-state.json"
    path.write_text(json.dumps(doc))
    return load_export(path, "prod", "webstack")


def prod_settings() -> dict[str, PolicySetting]:
    return resolve_settings(
        ALL_POLICIES, load_policy_config(ROOT / "policies" / "config" / "prod.json"), PACK_ENFORCEMENT_LEVEL
    )


def test_the_export_helper_writes_the_real_format(prod_run: RunResult) -> None:
    doc = export_document(prod_run.resources, prod_run.outputs, {"url"}, "webstack", "prod")
    assert doc["version"] == 3
    assert set(doc["deployment"]) == {"manifest", "secrets_providers", "resources"}
    root, *resources = doc["deployment"]["resources"]
    assert (root["urn"], root["type"], root["custom"]) == (
        f"{URN}pulumi:pulumi:Stack::webstack-prod",
        "pulumi:pulumi:Stack",
        False,
    )
    assert root["outputs"]["url"] == {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": FAKE_CIPHERTEXT}
    assert len(resources) == len(prod_run.resources)
    (cache,) = [r for r in resources if r["urn"].endswith("::cache-group")]
    assert cache["inputs"]["authToken"] == {SECRET_SIG_KEY: SECRET_SIG, "ciphertext": FAKE_CIPHERTEXT}
    assert all(r["custom"] is False or r["id"] for r in resources)
    # Nothing of a secret's value is kept.
    rendered = json.dumps(doc)
    assert not [s for s in prod_run.secret_values if len(s) >= 8 and s in rendered]


def test_prod_from_its_export_gives_the_same_outcomes_as_the_run(prod_run: RunResult, prod_state: RunResult) -> None:
    settings = prod_settings()
    run_outcomes, run_violations = evaluate(prod_run.resources, ALL_POLICIES, settings)
    state_outcomes, state_violations = evaluate(prod_state.resources, ALL_POLICIES, settings)
    assert run_violations == []
    assert state_violations == []
    assert state_outcomes == run_outcomes
    # The secrets stay encrypted, and the run says that rules could not read them.
    assert prod_state.log
    assert "stay encrypted" in prod_state.log[0][1]

    # Every other part of the report is the same: resources (secrets shown as "[secret]"), outputs and inventory.
    run_doc = report.document(prod_run, run_outcomes, run_violations)
    state_doc = report.document(prod_state, state_outcomes, state_violations, source="state")
    for key in ("stack", "project", "resources", "outputs"):
        assert state_doc[key] == run_doc[key], key
    assert {k: v for k, v in state_doc["summary"].items() if k not in ("violations", "exitCode")} == {
        k: v for k, v in run_doc["summary"].items() if k not in ("violations", "exitCode")
    }
    run_text = report.text(prod_run, run_outcomes, run_violations)
    state_text = report.text(prod_state, state_outcomes, state_violations)
    assert state_text.split("\nPolicies\n")[0].split("\n", 1)[1] == run_text.split("\nPolicies\n")[0].split("\n", 1)[1]
    assert state_text.split("\nOutputs\n")[1] == run_text.split("\nOutputs\n")[1]
    assert leaks(state_text + json.dumps(state_doc)) == []


def test_prod_from_its_export_has_no_violation(prod_state: RunResult) -> None:
    _, violations = evaluate(prod_state.resources, ALL_POLICIES, prod_settings())
    assert violations == []
