"""The one form of a component's error about its own Args: it names the Args field as a Python program writes it
(``DatabaseArgs.replicas must be between 0 and 5, got 7``); a stack's settings are checked earlier, in
``components/settings/``, naming the config key."""

from collections.abc import Mapping

from ..alerts import ALERT_NAMES, SEVERITIES


def invalid(args: object, field: str, rule: str, got: object) -> ValueError:
    """``<ArgsType>.<field> must <rule>, got <got>``."""
    return ValueError(f"{type(args).__name__}.{field} must {rule}, got {got!r}")


def check_threshold_overrides(args: object, field: str, overrides: Mapping[str, Mapping[str, float]]) -> None:
    """Overrides of the alert catalog's thresholds (alert name -> severity -> threshold) name alerts and severities
    the catalog has: else an error naming ``field``."""
    for alert, thresholds in overrides.items():
        if alert not in ALERT_NAMES:
            raise invalid(args, field, f"name alerts of the catalog ({', '.join(ALERT_NAMES)})", alert)
        for severity in thresholds:
            if severity not in SEVERITIES:
                raise invalid(args, f"{field}[{alert!r}]", f"name severities {' or '.join(SEVERITIES)}", severity)
