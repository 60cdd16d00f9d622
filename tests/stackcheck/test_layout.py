"""stackcheck's layout, read from its source with ``ast``: no module over 600 lines, no import cycle (imports inside
functions and under ``TYPE_CHECKING`` included), and the engine never reaching the insights.

Each rule is first shown to fail on a planted example (a synthetic graph, a small package written to a temporary
directory), so that a passing run of the real tree means something.

An import is an edge to the most specific module it names: ``from a.b import c`` is an edge to ``a.b.c`` when that is
a module, else to ``a.b``. The parent packages an import initialises on the way are not edges: a package's
``__init__`` that gathers its submodules (``deployability``, ``types``) is not in a cycle with them for that.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = "stackcheck"
MAX_LINES = 600

#: (part, part it must never reach, directly or through other modules).
NEVER_REACHES = (
    ("stackcheck.engine", "stackcheck.insights"),
    ("stackcheck.engine", "stackcheck.deployability"),
    ("stackcheck.deployability", "stackcheck.insights"),
)


# -- the checker ----------------------------------------------------------------------------------------------------
def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root``, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _imported(node: ast.Import | ast.ImportFrom, name: str, is_package: bool, known: Iterable[str]) -> set[str]:
    known = set(known)
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        base = name.split(".") if is_package else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join([*base, node.module] if node.module else base)
    else:
        target = node.module or ""
    return {f"{target}.{alias.name}" if f"{target}.{alias.name}" in known else target for alias in node.names}


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module -> the modules of ``package`` it imports, wherever in the module the import is."""
    known = modules(root, package)
    graph: dict[str, set[str]] = {}
    for name, path in known.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= _imported(node, name, path.name == "__init__.py", known)
        graph[name] = {edge for edge in edges if edge in known and edge != name}
    return graph


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """One import cycle (``[a, b, ..., a]``), or ``[]`` when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def _inside(module: str, part: str) -> bool:
    return module == part or module.startswith(f"{part}.")


def path_between(graph: Mapping[str, Iterable[str]], source: str, target: str) -> list[str]:
    """A chain of imports from a module of part ``source`` to one of part ``target``, or ``[]``."""
    for start in sorted(m for m in graph if _inside(m, source)):
        seen, queue = {start: [start]}, [start]
        while queue:
            current = queue.pop(0)
            for nxt in sorted(graph.get(current, ())):
                if nxt in seen:
                    continue
                seen[nxt] = [*seen[current], nxt]
                if _inside(nxt, target):
                    return seen[nxt]
                queue.append(nxt)
    return []


def long_modules(root: Path, package: str, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules of more than ``limit`` lines, with their lengths."""
    lengths = {name: len(path.read_text().splitlines()) for name, path in modules(root, package).items()}
    return {name: n for name, n in lengths.items() if n > limit}


# -- the rules fail where they should -------------------------------------------------------------------------------
def write(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root


def test_a_cycle_in_a_planted_graph_is_found_and_an_acyclic_graph_has_none() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"a"}}) == ["a", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


def test_an_import_inside_a_function_closes_a_cycle(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/costs.py": "def estimate():\n    from pkg.report import inventory\n",
            "pkg/report.py": "from pkg import overview\n",
            "pkg/overview.py": "from . import costs\n",
        },
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.costs"] == {"pkg.report"}
    assert graph["pkg.overview"] == {"pkg.costs"}
    assert find_cycle(graph) == ["pkg.costs", "pkg.report", "pkg.overview", "pkg.costs"]


def test_imports_of_names_relative_imports_and_type_checking_imports_are_edges(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/engine/__init__.py": "",
            "pkg/engine/run.py": "from .resources import Recorded\nfrom ..insights import diagram\n",
            "pkg/engine/resources.py": "import typing\nif typing.TYPE_CHECKING:\n    import pkg.engine.run\n",
            "pkg/insights/__init__.py": "",
            "pkg/insights/diagram.py": "import json\n",
        },
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg.engine.run"] == {"pkg.engine.resources", "pkg.insights.diagram"}
    assert graph["pkg.engine.resources"] == {"pkg.engine.run"}
    assert graph["pkg.insights.diagram"] == set()


def test_the_engine_reaching_the_insights_through_another_module_is_found() -> None:
    graph = {"s.engine.run": {"s.helpers"}, "s.helpers": {"s.insights.costs.core"}, "s.insights.costs.core": set()}
    assert path_between(graph, "s.engine", "s.insights") == ["s.engine.run", "s.helpers", "s.insights.costs.core"]
    assert path_between(graph, "s.insights", "s.engine") == []
    assert path_between({"s.engineering": {"s.insights"}}, "s.engine", "s.insights") == []


def test_a_module_over_the_limit_is_found_and_one_at_it_is_not(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/long.py": "x = 1\n" * 601, "pkg/limit.py": "x = 1\n" * 600})
    assert long_modules(tmp_path, "pkg") == {"pkg.long": 601}


# -- the rules hold for stackcheck ----------------------------------------------------------------------------------
def test_no_stackcheck_module_is_over_600_lines() -> None:
    assert long_modules(ROOT, PACKAGE) == {}


def test_stackcheck_has_no_import_cycle() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert sum(len(edges) for edges in graph.values()) > 100  # the graph was read, not left empty
    assert find_cycle(graph) == []


@pytest.mark.parametrize(("part", "never"), NEVER_REACHES)
def test_a_part_never_reaches_another(part: str, never: str) -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert any(_inside(m, part) for m in graph)
    assert any(_inside(m, never) for m in graph)
    assert path_between(graph, part, never) == []


def test_the_command_line_reaches_both_parts() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert path_between(graph, "stackcheck.cli", "stackcheck.engine")
    assert path_between(graph, "stackcheck.cli", "stackcheck.insights")
