"""Planting one mistake into a recorded stack: a copy of its resources with one resource's inputs (or outputs)
changed, or without some resources."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

from stackcheck.engine.resources import RecordedResource


def named(resources: list[RecordedResource], name: str) -> RecordedResource:
    (found,) = [r for r in resources if r.name == name]
    return found


def planted(
    run: Any, name: str, change: Callable[[dict[str, Any]], None], *, outputs: bool = False
) -> list[RecordedResource]:
    """The run's resources with the inputs (or outputs) of the resource named ``name`` changed by ``change``."""
    resources = list(run.resources)
    index = resources.index(named(resources, name))
    original = resources[index]
    inputs, state = copy.deepcopy(original.inputs), copy.deepcopy(original.outputs)
    change(state if outputs else inputs)
    resources[index] = dataclasses.replace(original, inputs=inputs, outputs=state)
    return resources


def without(resources: list[RecordedResource], *names: str) -> list[RecordedResource]:
    return [r for r in resources if r.name not in names]
