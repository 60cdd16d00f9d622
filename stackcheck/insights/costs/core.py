"""What every pricing function shares: the :class:`Estimator` (the stack's components and regions, the price table,
the notes and usage assumptions collected on the way, and :meth:`Estimator.line`, which prices one line) and the
reading of inputs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from typing import Any

from stackcheck.engine.inventory import Inventory
from stackcheck.engine.resources import RecordedResource, is_secret
from stackcheck.insights.costs.model import CostLine, cents, figure
from stackcheck.insights.costs.prices import FALLBACK_REGION, PriceTable
from stackcheck.insights.costs.usage import LOG_UNLIMITED_MONTHS


class Estimator:
    """One estimate in the making: the stack's resources by component, its regions, the price table, and the notes
    and usage assumptions the pricing functions collect."""

    def __init__(self, resources: Sequence[RecordedResource], stack: str, prices: PriceTable) -> None:
        self.stack = stack
        self.prices = prices
        self.resources = list(resources)
        inventory = Inventory.of(self.resources)
        self.by_urn = inventory.by_urn
        self.groups = inventory.groups
        self.tops = inventory.components
        self.constants: dict[str, str] = {}
        """The usage constants the lines used, by name."""
        self.notes: list[str] = []
        """Everything else the estimate assumed or left out."""
        self.provider_regions = {
            r.urn: str(read(r, "region"))
            for r in self.resources
            if r.type == "pulumi:providers:aws" and read(r, "region")
        }
        self.region = self._primary_region()

    def _primary_region(self) -> str:
        counts: Counter[str] = Counter()
        for r in self.resources:
            if r.type.startswith("aws:"):
                counts[self.provider_regions.get(r.provider_urn, "")] += 1
        regions = sorted((n, region) for region, n in counts.items() if region)
        if regions:
            return max(regions)[1]
        if counts:
            self.note(f"the stack's AWS region is not recorded: {FALLBACK_REGION} prices are used")
            return FALLBACK_REGION
        return ""

    def region_of(self, r: RecordedResource) -> str:
        return self.provider_regions.get(r.provider_urn, self.region or FALLBACK_REGION)

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def assume(self, name: str, value: float, meaning: str) -> str:
        """``NAME = value meaning``, also listed once among the estimate's assumptions."""
        text = f"{name} = {figure(value)} {meaning}"
        self.constants[name] = text
        return text

    def forever(self) -> str:
        """What is counted for data kept forever."""
        return self.assume("LOG_UNLIMITED_MONTHS", LOG_UNLIMITED_MONTHS, "months counted for data kept forever")

    def line(
        self,
        r: RecordedResource | str,
        item: str,
        quantity: float,
        key: str,
        assumption: str = "",
        region: str | None = None,
        factor: float = 1.0,
        unit: str | None = None,
    ) -> CostLine:
        """A line of ``quantity`` units of price ``key`` (times ``factor``, e.g. 2 for Multi-AZ)."""
        type_ = r if isinstance(r, str) else r.type
        where = region or (self.region if isinstance(r, str) else self.region_of(r)) or FALLBACK_REGION
        price, note = self.prices.lookup(key, where)
        notes = [assumption] if assumption else []
        if note:
            self.note(note)
            notes.append(note)
        unit_price = (price.price if price else 0.0) * factor
        return CostLine(
            item=item if where == self.region or price is None or price.region == "global" else f"{item} ({where})",
            quantity=quantity,
            unit=unit or (price.unit if price else "unit"),
            unit_price=unit_price,
            monthly=cents(quantity * unit_price),
            assumption="; ".join(notes),
            source=price.source if price else "",
            resource_type=type_,
            region=where if price is None or price.region != "global" else "global",
        )

    def find(self, r: RecordedResource, prop: str, type_: str) -> RecordedResource | None:
        """The resource of ``type_`` that ``r``'s property ``prop`` depends on."""
        for urn in r.property_dependencies.get(prop, []):
            target = self.by_urn.get(urn)
            if target is not None and target.type == type_:
                return target
        return None


def read(r: RecordedResource | None, key: str) -> Any:
    """An input as registered (an output when the input is missing, as in state exports); secrets unwrapped."""
    if r is None:
        return None
    value: Any = r.inputs.get(key, r.outputs.get(key))
    return value.get("value") if is_secret(value) else value


def num(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def arn_region(arn: Any) -> str:
    parts = str(arn or "").split(":")
    return parts[3] if len(parts) > 3 else ""
