"""Deployed stacks keep their Cloudflare resources: the Cdn took the type ``webstack:cdn:Cdn`` and its certificate
validation records a component of their own, and every URN the stacks had (``data/cdn_before.json``, recorded from
prod and single-server before the change) is either unchanged or named by an alias of the resource that replaces it
in the program, with the same inputs, so that the engine moves it and has nothing to update or replace.

Aliases are resolved as Pulumi does: a resource's own aliases (the recorded specs or URNs) with the SDK's
``pulumi.create_urn``, and the aliases a child inherits from its parent's with the SDK's own
``pulumi.runtime.resource.inherited_child_alias`` (``all_aliases`` in the same module applies it to every parent
alias; with alias specs the engine does the same)."""

import json
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pulumi.runtime.resource import inherited_child_alias

from stackcheck.engine.resources import RecordedResource, redact
from tests.conftest import construct, recorded_stack

BEFORE = json.loads((Path(__file__).parent / "data" / "cdn_before.json").read_text())["stacks"]
STACK_TYPE = "pulumi:pulumi:Stack"
RENAMED = ("webstack:cloudflare:Cdn", "webstack:cdn:Cdn")


def _spec(text: str) -> dict[str, str]:
    """A recorded alias spec (``name=... type=... parent=...``) as its fields."""
    return dict(part.split("=", 1) for part in text.split())


def _is_stack(urn: str) -> bool:
    return urn.split("::")[2] == STACK_TYPE


def alias_urns(resources: list[RecordedResource]) -> dict[str, str]:
    """Every URN a resource of the run answers to through an alias -> the resource's URN."""
    by_urn = {r.urn: r for r in resources}

    def own(resource: RecordedResource) -> list[pulumi.Input[str]]:
        stack, project = resource.urn.split("::")[0].removeprefix("urn:pulumi:"), resource.urn.split("::")[1]
        found: list[pulumi.Input[str]] = []
        for text in resource.aliases:
            if text.startswith("urn:"):
                found.append(text)
                continue
            spec = _spec(text)
            parent = spec.get("parent", resource.parent)
            # A URN names no root-stack parent: a resource right under the stack has the plain prefix.
            at_root = parent in ("none", "") or _is_stack(parent)
            found.append(
                pulumi.create_urn(
                    spec.get("name", resource.name),
                    spec.get("type", resource.type),
                    parent=None if at_root else parent,
                    project=project,
                    stack=stack,
                )
            )
        return found

    def every(resource: RecordedResource) -> list[pulumi.Input[str]]:
        aliases = own(resource)
        parent = by_urn.get(resource.parent)
        if parent is not None and not _is_stack(parent.urn):
            aliases += [
                inherited_child_alias(resource.name, parent.name, parent_alias, resource.type)
                for parent_alias in every(parent)
            ]
        return aliases

    resolved: dict[str, str] = {}

    def factory() -> None:
        for resource in resources:
            for alias in every(resource):
                pulumi.Output.from_input(alias).apply(
                    lambda urn, current=resource.urn: resolved.setdefault(urn, current)
                )

    construct(factory)
    return resolved


@pytest.mark.parametrize("stack", sorted(BEFORE))
def test_every_cloudflare_urn_the_stack_had_is_kept_or_aliased_with_the_same_inputs(stack: str) -> None:
    resources = recorded_stack(stack).resources
    current = {r.urn: r for r in resources}
    aliased = alias_urns(resources)
    before: dict[str, Any] = BEFORE[stack]
    moved = {urn: aliased[urn] for urn in before if urn not in current and urn in aliased}
    assert [urn for urn in before if urn not in current and urn not in aliased] == []
    # The change did move things (else this test proves nothing): the Cdn and each of its children.
    assert any(urn.endswith("webstack:cloudflare:Cdn::cdn") for urn in moved)
    assert len(moved) == len(before)
    assert len(set(moved.values())) == len(moved), "two old resources would merge into one"
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
