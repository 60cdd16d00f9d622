"""Every relative link of the documentation (README.md and docs/*.md) leads somewhere: the file or folder exists, and a
``#fragment`` names a heading of the page it points at, as GitHub makes heading anchors.

The pages are parsed by markdown-it-py (a CommonMark parser, with GitHub's tables), so that what looks like a link or
a heading inside code is neither, as on GitHub."""

from __future__ import annotations

import itertools
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from tests.conftest import ROOT

PARSER = MarkdownIt("commonmark").enable("table")

#: GitHub's heading anchors, as github-slugger (the library that reproduces them) and markdownlint's rule MD051
#: ("Link fragments should be valid") describe them: the heading's text without its markup, lower-cased, every
#: character that is not a letter, a digit, `_`, `-` or a space removed, each space made a hyphen; a repeated anchor
#: gets `-1`, `-2`, ... (GitHub's "Basic writing and formatting syntax", section links).
_REMOVED = re.compile(r"[^\w\- ]")


def documentation_pages(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def slug(heading: str) -> str:
    return _REMOVED.sub("", heading.strip().lower()).replace(" ", "-")


def _tokens(tokens: list[Token]) -> Iterator[Token]:
    for token in tokens:
        yield token
        if token.children:
            yield from _tokens(token.children)


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives the headings of ``page``."""
    tokens = PARSER.parse(page.read_text())
    found: set[str] = set()
    counts: dict[str, int] = {}
    for opening, inline in itertools.pairwise(tokens):
        if opening.type != "heading_open":
            continue
        text = "".join(t.content for t in _tokens(inline.children or []) if t.type in ("text", "code_inline"))
        anchor = slug(text)
        seen = counts.get(anchor, 0)
        counts[anchor] = seen + 1
        found.add(anchor if seen == 0 else f"{anchor}-{seen}")
    return found


def links(page: Path) -> list[str]:
    """Every link and image target of ``page``, in order."""
    found = []
    for token in _tokens(PARSER.parse(page.read_text())):
        target = token.attrGet("href") if token.type == "link_open" else token.attrGet("src")
        if token.type in ("link_open", "image") and isinstance(target, str):
            found.append(target)
    return found


def broken_links(page: Path, root: Path = ROOT) -> list[str]:
    """``page``'s relative links whose file is missing or whose fragment is no heading of the page it names."""
    broken = []
    for target in links(page):
        parts = urlsplit(target)
        if parts.scheme or parts.netloc:
            continue
        where = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        shown = f"{page.relative_to(root)}: {target}"
        if not where.exists():
            broken.append(f"{shown} (no such file)")
        elif parts.fragment and (where.suffix != ".md" or unquote(parts.fragment) not in anchors(where)):
            broken.append(f"{shown} (no such heading in {where.name})")
    return broken


def test_every_relative_link_and_anchor_of_the_documentation_resolves() -> None:
    pages = documentation_pages()
    assert len(pages) > 10
    assert [problem for page in pages for problem in broken_links(page)] == []


def test_the_check_finds_a_missing_file_a_missing_heading_and_ignores_code(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "other.md").write_text("# Other page\n\n## Step 1: set it up\n")
    page = tmp_path / "README.md"
    page.write_text(
        "# Title\n\n## Try it: two commands\n\n"
        "[here](#try-it-two-commands) [there](docs/other.md#step-1-set-it-up) [folder](docs) [web](https://x.test/#a)\n"
        "[gone](docs/missing.md) [nowhere](#try-it) [elsewhere](docs/other.md#other) `[code](docs/nope.md)`\n\n"
        "```sh\n# a comment, not a heading\n[text](docs/nope.md)\n```\n\n[comment](#a-comment-not-a-heading)\n"
    )
    assert broken_links(page, tmp_path) == [
        "README.md: docs/missing.md (no such file)",
        "README.md: #try-it (no such heading in README.md)",
        "README.md: docs/other.md#other (no such heading in other.md)",
        "README.md: #a-comment-not-a-heading (no such heading in README.md)",
    ]


def test_anchors_follow_githubs_rule(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    # The first: the worked example of creachadair's "GitHub Heading Anchors and You" (gist e35cefd8e3fbdfe3); the
    # second, GitHub's anchor for a heading with a spaced hyphen, quoted on Stack Overflow (question 50866552); the
    # repeat gets -1, as GitHub's documentation of section links says.
    page.write_text(
        '# "Read it and Weep": A sordid semi-AutoBiographical tale/fantasy over 3.5 Generations!\n\n'
        "## `PG::ConnectionBad - Is the server running locally`\n\n### Account prerequisites\n\n"
        "## Account prerequisites\n"
    )
    assert anchors(page) == {
        "read-it-and-weep-a-sordid-semi-autobiographical-talefantasy-over-35-generations",
        "pgconnectionbad---is-the-server-running-locally",
        "account-prerequisites",
        "account-prerequisites-1",
    }


def test_the_readme_links_every_page_of_docs() -> None:
    linked = {(ROOT / urlsplit(target).path).resolve() for target in links(ROOT / "README.md")}
    pages = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "docs" / "iam"]
    assert [page.name for page in pages if page.resolve() not in linked] == []


def test_every_docs_page_the_sources_name_exists() -> None:
    """Code, settings descriptions, workflows and pages that send a reader to ``docs/<page>.md`` name a page that
    exists (the tests' own fixtures, which make pages in temporary folders, excepted)."""
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    named = {
        (path, page)
        for path in listed.splitlines()
        if not path.startswith("tests/") and (ROOT / path).is_file()
        for page in re.findall(r"(?<![\w/])docs/[\w.-]+\.md\b", (ROOT / path).read_text(errors="replace"))
    }
    assert len(named) > 20
    assert sorted((path, page) for path, page in named if not (ROOT / page).is_file()) == []
