"""The IAM evaluator against AWS's documented evaluation logic (IAM User Guide, "Policy evaluation logic",
"IAM JSON policy elements: Action, NotAction, Resource, NotResource, Condition operators", "Conditions with multiple
context keys or values"). Each case is an example of those pages' rules, not a restatement of the code."""

from __future__ import annotations

from typing import Any

import pytest

from stackcheck.deployability.policy import (
    ALLOW,
    DENY,
    IMPLICIT,
    Principal,
    UnsupportedCondition,
    arn_matches,
    evaluate,
    evaluate_resource,
)

BUCKET = "arn:aws:s3:::webstack-prod-documents"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def test_nothing_allowed_is_an_implicit_deny() -> None:
    assert evaluate(doc(), "s3:GetObject", BUCKET).result == IMPLICIT


def test_an_explicit_deny_wins_over_any_allow() -> None:
    policy = doc(allow("s3:*"), {"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": BUCKET, "Sid": "No"})
    decision = evaluate(policy, "s3:DeleteBucket", BUCKET)
    assert (decision.result, decision.statements) == (DENY, ("No",))
    assert evaluate(policy, "s3:PutBucketPolicy", BUCKET).result == ALLOW


def test_actions_match_wildcards_without_case_and_resources_with_case() -> None:
    policy = doc(allow("S3:Get*", "arn:aws:s3:::webstack-*"))
    assert evaluate(policy, "s3:getbucketpolicy", BUCKET).allowed
    assert not evaluate(policy, "s3:GetBucketPolicy", "arn:aws:s3:::WEBSTACK-prod").allowed
    assert evaluate(doc(allow("s3:Get?ucketPolicy")), "s3:GetBucketPolicy", "*").allowed
    assert not evaluate(doc(allow("s3:Get?Policy")), "s3:GetBucketPolicy", "*").allowed


def test_not_action_and_not_resource_match_everything_but_what_they_list() -> None:
    not_action = doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert evaluate(not_action, "s3:GetObject", BUCKET).allowed
    assert not evaluate(not_action, "iam:CreateRole", "*").allowed
    deny_elsewhere = doc(allow("s3:GetObject"), {"Effect": "Deny", "Action": "s3:GetObject", "NotResource": BUCKET})
    assert evaluate(deny_elsewhere, "s3:GetObject", BUCKET).allowed
    assert evaluate(deny_elsewhere, "s3:GetObject", "arn:aws:s3:::other").result == DENY


def test_arn_wildcards_match_within_each_part() -> None:
    assert arn_matches("arn:aws:logs:us-east-1:123456789012:log-group:/webstack-prod/app", "arn:aws:logs:*:*:*")
    assert arn_matches(
        "arn:aws:logs:us-east-1:123456789012:log-group:/a/b:log-stream:x", "arn:aws:logs:us-east-1:*:log-group:/a/*"
    )
    assert not arn_matches("arn:aws:logs:us-east-1:123456789012:log-group:x", "arn:aws:logs:us-west-2:*:*")
    # "*" in the region part does not reach into the account part.
    assert not arn_matches("arn:aws:sns:us-east-1:123456789012:t", "arn:aws:sns:*123456789012:t")


@pytest.mark.parametrize(
    ("condition", "context", "holds"),
    [
        (
            {"StringEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}},
            {"aws:RequestedRegion": "us-west-2"},
            True,
        ),
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {"aws:RequestedRegion": "eu-west-1"}, False),
        ({"StringEquals": {"aws:RequestedRegion": "us-east-1"}}, {}, False),
        ({"StringNotEquals": {"aws:RequestedRegion": "us-east-1"}}, {}, True),
        ({"StringEqualsIfExists": {"aws:RequestedRegion": "us-east-1"}}, {}, True),
        (
            {"StringLike": {"kms:ViaService": "s3.*.amazonaws.com"}},
            {"kms:ViaService": "s3.us-east-1.amazonaws.com"},
            True,
        ),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}},
            {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:t"},
            True,
        ),
        (
            {"ArnEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/A"}},
            {"iam:PolicyARN": "arn:aws:iam::aws:policy/B"},
            False,
        ),
        ({"Bool": {"kms:GrantIsForAWSResource": "true"}}, {"kms:GrantIsForAWSResource": "true"}, True),
        ({"Bool": {"kms:GrantIsForAWSResource": True}}, {"kms:GrantIsForAWSResource": "false"}, False),
        (
            {"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/a"}},
            {"kms:ResourceAliases": ["alias/b", "alias/a"]},
            True,
        ),
        ({"ForAnyValue:StringEquals": {"kms:ResourceAliases": "alias/a"}}, {}, False),
        ({"ForAllValues:StringLike": {"aws:TagKeys": "webstack*"}}, {"aws:TagKeys": ["webstack:role", "Stack"]}, False),
        ({"ForAllValues:StringLike": {"aws:TagKeys": "webstack*"}}, {}, True),
        ({"Null": {"aws:RequestTag/Stack": "false"}}, {"aws:RequestTag/Stack": "prod"}, True),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.3"}, False),
    ],
)
def test_condition_operators_follow_the_iam_guide(
    condition: dict[str, Any], context: dict[str, Any], holds: bool
) -> None:
    assert evaluate(doc(allow("kms:Decrypt", Condition=condition)), "kms:Decrypt", "*", context).allowed is holds


