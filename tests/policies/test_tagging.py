"""aws-required-tags: passes with tags from the provider or the resource, fails on one missing tag."""

from __future__ import annotations

import json

from policies.rules.tagging import TAGGABLE_AWS_TYPES, required_tags
from tests.policies.support import check_resource

VPC = "aws:ec2/vpc:Vpc"
TAGS = {"Project": "webstack", "Stack": "prod", "Environment": "prod", "ManagedBy": "pulumi"}


def provider(tags: dict[str, str]) -> dict[str, str]:
    """aws provider inputs as the engine records them: default tags as JSON text."""
    return {"region": "us-east-1", "defaultTags": json.dumps({"tags": tags})}


def test_passes_with_the_providers_default_tags() -> None:
    assert check_resource(required_tags, VPC, {"cidrBlock": "10.0.0.0/16"}, provider_props=provider(TAGS)) == []


def test_passes_with_default_tags_given_as_an_object() -> None:
    assert check_resource(required_tags, VPC, {}, provider_props={"defaultTags": {"tags": TAGS}}) == []


def test_passes_with_the_resources_own_tags() -> None:
    assert check_resource(required_tags, VPC, {"tags": TAGS}) == []


def test_fails_when_one_tag_is_missing() -> None:
    tags = {k: v for k, v in TAGS.items() if k != "Environment"}
    (message,) = check_resource(required_tags, VPC, {}, provider_props=provider(tags))
    assert message == (
        "Missing tag Environment: set them through the provider's default_tags (webstack's platform does) or on the "
        "resource."
    )


def test_fails_when_a_tag_is_empty() -> None:
    (message,) = check_resource(required_tags, VPC, {"tags": {**TAGS, "Stack": ""}})
    assert message.startswith("Missing tag Stack")


def test_fails_without_any_tags() -> None:
    (message,) = check_resource(required_tags, VPC, {})
    assert message.startswith("Missing tags Project, Stack, Environment, ManagedBy")


def test_resources_that_take_no_tags_are_skipped() -> None:
    association = "aws:ec2/routeTableAssociation:RouteTableAssociation"
    assert association not in TAGGABLE_AWS_TYPES
    assert check_resource(required_tags, association, {}) == []


def test_the_required_keys_are_configurable() -> None:
    config = {"requiredTags": ["CostCenter"]}
    (message,) = check_resource(required_tags, VPC, {"tags": TAGS}, config=config)
    assert message.startswith("Missing tag CostCenter: ")
