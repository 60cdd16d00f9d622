"""One set of mocks for the whole test run: stackcheck's own (``stackcheck.mocks.install``), never a second copy.

The Pulumi runtime is process-global, so the mocks are installed once, here, before any test module imports a
component. Component tests construct their component inside ``construct(...)``, which waits until every
registration has finished, then look at what the recorder saw. Whole-stack tests run stackcheck in a subprocess.
"""

from __future__ import annotations

import asyncio
import json
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pulumi
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stackcheck.mocks import RecordedResource, Recorder, install  # noqa: E402

TEST_REGION = "eu-west-1"
TEST_CONFIG = {"aws:region": TEST_REGION, "webstack:environment": "prod", "webstack:domain": "app.example.org"}

asyncio.set_event_loop(asyncio.new_event_loop())
RECORDER: Recorder = install(project="webstack", stack="test", config=TEST_CONFIG)

T = TypeVar("T")

ZONE_ID = "0123456789abcdef0123456789abcdef"
IMAGES = {"frontend": {"image": "ghcr.io/acme/frontend:1.0.0"}, "backend": {"image": "ghcr.io/acme/backend:1.0.0"}}


def valid_config(**overrides: str) -> dict[str, str]:
    """A complete, valid stack configuration as the engine hands it to the program (objects as JSON text)."""
    return {
        "aws:region": "us-east-1",
        "webstack:environment": "prod",
        "webstack:domain": "app.example.org",
        "webstack:web": json.dumps(IMAGES),
        "webstack:cdn": json.dumps({"enabled": True, "zoneId": ZONE_ID, "plan": "business"}),
        **overrides,
    }


def construct(factory: Callable[[], T]) -> T:
    """Build resources inside the Pulumi runtime and return once every registration has completed."""
    built: dict[str, T] = {}

    @pulumi.runtime.test
    def run() -> None:
        built["value"] = factory()

    run()
    return built["value"]


def registered(name_prefix: str, type_: str | None = None) -> list[RecordedResource]:
    """Recorded resources whose logical name starts with ``name_prefix`` (optionally of one type), in order."""
    return [r for r in RECORDER.resources if r.name.startswith(name_prefix) and (type_ is None or r.type == type_)]


def one(name: str) -> RecordedResource:
    """The recorded resource with exactly this logical name."""
    found = [r for r in RECORDER.resources if r.name == name]
    assert len(found) == 1, f"expected one resource named {name}, found {len(found)}"
    return found[0]


def run_stackcheck(*args: str, root: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m stackcheck ...`` in a fresh process (one program run per process)."""
    return subprocess.run(
        [sys.executable, "-m", "stackcheck", *args, "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def stackcheck_json(stack: str, *args: str, root: Path = ROOT) -> tuple[int, dict[str, Any]]:
    result = run_stackcheck(stack, "--json", *args, root=root)
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A scratch project: the real program, settings and policies, with stack files of the test's own."""
    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


_DUMP = """
import pickle, sys
from pathlib import Path
sys.path.insert(0, {root!r})
from stackcheck.engine import run_program
result = run_program(Path({root!r}), {stack!r})
pickle.dump(result, open({path!r}, "wb"))
"""


def recorded_stack(stack: str, directory: Path, root: Path = ROOT) -> Any:
    """A stack's RunResult, from a program run in a fresh process (one program run per process); ``root`` is the
    project (a :func:`project_copy` for stack files of a test's own)."""
    path = directory / f"{stack}.pickle"
    code = _DUMP.format(root=str(root), stack=stack, path=str(path))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=300)
    return pickle.loads(path.read_bytes())


@pytest.fixture(scope="session")
def prod_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The prod stack's RunResult (resources, outputs, secret outputs), recorded once per test session."""
    return recorded_stack("prod", tmp_path_factory.mktemp("prod"))


@pytest.fixture(scope="session")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The local (docker) stack's RunResult, recorded once per test session."""
    return recorded_stack("local", tmp_path_factory.mktemp("local"))
