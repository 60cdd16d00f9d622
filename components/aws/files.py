"""Persistent storage on aws: an encrypted EFS file system for one service (``webstack:app.<service>.volume``).

Creates:

- the file system: encrypted at rest with the stack's customer ``data`` key, General Purpose, elastic throughput,
  ``protect`` in production; its automatic EFS backups off, because the stack's AWS Backup plan covers it (daily and
  weekly, copied to the DR region: :class:`components.aws.backups.Backups` selects it);
- a security group of its own that admits NFS (TCP 2049) from the app security group only, and an egress rule on the
  app security group to it: nothing else reaches the mount targets;
- one mount target per app subnet (one per availability zone, as EFS allows);
- an access point that pins every client to the service's uid:gid and to ``/<service>`` (created 0750, owned by
  that user), so the container never needs root to own its files;
- a file system policy that refuses any client not using TLS and any mount not through the access point, and lets
  only the service's task role mount and write.

The service mounts it with TLS and IAM authorization (:class:`ServiceVolume`, used by the web tier).
Sources: Amazon EFS user guide, "Creating mount targets" (one per AZ), "Working with access points", "Using IAM to
control file system data access" (``elasticfilesystem:ClientMount``/``ClientWrite``,
``elasticfilesystem:AccessPointArn``) and "Encrypting data in transit" (``aws:SecureTransport``); ECS developer
guide, "Amazon EFS volumes".
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from .account import Account

FILES_TYPE = "webstack:aws:PersistentFiles"
NFS_PORT = 2049


@dataclass(frozen=True)
class ServiceVolume:
    """What a service needs to mount its file system."""

    file_system_id: pulumi.Input[str]
    """The EFS file system."""
    file_system_arn: pulumi.Input[str]
    """Its ARN (the task role may mount it)."""
    access_point_id: pulumi.Input[str]
    """The access point every mount goes through."""
    access_point_arn: pulumi.Input[str]
    """Its ARN (the task role may mount through it only)."""
    path: str
    """Mount point in the container."""
    single_writer: bool
    """One task at a time (deployments stop the old task first)."""


@dataclass(frozen=True)
class PersistentFilesArgs:
    """Inputs of :class:`PersistentFiles`."""

    account: Account
    """The account and region (ARNs in the file system's policy)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    service: str
    """The service whose files these are (``frontend`` or ``backend``)."""
    vpc_id: pulumi.Input[str]
    """The VPC of the mount targets' security group."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The app subnets: one mount target in each."""
    app_security_group_id: pulumi.Input[str]
    """The application's security group: the only one admitted to NFS."""
    data_key_arn: pulumi.Input[str]
    """Customer KMS key the file system is encrypted with."""
    user: str
    """The service's uid:gid (numeric), which owns the files."""
    path: str
    """Where the service's container mounts the files."""
    single_writer: bool = True
    """One task writes at a time (the service deploys by stopping the old task first)."""
    protect: bool = False
    """Protect the file system from deletion by Pulumi (on in production)."""


class PersistentFiles(pulumi.ComponentResource):
    """One service's encrypted, backed-up file system."""

    file_system: aws.efs.FileSystem
    access_point: aws.efs.AccessPoint
    security_group: aws.ec2.SecurityGroup
    mount_targets: list[aws.efs.MountTarget]

    def __init__(self, name: str, args: PersistentFilesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(FILES_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        uid, _, gid = args.user.partition(":")
        gid = gid or uid
        self.file_system = aws.efs.FileSystem(
            f"{name}-fs",
            encrypted=True,
            kms_key_id=args.data_key_arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            tags={"Name": f"{args.name_prefix}-{args.service}-files", "webstack:service": args.service},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # The stack's backup plan takes the backups (and copies them to the DR region): EFS's own daily backup
        # to its default vault would be a second, unencrypted-by-us copy.
        aws.efs.BackupPolicy(
            f"{name}-automatic-backups",
            file_system_id=self.file_system.id,
            backup_policy=aws.efs.BackupPolicyBackupPolicyArgs(status="DISABLED"),
            opts=child,
        )
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            description=f"{args.name_prefix} {args.service} files: NFS from the app tier only",
            vpc_id=args.vpc_id,
            revoke_rules_on_delete=True,
            tags={"Name": f"{args.name_prefix}-{args.service}-files", "webstack:role": "files"},
            opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-in-nfs-from-app",
            security_group_id=self.security_group.id,
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            referenced_security_group_id=args.app_security_group_id,
            description="NFS from the app tier",
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-app-out-nfs",
            security_group_id=args.app_security_group_id,
            ip_protocol="tcp",
            from_port=NFS_PORT,
            to_port=NFS_PORT,
            referenced_security_group_id=self.security_group.id,
            description=f"to the {args.service}'s files",
            opts=child,
        )
        self.mount_targets = [
            aws.efs.MountTarget(
                f"{name}-mount-{index}",
                file_system_id=self.file_system.id,
                subnet_id=subnet_id,
                security_groups=[self.security_group.id],
                opts=child,
            )
            for index, subnet_id in enumerate(args.subnet_ids)
        ]
        self.access_point = aws.efs.AccessPoint(
            f"{name}-access-point",
            file_system_id=self.file_system.id,
            posix_user=aws.efs.AccessPointPosixUserArgs(uid=int(uid), gid=int(gid)),
            root_directory=aws.efs.AccessPointRootDirectoryArgs(
                path=f"/{args.service}",
                creation_info=aws.efs.AccessPointRootDirectoryCreationInfoArgs(
                    owner_uid=int(uid), owner_gid=int(gid), permissions="0750"
                ),
            ),
            tags={"Name": f"{args.name_prefix}-{args.service}"},
            opts=child,
        )
        aws.efs.FileSystemPolicy(
            f"{name}-policy",
            file_system_id=self.file_system.id,
            bypass_policy_lockout_safety_check=False,
            policy=pulumi.Output.all(self.file_system.arn, self.access_point.arn).apply(
                lambda arns: json.dumps(file_system_policy(arns[0], arns[1], args.account), sort_keys=True)
            ),
            opts=child,
        )
        self.volume = ServiceVolume(
            file_system_id=self.file_system.id,
            file_system_arn=self.file_system.arn,
            access_point_id=self.access_point.id,
            access_point_arn=self.access_point.arn,
            path=args.path,
            single_writer=args.single_writer,
        )
        self.register_outputs({"fileSystemId": self.file_system.id, "accessPointId": self.access_point.id})


def file_system_policy(file_system_arn: str, access_point_arn: str, account: Account) -> dict[str, Any]:
    """TLS only, through the access point only; principals of the account whose IAM policies allow it (the
    service's task role) may mount and write."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyWithoutTls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "*",
                "Resource": file_system_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "MountThroughTheAccessPointOnly",
                "Effect": "Allow",
                "Principal": {"AWS": account.root_principal},
                "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                "Resource": file_system_arn,
                "Condition": {
                    "StringEquals": {"elasticfilesystem:AccessPointArn": access_point_arn},
                    "Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"},
                },
            },
        ],
    }


def mount_statements(volume_values: dict[str, str]) -> list[dict[str, Any]]:
    """The task role's right to mount and write its file system through its access point."""
    return [
        {
            "Sid": "MountItsFileSystem",
            "Effect": "Allow",
            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
            "Resource": volume_values["file_system_arn"],
            "Condition": {"StringEquals": {"elasticfilesystem:AccessPointArn": volume_values["access_point_arn"]}},
        }
    ]
