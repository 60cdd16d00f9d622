"""An IAM identity-policy evaluator: AWS's documented evaluation logic for one policy document and one request.

Source: IAM User Guide, "Policy evaluation logic" (an explicit Deny in any statement wins; otherwise an Allow is
needed; otherwise the request is implicitly denied), "IAM JSON policy elements: Action / NotAction / Resource /
NotResource" (``*`` and ``?`` wildcards; actions match case-insensitively, resources case-sensitively; NotAction and
NotResource match everything but the listed values) and "IAM JSON policy elements: Condition operators" (every
condition operator in a statement must hold, and every key within an operator; several values of one key are ORed;
a key missing from the request makes an operator false, except the ``...IfExists`` forms and ``Null``; the
``ForAnyValue:``/``ForAllValues:`` set operators; ARN operators compare each of the six colon-delimited ARN parts
separately).

No maintained PyPI library evaluates identity policies offline (the candidates call AWS's policy simulator, or last
released years ago), so this is AWS's logic, with its own tests in ``tests/stackcheck/test_deployability_policy.py``.
Only what the role documents can contain is supported; an unknown operator raises rather than guessing.

Resource-based policies (key policies, topic, bucket, log-group and function policies) name a ``Principal``:
:func:`evaluate_resource` decides a request of one principal against such a document ("IAM JSON policy elements:
Principal": ``"*"`` is everyone; ``{"Service": ...}`` a service principal; ``{"AWS": ...}`` an ARN, an account's root
ARN or its bare id, which stand for every principal of that account; ``NotPrincipal`` everyone but those listed).
Condition key names are not case-sensitive ("IAM JSON policy elements: Condition": ``aws:SourceAccount`` and
``AWS:SourceAccount`` are one key).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ALLOW = "allow"
DENY = "deny"
IMPLICIT = "implicit"

Context = Mapping[str, str | Sequence[str]]


class UnsupportedCondition(ValueError):
    """A condition operator this evaluator does not implement."""


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _compiled(pattern: str, case: bool) -> re.Pattern[str]:
    """IAM's wildcards: ``*`` any run of characters, ``?`` any one; nothing else is special."""
    expression = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{expression}$", re.DOTALL if case else re.DOTALL | re.IGNORECASE)


def _wildcard(value: str, pattern: str, *, case: bool) -> bool:
    return _compiled(pattern, case).match(value) is not None


def action_matches(action: str, pattern: str) -> bool:
    return _wildcard(action, pattern, case=False)


def arn_matches(arn: str, pattern: str) -> bool:
    """IAM's ARN matching: ``*`` alone matches anything; otherwise partition, service, region and account are matched
    part by part, and the resource part (which may itself contain ``:`` and ``/``) as a whole."""
    if pattern == "*":
        return True
    got, want = arn.split(":", 5), pattern.split(":", 5)
    if len(got) != 6 or len(want) != 6:
        # An ARN pattern of fewer than six parts matches no ARN; a resource that is no ARN ("*") is matched whole.
        return not pattern.startswith("arn:") and _wildcard(arn, pattern, case=True)
    return all(_wildcard(g, w, case=True) for g, w in zip(got, want, strict=True))


def _string_test(kind: str, value: str, wanted: str) -> bool:
    if kind == "StringEquals":
        return value == wanted
    if kind == "StringEqualsIgnoreCase":
        return value.lower() == wanted.lower()
    if kind == "StringLike":
        return _wildcard(value, wanted, case=True)
    if kind in ("ArnEquals", "ArnLike"):
        return arn_matches(value, wanted)
    if kind == "Bool":
        return value.lower() == wanted.lower()
    if kind.startswith("Numeric"):
        a, b = float(value), float(wanted)
        return {
            "NumericEquals": a == b,
            "NumericLessThan": a < b,
            "NumericLessThanEquals": a <= b,
            "NumericGreaterThan": a > b,
            "NumericGreaterThanEquals": a >= b,
        }[kind]
    if kind == "IpAddress":
        return ipaddress.ip_address(value) in ipaddress.ip_network(wanted, strict=False)
    raise UnsupportedCondition(kind)


#: Negated operators and the positive operator they negate.
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "NotIpAddress": "IpAddress",
}


def _operator_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    key = key.lower()
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    wanted = [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(expected)]
    if name == "Null":
        present = key in context and as_list(context[key]) != []
        return any((w.lower() == "true") != present for w in wanted)
    negated = name in _NEGATED
    if key not in context:
        # A key missing from the request: positive operators are false, negated ones (StringNotLike, ArnNotLike...)
        # true, ...IfExists true, ForAllValues true, ForAnyValue false ("IAM JSON policy elements: Condition
        # operators", and "Conditions with multiple context keys or values").
        if qualifier == "ForAnyValue":
            return False
        return if_exists or negated or qualifier == "ForAllValues"
    given = [str(v).lower() if isinstance(v, bool) else str(v) for v in as_list(context[key])]
    positive = _NEGATED.get(name, name)

    def matches(value: str) -> bool:
        return any(_string_test(positive, value, w) for w in wanted)

    if qualifier == "ForAllValues":
        return all(matches(v) != negated for v in given)
    if qualifier == "ForAnyValue":
        return any(matches(v) != negated for v in given)
    if qualifier:
        raise UnsupportedCondition(operator)
    if negated:
        return not any(matches(v) for v in given)
    return any(matches(v) for v in given)


