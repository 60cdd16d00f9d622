"""What stackcheck shows of a stack before it is deployed: architecture, monthly cost and critical path, in the
text report, the JSON document, ``--diagram`` files and docs/architecture-<stack>.md."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from stackcheck import report
from stackcheck.cli import main
from stackcheck.insights.overview import overview
from tests.conftest import ROOT, run_stackcheck
from tests.stackcheck.export import export_document

STACKS = ["local", "prod", "single-server", "staging"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_architecture_pages_in_docs_are_current(stack: str, tmp_path: Path) -> None:
    fresh = tmp_path / f"architecture-{stack}.md"
    result = run_stackcheck(stack, "--diagram", str(fresh))
    assert result.returncode == 0, result.stderr
    committed = ROOT / "docs" / f"architecture-{stack}.md"
    assert committed.exists(), f"run: python -m stackcheck {stack} --diagram docs/architecture-{stack}.md"
    assert committed.read_text() == fresh.read_text(), (
        f"docs/architecture-{stack}.md is stale: run python -m stackcheck {stack} --diagram "
        f"docs/architecture-{stack}.md (or make docs)"
    )


def test_a_page_has_the_diagram_the_cost_and_the_critical_path() -> None:
    text = (ROOT / "docs" / "architecture-prod.md").read_text()
    assert text.index("```mermaid") < text.index("## Monthly cost estimate") < text.index("## Fresh deployment")
    assert "flowchart LR" in text
    assert "database-shard-" in text  # the critical path runs through a database primary


def test_the_report_shows_all_three(prod_run: Any) -> None:
    view = overview(prod_run.resources, "prod")
    text = report.text(prod_run, [], [], view=view)
    assert "\nArchitecture (write the diagram with --diagram" in text
    assert "  edge -> web: HTTPS -> HTTP :3000/:8000" in text
    assert "\nMonthly cost estimate\n" in text
    assert "\nCritical path of a fresh deployment\n" in text
    doc = report.document(prod_run, [], [], view=view)
    assert doc["architecture"]["nodes"]
    assert doc["summary"]["cost"]["total"] == view.cost.to_json()["total"] > 1000
    assert doc["summary"]["criticalPath"]["totalSeconds"] == view.path.total_seconds > 600


def test_the_docker_stack_costs_nothing_in_the_cloud_and_deploys_in_minutes(local_run: Any) -> None:
    view = overview(local_run.resources, "local")
    assert view.cost.total == 0
    assert view.path.total_seconds < 600


def export(prod_run: Any, tmp_path: Path) -> Path:
    path = tmp_path / "prod-state.json"
    document = export_document(prod_run.resources, prod_run.outputs, prod_run.secret_outputs, "webstack", "prod")
    path.write_text(json.dumps(document))
    return path


@pytest.mark.parametrize(("suffix", "start"), [(".mmd", "flowchart LR"), (".dot", "digraph")])
def test_diagram_files_by_extension(
    prod_run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str, start: str
) -> None:
    target = tmp_path / f"prod{suffix}"
    code = main(["prod", "--state", str(export(prod_run, tmp_path)), "--diagram", str(target), "--root", str(ROOT)])
    capsys.readouterr()
    assert code == 0
    assert target.read_text().lstrip().startswith(start)


def test_an_image_without_graphviz_or_an_unknown_extension_exits_2(
    prod_run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = str(export(prod_run, tmp_path))
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert main(["prod", "--state", state, "--diagram", str(tmp_path / "p.svg"), "--root", str(ROOT)]) == 2
    assert "needs Graphviz's dot" in capsys.readouterr().err
    assert main(["prod", "--state", state, "--diagram", str(tmp_path / "p.gif"), "--root", str(ROOT)]) == 2
    assert "--diagram:" in capsys.readouterr().err


def test_the_json_document_carries_cost_and_critical_path(
    prod_run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["prod", "--state", str(export(prod_run, tmp_path)), "--json", "--root", str(ROOT)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc["summary"]) >= {"cost", "criticalPath"}
    assert doc["summary"]["cost"]["currency"] == "USD"
    assert (
        doc["summary"]["criticalPath"]["steps"][-1]["doneAtSeconds"] == doc["summary"]["criticalPath"]["totalSeconds"]
    )
    assert {edge["from"] for edge in doc["architecture"]["edges"]} >= {"actor_internet"}
