"""The settings package stays split: every module short enough to read, no import cycle between its modules, and no
module outside it reading the stack's configuration. Everything is computed from the source with ``ast``."""

import ast
from pathlib import Path

from tests.sourcegraph import find_cycle, import_graph, inside, long_modules

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "components" / "settings"
PACKAGE_NAME = "components.settings"


def settings_graph() -> dict[str, set[str]]:
    """The settings package's modules and the modules of the package each imports (tests/sourcegraph.py: a
    ``from components.settings import name`` is an edge to the package itself, whose ``__init__`` imports every
    module, so a module doing so closes a cycle through it)."""
    graph = import_graph(ROOT, "components")
    return {
        module: {target for target in targets if inside(target, PACKAGE_NAME)}
        for module, targets in graph.items()
        if inside(module, PACKAGE_NAME)
    }


def test_no_settings_module_is_over_600_lines() -> None:
    graph = settings_graph()
    assert len(graph) > 10, f"expected the settings package's modules in {PACKAGE}, found {sorted(graph)}"
    assert {name: n for name, n in long_modules(ROOT, "components").items() if inside(name, PACKAGE_NAME)} == {}


def test_the_settings_modules_import_each_other_without_a_cycle() -> None:
    graph = settings_graph()
    # Importing the package reaches every module of it: the graph holds the package's real imports.
    reached: set[str] = set()
    todo = [PACKAGE_NAME]
    while todo:
        module = todo.pop()
        reached.add(module)
        todo += sorted(graph[module] - reached)
    assert reached == set(graph)
    assert find_cycle(graph) == []


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
