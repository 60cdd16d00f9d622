"""Unknown values, as a real preview has them: no rule crashes on one, and no rule passes silently because of one.

During ``pulumi preview`` every value that comes from another resource's output is unknown. The analyzer hands
unknowns to rules as sentinels that raise ``UnknownValueError`` when read; a rule then either reports a violation
(it needs the value to be set from configuration), or the analyzer notes that it "can't run during preview". Both
are visible. A pass is acceptable only where an unknown value proves the property holds, and each such rule is
listed below with the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
)

from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
from stackcheck.engine.evaluate import Outcome, evaluate, load_policy_config, resolve_settings
from stackcheck.engine.resources import RecordedResource
from tests.conftest import ROOT

SECRET_SIG = "4dabf18193072939515e22adb298388d"

#: Rules that may pass when what they read is unknown, and why the unknown value itself proves the property.
JUSTIFIED = {
    "aws-ecs-task-separate-roles": "it compares which resources the two role ARNs come from (property "
    "dependencies, known at preview), never the ARNs",
    "aws-rds-primary-has-replica": "replicas are found through the property dependency of replicateSourceDb, "
    "known at preview",
    "aws-elasticache-authentication": "an unknown AUTH token is another resource's output (a generated password): "
    "a token is set",
    "aws-elasticache-private-subnet-group": "an unknown subnet group name is the output of a subnet group the stack "
    "creates, so it is not the literal `default`",
    "aws-secretsmanager-customer-key": "an unknown key is the output of a resource the stack creates; AWS-managed "
    "keys are never created by a stack, and their aliases are literal text",
    "aws-backup-vault-customer-key": "as above: an unknown key ARN belongs to a key the stack creates",
    "aws-sns-topic-encrypted": "as above: an unknown key belongs to a key the stack creates",
    "aws-amp-workspace-logging": "an unknown log group ARN is the output of a log group the stack creates, so it "
    "is set",
    "aws-amp-workspace-customer-key": "an unknown key ARN is the output of a key the stack creates",
    "aws-cloudwatch-log-group-encrypted": "an unknown key ARN is the output of a key the stack creates, so the group "
    "is encrypted",
    "aws-cloudwatch-alarm-description": "an unknown description is built from another resource's output, so it is set",
    "cloudflare-records-no-private-targets": "a record whose content is unknown is judged by the resource the "
    "content comes from (a property dependency, known at preview)",
    "aws-default-security-group-restricted": "empty rule lists are known values, whatever their elements would be",
    "aws-security-group-no-rule-management-conflicts": "webstack's groups set no inline rules, so what it reads is "
    "absent, not unknown; which rule resources attach to a group is a property dependency, known at preview",
    "aws-rds-backups-replicated-to-another-region": "replications are found through property dependencies and "
    "regions through the providers, both known at preview; an unknown key ARN is a key the stack creates",
    "aws-alert-topics-reach-someone": "it joins alarms, topics and subscriptions through property dependencies, known "
    "at preview, and reads no value",
}


def unknown_like(value: Any) -> Any:
    """The analyzer's unknown sentinel of the same kind as ``value``; a secret is an unknown string."""
    if isinstance(value, bool):
        return UNKNOWN_BOOLEAN_VALUE
    if isinstance(value, (int, float)):
        return UNKNOWN_NUMBER_VALUE
    if isinstance(value, str):
        return UNKNOWN_STRING_VALUE
    if isinstance(value, list):
        return UNKNOWN_ARRAY_VALUE
    if isinstance(value, dict) and SECRET_SIG in value:
        return UNKNOWN_STRING_VALUE
    return UNKNOWN_OBJECT_VALUE


def unknown_leaves(value: Any) -> Any:
    """The same structure with every scalar (and every secret) unknown."""
    if isinstance(value, dict) and SECRET_SIG not in value:
        return {key: unknown_leaves(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unknown_leaves(item) for item in value]
    return unknown_like(value)


def with_unknowns(resources: list[RecordedResource], change: Callable[[Any], Any]) -> list[RecordedResource]:
    """Every property of every resource made unknown by ``change`` (providers keep their configuration, which the
    engine knows at preview)."""
    result = copy.deepcopy(resources)
    for resource in result:
        if resource.custom and not resource.type.startswith("pulumi:providers:"):
            resource.inputs = {key: change(value) for key, value in resource.inputs.items()}
            resource.outputs = {key: change(value) for key, value in resource.outputs.items()}
    return result


def outcomes(resources: list[RecordedResource]) -> dict[str, Outcome]:
    settings = resolve_settings(
        ALL_POLICIES, load_policy_config(ROOT / "policies" / "config" / "prod.json"), PACK_ENFORCEMENT_LEVEL
    )
    found, _ = evaluate(resources, ALL_POLICIES, settings)  # a crashing rule raises PolicyCrash here
    return {outcome.name: outcome for outcome in found}


@pytest.mark.parametrize("stack", ["prod_run", "local_run"], ids=["prod", "local"])
@pytest.mark.parametrize("change", [unknown_like, unknown_leaves], ids=["whole-properties", "every-leaf"])
def test_no_rule_crashes_or_passes_silently_on_unknown_values(
    request: pytest.FixtureRequest, stack: str, change: Callable[[Any], Any]
) -> None:
    run = request.getfixturevalue(stack)
    known = outcomes(run.resources)
    unknown = outcomes(with_unknowns(run.resources, change))
    applicable = {name for name, outcome in known.items() if outcome.examined}
    silent = {name for name in applicable if not unknown[name].violations and not unknown[name].diagnostics}
    assert silent <= set(JUSTIFIED), f"rules that pass silently on unknown values: {sorted(silent - set(JUSTIFIED))}"
    # Every other rule that applies notices: the unknowns are reported or flagged as not checkable during preview.
    assert len(applicable - silent) >= len(applicable) - len(JUSTIFIED)
    assert len(applicable) >= 10


def test_an_unknown_value_shows_as_cannot_run_during_preview(prod_run: Any) -> None:
    resources = copy.deepcopy(prod_run.resources)
    (listener,) = [r for r in resources if r.name == "edge-https"]
    listener.inputs["sslPolicy"] = UNKNOWN_STRING_VALUE
    found = outcomes(resources)["aws-alb-https-listener-tls"]
    assert found.violations or any("preview" in note for note in found.diagnostics)


def test_every_justified_pass_names_a_real_rule() -> None:
    names = {policy.name for policy in ALL_POLICIES}
    assert set(JUSTIFIED) <= names
