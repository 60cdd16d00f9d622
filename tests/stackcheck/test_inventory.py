"""The inventory: every resource under the top-level component that owns it, the stack's own resources apart."""

from __future__ import annotations

from stackcheck.engine.inventory import STACK_GROUP, Inventory
from tests.stackcheck.test_report import RESOURCES, resource


def test_resources_are_grouped_under_their_top_level_component() -> None:
    groups = Inventory.of(RESOURCES).groups
    assert {name: [r.name for r in members] for name, members in groups.items()} == {
        "data (webstack:aws:Data)": ["part", "db"],
        STACK_GROUP: ["aws"],
    }


def test_a_nested_resource_belongs_to_its_outermost_component() -> None:
    inventory = Inventory.of(RESOURCES)
    db = next(r for r in RESOURCES if r.name == "db")
    assert inventory.top[db.urn].name == "data"
    assert inventory.components == {"data (webstack:aws:Data)": inventory.top[db.urn]}


def test_a_top_level_custom_resource_is_the_stacks_own_and_a_component_is_not() -> None:
    inventory = Inventory.of(RESOURCES)
    by_name = {r.name: r for r in RESOURCES}
    assert inventory.is_stack_resource(by_name["aws"])
    assert not inventory.is_stack_resource(by_name["data"])
    assert not inventory.is_stack_resource(by_name["db"])


def test_the_last_registration_of_a_urn_wins() -> None:
    first = resource("urn:s::p::aws:s3/bucket:Bucket::b", "aws:s3/bucket:Bucket", bucket="first")
    second = resource("urn:s::p::aws:s3/bucket:Bucket::b", "aws:s3/bucket:Bucket", bucket="second")
    assert Inventory.of([first, second]).groups == {STACK_GROUP: [second]}
