"""``webstack:monitoring``: where alerts go (email), the alert catalog's threshold overrides, the uptime check and its
Synthetics runtime (never a deprecated one), Prometheus and its collector, Grafana."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator

from .base import UrlPath, _got, _Model, _pinned_image, _problem, _suggest

# -- Synthetics runtimes ----------------------------------------------------------------------------------------------
#: The uptime check's runtime: the newest Python runtime of the CloudWatch user guide, "Runtime versions using Python
#: and Selenium Webdriver". The deprecated ones are those "Runtime versions support policy" lists: Synthetics creates
#: no canary on them. Revisit both when AWS publishes a runtime or deprecates one.
CANARY_RUNTIME = "syn-python-selenium-14.0"
DEPRECATED_CANARY_RUNTIMES = frozenset(
    f"syn-python-selenium-{version}" for version in ("1.0", "1.1", "1.2", "1.3", "2.0", "2.1", "3.0", "4.0", "4.1",
                                                     "5.0", "5.1")
)  # fmt: skip


def _canary_runtime(value: str) -> str:
    if not re.fullmatch(r"syn-python-selenium-\d+\.\d+", value):
        raise _problem(
            f"must be a Python runtime like {CANARY_RUNTIME} (the uptime check is written in Python), got {_got(value)}"
        )
    if value in DEPRECATED_CANARY_RUNTIMES:
        raise _problem(
            "must be a runtime AWS has not deprecated (CloudWatch Synthetics creates no canary on a deprecated "
            f"runtime; the newest is {CANARY_RUNTIME}), got {_got(value)}"
        )
    return value


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MonitoringSettings(_Model):
    """``webstack:monitoring``: alarms from the alert catalog, where alerts go, dashboards, uptime, Prometheus."""

    alert_emails: list[str] = Field(
        default=[], description="Addresses that receive every alert (each confirms its subscription by email)."
    )
    thresholds: dict[str, dict[Literal["warning", "critical"], float]] = Field(
        default={},
        description="Overrides of the catalog's thresholds: alert name -> severity -> threshold, e.g. "
        "{HighErrorRate: {warning: 2}}. Names and defaults: see the alert table in docs/settings.md.",
    )
    uptime_interval_minutes: Literal[1, 5, 10, 15, 30, 60] = Field(
        default=5, description="How often the synthetic check fetches https://<domain>/health, in minutes."
    )
    canary_runtime: Annotated[str, AfterValidator(_canary_runtime)] = Field(
        default=CANARY_RUNTIME,
        description="CloudWatch Synthetics runtime of the uptime check: a Python runtime AWS has not deprecated.",
    )
    prometheus: bool = Field(
        default=True,
        description="Amazon Managed Prometheus with the catalog's rules, Alertmanager routing to the alert topics, "
        "and a collector next to the backend that scrapes its /metrics.",
    )
    metrics_path: UrlPath = Field(default="/metrics", description="Where the backend serves Prometheus metrics.")
    collector_image: str = Field(
        default="public.ecr.aws/aws-observability/aws-otel-collector:v0.47.0",
        description="The metrics collector next to the backend (AWS Distro for OpenTelemetry), pinned by tag or "
        "digest.",
    )
    grafana: bool = Field(
        default=True,
        description="Amazon Managed Grafana with Prometheus and CloudWatch data sources, signed in through IAM "
        "Identity Center (which the account must have).",
    )

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for index, address in enumerate(value):
            if not _EMAIL_RE.match(address):
                raise _problem(f"must be an email address, got {_got(address)}", f"[{index}]")
        if len(set(value)) != len(value):
            raise _problem(f"must not repeat an address, got {_got(value)}")
        return value

    @field_validator("collector_image")
    @classmethod
    def _collector_image(cls, value: str) -> str:
        return _pinned_image(value)

    @field_validator("thresholds")
    @classmethod
    def _known_alerts(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        from ..alerts import ALERT_NAMES

        for name in value:
            if name not in ALERT_NAMES:
                raise _problem(f"is not an alert{_suggest(name, ALERT_NAMES)}", name)
        return value
