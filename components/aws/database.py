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
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from ..settings import DEFAULT_USERNAMES, ENGINE_VERSIONS
from .account import Account
from .args_errors import invalid

DATABASE_TYPE = "webstack:aws:Database"


CA_CERTIFICATE = "rds-ca-rsa2048-g1"


LOG_EXPORTS = {"postgres": ["postgresql", "upgrade"], "mysql": ["audit", "error", "slowquery"]}


ENHANCED_MONITORING_POLICY = "iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"


@dataclass(frozen=True)
class DatabaseArgs:
    """Inputs of :class:`Database`: one shard, a primary and its read replicas. Every default is the secure (and
    the guides') choice; the network and the three customer KMS keys have none."""

    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``: instances are ``<prefix>-shard-<n>-primary`` and
    ``<prefix>-shard-<n>-replica-<m>``."""
    account_id: pulumi.Input[str]
    """The AWS account the database is in (``aws.get_caller_identity().account_id``): the Enhanced Monitoring role
    trusts RDS for this account only."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The data (isolated, no route to the internet) subnets, in at least two zones."""
    security_group_id: pulumi.Input[str]
    """The security group of the database: admit the application's group on the database's port only."""
    data_key_arn: pulumi.Input[str]
    """Customer KMS key of the storage and of Performance Insights."""
    secrets_key_arn: pulumi.Input[str]
    """Customer KMS key of the master password's secret (RDS generates, keeps and rotates the password)."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the log groups the instances export their logs to."""
    partition: str = "aws"
    """ARN partition of the account: ``aws``, ``aws-us-gov`` or ``aws-cn``."""
    availability_zones: Sequence[str] = ()
    """Zones the replicas are spread over (a replica's zone differs from its primary's); empty: RDS chooses."""
    shard: int = 0
    """The shard's index, in its instances' identifiers and descriptions."""
    engine: str = "postgres"
    """``postgres`` (PostgreSQL) or ``mysql`` (MySQL)."""
    engine_version: str = ""
    """Major engine version: postgres 14-17, mysql 8.0 or 8.4. Empty: postgres 16, mysql 8.0. Minor versions are
    upgraded automatically."""
    port: int = 0
    """Port the database listens on. 0: the engine's default (5432 or 3306)."""
    instance_class: str = "db.m7g.large"
    """Instance class of the primary (medium or larger: smaller classes lack Performance Insights)."""
    replica_instance_class: str = ""
    """Instance class of the replicas. Empty: as the primary."""
    allocated_storage_gb: int = 100
    """Initial gp3 storage in GB, encrypted with ``data_key_arn``."""
    max_allocated_storage_gb: int = 500
    """Storage autoscaling ceiling in GB; more than ``allocated_storage_gb``."""
    multi_az: bool = True
    """A standby of the primary in another zone (failover in about a minute or two)."""
    replicas: int = 1
    """Read replicas of the primary (0-5)."""
    backup_retention_days: int = 30
    """Days of automated backups and point-in-time restore (1-35)."""
    backup_window: str = "02:00-03:00"
    """Daily backup window, UTC."""
    maintenance_window: str = "sun:04:00-sun:05:00"
    """Weekly maintenance window, UTC; must not overlap the backups."""
    deletion_protection: bool = True
    """RDS refuses to delete the primary (a final snapshot is taken in any case)."""
    master_username: str = "webstack_admin"
    """Master user name; never a default one (admin, root, postgres, ...)."""
    database_name: str = "app"
    """Name of the database created on the primary."""
    performance_insights_retention_days: int = 7
    """Days Performance Insights keeps data: 7 (free), a multiple of 31 up to 713, or 731."""
    monitoring_interval_seconds: int = 60
    """Seconds between Enhanced Monitoring samples: 1, 5, 10, 15, 30 or 60."""
    log_retention_days: int = 365
    """Days CloudWatch keeps the exported logs (audit logs: a year)."""
    protect: bool = False
    """Protect the instances and their log groups from deletion by Pulumi (on in production)."""

    @property
    def effective_port(self) -> int:
        """The port clients connect to."""
        return self.port or (5432 if self.engine == "postgres" else 3306)

    @property
    def effective_version(self) -> str:
        return self.engine_version or ENGINE_VERSIONS[self.engine][0]

    @property
    def family(self) -> str:
        """The parameter-group family, e.g. postgres16 or mysql8.0."""
        return f"{self.engine}{self.effective_version}"


def validate_database_args(args: DatabaseArgs) -> None:
    """The rules RDS would otherwise refuse at deploy time, or that would make the database unsafe; errors name the
    Args field. (A stack's settings are validated, naming their keys, in ``components/settings/database.py``.)"""

    if args.engine not in ENGINE_VERSIONS:
        raise invalid(args, "engine", "be postgres or mysql", args.engine)
    if args.engine_version and args.engine_version not in ENGINE_VERSIONS[args.engine]:
        raise invalid(
            args, "engine_version", f"be one of {', '.join(ENGINE_VERSIONS[args.engine])}", args.engine_version
        )
    if not 0 <= args.replicas <= 5:
        raise invalid(args, "replicas", "be between 0 and 5", args.replicas)
    if args.max_allocated_storage_gb <= args.allocated_storage_gb:
        raise invalid(
            args, "max_allocated_storage_gb", "be more than allocated_storage_gb", args.max_allocated_storage_gb
        )
    if not 1 <= args.backup_retention_days <= 35:
        raise invalid(args, "backup_retention_days", "be between 1 and 35", args.backup_retention_days)
    if args.master_username in DEFAULT_USERNAMES:
        raise invalid(args, "master_username", "not be a default user name", args.master_username)


