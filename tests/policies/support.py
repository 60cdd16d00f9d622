"""Calling rules directly, as the analyzer would: resource rules with props (and a provider), stack rules with
resources joined through property dependencies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
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
from pulumi_policy.proxy import unknown_checking_proxy

OPTIONS = PolicyResourceOptions(False, [], False, [], PolicyCustomTimeouts(0, 0, 0), [])


def analyzed(props: Mapping[str, Any] | None) -> Any:
    """Props as the analyzer hands them to rules: read-only proxies that raise on unknown values. Props a test has
    already wrapped (to put unknown values in them) pass through."""
    if props is not None and not isinstance(props, dict):
        return props
    return unknown_checking_proxy(deserialize_properties(dict(props or {})))


def check_resource(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    provider_props: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """The violation messages of one resource."""
    provider = (
        PolicyProviderResource("pulumi:providers:aws", provider_props, "urn:provider", "aws")
        if provider_props
        else None
    )
    args = ResourceValidationArgs(resource_type, props, f"urn:{resource_type}", "it", OPTIONS, provider, config)
    found: list[str] = []
    policy.validate(args, lambda message, urn=None: found.append(message))
    return found


def not_applicable(policy: ResourceValidationPolicy, resource_type: str, props: Mapping[str, Any]) -> str:
    """The reason a rule gives for not applying (fails the test when it applies)."""
    args = ResourceValidationArgs(resource_type, analyzed(props), "urn:x", "it", OPTIONS, None, None)
    try:
        policy.validate(args, lambda message, urn=None: None)
    except _NotApplicableError as error:
        return error.reason or ""
    raise AssertionError("the rule applied")


@dataclass
class Res:
    """A resource for a stack rule: its type, props and the URNs each property depends on."""

    urn: str
    type: str
    props: dict[str, Any]
    deps: dict[str, list[str]] = field(default_factory=dict)


def provider_in(region: str | None) -> PolicyProviderResource | None:
    """The aws provider of ``region`` as the analyzer hands it to rules (None: no provider)."""
    if region is None:
        return None
    return PolicyProviderResource("pulumi:providers:aws", analyzed({"region": region}), f"urn:aws-{region}", region)


#: The region of a stack rule's resources unless a test says otherwise.
MAIN_REGION = "us-east-1"


@dataclass
class At(Res):
    """A resource created with the aws provider of ``region`` (None: no provider)."""

    region: str | None = MAIN_REGION


def stack_views(resources: Sequence[Res], default_region: str | None = None) -> list[PolicyResource]:
    """The resources as the analyzer hands them to stack rules: props as proxies, property dependencies as the
    resources they name (a dependency on a resource outside the stack is left out, as the analyzer does), and each
    resource's provider (``default_region``'s for a plain :class:`Res`)."""
    views = {
        r.urn: PolicyResource(
            r.type,
            analyzed(r.props),
            r.urn,
            r.urn.rsplit(":", 1)[-1],
            OPTIONS,
            provider_in(r.region if isinstance(r, At) else default_region),
            None,
            [],
            {},
        )
        for r in resources
    }
    for r in resources:
        views[r.urn].property_dependencies = {k: [views[u] for u in us if u in views] for k, us in r.deps.items()}
        views[r.urn].dependencies = [views[u] for us in r.deps.values() for u in us if u in views]
    return list(views.values())


def check_stack(
    policy: StackValidationPolicy,
    resources: Sequence[Res],
    config: Mapping[str, Any] | None = None,
    *,
    default_region: str | None = None,
) -> list[tuple[str, str]]:
    """The (urn, message) violations of a stack ("" for the stack itself)."""
    found: list[tuple[str, str]] = []
    policy.validate(
        StackValidationArgs(stack_views(resources, default_region), config),
        lambda message, urn=None: found.append((urn or "", message)),
    )
    return found


def stack_not_applicable(policy: StackValidationPolicy, resources: Sequence[Res]) -> str:
    """The reason a stack rule gives for not applying (fails the test when it applies)."""
    try:
        policy.validate(StackValidationArgs(stack_views(resources), None), lambda message, urn=None: None)
    except _NotApplicableError as error:
        return error.reason or ""
    raise AssertionError("the rule applied")


def apply_changes(props: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` with top-level keys changed in place (None removes a key)."""
    for key, value in changes.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    return props


def urns(found: list[tuple[str, str]]) -> list[str]:
    return [urn for urn, _ in found]


def unknown_message(setting_name: str, expected: str) -> str:
    """What a rule reports for a setting it cannot check during preview."""
    return (
        f"{setting_name} is unknown during preview, so this rule cannot check it: set it to {expected} directly "
        "(from configuration), not from another resource's output."
    )
