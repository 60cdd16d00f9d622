"""Build contexts: which files Docker sends, and a tag that changes exactly when they do.

``context_tag`` digests the files a ``docker build`` of the context would see, following ``.dockerignore`` as Docker
reads it (``*`` stays within one path segment, ``**`` spans segments, a pattern that matches a directory excludes
everything below it, and a later ``!`` line takes files back), plus the Dockerfile, the target and the build
arguments. Images pushed to repositories with immutable tags are tagged with it: a new tag for new content, the
same tag (and no push) for the same content.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path

from components.settings import BuildSettings


@dataclass(frozen=True)
class IgnoreRule:
    pattern: re.Pattern[str]
    keep: bool
    """A ``!`` line: files it matches are sent after all."""


def ignore_rules(root: Path) -> list[IgnoreRule]:
    """The rules of ``root/.dockerignore`` in order (none when there is no such file)."""
    path = root / ".dockerignore"
    if not path.is_file():
        return []
    rules = []
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keep = line.startswith("!")
        pattern = posixpath.normpath(line[1:].strip() if keep else line).lstrip("/")
        if pattern and pattern != ".":
            rules.append(IgnoreRule(_glob(pattern), keep))
    return rules


def _glob(pattern: str) -> re.Pattern[str]:
    out, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and "]" in pattern[i + 1 :]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
            continue
        elif char == "\\" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


def is_ignored(relative: str, rules: list[IgnoreRule]) -> bool:
    """Whether Docker leaves ``relative`` (a POSIX path inside the context) out: the last rule that matches the path,
    or one of its parent directories, decides."""
    parts = relative.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for rule in rules:
        if any(rule.pattern.fullmatch(candidate) for candidate in candidates):
            ignored = not rule.keep
    return ignored


def sent_files(root: Path) -> list[str]:
    """The files Docker sends from the context, as sorted POSIX paths relative to it."""
    rules = ignore_rules(root)
    can_take_back = any(rule.keep for rule in rules)
    files = []
    for directory, subdirectories, names in os.walk(root):
        base = Path(directory).relative_to(root).as_posix()
        prefix = "" if base == "." else f"{base}/"
        if not can_take_back:  # nothing can bring an excluded directory back: do not even walk it
            subdirectories[:] = [d for d in subdirectories if not is_ignored(prefix + d, rules)]
        files.extend(prefix + name for name in names if not is_ignored(prefix + name, rules))
    return sorted(files)


def context_tag(build: BuildSettings) -> str:
    """An immutable image tag: ``src-`` and 16 hex digits of the build inputs' digest."""
    root = Path(build.context)
    digest = hashlib.sha256()
    digest.update(json.dumps([build.dockerfile, build.target, sorted(build.args.items())]).encode())
    dockerfile = root / build.dockerfile
    if dockerfile.is_file():  # sent even when .dockerignore lists it
        digest.update(b"Dockerfile\0" + dockerfile.read_bytes() + b"\0")
    for relative in sent_files(root):
        digest.update(relative.encode() + b"\0" + (root / relative).read_bytes() + b"\0")
    return f"src-{digest.hexdigest()[:16]}"
