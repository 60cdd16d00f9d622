"""The one mock implementation: realistic provider answers and a monitor that records every registration.

``install(...)`` configures the Pulumi runtime for an offline run: the stack's configuration, :class:`CloudMocks`
(which answers resource registrations with provider-shaped outputs, ids, ARNs and names with the random suffix the
engine would add, and answers the lookups the program makes) and :class:`RecordingMonitor`, which sees each
RegisterResource request in full: parent, dependencies, property dependencies, protect, provider and options, the
same facts the engine hands to CrossGuard. The tests use exactly this module through ``tests/conftest.py``.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi.runtime
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

from policies.rules.cdn import CLOUDFLARE_RANGES

ACCOUNT_ID = "123456789012"
PARTITION = "aws"
SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
REDACTED = "[secret]"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"

#: Availability zones per region as AWS lists them for accounts that have not opted into extra zones.
ZONE_COUNTS = {"us-east-1": 6, "us-west-2": 4, "us-west-1": 2, "ap-northeast-1": 3, "ca-central-1": 3}
#: How zone IDs abbreviate a region's direction (``us-east-1`` -> ``use1``, ``ap-southeast-2`` -> ``apse2``).
_DIRECTIONS = {"north": "n", "south": "s", "east": "e", "west": "w", "central": "c", "northeast": "ne",
               "northwest": "nw", "southeast": "se", "southwest": "sw"}  # fmt: skip


def availability_zones(region: str) -> list[tuple[str, str]]:
    """The region's zones as this account sees them: (name, zone ID), in name order. Names map to physical zones
    differently in every account (EC2 user guide, "AZ IDs"), so the IDs come in an order of their own, fixed for the
    mocked account: ``us-east-1a`` is not ``use1-az1`` here, as it would not be in most real accounts."""
    count = ZONE_COUNTS.get(region, 3)
    area, direction, number = region.split("-")[0], region.split("-")[1], region.rsplit("-", 1)[-1]
    prefix = f"{area}{_DIRECTIONS.get(direction, direction[:1])}{number}"
    ids = sorted((f"{prefix}-az{i + 1}" for i in range(count)), key=lambda z: _digest(ACCOUNT_ID, region, z))
    return [(f"{region}{letter}", zone_id) for letter, zone_id in zip("abcdef", ids, strict=False)]


#: The account ALB access logs come from, per region (AWS documents these for bucket policies).
ELB_ACCOUNTS = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "ca-central-1": "985666609251",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-west-3": "009996457667",
    "eu-central-1": "054676820928",
    "eu-north-1": "897822967062",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "sa-east-1": "507241528517",
}

#: EC2-style id prefixes of the resource types the program creates (``<prefix>-<17 hex digits>``).
_ID_PREFIXES = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/eip:Eip": "eipalloc",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:ec2/flowLog:FlowLog": "fl",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}

#: ARN resource words for EC2 types (``arn:aws:ec2:<region>:<account>:<word>/<id>``).
_EC2_ARN_WORDS = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "security-group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security-group",
    "aws:ec2/internetGateway:InternetGateway": "internet-gateway",
    "aws:ec2/natGateway:NatGateway": "natgateway",
    "aws:ec2/eip:Eip": "elastic-ip",
    "aws:ec2/routeTable:RouteTable": "route-table",
    "aws:ec2/flowLog:FlowLog": "vpc-flow-log",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security-group-rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security-group-rule",
}


def _shape_vpc(state: dict[str, Any], inputs: dict[str, Any], *, token: str, **_: Any) -> str | None:
    resource_id = f"vpc-{token}"
    state.update(
        arn=f"arn:{PARTITION}:ec2:{state['region']}:{ACCOUNT_ID}:vpc/{resource_id}",
        ownerId=ACCOUNT_ID,
        defaultSecurityGroupId=f"sg-{_digest(token, 'default')}",
        mainRouteTableId=f"rtb-{_digest(token, 'main')}",
    )
    return resource_id


def _shape_eip(state: dict[str, Any], inputs: dict[str, Any], *, token: str, **_: Any) -> str | None:
    resource_id = f"eipalloc-{token}"
    state.update(allocationId=resource_id, publicIp=f"203.0.113.{int(token[:2], 16) % 254 + 1}")
    return resource_id


def _shape_rule(state: dict[str, Any], inputs: dict[str, Any], *, token: str, **_: Any) -> str | None:
    resource_id = f"sgr-{token}"
    state.update(
        securityGroupRuleId=resource_id,
        arn=f"arn:{PARTITION}:ec2:{state['region']}:{ACCOUNT_ID}:security-group-rule/{resource_id}",
    )
    return resource_id


def _shape_kms_key(state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, **_: Any) -> str | None:
    key_id = str(uuid.UUID(hex=_digest(token, "key", length=32)))
    state.update(keyId=key_id, arn=f"{arn}:key/{key_id}")
    return key_id


def _shape_kms_alias(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state.update(arn=f"{arn}:{physical}", targetKeyArn=f"{arn}:key/{inputs.get('targetKeyId', '')}")
    return physical


def _shape_log_group(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, **_: Any) -> str | None:
    state["arn"] = f"arn:{PARTITION}:logs:{state['region']}:{ACCOUNT_ID}:log-group:{physical}"
    return physical


def _shape_role(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, token: str, **_: Any) -> str | None:
    state.update(arn=f"arn:{PARTITION}:iam::{ACCOUNT_ID}:role/{physical}", uniqueId=f"AROA{token[:17].upper()}")
    return physical


def _shape_role_policy(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, **_: Any) -> str | None:
    return f"{inputs.get('role', '')}:{physical}"


def _shape_bucket(state: dict[str, Any], inputs: dict[str, Any], *, token: str, **_: Any) -> str | None:
    bucket = str(inputs.get("bucket") or f"{inputs.get('bucketPrefix', 'bucket-')}{token[:12]}")
    state.update(
        bucket=bucket,
        arn=f"arn:{PARTITION}:s3:::{bucket}",
        bucketDomainName=f"{bucket}.s3.amazonaws.com",
        bucketRegionalDomainName=f"{bucket}.s3.{state['region']}.amazonaws.com",
    )
    return bucket


def _shape_load_balancer(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, token: str, arn: str, **_: Any
) -> str | None:
    suffix = f"app/{physical[:32]}/{token[:16]}"
    state.update(
        arn=f"{arn}:loadbalancer/{suffix}",
        arnSuffix=suffix,
        dnsName=f"{physical[:32]}-{int(token[:8], 16) % 10**10}.{state['region']}.elb.amazonaws.com",
        zoneId="Z35SXDOTRQ7X7K",
    )
    return state["arn"]


def _shape_target_group(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, token: str, arn: str, **_: Any
) -> str | None:
    suffix = f"targetgroup/{physical[:32]}/{token[:16]}"
    state.update(arn=f"{arn}:{suffix}", arnSuffix=suffix)
    return state["arn"]


def _shape_listener(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, token: str, arn: str, **_: Any
) -> str | None:
    state["arn"] = f"{arn}:listener/app/{physical[:32]}/{token[:16]}/{token[-16:]}"
    return state["arn"]


def _shape_certificate(state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, **_: Any) -> str | None:
    state["arn"] = f"{arn}:certificate/{uuid.UUID(hex=_digest(token, 'cert', length=32))}"
    domains = [inputs.get("domainName", ""), *(inputs.get("subjectAlternativeNames") or [])]
    state["domainValidationOptions"] = [
        {
            "domainName": domain,
            "resourceRecordName": f"_{_digest(domain, length=32)}.{domain}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{_digest(domain, 'value', length=32)}.xlfgrmvvlj.acm-validations.aws.",
        }
        for domain in domains
        if domain
    ]
    state["status"] = "PENDING_VALIDATION"
    return state["arn"]


def _shape_web_acl(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, token: str, arn: str, **_: Any
) -> str | None:
    acl_id = str(uuid.UUID(hex=_digest(token, "acl", length=32)))
    state.update(arn=f"{arn}:regional/webacl/{physical}/{acl_id}", capacity=700, lockToken=token[:8])
    return acl_id


def _shape_cluster(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state["arn"] = f"{arn}:cluster/{physical}"
    return state["arn"]


def _shape_task_definition(state: dict[str, Any], inputs: dict[str, Any], *, arn: str, **_: Any) -> str | None:
    family = inputs.get("family", "task")
    state.update(
        arn=f"{arn}:task-definition/{family}:1", arnWithoutRevision=f"{arn}:task-definition/{family}", revision=1
    )
    return str(family)


def _shape_service(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    return f"{arn}:service/{physical}"


def _shape_repository(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any
) -> str | None:
    state.update(
        arn=f"{arn}:repository/{physical}",
        registryId=ACCOUNT_ID,
        repositoryUrl=f"{ACCOUNT_ID}.dkr.ecr.{state['region']}.amazonaws.com/{physical}",
    )
    return physical


def _shape_scaling_target(state: dict[str, Any], inputs: dict[str, Any], **_: Any) -> str | None:
    return str(inputs.get("resourceId", ""))


def _shape_rds_instance(
    state: dict[str, Any], inputs: dict[str, Any], *, name: str, token: str, arn: str, **_: Any
) -> str | None:
    identifier = str(inputs.get("identifier") or f"{name}-{token[:7]}").lower()
    region = state["region"]
    address = f"{identifier}.c{token[:12]}.{region}.rds.amazonaws.com"
    port = int(inputs.get("port") or (3306 if str(inputs.get("engine", "")).startswith("mysql") else 5432))
    state.update(
        identifier=identifier,
        address=address,
        endpoint=f"{address}:{port}",
        port=port,
        arn=f"{arn}:db:{identifier}",
        resourceId=f"db-{token[:26].upper()}",
        hostedZoneId="Z2R2ITUGPM61AM",
    )
    if inputs.get("manageMasterUserPassword"):
        secret = f"rds!db-{uuid.UUID(hex=_digest(token, 'db', length=32))}-{_digest(token, 'secret', length=6)}"
        state["masterUserSecrets"] = [
            {
                "secretArn": f"arn:{PARTITION}:secretsmanager:{region}:{ACCOUNT_ID}:secret:{secret}",
                "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                "secretStatus": "active",
            }
        ]
    return identifier


def _shape_rds_group(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, typ: str, **_: Any
) -> str | None:
    kind = {
        "aws:rds/subnetGroup:SubnetGroup": "subgrp",
        "aws:rds/parameterGroup:ParameterGroup": "pg",
        "aws:rds/optionGroup:OptionGroup": "og",
    }[typ]
    group = physical.lower()
    state.update(name=group, arn=f"{arn}:{kind}:{group}")
    return group


def _shape_replication_group(
    state: dict[str, Any], inputs: dict[str, Any], *, name: str, token: str, arn: str, **_: Any
) -> str | None:
    group = str(inputs.get("replicationGroupId") or f"{name}-{token[:7]}").lower()
    host = f"{group}.{token[:6]}.{state['region']}.cache.amazonaws.com"
    state.update(
        replicationGroupId=group,
        arn=f"{arn}:replicationgroup:{group}",
        primaryEndpointAddress=f"master.{host}",
        readerEndpointAddress=f"replica.{host}",
        configurationEndpointAddress=f"clustercfg.{host}",
        memberClusters=[f"{group}-00{i + 1}" for i in range(int(inputs.get("numCacheClusters") or 2))],
    )
    return group


def _shape_cache_group(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any
) -> str | None:
    group = physical.lower()
    state.update(name=group, arn=f"{arn}:subnetgroup:{group}")
    return group


def _shape_secret(
    state: dict[str, Any], inputs: dict[str, Any], *, name: str, token: str, arn: str, **_: Any
) -> str | None:
    secret_name = str(inputs.get("name") or f"{inputs.get('namePrefix', name + '-')}{token[:26]}")
    state.update(name=secret_name, arn=f"{arn}:secret:{secret_name}-{_digest(token, 'suffix', length=6)}")
    return state["arn"]


def _shape_secret_version(state: dict[str, Any], inputs: dict[str, Any], *, token: str, **_: Any) -> str | None:
    state.update(secretArn=inputs.get("secretId", ""), versionId=str(uuid.UUID(hex=_digest(token, "v", length=32))))
    return f"{inputs.get('secretId', '')}|{state['versionId']}"


def _shape_parameter(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state.update(arn=f"{arn}:parameter{physical if physical.startswith('/') else '/' + physical}", version=1)
    return physical


def _shape_vault(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state.update(arn=f"{arn}:backup-vault:{physical}", recoveryPoints=0)
    return physical


def _shape_plan(state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, **_: Any) -> str | None:
    plan_id = str(uuid.UUID(hex=_digest(token, "plan", length=32)))
    state.update(arn=f"{arn}:backup-plan:{plan_id}", version=_digest(token, "version", length=32))
    return plan_id


def _shape_topic(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state["arn"] = f"{arn}:{physical}"
    return state["arn"]


#: ARN service names that differ from the SDK module's name.
_ARN_SERVICES = {
    "efs": "elasticfilesystem",
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "appautoscaling": "application-autoscaling",
}


def _shape_prometheus(
    state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, region: str, **_: Any
) -> str:
    workspace = f"ws-{uuid.UUID(hex=_digest(token, 'workspace', length=32))}"
    state["arn"] = f"{arn}:workspace/{workspace}"
    state["prometheusEndpoint"] = f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{workspace}/"
    return workspace


def _shape_grafana(
    state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, region: str, **_: Any
) -> str:
    workspace = f"g-{token[:10]}"
    state["arn"] = f"{arn}:/workspaces/{workspace}"
    state["endpoint"] = f"{workspace}.grafana-workspace.{region}.amazonaws.com"
    return workspace


def _shape_route53_record(state: dict[str, Any], inputs: dict[str, Any], **_: Any) -> str | None:
    name = str(inputs.get("name", "")).rstrip(".")
    state["fqdn"] = name
    return f"{inputs.get('zoneId', '')}_{name}_{inputs.get('type', '')}"


def _shape_function(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str:
    state["arn"] = f"{arn}:function:{physical}"
    state["invokeArn"] = f"{state['arn']}/invocations"
    return physical


def _efs_shape(prefix: str, word: str) -> Any:
    """EFS ids as EFS makes them (``fs-``, ``fsap-``, ``fsmt-`` and 17 hex digits; Amazon EFS API reference), and
    their ARNs (``arn:aws:elasticfilesystem:<region>:<account>:file-system/fs-...``; mount targets have none)."""

    def shape(state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, **_: Any) -> str | None:
        resource_id = f"{prefix}-{token[:17]}"
        if word:
            state["arn"] = f"{arn}:{word}/{resource_id}"
        return resource_id

    return shape


_SHAPES: dict[str, Any] = {
    "aws:efs/fileSystem:FileSystem": _efs_shape("fs", "file-system"),
    "aws:efs/accessPoint:AccessPoint": _efs_shape("fsap", "access-point"),
    "aws:efs/mountTarget:MountTarget": _efs_shape("fsmt", ""),
    "aws:ec2/vpc:Vpc": _shape_vpc,
    "aws:amp/workspace:Workspace": _shape_prometheus,
    "aws:grafana/workspace:Workspace": _shape_grafana,
    "aws:lambda/function:Function": _shape_function,
    "aws:route53/record:Record": _shape_route53_record,
    "aws:ec2/eip:Eip": _shape_eip,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _shape_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _shape_rule,
    "aws:kms/key:Key": _shape_kms_key,
    "aws:kms/alias:Alias": _shape_kms_alias,
    "aws:cloudwatch/logGroup:LogGroup": _shape_log_group,
    "aws:iam/role:Role": _shape_role,
    "aws:iam/rolePolicy:RolePolicy": _shape_role_policy,
    "aws:s3/bucket:Bucket": _shape_bucket,
    "aws:lb/loadBalancer:LoadBalancer": _shape_load_balancer,
    "aws:lb/targetGroup:TargetGroup": _shape_target_group,
    "aws:lb/listener:Listener": _shape_listener,
    "aws:acm/certificate:Certificate": _shape_certificate,
    "aws:wafv2/webAcl:WebAcl": _shape_web_acl,
    "aws:ecs/cluster:Cluster": _shape_cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _shape_task_definition,
    "aws:ecs/service:Service": _shape_service,
    "aws:ecr/repository:Repository": _shape_repository,
    "aws:appautoscaling/target:Target": _shape_scaling_target,
    "aws:rds/instance:Instance": _shape_rds_instance,
    "aws:rds/subnetGroup:SubnetGroup": _shape_rds_group,
    "aws:rds/parameterGroup:ParameterGroup": _shape_rds_group,
    "aws:rds/optionGroup:OptionGroup": _shape_rds_group,
    "aws:elasticache/replicationGroup:ReplicationGroup": _shape_replication_group,
    "aws:elasticache/subnetGroup:SubnetGroup": _shape_cache_group,
    "aws:elasticache/parameterGroup:ParameterGroup": _shape_cache_group,
    "aws:secretsmanager/secret:Secret": _shape_secret,
    "aws:secretsmanager/secretVersion:SecretVersion": _shape_secret_version,
    "aws:ssm/parameter:Parameter": _shape_parameter,
    "aws:backup/vault:Vault": _shape_vault,
    "aws:backup/plan:Plan": _shape_plan,
    "aws:sns/topic:Topic": _shape_topic,
}


def _digest(*parts: str, length: int = 17) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


def is_secret(value: Any) -> bool:
    """Whether a deserialized property value is a wrapped secret."""
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


def redact(value: Any, found: set[str] | None = None) -> Any:
    """A copy of a property value with every secret replaced by ``"[secret]"``; the plaintexts go into ``found``."""
    if is_secret(value):
        if found is not None:
            found.update(plaintexts(value.get("value")))
        return REDACTED
    if isinstance(value, dict):
        return {key: redact(item, found) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item, found) for item in value]
    return value


#: Keys whose values are never secret even inside a secret object: where an uploaded file goes, its mode and owner.
#: (A list of container uploads is secret as a whole when one file's content is.)
STRUCTURAL_KEYS = frozenset({"file", "permissions", "owner", "group", "executable"})


def marked_secret(value: Any) -> Iterable[str]:
    """The plaintexts of the values marked secret in a registration as the SDK sends it (the request's ``object``
    as plain JSON values, secret signatures where the program put them).

    These, not the secrets of the deserialized inputs, are what is secret: the Python SDK's deserializer lifts the
    mark to the enclosing object or list (``deserialize_property`` in pulumi/runtime/rpc.py: "push the secretness
    'up' a level"), so an object with one secret field arrives wrapped as a whole (``docker.Image.registry``, whose
    server and user name are not secret), while the engine keeps the mark on the field: an export encrypts only
    it."""
    if is_secret(value):
        yield from plaintexts(value.get("value"))
    elif isinstance(value, dict):
        for item in value.values():
            yield from marked_secret(item)
    elif isinstance(value, list):
        for item in value:
            yield from marked_secret(item)


def plaintexts(value: Any) -> Iterable[str]:
    """Every non-empty text (strings, and numbers as text) inside a value, but the structural fields of objects."""
    if isinstance(value, str):
        if value:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key not in STRUCTURAL_KEYS:
                yield from plaintexts(item)
    elif isinstance(value, list):
        for item in value:
            yield from plaintexts(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


class MissingMock(LookupError):
    """The program made a lookup the mocks cannot answer realistically: failing beats answering nonsense."""


@dataclass
class RecordedResource:
    """One RegisterResource request as the engine would see it, plus the mock's answer."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    """``<provider urn>::<provider id>``, or empty for the default provider."""
    protect: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    """Inputs exactly as registered: camelCase keys, secrets still wrapped."""
    outputs: dict[str, Any] = field(default_factory=dict)
    """The state the mock returned (inputs plus computed values)."""
    id: str = ""
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    additional_secret_outputs: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    retain_on_delete: bool = False
    import_id: str = ""
    """The ``import`` resource option: the id of an existing resource to adopt ("" when none)."""

    @property
    def provider_urn(self) -> str:
        return self.provider.rsplit("::", 1)[0] if self.provider else ""


