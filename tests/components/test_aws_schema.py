"""Pulumi's component-provider analyzer over every aws component, as the component package serves it
(components/provider.py, ``hosted``): the schema it infers is the one ``pulumi package add`` gives other languages.
Every aws component is in the analyzer's reach: one whose Args it cannot read (a settings model, a callback, a
Literal, a webstack component as a field's type) fails here."""

import dataclasses
import json
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case

import components.aws
from components.provider import PACKAGE, hosted

COMPONENTS = sorted(
    name
    for name in components.aws.__all__
    if isinstance(item := getattr(components.aws, name), type) and issubclass(item, pulumi.ComponentResource)
)


def schema_of(name: str) -> dict[str, Any]:
    provider = ComponentProvider([hosted(getattr(components.aws, name))], PACKAGE, version="0.0.0")
    assert provider.schema is not None
    return json.loads(provider.schema)["resources"][f"{PACKAGE}:index:{name}"]


def args_type(name: str) -> Any:
    component = getattr(components.aws, name)
    return component.__init__.__annotations__["args"]


@pytest.mark.parametrize(
    "name",
    COMPONENTS,
)
def test_the_analyzer_infers_a_documented_schema_whose_required_inputs_are_the_args_without_default(name: str) -> None:
    resource = schema_of(name)
    fields = dataclasses.fields(args_type(name))
    assert set(resource["inputProperties"]) == {camel_case(field.name) for field in fields}
    without_default = {
        camel_case(field.name)
        for field in fields
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
    }
    assert set(resource.get("requiredInputs", [])) == without_default
    undocumented = [key for key, spec in resource["inputProperties"].items() if not spec.get("description")]
    assert not undocumented, f"{name}: inputs without a description: {undocumented}"
    assert resource["description"]
    assert resource["properties"], f"{name} publishes no outputs"


def test_the_database_schema_as_other_languages_see_it() -> None:
    resource = schema_of("Database")
    inputs = resource["inputProperties"]
    assert sorted(resource["requiredInputs"]) == [
        "accountId",
        "dataKeyArn",
        "logsKeyArn",
        "namePrefix",
        "secretsKeyArn",
        "securityGroupId",
        "subnetIds",
    ]
    assert inputs["subnetIds"]["type"] == "array"
    assert inputs["subnetIds"]["items"]["type"] == "string"
    assert inputs["replicas"]["type"] == "integer"
    assert inputs["multiAz"]["type"] == "boolean"
    assert inputs["engine"]["type"] == "string"
    outputs = resource["properties"]
    assert outputs["writerEndpoint"]["type"] == "string"
    assert outputs["primary"]["$ref"].endswith("#/resources/aws:rds%2Finstance:Instance")
    assert outputs["readerEndpoints"]["type"] == "array"
    assert all(spec.get("description") for spec in outputs.values())


def test_the_sharded_database_nests_the_shape_of_every_shard() -> None:
    resource = schema_of("ShardedDatabase")
    assert resource["requiredInputs"] == ["database"]
    assert resource["inputProperties"]["database"]["$ref"] == f"#/types/{PACKAGE}:index:DatabaseArgs"
    assert resource["inputProperties"]["tables"]["additionalProperties"]["type"] == "integer"
