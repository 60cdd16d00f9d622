"""Each pulumi-aws type the program registers, and what it is to CloudFormation and to IAM.

Three kinds of entry:

- ``resource``: the type has a CloudFormation equivalent. Its handlers' permissions and its properties' constraints
  come from that type's resource provider schema (cfn-lint's data).
- ``property``: the type manages one part of a CloudFormation resource (a bucket's versioning is
  ``AWS::S3::Bucket.VersioningConfiguration``). Its values are checked against that property's schema; its
  permissions are listed by hand, read from the terraform-provider-aws file that implements it (the pulumi-aws
  resource is that Terraform resource), because a CloudFormation handler's list covers the whole parent resource.
- ``none``: no CloudFormation equivalent at all (the reason says why); permissions by hand, as above.

``identity`` says which IAM resource type (AWS's catalogue: cfn-lint's ``Policies.json``) a request about the resource
names, and how to build its ARN: ``@arn`` (the ARN the provider returns), a template over ``{partition}``,
``{region}``, ``{account}``, ``{name}`` (the output named by ``name``) and ``{digest}`` (a stable id AWS would
generate), or ``@parent`` (the ARN of the resource an input refers to, for a part of another resource).

Terraform files are cited as ``terraform-provider-aws internal/service/<service>/<file>.go``; the tag-listing call
each service's Terraform resources make on read is in that service's ``generate.go`` (``-ListTagsOp``, default
``ListTagsForResource``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

TF = "terraform-provider-aws internal/service/"

Operations = Mapping[str, tuple[str, ...]]
"""``create``/``read``/``update``/``delete``/``list`` -> IAM actions."""


@dataclass(frozen=True)
class Identity:
    service: str
    """IAM service prefix."""
    resource_type: str
    """The catalogue's resource type key (``Policies.json`` ``<service>.Resources``)."""
    arn: str = "@arn"
    name: str = "name"
    """Output holding the ``{name}`` of the template."""
    parent: str = ""
    """For ``@parent``: the input that refers to the resource whose identity this one takes."""
    fallback: str = ""
    """For ``@parent``: a template over ``{name}`` (the input's value) when the parent is not the stack's."""


@dataclass(frozen=True)
class TypeMap:
    kind: str
    cfn: str = ""
    """The CloudFormation type (for ``property``: the type the part belongs to)."""
    prop: str = ""
    """``property``: the CloudFormation property this type manages."""
    root: str = ""
    """``property``: the pulumi input that holds the property's value ("" when the inputs are the property)."""
    renames: Mapping[str, str] = field(default_factory=dict)
    """pulumi input name -> CloudFormation property name, where they differ beyond letter case."""
    actions: Operations = field(default_factory=dict)
    """Hand-made permissions (``property`` and ``none``)."""
    source: str = ""
    reason: str = ""
    taggable: bool = False
    """Hand-made types: the Terraform resource reads tags on refresh."""
    identity: Identity | None = None


def _ops(
    create: tuple[str, ...], read: tuple[str, ...], update: tuple[str, ...], delete: tuple[str, ...]
) -> Operations:
    return {"create": create, "read": read, "update": update, "delete": delete, "list": ()}


def _s3_part(prop: str, root: str, put: str, get: str, delete: str, file: str) -> TypeMap:
    return TypeMap(
        "property",
        "AWS::S3::Bucket",
        prop=prop,
        root=root,
        actions=_ops((put, get), (get,), (put, get), (delete,)),
        source=f"{TF}s3/{file}.go",
        identity=Identity("s3", "bucket", "@parent", parent="bucket"),
    )


