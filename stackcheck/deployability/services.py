"""What AWS services need beyond a resource's own API calls, each fact with its published source.

- ``FEATURES``: service features that run as a service-linked role (which the deploy role must be allowed to create,
  ``iam:CreateServiceLinkedRole`` with ``iam:AWSServiceName``), or that need an account opt-in or a prerequisite
  outside the stack. The check asks the deploy role for each role, and reports each prerequisite in the section (so
  that docs/deploying.md and docs/stackcheck.md can list them), unless a resource of the stack provides it
  (``satisfied_by``: S3's opt-in to AWS Backup, once the stack manages the region's settings). What a feature
  requires of the stack itself (the roles services run as, names and settings) is ``prerequisites.py``.
- ``PREVIEW_WRITES``: the only non-read actions the preview role may hold, and where.
- ``SYNTHETICS_DEPRECATED``: Synthetics runtimes AWS has deprecated (a canary cannot be created on one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stackcheck.deployability.policy import arn_matches
from stackcheck.engine.resources import RecordedResource

if TYPE_CHECKING:
    from stackcheck.deployability.arns import StackView

#: Source abbreviations.
SLR_DOCS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-services-that-work-with-iam.html"


@dataclass(frozen=True)
class Feature:
    name: str
    applies: Callable[[RecordedResource], bool]
    source: str
    service_linked_roles: tuple[tuple[str, str], ...] = ()
    """(service principal, role name) the feature runs as."""
    prerequisite: str = ""
    """Something the account must have that no resource of the stack creates."""
    satisfied_by: Callable[[StackView, RecordedResource], bool] | None = None
    """Whether a resource of the stack provides the prerequisite after all."""

    def needs_prerequisite(self, view: StackView, resource: RecordedResource) -> bool:
        return bool(self.prerequisite) and not (self.satisfied_by is not None and self.satisfied_by(view, resource))


def _always(_: RecordedResource) -> bool:
    return True


def _inputs(key: str, test: Callable[[Any], bool]) -> Callable[[RecordedResource], bool]:
    return lambda resource: test(resource.inputs.get(key))


#: pulumi-aws type -> the features a resource of it uses.
FEATURES: dict[str, tuple[Feature, ...]] = {
    "aws:rds/instance:Instance": (
        Feature(
            "RDS manages instances through its service-linked role",
            _always,
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.IAM.ServiceLinkedRoles.html",
            (("rds.amazonaws.com", "AWSServiceRoleForRDS"),),
        ),
        Feature(
            "RDS Enhanced Monitoring publishes OS metrics as a role trusting monitoring.rds.amazonaws.com",
            _inputs("monitoringInterval", lambda v: float(v or 0) > 0),
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_Monitoring.OS.Enabling.html",
        ),
    ),
    "aws:ecs/cluster:Cluster": (
        Feature(
            "ECS manages networking of awsvpc tasks and load balancer registration through its service-linked role",
            _always,
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html",
            (("ecs.amazonaws.com", "AWSServiceRoleForECS"),),
        ),
        Feature(
            "Container Insights is the cluster's own setting, so the account's containerInsights default does not "
            "matter (no account setting: Fargate tasks need no awsvpcTrunking either)",
            _inputs("settings", lambda v: any(s.get("name") == "containerInsights" for s in v or [])),
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html",
        ),
    ),
    "aws:ecs/service:Service": (
        Feature(
            "ECS manages networking of awsvpc tasks and load balancer registration through its service-linked role",
            _always,
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html",
            (("ecs.amazonaws.com", "AWSServiceRoleForECS"),),
        ),
    ),
    "aws:appautoscaling/target:Target": (
        Feature(
            "Application Auto Scaling of an ECS service runs as its ECS service-linked role",
            _inputs("serviceNamespace", lambda v: v == "ecs"),
            "https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html",
            (("ecs.application-autoscaling.amazonaws.com", "AWSServiceRoleForApplicationAutoScaling_ECSService"),),
        ),
    ),
    "aws:lb/loadBalancer:LoadBalancer": (
        Feature(
            "Elastic Load Balancing manages its network interfaces through its service-linked role",
            _always,
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-service-linked-roles.html",
            (("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing"),),
        ),
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        Feature(
            "ElastiCache manages its network interfaces through its service-linked role",
            _always,
            "https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/using-service-linked-roles.html",
            (("elasticache.amazonaws.com", "AWSServiceRoleForElastiCache"),),
        ),
    ),
    "aws:backup/plan:Plan": (
        Feature(
            "AWS Backup runs backup jobs (and their cross-region copies) as its service-linked role",
            _always,
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/using-service-linked-roles-AWSServiceRoleForBackup.html",
            (("backup.amazonaws.com", "AWSServiceRoleForBackup"),),
        ),
    ),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": (
        Feature(
            "AWS Backup restore testing runs as its own service-linked role",
            _always,
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/using-service-linked-roles-AWSServiceRoleForBackupRestoreTesting.html",
            (("restore-testing.backup.amazonaws.com", "AWSServiceRoleForBackupRestoreTesting"),),
        ),
    ),
    "aws:backup/selection:Selection": (
        Feature(
            "AWS Backup backs up S3 only where the account opted S3 in (region settings)",
            _inputs("resources", lambda v: any(":s3:::" in str(arn) for arn in v or [])),
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/service-opt-in.html",
            prerequisite="S3 opted in to AWS Backup in the region (aws.backup.RegionSettings, or the console's "
            "Settings > Service opt-in)",
            satisfied_by=lambda view, selection: _opted_in(view, selection, "S3"),
        ),
        Feature(
            "AWS Backup backs up S3 buckets with versioning on, as a role carrying "
            "AWSBackupServiceRolePolicyForS3Backup",
            _inputs("resources", lambda v: any(":s3:::" in str(arn) for arn in v or [])),
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/s3-backups.html",
        ),
    ),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": (
        Feature(
            "restore testing restores as a role carrying AWSBackupServiceRolePolicyForRestores",
            _always,
            "https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html",
        ),
    ),
    "aws:ecs/taskDefinition:TaskDefinition": (
        Feature(
            "ECS writes task logs and reads task secrets as the task execution role",
            _inputs("executionRoleArn", bool),
            "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html",
        ),
    ),
    "aws:synthetics/canary:Canary": (
        Feature(
            "CloudWatch Synthetics runs a canary as a Lambda function under its execution role",
            _always,
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Canaries_CanaryPermissions.html",
        ),
    ),
    "aws:ec2/flowLog:FlowLog": (
        Feature(
            "VPC flow logs publish to CloudWatch Logs as the flow log's role",
            _inputs("iamRoleArn", bool),
            "https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html",
        ),
    ),
    "aws:amp/workspace:Workspace": (
        Feature(
            "Managed Prometheus delivers workspace logs as vended logs (a log resource policy for "
            "delivery.logs.amazonaws.com)",
            _inputs("loggingConfiguration", bool),
            "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html",
        ),
    ),
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": (
        Feature(
            "AWS WAF delivers logs to CloudWatch Logs through its logging service-linked role",
            _always,
            "https://docs.aws.amazon.com/waf/latest/developerguide/using-service-linked-roles.html",
            (("wafv2.amazonaws.com", "AWSServiceRoleForWAFV2Logging"),),
        ),
        Feature(
            "AWS WAF logs only into log groups named aws-waf-logs-*",
            _always,
            "https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html",
        ),
    ),
    "aws:grafana/workspace:Workspace": (
        Feature(
            "Amazon Managed Grafana's AWS_SSO sign-in needs IAM Identity Center enabled in the account",
            _inputs("authenticationProviders", lambda v: "AWS_SSO" in (v or [])),
            "https://docs.aws.amazon.com/grafana/latest/userguide/authentication-in-AMG-SSO.html",
            prerequisite="IAM Identity Center enabled (organization or account instance) in the workspace's region",
        ),
    ),
}


def _opted_in(view: StackView, resource: RecordedResource, resource_type: str) -> bool:
    """Whether the stack opts ``resource_type`` in to AWS Backup in the resource's region (aws.backup.RegionSettings,
    ``resourceTypeOptInPreference``)."""
    region = view.region_of(resource)
    return any(
        other.type == "aws:backup/regionSettings:RegionSettings"
        and view.region_of(other) == region
        and (other.inputs.get("resourceTypeOptInPreference") or {}).get(resource_type) in (True, "true")
        for other in view.resources
    )


#: Services a resource's inputs make its handlers call, beyond its own and those of the resources it refers to.
USES: dict[str, tuple[tuple[str, Callable[[RecordedResource], bool], str], ...]] = {
    "aws:rds/instance:Instance": (
        (
            "secretsmanager",
            _inputs("manageMasterUserPassword", bool),
            "RDS keeps a managed master password in Secrets Manager (RDS user guide, Password management with "
            "Amazon RDS and AWS Secrets Manager)",
        ),
        ("ec2", _always, "an instance lives in a VPC's subnets and security groups"),
        ("iam", _always, "RDS looks up its service-linked and monitoring roles"),
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        ("ec2", _always, "a replication group lives in a VPC's subnets and security groups"),
    ),
    "aws:elasticache/subnetGroup:SubnetGroup": (("ec2", _always, "a subnet group names a VPC's subnets"),),
    "aws:rds/subnetGroup:SubnetGroup": (("ec2", _always, "a subnet group names a VPC's subnets"),),
    "aws:lb/loadBalancer:LoadBalancer": (("ec2", _always, "a load balancer lives in a VPC's subnets"),),
    "aws:ecs/service:Service": (("ec2", _always, "awsvpc tasks live in a VPC's subnets"),),
    "aws:synthetics/canary:Canary": (
        ("lambda", _always, "a canary is a Lambda function and layer (CloudWatch user guide, Synthetics)"),
        ("s3", _always, "a canary writes its artifacts to S3"),
    ),
    "aws:backup/vault:Vault": (("backup-storage", _always, "creating a vault mounts its backup storage"),),
}


#: Handler actions for features no resource of the program configures (the handler lists the calls of every
#: property of its type), by CloudFormation type: (action patterns, the input that would need them).
UNUSED: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "AWS::S3::Bucket": (
        (
            (
                "s3:*AnalyticsConfiguration",
                "s3:*InventoryConfiguration",
                "s3:*MetricsConfiguration",
                "s3:*IntelligentTieringConfiguration",
                "s3:*BucketMetadata*",
                "s3:*BucketWebsite",
                "s3:*BucketCors",
                "s3:PutAccelerateConfiguration",
                "s3:PutObjectLockConfiguration",
                "s3:PutBucketReplication",
                "s3:DeleteBucketReplication",
                "s3:DeleteBucketEncryption",
                "s3:DeleteBucketLifecycle",
                "s3:PutObjectAcl",
                "s3:DeleteObject",
                "s3:ListTagsForResource",
                "s3:TagResource",
                "s3:UntagResource",
            ),
            "the bucket's parts are separate pulumi resources (their own permissions) or not configured; pulumi-aws "
            "tags buckets with Put/GetBucketTagging (terraform-provider-aws internal/service/s3/bucket.go)",
        ),
    ),
    "AWS::EFS::FileSystem": (
        (
            ("elasticfilesystem:*ReplicationConfiguration", "elasticfilesystem:PutLifecycleConfiguration"),
            "no replication and no lifecycle policies are configured (components/aws/files.py); terraform-provider-aws "
            "calls PutLifecycleConfiguration only for lifecycle_policy blocks (internal/service/efs/file_system.go)",
        ),
        (
            ("elasticfilesystem:DeleteTags",),
            "the old tagging API: terraform-provider-aws lists a file system's tags with DescribeTags and updates "
            "them with TagResource/UntagResource (internal/service/efs/generate.go)",
        ),
    ),
    "AWS::RDS::DBInstance": (
        (("rds:RestoreDBInstance*",), "no snapshotIdentifier or restoreToPointInTime"),
        (("rds:AddRoleToDBInstance", "rds:RemoveRoleFromDBInstance"), "no associated IAM roles"),
    ),
    "AWS::IAM::Role": (
        (("iam:*RolePermissionsBoundary",), "no permissionsBoundary"),
        (("iam:AttachRolePolicy", "iam:DetachRolePolicy"), "managed policies attach as RolePolicyAttachments"),
    ),
    "AWS::KMS::Key": ((("kms:DisableKey",), "isEnabled is never false"),),
    "AWS::Logs::LogGroup": (
        (
            (
                "logs:*DataProtectionPolicy",
                "logs:*IndexPolicy",
                "logs:PutBearerTokenAuthentication",
                "logs:PutLogGroupDeletionProtection",
            ),
            "no data protection, field index, bearer-token or deletion-protection setting",
        ),
    ),
    "AWS::EC2::EIP": ((("ec2:AcceptAddressTransfer",), "no address transfer"),),
    "AWS::EC2::VPC": (
        (("ec2:CreateVpcEncryptionControl", "ec2:ModifyVpcTenancy"), "no encryption control, default tenancy"),
    ),
    "AWS::ECS::Cluster": (
        (("ecs:PutAccountSetting*", "ecs:PutClusterCapacityProviders"), "no capacity providers or account settings"),
    ),
    "AWS::ECS::Service": (
        (("ecs:StopServiceDeployment",), "CloudFormation stops a deployment on its own rollback; pulumi does not"),
    ),
    "AWS::ApplicationAutoScaling::ScalableTarget": ((("application-autoscaling:*ScheduledAction",), "no schedule"),),
    "AWS::ElasticLoadBalancingV2::TargetGroup": (
        (("elasticloadbalancing:*RegisterTargets",), "no targets: ECS registers its tasks (as its own role)"),
    ),
    "AWS::WAFv2::WebACLAssociation": ((("wafv2:PutPermissionPolicy",), "the web ACL is not shared"),),
    "AWS::SecretsManager::Secret": (
        (("secretsmanager:ReplicateSecretToRegions", "secretsmanager:RemoveRegionsFromReplication"), "no replicas"),
    ),
    "AWS::SNS::Topic": ((("sns:PutDataProtectionPolicy",), "no data protection policy"),),
    "AWS::Synthetics::Canary": (
        (("synthetics:StartCanaryDryRun",), "CloudFormation's dry-run option; pulumi does not call it"),
        (
            ("s3:CreateBucket", "s3:PutBucketEncryption", "s3:PutEncryptionConfiguration"),
            "artifactS3Location names the stack's bucket, which the canary does not create",
        ),
        (("s3:GetObject", "s3:GetObjectVersion"), "the code is uploaded inline (zipFile), not read from S3"),
    ),
}


def unused(cfn_type: str, action: str) -> bool:
    from stackcheck.deployability.policy import action_matches

    return any(action_matches(action, pattern) for patterns, _ in UNUSED.get(cfn_type, ()) for pattern in patterns)


def uses(resource: RecordedResource, entry: Any = None) -> set[str]:
    return {service for service, applies, _ in USES.get(resource.type, ()) if applies(resource)}


def features_of(resource: RecordedResource, entry: Any = None) -> list[Feature]:
    return [feature for feature in FEATURES.get(resource.type, ()) if feature.applies(resource)]


# -- the preview role --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WriteException:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str


#: Non-read actions the preview role holds on purpose. A statement granting one must name only these resources.
PREVIEW_WRITES: tuple[WriteException, ...] = (
    WriteException(
        ("s3:putobject", "s3:deleteobject"),
        ("arn:aws:s3:::*/.pulumi/locks/*",),
        "Pulumi CLIs before pulumi/pulumi#22385 lock the stack during `refresh --preview-only`",
    ),
    WriteException(
        ("kms:decrypt", "kms:generatedatakey"),
        ("arn:aws:kms:*:*:key/*",),
        "reading the state bucket (SSE-KMS) and prod's secrets provider key; KMS files Decrypt under Write",
    ),
)


def preview_write_allowed(action: str, resources: Iterable[str]) -> bool:
    listed = list(resources)
    for exception in PREVIEW_WRITES:
        inside = all(any(arn_matches(r, allowed) for allowed in exception.resources) for r in listed)
        if action.lower() in exception.actions and listed and inside:
            return True
    return False


# -- Synthetics runtimes -----------------------------------------------------------------------------------------------
SYNTHETICS_RUNTIME_POLICY = (
    "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Synthetics_Runtime_Support_Policy.html"
)
#: Runtime -> deprecation date, from AWS's table "CloudWatch Synthetics runtime deprecation dates" (the page above).
#: Neither cfn-lint nor botocore lists Synthetics runtimes (botocore's model only names the DescribeRuntimeVersions
#: call), so this table is AWS's page, re-read when a runtime is added.
SYNTHETICS_DEPRECATED: Mapping[str, str] = {
    "syn-python-selenium-5.1": "2026-02-03",
    "syn-python-selenium-5.0": "2026-02-03",
    "syn-python-selenium-4.1": "2026-02-03",
    "syn-python-selenium-4.0": "2026-02-03",
    "syn-nodejs-puppeteer-7.0": "2026-01-22",
    "syn-nodejs-puppeteer-6.2": "2026-01-22",
    "syn-nodejs-puppeteer-5.2": "2026-01-22",
    "syn-python-selenium-3.0": "2026-01-22",
    "syn-python-selenium-2.1": "2026-01-22",
    "syn-nodejs-puppeteer-6.1": "2024-03-08",
    "syn-nodejs-puppeteer-6.0": "2024-03-08",
    "syn-nodejs-puppeteer-5.1": "2024-03-08",
    "syn-nodejs-puppeteer-5.0": "2024-03-08",
    "syn-nodejs-puppeteer-4.0": "2024-03-08",
    "syn-nodejs-puppeteer-3.9": "2024-01-08",
    "syn-nodejs-puppeteer-3.8": "2024-01-08",
    "syn-python-selenium-2.0": "2024-03-08",
    "syn-python-selenium-1.3": "2024-03-08",
}
