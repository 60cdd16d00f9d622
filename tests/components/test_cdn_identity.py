"""Deployed stacks keep their Cloudflare resources: the Cdn took the type ``webstack:cdn:Cdn`` and its certificate
validation records a component of their own, and every URN the stacks had (``data/cdn_before.json``, recorded from
prod and single-server before the change) is either unchanged or named by an alias of the resource that replaces it
in the program, with the same inputs, so that the engine moves it and has nothing to update or replace (aliases
resolved as Pulumi does: tests/components/identity.py)."""

import json
from pathlib import Path
from typing import Any

import pytest

from stackcheck.engine.resources import redact
from tests.components.identity import moves

BEFORE = json.loads((Path(__file__).parent / "data" / "cdn_before.json").read_text())["stacks"]
RENAMED = ("webstack:cloudflare:Cdn", "webstack:cdn:Cdn")


@pytest.mark.parametrize("stack", sorted(BEFORE))
def test_every_cloudflare_urn_the_stack_had_is_kept_or_aliased_with_the_same_inputs(stack: str) -> None:
    before: dict[str, Any] = BEFORE[stack]
    current, moved = moves(stack, before)
    # The change did move things (else this test proves nothing): the Cdn and each of its children.
    assert any(urn.endswith("webstack:cloudflare:Cdn::cdn") for urn in moved)
    assert len(moved) == len(before)
    for old, new in moved.items():
        resource = current[new]
        # Only the component's own token changed; every cloud resource keeps its type.
        assert resource.type == before[old]["type"] or (before[old]["type"], resource.type) == RENAMED, old
        assert redact(resource.inputs) == before[old]["inputs"], old


def test_the_cdn_and_the_validation_records_name_their_old_identity(prod_run: Any) -> None:
    """What the test above resolves, as the program registers it."""
    by_name = {r.name: r for r in prod_run.resources}
    assert by_name["cdn"].type == "webstack:cdn:Cdn"
    assert by_name["cdn"].aliases == ["type=webstack:cloudflare:Cdn"]
    old_cdn = "urn:pulumi:prod::webstack::webstack:cloudflare:Cdn::cdn"
    for label in ("apex", "www"):
        record = by_name[f"cdn-validation-{label}"]
        assert record.parent == by_name["cdn-validation"].urn
        assert f"parent={old_cdn}" in record.aliases
