"""What deployed stacks keep across a change of the program: every URN a stack had (recorded before the change) is
either unchanged or named by an alias of the resource that replaces it, so that the engine moves it instead of
deleting and creating it.

Aliases are resolved as Pulumi does: a resource's own aliases (the recorded specs or URNs) with the SDK's
``pulumi.create_urn``, and the aliases a child inherits from its parent's with the SDK's own
``pulumi.runtime.resource.inherited_child_alias`` (``all_aliases`` in the same module applies it to every parent
alias; with alias specs the engine does the same)."""

from typing import Any

import pulumi
from pulumi.runtime.resource import inherited_child_alias

from stackcheck.engine.resources import RecordedResource
from tests.conftest import construct, recorded_stack

STACK_TYPE = "pulumi:pulumi:Stack"


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


def moves(stack: str, before: dict[str, Any]) -> tuple[dict[str, RecordedResource], dict[str, str]]:
    """The stack's resources by URN, and each URN of ``before`` that is gone -> the URN of the resource that answers
    to it through an alias. Fails when an old URN is neither kept nor aliased, or two old resources would become
    one."""
    resources = recorded_stack(stack).resources
    current = {r.urn: r for r in resources}
    aliased = alias_urns(resources)
    assert [urn for urn in before if urn not in current and urn not in aliased] == []
    moved = {urn: aliased[urn] for urn in before if urn not in current}
    assert len(set(moved.values())) == len(moved), "two old resources would merge into one"
    return current, moved