class Recorder:
    """Collects registrations in order, and every secret plaintext seen, so that output can be scrubbed."""

    def __init__(self) -> None:
        self.resources: list[RecordedResource] = []
        self.secret_values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, resource: RecordedResource) -> None:
        with self._lock:
            self.resources.append(resource)

    def note_secrets(self, values: Iterable[str]) -> None:
        with self._lock:
            self.secret_values.update(v for v in values if v)

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}


class CloudMocks(pulumi.runtime.Mocks):
    """Provider-shaped answers for resources and lookups."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}
        self._local = threading.local()

    # -- resources -------------------------------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self._local.inputs = args.inputs
        inputs: dict[str, Any] = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", inputs
        if not args.custom:
            return "", {}
        region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
        region = region or self.region_of(args.provider or "")
        return self._answer(args.typ, args.name, inputs, region)

    def last_inputs(self) -> dict[str, Any]:
        """The inputs of the registration this thread just answered."""
        return getattr(self._local, "inputs", {})

    def region_of(self, provider: str) -> str:
        urn = provider.rsplit("::", 1)[0] if provider else ""
        return self.provider_regions.get(urn, self.default_region)

    def _answer(self, typ: str, name: str, inputs: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
        package = typ.split(":", 1)[0]
        state = dict(inputs)
        token = _digest(typ, name)
        if package == "cloudflare":
            state.setdefault("name", inputs.get("name", name))
            if typ == "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared":
                # Tunnels are named by a UUID (their records point at <uuid>.cfargotunnel.com).
                hex_id = token[:32].ljust(32, "0")
                return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}", state
            return token[:32].ljust(32, "0"), state
        if package == "docker":
            return self._docker(typ, name, state, token)
        if package == "tls":
            return self._tls(typ, name, state)
        if package == "random":
            # Generated values: deterministic here; pulumi-random marks them secret.
            state.setdefault("result", _digest(typ, name, "result", length=int(inputs.get("length", 32))))
            state.setdefault("bcryptHash", "$2a$10$" + _digest(typ, name, "bcrypt", length=53))
            return f"{name}-{token[:8]}", state
        if package == "command":
            state.setdefault("stdout", "")
            state.setdefault("stderr", "")
            return f"{name}-{token[:8]}", state
        physical = inputs.get("name") if isinstance(inputs.get("name"), str) else f"{name}-{token[:7]}"
        state.setdefault("name", physical)
        state.setdefault("region", region)
        resource_id = f"{_ID_PREFIXES[typ]}-{token}" if typ in _ID_PREFIXES else f"{name}-{token[:12]}"
        module = typ.split(":")[1].split("/")[0]
        arn = f"arn:{PARTITION}:{_ARN_SERVICES.get(module, module)}:{region}:{ACCOUNT_ID}"
        shape = _SHAPES.get(typ)
        if shape is not None:
            facts = {"physical": str(physical), "token": token, "arn": arn, "region": region, "name": name, "typ": typ}
            resource_id = shape(state, inputs, **facts) or resource_id
        elif typ in _ID_PREFIXES:
            state["arn"] = (
                f"arn:{PARTITION}:ec2:{region}:{ACCOUNT_ID}:{_EC2_ARN_WORDS.get(typ, 'resource')}/{resource_id}"
            )
            state["ownerId"] = ACCOUNT_ID
        else:
            state.setdefault("arn", f"{arn}:{typ.rsplit(':', 1)[-1].lower()}/{physical}")
        return resource_id, state

    def _docker(self, typ: str, name: str, state: dict[str, Any], token: str) -> tuple[str, dict[str, Any]]:
        if typ == "docker:index/image:Image":
            image_name = str(state.get("imageName", name))
            repository = image_name.rsplit(":", 1)[0] if ":" in image_name.rsplit("/", 1)[-1] else image_name
            # Pushed: the manifest's digest in the registry; kept on the host (skipPush): the local image id
            # (pulumi-docker, Image.repo_digest).
            digest = f"sha256:{_digest(typ, name, length=64)}"
            state["repoDigest"] = digest if state.get("skipPush") else f"{repository}@{digest}"
            state.setdefault("baseImageName", image_name)
            return f"sha256:{_digest(typ, name, length=64)}", state
        if typ == "docker:index/remoteImage:RemoteImage":
            reference = str(state.get("name", name))
            repository = reference.split("@", 1)[0]
            repository = repository.rsplit(":", 1)[0] if ":" in repository.rsplit("/", 1)[-1] else repository
            image_id = f"sha256:{_digest(typ, name, length=64)}"
            state.setdefault("imageId", image_id)
            state.setdefault("repoDigest", f"{repository}@sha256:{_digest(typ, name, 'digest', length=64)}")
            return f"{image_id}{reference}", state
        if typ in ("docker:index/network:Network", "docker:index/volume:Volume"):
            state.setdefault("name", name)
            if typ == "docker:index/volume:Volume":
                state.setdefault("driver", "local")
                state.setdefault("mountpoint", f"/var/lib/docker/volumes/{state['name']}/_data")
            return _digest(typ, name, length=64), state
        if typ == "docker:index/container:Container":
            state.setdefault("name", name)
            state.setdefault("exitCode", 0)
            state.setdefault("networkDatas", [])
            return _digest(typ, name, length=64), state
        return f"{name}-{token[:12]}", state

    def _tls(self, typ: str, name: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Placeholder PEM text (not real keys): enough for templates that embed it."""

        def pem(kind: str, *parts: str) -> str:
            body = _digest(typ, name, *parts, length=64)
            return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"

        if typ == "tls:index/privateKey:PrivateKey":
            state.setdefault("privateKeyPem", pem("PRIVATE KEY", "private"))
            state.setdefault("privateKeyOpenssh", pem("OPENSSH PRIVATE KEY", "openssh"))
            state.setdefault("publicKeyPem", pem("PUBLIC KEY", "public"))
        elif typ in ("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"):
            state.setdefault("certPem", pem("CERTIFICATE", "cert"))
            state.setdefault("validityStartTime", "2026-01-01T00:00:00Z")
            state.setdefault("validityEndTime", "2027-01-01T00:00:00Z")
        elif typ == "tls:index/certRequest:CertRequest":
            state.setdefault("certRequestPem", pem("CERTIFICATE REQUEST", "csr"))
        return f"{name}-{_digest(typ, name, length=12)}", state

    # -- lookups ---------------------------------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self._lookup(args), []

    def _lookup(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        region = args.args.get("region") if isinstance(args.args.get("region"), str) else None
        region = region or self.region_of(args.provider or "")
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = availability_zones(region)
            return {
                "id": region,
                "names": [name for name, _ in zones],
                "zoneIds": [zone_id for _, zone_id in zones],
                "groupNames": [region] * len(zones),
            }
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": ACCOUNT_ID,
                "accountId": ACCOUNT_ID,
                "arn": f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/deployer/stackcheck",
                "userId": "AROAEXAMPLEDEPLOYER:stackcheck",
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "id": PARTITION,
                "partition": PARTITION,
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "region": region, "name": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            registry = f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com"
            return {
                "id": region,
                "authorizationToken": "QVdTOnN0YWNrY2hlY2stcmVnaXN0cnktdG9rZW4=",
                "userName": "AWS",
                "password": "stackcheck-registry-token",
                "proxyEndpoint": f"https://{registry}",
                "expiresAt": "2030-01-01T00:00:00Z",
            }
        if token == "aws:route53/getZone:getZone":
            # A public hosted zone the account created beforehand (webstack:web.hostedZone), as Route 53 names it.
            zone = str(args.args.get("name", "")).rstrip(".")
            zone_id = "Z" + _digest(ACCOUNT_ID, zone, length=20).upper()
            return {
                "id": zone_id,
                "zoneId": zone_id,
                "name": zone,
                "arn": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}",
                "privateZone": bool(args.args.get("privateZone", False)),
                "nameServers": [f"ns-{n}.awsdns-{n:02d}.org" for n in (101, 202, 303, 404)],
                "resourceRecordSetCount": 2,
                "callerReference": f"webstack-{zone}",
                "comment": "",
                "tags": {},
                "primaryNameServer": "ns-101.awsdns-101.org",
                "linkedServiceDescription": "",
                "linkedServicePrincipal": "",
                "vpcId": "",
            }
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            account = ELB_ACCOUNTS.get(region, "127311923021")
            return {"id": account, "arn": f"arn:{PARTITION}:iam::{account}:root", "region": region}
        if token == "cloudflare:index/getIpRanges:getIpRanges":
            return {
                "id": "cloudflare-ip-ranges",
                # Cloudflare's published ranges, as the policy pack knows them.
                "ipv4Cidrs": [cidr for cidr in CLOUDFLARE_RANGES if ":" not in cidr],
                "ipv6Cidrs": [cidr for cidr in CLOUDFLARE_RANGES if ":" in cidr],
                "jdcloudCidrs": [],
                "etag": "stackcheck",
            }
        if token == "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken":
            # A connector token is base64 JSON of the account tag, tunnel id and secret; this one runs nothing.
            tunnel_id = str(args.args.get("tunnelId", ""))
            return {
                "id": tunnel_id,
                "accountId": args.args.get("accountId", ""),
                "tunnelId": tunnel_id,
                "token": "eyJhIjoic3RhY2tjaGVjayIsInQiOiJzdGFja2NoZWNrIiwicyI6InN0YWNrY2hlY2sifQ==",
            }
        raise MissingMock(f"stackcheck has no mock answer for the lookup {token}; add one to stackcheck/mocks.py")