TYPES: dict[str, TypeMap] = {
    # -- certificates ----------------------------------------------------------------------------------------------
    "aws:acm/certificate:Certificate": TypeMap(
        "resource", "AWS::CertificateManager::Certificate", identity=Identity("acm", "certificate")
    ),
    "aws:acm/certificateValidation:CertificateValidation": TypeMap(
        "none",
        reason="CloudFormation validates a certificate inside AWS::CertificateManager::Certificate; Terraform's "
        "validation resource only waits for the certificate to be issued",
        actions=_ops(("acm:DescribeCertificate",), ("acm:DescribeCertificate",), (), ()),
        source=f"{TF}acm/certificate_validation.go",
        identity=Identity("acm", "certificate", "@parent", parent="certificateArn"),
    ),
    # -- managed prometheus and grafana ----------------------------------------------------------------------------
    "aws:amp/workspace:Workspace": TypeMap(
        "resource",
        "AWS::APS::Workspace",
        identity=Identity("aps", "workspace", "arn:{partition}:aps:{region}:{account}:workspace/{name}", name="id"),
    ),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": TypeMap(
        "resource",
        "AWS::APS::RuleGroupsNamespace",
        identity=Identity(
            "aps",
            "rulegroupsnamespace",
            "arn:{partition}:aps:{region}:{account}:rulegroupsnamespace/{workspaceId}/{name}",
        ),
    ),
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": TypeMap(
        "property",
        "AWS::APS::Workspace",
        prop="AlertManagerDefinition",
        root="definition",
        actions=_ops(
            ("aps:CreateAlertManagerDefinition", "aps:DescribeAlertManagerDefinition"),
            ("aps:DescribeAlertManagerDefinition",),
            ("aps:PutAlertManagerDefinition", "aps:DescribeAlertManagerDefinition"),
            ("aps:DeleteAlertManagerDefinition", "aps:DescribeAlertManagerDefinition"),
        ),
        source=f"{TF}amp/alert_manager_definition.go",
        identity=Identity("aps", "workspace", "@parent", parent="workspaceId"),
    ),
    "aws:grafana/workspace:Workspace": TypeMap(
        "resource", "AWS::Grafana::Workspace", identity=Identity("grafana", "workspace")
    ),
    # -- scaling ---------------------------------------------------------------------------------------------------
    "aws:appautoscaling/target:Target": TypeMap(
        "resource",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        identity=Identity(
            "application-autoscaling",
            "scalabletarget",
            "arn:{partition}:application-autoscaling:{region}:{account}:scalable-target/{digest}",
        ),
    ),
    "aws:appautoscaling/policy:Policy": TypeMap(
        "resource",
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        renames={"name": "PolicyName"},
    ),
    # -- backup ----------------------------------------------------------------------------------------------------
    "aws:backup/regionSettings:RegionSettings": TypeMap(
        "none",
        reason="CloudFormation has no resource for AWS Backup's region settings (the service opt-in is a setting of "
        "the account's region, not a resource); Terraform calls UpdateRegionSettings and reads them back",
        actions=_ops(
            ("backup:UpdateRegionSettings", "backup:DescribeRegionSettings"),
            ("backup:DescribeRegionSettings",),
            ("backup:UpdateRegionSettings", "backup:DescribeRegionSettings"),
            (),
        ),
        source=f"{TF}backup/region_settings.go",
    ),
    "aws:backup/vault:Vault": TypeMap(
        "resource",
        "AWS::Backup::BackupVault",
        renames={"name": "BackupVaultName", "kmsKeyArn": "EncryptionKeyArn"},
        identity=Identity("backup", "backupvault", "arn:{partition}:backup:{region}:{account}:backup-vault:{name}"),
    ),
    "aws:backup/vaultPolicy:VaultPolicy": TypeMap(
        "property",
        "AWS::Backup::BackupVault",
        prop="AccessPolicy",
        root="policy",
        actions=_ops(
            ("backup:PutBackupVaultAccessPolicy", "backup:GetBackupVaultAccessPolicy"),
            ("backup:GetBackupVaultAccessPolicy",),
            ("backup:PutBackupVaultAccessPolicy", "backup:GetBackupVaultAccessPolicy"),
            ("backup:DeleteBackupVaultAccessPolicy",),
        ),
        source=f"{TF}backup/vault_policy.go",
        identity=Identity("backup", "backupvault", "@parent", parent="backupVaultName"),
    ),
    "aws:backup/vaultNotifications:VaultNotifications": TypeMap(
        "property",
        "AWS::Backup::BackupVault",
        prop="Notifications",
        renames={"snsTopicArn": "SNSTopicArn", "backupVaultEvents": "BackupVaultEvents"},
        actions=_ops(
            ("backup:PutBackupVaultNotifications", "backup:GetBackupVaultNotifications"),
            ("backup:GetBackupVaultNotifications",),
            ("backup:PutBackupVaultNotifications", "backup:GetBackupVaultNotifications"),
            ("backup:DeleteBackupVaultNotifications",),
        ),
        source=f"{TF}backup/vault_notifications.go",
        identity=Identity("backup", "backupvault", "@parent", parent="backupVaultName"),
    ),
    "aws:backup/plan:Plan": TypeMap(
        "resource",
        "AWS::Backup::BackupPlan",
        identity=Identity("backup", "backupplan", "arn:{partition}:backup:{region}:{account}:backup-plan:{name}", "id"),
    ),
    "aws:backup/selection:Selection": TypeMap(
        "resource",
        "AWS::Backup::BackupSelection",
        identity=Identity("backup", "backupplan", "@parent", parent="planId"),
    ),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": TypeMap(
        "resource",
        "AWS::Backup::RestoreTestingPlan",
        renames={"name": "RestoreTestingPlanName"},
        identity=Identity(
            "backup",
            "restoretestingplan",
            "arn:{partition}:backup:{region}:{account}:restore-testing-plan:{name}-{digest}",
        ),
    ),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": TypeMap(
        "resource",
        "AWS::Backup::RestoreTestingSelection",
        renames={"name": "RestoreTestingSelectionName"},
        identity=Identity("backup", "restoretestingplan", "@parent", parent="restoreTestingPlanName"),
    ),
    # -- cloudwatch, logs, events ----------------------------------------------------------------------------------
    "aws:cloudwatch/metricAlarm:MetricAlarm": TypeMap(
        "resource",
        "AWS::CloudWatch::Alarm",
        renames={"name": "AlarmName"},
        identity=Identity("cloudwatch", "alarm", "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}"),
    ),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": TypeMap(
        "resource",
        "AWS::CloudWatch::CompositeAlarm",
        identity=Identity(
            "cloudwatch", "alarm", "arn:{partition}:cloudwatch:{region}:{account}:alarm:{name}", "alarmName"
        ),
    ),
    "aws:cloudwatch/dashboard:Dashboard": TypeMap(
        "resource",
        "AWS::CloudWatch::Dashboard",
        identity=Identity(
            "cloudwatch", "dashboard", "arn:{partition}:cloudwatch::{account}:dashboard/{name}", "dashboardName"
        ),
    ),
    "aws:cloudwatch/eventRule:EventRule": TypeMap(
        "resource",
        "AWS::Events::Rule",
        identity=Identity(
            "events", "rule-on-default-event-bus", "arn:{partition}:events:{region}:{account}:rule/{name}"
        ),
    ),
    "aws:cloudwatch/eventTarget:EventTarget": TypeMap(
        "property",
        "AWS::Events::Rule",
        prop="Targets",
        actions=_ops(
            ("events:PutTargets", "events:ListTargetsByRule"),
            ("events:ListTargetsByRule",),
            ("events:PutTargets", "events:ListTargetsByRule"),
            ("events:RemoveTargets",),
        ),
        source=f"{TF}events/target.go",
        identity=Identity("events", "rule-on-default-event-bus", "@parent", parent="rule"),
    ),
    "aws:cloudwatch/logGroup:LogGroup": TypeMap(
        "resource",
        "AWS::Logs::LogGroup",
        renames={"name": "LogGroupName"},
        identity=Identity("logs", "log-group", "arn:{partition}:logs:{region}:{account}:log-group:{name}"),
    ),
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": TypeMap(
        "resource",
        "AWS::Logs::MetricFilter",
        renames={"name": "FilterName", "pattern": "FilterPattern", "metricTransformation": "MetricTransformations"},
        identity=Identity(
            "logs",
            "log-group",
            "@parent",
            parent="logGroupName",
            fallback="arn:{partition}:logs:{region}:{account}:log-group:{name}",
        ),
    ),
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": TypeMap("resource", "AWS::Logs::ResourcePolicy"),
    # -- network ---------------------------------------------------------------------------------------------------
    "aws:ec2/vpc:Vpc": TypeMap("resource", "AWS::EC2::VPC", identity=Identity("ec2", "vpc")),
    "aws:ec2/subnet:Subnet": TypeMap("resource", "AWS::EC2::Subnet", identity=Identity("ec2", "subnet")),
    "aws:ec2/internetGateway:InternetGateway": TypeMap(
        "resource", "AWS::EC2::InternetGateway", identity=Identity("ec2", "internet-gateway")
    ),
    "aws:ec2/natGateway:NatGateway": TypeMap(
        "resource", "AWS::EC2::NatGateway", identity=Identity("ec2", "natgateway")
    ),
    "aws:ec2/eip:Eip": TypeMap("resource", "AWS::EC2::EIP", identity=Identity("ec2", "elastic-ip")),
    "aws:ec2/routeTable:RouteTable": TypeMap(
        "resource", "AWS::EC2::RouteTable", identity=Identity("ec2", "route-table")
    ),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": TypeMap(
        "resource",
        "AWS::EC2::SubnetRouteTableAssociation",
        identity=Identity("ec2", "route-table", "@parent", parent="routeTableId"),
    ),
    "aws:ec2/securityGroup:SecurityGroup": TypeMap(
        "resource",
        "AWS::EC2::SecurityGroup",
        renames={"description": "GroupDescription", "name": "GroupName"},
        identity=Identity("ec2", "security-group"),
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": TypeMap(
        "none",
        reason="CloudFormation cannot adopt a VPC's default security group; Terraform finds it and strips its rules",
        actions=_ops(
            (
                "ec2:DescribeSecurityGroups",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ),
            ("ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"),
            (
                "ec2:AuthorizeSecurityGroupIngress",
                "ec2:AuthorizeSecurityGroupEgress",
                "ec2:RevokeSecurityGroupIngress",
                "ec2:RevokeSecurityGroupEgress",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ),
            (),
        ),
        source=f"{TF}ec2/vpc_default_security_group.go",
        taggable=True,
        identity=Identity("ec2", "security-group"),
    ),
    "aws:ec2/flowLog:FlowLog": TypeMap(
        "resource",
        "AWS::EC2::FlowLog",
        renames={"iamRoleArn": "DeliverLogsPermissionArn", "vpcId": "ResourceId"},
        identity=Identity("ec2", "vpc-flow-log"),
    ),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": TypeMap(
        "resource",
        "AWS::EC2::SecurityGroupIngress",
        renames={"securityGroupId": "GroupId", "referencedSecurityGroupId": "SourceSecurityGroupId"},
        identity=Identity("ec2", "security-group", "@parent", parent="securityGroupId"),
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": TypeMap(
        "resource",
        "AWS::EC2::SecurityGroupEgress",
        renames={"securityGroupId": "GroupId", "referencedSecurityGroupId": "DestinationSecurityGroupId"},
        identity=Identity("ec2", "security-group", "@parent", parent="securityGroupId"),
    ),
    # -- containers ------------------------------------------------------------------------------------------------
    "aws:ecs/cluster:Cluster": TypeMap(
        "resource", "AWS::ECS::Cluster", renames={"settings": "ClusterSettings"}, identity=Identity("ecs", "cluster")
    ),
    "aws:ecs/service:Service": TypeMap(
        "resource",
        "AWS::ECS::Service",
        renames={"name": "ServiceName"},
        identity=Identity("ecs", "service", "arn:{partition}:ecs:{region}:{account}:service/{cluster}/{name}"),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": TypeMap(
        "resource", "AWS::ECS::TaskDefinition", identity=Identity("ecs", "task-definition")
    ),
    # -- container images (web services built from source: webstack:web.<service>.build) ---------------------------
    "aws:ecr/repository:Repository": TypeMap(
        "resource",
        "AWS::ECR::Repository",
        renames={
            "name": "RepositoryName",
            "encryptionConfigurations": "EncryptionConfiguration",
            "forceDelete": "EmptyOnDelete",
        },
        identity=Identity("ecr", "repository"),
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": TypeMap(
        "property",
        "AWS::ECR::Repository",
        prop="LifecyclePolicy",
        renames={"policy": "LifecyclePolicyText"},
        # No update: both inputs force a new policy.
        actions=_ops(
            ("ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy"),
            ("ecr:GetLifecyclePolicy",),
            (),
            ("ecr:DeleteLifecyclePolicy",),
        ),
        source=f"{TF}ecr/lifecycle_policy.go",
        identity=Identity(
            "ecr",
            "repository",
            "@parent",
            parent="repository",
            fallback="arn:{partition}:ecr:{region}:{account}:repository/{name}",
        ),
    ),
    # -- cache -----------------------------------------------------------------------------------------------------
    "aws:elasticache/replicationGroup:ReplicationGroup": TypeMap(
        "resource",
        "AWS::ElastiCache::ReplicationGroup",
        renames={
            "description": "ReplicationGroupDescription",
            "parameterGroupName": "CacheParameterGroupName",
            "subnetGroupName": "CacheSubnetGroupName",
            "nodeType": "CacheNodeType",
            "securityGroupIds": "SecurityGroupIds",
        },
        identity=Identity("elasticache", "replicationgroup"),
    ),
    "aws:elasticache/parameterGroup:ParameterGroup": TypeMap(
        "resource",
        "AWS::ElastiCache::ParameterGroup",
        renames={"family": "CacheParameterGroupFamily"},
        identity=Identity(
            "elasticache", "parametergroup", "arn:{partition}:elasticache:{region}:{account}:parametergroup:{name}"
        ),
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": TypeMap(
        "resource",
        "AWS::ElastiCache::SubnetGroup",
        renames={"name": "CacheSubnetGroupName"},
        identity=Identity("elasticache", "subnetgroup"),
    ),
    # -- iam -------------------------------------------------------------------------------------------------------
    "aws:iam/role:Role": TypeMap(
        "resource", "AWS::IAM::Role", renames={"name": "RoleName"}, identity=Identity("iam", "role")
    ),
    "aws:iam/rolePolicy:RolePolicy": TypeMap(
        "resource",
        "AWS::IAM::RolePolicy",
        renames={"role": "RoleName", "name": "PolicyName", "policy": "PolicyDocument"},
        identity=Identity("iam", "role", "@parent", parent="role"),
    ),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": TypeMap(
        "property",
        "AWS::IAM::Role",
        prop="ManagedPolicyArns",
        root="policyArn",
        actions=_ops(
            ("iam:AttachRolePolicy", "iam:ListAttachedRolePolicies"),
            ("iam:ListAttachedRolePolicies",),
            (),
            ("iam:DetachRolePolicy",),
        ),
        source=f"{TF}iam/role_policy_attachment.go",
        identity=Identity("iam", "role", "@parent", parent="role"),
    ),
    # -- keys ------------------------------------------------------------------------------------------------------
    "aws:kms/key:Key": TypeMap(
        "resource",
        "AWS::KMS::Key",
        renames={"policy": "KeyPolicy", "deletionWindowInDays": "PendingWindowInDays"},
        identity=Identity("kms", "key"),
    ),
    "aws:kms/alias:Alias": TypeMap(
        "resource", "AWS::KMS::Alias", renames={"name": "AliasName"}, identity=Identity("kms", "alias")
    ),
    # -- load balancer and firewall --------------------------------------------------------------------------------
    "aws:lb/loadBalancer:LoadBalancer": TypeMap(
        "resource",
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        identity=Identity("elasticloadbalancing", "loadbalancer/app/"),
    ),
    "aws:lb/targetGroup:TargetGroup": TypeMap(
        "resource",
        "AWS::ElasticLoadBalancingV2::TargetGroup",
        identity=Identity("elasticloadbalancing", "targetgroup"),
    ),
    "aws:lb/listener:Listener": TypeMap(
        "resource",
        "AWS::ElasticLoadBalancingV2::Listener",
        identity=Identity("elasticloadbalancing", "listener/app/"),
    ),
    "aws:lb/listenerRule:ListenerRule": TypeMap(
        "resource",
        "AWS::ElasticLoadBalancingV2::ListenerRule",
        identity=Identity("elasticloadbalancing", "listener-rule/app/", "{listener_rule}", name="listenerArn"),
    ),
    "aws:wafv2/webAcl:WebAcl": TypeMap("resource", "AWS::WAFv2::WebACL", identity=Identity("wafv2", "webacl")),
    "aws:wafv2/webAclAssociation:WebAclAssociation": TypeMap(
        "resource",
        "AWS::WAFv2::WebACLAssociation",
        identity=Identity("wafv2", "webacl", "@parent", parent="webAclArn"),
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": TypeMap(
        "resource",
        "AWS::WAFv2::LoggingConfiguration",
        renames={"logDestinationConfigs": "LogDestinationConfigs"},
        identity=Identity("wafv2", "webacl", "@parent", parent="resourceArn"),
    ),
    # -- databases -------------------------------------------------------------------------------------------------
    "aws:route53/record:Record": TypeMap(
        "resource",
        "AWS::Route53::RecordSet",
        renames={"zoneId": "HostedZoneId", "ttl": "TTL", "records": "ResourceRecords"},
        identity=Identity(
            "route53", "hostedzone", "@parent", parent="zoneId", fallback="arn:{partition}:route53:::hostedzone/{name}"
        ),
    ),
    "aws:rds/instance:Instance": TypeMap(
        "resource",
        "AWS::RDS::DBInstance",
        renames={
            "identifier": "DBInstanceIdentifier",
            "instanceClass": "DBInstanceClass",
            "dbName": "DBName",
            "parameterGroupName": "DBParameterGroupName",
            "dbSubnetGroupName": "DBSubnetGroupName",
            "username": "MasterUsername",
            "vpcSecurityGroupIds": "VPCSecurityGroups",
            "replicateSourceDb": "SourceDBInstanceIdentifier",
            "backupWindow": "PreferredBackupWindow",
            "maintenanceWindow": "PreferredMaintenanceWindow",
            "enabledCloudwatchLogsExports": "EnableCloudwatchLogsExports",
            "iamDatabaseAuthenticationEnabled": "EnableIAMDatabaseAuthentication",
            "performanceInsightsEnabled": "EnablePerformanceInsights",
            "performanceInsightsKmsKeyId": "PerformanceInsightsKMSKeyId",
            "caCertIdentifier": "CACertificateIdentifier",
            "storageThroughput": "StorageThroughput",
        },
        identity=Identity("rds", "db", "arn:{partition}:rds:{region}:{account}:db:{name}", "identifier"),
    ),
    "aws:rds/optionGroup:OptionGroup": TypeMap(
        "resource",
        "AWS::RDS::OptionGroup",
        renames={"name": "OptionGroupName"},
        identity=Identity("rds", "og"),
    ),
    "aws:rds/parameterGroup:ParameterGroup": TypeMap(
        "resource",
        "AWS::RDS::DBParameterGroup",
        renames={"name": "DBParameterGroupName"},
        identity=Identity("rds", "pg"),
    ),
    "aws:rds/subnetGroup:SubnetGroup": TypeMap(
        "resource",
        "AWS::RDS::DBSubnetGroup",
        renames={"name": "DBSubnetGroupName", "description": "DBSubnetGroupDescription"},
        identity=Identity("rds", "subgrp"),
    ),
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": TypeMap(
        "property",
        "AWS::RDS::DBInstance",
        prop="AutomaticBackupReplicationKmsKeyId",
        root="kmsKeyId",
        actions=_ops(
            ("rds:StartDBInstanceAutomatedBackupsReplication", "rds:DescribeDBInstanceAutomatedBackups"),
            ("rds:DescribeDBInstanceAutomatedBackups",),
            (),
            (
                "rds:StopDBInstanceAutomatedBackupsReplication",
                "rds:DescribeDBInstanceAutomatedBackups",
                "rds:DescribeDBInstances",
            ),
        ),
        source=f"{TF}rds/instance_automated_backups_replication.go",
        identity=Identity("rds", "db", "@parent", parent="sourceDbInstanceArn"),
    ),
    # -- storage ---------------------------------------------------------------------------------------------------
    "aws:s3/bucket:Bucket": TypeMap(
        "resource",
        "AWS::S3::Bucket",
        renames={"bucket": "BucketName"},
        identity=Identity("s3", "bucket", "arn:{partition}:s3:::{name}", "bucket"),
    ),
    "aws:s3/bucketPolicy:BucketPolicy": TypeMap(
        "resource",
        "AWS::S3::BucketPolicy",
        renames={"policy": "PolicyDocument"},
        identity=Identity("s3", "bucket", "@parent", parent="bucket"),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _s3_part(
        "VersioningConfiguration",
        "versioningConfiguration",
        "s3:PutBucketVersioning",
        "s3:GetBucketVersioning",
        "s3:PutBucketVersioning",
        "bucket_versioning",
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _s3_part(
        "BucketEncryption",
        "",
        "s3:PutEncryptionConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
        "bucket_server_side_encryption_configuration",
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _s3_part(
        "PublicAccessBlockConfiguration",
        "",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "bucket_public_access_block",
    ),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _s3_part(
        "OwnershipControls",
        "",
        "s3:PutBucketOwnershipControls",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        "bucket_ownership_controls",
    ),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _s3_part(
        "LifecycleConfiguration",
        "",
        "s3:PutLifecycleConfiguration",
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        "bucket_lifecycle_configuration",
    ),
    "aws:s3/bucketLogging:BucketLogging": _s3_part(
        "LoggingConfiguration",
        "",
        "s3:PutBucketLogging",
        "s3:GetBucketLogging",
        "s3:PutBucketLogging",
        "bucket_logging",
    ),
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig": _s3_part(
        "ReplicationConfiguration",
        "",
        "s3:PutReplicationConfiguration",
        "s3:GetReplicationConfiguration",
        "s3:PutReplicationConfiguration",
        "bucket_replication_configuration",
    ),
    # -- persistent files (EFS) ------------------------------------------------------------------------------------
    "aws:efs/fileSystem:FileSystem": TypeMap(
        "resource", "AWS::EFS::FileSystem", identity=Identity("elasticfilesystem", "file-system")
    ),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": TypeMap(
        "property",
        "AWS::EFS::FileSystem",
        prop="FileSystemPolicy",
        root="policy",
        actions=_ops(
            ("elasticfilesystem:PutFileSystemPolicy", "elasticfilesystem:DescribeFileSystemPolicy"),
            ("elasticfilesystem:DescribeFileSystemPolicy",),
            ("elasticfilesystem:PutFileSystemPolicy", "elasticfilesystem:DescribeFileSystemPolicy"),
            ("elasticfilesystem:DeleteFileSystemPolicy",),
        ),
        source=f"{TF}efs/file_system_policy.go",
        identity=Identity("elasticfilesystem", "file-system", "@parent", parent="fileSystemId"),
    ),
    "aws:efs/backupPolicy:BackupPolicy": TypeMap(
        "property",
        "AWS::EFS::FileSystem",
        prop="BackupPolicy",
        root="backupPolicy",
        actions=_ops(
            ("elasticfilesystem:PutBackupPolicy", "elasticfilesystem:DescribeBackupPolicy"),
            ("elasticfilesystem:DescribeBackupPolicy",),
            ("elasticfilesystem:PutBackupPolicy", "elasticfilesystem:DescribeBackupPolicy"),
            ("elasticfilesystem:PutBackupPolicy",),
        ),
        source=f"{TF}efs/backup_policy.go",
        identity=Identity("elasticfilesystem", "file-system", "@parent", parent="fileSystemId"),
    ),
    "aws:efs/mountTarget:MountTarget": TypeMap(
        "resource",
        "AWS::EFS::MountTarget",
        identity=Identity("elasticfilesystem", "file-system", "@parent", parent="fileSystemId"),
    ),
    "aws:efs/accessPoint:AccessPoint": TypeMap(
        "resource", "AWS::EFS::AccessPoint", identity=Identity("elasticfilesystem", "access-point")
    ),
    # -- secrets and parameters ------------------------------------------------------------------------------------
    "aws:secretsmanager/secret:Secret": TypeMap(
        "resource", "AWS::SecretsManager::Secret", identity=Identity("secretsmanager", "Secret")
    ),
    "aws:secretsmanager/secretVersion:SecretVersion": TypeMap(
        "property",
        "AWS::SecretsManager::Secret",
        prop="SecretString",
        root="secretString",
        actions=_ops(
            ("secretsmanager:PutSecretValue", "secretsmanager:GetSecretValue"),
            ("secretsmanager:GetSecretValue",),
            ("secretsmanager:UpdateSecretVersionStage", "secretsmanager:ListSecretVersionIds"),
            ("secretsmanager:UpdateSecretVersionStage", "secretsmanager:GetSecretValue"),
        ),
        source=f"{TF}secretsmanager/secret_version.go",
        identity=Identity("secretsmanager", "Secret", "@parent", parent="secretId"),
    ),
    "aws:ssm/parameter:Parameter": TypeMap(
        "resource",
        "AWS::SSM::Parameter",
        renames={"insecureValue": "Value"},
        identity=Identity("ssm", "parameter"),
    ),
    # -- notifications ---------------------------------------------------------------------------------------------
    "aws:sns/topic:Topic": TypeMap(
        "resource", "AWS::SNS::Topic", renames={"name": "TopicName"}, identity=Identity("sns", "topic")
    ),
    "aws:sns/topicPolicy:TopicPolicy": TypeMap(
        "resource",
        "AWS::SNS::TopicPolicy",
        renames={"policy": "PolicyDocument", "arn": "Topics"},
        identity=Identity("sns", "topic", "@parent", parent="arn"),
    ),
    "aws:sns/topicSubscription:TopicSubscription": TypeMap(
        "resource",
        "AWS::SNS::Subscription",
        renames={"topic": "TopicArn"},
        identity=Identity("sns", "topic", "@parent", parent="topic"),
    ),
    # -- uptime ----------------------------------------------------------------------------------------------------
    "aws:synthetics/canary:Canary": TypeMap(
        "resource",
        "AWS::Synthetics::Canary",
        identity=Identity("synthetics", "canary", "arn:{partition}:synthetics:{region}:{account}:canary:{name}"),
    ),
}

