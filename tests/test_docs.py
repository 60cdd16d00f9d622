"""What is generated is current (docs/settings.md, docs/policies.md, Pulumi.yaml, the taggable types), and the
README keeps its promises (the two commands, the layout)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from components.settings import CONFIG_FIELDS, SECRET_SETTINGS
from scripts import generated, policy_docs, settings_docs, taggable_types
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()
SETTINGS = (ROOT / "docs" / "settings.md").read_text()
POLICIES = (ROOT / "docs" / "policies.md").read_text()


def test_the_generators_command_line_names_what_is_stale_and_rewrites_only_with_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fresh, stale = tmp_path / "fresh.md", tmp_path / "stale.md"
    fresh.write_text("<!-- b -->new<!-- e -->\n")
    stale.write_text("<!-- b -->old<!-- e -->\n")
    targets = {path: lambda text: generated.replace_block(text, "<!-- b -->", "<!-- e -->", "<!-- b -->new<!-- e -->")
               for path in (fresh, stale)}  # fmt: skip
    assert generated.main([], None, targets, "make docs") == 1
    assert capsys.readouterr().err == f"stale: {stale} (run `make docs`)\n"
    assert stale.read_text() == "<!-- b -->old<!-- e -->\n"
    assert generated.main(["--write"], None, targets, "make docs") == 0
    assert stale.read_text() == "<!-- b -->new<!-- e -->\n"
    assert generated.main([], None, targets, "make docs") == 0


def test_the_settings_reference_and_pulumi_yaml_are_generated_from_the_settings() -> None:
    assert settings_docs.main([]) == 0, "run `make docs`"


def test_the_policy_table_is_generated_from_the_rules() -> None:
    assert policy_docs.main([]) == 0, "run `make docs`"


def test_the_policy_table_says_what_each_rule_checks_and_where_it_is_relaxed() -> None:
    from policies.rules import ALL_POLICIES

    rows = {
        line.split(" | ")[0].strip("| `"): line for line in policy_docs.table().splitlines() if line.startswith("| `")
    }
    assert set(rows) == {policy.name for policy in ALL_POLICIES}
    nat = rows["aws-vpc-nat-gateway-per-az"]
    assert "in a VPC with NAT gateways every availability zone" in nat
    assert "(advisory in staging)" in nat
    assert "advisory" not in rows["aws-rds-storage-encrypted"]


def test_the_taggable_type_list_matches_the_installed_sdk() -> None:
    assert taggable_types.main([]) == 0, "run `make docs`"


def test_pulumi_yaml_declares_every_setting_with_type_description_and_default() -> None:
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    fields = {f"webstack:{info.alias}": info for info in CONFIG_FIELDS.values()}
    secret = {f"webstack:{key}" for key in SECRET_SETTINGS}
    assert set(declared) == set(fields) | secret
    for key, entry in declared.items():
        assert entry["type"], key
        assert entry["description"], key
        if key in secret:
            # Optional: an empty default, and no `secret: true`, which would make the CLI refuse that default.
            assert entry["default"] in ("", {}), key
            assert "secret" not in entry, key
        else:
            assert ("default" in entry) is not fields[key].is_required(), key


def test_every_nested_setting_is_in_the_settings_reference() -> None:
    for key in ("webstack:network.azCount", "webstack:network.adminCidrs", "webstack:web.backend.port",
                "webstack:database.engine", "aws:region"):  # fmt: skip
        assert f"`{key}`" in SETTINGS


def test_the_readme_gives_the_two_commands_and_ci_runs_the_test_command() -> None:
    assert "make check    # sets up .venv, then runs: python -m stackcheck prod" in README
    assert "make test     # sets up .venv, then runs the whole test suite" in README
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test$", ci, re.MULTILINE)
    makefile = (ROOT / "Makefile").read_text()
    assert "$(PY) -m stackcheck $(STACK)" in makefile
    assert "STACK ?= prod" in makefile
    assert "$(PY) -m pytest" in makefile


def test_the_policy_page_lists_every_policy() -> None:
    from policies.rules import ALL_POLICIES

    for policy in ALL_POLICIES:
        assert f"`{policy.name}`" in POLICIES


def test_the_readme_layout_names_every_module_of_the_policy_pack() -> None:
    layout = README.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    modules = sorted(p.stem for p in (ROOT / "policies" / "rules").glob("*.py") if p.stem != "__init__")
    assert len(modules) > 20
    assert [m for m in modules if m not in layout] == []


def _layout() -> str:
    return README.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]


def test_the_readme_layout_names_every_top_level_entry_and_every_component_module() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    layout = _layout()
    tops = {path.split("/")[0] for path in tracked if not path.startswith(".") or path.startswith((".ci/", ".github/"))}
    tops = {top for top in tops if not top.startswith("Pulumi.")}  # named together, as Pulumi.<stack>.yaml
    assert [top for top in sorted(tops) if top not in layout] == []
    modules = {
        path.rsplit("/", 1)[1][: -len(".py")]
        for path in tracked
        if path.startswith("components/") and path.endswith(".py") and not path.endswith("__init__.py")
    }
    assert len(modules) > 40
    assert [m for m in sorted(modules) if m not in layout] == []