class RecordingMonitor(MockMonitor):
    """A mock monitor that names resources as the engine does and records every registration."""

    def __init__(self, mocks: CloudMocks, recorder: Recorder) -> None:
        super().__init__(mocks)
        self.cloud = mocks
        self.recorder = recorder

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with its ancestors' types, leaving out the root stack.
        if parent:
            qualified = parent.split("::")[2]
            if qualified != ROOT_STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == ROOT_STACK_TYPE:
            return response
        inputs = self.cloud.last_inputs()
        urn = response.urn
        if request.type.startswith("pulumi:providers:") and isinstance(inputs.get("region"), str):
            self.cloud.provider_regions[urn] = inputs["region"]
        self.recorder.note_secrets(marked_secret(json_format.MessageToDict(request.object)))
        registration = self.resources.get(urn)
        self.recorder.add(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                protect=bool(request.protect),
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                inputs=inputs,
                outputs=dict(registration.state) if registration else {},
                id=registration.id if registration else "",
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=list(request.ignoreChanges),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                aliases=[_alias_text(a) for a in request.aliases],
                retain_on_delete=bool(request.retainOnDelete),
                import_id=str(request.importId),
            )
        )
        return response


def _alias_text(alias: Any) -> str:
    """An alias as text: its URN, or its spec (``name=... type=... parent=...``)."""
    if alias.WhichOneof("alias") == "urn":
        return alias.urn
    spec = alias.spec
    parts = [f"name={spec.name}" if spec.name else "", f"type={spec.type}" if spec.type else ""]
    parts.append("parent=none" if spec.noParent else f"parent={spec.parentUrn}" if spec.parentUrn else "")
    return " ".join(p for p in parts if p)


def install(
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Iterable[str] = (),
    preview: bool = False,
    logger: logging.Logger | None = None,
) -> Recorder:
    """Configure the Pulumi runtime for an offline run of one stack; return the recorder that will see it."""
    secret_keys = list(secret_keys)
    pulumi.runtime.set_all_config(dict(config), secret_keys)
    recorder = Recorder()
    recorder.note_secrets(str(config[k]) for k in secret_keys if k in config)
    default_region = str(config.get("aws:region", "us-east-1"))
    mocks = CloudMocks(default_region)
    monitor = RecordingMonitor(mocks, recorder)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor, logger=logger)
    return recorder
