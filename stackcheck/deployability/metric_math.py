"""The metric-math expressions of an alarm's queries, against CloudWatch's documented grammar.

The rules (CloudWatch user guide, "Using metric math" and "Create a CloudWatch alarm based on a metric
math expression"): ids start with a lowercase letter; every id an expression names is a query of the alarm; only
documented functions, written in upper case; each function's argument types (scalar ``S``, time series ``TS``,
array ``TS[]``), so that an array holds time series only; the functions AWS recommends against in alarms (those
that return a scalar over the fetched window, and ``DATAPOINT_COUNT``, ``REMOVE_EMPTY``, ``RUNNING_SUM``); no
``SEARCH``; exactly one query returns data and yields one time series; at most 10 metrics, all with the same period.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

MATH_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html"
MATH_ALARM_DOCS = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create-alarm-on-metric-math-expression.html"
)
ALARM_DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html"

S, TS, TS_ARRAY = "S", "TS", "TS[]"

#: Function -> (argument types it takes, return type per first-argument type), from the function table of "Using
#: metric math". ``None`` for a return type: the same as the first argument.
_SAME = None
FUNCTIONS: Mapping[str, Mapping[str, str | None]] = {
    "ABS": {TS: _SAME, TS_ARRAY: _SAME},
    "ANOMALY_DETECTION_BAND": {TS: TS_ARRAY},
    "AVG": {TS: S, TS_ARRAY: TS},
    "CEIL": {TS: _SAME, TS_ARRAY: _SAME},
    "DATAPOINT_COUNT": {TS: S, TS_ARRAY: TS},
    "DIFF": {TS: _SAME, TS_ARRAY: _SAME},
    "DIFF_TIME": {TS: _SAME, TS_ARRAY: _SAME},
    "FILL": {TS: _SAME, TS_ARRAY: _SAME},
    "FIRST": {TS_ARRAY: TS},
    "LAST": {TS_ARRAY: TS},
    "FLOOR": {TS: _SAME, TS_ARRAY: _SAME},
    "IF": {TS: TS, S: TS},
    "INSIGHT_RULE_METRIC": {S: TS},
    "LOG": {TS: _SAME, TS_ARRAY: _SAME},
    "LOG10": {TS: _SAME, TS_ARRAY: _SAME},
    "MAX": {TS: S, TS_ARRAY: TS},
    "METRIC_COUNT": {TS_ARRAY: S},
    "METRICS": {"": TS_ARRAY, S: TS_ARRAY},
    "MIN": {TS: S, TS_ARRAY: TS},
    **{unit: {TS: TS} for unit in ("MINUTE", "HOUR", "DAY", "DATE", "MONTH", "YEAR", "EPOCH")},
    "PERIOD": {TS: S},
    "RATE": {TS: _SAME, TS_ARRAY: _SAME},
    "REMOVE_EMPTY": {TS_ARRAY: TS_ARRAY},
    "RUNNING_SUM": {TS: _SAME, TS_ARRAY: _SAME},
    "SEARCH": {S: TS_ARRAY},
    "SERVICE_QUOTA": {TS: TS},
    "SLICE": {TS_ARRAY: TS_ARRAY},
    "SORT": {TS_ARRAY: TS_ARRAY},
    "STDDEV": {TS: S, TS_ARRAY: TS},
    "SUM": {TS: S, TS_ARRAY: TS},
    "TIME_SERIES": {S: TS},
}
#: Functions AWS recommends not to use in alarms ("We recommend that you do not use this function in CloudWatch
#: alarms ... This function acts differently when extra data is requested"): always, or when they return a scalar.
NOT_IN_ALARMS = frozenset({"DATAPOINT_COUNT", "REMOVE_EMPTY", "RUNNING_SUM"})
NOT_IN_ALARMS_AS_SCALAR = frozenset({"AVG", "MAX", "MIN", "STDDEV", "SUM"})
#: Words functions take as arguments (FILL's REPEAT and LINEAR, SORT's order and function).
KEYWORDS = frozenset({"REPEAT", "LINEAR", "ASC", "DESC", "AVG", "MAX", "MIN", "SUM", "STDDEV"})

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(?P<string>\"[^\"]*\"|'[^']*')|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<op>&&|\|\||==|!=|<=|>=|[-+*/^(),\[\]<>]))"
)
_ID = re.compile(r"^[a-z][a-zA-Z0-9_]*$")


class MathError(ValueError):
    pass


def _tokens(expression: str) -> list[tuple[str, str]]:
    found, position = [], 0
    text = expression.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise MathError(f"cannot read the expression at {text[position : position + 12]!r}")
        kind = match.lastgroup or ""
        found.append((kind, match.group(kind)))
        position = match.end()
    return found


class _Parser:
    """A recursive-descent reader of metric math that returns each expression's type (S, TS, TS[])."""

    def __init__(self, expression: str, ids: set[str]) -> None:
        self.tokens = _tokens(expression)
        self.position = 0
        self.ids = ids
        self.findings: list[tuple[str, str]] = []
        """(value, rule) pairs; the source is "Using metric math"."""

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("", "")

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if value is not None and token[1].upper() != value:
            raise MathError(f"expected {value!r}, found {token[1] or 'the end'!r}")
        self.position += 1
        return token

    def parse(self) -> str:
        kind = self.logical()
        if self.position != len(self.tokens):
            raise MathError(f"unexpected {self.peek()[1]!r}")
        return kind

    def logical(self) -> str:
        kind = self.comparison()
        while self.peek()[1].upper() in ("AND", "OR", "&&", "||"):
            self.take()
            kind = _combine(kind, self.comparison())
        return kind

    def comparison(self) -> str:
        kind = self.additive()
        while self.peek()[1] in ("==", "!=", "<=", ">=", "<", ">"):
            self.take()
            kind = _combine(kind, self.additive())
        return kind

    def additive(self) -> str:
        kind = self.term()
        while self.peek()[1] in ("+", "-"):
            self.take()
            kind = _combine(kind, self.term())
        return kind

    def term(self) -> str:
        kind = self.power()
        while self.peek()[1] in ("*", "/"):
            self.take()
            kind = _combine(kind, self.power())
        return kind

    def power(self) -> str:
        kind = self.unary()
        while self.peek()[1] == "^":
            self.take()
            kind = _combine(kind, self.unary())
        return kind

    def unary(self) -> str:
        if self.peek()[1] == "-":
            self.take()
        return self.primary()

    def primary(self) -> str:
        kind, value = self.take()
        if kind == "number":
            return S
        if kind == "string":
            return S
        if value == "(":
            inner = self.logical()
            self.take(")")
            return inner
        if value == "[":
            return self.array()
        if kind == "name":
            if self.peek()[1] == "(":
                return self.call(value)
            if value in self.ids:
                return TS
            if value in KEYWORDS:
                return S
            self.findings.append((value, "names no query of the alarm (ids are case-sensitive)"))
            return TS
        raise MathError(f"unexpected {value or 'end of expression'!r}")

    def array(self) -> str:
        while True:
            kind = self.logical()
            if kind == S:
                self.findings.append(("[...]", "an array holds time series only (TS[]): a scalar is not one"))
            if self.peek()[1] == ",":
                self.take()
                continue
            self.take("]")
            return TS_ARRAY

    def call(self, name: str) -> str:
        self.take("(")
        arguments: list[str] = []
        while self.peek()[1] != ")":
            arguments.append(self.logical())
            if self.peek()[1] == ",":
                self.take()
        self.take(")")
        signature = FUNCTIONS.get(name)
        if signature is None:
            upper = FUNCTIONS.get(name.upper())
            rule = "functions are written in upper case" if upper is not None else "is not a metric math function"
            self.findings.append((name, rule))
            return TS
        first = arguments[0] if arguments else ""
        if first not in signature:
            wanted = " or ".join(k or "no argument" for k in signature)
            self.findings.append((f"{name}({first or ''})", f"takes {wanted} as its first argument"))
            return TS
        result = signature[first] or first
        if name in NOT_IN_ALARMS or (name in NOT_IN_ALARMS_AS_SCALAR and result == S):
            self.findings.append(
                (
                    f"{name}({first})",
                    "AWS recommends not using it in alarms: it acts differently when the alarm fetches more data "
                    "points than its evaluation periods",
                )
            )
        if name == "SEARCH":
            self.findings.append((name, "an alarm cannot watch a SEARCH expression (it returns many time series)"))
        return result


