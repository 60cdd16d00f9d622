"""The backend's Prometheus metrics, in the text exposition format (version 0.0.4).

The alert catalog (components/alerts.py) and the Grafana dashboard read two series from the application:
``http_requests_total`` by ``status`` (HighErrorRate, BlockedRequestsSpike) and the histogram
``http_request_duration_seconds`` (SlowResponses reads its ``_bucket`` series by ``le``). Both carry the request's
``method`` and ``route`` (the matched route's pattern, never the raw path: a label per URL would be a series per
URL). Standard library only: a lock, a few dictionaries and the format's rules (Prometheus documentation,
"Exposition formats": ``# HELP``/``# TYPE`` lines, label values escaped, cumulative buckets ending in ``+Inf``,
``_sum`` and ``_count``).
"""

from __future__ import annotations

import threading
from collections import defaultdict

REQUESTS = "http_requests_total"
DURATION = "http_request_duration_seconds"
#: Bucket upper bounds in seconds: dense around the alerts' thresholds (500 ms warning, 2 s critical).
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(pairs: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f'{name}="{_escape(value)}"' for name, value in pairs) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Metrics:
    """Counters and one histogram, safe to update from every request thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[tuple[str, str], ...], int] = defaultdict(int)
        self._buckets: dict[tuple[tuple[str, str], ...], list[int]] = {}
        self._sums: dict[tuple[tuple[str, str], ...], float] = defaultdict(float)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """One finished request."""
        key = (("method", method), ("route", route))
        with self._lock:
            self._requests[(*key, ("status", str(status)))] += 1
            counts = self._buckets.setdefault(key, [0] * (len(BUCKETS) + 1))
            for index, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    counts[index] += 1
            counts[-1] += 1
            self._sums[key] += seconds

    def render(self) -> str:
        with self._lock:
            requests = sorted(self._requests.items())
            buckets = sorted((key, list(counts)) for key, counts in self._buckets.items())
            sums = dict(self._sums)
        lines = [
            f"# HELP {REQUESTS} HTTP requests answered, by method, route and status.",
            f"# TYPE {REQUESTS} counter",
            *(f"{REQUESTS}{_labels(key)} {count}" for key, count in requests),
            f"# HELP {DURATION} Time from reading a request to having answered it.",
            f"# TYPE {DURATION} histogram",
        ]
        for key, counts in buckets:
            for bound, count in zip((*map(_number, BUCKETS), "+Inf"), counts, strict=True):
                lines.append(f"{DURATION}_bucket{_labels((*key, ('le', bound)))} {count}")
            lines.append(f"{DURATION}_sum{_labels(key)} {sums[key]!r}")
            lines.append(f"{DURATION}_count{_labels(key)} {counts[-1]}")
        return "\n".join(lines) + "\n"
