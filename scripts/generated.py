"""The command line every generator of a generated file or block shares (the settings reference and the alert table
in ``docs/settings.md`` and ``Pulumi.yaml``, the policy table in ``docs/policies.md``, the roles' SQL in
``docs/operations.md``, the taggable-type list): rewrite the targets with ``--write``, else exit 1 naming each
target whose text differs from what its generator renders."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(
    argv: Sequence[str] | None, description: str | None, targets: Mapping[Path, Callable[[str], str]], command: str
) -> int:
    """Render every target from its current text (empty while it does not exist); write the ones that differ
    (``--write``), or name them and the ``command`` that regenerates them."""
    names = ", ".join(_shown(path) for path in targets)
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", action="store_true", help=f"rewrite {names} (default: exit 1 when stale)")
    options = parser.parse_args(argv)
    stale = []
    for path, render in targets.items():
        current = path.read_text() if path.exists() else ""
        wanted = render(current)
        if wanted == current:
            continue
        stale.append(_shown(path))
        if options.write:
            path.write_text(wanted)
    if stale and not options.write:
        print(f"stale: {', '.join(stale)} (run `{command}`)", file=sys.stderr)
        return 1
    return 0


def replace_block(text: str, begin: str, end: str, block: str) -> str:
    """``text`` with everything from ``begin`` through ``end`` (the markers included) replaced by ``block``."""
    start, stop = text.index(begin), text.index(end) + len(end)
    return text[:start] + block + text[stop:]


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
