"""Values: every input that maps to a CloudFormation property, held against that property's schema.

A pulumi input maps to the property of the same name (letter case aside) or to the one ``types.TYPES`` renames it
to, at every level of nesting. Each mapped scalar is checked for ``enum``, ``pattern``, ``minLength``/``maxLength``,
``minimum``/``maximum`` and its ``type`` (strings accept numbers, which CloudFormation converts; numbers and booleans
accept their string forms; JSON documents given as strings are parsed first). Tags (a map in pulumi, a list of
``Key``/``Value`` in CloudFormation) are checked as the ``Tag`` definition says.

Curated data, where cfn-lint has it (``schemas/extensions/``), is applied as cfn-lint applies it, with a JSON schema
validator: RDS engines, engine versions, deprecated versions and instance classes per region and engine; ElastiCache
engine versions and node types per region. cfn-lint lists no parameter-group families: a family (``postgres16``,
``redis7``) is checked to name an engine and a major version for which cfn-lint lists engine versions, and an
instance's family to match its engine version (RDS user guide, "Parameter groups": a family is an engine and its
major version). Synthetics runtimes are checked against AWS's deprecation table (``services.SYNTHETICS_DEPRECATED``).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from stackcheck.deployability import data, services
from stackcheck.deployability.arns import StackView
from stackcheck.deployability.permissions import Problem, Tally
from stackcheck.deployability.types import TYPES
from stackcheck.deployability.types.model import TypeMap
from stackcheck.engine.resources import REDACTED, RecordedResource, is_secret

#: Inputs that are never properties: they name the parent of a part, or are provider-only switches.
_NOT_PROPERTIES = frozenset({"region", "tagsAll", "forceDestroy", "skipDestroy", "applyImmediately"})
CURATED = "cfn-lint schemas/extensions"


def _show(value: Any, secret: bool) -> str:
    if secret:
        return REDACTED
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 120 else f"{text[:117]}..."


class _Walker:
    def __init__(self, resource: RecordedResource, entry: TypeMap, root_schema: Mapping[str, Any], tally: Tally):
        self.resource = resource
        self.entry = entry
        self.root_schema = root_schema
        self.tally = tally

    def resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while "$ref" in node and seen < 20:
            ref = str(node["$ref"])
            target: Any = self.root_schema
            for part in ref.removeprefix("#/").split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
        return node

    def problem(self, path: str, value: Any, secret: bool, rule: str) -> None:
        self.tally.problems.append(
            Problem(
                "value",
                self.resource.urn,
                f"{path} = {_show(value, secret)}",
                rule,
                f"{data.SOURCE_SCHEMAS}: {self.entry.cfn}",
            )
        )

    def walk(self, value: Any, node: Mapping[str, Any], path: str, secret: bool = False) -> None:
        if is_secret(value):
            value, secret = value.get("value"), True
        if value is None:
            return
        node = self.resolve(node)
        kinds = node.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        if isinstance(value, str) and ("object" in kinds or "array" in kinds) and value[:1] in "{[":
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        if isinstance(value, Mapping):
            if "array" in kinds and "object" not in kinds:
                self.walk([value], node, path, secret)
                return
            properties = node.get("properties")
            if isinstance(properties, Mapping):
                self.walk_object(value, properties, path, secret)
            return
        if isinstance(value, list):
            items = node.get("items")
            if isinstance(items, Mapping):
                for index, item in enumerate(value):
                    self.walk(item, items, f"{path}[{index}]", secret)
            elif "array" not in kinds and len(value) == 1 and kinds:
                self.walk(value[0], node, path, secret)
            return
        if kinds == ["array"] and isinstance(node.get("items"), Mapping):
            # One pulumi resource per element of a CloudFormation list (a policy attachment, a topic policy's topic).
            self.walk(value, node["items"], path, secret)
            return
        self.scalar(value, node, kinds, path, secret)

    def walk_object(
        self, value: Mapping[str, Any], properties: Mapping[str, Any], path: str, secret: bool, top: bool = False
    ) -> None:
        by_lower = {name.lower(): name for name in properties}
        for key, item in value.items():
            if key in _NOT_PROPERTIES:
                continue
            if top and key == "tags" and isinstance(item, Mapping) and "Tags" in properties:
                item = [{"Key": k, "Value": v} for k, v in item.items()]
            name = (self.entry.renames.get(key) if top else None) or by_lower.get(key.lower())
            if name is None and top and key == "tags":
                continue
            if name is None:
                continue
            self.walk(item, properties[name], f"{path}.{key}" if path else key, secret)

    def scalar(self, value: Any, node: Mapping[str, Any], kinds: list[str], path: str, secret: bool) -> None:
        constraints = {"enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "const"} & set(node)
        if not constraints and not kinds:
            return
        self.tally.checked += 1
        if kinds and not _type_ok(value, kinds):
            self.problem(path, value, secret, f"must be of type {' or '.join(kinds)}")
            return
        text = value if isinstance(value, str) else (json.dumps(value) if isinstance(value, bool) else _number(value))
        if "enum" in node and value not in node["enum"] and text not in [str(e) for e in node["enum"]]:
            shown = ", ".join(map(str, node["enum"][:12])) + (" ..." if len(node["enum"]) > 12 else "")
            self.problem(path, value, secret, f"must be one of {shown}")
        if "pattern" in node and isinstance(text, str):
            try:
                if re.search(str(node["pattern"]), text) is None:
                    self.problem(path, value, secret, f"must match the pattern {node['pattern']}")
            except re.error:
                pass  # a pattern in a syntax Python's re lacks (\p{...}) is not held against the value
        if isinstance(value, str):
            if "minLength" in node and len(value) < int(node["minLength"]):
                self.problem(path, value, secret, f"must be at least {node['minLength']} characters long")
            if "maxLength" in node and len(value) > int(node["maxLength"]):
                self.problem(path, value, secret, f"must be at most {node['maxLength']} characters long")
        number = _as_number(value)
        if number is not None:
            if "minimum" in node and number < float(node["minimum"]):
                self.problem(path, value, secret, f"must be at least {node['minimum']}")
            if "maximum" in node and number > float(node["maximum"]):
                self.problem(path, value, secret, f"must be at most {node['maximum']}")


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    return None


def _type_ok(value: Any, kinds: Iterable[str]) -> bool:
    for kind in kinds:
        if kind == "string" and isinstance(value, str | int | float | bool):
            return True
        if kind in ("integer", "number"):
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float) and (kind == "number" or float(value).is_integer()):
                return True
            if isinstance(value, str):
                try:
                    float(value)
                    return True
                except ValueError:
                    continue
        if kind == "boolean" and (isinstance(value, bool) or value in ("true", "false")):
            return True
    return False


def _property_schema(entry: TypeMap, region: str) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    schema = data.schema(entry.cfn, region)
    if entry.kind == "resource":
        return schema, {"type": "object", "properties": schema.get("properties", {})}
    return schema, schema.get("properties", {}).get(entry.prop, {})


def check(view: StackView, resources: Iterable[RecordedResource]) -> Tally:
    tally = Tally(kind="values")
    for resource in resources:
        entry = TYPES[resource.type]
        if entry.kind == "none":
            continue
        region = view.region_of(resource)
        schema, node = _property_schema(entry, region)
        walker = _Walker(resource, entry, schema, tally)
        if entry.kind == "resource":
            walker.walk_object(resource.inputs, node.get("properties", {}), "", False, top=True)
        elif entry.root:
            walker.walk(resource.inputs.get(entry.root), node, entry.root)
        else:
            parent = entry.identity.parent if entry.identity else ""
            walker.walk({k: v for k, v in resource.inputs.items() if k != parent}, node, "")
    _curated(view, resources, tally)
    return tally


# -- curated data ------------------------------------------------------------------------------------------------------
def _validate(instance: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    # cfn-lint's curated schemas are one allOf of if/then per engine (thousands of branches for instance classes):
    # the branches whose "if" names another engine cannot apply, so they are left out before validating.
    engine = instance.get("Engine")
    branches = schema.get("allOf")
    if isinstance(branches, list) and engine is not None:
        kept = [
            b
            for b in branches
            if b.get("if", {}).get("properties", {}).get("Engine", {}).get("const", engine) == engine
        ]
        schema = {**schema, "allOf": kept}
    import jsonschema  # only stacks with databases or caches pay for it

    validator = jsonschema.Draft7Validator(schema)
    return [error.message for error in validator.iter_errors(instance)]


def _engine_versions(folder: str, engine: str) -> list[str]:
    for block in data.extension(folder, "engine_version").get("allOf", []):
        condition = block.get("if", {}).get("properties", {})
        if condition.get("Engine", {}).get("const") == engine and "EngineVersion" in condition:
            return list(block.get("then", {}).get("properties", {}).get("EngineVersion", {}).get("enum", []))
    return []


def _deprecated_versions(engine: str) -> list[str]:
    for block in data.extension("aws_rds_dbinstance", "engine_version_deprecated").get("allOf", []):
        condition = block.get("if", {}).get("properties", {})
        if condition.get("Engine", {}).get("const") == engine:
            return list(condition.get("EngineVersion", {}).get("enum", []))
    return []


def _current_minor(engine: str, major: str) -> bool:
    deprecated = set(_deprecated_versions(engine))
    return any(
        v.startswith(f"{major}.") and v not in deprecated for v in _engine_versions("aws_rds_dbinstance", engine)
    )


def _family_ok(family: str, folder: str, engines: Iterable[str]) -> bool:
    for engine in engines:
        if family.startswith(engine):
            major = family[len(engine) :]
            if major and any(v == major or v.startswith(f"{major}.") for v in _engine_versions(folder, engine)):
                return True
    return False


RDS_ENGINES = ("postgres", "mysql", "mariadb")
CACHE_ENGINES = ("redis", "valkey", "memcached")


def _curated_problem(tally: Tally, resource: RecordedResource, value: str, rule: str, source: str) -> None:
    tally.problems.append(Problem("curated-value", resource.urn, value, rule, source))


def _curated(view: StackView, resources: Iterable[RecordedResource], tally: Tally) -> None:
    for resource in resources:
        inputs = resource.inputs
        region = view.region_of(resource)
        if resource.type == "aws:rds/instance:Instance" and inputs.get("engine"):
            instance = {
                "Engine": inputs.get("engine"),
                "EngineVersion": inputs.get("engineVersion"),
                "DBInstanceClass": inputs.get("instanceClass"),
                "LicenseModel": inputs.get("licenseModel"),
            }
            instance = {k: v for k, v in instance.items() if v is not None}
            # RDS takes a version prefix ("16", or MySQL's "8.0") as the prefix's default minor (terraform-provider-aws
            # docs, aws_db_instance engine_version: "you can provide a prefix of the version such as 8.0"); cfn-lint
            # lists full versions and some bare majors next to their deprecated minors. A prefix is current while
            # cfn-lint lists a current version under it.
            prefix = "EngineVersion" in instance and _current_minor(
                str(instance["Engine"]), str(instance["EngineVersion"])
            )
            for name, schema in (
                ("engine_version", data.extension("aws_rds_dbinstance", "engine_version")),
                ("engine_version_deprecated", data.extension("aws_rds_dbinstance", "engine_version_deprecated")),
                ("db_instance_class", data.extension("aws_rds_dbinstance", "db_instance_class")),
                ("dbinstanceclass_enum", data.extension("aws_rds_dbinstance", "dbinstanceclass_enum").get(region, {})),
            ):
                tally.checked += 1
                if prefix and name in ("engine_version", "engine_version_deprecated"):
                    continue
                for message in _validate(instance, schema)[:1]:
                    rule = (
                        "the engine version is deprecated: RDS creates no instance on it"
                        if name == "engine_version_deprecated"
                        else message
                    )
                    _curated_problem(
                        tally,
                        resource,
                        f"{instance.get('Engine')} {instance.get('EngineVersion', '')} on "
                        f"{instance.get('DBInstanceClass', '')} in {region}",
                        rule,
                        f"{CURATED}/aws_rds_dbinstance/{name}.json",
                    )
            group = view.resolve(inputs.get("parameterGroupName"))
            version = str(inputs.get("engineVersion", ""))
            if group is not None and version:
                tally.checked += 1
                family = str(group.inputs.get("family", ""))
                expected = f"{inputs['engine']}{version.split('.')[0]}"
                if inputs["engine"] == "mysql":
                    expected = f"mysql{'.'.join(version.split('.')[:2])}"
                if family != expected:
                    _curated_problem(
                        tally,
                        resource,
                        f"parameter group family {family} for {inputs['engine']} {version}",
                        f"the parameter group's family must be {expected} (the engine and its major version)",
                        "RDS user guide, Working with parameter groups",
                    )
        elif resource.type == "aws:rds/parameterGroup:ParameterGroup":
            tally.checked += 1
            family = str(inputs.get("family", ""))
            if not _family_ok(family, "aws_rds_dbinstance", RDS_ENGINES):
                _curated_problem(
                    tally,
                    resource,
                    f"family {family}",
                    "the family names an engine and a major version RDS offers",
                    f"{CURATED}/aws_rds_dbinstance/engine_version.json",
                )
        elif resource.type == "aws:elasticache/replicationGroup:ReplicationGroup":
            cluster = {
                "Engine": inputs.get("engine", "redis"),
                "EngineVersion": inputs.get("engineVersion"),
                "CacheNodeType": inputs.get("nodeType"),
                "TransitEncryptionEnabled": inputs.get("transitEncryptionEnabled"),
            }
            cluster = {k: v for k, v in cluster.items() if v is not None}
            for folder, name, schema in (
                (
                    "aws_elasticache_cachecluster",
                    "engine_version",
                    data.extension("aws_elasticache_cachecluster", "engine_version"),
                ),
                (
                    "aws_elasticache_cachecluster",
                    "cachenodetype_enum",
                    {
                        "properties": {
                            "CacheNodeType": data.extension("aws_elasticache_cachecluster", "cachenodetype_enum").get(
                                region, {}
                            )
                        }
                    },
                ),
                (
                    "aws_elasticache_replicationgroup",
                    "transitencryptionenabled_valkey",
                    data.extension("aws_elasticache_replicationgroup", "transitencryptionenabled_valkey"),
                ),
            ):
                tally.checked += 1
                for message in _validate(cluster, schema)[:1]:
                    _curated_problem(
                        tally,
                        resource,
                        f"{cluster.get('Engine')} {cluster.get('EngineVersion', '')} on "
                        f"{cluster.get('CacheNodeType', '')} in {region}",
                        message,
                        f"{CURATED}/{folder}/{name}.json",
                    )
        elif resource.type == "aws:elasticache/parameterGroup:ParameterGroup":
            tally.checked += 1
            family = str(inputs.get("family", ""))
            if not _family_ok(family, "aws_elasticache_cachecluster", CACHE_ENGINES):
                _curated_problem(
                    tally,
                    resource,
                    f"family {family}",
                    "the family names an engine and a major version ElastiCache offers",
                    f"{CURATED}/aws_elasticache_cachecluster/engine_version.json",
                )
        elif resource.type == "aws:synthetics/canary:Canary":
            tally.checked += 1
            runtime = str(inputs.get("runtimeVersion", ""))
            if runtime in services.SYNTHETICS_DEPRECATED:
                _curated_problem(
                    tally,
                    resource,
                    f"runtimeVersion {runtime}",
                    f"the runtime was deprecated on {services.SYNTHETICS_DEPRECATED[runtime]}: no canary can be "
                    "created on it",
                    services.SYNTHETICS_RUNTIME_POLICY,
                )
