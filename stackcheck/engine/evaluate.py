"""Evaluates the policy pack against recorded resources, the way the Pulumi policy analyzer does.

Resource policies see each resource's inputs (secrets unwrapped, unknown values raising on access) with its options
and provider; stack policies see every resource's state with parent, dependencies and property dependencies joined
into objects. Enforcement levels and policy settings come from a ``--policy-pack-config`` file
(``policies/config/<stack>.json``): ``{"<policy>": "<level>"}`` or ``{"<policy>": {"enforcementLevel": ...,
"<setting>": ...}}``, with ``"all"`` setting the level of every policy. Schema defaults fill unset settings, as the
CLI does. A rule that crashes is an error, never a pass.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from stackcheck.engine.resources import RecordedResource

Policy = ResourceValidationPolicy | StackValidationPolicy
LEVELS = {level.value: level for level in EnforcementLevel}
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


class PolicyConfigError(Exception):
    """A policy configuration file the CLI would reject."""


class PolicyCrash(Exception):
    """A rule raised an exception: the pack is broken, so nothing it says can be trusted."""


@dataclass(frozen=True)
class Violation:
    policy: str
    enforcement_level: str
    urn: str
    message: str


@dataclass(frozen=True)
class Outcome:
    """What one policy did on this stack."""

    name: str
    description: str
    kind: str
    enforcement_level: str
    severity: str
    violations: int
    not_applicable: str = ""
    diagnostics: tuple[str, ...] = ()
    examined: int = 0
    """How many resources the policy read the properties of: 0 means nothing in the stack is of a kind it checks."""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicySetting:
    level: EnforcementLevel
    config: dict[str, Any]


def load_policy_config(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except ValueError as error:
        raise PolicyConfigError(f"{path.name} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path.name} must be a JSON object of policy names")
    return data


def resolve_settings(
    policies: Sequence[Policy], raw: Mapping[str, Any], default_level: EnforcementLevel, source: str = "policy config"
) -> dict[str, PolicySetting]:
    """Each policy's enforcement level and settings: file values over schema defaults over the policy's own level."""
    by_name = {policy.name: policy for policy in policies}
    unknown = sorted(set(raw) - set(by_name) - {"all"})
    if unknown:
        raise PolicyConfigError(f"{source} names policies that do not exist: {', '.join(unknown)}")
    every = _level(raw["all"], source, "all") if "all" in raw else None
    resolved: dict[str, PolicySetting] = {}
    for name, policy in by_name.items():
        level = policy.enforcement_level or default_level
        if every is not None:
            level = every
        entry = raw.get(name)
        schema = policy.config_schema.properties if policy.config_schema else {}
        config = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
        if isinstance(entry, str):
            level = _level(entry, source, name)
        elif isinstance(entry, dict):
            for key, value in entry.items():
                if key == "enforcementLevel":
                    level = _level(value, source, name)
                    continue
                if key not in schema:
                    raise PolicyConfigError(f"{source}: policy {name} has no setting {key!r}")
                expected = _JSON_TYPES.get(str(schema[key].get("type")), (object,))
                if not isinstance(value, expected) or (isinstance(value, bool) and bool not in expected):
                    raise PolicyConfigError(
                        f"{source}: {name}.{key} must be of type {schema[key].get('type')}, got {json.dumps(value)}"
                    )
                config[key] = value
        elif entry is not None:
            raise PolicyConfigError(f"{source}: {name} must be an enforcement level or an object")
        resolved[name] = PolicySetting(level, config)
    return resolved


def _level(value: Any, source: str, name: str) -> EnforcementLevel:
    if value not in LEVELS:
        raise PolicyConfigError(
            f"{source}: {name} has enforcement level {value!r}; expected one of {', '.join(LEVELS)}"
        )
    return LEVELS[value]


class _NotesReads:
    """Notes whether the running policy read ``props``."""

    examined = False
    _props: Any = None

    @property
    def props(self) -> Any:
        self.examined = True
        return self._props

    @props.setter
    def props(self, value: Any) -> None:
        self._props = value


class _Examined(_NotesReads, ResourceValidationArgs):  # pyright: ignore[reportIncompatibleVariableOverride]
    """Resource-validation arguments that note whether the policy read the resource's properties."""


class _ExaminedResource(_NotesReads, PolicyResource):  # pyright: ignore[reportIncompatibleVariableOverride]
    """A resource as stack policies see it, noting whether the running policy read its properties or the resources
    its properties come from."""

    @property
    def property_dependencies(self) -> dict[str, list[PolicyResource]]:  # pyright: ignore[reportIncompatibleVariableOverride]
        self.examined = True
        return self._property_dependencies

    @property_dependencies.setter
    def property_dependencies(self, value: dict[str, list[PolicyResource]]) -> None:  # pyright: ignore[reportIncompatibleVariableOverride]
        self._property_dependencies = value


