"""The distribution as `pip install .` builds it: the package `webstack` mapped from components/ and policies/, its
declared dependencies against what the code imports (resolved through the installed distributions' own metadata), and
an install that works without the repository."""

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import components
from tests.packaging.wheel import ROOT, Installed

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
#: Where each folder goes in the installed package.
MAPPED = {"components": "webstack", "policies": "webstack.policies"}


def _modules(folder: str) -> list[Path]:
    return sorted(p for p in (ROOT / folder).rglob("*.py") if "venv" not in p.parts and "__pycache__" not in p.parts)


def _pins(path: Path) -> dict[str, str]:
    """The first block of a requirements file (what the code uses directly), name -> pinned version."""
    head = path.read_text().split("# transitive")[0]
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", head, flags=re.M)
    return {canonicalize_name(name): version for name, version in found}


def _third_party_imports(folder: str) -> dict[str, set[str]]:
    """Top-level names of every absolute import in ``folder`` (functions' imports included) that is not the standard
    library, with the modules importing them."""
    found: dict[str, set[str]] = {}
    for path in _modules(folder):
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                own = (ROOT / folder / top).is_dir()  # the pack's entry point imports its own `rules` from its root
                if top not in sys.stdlib_module_names and top != "__future__" and not own:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_the_package_list_is_the_tree() -> None:
    """setuptools installs only the packages it lists: a new sub-package left out would be missing from the wheel."""
    expected = set()
    for folder, package in MAPPED.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            if "venv" in init.parts:
                continue
            parts = init.parent.relative_to(ROOT / folder).parts
            expected.add(".".join((package, *parts)))
    assert sorted(PYPROJECT["tool"]["setuptools"]["packages"]) == sorted(expected)
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {v: k for k, v in MAPPED.items()}


def test_the_wheel_holds_every_module_under_webstack_only(installed: Installed) -> None:
    names = set(installed.names())
    for folder, package in MAPPED.items():
        for path in _modules(folder):
            inside = path.relative_to(ROOT / folder).as_posix()
            assert f"{package.replace('.', '/')}/{inside}" in names, path
    assert "webstack/policies/rules/aws_taggable.txt" in names  # data the tagging rule reads at import
    tops = {name.split("/")[0] for name in names if not name.startswith("webstack-")}
    assert tops == {"webstack"}
    assert not [n for n in names if n.startswith(("components/", "tests/", "stackcheck/"))]


def _probe(script: str, installed: Installed, cwd: Path) -> dict[str, Any]:
    """Runs a probe of this folder outside the repository, with only the installed package on the path; its report."""
    result = subprocess.run(
        [sys.executable, str(Path(__file__).parent / script)],
        cwd=cwd,
        env={"PYTHONPATH": str(installed.site), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_installed_package_imports_without_the_repository(installed: Installed, tmp_path: Path) -> None:
    report = _probe("probe.py", installed, tmp_path)
    assert report["version"] == components.__version__
    assert all(Path(f).is_relative_to(installed.site) for f in report["files"])
    assert report["repository"] is None
    assert report["rules"] > 0
    for module, names in report["public"].items():
        assert all(target.startswith(module) for target in names.values()), (module, names)


def test_the_wheel_ships_the_one_off_runner_and_an_installed_one_off_task_runs_it(
    installed: Installed, tmp_path: Path
) -> None:
    """OneOffTask hands its Command the text of run-task.sh: package data, so a program that installed webstack (no
    repository around) gets the same runner as the stacks."""
    runner = ROOT / "components" / "aws" / "run-task.sh"
    assert "webstack/aws/run-task.sh" in installed.names()
    report = _probe("one_off_probe.py", installed, tmp_path)
    assert Path(report["module"]).is_relative_to(installed.site)
    assert report["create"] == [runner.read_text()]


def test_the_metadata_declares_the_version_and_the_programs_requirements(installed: Installed) -> None:
    metadata = installed.metadata()
    assert f"\nVersion: {components.__version__}\n" in metadata
    declared = [
        Requirement(line.split(":", 1)[1].strip())
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:")
    ]
    runtime = {canonicalize_name(r.name): r for r in declared if not r.marker}
    pins = _pins(ROOT / "requirements.txt")
    assert set(runtime) == set(pins), "pyproject's dependencies and requirements.txt's first block name the same set"
    for name, requirement in runtime.items():
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is outside {requirement.specifier}"
    extras = {canonicalize_name(r.name): r for r in declared if r.marker}
    dev = _pins(ROOT / "requirements-dev.txt")
    policy = canonicalize_name("pulumi-policy")
    assert extras[policy].specifier.contains(dev[policy])


def _distributions(imports: dict[str, set[str]]) -> dict[str, set[str]]:
    """Import name -> the distributions providing it, from the installed distributions' own RECORD files."""
    providers = importlib.metadata.packages_distributions()
    return {name: {canonicalize_name(d) for d in providers.get(name, [])} for name in imports}


def test_every_import_of_the_components_is_a_declared_dependency() -> None:
    imports = _third_party_imports("components")
    assert {"pulumi_aws", "pulumi_cloudflare", "pydantic", "crossplane"} <= set(imports)
    declared = {canonicalize_name(Requirement(r).name) for r in PYPROJECT["project"]["dependencies"]}
    for name, providers in _distributions(imports).items():
        assert providers & declared, f"{name} (imported by {sorted(imports[name])}) comes from no declared dependency"


def test_every_import_of_the_rules_is_declared_with_the_policies_extra() -> None:
    imports = _third_party_imports("policies")
    declared = {
        canonicalize_name(Requirement(r).name)
        for r in [*PYPROJECT["project"]["dependencies"], *PYPROJECT["project"]["optional-dependencies"]["policies"]]
    }
    for name, providers in _distributions(imports).items():
        assert providers & declared, f"{name} (imported by {sorted(imports[name])}) comes from no declared dependency"


def test_the_program_requirements_hold_no_tool() -> None:
    """Pulumi.yaml's virtualenv installs requirements.txt: the tests' and checks' tools live in requirements-dev.txt."""
    program, tools = _pins(ROOT / "requirements.txt"), _pins(ROOT / "requirements-dev.txt")
    assert not set(program) & set(tools)
    assert {"pytest", "pyright", "ruff", "pulumi-policy"} <= set(tools)
    assert (ROOT / "requirements-dev.txt").read_text().count("-r requirements.txt\n") == 1


def test_the_changelog_opens_with_this_version() -> None:
    first = next(line for line in (ROOT / "CHANGELOG.md").read_text().splitlines() if line.startswith("## "))
    assert first.split()[1] == components.__version__
