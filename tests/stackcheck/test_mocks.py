"""The recording mocks: engine-shaped URNs, every request fact recorded, realistic answers, secrets tracked."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import MockCallArgs

from stackcheck.engine.mocks import CloudMocks, MissingMock
from stackcheck.engine.resources import REDACTED, redact
from tests.conftest import RECORDER, construct, one


class Outer(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("webstack:test:Outer", name, None, opts)
        inner = Inner(f"{name}-inner", pulumi.ResourceOptions(parent=self))
        self.vpc = inner.vpc
        self.register_outputs({})


class Inner(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("webstack:test:Inner", name, None, opts)
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block="10.9.0.0/16", opts=pulumi.ResourceOptions(parent=self))
        aws.ec2.Subnet(
            f"{name}-subnet",
            vpc_id=self.vpc.id,
            cidr_block="10.9.0.0/24",
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        self.register_outputs({})


@pytest.fixture(scope="module")
def nested() -> Outer:
    return construct(lambda: Outer("outer"))


def test_urns_qualify_types_with_every_ancestor_but_the_stack(nested: Outer) -> None:
    assert one("outer").urn == "urn:pulumi:test::webstack::webstack:test:Outer::outer"
    assert one("outer-inner-vpc").urn == (
        "urn:pulumi:test::webstack::webstack:test:Outer$webstack:test:Inner$aws:ec2/vpc:Vpc::outer-inner-vpc"
    )


def test_the_recorder_sees_parent_dependencies_and_protect(nested: Outer) -> None:
    vpc, subnet = one("outer-inner-vpc"), one("outer-inner-subnet")
    assert subnet.parent == one("outer-inner").urn
    assert subnet.dependencies == [vpc.urn]
    assert subnet.property_dependencies["vpcId"] == [vpc.urn]
    assert subnet.property_dependencies["cidrBlock"] == []
    assert subnet.protect is True
    assert vpc.protect is False
    assert subnet.custom is True
    assert one("outer").custom is False


def test_answers_look_like_aws(nested: Outer) -> None:
    vpc = one("outer-inner-vpc")
    assert vpc.id.startswith("vpc-")
    assert len(vpc.id) == len("vpc-") + 17
    assert vpc.outputs["arn"] == f"arn:aws:ec2:eu-west-1:123456789012:vpc/{vpc.id}"
    assert one("outer-inner-subnet").inputs["vpcId"] == vpc.id


def test_explicit_providers_are_recorded_and_set_the_region() -> None:
    def build() -> aws.iam.Role:
        provider = aws.Provider("frankfurt", region="eu-central-1")
        zones = aws.get_availability_zones(opts=pulumi.InvokeOptions(provider=provider))
        assert zones.names == ["eu-central-1a", "eu-central-1b", "eu-central-1c"]
        aws.cloudwatch.LogGroup("fra-logs", name="/fra", opts=pulumi.ResourceOptions(provider=provider))
        return aws.iam.Role("fra-role", assume_role_policy="{}", opts=pulumi.ResourceOptions(provider=provider))

    construct(build)
    provider = one("frankfurt")
    group = one("fra-logs")
    assert group.provider == f"{provider.urn}::{provider.id}"
    assert group.provider_urn == provider.urn
    assert group.outputs["arn"] == "arn:aws:logs:eu-central-1:123456789012:log-group:/fra"
    role = one("fra-role")
    assert role.outputs["name"].startswith("fra-role-")
    assert len(role.outputs["name"]) == len("fra-role-") + 7


def test_secrets_are_recorded_wrapped_and_their_plaintext_is_remembered() -> None:
    construct(
        lambda: aws.secretsmanager.SecretVersion(
            "token", secret_id="s", secret_string=pulumi.Output.secret("s3cr3t-value")
        )
    )
    secret = one("token")
    assert redact(secret.inputs) == {"secretId": "s", "secretString": REDACTED}
    assert "s3cr3t-value" in RECORDER.secret_values


def test_a_secret_field_makes_only_itself_secret_not_the_object_around_it() -> None:
    # The SDK's deserializer wraps the whole map as secret (it lifts the mark a level); the engine keeps the mark on
    # the one value, and so must the plaintexts the recorder scrubs from its output.
    construct(
        lambda: aws.ec2.Vpc(
            "tagged",
            cidr_block="10.8.0.0/16",
            tags={"Owner": "platform-team-tag", "Token": pulumi.Output.secret("tag-s3cr3t-value")},
        )
    )
    assert redact(one("tagged").inputs)["tags"] == REDACTED
    assert "tag-s3cr3t-value" in RECORDER.secret_values
    assert "platform-team-tag" not in RECORDER.secret_values


def test_a_lookup_without_a_realistic_answer_fails_loudly() -> None:
    mocks = CloudMocks("eu-west-1")
    with pytest.raises(MissingMock, match="no mock answer for the lookup aws:rds/getEngineVersion:getEngineVersion"):
        mocks.call(MockCallArgs("aws:rds/getEngineVersion:getEngineVersion", {}, ""))


def test_the_elb_account_is_the_regions() -> None:
    mocks = CloudMocks("eu-west-1")
    answer, _ = mocks.call(MockCallArgs("aws:elb/getServiceAccount:getServiceAccount", {}, ""))
    assert answer["arn"] == "arn:aws:iam::156460612806:root"
