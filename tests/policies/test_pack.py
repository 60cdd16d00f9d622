"""The pack as a whole: every rule is well described, the pack entry point only constructs the pack, and every
stack's configuration names real policies."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
from stackcheck.engine.evaluate import load_policy_config, resolve_settings
from stackcheck.engine.project import load_policy_pack

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("policy", ALL_POLICIES, ids=lambda p: p.name)
def test_every_rule_is_described_for_people(policy: StackValidationPolicy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.startswith("Checks that ")
    assert policy.severity is not None
    assert policy.remediation_steps
    assert policy.tags
    assert any(tag.startswith("checklist:") for tag in policy.tags)
    for spec in (policy.config_schema.properties if policy.config_schema else {}).values():
        assert "default" in spec
        assert "type" in spec


def test_policy_names_are_unique() -> None:
    names = [p.name for p in ALL_POLICIES]
    assert len(names) == len(set(names))


def test_the_entry_point_only_constructs_the_pack() -> None:
    tree = ast.parse((ROOT / "policies" / "__main__.py").read_text())
    statements = [s for s in tree.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    assert all(isinstance(s, ast.ImportFrom) for s in statements[:-1])
    last = statements[-1]
    assert isinstance(last, ast.Expr)
    assert isinstance(last.value, ast.Call)
    assert isinstance(last.value.func, ast.Name)
    assert last.value.func.id == "PolicyPack"


def test_the_pack_file_has_runtime_and_version() -> None:
    pack = load_policy_pack(ROOT)
    assert pack["runtime"]["name"] == "python"
    assert re.fullmatch(r"\d+\.\d+\.\d+", str(pack["version"]))


#: Availability and cost rules a non-production stack may relax; every security rule stays mandatory everywhere.
RELAXABLE = {
    "aws-alb-deletion-protection",
    "aws-rds-deletion-protection",
    "aws-rds-multi-az",
    "aws-rds-primary-has-replica",
    "aws-elasticache-automatic-failover",
    "aws-rds-backups-replicated-to-another-region",
    "aws-backup-restore-testing",
    "aws-vpc-nat-gateway-per-az",
}


@pytest.mark.parametrize("config", sorted((ROOT / "policies" / "config").glob("*.json")), ids=lambda p: p.stem)
def test_every_stack_config_names_real_policies_and_makes_security_mandatory(config: Path) -> None:
    assert (ROOT / f"Pulumi.{config.stem}.yaml").exists()
    settings = resolve_settings(ALL_POLICIES, load_policy_config(config), PACK_ENFORCEMENT_LEVEL, config.name)
    relaxed = {name for name, s in settings.items() if s.level != EnforcementLevel.MANDATORY}
    assert relaxed <= RELAXABLE
    if config.stem == "prod":
        assert relaxed == set()


#: The most lines a module of the pack may have (issue 20: split by responsibility past it).
MAX_MODULE_LINES = 600


def test_no_module_of_the_pack_is_over_600_lines() -> None:
    modules = sorted((ROOT / "policies").rglob("*.py"))
    modules = [path for path in modules if "venv" not in path.relative_to(ROOT).parts]
    assert len(modules) > 20
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}
