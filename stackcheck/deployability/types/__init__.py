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

from stackcheck.deployability.types import compute, databases, network, observability, security, storage
from stackcheck.deployability.types.model import TF, TypeMap

#: Every type the program registers, from the tables of each service family.
TYPES: dict[str, TypeMap] = {
    **network.TYPES,
    **compute.TYPES,
    **databases.TYPES,
    **storage.TYPES,
    **security.TYPES,
    **observability.TYPES,
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
