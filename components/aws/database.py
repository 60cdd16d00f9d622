"""The relational database on aws: RDS PostgreSQL or MySQL, one or more shards, each a primary with read replicas.

``Database`` (one shard) creates:

- a subnet group over the data (isolated) subnets and the ``data`` security group;
- a parameter group for the engine family with the guides' settings: TLS required (``rds.force_ssl=1`` /
  ``require_secure_transport=ON``, TLS 1.2+), slow-query logging (``log_min_duration_statement=2000`` /
  ``slow_query_log``, ``long_query_time=2``, ``log_queries_not_using_indexes``), ``binlog_format=ROW`` for MySQL, and
  audit logging (pgaudit; the MariaDB audit plugin through an option group for MySQL);
- the primary: gp3 storage that grows up to a ceiling, encrypted with the customer data key; Multi-AZ; the master
  password generated, kept and rotated by RDS in Secrets Manager under the customer secrets key; a non-default
  master user; IAM database authentication; Performance Insights (encrypted) and Enhanced Monitoring with its role;
  log exports to CloudWatch, into log groups created before the instance (encrypted with the customer logs key, kept
  ``webstack:database.logRetentionDays``; RDS would otherwise create them unencrypted and kept forever); 30 days of
  backups in the 02:00-03:00 UTC window; tags copied to snapshots; deletion
  protection and a final snapshot; automatic minor upgrades; private; a current CA; ``protect`` in production;
- N read replicas spread over the zones, with the same parameters, encryption, monitoring, logs and privacy.

Instance identifiers are fixed (``<prefix>-shard-<n>-primary``, ``<prefix>-shard-<n>-replica-<m>``), so that the log
groups RDS exports to can be named, and created, before the instances exist.

Shards side by side are :class:`~.sharded_database.ShardedDatabase`'s (``sharded_database.py``).
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..settings import DatabaseSettings
from .account import Account

DATABASE_TYPE = "webstack:aws:Database"


CA_CERTIFICATE = "rds-ca-rsa2048-g1"


LOG_EXPORTS = {"postgres": ["postgresql", "upgrade"], "mysql": ["audit", "error", "slowquery"]}


ENHANCED_MONITORING_POLICY = "iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


@dataclass(frozen=True)
class DatabaseArgs:
    """Inputs of :class:`Database` and :class:`ShardedDatabase`."""

    account: Account
    """The account and region (the monitoring role's trust, policy ARNs)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    subnet_ids: Sequence[pulumi.Input[str]]
    """The data (isolated) subnets, in at least two zones."""
    security_group_id: pulumi.Input[str]
    """The ``data`` security group."""
    availability_zones: Sequence[str]
    """Zones the replicas are spread over."""
    data_key_arn: pulumi.Input[str]
    """Customer KMS key for storage and Performance Insights."""
    secrets_key_arn: pulumi.Input[str]
    """Customer KMS key of the master password's secret."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the log groups the instances export their logs to."""
    settings: DatabaseSettings = field(default_factory=DatabaseSettings)
    """Engine, version, sizes, replicas, shards, table routing, backups, windows, user. Defaults: PostgreSQL 16,
    db.m7g.large, 100-500 GB, Multi-AZ, one replica, one shard, 30 days of backups at 02:00 UTC."""
    protect: bool = False
    """Protect the primaries from deletion by Pulumi (on in production)."""
    role_secret_arns: Sequence[pulumi.Input[str]] = ()
    """Per shard, the secret of the role the application signs in as (the shard map names it); empty: the master
    secret."""


class Database(pulumi.ComponentResource):
    """One shard: a primary and its read replicas."""

    primary: aws.rds.Instance
    replicas: list[aws.rds.Instance]
    log_groups: dict[str, dict[str, aws.cloudwatch.LogGroup]]
    """Per instance (``primary``, ``replica-<n>``), its exported logs' groups by log type."""
    writer_endpoint: pulumi.Output[str]
    reader_endpoints: list[pulumi.Output[str]]
    master_secret_arn: pulumi.Output[str]
    port: int

    def __init__(
        self, name: str, args: DatabaseArgs, shard: int = 0, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(DATABASE_TYPE, name, None, opts)
        settings, child = args.settings, pulumi.ResourceOptions(parent=self)
        self.port = settings.effective_port
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=list(args.subnet_ids),
            description=f"{args.name_prefix} shard {shard}: the data subnets",
            opts=child,
        )
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=settings.family,
            description=f"{args.name_prefix} shard {shard}: TLS only, slow queries and audit logged",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=key, value=value, apply_method=method)
                for key, value, method in engine_parameters(settings)
            ],
            opts=child,
        )
        option_group = self._audit_options(name, args, shard) if settings.engine == "mysql" else None
        monitoring_role = self._monitoring_role(name, args)
        protect = pulumi.ResourceOptions(parent=self, protect=args.protect)

        common: dict[str, Any] = {
            "parameter_group_name": parameter_group.name,
            "option_group_name": option_group.name if option_group is not None else None,
            "vpc_security_group_ids": [args.security_group_id],
            "publicly_accessible": False,
            "port": self.port,
            "storage_encrypted": True,
            "kms_key_id": args.data_key_arn,
            "max_allocated_storage": settings.max_allocated_storage_gb,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": args.data_key_arn,
            "performance_insights_retention_period": settings.performance_insights_retention_days,
            "monitoring_interval": settings.monitoring_interval_seconds,
            "monitoring_role_arn": monitoring_role.arn,
            "enabled_cloudwatch_logs_exports": LOG_EXPORTS[settings.engine],
            "auto_minor_version_upgrade": True,
            "ca_cert_identifier": CA_CERTIFICATE,
            "copy_tags_to_snapshot": True,
            "deletion_protection": settings.deletion_protection,
            "apply_immediately": False,
        }
        self.log_groups = {}
        self.primary = aws.rds.Instance(
            f"{name}-primary",
            identifier=instance_identifier(args.name_prefix, shard, "primary"),
            engine=settings.engine,
            engine_version=settings.effective_version,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage_gb,
            storage_type="gp3",
            multi_az=settings.multi_az,
            db_subnet_group_name=subnet_group.name,
            db_name=settings.database_name,
            username=settings.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.secrets_key_arn,
            iam_database_authentication_enabled=True,
            backup_retention_period=settings.backup_retention_days,
            backup_window=settings.backup_window,
            maintenance_window=settings.maintenance_window,
            delete_automated_backups=False,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.name_prefix}-shard-{shard}-final",
            **common,
            opts=pulumi.ResourceOptions.merge(protect, self._log_groups(name, args, shard, "primary")),
        )
        zones = list(args.availability_zones) or [None]
        self.replicas = [
            aws.rds.Instance(
                f"{name}-replica-{index}",
                identifier=instance_identifier(args.name_prefix, shard, f"replica-{index}"),
                replicate_source_db=self.primary.identifier,
                instance_class=settings.replica_instance_class or settings.instance_class,
                availability_zone=zones[(index + 1) % len(zones)],
                multi_az=False,
                # Read replicas cannot take a final snapshot; the primary's backups cover them.
                skip_final_snapshot=True,
                **common,
                opts=pulumi.ResourceOptions.merge(protect, self._log_groups(name, args, shard, f"replica-{index}")),
            )
            for index in range(settings.replicas)
        ]
        self.writer_endpoint = self.primary.address
        self.reader_endpoints = [replica.address for replica in self.replicas]
        self.master_secret_arn = self.primary.master_user_secrets.apply(
            lambda secrets: secrets[0].secret_arn or "" if secrets else ""
        )
        self.register_outputs(
            {
                "writerEndpoint": self.writer_endpoint,
                "readerEndpoints": self.reader_endpoints,
                "port": self.port,
                "masterSecretArn": self.master_secret_arn,
            }
        )

    def _log_groups(self, name: str, args: DatabaseArgs, shard: int, role: str) -> pulumi.ResourceOptions:
        """The log groups an instance exports to, named as RDS names them (RDS user guide, "Publishing database logs
        to Amazon CloudWatch Logs": /aws/rds/instance/<identifier>/<log>); the instance waits for them, or RDS
        creates them first, unencrypted and kept forever, and these fail to create."""
        settings, identifier = args.settings, instance_identifier(args.name_prefix, shard, role)
        groups = {
            log: aws.cloudwatch.LogGroup(
                f"{name}-{role}-{log}-logs",
                name=f"/aws/rds/instance/{identifier}/{log}",
                retention_in_days=settings.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            for log in LOG_EXPORTS[settings.engine]
        }
        self.log_groups[role] = groups
        return pulumi.ResourceOptions(depends_on=list(groups.values()))

    def _audit_options(self, name: str, args: DatabaseArgs, shard: int) -> aws.rds.OptionGroup:
        settings = args.settings
        return aws.rds.OptionGroup(
            f"{name}-options",
            engine_name="mysql",
            major_engine_version=settings.effective_version,
            option_group_description=f"{args.name_prefix} shard {shard}: audit logging",
            options=[
                aws.rds.OptionGroupOptionArgs(
                    option_name="MARIADB_AUDIT_PLUGIN",
                    option_settings=[
                        aws.rds.OptionGroupOptionOptionSettingArgs(
                            name="SERVER_AUDIT_EVENTS", value="CONNECT,QUERY_DDL,QUERY_DCL"
                        ),
                    ],
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _monitoring_role(self, name: str, args: DatabaseArgs) -> aws.iam.Role:
        account = args.account
        role = aws.iam.Role(
            f"{name}-monitoring-role",
            description=f"{args.name_prefix}: Enhanced Monitoring of the database",
            assume_role_policy=account.trust_policy("monitoring.rds"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=role.name,
            policy_arn=f"arn:{account.partition}:{ENHANCED_MONITORING_POLICY}",
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role


def instance_identifier(name_prefix: str, shard: int, role: str) -> str:
    """An instance's identifier, ``<prefix>-shard-<n>-<role>``, as RDS accepts them: 1-63 lowercase letters, digits
    and hyphens, starting with a letter, no two hyphens in a row, no hyphen at the end (a long prefix is shortened
    and a hash of it keeps identifiers unique)."""
    text = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", f"{name_prefix}-shard-{shard}-{role}".lower())).strip("-")
    if not text[:1].isalpha():
        text = f"db-{text}"
    if len(text) <= 63:
        return text
    tail = f"-shard-{shard}-{role}"
    digest = hashlib.sha256(name_prefix.encode()).hexdigest()[:6]
    return f"{text[: 63 - len(tail) - 7].rstrip('-')}-{digest}{tail}"


def engine_parameters(settings: DatabaseSettings) -> list[tuple[str, str, str]]:
    """(name, value, apply method) of the engine's parameter group."""
    if settings.engine == "postgres":
        return [
            ("rds.force_ssl", "1", "immediate"),
            ("ssl_min_protocol_version", "TLSv1.2", "immediate"),
            ("log_min_duration_statement", "2000", "immediate"),
            ("log_connections", "1", "immediate"),
            ("log_disconnections", "1", "immediate"),
            ("shared_preload_libraries", "pg_stat_statements,pgaudit", "pending-reboot"),
            ("pgaudit.log", "ddl,role", "immediate"),
        ]
    return [
        ("require_secure_transport", "ON", "immediate"),
        ("tls_version", "TLSv1.2,TLSv1.3", "pending-reboot"),
        ("slow_query_log", "1", "immediate"),
        ("long_query_time", "2", "immediate"),
        ("log_queries_not_using_indexes", "1", "immediate"),
        ("log_output", "FILE", "immediate"),
        ("binlog_format", "ROW", "immediate"),
    ]
