"""Deployed stacks keep their web tier: each service's resources moved under a ``Service`` component of their own
(under the WebTier), and every URN the stacks had (``data/web_tier_before.json``, recorded from prod and staging
before the change) is named by an alias of the resource that replaces it in the program, with the same type and
inputs, so that the engine moves it and has nothing to update or replace. Aliases are resolved as Pulumi does (see
``test_cdn_identity.py``, whose resolver this uses)."""

import json
from pathlib import Path
from typing import Any

import pytest

from stackcheck.engine.resources import redact
from tests.components.identity import moves

BEFORE = json.loads((Path(__file__).parent / "data" / "web_tier_before.json").read_text())["stacks"]
SERVICE_TYPE = "webstack:aws:Service"
#: What holds data or is named by what does: replacing one would lose logs or images, or rename what others use.
STATEFUL = ("aws:cloudwatch/logGroup:LogGroup", "aws:ecr/repository:Repository")


@pytest.mark.parametrize("stack", sorted(BEFORE))
def test_every_web_tier_urn_the_stack_had_is_aliased_with_the_same_inputs(stack: str) -> None:
    before: dict[str, Any] = BEFORE[stack]
    current, moved = moves(stack, before)
    # The change did move things (else this test proves nothing): every recorded URN, the stateful ones among them.
    assert len(moved) == len(before)
    assert {before[urn]["type"] for urn in moved} >= set(STATEFUL)
    for old, new in moved.items():
        resource = current[new]
        assert resource.type == before[old]["type"], old
        assert resource.name == old.rsplit("::", 1)[1], old
        assert redact(resource.inputs) == before[old]["inputs"], old
        # Only the parent changed: the resource now sits under its service (directly or in its migration).
        assert f"${SERVICE_TYPE}" in new.split("::")[2], new


def test_each_service_names_the_web_tier_as_its_old_parent(prod_run: Any) -> None:
    """What the test above resolves, as the program registers it."""
    by_name = {r.name: r for r in prod_run.resources}
    web = by_name["web"]
    for service in ("frontend", "backend"):
        component = by_name[f"web-{service}"]
        assert (component.type, component.parent) == (SERVICE_TYPE, web.urn)
        for suffix in ("logs", "task", "service", "execution-role", "task-role", "scaling"):
            child = by_name[f"web-{service}-{suffix}"]
            assert child.parent == component.urn
            assert f"parent={web.urn}" in child.aliases, child.name
