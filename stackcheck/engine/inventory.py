"""The components of a run: every recorded resource and the top-level component that owns it.

A top-level component is a registration whose parent is not among the records (the stack itself); every resource
under it, at any depth, belongs to it. A top-level custom resource or provider belongs to no component: it is one of
the stack's own. The reports, the cost estimate and the architecture diagram all group resources this way.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from stackcheck.engine.resources import RecordedResource

#: The group of the stack's own resources (top-level custom resources and providers).
STACK_GROUP = "(stack)"


@dataclass(frozen=True)
class Inventory:
    """The records by URN (the last registration of a URN wins), and each one's top-level ancestor."""

    by_urn: Mapping[str, RecordedResource]

    @classmethod
    def of(cls, resources: Iterable[RecordedResource]) -> Inventory:
        return cls({r.urn: r for r in resources})

    @cached_property
    def top(self) -> Mapping[str, RecordedResource]:
        """Each resource's top-level ancestor by its URN (a top-level resource is its own)."""
        tops: dict[str, RecordedResource] = {}
        for resource in self.by_urn.values():
            top = resource
            while top.parent in self.by_urn:
                top = self.by_urn[top.parent]
            tops[resource.urn] = top
        return tops

    def is_stack_resource(self, resource: RecordedResource) -> bool:
        """A top-level custom resource or provider: the stack's own, in no component."""
        return self.top[resource.urn] is resource and (resource.custom or resource.type.startswith("pulumi:providers:"))

    @cached_property
    def groups(self) -> dict[str, list[RecordedResource]]:
        """Resources by their top-level component (``name (type)``), in name order; the stack's own last, under
        :data:`STACK_GROUP`. A component's own registration is not among its members."""
        groups: dict[str, list[RecordedResource]] = defaultdict(list)
        for resource in self.by_urn.values():
            top = self.top[resource.urn]
            if self.is_stack_resource(resource):
                groups[STACK_GROUP].append(resource)
            elif top is not resource:
                groups[group_name(top)].append(resource)
        return dict(sorted(groups.items(), key=lambda item: (item[0] == STACK_GROUP, item[0])))

    @cached_property
    def components(self) -> dict[str, RecordedResource]:
        """The top-level components (not custom resources) by group name."""
        return {group_name(r): r for r in self.by_urn.values() if not r.custom and r.parent not in self.by_urn}


def group_name(component: RecordedResource) -> str:
    """How reports name a top-level component: ``name (type)``."""
    return f"{component.name} ({component.type})"
