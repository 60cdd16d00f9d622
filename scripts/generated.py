"""The command line every generator of a block of ``README.md`` shares: rewrite the file with ``--write``, else exit 1
when what is there differs from what the generator renders."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path


def main(
    argv: Sequence[str] | None, description: str | None, path: Path, render: Callable[[str], str], stale: str
) -> int:
    """Render ``path`` from its current text; write it (``--write``) or report ``stale`` when it differs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", action="store_true", help=f"rewrite {path.name} (default: exit 1 when stale)")
    options = parser.parse_args(argv)
    current = path.read_text()
    wanted = render(current)
    if options.write:
        path.write_text(wanted)
        return 0
    if wanted != current:
        print(stale, file=sys.stderr)
        return 1
    return 0


def replace_block(text: str, begin: str, end: str, block: str) -> str:
    """``text`` with everything from ``begin`` through ``end`` (the markers included) replaced by ``block``."""
    start, stop = text.index(begin), text.index(end) + len(end)
    return text[:start] + block + text[stop:]
