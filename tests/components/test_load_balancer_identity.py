"""Deployed stacks keep their load balancer and its certificate: the certificate is now created beside the load
balancer (components/aws/certificate.py) instead of as its child, and every URN the aws stacks had under the load
balancer, and their validation records (``data/load_balancer_before.json``, recorded from prod and staging before the
change), is either unchanged or named by an alias of the resource that replaces it in the program, with the same type,
provider and inputs: the engine moves it and has nothing to update or replace (an ACM certificate replaced would be
re-issued and re-validated, and the listener would switch to it)."""

import json
from pathlib import Path
from typing import Any

import pytest

from stackcheck.engine.resources import redact
from tests.components.identity import moves
from tests.conftest import recorded_stack

BEFORE = json.loads((Path(__file__).parent / "data" / "load_balancer_before.json").read_text())["stacks"]
CERTIFICATE = "aws:acm/certificate:Certificate"


def _provider(reference: str) -> str:
    """A provider reference (``<urn>::<id>``) as its URN."""
    return reference.rsplit("::", 1)[0]


@pytest.mark.parametrize("stack", sorted(BEFORE))
def test_every_urn_the_load_balancer_had_is_kept_or_aliased_with_the_same_inputs(stack: str) -> None:
    before: dict[str, Any] = BEFORE[stack]
    current, moved = moves(stack, before)
    # The change did move something (else this test proves nothing): the certificate, and only it.
    assert [before[urn]["type"] for urn in moved] == [CERTIFICATE]
    for old in before:
        resource = current[moved.get(old, old)]
        assert resource.type == before[old]["type"], old
        assert _provider(resource.provider) == before[old]["provider"], old
        assert redact(resource.inputs) == before[old]["inputs"], old


@pytest.mark.parametrize("stack", sorted(BEFORE))
def test_the_listener_still_waits_for_the_validated_certificate(stack: str) -> None:
    """The records, then the validation, then :443: the order the load balancer kept while it wrote the records."""
    by_name = {r.name: r for r in recorded_stack(stack).resources}
    certificate, validation, https = (
        by_name["edge-certificate"],
        by_name["edge-certificate-validation"],
        by_name["edge-https"],
    )
    records = [r for name, r in by_name.items() if name.endswith(("-validation-apex", "-validation-www"))]
    assert len(records) == 2
    assert validation.parent == by_name["edge"].urn
    assert validation.property_dependencies["certificateArn"] == [certificate.urn]
    assert sorted(validation.property_dependencies["validationRecordFqdns"]) == sorted(r.urn for r in records)
    assert https.property_dependencies["certificateArn"] == [validation.urn]
    for record in records:
        assert certificate.urn in record.dependencies
