"""What every settings area shares: the project's namespace, the one error type, the immutable model base, and the
small validators and types more than one area uses (CIDRs, URL paths, log retention, pinned images, daily and weekly
UTC windows, suggestions for a mistyped name).

Validators raise :func:`_problem` errors in webstack's own words; the error formatter (``errors``) turns the first
one into the :class:`SettingsError` the user sees, naming the key as it is written (``webstack:network.cidr``).
Nothing here imports another module of the package, so every area can import it.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
from collections.abc import Collection
from typing import Annotated, Any

import pulumi
from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

PROJECT = "webstack"


#: Retention values CloudWatch Logs accepts (0, "never expire", is deliberately not offered).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class SettingsError(pulumi.RunError):
    """Bad stack settings. The message is complete and meant for the user as is; no traceback is needed."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _problem(message: str, field: str | None = None) -> PydanticCustomError:
    """A validation error with our own wording; ``field`` points below the current location (cross-field checks)."""
    return PydanticCustomError("webstack", "{message}", {"message": message, "field": field})


def _got(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return "nothing"
    text = json.dumps(value, default=str)
    kind = "a list" if isinstance(value, list) else "an object"
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"


def _network(value: str, example: str = "10.0.0.0/16") -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            fixed = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise _problem(f"must be a CIDR block like {example}, got {_got(value)}") from None
        raise _problem(
            f"must be a network address (host bits clear), got {_got(value)}; did you mean {fixed}?"
        ) from None


def _cloudwatch_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise _problem(f"must be one of the retention periods CloudWatch accepts ({allowed}), got {value}")
    return value


#: Days CloudWatch Logs keeps a log group's events.
RetentionDays = Annotated[int, AfterValidator(_cloudwatch_retention)]


def _url_path(value: str) -> str:
    if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", value):
        raise _problem(f"must be a URL path like /health (letters, digits and ._~/-), got {_got(value)}")
    return value


#: A URL path without query or fragment: probed by health checks and the smoke test, so it is kept plain.
UrlPath = Annotated[str, AfterValidator(_url_path)]


class _Model(BaseModel):
    """Settings objects: camelCase keys as users write them, unknown keys rejected, no type coercion, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )


def _unique(values: list[str]) -> None:
    seen: set[str] = set()
    for item in values:
        if item in seen:
            raise _problem(f"must not list the same entry twice, got {_got(item)} twice")
        seen.add(item)


_IMAGE_RE = re.compile(
    r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"
)


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY_WINDOW_RE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)


def _daily_window(value: str) -> str:
    match = _DAILY_WINDOW_RE.match(value)
    if not match:
        raise _problem(f"must be a daily UTC window like 02:00-03:00, got {_got(value)}")
    start, end = (int(match[1]) * 60 + int(match[2])), (int(match[3]) * 60 + int(match[4]))
    if (end - start) % 1440 < 30:
        raise _problem(f"must last at least 30 minutes, as AWS requires, got {value}")
    return value


def _weekly_window(value: str) -> str:
    match = _WEEKLY_WINDOW_RE.match(value)
    if not match:
        raise _problem(f"must be a weekly UTC window like sun:04:00-sun:05:00, got {_got(value)}")
    start, end = _weekly_minutes(value)
    if (end - start) % (7 * 1440) < 30:
        raise _problem(f"must last at least 30 minutes, as AWS requires, got {value}")
    return value


def _weekly_minutes(value: str) -> tuple[int, int]:
    start, end = value.split("-")
    return tuple(  # type: ignore[return-value]
        _DAYS.index(part[:3]) * 1440 + int(part[4:6]) * 60 + int(part[7:9]) for part in (start, end)
    )


def windows_overlap(daily: str, weekly: str) -> bool:
    """Whether a weekly window overlaps a daily window on any day (both UTC)."""
    d_start = int(daily[0:2]) * 60 + int(daily[3:5])
    d_end = int(daily[6:8]) * 60 + int(daily[9:11])
    w_start, w_end = _weekly_minutes(weekly)
    week = 7 * 1440
    weekly_minutes = {(w_start + m) % week for m in range((w_end - w_start) % week)}
    daily_length = (d_end - d_start) % 1440
    return any((day * 1440 + d_start + m) % week in weekly_minutes for day in range(7) for m in range(daily_length))


#: A daily UTC window, ``HH:MM-HH:MM``, at least 30 minutes.
DailyWindow = Annotated[str, AfterValidator(_daily_window)]
#: A weekly UTC window, ``ddd:HH:MM-ddd:HH:MM``, at least 30 minutes.
WeeklyWindow = Annotated[str, AfterValidator(_weekly_window)]


def _pinned_image(value: str, field: str | None = None) -> str:
    if not _IMAGE_RE.match(value):
        raise _problem(
            f"must be an image reference with a tag or digest, like ghcr.io/acme/api:1.4.2, got {_got(value)}", field
        )
    if value.endswith(":latest"):
        raise _problem(f"must be pinned to a version or digest, not latest, got {_got(value)}", field)
    return value


def _suggest(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    listed = ", ".join(sorted(known))
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{hint} Expected one of: {listed}"
