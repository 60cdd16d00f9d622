"""The type table (:mod:`stackcheck.deployability.types`) of the databases and the cache (RDS, ElastiCache)."""

from __future__ import annotations

from stackcheck.deployability.types.model import TF, Identity, TypeMap, ops

TYPES: dict[str, TypeMap] = {
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
    # -- databases -------------------------------------------------------------------------------------------------
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
        actions=ops(
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
}
