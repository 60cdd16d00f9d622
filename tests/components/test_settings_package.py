"""The settings package stays split: every module short enough to read, no import cycle between its modules, and no
module outside it reading the stack's configuration. Everything is computed from the source with ``ast``."""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "components" / "settings"
PACKAGE_NAME = "components.settings"
MAX_LINES = 600


def package_imports(directory: Path, package: str) -> dict[str, set[str]]:
    """Module of ``directory`` -> the modules of the same package it imports, anywhere in its source (function bodies
    too). ``__init__`` stands for the package itself: ``from package import name`` (a name it re-exports) runs it, so a
    module of the package that does so closes a cycle through ``__init__``, which imports every module."""
    modules = {path.stem for path in directory.glob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in sorted(directory.glob("*.py")):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative: from .x import y, from . import x (levels above leave the package)
                    if node.level > 1:
                        continue
                    source = package + (f".{node.module}" if node.module else "")
                else:
                    source = node.module or ""
                # ``from package import module`` imports that module; ``from package import name`` runs __init__.
                targets = [
                    f"{source}.{alias.name}" if source == package and alias.name in modules else source
                    for alias in node.names
                ]
            else:
                continue
            for target in targets:
                head, _, rest = target.partition(f"{package}.")
                if target == package:
                    found.add("__init__")
                elif not head and rest.split(".")[0] in modules:
                    found.add(rest.split(".")[0])
        graph[path.stem] = found
    return graph


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the import graph (its modules, each importing the next, the first repeated at the end), or None."""
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        return list(reversed(error.args[1]))
    return None


def test_no_settings_module_is_over_600_lines() -> None:
    lengths = {path.name: len(path.read_text().splitlines()) for path in PACKAGE.glob("*.py")}
    assert len(lengths) > 10, f"expected the settings package's modules in {PACKAGE}, found {sorted(lengths)}"
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_the_settings_modules_import_each_other_without_a_cycle() -> None:
    graph = package_imports(PACKAGE, PACKAGE_NAME)
    # Importing the package reaches every module of it: the graph holds the package's real imports.
    reached: set[str] = set()
    todo = ["__init__"]
    while todo:
        module = todo.pop()
        reached.add(module)
        todo += sorted(graph[module] - reached)
    assert reached == set(graph)
    assert import_cycle(graph) is None


@pytest.mark.parametrize(
    ("sources", "cycle"),
    [
        (
            {"a": "from pkg.b import x\n", "b": "def f():\n    from pkg.a import y\n"},
            ["a", "b", "a"],
        ),
        ({"a": "from .b import x\n", "b": "from . import a\n"}, ["a", "b", "a"]),
        ({"__init__": "from pkg.a import x\n", "a": "from pkg import y\n"}, ["__init__", "a", "__init__"]),
    ],
    ids=["absolute, inside a function", "relative", "through the package"],
)
def test_the_cycle_check_finds_a_cycle_the_source_has(
    tmp_path: Path, sources: dict[str, str], cycle: list[str]
) -> None:
    for name, text in sources.items():
        (tmp_path / f"{name}.py").write_text(text)
    found = import_cycle(package_imports(tmp_path, "pkg"))
    assert found is not None
    # The same cycle, whichever module the sorter meets first.
    assert sorted(found[:-1]) == sorted(cycle[:-1])
    assert found[0] == found[-1]


def test_the_cycle_check_accepts_imports_that_run_one_way(tmp_path: Path) -> None:
    sources = {
        "base": "import json\n",
        "area": "from pkg.base import x\n",
        "top": "from .area import y\nimport pkg.base\n",
    }
    for name, text in sources.items():
        (tmp_path / f"{name}.py").write_text(text)
    graph = package_imports(tmp_path, "pkg")
    assert graph == {"area": {"base"}, "base": set(), "top": {"area", "base"}}
    assert import_cycle(graph) is None


#: What reads Pulumi configuration: the SDK's Config class and config module, and the runtime's config store.
CONFIG_READERS = (
    "pulumi.Config",
    "pulumi.config",
    "pulumi.runtime.config",
    "pulumi.runtime.get_config",
    "pulumi.runtime.get_config_env",
    "pulumi.runtime.is_config_secret",
)


def reads_configuration(tree: ast.AST) -> list[str]:
    """The dotted names through which a module reads Pulumi configuration: attributes (``pulumi.Config(...)``) and
    imports (``from pulumi import Config``, ``import pulumi.runtime.config as runtime_config``)."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            names.append(ast.unparse(node))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return sorted({n for n in names if any(n == r or n.startswith(f"{r}.") for r in CONFIG_READERS)})


def test_only_the_settings_package_reads_the_stacks_configuration() -> None:
    program = [ROOT / "__main__.py", *(ROOT / "components").rglob("*.py")]
    outside = [path for path in program if PACKAGE not in path.parents]
    readers = {
        str(path.relative_to(ROOT)): how
        for path in outside
        if (how := reads_configuration(ast.parse(path.read_text())))
    }
    assert readers == {}
    # The package itself does read it, so the check recognises a reader.
    assert any(reads_configuration(ast.parse(path.read_text())) for path in PACKAGE.glob("*.py"))
