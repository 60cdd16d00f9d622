"""The LoadBalancer as the component package serves it to other languages: the schema Pulumi's analyzer infers from
its Args (services and routes as maps of nested Args, rate limits as a list) and a construct call through the
provider's own classes, with the inputs as they travel (camelCase names, nested Args as mappings)."""

import json
from typing import Any

import pulumi
from pulumi.provider.experimental.component import ComponentProvider

from components.aws.load_balancer import LoadBalancer
from components.provider import PACKAGE, hosted
from tests.conftest import construct, one, registered

CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def _provider() -> ComponentProvider:
    return ComponentProvider([hosted(LoadBalancer)], PACKAGE, version="0.0.0")


def test_the_schema_takes_services_routes_and_rate_limits_as_nested_args() -> None:
    schema = json.loads(_provider().schema)  # type: ignore[attr-defined]
    resource = schema["resources"][f"{PACKAGE}:index:LoadBalancer"]
    inputs = resource["inputProperties"]
    assert sorted(resource["requiredInputs"]) == [
        "account",
        "certificateArn",
        "defaultService",
        "logsKeyArn",
        "namePrefix",
        "securityGroupId",
        "services",
        "subnetIds",
        "vpcId",
    ]
    assert inputs["services"]["additionalProperties"]["$ref"] == f"#/types/{PACKAGE}:index:LoadBalancerTargetArgs"
    assert inputs["routes"]["additionalProperties"]["$ref"] == f"#/types/{PACKAGE}:index:LoadBalancerRouteArgs"
    assert inputs["rateLimits"]["items"]["$ref"] == f"#/types/{PACKAGE}:index:LoadBalancerRateLimitArgs"
    assert inputs["certificateValidationFqdns"]["items"]["type"] == "string"
    assert inputs["clientCertificates"]["$ref"] == f"#/types/{PACKAGE}:index:ClientCertificateArgs"
    target = schema["types"][f"{PACKAGE}:index:LoadBalancerTargetArgs"]
    assert target["required"] == ["port"]
    assert all(spec.get("description") for spec in target["properties"].values())
    outputs = resource["properties"]
    assert outputs["targetGroups"]["additionalProperties"]["$ref"].endswith(
        "#/resources/aws:lb%2FtargetGroup:TargetGroup"
    )
    assert all(spec.get("description") for spec in outputs.values())


def test_a_construct_call_builds_the_load_balancer_from_the_inputs_as_they_travel() -> None:
    inputs: dict[str, Any] = {
        "account": {"id": "123456789012", "partition": "aws", "region": "eu-west-1"},
        "namePrefix": "acme-prod",
        "vpcId": "vpc-0a1b2c3d4e5f60718",
        "subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-0a1b2c3d4e5f60719"],
        "securityGroupId": "sg-0a1b2c3d4e5f60718",
        "logsKeyArn": "arn:aws:kms:eu-west-1:123456789012:key/logs",
        "certificateArn": CERTIFICATE_ARN,
        "services": {"site": {"port": 8080, "healthCheckPath": "/ready"}},
        "defaultService": "site",
        "rateLimits": [{"name": "all", "limit": 500, "windowSeconds": 300}],
    }
    provider = _provider()
    construct(
        lambda: provider.construct("served-lb", f"{PACKAGE}:index:LoadBalancer", inputs, pulumi.ResourceOptions()).urn
    )
    (component,) = registered("served-lb", f"{PACKAGE}:index:LoadBalancer")
    group = one("served-lb-site")
    assert group.parent == component.urn
    assert group.inputs["port"] == 8080
    assert group.inputs["healthCheck"]["path"] == "/ready"
    https = one("served-lb-https")
    assert https.inputs["certificateArn"] == CERTIFICATE_ARN
    assert https.inputs["defaultActions"] == [{"type": "forward", "targetGroupArn": group.outputs["arn"]}]
    rules = one("served-lb-waf").inputs["rules"]
    assert rules[0]["name"] == "rate-limit-all"
    assert rules[0]["statement"]["rateBasedStatement"]["limit"] == 500
    assert rules[0]["statement"]["rateBasedStatement"]["evaluationWindowSec"] == 300
    # The Args' secure defaults, not the provider's: deletion protection on.
    assert one("served-lb-alb").inputs["enableDeletionProtection"] is True
