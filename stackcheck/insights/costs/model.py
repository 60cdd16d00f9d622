"""The estimate and its lines: what a stack costs a month per top-level component, and how it is shown (JSON, the
text report's table, the Markdown of ``docs/architecture-<stack>.md``)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from stackcheck.insights.costs.prices import CURRENCY, FALLBACK_REGION


@dataclass(frozen=True)
class CostLine:
    """One priced item of a component: ``quantity`` ``unit`` at ``unit_price`` a unit, ``monthly`` in total."""

    item: str
    quantity: float
    unit: str
    unit_price: float
    monthly: float
    """Rounded to cents."""
    assumption: str
    """The usage assumptions behind the quantity (constant names and values), or ""."""
    source: str
    """The pricing page the unit price comes from."""
    resource_type: str
    """The resource type the line prices."""
    region: str


@dataclass(frozen=True)
class NotPriced:
    """Resources of one type a component registered that have no price of their own, and why."""

    type: str
    count: int
    reason: str


@dataclass
class ComponentCost:
    """One top-level component (named as :class:`stackcheck.engine.inventory.Inventory` groups it) and its priced
    lines."""

    name: str
    lines: list[CostLine] = field(default_factory=list)
    not_priced: list[NotPriced] = field(default_factory=list)

    @property
    def monthly(self) -> float:
        return cents(sum(line.monthly for line in self.lines))


@dataclass
class CostEstimate:
    """The monthly estimate of one stack."""

    stack: str
    components: list[ComponentCost]
    assumptions: list[str]
    currency: str = CURRENCY
    region: str = FALLBACK_REGION
    prices_note: str = ""
    prices_as_of: str = ""
    price_sources: list[str] = field(default_factory=list)
    """The pricing pages the lines' prices come from."""

    @property
    def total(self) -> float:
        return cents(sum(component.monthly for component in self.components))

    def largest_lines(self, count: int | None = None) -> list[tuple[str, CostLine]]:
        """The ``count`` most expensive lines (all by default), with their components' names."""
        pairs = [(c.name, line) for c in self.components for line in c.lines]
        return sorted(pairs, key=lambda pair: (-pair[1].monthly, pair[0], pair[1].item))[:count]

    @property
    def priced_types(self) -> set[str]:
        return {line.resource_type for component in self.components for line in component.lines}

    @property
    def not_priced(self) -> list[NotPriced]:
        """Not-priced resources over all components, by type."""
        counts: Counter[tuple[str, str]] = Counter()
        for component in self.components:
            for entry in component.not_priced:
                counts[(entry.type, entry.reason)] += entry.count
        return [NotPriced(type_, count, reason) for (type_, reason), count in sorted(counts.items())]

    def to_json(self) -> dict[str, Any]:
        """The estimate as JSON-ready data; money rounded to cents."""
        return {
            "stack": self.stack,
            "currency": self.currency,
            "region": self.region,
            "total": self.total,
            "components": [
                {
                    "name": c.name,
                    "monthly": c.monthly,
                    "lines": [
                        {
                            "item": line.item,
                            "quantity": _quantity(line.quantity),
                            "unit": line.unit,
                            "unitPrice": round(line.unit_price, 6),
                            "monthly": line.monthly,
                            "assumption": line.assumption,
                            "source": line.source,
                            "region": line.region,
                            "resourceType": line.resource_type,
                        }
                        for line in c.lines
                    ],
                    "notPriced": [{"type": n.type, "count": n.count, "reason": n.reason} for n in c.not_priced],
                }
                for c in self.components
            ],
            "notPriced": [{"type": n.type, "count": n.count, "reason": n.reason} for n in self.not_priced],
            "assumptions": list(self.assumptions),
            "prices": {
                "table": "stackcheck/prices.json",
                "asOf": self.prices_as_of,
                "note": self.prices_note,
                "sources": list(self.price_sources),
            },
        }

    def text(self) -> list[str]:
        """A short table for the text report: per component and total, then the assumptions."""
        lines = [
            f"{self.currency} a month at {self.region} on-demand list prices as of {self.prices_as_of} "
            "(not re-checked live)"
            if self.region
            else f"{self.currency} a month: nothing runs in a cloud"
        ]
        width = max([len(c.name) for c in self.components] + [len("total")])
        lines += [f"  {c.name:<{width}}  {money(c.monthly):>12}" for c in self.components]
        lines.append(f"  {'total':<{width}}  {money(self.total):>12}")
        if self.assumptions:
            lines.append("Assumptions")
            lines += [f"  - {assumption}" for assumption in self.assumptions]
        return lines

    def markdown(self) -> str:
        """``## Monthly cost estimate``: the total, a table per component with the assumptions next to the numbers,
        what is not priced, the assumptions, and the price table's source and month."""
        out = [
            "## Monthly cost estimate",
            "",
            f"Stack `{self.stack}`: **{self.currency} {money(self.total)}** a month, at on-demand list prices "
            f"({self.region}; price table as of {self.prices_as_of}, not re-checked live)."
            if self.region
            else f"Stack `{self.stack}`: **{self.currency} {money(self.total)}** a month: nothing runs in a cloud.",
            "",
            f"| Component | Monthly ({self.currency}) |",
            "| --- | ---: |",
        ]
        out += [f"| {_md(c.name)} | {money(c.monthly)} |" for c in self.components]
        out += [f"| **Total** | **{money(self.total)}** |", ""]
        for c in self.components:
            if not c.lines:
                continue
            out += [
                f"### {_md(c.name)}: {self.currency} {money(c.monthly)}",
                "",
                "| Item | Quantity | Unit | Unit price | Monthly | Assumption | Price source |",
                "| --- | ---: | --- | ---: | ---: | --- | --- |",
            ]
            out += [
                f"| {_md(line.item)} | {figure(line.quantity)} | {_md(line.unit)} | {_unit_price(line.unit_price)} "
                f"| {money(line.monthly)} | {_md(line.assumption)} | {line.source} |"
                for line in c.lines
            ]
            out.append("")
        if self.not_priced:
            out += ["### Not priced", "", "| Type | Count | Why |", "| --- | ---: | --- |"]
            out += [f"| `{n.type}` | {n.count} | {_md(n.reason)} |" for n in self.not_priced]
            out.append("")
        if self.assumptions:
            out += ["### Assumptions", ""]
            out += [f"- {_md(assumption)}" for assumption in self.assumptions]
            out.append("")
        if self.price_sources:
            out += [
                "### Prices",
                "",
                f"From `stackcheck/prices.json`, as of {self.prices_as_of}. {self.prices_note}",
                "",
                "Sources: " + ", ".join(self.price_sources) + ".",
                "",
            ]
        return "\n".join(out)


def cents(value: float) -> float:
    """Money rounded to cents (never ``-0.0``)."""
    return round(value, 2) + 0.0


def _quantity(value: float) -> float:
    return round(value, 4)


def figure(value: float) -> str:
    """A quantity for people: no trailing zeros, thousands separated."""
    rounded = round(value, 4)
    if rounded == int(rounded):
        return f"{int(rounded):,}"
    return f"{rounded:,.4f}".rstrip("0").rstrip(".")


def money(value: float) -> str:
    return f"{value:,.2f}"


def _unit_price(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") if value else "0"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def merge(lines: Iterable[CostLine]) -> list[CostLine]:
    """Lines that differ only in quantity, added up (e.g. the six read replicas of one class)."""
    merged: dict[tuple[Any, ...], CostLine] = {}
    for line in lines:
        key = (line.item, line.unit, line.unit_price, line.assumption, line.source, line.resource_type, line.region)
        if key in merged:
            quantity = merged[key].quantity + line.quantity
            merged[key] = replace(merged[key], quantity=quantity, monthly=cents(quantity * line.unit_price))
        else:
            merged[key] = line
    return list(merged.values())