def _combine(left: str, right: str) -> str:
    if TS_ARRAY in (left, right):
        return TS_ARRAY
    if TS in (left, right):
        return TS
    return S


def check_queries(queries: Sequence[Mapping[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """(value, rule, source) for each way an alarm's metric queries break CloudWatch's rules."""
    ids = {str(q.get("id", "")) for q in queries}
    for query_id in sorted(ids):
        if not _ID.match(query_id):
            yield (
                f"id {query_id}",
                "a query id starts with a lowercase letter (letters, digits, underscores)",
                MATH_DOCS,
            )
    returning = [q for q in queries if q.get("returnData")]
    if len(returning) != 1:
        yield (
            f"{len(returning)} queries return data",
            "exactly one query of an alarm returns data: the one the alarm watches",
            MATH_ALARM_DOCS,
        )
    metric_queries = [q for q in queries if isinstance(q.get("metric"), Mapping)]
    if len(metric_queries) > 10:
        yield f"{len(metric_queries)} metrics", "a math expression of an alarm uses at most 10 metrics", ALARM_DOCS
    periods = {q["metric"].get("period") for q in metric_queries}
    if len(periods) > 1:
        yield (
            f"periods {sorted(map(str, periods))}",
            "every metric of an alarm's expression has the same period",
            ALARM_DOCS,
        )
    for query in queries:
        expression = query.get("expression")
        if not expression:
            continue
        try:
            parser = _Parser(str(expression), ids - {str(query.get("id"))})
            result = parser.parse()
        except MathError as error:
            yield f"{query.get('id')}: {expression}", f"not a metric math expression: {error}", MATH_DOCS
            continue
        for value, rule in parser.findings:
            yield f"{query.get('id')}: {expression} ({value})", rule, MATH_DOCS
        if query.get("returnData") and result != TS:
            yield (
                f"{query.get('id')}: {expression}",
                f"the expression an alarm watches yields a single time series, not {result}",
                MATH_ALARM_DOCS,
            )
