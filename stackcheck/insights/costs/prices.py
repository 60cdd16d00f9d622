"""The price table, ``stackcheck/prices.json``: on-demand list prices per region (and Cloudflare's, global), each
with its source and month."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

PRICES_PATH = Path(__file__).resolve().parents[2] / "prices.json"
#: Where a region's price is missing from the table, this region's price is used (and the estimate says so).
FALLBACK_REGION = "us-east-1"
CURRENCY = "USD"


@dataclass(frozen=True)
class Price:
    """One entry of the price table, as used for one line."""

    key: str
    price: float
    unit: str
    source: str
    as_of: str
    region: str
    """The region the price is for (``"global"`` for Cloudflare)."""
    reason: str = ""
    """Why the price is 0, when it is."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """Other facts the entry records (e.g. ``memory_gib`` of a cache node type)."""


class PriceTable:
    """``stackcheck/prices.json``: prices per region, plus global ones (Cloudflare)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.note = str(document.get("note", ""))
        self.currency = str(document.get("currency", CURRENCY))
        self.regions: dict[str, dict[str, Mapping[str, Any]]] = {
            region: dict(entries) for region, entries in (document.get("regions") or {}).items()
        }
        self.globals: dict[str, Mapping[str, Any]] = dict(document.get("global") or {})

    @classmethod
    def load(cls, path: Path = PRICES_PATH) -> PriceTable:
        return cls(json.loads(path.read_text()))

    def entries(self) -> Iterable[tuple[str, str, Mapping[str, Any]]]:
        """Every entry as (region or ``"global"``, key, entry)."""
        for region, entries in sorted(self.regions.items()):
            for key, entry in sorted(entries.items()):
                yield region, key, entry
        for key, entry in sorted(self.globals.items()):
            yield "global", key, entry

    def as_of(self) -> str:
        """The month of the prices (a range when they differ)."""
        months = sorted({str(entry.get("as_of", "")) for _, _, entry in self.entries()})
        return months[0] if len(months) == 1 else f"{months[0]} to {months[-1]}" if months else ""

    def lookup(self, key: str, region: str) -> tuple[Price | None, str]:
        """The price of ``key`` in ``region`` (global keys have no region) and, when the region had to fall back to
        :data:`FALLBACK_REGION`, a note saying so."""
        if key in self.globals:
            return _price(key, self.globals[key], "global"), ""
        if key in self.regions.get(region, {}):
            return _price(key, self.regions[region][key], region), ""
        if key in self.regions.get(FALLBACK_REGION, {}):
            note = f"no {region} price for {key} in the table: the {FALLBACK_REGION} price is used"
            return _price(key, self.regions[FALLBACK_REGION][key], FALLBACK_REGION), note
        return None, f"no price for {key} in the table: counted as 0"


def _price(key: str, entry: Mapping[str, Any], region: str) -> Price:
    known = {"price", "unit", "source", "as_of", "reason"}
    return Price(
        key=key,
        price=float(entry["price"]),
        unit=str(entry["unit"]),
        source=str(entry["source"]),
        as_of=str(entry["as_of"]),
        region=region,
        reason=str(entry.get("reason", "")),
        extra={k: v for k, v in entry.items() if k not in known},
    )


@cache
def default_prices() -> PriceTable:
    """The repository's price table (read once)."""
    return PriceTable.load()
