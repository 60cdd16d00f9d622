"""The component package (provider/, components/provider.py) through Pulumi's own provider classes: the schema its
analyzer infers and a construct call, as far as they run without the CLI (`pulumi package add` itself is not run
here)."""

import ast
import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider

import components
from components.provider import PACKAGE, as_args, hosted
from tests.conftest import ROOT, construct, registered


@dataclass(frozen=True)
class ProbeSizes:
    """How big."""

    minimum: int = 1
    """The least."""


@dataclass(frozen=True)
class ProbeArgs:
    """Inputs of :class:`Probe`."""

    name_prefix: pulumi.Input[str]
    """Names the bucket."""
    sizes: ProbeSizes = field(default_factory=ProbeSizes)
    """Nested Args, as a mapping over the wire."""
    force_destroy: bool = False
    """Secure default: keep the objects."""


class Probe(pulumi.ComponentResource):
    """A component shaped as webstack's are: dataclass Args, its own token, outputs as annotated attributes."""

    bucket_name: pulumi.Output[str]
    """The bucket's name."""

    def __init__(self, name: str, args: ProbeArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("webstack:test:Probe", name, None, opts)
        assert isinstance(args, ProbeArgs)
        assert isinstance(args.sizes, ProbeSizes)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=args.name_prefix,
            force_destroy=args.force_destroy,
            tags={"Minimum": str(args.sizes.minimum)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.bucket_name = bucket.bucket
        self.register_outputs({"bucketName": bucket.bucket})


def test_the_plugin_folder_serves_the_package_with_the_programs_pins() -> None:
    plugin = yaml.safe_load((ROOT / "provider" / "PulumiPlugin.yaml").read_text())
    assert plugin["runtime"]["name"] == "python"
    entry = ast.parse((ROOT / "provider" / "__main__.py").read_text())
    calls = [n.func.id for n in ast.walk(entry) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    assert "main" in calls
    assert "-r ../requirements.txt" in (ROOT / "provider" / "requirements.txt").read_text().splitlines()


def test_a_hosted_component_keeps_its_name_and_documentation() -> None:
    served = hosted(Probe)
    assert served.__name__ == "Probe"
    assert served.__doc__ == Probe.__doc__
    assert issubclass(served, Probe)


def test_the_schema_names_the_component_under_the_package_with_its_documented_inputs() -> None:
    schema = json.loads(ComponentProvider([hosted(Probe)], PACKAGE, version=components.__version__).schema)  # type: ignore[attr-defined]
    assert schema["name"] == PACKAGE
    resource = schema["resources"]["webstack:index:Probe"]
    assert resource["isComponent"] is True
    inputs = resource["inputProperties"]
    assert set(inputs) == {"namePrefix", "sizes", "forceDestroy"}
    assert inputs["namePrefix"]["description"] == "Names the bucket."
    assert resource["requiredInputs"] == ["namePrefix"]
    assert resource["properties"]["bucketName"]["description"] == "The bucket's name."
    assert "webstack:index:ProbeSizes" in schema["types"]


def test_a_construct_call_registers_the_schemas_token_and_builds_from_the_mapped_inputs() -> None:
    provider = ComponentProvider([hosted(Probe)], PACKAGE, version=components.__version__)

    def build() -> str:
        result = provider.construct(
            "probe-one",
            "webstack:index:Probe",
            {"namePrefix": "acme", "sizes": {"minimum": 3}},
            pulumi.ResourceOptions(),
        )
        return result.urn  # type: ignore[return-value]

    construct(build)
    (component,) = registered("probe-one", "webstack:index:Probe")
    (bucket,) = registered("probe-one-bucket", "aws:s3/bucket:Bucket")
    assert bucket.parent == component.urn
    assert bucket.inputs["bucketPrefix"] == "acme"
    assert bucket.inputs["tags"] == {"Minimum": "3"}
    assert bucket.inputs["forceDestroy"] is False  # the Args' default, not a provider's


@dataclass(frozen=True)
class ProbeCollections:
    """Nested Args inside a list and a map."""

    listed: list[ProbeSizes] = field(default_factory=list)
    """In a list."""
    named: dict[str, ProbeSizes] = field(default_factory=dict)
    """In a map."""


def test_nested_args_in_lists_and_maps_become_args_as_the_schema_describes_them() -> None:
    mapped = as_args(ProbeCollections, {"listed": [{"minimum": 2}], "named": {"a": {"minimum": 4}}})
    assert mapped == ProbeCollections(listed=[ProbeSizes(minimum=2)], named={"a": ProbeSizes(minimum=4)})
    schema = json.loads(ComponentProvider([hosted(_collecting())], PACKAGE, version="0.0.0").schema)  # type: ignore[attr-defined]
    inputs = schema["resources"]["webstack:index:Collecting"]["inputProperties"]
    assert inputs["listed"]["items"]["$ref"].endswith("ProbeSizes")
    assert inputs["named"]["additionalProperties"]["$ref"].endswith("ProbeSizes")


def _collecting() -> type[pulumi.ComponentResource]:
    class Collecting(pulumi.ComponentResource):
        """Takes nested Args in collections."""

        def __init__(self, name: str, args: ProbeCollections, opts: pulumi.ResourceOptions | None = None) -> None:
            super().__init__("webstack:test:Collecting", name, None, opts)

    return Collecting


def test_inputs_naming_no_field_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="ProbeArgs has no field colour"):
        as_args(ProbeArgs, {"name_prefix": "x", "colour": "red"})
    args = ProbeArgs(name_prefix="x")
    assert as_args(ProbeArgs, args) is args


def _analyzable(component: type[pulumi.ComponentResource]) -> bool:
    from pulumi.provider.experimental.analyzer import Analyzer

    try:
        Analyzer(PACKAGE).analyze([hosted(component)])
    except Exception:  # any refusal of the analyzer's means: not servable
        return False
    return True


def test_the_package_serves_every_aws_component_the_analyzer_can_read() -> None:
    from components import aws
    from components.provider import SERVED_AWS

    public = [
        name
        for name in aws.__all__
        if isinstance(getattr(aws, name), type) and issubclass(getattr(aws, name), pulumi.ComponentResource)
    ]
    readable = {name for name in public if _analyzable(getattr(aws, name))}
    assert set(SERVED_AWS) == readable == set(public)


def test_the_served_package_has_one_schema_and_builds_keys_through_construct() -> None:
    from components.provider import components as served

    provider = ComponentProvider(served(), PACKAGE, version=components.__version__)
    schema = json.loads(provider.schema)  # type: ignore[attr-defined]
    assert {"webstack:index:Database", "webstack:index:Keys", "webstack:index:Cdn"} <= set(schema["resources"])
    account = {"id": "123456789012", "partition": "aws", "region": "eu-west-1"}

    def build() -> str:
        inputs = {"account": account, "namePrefix": "acme-prod", "purposes": ["logs", "data"]}
        return provider.construct("served-keys", "webstack:index:Keys", inputs, pulumi.ResourceOptions()).urn  # type: ignore[return-value]

    construct(build)
    (component,) = registered("served-keys", "webstack:index:Keys")
    keys = registered("served-keys-", "aws:kms/key:Key")
    assert len(keys) == 2
    assert all(key.parent == component.urn for key in keys)
    assert {key.inputs["enableKeyRotation"] for key in keys} == {True}


def test_the_package_serves_the_certificate_validation_records_with_their_records_as_a_map_of_args() -> None:
    from components.provider import components as served

    provider = ComponentProvider(served(), PACKAGE, version=components.__version__)
    schema = json.loads(provider.schema)  # type: ignore[attr-defined]
    records = schema["resources"]["webstack:index:CertificateValidationRecords"]
    assert records["requiredInputs"] == ["zoneId"]
    assert records["inputProperties"]["records"]["additionalProperties"]["$ref"] == (
        "#/types/webstack:index:ValidationRecordArgs"
    )

    def build() -> str:
        inputs = {
            "zoneId": "0123456789abcdef0123456789abcdef",
            "namePrefix": "acme-prod",
            # As ACM gives a record (fully qualified, a trailing dot); the type is left to its default.
            "records": {"apex": {"name": "_a1.example.com.", "content": "_b2.acm-validations.aws."}},
        }
        return provider.construct(  # type: ignore[return-value]
            "served-validation", "webstack:index:CertificateValidationRecords", inputs, pulumi.ResourceOptions()
        ).urn

    construct(build)
    (component,) = registered("served-validation", "webstack:index:CertificateValidationRecords")
    (record,) = registered("served-validation-apex", "cloudflare:index/dnsRecord:DnsRecord")
    assert record.parent == component.urn
    assert (record.inputs["name"], record.inputs["content"]) == ("_a1.example.com", "_b2.acm-validations.aws")
    assert (record.inputs["type"], record.inputs["proxied"]) == ("CNAME", False)
