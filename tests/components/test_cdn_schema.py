"""The schema Pulumi's component-provider analyzer (``pulumi.provider.experimental.analyzer.Analyzer``, what
``component_provider_host`` serves to other languages) infers from the Cdn and the certificate validation records,
as the package serves them (``components.provider.hosted``: a field with a default is optional on the wire): their
inputs with types, which are required (only what has no sensible default), their descriptions (the Args'
docstrings, each naming its default), nested types and outputs."""

from typing import Any

import pytest
from pulumi.provider.experimental.analyzer import Analyzer, ComponentDefinition, PropertyDefinition, PropertyType

from components.cdn import Cdn
from components.cdn_validation import CertificateValidationRecords
from components.provider import hosted

STRING, INTEGER, BOOLEAN, ARRAY, OBJECT = (
    PropertyType.STRING,
    PropertyType.INTEGER,
    PropertyType.BOOLEAN,
    PropertyType.ARRAY,
    PropertyType.OBJECT,
)


@pytest.fixture(scope="module")
def schema() -> Any:
    return Analyzer("webstack").analyze([hosted(Cdn), hosted(CertificateValidationRecords)])


def kinds(properties: dict[str, PropertyDefinition]) -> dict[str, Any]:
    """Each property's type (or reference) and whether it is optional."""
    return {name: (p.type or p.ref, p.optional) for name, p in properties.items()}


def component(schema: Any, name: str) -> ComponentDefinition:
    return schema["component_definitions"][name]


def test_the_cdn_takes_its_zone_domain_plan_and_an_origin_or_a_tunnel(schema: Any) -> None:
    cdn = component(schema, "Cdn")
    assert kinds(cdn.inputs) == {
        "zoneId": (STRING, False),
        "domain": (STRING, False),
        "plan": (STRING, False),
        "origin": (STRING, True),
        "tunnel": ("#/types/webstack:index:CdnTunnelArgs", True),
        "namePrefix": (STRING, True),
        "zoneName": (STRING, True),
        "serveWww": (BOOLEAN, True),
        "advancedCertificate": (BOOLEAN, True),
        "rateLimits": (ARRAY, True),
        "rateLimitPeriodSeconds": (INTEGER, True),
        "staticEdgeTtlSeconds": (INTEGER, True),
        "staticBrowserTtlSeconds": (INTEGER, True),
        "cacheApi": (BOOLEAN, True),
        "apiCacheTtlSeconds": (INTEGER, True),
        "owasp": (BOOLEAN, True),
        "contentSecurityPolicy": (STRING, True),
        "permissionsPolicy": (STRING, True),
        "hstsIncludeSubdomains": (BOOLEAN, True),
        "hstsPreload": (BOOLEAN, True),
        "authenticatedOriginPulls": (BOOLEAN, True),
        "adoptRulesets": (OBJECT, True),
    }
    # The origin may be another resource's output (a load balancer's name); the zone and the domain are plain.
    assert cdn.inputs["origin"].plain is None
    assert cdn.inputs["zoneId"].plain is True
    rate_limits = cdn.inputs["rateLimits"].items
    assert rate_limits is not None
    assert rate_limits.ref == "#/types/webstack:index:CdnRateLimitArgs"
    adopt = cdn.inputs["adoptRulesets"].additional_properties
    assert adopt is not None
    assert adopt.type == STRING


def test_every_input_is_described_with_its_default(schema: Any) -> None:
    cdn = component(schema, "Cdn")
    for name, prop in cdn.inputs.items():
        assert prop.description, name
        assert "Required." in prop.description or "Default:" in prop.description, name
    assert (cdn.inputs["hstsIncludeSubdomains"].description or "").endswith("Default: false.")
    assert cdn.description is not None
    assert cdn.description.startswith("Cloudflare in front of an origin")


def test_the_cdn_outputs_its_zone_rulesets_names_and_the_tunnel_token(schema: Any) -> None:
    cdn = component(schema, "Cdn")
    assert kinds(cdn.outputs) == {
        "zoneId": (STRING, False),
        "rulesetIds": (OBJECT, False),
        "hostnames": (ARRAY, False),
        "tunnelToken": (STRING, True),
    }
    for prop in cdn.outputs.values():
        assert prop.description


def test_the_nested_types(schema: Any) -> None:
    types = schema["type_definitions"]
    assert kinds(types["CdnTunnelArgs"].properties) == {
        "accountId": (STRING, False),
        "service": (STRING, False),
        "caPool": (STRING, False),
    }
    assert types["CdnTunnelArgs"].properties["service"].plain is None  # an output (nginx's address) will do
    assert kinds(types["CdnRateLimitArgs"].properties) == {
        "name": (STRING, False),
        "limit": (INTEGER, False),
        "windowSeconds": (INTEGER, False),
        "path": (STRING, True),
        "match": (STRING, True),
    }
    assert kinds(types["ValidationRecordArgs"].properties) == {
        "name": (STRING, False),
        "content": (STRING, False),
        "type": (STRING, True),
        "aliases": (ARRAY, True),
    }
    assert set(types) == {"CdnTunnelArgs", "CdnRateLimitArgs", "ValidationRecordArgs"}


def test_the_validation_records_take_the_zone_and_the_records_and_give_their_names(schema: Any) -> None:
    records = component(schema, "CertificateValidationRecords")
    assert kinds(records.inputs) == {
        "zoneId": (STRING, False),
        "records": (OBJECT, True),
        "namePrefix": (STRING, True),
        "movedFrom": (STRING, True),
    }
    record = records.inputs["records"].additional_properties
    assert record is not None
    assert record.ref == "#/types/webstack:index:ValidationRecordArgs"
    assert kinds(records.outputs) == {"names": (ARRAY, False)}
    names = records.outputs["names"].items
    assert names is not None
    assert names.type == STRING
    for prop in [*records.inputs.values(), *records.outputs.values()]:
        assert prop.description
