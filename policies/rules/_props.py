"""Reading the properties the analyzer hands a rule.

The analyzer gives camelCase engine names, numbers as floats, objects and arrays as read-only proxies, and raises
``UnknownValueError`` on reading a value that is unknown during preview (another resource's output). These readers
turn such a value into :data:`UNKNOWN`, so that rules can decide what an unknown value means for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyResource
from pulumi_policy.proxy import UnknownValueError


class Unknown:
    """A value that is unknown during preview."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN: Any = Unknown()


def prop(props: Any, key: str) -> Any:
    """``props[key]``: None when absent or when ``props`` is not an object, :data:`UNKNOWN` when unknown."""
    if not isinstance(props, Mapping):
        return None
    try:
        return props.get(key)
    except UnknownValueError:
        return UNKNOWN


def is_list(value: Any) -> bool:
    """A JSON array: a list, or the analyzer's read-only proxy of one; never text."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def list_items(value: Any) -> list[Any]:
    """The elements of a JSON array, an unknown element as :data:`UNKNOWN`; [] for anything else."""
    if not is_list(value):
        return []
    found: list[Any] = []
    for index in range(len(value)):
        try:
            found.append(value[index])
        except UnknownValueError:
            found.append(UNKNOWN)
    return found


def plain(value: Any) -> Any:
    """A JSON document given as an object (the analyzer's proxies), as plain values; raises UnknownValueError on an
    unknown part."""
    if isinstance(value, Mapping):
        return {str(key): plain(value[key]) for key in value}
    if is_list(value):
        return [plain(value[index]) for index in range(len(value))]
    return value


def as_list(value: Any) -> list[Any]:
    """A plain JSON value that may be one element or a list of them (a policy statement's Action, Resource), as a
    list; [] for None."""
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def name_words(name: str) -> str:
    """A setting's or variable's name as ``_``-separated words (camelCase split), as credential names are matched."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^A-Za-z0-9]+", "_", spaced).strip("_")


def is_true(value: Any) -> bool:
    """A boolean setting that is on (the engine gives bools; accept "true" as text too)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def is_set(value: Any) -> bool:
    """A reference that holds a value. Unknown during preview counts as set: it is another resource's output."""
    return value is UNKNOWN or (value is not None and str(value).strip() != "")


def prop_is_set(props: Any, key: str) -> bool:
    """Whether ``props[key]`` holds a non-empty value (:func:`is_set`): a value unknown during preview is another
    resource's output (a certificate's ARN, a bucket's name, a key's ARN), which is never empty."""
    return is_set(prop(props, key))


def as_text(value: Any) -> str:
    """A value as stripped text; empty when absent or unknown."""
    return "" if value is None or value is UNKNOWN else str(value).strip()


def as_number(value: Any) -> float | None:
    """A count or a number of days (numbers arrive as floats; accept numeric text); None when it is not one."""
    if isinstance(value, bool) or value is None or value is UNKNOWN:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def count_text(value: float) -> str:
    """A number as a person writes it: 30, not 30.0."""
    return str(int(value)) if float(value).is_integer() else str(value)


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def unknown_message(setting_name: str, expected: str) -> str:
    """The violation for a setting a rule cannot check during preview."""
    return (
        f"{setting_name} is unknown during preview, so this rule cannot check it: set it to {expected} directly "
        "(from configuration), not from another resource's output."
    )


def depends_on(resource: PolicyResource, prop_name: str, urn: str) -> bool:
    """Whether ``resource``'s property ``prop_name`` takes a value from the resource ``urn``."""
    return any(dep.urn == urn for dep in resource.property_dependencies.get(prop_name) or [])


#: What a KMS key setting holds when it names an AWS-managed key (``alias/aws/rds``, or an alias ARN ending in one).
AWS_MANAGED_KEY_ALIAS = "alias/aws/"


def customer_key_problem(value: Any) -> str:
    """Why a KMS key setting does not name a customer-managed key; empty when it does. An unknown value is a key
    resource's ARN (AWS-managed keys are named by literal aliases), so it counts as a customer-managed key."""
    if value is UNKNOWN:
        return ""
    text = as_text(value)
    if not text:
        return "is not set"
    if AWS_MANAGED_KEY_ALIAS in text:
        return f"names the AWS-managed key {text}"
    return ""


def item_label(item: Any, index: int, *keys: str) -> str:
    """How messages name an element of a list: ``'<name>'`` from the first of ``keys`` that holds text, else
    ``#<position>``."""
    name = next((text for key in keys if (text := as_text(prop(item, key)))), "")
    return f"'{name}'" if name else f"#{index + 1}"


def str_list(values: Iterable[Any]) -> list[str]:
    """A setting's list as text, for messages."""
    return [str(v) for v in values]


def aws_managed_key(value: Any) -> bool:
    """An alias of an AWS-managed key (``alias/aws/...``), which no customer controls."""
    return isinstance(value, str) and (value.startswith("alias/aws/") or ":alias/aws/" in value)
