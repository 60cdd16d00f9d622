"""The type table (:mod:`stackcheck.deployability.types`) of certificates, the network, DNS records, the load balancer
and its firewall (ACM, EC2 and VPC, Route 53, Elastic Load Balancing, WAF)."""

from __future__ import annotations

from stackcheck.deployability.types.model import TF, Identity, TypeMap, ops

TYPES: dict[str, TypeMap] = {
    # -- certificates ----------------------------------------------------------------------------------------------
    "aws:acm/certificate:Certificate": TypeMap(
        "resource", "AWS::CertificateManager::Certificate", identity=Identity("acm", "certificate")
    ),
    "aws:acm/certificateValidation:CertificateValidation": TypeMap(
        "none",
        reason="CloudFormation validates a certificate inside AWS::CertificateManager::Certificate; Terraform's "
        "validation resource only waits for the certificate to be issued",
        actions=ops(("acm:DescribeCertificate",), ("acm:DescribeCertificate",), (), ()),
        source=f"{TF}acm/certificate_validation.go",
        identity=Identity("acm", "certificate", "@parent", parent="certificateArn"),
    ),
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
        actions=ops(
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
    # -- dns -------------------------------------------------------------------------------------------------------
    "aws:route53/record:Record": TypeMap(
        "resource",
        "AWS::Route53::RecordSet",
        renames={"zoneId": "HostedZoneId", "ttl": "TTL", "records": "ResourceRecords"},
        identity=Identity(
            "route53", "hostedzone", "@parent", parent="zoneId", fallback="arn:{partition}:route53:::hostedzone/{name}"
        ),
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
}
