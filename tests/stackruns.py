"""Whole-stack program runs, each done once per test session and shared by every test and every xdist worker.

Running a stack's program is the expensive part of a stackcheck run (the provider SDKs' imports and a few hundred
registrations); everything after it (policies, reports, exit codes) is cheap and is what most whole-stack tests are
about. So a program run happens once per (project directory, stack) per session, in a fresh process (the Pulumi
runtime is process-global: one program run per process), and its recorded result is kept on disk, where the other
workers of a ``pytest -n`` session find it (a lock file makes the second asker wait for the first).

:func:`run_stackcheck` then runs the real command line, ``stackcheck.cli.main``, in this process with that shared
result in place of a new program run: argument parsing, project-file checks, policy configuration, evaluation,
reports and exit codes are all the real ones. A few tests (``tests/stackcheck/test_cli.py``) still start
``python -m stackcheck`` as a process of its own, to prove the command itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

#: Where the session keeps its recorded runs; set by tests/conftest.py before any worker starts.
CACHE_ENV = "WEBSTACK_TEST_RUNS"

_RUN = """
import pickle, sys
from pathlib import Path
sys.path.insert(0, {repo!r})
from stackcheck.engine.run import ProgramError, run_program
try:
    outcome = ("ok", run_program(Path({root!r}), {stack!r}))
except ProgramError as error:
    outcome = ("error", error.message, error.detail, error.registered)
with open({path!r}, "wb") as file:
    pickle.dump(outcome, file)
"""


def _cache_dir() -> Path:
    directory = os.environ.get(CACHE_ENV)
    if not directory:
        raise RuntimeError(f"{CACHE_ENV} is not set: tests/conftest.py sets it when the session starts")
    return Path(directory)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def stack_run(root: Path, stack: str) -> Any:
    """The RunResult of ``root``'s program as ``stack`` (raises the run's ProgramError), recorded once a session.

    The project and stack files are read here first, so that what the CLI rejects before running anything
    (ProjectFileError) is raised here too, uncached."""
    from stackcheck.engine.project import load_project, load_stack
    from stackcheck.engine.run import ProgramError

    root = root.resolve()
    load_stack(root, load_project(root), stack)
    key = hashlib.sha256(f"{root}\0{stack}".encode()).hexdigest()[:20]
    path = _cache_dir() / f"{key}.pickle"
    with _locked(path.with_suffix(".lock")):
        if not path.exists():
            code = _RUN.format(repo=str(ROOT), root=str(root), stack=stack, path=str(path))
            done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0 or not path.exists():
                raise RuntimeError(f"recording {stack} failed:\n{done.stderr}")
        outcome = pickle.loads(path.read_bytes())
    if outcome[0] == "error":
        _, message, detail, registered = outcome
        raise ProgramError(message, detail, registered)
    return outcome[1]


@contextlib.contextmanager
def _shared_program_runs() -> Iterator[None]:
    import stackcheck.engine.run

    real = stackcheck.engine.run.run_program
    stackcheck.engine.run.run_program = stack_run
    try:
        yield
    finally:
        stackcheck.engine.run.run_program = real


def run_stackcheck(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m stackcheck ARGS --root ROOT``: the real command line, in this process, over the shared run."""
    from stackcheck.cli import main

    argv = [*args, "--root", str(root)]
    out, err = io.StringIO(), io.StringIO()
    path = list(sys.path)
    with _shared_program_runs(), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as error:  # argparse
            code = error.code if isinstance(error.code, int) else 2
    sys.path[:] = path
    return subprocess.CompletedProcess(["stackcheck", *argv], code, out.getvalue(), err.getvalue())


def run_stackcheck_process(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """``python -m stackcheck ARGS --root ROOT`` in a process of its own: the command exactly as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "stackcheck", *args, "--root", str(root)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