class Database(pulumi.ComponentResource):
    """One shard: a primary and its read replicas."""

    primary: aws.rds.Instance
    """The primary instance (Multi-AZ unless turned off)."""
    replicas: list[aws.rds.Instance]
    """The read replicas."""
    log_groups: dict[str, dict[str, aws.cloudwatch.LogGroup]]
    """Per instance (``primary``, ``replica-<n>``), its exported logs' groups by log type."""
    writer_endpoint: pulumi.Output[str]
    """The primary's address."""
    reader_endpoints: list[pulumi.Output[str]]
    """The replicas' addresses."""
    master_secret_arn: pulumi.Output[str]
    """The Secrets Manager secret RDS keeps the master password in."""
    port: int
    """The port clients connect to."""

    def __init__(self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_database_args(args)
        super().__init__(DATABASE_TYPE, name, None, opts)
        shard, child = args.shard, pulumi.ResourceOptions(parent=self)
        self.port = args.effective_port
        subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            subnet_ids=args.subnet_ids,
            description=f"{args.name_prefix} shard {shard}: the data subnets",
            opts=child,
        )
        parameter_group = aws.rds.ParameterGroup(
            f"{name}-params",
            family=args.family,
            description=f"{args.name_prefix} shard {shard}: TLS only, slow queries and audit logged",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name=key, value=value, apply_method=method)
                for key, value, method in engine_parameters(args.engine)
            ],
            opts=child,
        )
        option_group = self._audit_options(name, args) if args.engine == "mysql" else None
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
            "max_allocated_storage": args.max_allocated_storage_gb,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": args.data_key_arn,
            "performance_insights_retention_period": args.performance_insights_retention_days,
            "monitoring_interval": args.monitoring_interval_seconds,
            "monitoring_role_arn": monitoring_role.arn,
            "enabled_cloudwatch_logs_exports": LOG_EXPORTS[args.engine],
            "auto_minor_version_upgrade": True,
            "ca_cert_identifier": CA_CERTIFICATE,
            "copy_tags_to_snapshot": True,
            "deletion_protection": args.deletion_protection,
            "apply_immediately": False,
        }
        self.log_groups = {}
        self.primary = aws.rds.Instance(
            f"{name}-primary",
            identifier=instance_identifier(args.name_prefix, shard, "primary"),
            engine=args.engine,
            engine_version=args.effective_version,
            instance_class=args.instance_class,
            allocated_storage=args.allocated_storage_gb,
            storage_type="gp3",
            multi_az=args.multi_az,
            db_subnet_group_name=subnet_group.name,
            db_name=args.database_name,
            username=args.master_username,
            manage_master_user_password=True,
            master_user_secret_kms_key_id=args.secrets_key_arn,
            iam_database_authentication_enabled=True,
            backup_retention_period=args.backup_retention_days,
            backup_window=args.backup_window,
            maintenance_window=args.maintenance_window,
            delete_automated_backups=False,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.name_prefix}-shard-{shard}-final",
            **common,
            opts=pulumi.ResourceOptions.merge(protect, self._log_groups(name, args, "primary")),
        )
        zones = list(args.availability_zones) or [None]
        self.replicas = [
            aws.rds.Instance(
                f"{name}-replica-{index}",
                identifier=instance_identifier(args.name_prefix, shard, f"replica-{index}"),
                replicate_source_db=self.primary.identifier,
                instance_class=args.replica_instance_class or args.instance_class,
                availability_zone=zones[(index + 1) % len(zones)],
                multi_az=False,
                # Read replicas cannot take a final snapshot; the primary's backups cover them.
                skip_final_snapshot=True,
                **common,
                opts=pulumi.ResourceOptions.merge(protect, self._log_groups(name, args, f"replica-{index}")),
            )
            for index in range(args.replicas)
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

    def _log_groups(self, name: str, args: DatabaseArgs, role: str) -> pulumi.ResourceOptions:
        """The log groups an instance exports to, named as RDS names them (RDS user guide, "Publishing database logs
        to Amazon CloudWatch Logs": /aws/rds/instance/<identifier>/<log>); the instance waits for them, or RDS
        creates them first, unencrypted and kept forever, and these fail to create."""
        identifier = instance_identifier(args.name_prefix, args.shard, role)
        groups = {
            log: aws.cloudwatch.LogGroup(
                f"{name}-{role}-{log}-logs",
                name=f"/aws/rds/instance/{identifier}/{log}",
                retention_in_days=args.log_retention_days,
                kms_key_id=args.logs_key_arn,
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            for log in LOG_EXPORTS[args.engine]
        }
        self.log_groups[role] = groups
        return pulumi.ResourceOptions(depends_on=list(groups.values()))

    def _audit_options(self, name: str, args: DatabaseArgs) -> aws.rds.OptionGroup:
        return aws.rds.OptionGroup(
            f"{name}-options",
            engine_name="mysql",
            major_engine_version=args.effective_version,
            option_group_description=f"{args.name_prefix} shard {args.shard}: audit logging",
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
        role = aws.iam.Role(
            f"{name}-monitoring-role",
            description=f"{args.name_prefix}: Enhanced Monitoring of the database",
            assume_role_policy=pulumi.Output.from_input(args.account_id).apply(
                lambda account_id: Account(id=account_id, partition=args.partition, region="").trust_policy(
                    "monitoring.rds"
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-monitoring-policy",
            role=role.name,
            policy_arn=f"arn:{args.partition}:{ENHANCED_MONITORING_POLICY}",
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


def engine_parameters(engine: str) -> list[tuple[str, str, str]]:
    """(name, value, apply method) of the engine's parameter group."""
    if engine == "postgres":
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