def conditions_hold(condition: Mapping[str, Mapping[str, Any]], context: Context) -> bool:
    return all(
        _operator_holds(operator, key, expected, context)
        for operator, tests in condition.items()
        for key, expected in tests.items()
    )


@dataclass(frozen=True)
class Decision:
    result: str
    """``allow``, ``deny`` (an explicit deny) or ``implicit`` (nothing allows it)."""
    statements: tuple[str, ...] = field(default=())
    """Sids of the statements that decided it (the denying one, or the allowing ones)."""

    @property
    def allowed(self) -> bool:
        return self.result == ALLOW


def statement_applies(statement: Mapping[str, Any], action: str, resource: str, context: Context) -> bool:
    if "NotAction" in statement:
        if any(action_matches(action, p) for p in as_list(statement["NotAction"])):
            return False
    elif not any(action_matches(action, p) for p in as_list(statement.get("Action"))):
        return False
    if "NotResource" in statement:
        if any(arn_matches(resource, p) for p in as_list(statement["NotResource"])):
            return False
    elif not any(arn_matches(resource, p) for p in as_list(statement.get("Resource"))):
        return False
    return conditions_hold(statement.get("Condition", {}), context)


class _Compiled:
    """A policy's statements indexed by the services their actions can name (a statement with ``NotAction``, or
    whose action pattern has a wildcard in its service part, is kept for every service)."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.statements = [(index, s) for index, s in enumerate(as_list(document.get("Statement")))]
        self._by_service: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}

    def for_service(self, service: str) -> list[tuple[int, Mapping[str, Any]]]:
        found = self._by_service.get(service)
        if found is None:
            found = [
                (index, statement)
                for index, statement in self.statements
                if "NotAction" in statement
                or any(
                    _wildcard(service, str(p).partition(":")[0], case=False) for p in as_list(statement.get("Action"))
                )
            ]
            self._by_service[service] = found
        return found


_COMPILED: dict[int, _Compiled] = {}


def _compile(document: Mapping[str, Any]) -> _Compiled:
    compiled = _COMPILED.get(id(document))
    if compiled is None or compiled.document is not document:
        compiled = _COMPILED[id(document)] = _Compiled(document)
    return compiled


def evaluate(document: Mapping[str, Any], action: str, resource: str, context: Context | None = None) -> Decision:
    """Decide one request (``action`` on ``resource`` with the condition ``context``) against one policy."""
    return _decide(document, action, resource, context, None)


def evaluate_resource(
    document: Mapping[str, Any], principal: Principal, action: str, resource: str, context: Context | None = None
) -> Decision:
    """Decide one request of ``principal`` against a resource-based policy: only the statements whose ``Principal``
    (or ``NotPrincipal``) names the requester apply."""
    return _decide(document, action, resource, context, principal)


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a service principal (``logs.eu-west-1.amazonaws.com``) or an IAM ARN, and its account."""

    kind: str
    """``Service`` or ``AWS``."""
    name: str
    account: str = ""

    def named_by(self, value: Any) -> bool:
        """Whether a ``Principal`` element (``"*"``, or a mapping of kind to one or several names) names this one."""
        if value == "*":
            return True
        if not isinstance(value, Mapping):
            return False
        for kind, names in value.items():
            for name in (str(n) for n in as_list(names)):
                if (kind == "AWS" and name == "*") or (kind == self.kind and name == self.name):
                    return True
                if kind == "AWS" and self.kind == "AWS" and self.account and self._account_named(name):
                    return True
        return False

    def _account_named(self, name: str) -> bool:
        """An account named by its id or its root ARN stands for every principal of the account."""
        return name == self.account or (name.startswith("arn:") and name.endswith(f":iam::{self.account}:root"))


def _principal_applies(statement: Mapping[str, Any], principal: Principal | None) -> bool:
    if principal is None:
        return True
    if "NotPrincipal" in statement:
        return not principal.named_by(statement["NotPrincipal"])
    return principal.named_by(statement.get("Principal"))


def _decide(
    document: Mapping[str, Any], action: str, resource: str, context: Context | None, principal: Principal | None
) -> Decision:
    context = {key.lower(): value for key, value in (context or {}).items()}
    allowing: list[str] = []
    for index, statement in _compile(document).for_service(action.partition(":")[0].lower()):
        if not _principal_applies(statement, principal):
            continue
        if not statement_applies(statement, action, resource, context):
            continue
        sid = str(statement.get("Sid") or f"#{index}")
        if statement.get("Effect") == "Deny":
            return Decision(DENY, (sid,))
        allowing.append(sid)
    return Decision(ALLOW, tuple(allowing)) if allowing else Decision(IMPLICIT)