def test_every_operator_and_every_key_of_a_condition_must_hold() -> None:
    condition = {
        "StringEquals": {"aws:ResourceTag/Project": "webstack", "aws:ResourceTag/Stack": "prod"},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    }
    policy = doc(allow("kms:CreateGrant", Condition=condition))
    context = {
        "aws:ResourceTag/Project": "webstack",
        "aws:ResourceTag/Stack": "prod",
        "kms:GrantIsForAWSResource": "true",
    }
    assert evaluate(policy, "kms:CreateGrant", "*", context).allowed
    assert not evaluate(policy, "kms:CreateGrant", "*", {**context, "aws:ResourceTag/Stack": "staging"}).allowed
    assert not evaluate(policy, "kms:CreateGrant", "*", {**context, "kms:GrantIsForAWSResource": "false"}).allowed


def test_an_unknown_operator_is_refused_rather_than_guessed() -> None:
    policy = doc(allow("s3:GetObject", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
    with pytest.raises(UnsupportedCondition):
        evaluate(policy, "s3:GetObject", BUCKET, {"aws:CurrentTime": "2029-01-01T00:00:00Z"})


# -- resource-based policies ("IAM JSON policy elements: Principal") -------------------------------------------------
TOPIC = "arn:aws:sns:us-east-1:123456789012:alerts"
CLOUDWATCH = Principal("Service", "cloudwatch.amazonaws.com")
A_ROLE = Principal("AWS", "arn:aws:iam::123456789012:role/deployer", "123456789012")


def grant(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "sns:Publish", "Resource": TOPIC, **extra}


def test_a_statement_applies_only_to_the_principals_it_names() -> None:
    policy = doc(grant({"Service": ["events.amazonaws.com", "cloudwatch.amazonaws.com"]}))
    assert evaluate_resource(policy, CLOUDWATCH, "sns:Publish", TOPIC).allowed
    assert not evaluate_resource(policy, Principal("Service", "backup.amazonaws.com"), "sns:Publish", TOPIC).allowed
    assert not evaluate_resource(policy, A_ROLE, "sns:Publish", TOPIC).allowed


def test_everyone_and_an_account_name_their_principals() -> None:
    for everyone in ("*", {"AWS": "*"}):
        assert evaluate_resource(doc(grant(everyone)), CLOUDWATCH, "sns:Publish", TOPIC).allowed
    # An account's root ARN, or its bare id, stands for every principal of the account, and for no service.
    for account in ("arn:aws:iam::123456789012:root", "123456789012"):
        policy = doc(grant({"AWS": account}))
        assert evaluate_resource(policy, A_ROLE, "sns:Publish", TOPIC).allowed
        assert not evaluate_resource(policy, CLOUDWATCH, "sns:Publish", TOPIC).allowed
    other = Principal("AWS", "arn:aws:iam::210987654321:role/deployer", "210987654321")
    assert not evaluate_resource(doc(grant({"AWS": "123456789012"})), other, "sns:Publish", TOPIC).allowed


def test_not_principal_denies_everyone_but_those_it_lists() -> None:
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": A_ROLE.name}, "Action": "sns:Publish", "Resource": TOPIC}
    policy = doc(grant("*"), deny)
    assert evaluate_resource(policy, A_ROLE, "sns:Publish", TOPIC).allowed
    assert evaluate_resource(policy, CLOUDWATCH, "sns:Publish", TOPIC).result == DENY


def test_condition_key_names_are_not_case_sensitive() -> None:
    policy = doc(grant({"Service": "cloudwatch.amazonaws.com"}, Condition={"StringEquals": {"AWS:SourceAccount": "1"}}))
    assert evaluate_resource(policy, CLOUDWATCH, "sns:Publish", TOPIC, {"aws:sourceaccount": "1"}).allowed
    assert not evaluate_resource(policy, CLOUDWATCH, "sns:Publish", TOPIC, {"aws:SourceAccount": "2"}).allowed
