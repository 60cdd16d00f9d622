"""The policy runner: configuration as the CLI reads it, and rules called as the analyzer calls them."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from stackcheck.engine.evaluate import PolicyConfigError, PolicyCrash, evaluate, resolve_settings
from stackcheck.engine.resources import SECRET_SIG, SECRET_SIG_KEY, RecordedResource

PROVIDER_URN = "urn:pulumi:s::p::pulumi:providers:aws::aws"


def recorded(urn: str, type_: str, inputs: dict[str, Any], **extra: Any) -> RecordedResource:
    fields: dict[str, Any] = {
        "urn": urn,
        "type": type_,
        "name": urn.rsplit("::", 1)[-1],
        "custom": True,
        "parent": "",
        "provider": "",
        "protect": False,
        "dependencies": [],
        "property_dependencies": {},
        "inputs": inputs,
        "outputs": dict(inputs),
    }
    fields.update(extra)
    return RecordedResource(**fields)


STACK = [
    recorded(PROVIDER_URN, "pulumi:providers:aws", {"region": "us-east-1", "defaultTags": '{"tags": {"Stack": "s"}}'}),
    recorded("urn:pulumi:s::p::webstack:x:Thing::thing", "webstack:x:Thing", {}, custom=False),
    recorded(
        "urn:pulumi:s::p::aws:ec2/vpc:Vpc::vpc",
        "aws:ec2/vpc:Vpc",
        {"cidrBlock": "10.0.0.0/16"},
        provider=f"{PROVIDER_URN}::id",
        parent="urn:pulumi:s::p::webstack:x:Thing::thing",
    ),
    recorded(
        "urn:pulumi:s::p::aws:rds/instance:Instance::db",
        "aws:rds/instance:Instance",
        {"password": {SECRET_SIG_KEY: SECRET_SIG, "value": "admin123"}, "vpc": "x"},
        property_dependencies={"vpc": ["urn:pulumi:s::p::aws:ec2/vpc:Vpc::vpc"]},
    ),
]


def rule(name: str, validate: Any, **kwargs: Any) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(name=name, description=f"Checks that {name}.", validate=validate, **kwargs)


def no_default_password(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.props.get("password") == args.get_config().get("banned", "admin123"):
        report("a default password", None)


PASSWORD = rule(
    "no-default-password",
    no_default_password,
    config_schema=PolicyConfigSchema(properties={"banned": {"type": "string", "default": "admin123"}}),
)


def settings_for(*policies: Any, raw: dict[str, Any] | None = None) -> Any:
    return resolve_settings(list(policies), raw or {}, EnforcementLevel.MANDATORY)


# -- configuration -----------------------------------------------------------------------------------------------------
def test_schema_defaults_fill_unset_settings() -> None:
    assert settings_for(PASSWORD)["no-default-password"].config == {"banned": "admin123"}


def test_all_sets_every_level_and_a_policy_entry_overrides_it() -> None:
    other = rule("other", no_default_password)
    settings = settings_for(PASSWORD, other, raw={"all": "advisory", "other": {"enforcementLevel": "disabled"}})
    assert settings["no-default-password"].level == EnforcementLevel.ADVISORY
    assert settings["other"].level == EnforcementLevel.DISABLED


def test_a_setting_in_the_file_overrides_the_default() -> None:
    settings = settings_for(PASSWORD, raw={"no-default-password": {"banned": "changeme"}})
    assert settings["no-default-password"].config == {"banned": "changeme"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"no-such-rule": "mandatory"}, "policy config names policies that do not exist: no-such-rule"),
        ({"no-default-password": {"bannd": "x"}}, "policy config: policy no-default-password has no setting 'bannd'"),
        ({"no-default-password": "strict"}, "policy config: no-default-password has enforcement level 'strict'"),
        (
            {"no-default-password": {"banned": 7}},
            "policy config: no-default-password.banned must be of type string, got 7",
        ),
        ({"no-default-password": 3}, "policy config: no-default-password must be an enforcement level or an object"),
    ],
)
def test_bad_configuration_is_rejected(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyConfigError) as caught:
        settings_for(PASSWORD, raw=raw)
    assert str(caught.value).startswith(message)


# -- evaluation --------------------------------------------------------------------------------------------------------
def test_rules_see_secrets_unwrapped_and_report_on_the_resource() -> None:
    outcomes, violations = evaluate(STACK, [PASSWORD], settings_for(PASSWORD))
    assert [(v.policy, v.enforcement_level, v.urn, v.message) for v in violations] == [
        ("no-default-password", "mandatory", "urn:pulumi:s::p::aws:rds/instance:Instance::db", "a default password")
    ]
    assert outcomes[0].violations == 1


def test_a_disabled_policy_does_not_run() -> None:
    outcomes, violations = evaluate(STACK, [PASSWORD], settings_for(PASSWORD, raw={"all": "disabled"}))
    assert violations == []
    assert outcomes[0].enforcement_level == "disabled"


def test_remediate_acts_as_mandatory() -> None:
    _, violations = evaluate(STACK, [PASSWORD], settings_for(PASSWORD, raw={"all": "remediate"}))
    assert violations[0].enforcement_level == "mandatory"


def test_resource_rules_get_the_provider_and_skip_components() -> None:
    seen: list[tuple[str, Any]] = []

    def look(args: ResourceValidationArgs, report: ReportViolation) -> None:
        seen.append((args.resource_type, args.provider.props.get("region") if args.provider else None))

    policy = rule("look", look)
    evaluate(STACK, [policy], settings_for(policy))
    assert ("aws:ec2/vpc:Vpc", "us-east-1") in seen
    assert ("aws:rds/instance:Instance", None) in seen
    assert "webstack:x:Thing" not in [t for t, _ in seen]


def test_stack_rules_see_parents_and_property_dependencies_as_resources() -> None:
    seen: dict[str, Any] = {}

    def look(args: StackValidationArgs, report: ReportViolation) -> None:
        by_type = {r.resource_type: r for r in args.resources}
        vpc = by_type["aws:ec2/vpc:Vpc"]
        assert vpc.parent is not None
        assert vpc.provider is not None
        seen["parent"] = vpc.parent.resource_type
        seen["dependency"] = [
            d.resource_type for d in by_type["aws:rds/instance:Instance"].property_dependencies["vpc"]
        ]
        seen["provider"] = vpc.provider.props.get("region")
        report("stack-wide finding", None)

    policy = StackValidationPolicy(name="look", description="Checks that stacks can be seen.", validate=look)
    _, violations = evaluate(STACK, [policy], settings_for(policy))
    assert seen == {"parent": "webstack:x:Thing", "dependency": ["aws:ec2/vpc:Vpc"], "provider": "us-east-1"}
    assert violations[0].urn == ""


def test_a_crashing_rule_is_an_error_not_a_pass() -> None:
    def broken(args: ResourceValidationArgs, report: ReportViolation) -> None:
        raise KeyError("oops")

    policy = rule("broken", broken)
    with pytest.raises(PolicyCrash, match="policy broken crashed: KeyError"):
        evaluate(STACK, [policy], settings_for(policy))


def test_not_applicable_is_reported() -> None:
    def skip(args: StackValidationArgs, report: ReportViolation) -> None:
        args.not_applicable("nothing to check")

    policy = StackValidationPolicy(name="skip", description="Checks that nothing.", validate=skip)
    outcomes, _ = evaluate(STACK, [policy], settings_for(policy))
    assert outcomes[0].not_applicable == "nothing to check"
