"""Build contexts: the files Docker sends, as .dockerignore decides, and the tag that follows them."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.build_context import context_tag, sent_files
from components.settings import BuildSettings


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "app" / "Dockerfile", "FROM scratch\n")
    write(tmp_path / "app" / "src" / "app.py", "print('hello')\n")
    return tmp_path / "app"


def test_the_tag_is_stable_for_the_same_content(app: Path, tmp_path: Path) -> None:
    write(tmp_path / "copy" / "Dockerfile", "FROM scratch\n")
    write(tmp_path / "copy" / "src" / "app.py", "print('hello')\n")
    first = context_tag(BuildSettings(context="app"))
    assert first.startswith("src-")
    assert len(first) == len("src-") + 16
    assert context_tag(BuildSettings(context="app")) == first
    assert context_tag(BuildSettings(context="copy")) == first


def test_the_tag_changes_with_a_file_the_dockerfile_the_target_or_an_argument(app: Path) -> None:
    build = BuildSettings(context="app")
    tags = {context_tag(build)}
    write(app / "src" / "app.py", "print('hello, world')\n")
    tags.add(context_tag(build))
    write(app / "Dockerfile", "FROM scratch\nUSER 1000\n")
    tags.add(context_tag(build))
    tags.add(context_tag(BuildSettings(context="app", target="runtime")))
    tags.add(context_tag(BuildSettings(context="app", args={"VERSION": "2"})))
    assert len(tags) == 5


def test_without_a_dockerignore_every_file_is_sent(app: Path) -> None:
    write(app / ".git" / "HEAD", "ref: refs/heads/main\n")
    assert sent_files(app) == [".git/HEAD", "Dockerfile", "src/app.py"]


def test_ignored_directories_files_and_anchored_patterns_are_not_sent(app: Path) -> None:
    write(app / ".dockerignore", "# local only\n.git\nnode_modules/\n*.log\n/coverage\n")
    write(app / "node_modules" / "left-pad" / "index.js", "module.exports = 1\n")
    write(app / "debug.log", "noise\n")
    write(app / "coverage" / "index.html", "<html></html>\n")
    write(app / ".git" / "HEAD", "ref: refs/heads/main\n")
    assert sent_files(app) == [".dockerignore", "Dockerfile", "src/app.py"]
    before = context_tag(BuildSettings(context="app"))
    write(app / "debug.log", "more noise\n")
    assert context_tag(BuildSettings(context="app")) == before


def test_a_single_star_stays_within_one_directory(app: Path) -> None:
    write(app / ".dockerignore", "*.md\n")
    write(app / "NOTES.md", "x\n")
    write(app / "docs" / "guide.md", "x\n")
    assert "NOTES.md" not in sent_files(app)
    assert "docs/guide.md" in sent_files(app)


def test_a_double_star_spans_directories(app: Path) -> None:
    write(app / ".dockerignore", "**/*.md\n")
    write(app / "NOTES.md", "x\n")
    write(app / "docs" / "deep" / "guide.md", "x\n")
    assert [f for f in sent_files(app) if f.endswith(".md")] == []


def test_a_later_exception_takes_files_back(app: Path) -> None:
    write(app / ".dockerignore", "*.md\n!README.md\n")
    write(app / "README.md", "x\n")
    write(app / "NOTES.md", "x\n")
    assert "README.md" in sent_files(app)
    assert "NOTES.md" not in sent_files(app)
    before = context_tag(BuildSettings(context="app"))
    write(app / "README.md", "changed\n")
    assert context_tag(BuildSettings(context="app")) != before


def test_the_dockerfile_counts_even_when_ignored(app: Path) -> None:
    write(app / ".dockerignore", "Dockerfile\n")
    before = context_tag(BuildSettings(context="app"))
    write(app / "Dockerfile", "FROM scratch\nUSER 1000\n")
    assert context_tag(BuildSettings(context="app")) != before
