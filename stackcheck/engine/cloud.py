"""The mocked AWS account and the provider-shaped answers it gives.

The account (:data:`ACCOUNT_ID`, :data:`PARTITION`), its availability zones per region, the accounts ALB access logs
come from, and for each resource type the program creates the outputs, id and ARN its provider would return
(:data:`SHAPES`), with the names and ids AWS would generate, derived deterministically from the type and name.
:class:`stackcheck.engine.mocks.CloudMocks` answers registrations with them.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

ACCOUNT_ID = "123456789012"
PARTITION = "aws"

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
    ids = sorted((f"{prefix}-az{i + 1}" for i in range(count)), key=lambda z: stable_digest(ACCOUNT_ID, region, z))
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
ID_PREFIXES = {
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
EC2_ARN_WORDS = {
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
        defaultSecurityGroupId=f"sg-{stable_digest(token, 'default')}",
        mainRouteTableId=f"rtb-{stable_digest(token, 'main')}",
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
    key_id = str(uuid.UUID(hex=stable_digest(token, "key", length=32)))
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
    state["arn"] = f"{arn}:certificate/{uuid.UUID(hex=stable_digest(token, 'cert', length=32))}"
    domains = [inputs.get("domainName", ""), *(inputs.get("subjectAlternativeNames") or [])]
    state["domainValidationOptions"] = [
        {
            "domainName": domain,
            "resourceRecordName": f"_{stable_digest(domain, length=32)}.{domain}.",
            "resourceRecordType": "CNAME",
            "resourceRecordValue": f"_{stable_digest(domain, 'value', length=32)}.xlfgrmvvlj.acm-validations.aws.",
        }
        for domain in domains
        if domain
    ]
    state["status"] = "PENDING_VALIDATION"
    return state["arn"]


def _shape_web_acl(
    state: dict[str, Any], inputs: dict[str, Any], *, physical: str, token: str, arn: str, **_: Any
) -> str | None:
    acl_id = str(uuid.UUID(hex=stable_digest(token, "acl", length=32)))
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
        secret = (
            f"rds!db-{uuid.UUID(hex=stable_digest(token, 'db', length=32))}-{stable_digest(token, 'secret', length=6)}"
        )
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
    state.update(name=secret_name, arn=f"{arn}:secret:{secret_name}-{stable_digest(token, 'suffix', length=6)}")
    return state["arn"]


def _shape_secret_version(state: dict[str, Any], inputs: dict[str, Any], *, token: str, **_: Any) -> str | None:
    state.update(
        secretArn=inputs.get("secretId", ""), versionId=str(uuid.UUID(hex=stable_digest(token, "v", length=32)))
    )
    return f"{inputs.get('secretId', '')}|{state['versionId']}"


def _shape_parameter(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state.update(arn=f"{arn}:parameter{physical if physical.startswith('/') else '/' + physical}", version=1)
    return physical


def _shape_vault(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state.update(arn=f"{arn}:backup-vault:{physical}", recoveryPoints=0)
    return physical


def _shape_plan(state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, **_: Any) -> str | None:
    plan_id = str(uuid.UUID(hex=stable_digest(token, "plan", length=32)))
    state.update(arn=f"{arn}:backup-plan:{plan_id}", version=stable_digest(token, "version", length=32))
    return plan_id


def _shape_topic(state: dict[str, Any], inputs: dict[str, Any], *, physical: str, arn: str, **_: Any) -> str | None:
    state["arn"] = f"{arn}:{physical}"
    return state["arn"]


#: ARN service names that differ from the SDK module's name.
ARN_SERVICES = {
    "efs": "elasticfilesystem",
    "lb": "elasticloadbalancing",
    "alb": "elasticloadbalancing",
    "appautoscaling": "application-autoscaling",
}


def _shape_prometheus(
    state: dict[str, Any], inputs: dict[str, Any], *, token: str, arn: str, region: str, **_: Any
) -> str:
    workspace = f"ws-{uuid.UUID(hex=stable_digest(token, 'workspace', length=32))}"
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


SHAPES: dict[str, Any] = {
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


def stable_digest(*parts: str, length: int = 17) -> str:
    """Hex digits standing in for an id AWS generates: the same parts always give the same digits."""
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]
