"""One set of mocks for the whole test run: stackcheck's own (``stackcheck.engine.mocks.install``), never a second copy.

The Pulumi runtime is process-global, so the mocks are installed once, here, before any test module imports a
component. Component tests construct their component inside ``construct(...)``, which waits until every
registration has finished, then look at what the recorder saw. Whole-stack tests share one program run per stack
per session (tests/stackruns.py): ``prod_run``/``staging_run``/``local_run``, and ``run_stackcheck``, the real
command line over those runs.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import hypothesis
import pulumi
import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stackcheck.engine.mocks import install  # noqa: E402
from stackcheck.engine.resources import RecordedResource, Recorder  # noqa: E402
from tests.stackruns import CACHE_ENV, run_stackcheck, run_stackcheck_process, stack_run  # noqa: E402

__all__ = ["run_stackcheck", "run_stackcheck_process"]
_OWNS_CACHE = pytest.StashKey[bool]()

TEST_REGION = "eu-west-1"
TEST_CONFIG = {"aws:region": TEST_REGION, "webstack:environment": "prod", "webstack:domain": "app.example.org"}

# Hypothesis judges speed by default (a 200 ms deadline per example, a health check on slow data generation): no
# test here may depend on how fast the machine is, so neither applies (Hypothesis documentation, "settings":
# deadline=None; "health checks": HealthCheck.too_slow).
hypothesis.settings.register_profile("webstack", deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow])
hypothesis.settings.load_profile("webstack")

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


def stackcheck_json(stack: str, *args: str, root: Path = ROOT) -> tuple[int, dict[str, Any]]:
    result = run_stackcheck(stack, "--json", *args, root=root)
    return result.returncode, json.loads(result.stdout)


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A scratch project: the real program, settings and policies, with stack files of the test's own."""
    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (tmp_path / name).symlink_to(ROOT / name)
    return tmp_path


def recorded_stack(stack: str, *, root: Path = ROOT) -> Any:
    """A stack's RunResult, from the session's one program run of it (see tests/stackruns.py)."""
    return stack_run(root, stack)


@pytest.fixture(scope="session")
def prod_run() -> Any:
    """The prod stack's RunResult (resources, outputs, secret outputs), recorded once per test session."""
    return stack_run(ROOT, "prod")


@pytest.fixture(scope="session")
def staging_run() -> Any:
    """The staging stack's RunResult, recorded once per test session."""
    return stack_run(ROOT, "staging")


@pytest.fixture(scope="session")
def local_run() -> Any:
    """The local (docker) stack's RunResult, recorded once per test session."""
    return stack_run(ROOT, "local")


def pytest_configure(config: pytest.Config) -> None:
    """One directory of recorded stack runs for the whole session, shared with every xdist worker (which inherit
    the environment of the process that starts them)."""
    if CACHE_ENV not in os.environ:
        os.environ[CACHE_ENV] = tempfile.mkdtemp(prefix="webstack-runs-")
        config.stash[_OWNS_CACHE] = True
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_RealServerDistribution(), "webstack-realserver-distribution")


class _RealServerDistribution:
    """``-n``'s default distribution, with each real-server module's tests kept on one worker
    (tests/realserver/scheduling.py). A plugin registered only when xdist is loaded, since pytest refuses a hook
    it does not know (``-p no:xdist``)."""

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
        if config.getvalue("dist") != "load":
            return None
        from tests.realserver.scheduling import RealServerScheduling

        return RealServerScheduling(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.stash.get(_OWNS_CACHE, False):
        shutil.rmtree(os.environ.pop(CACHE_ENV), ignore_errors=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Once every test module (and so every provider SDK) is imported, move what exists into the garbage
    collector's permanent generation: the SDKs' object graphs are several hundred thousand objects that live as long
    as the process, and every full collection would walk them again."""
    gc.collect()
    gc.freeze()
