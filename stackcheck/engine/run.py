"""Runs the Pulumi program of one stack offline, under the recording mocks, and returns what it registered.

One program run per process: the Pulumi runtime keeps global state (tests that run whole stacks use a subprocess).
"""

from __future__ import annotations

import asyncio
import logging
import os
import runpy
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime.stack import wait_for_rpcs

from components.settings import SettingsError
from stackcheck.engine.mocks import install
from stackcheck.engine.project import load_project, load_stack
from stackcheck.engine.resources import RecordedResource


class ProgramError(Exception):
    """The program failed: bad settings (``detail`` empty: the message says it all) or anything else (``detail`` holds
    the traceback). ``registered`` lists what the program registered before it failed."""

    def __init__(self, message: str, detail: str = "", registered: list[RecordedResource] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.registered = registered or []


@dataclass
class RunResult:
    project: str
    stack: str
    resources: list[RecordedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    secret_values: set[str]
    log: list[tuple[str, str]] = field(default_factory=list)
    """Messages the program logged: (level, text)."""


class _LogCapture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.levelname.lower(), record.getMessage()))


def run_program(root: Path, stack: str) -> RunResult:
    """Run ``root/__main__.py`` as stack ``stack``. Raises ProjectFileError or ProgramError."""
    project = load_project(root)
    config = load_stack(root, project, stack)
    capture = _LogCapture()
    logger = logging.getLogger("stackcheck.program")
    logger.propagate = False
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)

    # The runtime binds the root stack resource to the current event loop when the mocks are installed.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recorder = install(
        project=project.name, stack=stack, config=config.values, secret_keys=config.secret_keys, logger=logger
    )
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    previous = Path.cwd()
    os.chdir(root)
    try:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")
        loop.run_until_complete(wait_for_rpcs())
        outputs, secret_outputs = loop.run_until_complete(_stack_outputs())
    except SettingsError as error:
        raise ProgramError(error.message, registered=list(recorder.resources)) from None
    except pulumi.RunError as error:
        raise ProgramError(f"the program failed: {error}", registered=list(recorder.resources)) from None
    except Exception as error:
        raise ProgramError(
            f"the program failed: {type(error).__name__}: {error}", traceback.format_exc(), list(recorder.resources)
        ) from None
    finally:
        os.chdir(previous)
        _close(loop)
    for key in secret_outputs:
        recorder.note_secrets(_texts(outputs[key]))
    return RunResult(
        project=project.name,
        stack=stack,
        resources=list(recorder.resources),
        outputs=outputs,
        secret_outputs=secret_outputs,
        secret_values=set(recorder.secret_values),
        log=capture.records,
    )


def _close(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what a failed program left running, then close the loop (an unclosed loop warns when it is collected,
    on stderr, after the one message a failed run prints)."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(None)


async def _stack_outputs() -> tuple[dict[str, Any], set[str]]:
    root = pulumi.runtime.settings.get_root_resource()
    exported: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
    values: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in exported.items():
        output = pulumi.Output.from_input(value)
        values[key] = await output.future()
        if await output.is_secret():
            secret.add(key)
    return values, secret


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for item in value.values() for t in _texts(item)]
    if isinstance(value, list):
        return [t for item in value for t in _texts(item)]
    return [str(value)] if value not in (None, "") else []
