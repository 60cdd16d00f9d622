"""Build contexts: which files Docker sends, and a tag that changes exactly when they do.

``context_tag`` digests the files a ``docker build`` of the context would see, following the ignore file as Docker
reads it (``*`` stays within one path segment, ``**`` spans segments, a pattern that matches a directory excludes
everything below it, and a later ``!`` line takes files back), plus the Dockerfile, the target and the build
arguments. Images pushed to repositories with immutable tags are tagged with it: a new tag for new content, the
same tag (and no push) for the same content.

The ignore file is ``<Dockerfile>.dockerignore`` when it exists, else the context's ``.dockerignore``: Docker's rule
(Docker docs, "Build context: filename and location") and pulumi-docker's, which builds the context it sends itself
(pulumi/pulumi-docker ``provider/provider.go``, ``getIgnorePatterns``). So several images can share one context
(the project root) and each send only its own files.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .settings import BuildSettings

if TYPE_CHECKING:  # imported when an image is built (docker_build): an aws stack with pinned images never loads it
    import pulumi_docker as docker


@dataclass(frozen=True)
class IgnoreRule:
    pattern: re.Pattern[str]
    keep: bool
    """A ``!`` line: files it matches are sent after all."""
    prefix: str = ""
    """The pattern's leading path segments without wildcards (``app/backend`` for ``app/backend/*.py``)."""


def ignore_file(root: Path, dockerfile: str = "Dockerfile") -> Path:
    """The ignore file a build of ``root`` with ``dockerfile`` (relative to ``root``) follows."""
    specific = root / f"{dockerfile}.dockerignore"
    return specific if specific.is_file() else root / ".dockerignore"


def ignore_rules(root: Path, dockerfile: str = "Dockerfile") -> list[IgnoreRule]:
    """The rules of the ignore file (:func:`ignore_file`) in order (none when there is no such file)."""
    path = ignore_file(root, dockerfile)
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
            rules.append(IgnoreRule(_glob(pattern), keep, _literal_prefix(pattern)))
    return rules


def _literal_prefix(pattern: str) -> str:
    segments = []
    for segment in pattern.split("/"):
        if any(char in segment for char in "*?[\\"):
            break
        segments.append(segment)
    return "/".join(segments)


def _may_take_back_below(directory: str, rules: list[IgnoreRule]) -> bool:
    """Whether a ``!`` rule may match something inside ``directory``: its literal prefix leads into it or below it
    (an empty prefix, a pattern that starts with a wildcard, may match anywhere)."""
    for rule in rules:
        if not rule.keep:
            continue
        prefix = rule.prefix
        if (
            not prefix
            or prefix == directory
            or prefix.startswith(directory + "/")
            or directory.startswith(prefix + "/")
        ):
            return True
    return False


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


def sent_files(root: Path, dockerfile: str = "Dockerfile") -> list[str]:
    """The files Docker sends from the context, as sorted POSIX paths relative to it."""
    rules = ignore_rules(root, dockerfile)
    files = []
    for directory, subdirectories, names in os.walk(root):
        base = Path(directory).relative_to(root).as_posix()
        prefix = "" if base == "." else f"{base}/"
        # An excluded directory that no ``!`` rule can bring anything back from is not even walked.
        subdirectories[:] = [
            d for d in subdirectories if not is_ignored(prefix + d, rules) or _may_take_back_below(prefix + d, rules)
        ]
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
    for relative in sent_files(root, build.dockerfile):
        digest.update(relative.encode() + b"\0" + (root / relative).read_bytes() + b"\0")
    return f"src-{digest.hexdigest()[:16]}"


def docker_build(build: BuildSettings, platform: str | None = None) -> docker.DockerBuildArgs:
    """pulumi-docker's build arguments for ``build``: the context and the Dockerfile as paths from the project
    directory (where ``pulumi up`` runs the program), for ``platform`` (None: the Docker host's own)."""
    import pulumi_docker as docker

    return docker.DockerBuildArgs(
        context=build.context,
        dockerfile=os.path.join(build.context, build.dockerfile),
        target=build.target or None,
        args=build.args or None,
        platform=platform,
    )