#: The IAM action a service's Terraform resources call on read to list tags (``generate.go``'s ``-ListTagsOp``;
#: services whose tags come back with the describe call need nothing more).
TAG_READ_ACTIONS: dict[str, tuple[str, str]] = {
    "acm": ("acm:ListTagsForCertificate", f"{TF}acm/generate.go"),
    "aps": ("aps:ListTagsForResource", f"{TF}amp/generate.go"),
    "application-autoscaling": ("application-autoscaling:ListTagsForResource", f"{TF}appautoscaling/generate.go"),
    "backup": ("backup:ListTags", f"{TF}backup/generate.go"),
    "cloudwatch": ("cloudwatch:ListTagsForResource", f"{TF}cloudwatch/generate.go"),
    "events": ("events:ListTagsForResource", f"{TF}events/generate.go"),
    "logs": ("logs:ListTagsForResource", f"{TF}logs/generate.go"),
    "ec2": ("ec2:DescribeTags", f"{TF}ec2/generate.go"),
    "ecs": ("ecs:ListTagsForResource", f"{TF}ecs/generate.go"),
    "elasticache": ("elasticache:ListTagsForResource", f"{TF}elasticache/generate.go"),
    "elasticloadbalancing": ("elasticloadbalancing:DescribeTags", f"{TF}elbv2/generate.go"),
    "grafana": ("grafana:ListTagsForResource", f"{TF}grafana/generate.go"),
    "iam": ("iam:ListRoleTags", f"{TF}iam/role.go"),
    "kms": ("kms:ListResourceTags", f"{TF}kms/generate.go"),
    "rds": ("rds:ListTagsForResource", f"{TF}rds/generate.go"),
    "s3": ("s3:GetBucketTagging", f"{TF}s3/bucket.go"),
    "secretsmanager": ("secretsmanager:DescribeSecret", f"{TF}secretsmanager/secret.go"),
    "sns": ("sns:ListTagsForResource", f"{TF}sns/generate.go"),
    "ssm": ("ssm:ListTagsForResource", f"{TF}ssm/generate.go"),
    "synthetics": ("synthetics:ListTagsForResource", f"{TF}synthetics/generate.go"),
    "wafv2": ("wafv2:ListTagsForResource", f"{TF}wafv2/generate.go"),
}
