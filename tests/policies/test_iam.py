"""aws-iam-no-wildcard-policies and aws-iam-no-access-keys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs
from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError

from policies.rules.iam import iam_no_access_keys, iam_no_admin_managed_policies, iam_no_wildcard_policies
from tests.policies.support import OPTIONS, analyzed, check_resource

POLICY = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ROLE = "aws:iam/role:Role"
ROLE_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ATTACHMENTS = [
    ROLE_ATTACHMENT,
    "aws:iam/policyAttachment:PolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
]
ACCESS_KEY = "aws:iam/accessKey:AccessKey"

BUCKET = "arn:aws:s3:::webstack-prod-uptime"
#: The canary's policy as webstack writes it: resource-scoped, "*" only for actions without resource-level permissions.
CANARY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "WriteArtifacts",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject"],
            "Resource": f"{BUCKET}/*",
        },
        {"Sid": "ListBuckets", "Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"},
        {
            "Sid": "PublishCanaryMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": "CloudWatchSynthetics"}},
        },
    ],
}
#: ECS Exec's channel and the execution role's registry credentials: no resource-level permissions exist.
UNSCOPED = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
                "ECR:GetAuthorizationToken",
            ],
            "Resource": ["*"],
        }
    ],
}


def statement(**fields: Any) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Sid": "Wide", "Effect": "Allow", **fields}]}


def check(resource_type: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return check_resource(iam_no_wildcard_policies, resource_type, analyzed(props), config=config)


def check_admin(resource_type: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return check_resource(iam_no_admin_managed_policies, resource_type, analyzed(props), config=config)


# -- aws-iam-no-wildcard-policies: documents ---------------------------------------------------------------------------
@pytest.mark.parametrize("resource_type", [POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY])
@pytest.mark.parametrize("document", [CANARY, UNSCOPED], ids=["canary", "unscoped-actions"])
def test_passes_for_scoped_policies_as_text(resource_type: str, document: dict[str, Any]) -> None:
    assert check(resource_type, {"policy": json.dumps(document)}) == []


def test_passes_for_a_policy_given_as_an_object() -> None:
    assert check(ROLE_POLICY, {"policy": CANARY}) == []


def test_passes_for_deny_statements_with_wildcards() -> None:
    deny = {"Statement": {"Effect": "Deny", "NotAction": "s3:GetObject", "Resource": "*"}}
    assert check(POLICY, {"policy": json.dumps(deny)}) == []


@pytest.mark.parametrize("action", ["*", "s3:*", ["s3:GetObject", "iam:*"], "*:*"])
def test_fails_for_wildcard_actions(action: Any) -> None:
    (message,) = check(ROLE_POLICY, {"policy": json.dumps(statement(Action=action, Resource=f"{BUCKET}/*"))})
    assert message.startswith("The policy grants too much: statement 'Wide' allows ")
    assert "list the actions it needs" in message


def test_fails_for_every_action_on_every_resource_in_one_sentence() -> None:
    (message,) = check(POLICY, {"policy": json.dumps(statement(Action="*", Resource="*"))})
    assert message == (
        "The policy grants too much: statement 'Wide' allows *, every action of every service: list the actions it "
        "needs."
    )


def test_fails_for_not_action() -> None:
    (message,) = check(USER_POLICY, {"policy": json.dumps(statement(NotAction="iam:*", Resource="*"))})
    assert message.startswith(
        "The policy grants too much: statement 'Wide' allows NotAction, that is every action of every service but "
        "those listed"
    )


def test_fails_for_a_scoped_action_on_every_resource() -> None:
    document = statement(Action=["s3:GetObject", "s3:ListAllMyBuckets"], Resource="*")
    (message,) = check(GROUP_POLICY, {"policy": json.dumps(document)})
    assert message == (
        "The policy grants too much: statement 'Wide' allows s3:GetObject on every resource (\"*\"): name the ARNs "
        "they act on (only actions without resource-level permissions, listed in actionsWithoutResourceScope, may "
        'use "*").'
    )


def test_fails_for_not_resource() -> None:
    document = statement(Action="s3:GetObject", NotResource=f"{BUCKET}/private/*")
    (message,) = check(POLICY, {"policy": json.dumps(document)})
    assert 'allows s3:GetObject on every resource ("*" or NotResource)' in message


def test_names_statements_without_a_sid_by_position() -> None:
    document = {"Statement": [CANARY["Statement"][0], {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}
    (message,) = check(POLICY, {"policy": json.dumps(document)})
    assert "statement #2 allows kms:*" in message


def test_reports_every_wide_statement_of_a_policy_in_one_violation() -> None:
    document = {
        "Statement": [
            {"Sid": "A", "Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
            {"Sid": "B", "Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"},
        ]
    }
    (message,) = check(POLICY, {"policy": json.dumps(document)})
    assert "statement 'A' allows ec2:*" in message
    assert "; statement 'B' allows sqs:SendMessage on every resource" in message


def test_the_actions_without_resource_scope_are_configurable() -> None:
    document = json.dumps(statement(Action="sqs:SendMessage", Resource="*"))
    assert check(POLICY, {"policy": document}, config={"actionsWithoutResourceScope": ["sqs:sendmessage"]}) == []
    assert len(check(POLICY, {"policy": json.dumps(CANARY)}, config={"actionsWithoutResourceScope": []})) == 1


def test_fails_for_a_policy_that_is_not_json() -> None:
    assert check(POLICY, {"policy": "{not json"}) == [
        "The policy is not valid JSON, so it cannot be checked: write it with json.dumps(...)."
    ]


def test_passes_without_a_policy() -> None:
    assert check(ROLE_POLICY, {}) == []


# -- aws-iam-no-wildcard-policies: roles -------------------------------------------------------------------------------
def role(**props: Any) -> dict[str, Any]:
    return {"assumeRolePolicy": json.dumps({"Statement": []}), **props}


def test_passes_for_a_role_with_scoped_inline_policies() -> None:
    assert check(ROLE, role(inlinePolicies=[{"name": "canary", "policy": json.dumps(CANARY)}])) == []


def test_fails_for_a_role_with_a_wide_inline_policy() -> None:
    admin = json.dumps(statement(Action="*", Resource="*"))
    props = role(inlinePolicies=[{"name": "ok", "policy": json.dumps(CANARY)}, {"name": "admin", "policy": admin}])
    (message,) = check(ROLE, props)
    assert message.startswith("The inline policy 'admin' grants too much: statement 'Wide' allows *")


# -- aws-iam-no-admin-managed-policies ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["AdministratorAccess", "PowerUserAccess", "IAMFullAccess"])
@pytest.mark.parametrize("resource_type", ATTACHMENTS)
def test_fails_for_attaching_an_admin_policy(resource_type: str, name: str) -> None:
    (message,) = check_admin(resource_type, {"policyArn": f"arn:aws:iam::aws:policy/{name}"})
    assert message.startswith(f"This attaches the AWS-managed policy {name}, which grants (nearly) every action")


def test_fails_for_an_admin_policy_in_another_partition_or_on_a_role() -> None:
    assert len(check_admin(ROLE_ATTACHMENT, {"policyArn": "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"})) == 1
    arns = [
        "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
        "arn:aws:iam::aws:policy/IAMFullAccess",
    ]
    (message,) = check_admin(ROLE, role(managedPolicyArns=arns))
    assert message.startswith("This attaches the AWS-managed policy IAMFullAccess")
    exclusive = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
    assert len(check_admin(exclusive, {"roleName": "r", "policyArns": arns})) == 1


def test_passes_for_service_role_policies_and_customer_policies_named_alike() -> None:
    for arn in (
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/AmazonPrometheusQueryAccess",
        "arn:aws:iam::123456789012:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess-Amplify",
    ):
        assert check_admin(ROLE_ATTACHMENT, {"policyArn": arn}) == [], arn


def test_the_forbidden_managed_policies_are_configurable() -> None:
    props = {"policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}
    assert len(check_admin(ROLE_ATTACHMENT, props, config={"forbiddenManagedPolicies": ["ReadOnlyAccess"]})) == 1


def test_the_admin_rule_does_not_judge_documents_and_the_wildcard_rule_no_attachments() -> None:
    admin = json.dumps(statement(Action="*", Resource="*"))
    assert check_admin(ROLE, role(inlinePolicies=[{"name": "admin", "policy": admin}])) == []
    assert check(ROLE_ATTACHMENT, {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}) == []


# -- both rules: values unknown during preview -------------------------------------------------------------------------
@pytest.mark.parametrize("resource_type", [POLICY, ROLE_POLICY])
def test_a_policy_unknown_during_preview_is_deferred_not_passed(resource_type: str) -> None:
    with pytest.raises(UnknownValueError):
        check(resource_type, {"policy": UNKNOWN_STRING_VALUE})


def test_a_policy_object_with_an_unknown_resource_is_deferred_not_passed() -> None:
    with pytest.raises(UnknownValueError):
        check(ROLE_POLICY, {"policy": statement(Action="s3:GetObject", Resource=UNKNOWN_STRING_VALUE)})


def test_an_attachment_unknown_during_preview_is_deferred_not_passed() -> None:
    with pytest.raises(UnknownValueError):
        check_admin(ROLE_ATTACHMENT, {"policyArn": UNKNOWN_STRING_VALUE})


def test_a_role_reports_what_it_can_decide_before_deferring_the_unknown() -> None:
    props = role(
        inlinePolicies=[
            {"name": "later", "policy": UNKNOWN_STRING_VALUE},
            UNKNOWN_OBJECT_VALUE,
            {"name": "admin", "policy": json.dumps(statement(Action="*", Resource="*"))},
        ],
        managedPolicyArns=[UNKNOWN_STRING_VALUE, "arn:aws:iam::aws:policy/PowerUserAccess"],
    )
    # Called as check_resource does, to see the violations reported before the raise.
    for policy, expected in (
        (iam_no_wildcard_policies, ["The inline policy 'admin'"]),
        (iam_no_admin_managed_policies, ["This attaches the AWS-managed policy PowerUserAccess"]),
    ):
        found: list[str] = []
        args = ResourceValidationArgs(ROLE, analyzed(props), "urn:role", "role", OPTIONS, None, None)
        with pytest.raises(UnknownValueError):
            policy.validate(args, lambda message, urn=None, found=found: found.append(message))
        assert [m.split(" grants")[0].split(",")[0] for m in found] == expected


def test_a_role_list_unknown_during_preview_is_deferred_not_passed() -> None:
    with pytest.raises(UnknownValueError):
        check(ROLE, role(inlinePolicies=UNKNOWN_ARRAY_VALUE))
    with pytest.raises(UnknownValueError):
        check_admin(ROLE, role(managedPolicyArns=UNKNOWN_ARRAY_VALUE))


def test_other_resources_are_ignored() -> None:
    assert check("aws:iam/instanceProfile:InstanceProfile", {"role": UNKNOWN_STRING_VALUE}) == []
    assert check_admin("aws:iam/instanceProfile:InstanceProfile", {"role": UNKNOWN_STRING_VALUE}) == []


# -- aws-iam-no-access-keys --------------------------------------------------------------------------------------------
def test_access_keys_fail() -> None:
    (message,) = check_resource(iam_no_access_keys, ACCESS_KEY, analyzed({"user": "deployer", "status": "Active"}))
    assert message.startswith(
        "This creates a long-lived IAM access key for the user deployer: a key can leak and works from anywhere "
        "until someone rotates it. Give the workload a role instead"
    )


def test_inactive_access_keys_fail_too() -> None:
    assert len(check_resource(iam_no_access_keys, ACCESS_KEY, analyzed({"user": "u", "status": "Inactive"}))) == 1


def test_an_access_key_for_a_user_unknown_during_preview_still_fails() -> None:
    (message,) = check_resource(iam_no_access_keys, ACCESS_KEY, analyzed({"user": UNKNOWN_STRING_VALUE}))
    assert message.startswith("This creates a long-lived IAM access key: a key can leak")


def test_other_resources_pass() -> None:
    assert check_resource(iam_no_access_keys, "aws:iam/user:User", analyzed({"name": "someone"})) == []
