"""The product's source as an import graph, read with ``ast``: modules by dotted name, the modules each imports
(anywhere in it: inside functions and under ``TYPE_CHECKING`` too), cycles, chains between parts, long modules. The
layout tests of stackcheck and of the whole product read the tree through it.

An import is an edge to the most specific module it names: ``from a.b import c`` is an edge to ``a.b.c`` when that is
a module, else to ``a.b``. The parent packages an import initialises on the way are not edges.
"""

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

MAX_LINES = 600
#: Folders that hold no product code: virtualenvs the Pulumi CLI creates for the pack and the plugin, caches.
SKIPPED = {"venv", "__pycache__"}


def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of ``package`` under ``root``, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        if SKIPPED & set(path.relative_to(root).parts):
            continue
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


def import_graph(root: Path, *packages: str) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports, wherever in the module the import is."""
    known = {name: path for package in packages for name, path in modules(root, package).items()}
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


def inside(module: str, part: str) -> bool:
    return module == part or module.startswith(f"{part}.")


def path_between(graph: Mapping[str, Iterable[str]], source: str, target: str) -> list[str]:
    """A chain of imports from a module of part ``source`` to one of part ``target``, or ``[]``."""
    for start in sorted(m for m in graph if inside(m, source)):
        seen, queue = {start: [start]}, [start]
        while queue:
            current = queue.pop(0)
            for nxt in sorted(graph.get(current, ())):
                if nxt in seen:
                    continue
                seen[nxt] = [*seen[current], nxt]
                if inside(nxt, target):
                    return seen[nxt]
                queue.append(nxt)
    return []


def long_modules(root: Path, *packages: str, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules of more than ``limit`` lines, with their lengths."""
    found = {name: path for package in packages for name, path in modules(root, package).items()}
    lengths = {name: len(path.read_text().splitlines()) for name, path in found.items()}
    return {name: n for name, n in lengths.items() if n > limit}


def write(root: Path, files: Mapping[str, str]) -> Path:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root
