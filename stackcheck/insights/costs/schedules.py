"""How often an EventBridge-style schedule (``rate(...)``, ``cron(...)``) fires in a month: canaries and restore
tests are priced per run."""

from __future__ import annotations

import re
from collections.abc import Mapping

from stackcheck.insights.costs.usage import DAYS_PER_MONTH, HOURS_PER_MONTH

_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1
    )
}


def _field_count(text: str, low: int, high: int, names: Mapping[str, int] | None = None) -> int:
    """How many values one field of a cron expression matches."""
    if text in ("*", "?"):
        return high - low + 1
    for name, number in (names or {}).items():
        text = text.replace(name, str(number))
    total = 0
    for part in text.split(","):
        step = 1
        if "/" in part:
            part, step_text = part.split("/", 1)
            step = int(step_text)
        if part in ("*", ""):
            start, end = low, high
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = int(first), int(last)
        elif part.rstrip("LW#0123456789") == "" and not part.isdigit():
            start = end = low  # L, W, 5L, 2#1: one day
        else:
            start = int(part.split("#")[0])
            end = start if step == 1 else high
        total += len(range(start, end + 1, step))
    return total


def runs_per_month(expression: str) -> float | None:
    """How often an EventBridge-style ``rate(...)`` or ``cron(...)`` schedule fires in a month (None: unknown)."""
    rate = re.fullmatch(r"\s*rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)\s*", expression)
    if rate:
        every, unit = int(rate.group(1)), rate.group(2).rstrip("s")
        if every == 0:
            return 0.0
        per_hour = {"minute": 60.0, "hour": 1.0, "day": 1 / 24}[unit]
        return HOURS_PER_MONTH * per_hour / every
    cron = re.fullmatch(r"\s*cron\((.+)\)\s*", expression)
    if not cron:
        return None
    fields = cron.group(1).split()
    if len(fields) != 6:
        return None
    minutes, hours, day_of_month, month, day_of_week, _ = fields
    try:
        per_day = _field_count(minutes, 0, 59) * _field_count(hours, 0, 23)
        if day_of_month not in ("*", "?"):
            days = float(_field_count(day_of_month, 1, 31))
        elif day_of_week not in ("*", "?"):
            days = _field_count(day_of_week, 1, 7, _DAY_NAMES) * DAYS_PER_MONTH / 7
        else:
            days = DAYS_PER_MONTH
        months = _field_count(month, 1, 12, _MONTH_NAMES) / 12
    except ValueError:
        return None
    return per_day * days * months
