"""stackcheck's layout, read from its source with ``ast``: no module over 600 lines, no import cycle (imports inside
functions and under ``TYPE_CHECKING`` included), and the engine never reaching the insights.

Each rule is first shown to fail on a planted example (a synthetic graph, a small package written to a temporary
directory), so that a passing run of the real tree means something.

An import is an edge to the most specific module it names: ``from a.b import c`` is an edge to ``a.b.c`` when that is
a module, else to ``a.b``. The parent packages an import initialises on the way are not edges: a package's
``__init__`` that gathers its submodules (``deployability``, ``types``) is not in a cycle with them for that.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.sourcegraph import find_cycle, import_graph, inside, long_modules, path_between, write

PACKAGE = "stackcheck"

#: (part, part it must never reach, directly or through other modules).
NEVER_REACHES = (
    ("stackcheck.engine", "stackcheck.insights"),
    ("stackcheck.engine", "stackcheck.deployability"),
    ("stackcheck.deployability", "stackcheck.insights"),
)


# -- the rules fail where they should -------------------------------------------------------------------------------


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


def test_a_module_importing_a_name_from_its_own_package_closes_a_cycle_through_the_packages_init(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {"pkg/__init__.py": "from pkg.area import value\n", "pkg/area.py": "from pkg import other\n"},
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"pkg": {"pkg.area"}, "pkg.area": {"pkg"}}
    assert find_cycle(graph) == ["pkg", "pkg.area", "pkg"]


def test_imports_that_run_one_way_have_no_cycle(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/base.py": "import json\n",
            "pkg/area.py": "from pkg.base import x\n",
            "pkg/top.py": "from .area import y\nimport pkg.base\n",
        },
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph == {"pkg": set(), "pkg.area": {"pkg.base"}, "pkg.base": set(), "pkg.top": {"pkg.area", "pkg.base"}}
    assert find_cycle(graph) == []


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
    assert any(inside(m, part) for m in graph)
    assert any(inside(m, never) for m in graph)
    assert path_between(graph, part, never) == []


def test_the_command_line_reaches_both_parts() -> None:
    graph = import_graph(ROOT, PACKAGE)
    assert path_between(graph, "stackcheck.cli", "stackcheck.engine")
    assert path_between(graph, "stackcheck.cli", "stackcheck.insights")
