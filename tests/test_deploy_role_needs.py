"""What the deploy role must allow for features whose needs AWS documents outside the resources' own APIs: the
service-linked role a service runs as, and the account-wide settings a stack manages.

Each need names its source; the policy evaluator is the one of ``tests/test_deploying_docs.py``."""

from __future__ import annotations

from typing import Any

import pytest

from stackcheck.engine.cloud import ACCOUNT_ID
from tests.test_deploying_docs import allows, decide, in_region, policy, registered, stacks

__all__ = ["stacks"]

#: AWS Backup developer guide, "Using roles for restore testing": restore tests run as the service-linked role
#: AWSServiceRoleForBackupRestoreTesting, which the service restore-testing.backup.amazonaws.com assumes, and which
#: whoever creates the first restore testing plan must be allowed to create (iam:CreateServiceLinkedRole).
RESTORE_TESTING_SERVICE = "restore-testing.backup.amazonaws.com"
RESTORE_TESTING_ROLE = (
    f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{RESTORE_TESTING_SERVICE}/AWSServiceRoleForBackupRestoreTesting"
)


def types_of(stacks: dict[str, dict[str, Any]], stack: str) -> set[str]:
    return {resource["type"] for name, resource in registered(stacks) if name == stack}


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_deploy_role_creates_the_service_linked_role_restore_testing_runs_as(
    stacks: dict[str, dict[str, Any]], stack: str
) -> None:
    document = policy("deploy-role-policy.json", stack=stack)
    context = {"iam:AWSServiceName": RESTORE_TESTING_SERVICE}
    if "aws:backup/restoreTestingPlan:RestoreTestingPlan" in types_of(stacks, stack):
        assert allows(document, "iam:CreateServiceLinkedRole", RESTORE_TESTING_ROLE, context)
    # Only that role, only for that service.
    other_role = f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{RESTORE_TESTING_SERVICE}/SomethingElse"
    assert decide(document, "iam:CreateServiceLinkedRole", other_role, context) == "implicit"
    assert (
        decide(
            document, "iam:CreateServiceLinkedRole", RESTORE_TESTING_ROLE, {"iam:AWSServiceName": "ec2.amazonaws.com"}
        )
        == "implicit"
    )


def test_the_deploy_role_attaches_no_managed_policy_the_program_does_not(stacks: dict[str, dict[str, Any]]) -> None:
    """Least privilege the other way round: each AWS managed policy the deploy role may attach is one a stack
    attaches (Grafana's role has an inline policy of its own instead of AWS's broad data-source policies)."""
    attached = {
        resource["inputs"]["policyArn"]
        for _, resource in registered(stacks)
        if resource["type"] == "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
    }
    document = policy("deploy-role-policy.json")
    allowed = {
        arn
        for statement in document["Statement"]
        if statement["Effect"] == "Allow" and "iam:AttachRolePolicy" in statement["Action"]
        for arn in statement["Condition"]["ArnEquals"]["iam:PolicyARN"]
    }
    assert allowed, "the deploy role attaches the program's managed policies"
    assert sorted(allowed - attached) == []


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_deploy_role_creates_the_databases_and_their_log_groups_by_the_names_the_program_gives(
    stacks: dict[str, dict[str, Any]], stack: str
) -> None:
    document = policy("deploy-role-policy.json", stack=stack)
    resources = [resource for name, resource in registered(stacks) if name == stack]
    instances = [r for r in resources if r["type"] == "aws:rds/instance:Instance"]
    groups = [r["inputs"]["name"] for r in resources if r["type"] == "aws:cloudwatch/logGroup:LogGroup"]
    assert instances
    for instance in instances:
        arn = f"arn:aws:rds:us-east-1:{ACCOUNT_ID}:db:{instance['inputs']['identifier']}"
        for action in ("rds:CreateDBInstance", "rds:ModifyDBInstance", "rds:AddTagsToResource"):
            assert allows(document, action, arn), f"{stack}: {action} on {arn}"
        if "replicateSourceDb" in instance["inputs"]:
            assert allows(document, "rds:CreateDBInstanceReadReplica", arn), arn
    rds_groups = [group for group in groups if group.startswith("/aws/rds/instance/")]
    assert rds_groups
    for group in rds_groups:
        arn = f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:{group}"
        for action in ("logs:CreateLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey", "logs:TagResource",
                       "logs:PutMetricFilter", "logs:DeleteLogGroup"):  # fmt: skip
            assert allows(document, action, arn), f"{stack}: {action} on {arn}"
    other = "staging" if stack == "prod" else "prod"
    assert not allows(
        document, "rds:DeleteDBInstance", f"arn:aws:rds:us-east-1:{ACCOUNT_ID}:db:webstack-{other}-shard-0-primary"
    )


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_deploy_role_sets_the_backup_opt_in_of_the_stacks_region_only(
    stacks: dict[str, dict[str, Any]], stack: str
) -> None:
    # AWS Backup's UpdateRegionSettings and DescribeRegionSettings act on the account's settings in a region
    # (service authorization reference: no resource type, so Resource "*").
    assert "aws:backup/regionSettings:RegionSettings" in types_of(stacks, stack)
    document = policy("deploy-role-policy.json", stack=stack)
    for action in ("backup:UpdateRegionSettings", "backup:DescribeRegionSettings"):
        assert allows(document, action, "*", in_region()), action
        assert not allows(document, action, "*", in_region("eu-central-1")), action


def test_the_deploy_role_writes_the_stacks_records_in_its_hosted_zone(stacks: dict[str, dict[str, Any]]) -> None:
    """Route 53 (service authorization reference): records change through the hosted zone
    (route53:ChangeResourceRecordSets on hostedzone/<id>), the provider waits on the change (route53:GetChange on
    change/<id>), and the zone is found by name (route53:ListHostedZones and ListHostedZonesByName, no resource)."""
    assert "aws:route53/record:Record" in types_of(stacks, "staging")
    zone = "arn:aws:route53:::hostedzone/Z0123456789ABCDEFGHIJ"
    for name in ("deploy-role-policy.json", "preview-role-policy.json"):
        document = policy(name, stack="staging")
        for action in ("route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"):
            assert allows(document, action, zone), f"{name}: {action}"
        for action in ("route53:ListHostedZones", "route53:ListHostedZonesByName"):
            assert allows(document, action, "*"), f"{name}: {action}"
        assert allows(document, "route53:GetChange", "arn:aws:route53:::change/C0123456789ABC"), name
    deploy = policy("deploy-role-policy.json", stack="staging")
    assert allows(deploy, "route53:ChangeResourceRecordSets", zone)
    assert not allows(deploy, "route53:DeleteHostedZone", zone), "the zone is the account's, not the stack's"
    assert not allows(policy("preview-role-policy.json"), "route53:ChangeResourceRecordSets", zone)
