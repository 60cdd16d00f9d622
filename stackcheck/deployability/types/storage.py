"""The type table (:mod:`stackcheck.deployability.types`) of storage and its backups: S3 buckets and their parts, EFS
file systems, AWS Backup."""

from __future__ import annotations

from stackcheck.deployability.types.model import TF, Identity, TypeMap, ops


def _s3_part(prop: str, root: str, put: str, get: str, delete: str, file: str) -> TypeMap:
    return TypeMap(
        "property",
        "AWS::S3::Bucket",
        prop=prop,
        root=root,
        actions=ops((put, get), (get,), (put, get), (delete,)),
        source=f"{TF}s3/{file}.go",
        identity=Identity("s3", "bucket", "@parent", parent="bucket"),
    )


TYPES: dict[str, TypeMap] = {
    # -- backup ----------------------------------------------------------------------------------------------------
    "aws:backup/regionSettings:RegionSettings": TypeMap(
        "none",
        reason="CloudFormation has no resource for AWS Backup's region settings (the service opt-in is a setting of "
        "the account's region, not a resource); Terraform calls UpdateRegionSettings and reads them back",
        actions=ops(
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
        actions=ops(
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
        actions=ops(
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
        actions=ops(
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
        actions=ops(
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
}