def _options(resource: RecordedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        resource.protect,
        resource.ignore_changes,
        resource.delete_before_replace,
        resource.aliases,
        PolicyCustomTimeouts(0, 0, 0),
        resource.additional_secret_outputs,
        resource.parent or None,
    )


def _props(values: Mapping[str, Any]) -> Any:
    """Properties as the analyzer hands them to rules: secrets unwrapped, unknowns raising on access."""
    return unknown_checking_proxy(deserialize_properties(dict(values)))


def evaluate(
    resources: Sequence[RecordedResource],
    policies: Sequence[Policy],
    settings: Mapping[str, PolicySetting],
) -> tuple[list[Outcome], list[Violation]]:
    """Run every enabled policy; return one outcome per policy and every violation."""
    providers = {
        r.urn: PolicyProviderResource(r.type, _props(r.inputs), r.urn, r.name)
        for r in resources
        if r.type.startswith("pulumi:providers:")
    }
    stack_view = _stack_resources(resources, providers)
    resource_args = [
        (
            r.urn,
            (r.type, _props(r.inputs), r.urn, r.name, _options(r), providers.get(r.provider_urn)),
        )
        for r in resources
        if r.custom
    ]
    outcomes: list[Outcome] = []
    violations: list[Violation] = []
    for policy in policies:
        setting = settings[policy.name]
        kind = "stack" if isinstance(policy, StackValidationPolicy) else "resource"
        if setting.level == EnforcementLevel.DISABLED:
            outcomes.append(_outcome(policy, kind, setting.level, 0))
            continue
        # As in the analyzer, REMEDIATE acts as MANDATORY for anything that is only validated.
        level = EnforcementLevel.MANDATORY if setting.level == EnforcementLevel.REMEDIATE else setting.level
        found: list[Violation] = []
        diagnostics: list[str] = []
        not_applicable = ""
        examined = 0
        if isinstance(policy, StackValidationPolicy):
            for view in stack_view:
                view.examined = False
            seen: list[PolicyResource] = list(stack_view)
            args = StackValidationArgs(seen, setting.config)
            not_applicable, diagnostics = _run(policy, args, _Reporter(found, policy.name, level, ""))
            examined = sum(1 for view in stack_view if view.examined)
        else:
            for urn, fields in resource_args:
                examined_args = _Examined(*fields, setting.config)
                _, notes = _run(policy, examined_args, _Reporter(found, policy.name, level, urn))
                diagnostics.extend(notes)
                examined += examined_args.examined
        violations.extend(found)
        outcomes.append(_outcome(policy, kind, level, len(found), not_applicable, diagnostics, examined))
    return outcomes, violations


@dataclass(frozen=True)
class _Reporter:
    """The report_violation callback: a violation without a URN belongs to the resource under validation."""

    found: list[Violation]
    policy: str
    level: EnforcementLevel
    default_urn: str

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.found.append(Violation(self.policy, self.level.value, urn or self.default_urn, message))


def _run(policy: Policy, args: Any, report: _Reporter) -> tuple[str, list[str]]:
    """Call a validation; returns (not-applicable reason, diagnostics). Crashes are errors."""
    try:
        result = policy.validate(args, report)
        if isawaitable(result):
            asyncio.run(_await(result))
    except _NotApplicableError as error:
        return error.reason or "does not apply", []
    except UnknownValueError as error:
        return "", [f"can't run during preview: {error}"]
    except Exception as error:
        raise PolicyCrash(f"policy {policy.name} crashed: {type(error).__name__}: {error}") from error
    return "", []


async def _await(result: Any) -> None:
    await result


def _outcome(
    policy: Policy,
    kind: str,
    level: EnforcementLevel,
    count: int,
    not_applicable: str = "",
    notes: Iterable[str] = (),
    examined: int = 0,
) -> Outcome:
    return Outcome(
        name=policy.name,
        description=policy.description,
        kind=kind,
        enforcement_level=level.value,
        severity=policy.severity.value if policy.severity else "",
        violations=count,
        not_applicable=not_applicable,
        diagnostics=tuple(notes),
        examined=examined,
        tags=tuple(policy.tags or ()),
    )


def _stack_resources(
    resources: Sequence[RecordedResource], providers: Mapping[str, PolicyProviderResource]
) -> list[_ExaminedResource]:
    """Every resource as stack policies see it: state as props, references joined to resource objects."""
    views = {
        r.urn: _ExaminedResource(
            r.type,
            _props(r.outputs if r.custom else r.inputs),
            r.urn,
            r.name,
            _options(r),
            providers.get(r.provider_urn),
            None,
            [],
            {},
        )
        for r in resources
    }
    for r in resources:
        view = views[r.urn]
        view.parent = views.get(r.parent)
        view.dependencies = [views[u] for u in r.dependencies if u in views]
        view.property_dependencies = {
            k: [views[u] for u in urns if u in views] for k, urns in r.property_dependencies.items()
        }
    return list(views.values())
