"""Builds webstack's wheel the way `pip install .` does, outside the working tree, and installs it into a directory
of its own: what a program that installs webstack gets, nothing else (no `components`, no tests)."""

import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: What the build reads: pyproject.toml names the folders it maps into the `webstack` package and the README it
#: embeds as the long description.
SOURCES = ("pyproject.toml", "README.md", "components", "policies")


@dataclass(frozen=True)
class Installed:
    wheel: Path
    site: Path
    """A directory holding only the installed distribution (``pip install --no-deps --target``)."""

    def names(self) -> list[str]:
        with zipfile.ZipFile(self.wheel) as archive:
            return archive.namelist()

    def metadata(self) -> str:
        with zipfile.ZipFile(self.wheel) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
            return archive.read(name).decode()


def _ignore(_directory: str, names: list[str]) -> list[str]:
    return [n for n in names if n in {"__pycache__", "venv", ".pytest_cache"} or n.endswith(".pyc")]


def build_and_install(work: Path) -> Installed:
    """Copy the sources to ``work/src``, build the wheel with pip (setuptools from the project's virtualenv: no
    network), and install it with no dependencies into ``work/site``."""
    source = work / "src"
    source.mkdir(parents=True)
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=_ignore)
        else:
            shutil.copy2(path, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "--quiet"]
    wheels = work / "wheels"
    subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(wheels), str(source)],
        check=True,
        cwd=work,
        capture_output=True,
    )
    (wheel,) = wheels.glob("webstack-*.whl")
    site = work / "site"
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        check=True,
        cwd=work,
        capture_output=True,
    )
    return Installed(wheel=wheel, site=site)
