"""Why a resource type has no price of its own: free, negligible, or priced through another resource."""

from __future__ import annotations

DOCKER_ASSUMPTION = "runs on your own Docker host; the host's cost is not estimated"

#: Why a resource type has no price of its own. A type not listed here and not priced is reported as "not in the
#: price table" (the tests insist that every type the stacks register is one or the other).
NOT_PRICED: dict[str, str] = {
    "aws:acm/certificate:Certificate": "free: public ACM certificates cost nothing",
    "aws:acm/certificateValidation:CertificateValidation": "free: waits for validation, creates nothing billable",
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": "negligible: rule and alert evaluation is billed as "
    "query samples processed (USD 0.10 per billion)",
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": "negligible: rule and alert evaluation is billed as query "
    "samples processed (USD 0.10 per billion)",
    "aws:appautoscaling/policy:Policy": "free",
    "aws:appautoscaling/target:Target": "free",
    "aws:backup/regionSettings:RegionSettings": "free: the region's AWS Backup opt-in, an account setting",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "priced through its restore testing selections",
    "aws:backup/selection:Selection": "priced through the backup plan's lines (what it selects)",
    "aws:backup/vault:Vault": "free: the recovery points in it are priced under the backup plan",
    "aws:backup/vaultNotifications:VaultNotifications": "negligible: SNS notifications",
    "aws:backup/vaultPolicy:VaultPolicy": "free",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "free",
    "aws:cloudwatch/eventRule:EventRule": "free: AWS service events delivered by EventBridge cost nothing",
    "aws:cloudwatch/eventTarget:EventTarget": "free",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "free: metric filters cost nothing (their metrics are "
    "covered by the alarms)",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "free",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "free",
    "aws:ec2/flowLog:FlowLog": "priced as the ingestion and storage of the log group it writes to",
    "aws:ec2/internetGateway:InternetGateway": "free (data transfer out is not estimated)",
    "aws:ec2/routeTable:RouteTable": "free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "free",
    "aws:ec2/securityGroup:SecurityGroup": "free",
    "aws:ec2/subnet:Subnet": "free",
    "aws:ec2/vpc:Vpc": "free",
    "aws:ecs/cluster:Cluster": "free; Container Insights metrics are billed by CloudWatch per observation and "
    "depend on the task count: not estimated",
    "aws:ecs/taskDefinition:TaskDefinition": "priced through the services that run it",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "free: a repository setting (ECR bills image storage and data "
    "transfer only, https://aws.amazon.com/ecr/pricing/; its expirations bound the repository's storage line)",
    "aws:elasticache/parameterGroup:ParameterGroup": "free",
    "aws:elasticache/subnetGroup:SubnetGroup": "free",
    "aws:iam/role:Role": "free",
    "aws:iam/rolePolicy:RolePolicy": "free",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "free",
    "aws:kms/alias:Alias": "free",
    "aws:lambda/function:Function": "negligible: a few invocations a month, inside Lambda's free requests",
    "aws:lb/listener:Listener": "free: listeners' traffic is counted in the load balancer's LCUs",
    "aws:lb/listenerRule:ListenerRule": "free: rule evaluations are counted in the load balancer's LCUs",
    "aws:lb/targetGroup:TargetGroup": "free",
    "aws:rds/parameterGroup:ParameterGroup": "free",
    "aws:rds/subnetGroup:SubnetGroup": "free",
    "aws:route53/record:Record": "free: records of a hosted zone the stack does not create (the zone and its "
    "queries are billed to the zone's owner: USD 0.50 a month and USD 0.40 per million queries)",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "free: a bucket setting (its expirations "
    "shape the bucket's storage line)",
    "aws:s3/bucketLogging:BucketLogging": "free: a bucket setting (the logs are priced in the log bucket)",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "free: a bucket setting",
    "aws:s3/bucketPolicy:BucketPolicy": "free: a bucket setting",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "free: a bucket setting",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": "free: a bucket "
    "setting (KMS requests are priced with the keys)",
    "aws:s3/bucketVersioning:BucketVersioning": "free: a bucket setting (noncurrent versions are not estimated)",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration": "free: a bucket setting",
    "aws:secretsmanager/secretVersion:SecretVersion": "free: a version of a secret priced on its own",
    "aws:sns/topic:Topic": "negligible: the first million publishes and 1,000 email deliveries a month are free, "
    "and alerts are far fewer",
    "aws:sns/topicPolicy:TopicPolicy": "free",
    "aws:sns/topicSubscription:TopicSubscription": "negligible: email deliveries (1,000 a month free)",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "free",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "free",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "priced as the ingestion and storage of the "
    "log group it writes to",
    "cloudflare:index/dnsRecord:DnsRecord": "included in the zone's Cloudflare plan",
    "cloudflare:index/ruleset:Ruleset": "included in the zone's Cloudflare plan",
    "cloudflare:index/zoneSetting:ZoneSetting": "included in the zone's Cloudflare plan",
    "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings": "included in the zone's "
    "Cloudflare plan",
    "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared": "included: Cloudflare Tunnel is part of "
    "every plan",
    "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig": "included: a tunnel's "
    "configuration",
    "cloudflare:index/certificatePack:CertificatePack": "an Advanced Certificate Manager subscription for the zone "
    "(a paid add-on on every plan), not estimated",
    "command:local:Command": "runs on the machine that runs Pulumi: no cloud cost",
}
#: Reasons by type prefix, for whole providers that cost nothing in the cloud.
NOT_PRICED_PREFIXES: dict[str, str] = {
    "pulumi:providers:": "a provider: no cloud resource",
    "random:": "generated by Pulumi: no cloud resource",
    "tls:": "generated by Pulumi: no cloud resource",
    "docker:": DOCKER_ASSUMPTION,
}
UNKNOWN_REASON = "not in the price table"


def not_priced_reason(type_: str) -> str:
    if type_ in NOT_PRICED:
        return NOT_PRICED[type_]
    for prefix, reason in NOT_PRICED_PREFIXES.items():
        if type_.startswith(prefix):
            return reason
    return UNKNOWN_REASON
