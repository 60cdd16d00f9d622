"""The compliance report: checklist item -> rules -> status on a stack, its totals, and the copies in docs/."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from policies.rules.checklist import CHECKLIST
from stackcheck.cli import main
from stackcheck.engine.evaluate import Outcome, Violation
from stackcheck.insights.compliance import item_status, markdown, rule_status
from tests.conftest import ROOT, run_stackcheck
from tests.stackcheck.export import export_document


def outcome(name: str = "aws-x", level: str = "mandatory", **fields: Any) -> Outcome:
    base: dict[str, Any] = {
        "description": "Checks that x.",
        "kind": "resource",
        "severity": "high",
        "violations": 0,
        "examined": 3,
        "tags": ("checklist:tls", "fsbp:ELB.17"),
    }
    return Outcome(name=name, enforcement_level=level, **{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, "pass"),
        ({"violations": 2}, "violated"),
        ({"diagnostics": ("can't run during preview: x",)}, "unknown"),
        ({"examined": 0}, "not applicable"),
        ({"not_applicable": "the stack manages no Cloudflare zone", "examined": 4}, "not applicable"),
        ({"level": "disabled", "violations": 0}, "disabled"),
    ],
)
def test_a_rule_status_says_what_the_rule_did(fields: dict[str, Any], expected: str) -> None:
    level = fields.pop("level", "mandatory")
    assert rule_status(outcome(level=level, **fields)) == expected


def test_an_item_is_as_bad_as_its_worst_rule() -> None:
    passing, advisory = outcome("a"), outcome("b", "advisory", violations=1)
    mandatory = outcome("c", violations=1)
    absent = outcome("d", examined=0)
    assert item_status([]) == "outside the pack"
    assert item_status([absent]) == "not applicable"
    assert item_status([passing, absent]) == "pass"
    assert item_status([passing, advisory]) == "advisory"
    assert item_status([advisory, mandatory, passing]) == "violated"


def report_for(outcomes: list[Outcome], violations: list[Violation]) -> str:
    return markdown(
        project="webstack",
        stack="prod",
        source="a test",
        config="policies/config/prod.json",
        resource_count=7,
        outcomes=outcomes,
        violations=violations,
        command="python -m stackcheck prod --report FILE",
    )


def test_the_report_has_a_row_per_checklist_item_with_resources_and_totals() -> None:
    urn = "urn:pulumi:prod::webstack::aws:lb/listener:Listener::edge-https"
    text = report_for(
        [
            outcome("aws-alb-https-listener-tls", violations=1),
            outcome("aws-required-tags", tags=("checklist:tagging",)),
        ],
        [Violation("aws-alb-https-listener-tls", "mandatory", urn, "TLS 1.0")],
    )
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Checklist")]
    assert len(rows) == len(CHECKLIST)
    (tls,) = [row for row in rows if row.startswith("| TLS / certificate |")]
    assert "`aws-alb-https-listener-tls` (mandatory) [fsbp:ELB.17]: **violated** on `edge-https`" in tls
    assert tls.endswith("| **violated** |")
    (monitoring_user,) = [row for row in rows if row.startswith("| Read-only monitoring user")]
    assert monitoring_user.endswith("| outside the pack |")
    assert "| Ownership tags (webstack) | `aws-required-tags` (mandatory): pass (3 checked) | pass |" in text
    assert "- Violations: 1 mandatory, 0 advisory, over 7 resources." in text
    assert "- Rules: 2: 1 pass, 1 violated." in text
    outside = text.split("## Outside the policy pack")[1]
    assert "**Read-only monitoring user; REVOKE on PUBLIC**: SQL-level grants" in outside


def test_the_report_is_deterministic() -> None:
    outcomes = [outcome("a", violations=1), outcome("b")]
    violations = [
        Violation("a", "mandatory", "urn:pulumi:prod::webstack::t::z", "m"),
        Violation("a", "mandatory", "urn:pulumi:prod::webstack::t::y", "m"),
    ]
    assert report_for(outcomes, violations) == report_for(list(outcomes), list(reversed(violations)))
    assert "`y`, `z`" in report_for(outcomes, violations)


@pytest.mark.parametrize("stack", ["staging", "prod", "local"])
def test_the_reports_in_docs_are_current(stack: str, tmp_path: Path) -> None:
    fresh = tmp_path / f"compliance-{stack}.md"
    result = run_stackcheck(stack, "--report", str(fresh))
    assert result.returncode == 0, result.stderr
    committed = ROOT / "docs" / f"compliance-{stack}.md"
    assert committed.exists(), f"run: python -m stackcheck {stack} --report docs/compliance-{stack}.md"
    assert committed.read_text() == fresh.read_text(), (
        f"docs/compliance-{stack}.md is stale: run python -m stackcheck {stack} --report docs/compliance-{stack}.md"
    )


def test_prod_passes_every_checklist_item_it_can_express() -> None:
    text = (ROOT / "docs" / "compliance-prod.md").read_text()
    assert "**violated**" not in text
    assert "**advisory**" not in text
    assert "- Violations: 0 mandatory, 0 advisory" in text


def test_staging_has_only_advisories() -> None:
    text = (ROOT / "docs" / "compliance-staging.md").read_text()
    assert "- Violations: 0 mandatory," in text
    assert "| **violated** |" not in text


def test_a_report_from_state_names_the_violated_resource(
    prod_run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    resources = copy.deepcopy(prod_run.resources)
    (database,) = [r for r in resources if r.name == "database-shard-1-primary"]
    for props in (database.inputs, database.outputs):
        props["publiclyAccessible"] = True
    export = tmp_path / "prod-state.json"
    export.write_text(
        json.dumps(export_document(resources, prod_run.outputs, prod_run.secret_outputs, "webstack", "prod"))
    )
    out = tmp_path / "report.md"
    code = main(["prod", "--state", str(export), "--report", str(out), "--root", str(ROOT)])
    capsys.readouterr()
    assert code == 1
    text = out.read_text()
    assert "from the state export `prod-state.json`" in text
    (row,) = [line for line in text.splitlines() if line.startswith("| Database not public |")]
    assert "`aws-rds-not-publicly-accessible` (mandatory)" in row
    assert "**violated** on `database-shard-1-primary`" in row
    assert row.endswith("| **violated** |")


def test_an_unwritable_report_exits_2(prod_run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "prod-state.json"
    export.write_text(json.dumps(export_document(prod_run.resources, prod_run.outputs, set(), "webstack", "prod")))
    code = main(["prod", "--state", str(export), "--report", str(tmp_path / "missing" / "r.md"), "--root", str(ROOT)])
    assert code == 2
    assert "--report: cannot write" in capsys.readouterr().err
