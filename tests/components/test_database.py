"""The Database and ShardedDatabase components: secure defaults, engine parameters, replicas, monitoring, protection,
independent shards and the shard map they publish."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from components.aws.account import Account
from components.aws.database import Database, DatabaseArgs
from components.aws.platform_args import database_args, sharded_database_args
from components.aws.sharded_database import ShardedDatabase, ShardedDatabaseArgs
from components.settings import DatabaseSettings
from components.shard_map import shard_for_key, shard_for_table
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import RecordedResource
from tests.conftest import TEST_REGION, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
DATA_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/data"
SECRETS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/secrets"
LOGS_KEY_ARN = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/logs"
SUBNET_IDS = ["subnet-0a1b2c3d4e5f6071a", "subnet-0a1b2c3d4e5f6071b", "subnet-0a1b2c3d4e5f6071c"]
SECURITY_GROUP_ID = "sg-0a1b2c3d4e5f6071d"
ZONES = [f"{TEST_REGION}a", f"{TEST_REGION}b", f"{TEST_REGION}c"]
TABLES = {"users": 0, "deposits": 1, "posts": 2}

INSTANCE = "aws:rds/instance:Instance"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
PARAMETER = "aws:ssm/parameter:Parameter"


def settings_of(settings: dict[str, Any]) -> DatabaseSettings:
    return DatabaseSettings.model_validate(settings)


def args(name: str, protect: bool = False, **settings: Any) -> DatabaseArgs:
    """A shard's Args as the platform maps ``webstack:database`` (``settings``, camelCase keys) onto them."""
    return database_args(
        settings_of(settings),
        account=ACCOUNT,
        name_prefix=f"webstack-{name}",
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        availability_zones=ZONES,
        data_key_arn=DATA_KEY_ARN,
        secrets_key_arn=SECRETS_KEY_ARN,
        logs_key_arn=LOGS_KEY_ARN,
        protect=protect,
    )


def database(name: str, protect: bool = False, **settings: Any) -> Database:
    """One shard named ``name`` (physical prefix ``webstack-<name>``)."""
    database_args = args(name, protect, **settings)
    return construct(lambda: Database(name, database_args))


def sharded(name: str, **settings: Any) -> tuple[ShardedDatabase, dict[str, Any]]:
    """A sharded database and the shard map its ``shard_map`` output resolved to."""
    sharded_args = sharded_database_args(settings_of(settings), args(name, **settings))
    resolved: dict[str, Any] = {}

    def factory() -> ShardedDatabase:
        built = ShardedDatabase(name, sharded_args)
        built.shard_map.apply(resolved.update)
        return built

    return construct(factory), resolved


def instances(name: str) -> list[RecordedResource]:
    """The primary and the replicas of one shard named ``name``."""
    return [one(f"{name}-primary"), *registered(f"{name}-replica-", INSTANCE)]


def published_map(name: str) -> dict[str, Any]:
    """The shard map as the application reads it: the SSM parameter's value."""
    return json.loads(one(f"{name}-shard-map").inputs["insecureValue"])


@pytest.fixture(scope="module")
def default_database() -> Database:
    return database("dbdefault")


@pytest.fixture(scope="module")
def three_shards() -> tuple[ShardedDatabase, dict[str, Any]]:
    return sharded("dbsharded", shards=3, replicas=2, tables=TABLES)


# -- defaults are secure -----------------------------------------------------------------------------------------------
def test_defaults_are_secure(default_database: Database) -> None:
    primary = one("dbdefault-primary")
    inputs = primary.inputs
    assert inputs["engine"] == "postgres"
    assert inputs["engineVersion"] == "16"
    assert inputs["instanceClass"] == "db.m7g.large"
    assert inputs["allocatedStorage"] == 100
    assert inputs["maxAllocatedStorage"] == 500
    assert inputs["storageType"] == "gp3"
    assert inputs["storageEncrypted"] is True
    assert inputs["kmsKeyId"] == DATA_KEY_ARN
    assert inputs["multiAz"] is True

    subnet_group = one("dbdefault-subnets")
    assert subnet_group.inputs["subnetIds"] == SUBNET_IDS
    assert primary.property_dependencies["dbSubnetGroupName"] == [subnet_group.urn]
    assert inputs["dbSubnetGroupName"] == subnet_group.outputs["name"]
    assert inputs["vpcSecurityGroupIds"] == [SECURITY_GROUP_ID]
    assert inputs["publiclyAccessible"] is False
    assert inputs["port"] == 5432
    assert default_database.port == 5432

    assert inputs["username"] == "webstack_admin"
    assert inputs["manageMasterUserPassword"] is True
    assert inputs["masterUserSecretKmsKeyId"] == SECRETS_KEY_ARN
    assert "password" not in inputs
    assert inputs["iamDatabaseAuthenticationEnabled"] is True

    assert inputs["performanceInsightsEnabled"] is True
    assert inputs["performanceInsightsKmsKeyId"] == DATA_KEY_ARN
    assert inputs["performanceInsightsRetentionPeriod"] == 7
    role = one("dbdefault-monitoring-role")
    assert inputs["monitoringInterval"] == 60
    assert inputs["monitoringRoleArn"] == role.outputs["arn"]
    assert primary.property_dependencies["monitoringRoleArn"] == [role.urn]
    assert inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]

    assert inputs["backupRetentionPeriod"] == 30
    assert inputs["backupWindow"] == "02:00-03:00"
    assert inputs["maintenanceWindow"] == "sun:04:00-sun:05:00"
    assert inputs["copyTagsToSnapshot"] is True
    assert inputs["deletionProtection"] is True
    assert inputs["skipFinalSnapshot"] is False
    assert inputs["finalSnapshotIdentifier"] == "webstack-dbdefault-shard-0-final"
    assert inputs["autoMinorVersionUpgrade"] is True
    assert inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"
    assert inputs["dbName"] == "app"


def test_the_postgres_parameter_group_requires_tls_and_logs_slow_queries_and_audits(
    default_database: Database,
) -> None:
    group = one("dbdefault-params")
    assert group.inputs["family"] == "postgres16"
    parameters = {p["name"]: p for p in group.inputs["parameters"]}
    assert parameters["rds.force_ssl"]["value"] == "1"
    assert parameters["ssl_min_protocol_version"]["value"] == "TLSv1.2"
    assert parameters["log_min_duration_statement"]["value"] == "2000"
    preload = parameters["shared_preload_libraries"]
    assert "pgaudit" in preload["value"].split(",")
    assert preload["applyMethod"] == "pending-reboot"
    assert "optionGroupName" not in one("dbdefault-primary").inputs


def test_every_instance_uses_the_parameter_group(default_database: Database) -> None:
    group = one("dbdefault-params")
    members = instances("dbdefault")
    assert len(members) == 2
    for instance in members:
        assert instance.property_dependencies["parameterGroupName"] == [group.urn], instance.name
        assert instance.inputs["parameterGroupName"] == group.outputs["name"], instance.name


# -- mysql -------------------------------------------------------------------------------------------------------------
def test_mysql_requires_tls_logs_slow_queries_and_audits_through_an_option_group() -> None:
    built = database("dbmysql", engine="mysql", replicas=2)
    group = one("dbmysql-params")
    assert group.inputs["family"] == "mysql8.0"
    parameters = {p["name"]: p["value"] for p in group.inputs["parameters"]}
    assert parameters["require_secure_transport"] == "ON"
    assert "TLSv1.2" in parameters["tls_version"].split(",")
    assert not {"TLSv1", "TLSv1.1"} & set(parameters["tls_version"].split(","))
    assert parameters["slow_query_log"] == "1"
    assert parameters["long_query_time"] == "2"
    assert parameters["log_queries_not_using_indexes"] == "1"
    assert parameters["binlog_format"] == "ROW"

    primary = one("dbmysql-primary")
    assert primary.inputs["engine"] == "mysql"
    assert primary.inputs["port"] == 3306
    assert built.port == 3306
    assert primary.inputs["enabledCloudwatchLogsExports"] == ["audit", "error", "slowquery"]

    options = one("dbmysql-options")
    assert options.inputs["engineName"] == "mysql"
    assert options.inputs["majorEngineVersion"] == "8.0"
    assert [o["optionName"] for o in options.inputs["options"]] == ["MARIADB_AUDIT_PLUGIN"]
    members = instances("dbmysql")
    assert len(members) == 3
    for instance in members:
        assert instance.property_dependencies["optionGroupName"] == [options.urn], instance.name
        assert instance.inputs["optionGroupName"] == options.outputs["name"], instance.name
        assert instance.property_dependencies["parameterGroupName"] == [group.urn], instance.name
        assert instance.inputs["port"] == 3306, instance.name


# -- replicas ----------------------------------------------------------------------------------------------------------
def test_replicas_replicate_the_primary_privately_and_spread_over_the_zones() -> None:
    built = database("dbreplicas", replicas=3)
    primary = one("dbreplicas-primary")
    replicas = [one(f"dbreplicas-replica-{i}") for i in range(3)]
    assert sorted(r.name for r in registered("dbreplicas-", INSTANCE)) == [
        "dbreplicas-primary",
        *(r.name for r in replicas),
    ]
    assert len(built.replicas) == 3
    role = one("dbreplicas-monitoring-role")
    for replica in replicas:
        inputs = replica.inputs
        assert replica.property_dependencies["replicateSourceDb"] == [primary.urn], replica.name
        assert inputs["replicateSourceDb"] == primary.outputs["identifier"], replica.name
        assert inputs["storageEncrypted"] is True
        assert inputs["kmsKeyId"] == DATA_KEY_ARN
        assert inputs["publiclyAccessible"] is False
        assert inputs["vpcSecurityGroupIds"] == [SECURITY_GROUP_ID]
        assert inputs["performanceInsightsEnabled"] is True
        assert inputs["performanceInsightsKmsKeyId"] == DATA_KEY_ARN
        assert inputs["monitoringInterval"] == 60
        assert replica.property_dependencies["monitoringRoleArn"] == [role.urn]
        assert inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"
        assert inputs["skipFinalSnapshot"] is True
        assert not {"username", "password", "manageMasterUserPassword"} & set(inputs), replica.name
    assert [r.inputs["availabilityZone"] for r in replicas] == [ZONES[1], ZONES[2], ZONES[0]]


def test_zero_replicas_leave_the_primary_alone() -> None:
    built = database("dbnoreplicas", replicas=0)
    assert built.replicas == []
    assert registered("dbnoreplicas-replica-", INSTANCE) == []
    assert [r.name for r in registered("dbnoreplicas-", INSTANCE)] == ["dbnoreplicas-primary"]


# -- monitoring --------------------------------------------------------------------------------------------------------
def test_the_monitoring_role_trusts_rds_monitoring_of_this_account_only(default_database: Database) -> None:
    role = one("dbdefault-monitoring-role")
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    attachment = one("dbdefault-monitoring-policy")
    assert attachment.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
    assert attachment.property_dependencies["role"] == [role.urn]
    assert attachment.inputs["role"] == role.outputs["name"]


# -- protection --------------------------------------------------------------------------------------------------------
# -- exported logs -----------------------------------------------------------------------------------------------------
#: RDS user guide, "Publishing database logs to Amazon CloudWatch Logs": RDS exports each log to the log group
#: /aws/rds/instance/<instance identifier>/<log>, creating it (unencrypted, never expiring) unless it exists.
def rds_log_group(identifier: str, log: str) -> str:
    return f"/aws/rds/instance/{identifier}/{log}"


@pytest.mark.parametrize(("engine", "logs"), [("postgres", ["postgresql", "upgrade"]),
                                              ("mysql", ["audit", "error", "slowquery"])])  # fmt: skip
def test_every_exported_log_has_its_group_before_the_instance_exists(engine: str, logs: list[str]) -> None:
    name = f"dblogs{engine}"
    database(name, engine=engine, replicas=1)
    for instance in instances(name):
        identifier = instance.inputs["identifier"]
        assert sorted(instance.inputs["enabledCloudwatchLogsExports"]) == logs
        for log in logs:
            wanted = rds_log_group(identifier, log)
            (group,) = [g for g in registered(f"{name}-", LOG_GROUP) if g.inputs["name"] == wanted]
            assert group.inputs["kmsKeyId"] == LOGS_KEY_ARN
            assert group.inputs["retentionInDays"] == 365
            # RDS must find the group in place, or it creates its own first and ours fails to create.
            assert group.urn in instance.dependencies, f"{instance.name} waits for {group.name}"


def test_instance_identifiers_are_fixed_so_their_log_groups_can_be_named_first(default_database: Database) -> None:
    assert [(i.name, i.inputs["identifier"]) for i in instances("dbdefault")] == [
        ("dbdefault-primary", "webstack-dbdefault-shard-0-primary"),
        ("dbdefault-replica-0", "webstack-dbdefault-shard-0-replica-0"),
    ]


def test_logs_are_kept_the_configured_days() -> None:
    database("dblogdays", logRetentionDays=731)
    assert {g.inputs["retentionInDays"] for g in registered("dblogdays-", LOG_GROUP)} == {731}


def test_nothing_is_protected_by_default(default_database: Database) -> None:
    assert [r.name for r in registered("dbdefault-") if r.protect] == []
    assert one("dbdefault").protect is False


def test_protect_keeps_primaries_replicas_and_their_audit_trail() -> None:
    database("dbkept", protect=True, replicas=2)
    protected = sorted(r.name for r in registered("dbkept-") if r.protect)
    roles = ["primary", "replica-0", "replica-1"]
    assert protected == sorted([f"dbkept-{role}" for role in roles] + [
        f"dbkept-{role}-{log}-logs" for role in roles for log in ("postgresql", "upgrade")
    ])  # fmt: skip


# -- shards ------------------------------------------------------------------------------------------------------------
def test_shards_are_independent_databases(three_shards: tuple[ShardedDatabase, dict[str, Any]]) -> None:
    built, _ = three_shards
    assert len(built.shards) == 3
    assert len(registered("dbsharded-shard-", "webstack:aws:Database")) == 3
    assert len([r for r in registered("dbsharded-shard-", INSTANCE) if r.name.endswith("-primary")]) == 3
    assert len([r for r in registered("dbsharded-shard-", INSTANCE) if "-replica-" in r.name]) == 6
    for index in range(3):
        shard = f"dbsharded-shard-{index}"
        members = [one(shard), *registered(f"{shard}-")]
        assert len(registered(f"{shard}-", INSTANCE)) == 3
        primary = one(f"{shard}-primary")
        assert primary.property_dependencies["dbSubnetGroupName"] == [one(f"{shard}-subnets").urn]
        assert one(f"{shard}-replica-1").property_dependencies["replicateSourceDb"] == [primary.urn]
        assert primary.inputs["finalSnapshotIdentifier"] == f"webstack-dbsharded-shard-{index}-final"
        for resource in members:
            assert resource.parent == (one("dbsharded").urn if resource.name == shard else one(shard).urn)
            referenced = set(resource.dependencies)
            for dependencies in resource.property_dependencies.values():
                referenced.update(dependencies)
            for urn in referenced:
                name = urn.rsplit("::", 1)[-1]
                assert name == shard or name.startswith(f"{shard}-"), (resource.name, name)


def test_the_shard_map_is_published_as_compact_json(three_shards: tuple[ShardedDatabase, dict[str, Any]]) -> None:
    _, resolved = three_shards
    parameter = one("dbsharded-shard-map")
    assert parameter.type == PARAMETER
    assert parameter.inputs["name"] == "/webstack-dbsharded/database/shard-map"
    assert parameter.inputs["type"] == "String"
    assert parameter.inputs["tier"] == "Intelligent-Tiering"
    value = parameter.inputs["insecureValue"]
    document = json.loads(value)
    assert value == json.dumps(document, separators=(",", ":"))
    assert document == resolved


def test_the_shard_map_lists_every_shards_endpoints_and_secret(
    three_shards: tuple[ShardedDatabase, dict[str, Any]],
) -> None:
    document = published_map("dbsharded")
    expected = []
    for index in range(3):
        primary = one(f"dbsharded-shard-{index}-primary")
        replicas = [one(f"dbsharded-shard-{index}-replica-{i}") for i in range(2)]
        expected.append(
            {
                "index": index,
                "writer": primary.outputs["address"],
                "readers": [r.outputs["address"] for r in replicas],
                "secretArn": primary.outputs["masterUserSecrets"][0]["secretArn"],
            }
        )
    assert document["shards"] == expected
    assert document["version"] == 1
    assert document["engine"] == "postgres"
    assert document["port"] == 5432
    assert document["tables"] == TABLES
    assert document["defaultShard"] == 0
    assert document["ring"] == {"algorithm": "sha256", "virtualNodes": 128}


def test_the_published_map_routes_tables_and_keys(three_shards: tuple[ShardedDatabase, dict[str, Any]]) -> None:
    document = published_map("dbsharded")
    assert shard_for_table(document, "users") == 0
    assert shard_for_table(document, "deposits") == 1
    assert shard_for_table(document, "posts") == 2
    assert shard_for_table(document, "audit_trail") == 0
    again = published_map("dbsharded")
    for key in ("user-1", "user-2", "alice@example.org", 42, "42"):
        owner = shard_for_key(document, key)
        assert owner in range(3)
        assert shard_for_key(document, key) == owner
        assert shard_for_key(again, key) == owner
    assert shard_for_key(document, 42) == shard_for_key(document, "42")


def test_one_shard_still_publishes_a_one_shard_map() -> None:
    built, resolved = sharded("dbsolo")
    assert len(built.shards) == 1
    document = published_map("dbsolo")
    assert document == resolved
    primary = one("dbsolo-shard-0-primary")
    assert document["shards"] == [
        {
            "index": 0,
            "writer": primary.outputs["address"],
            "readers": [one("dbsolo-shard-0-replica-0").outputs["address"]],
            "secretArn": primary.outputs["masterUserSecrets"][0]["secretArn"],
        }
    ]
    assert document["tables"] == {}
    assert document["defaultShard"] == 0
    assert shard_for_table(document, "users") == 0
    assert shard_for_key(document, "user-1") == 0
    assert len(registered("dbsolo", PARAMETER)) == 1


# -- the Args as another program sees them -----------------------------------------------------------------------------
def required_args(name: str) -> DatabaseArgs:
    """Only the inputs without a default: what a program with no webstack stack file must give."""
    return DatabaseArgs(
        name_prefix=f"webstack-{name}",
        account_id=ACCOUNT_ID,
        subnet_ids=SUBNET_IDS,
        security_group_id=SECURITY_GROUP_ID,
        data_key_arn=DATA_KEY_ARN,
        secrets_key_arn=SECRETS_KEY_ARN,
        logs_key_arn=LOGS_KEY_ARN,
        availability_zones=ZONES,
    )


def test_the_args_defaults_are_the_settings_defaults() -> None:
    """A database built from DatabaseArgs' own defaults is the one a stack without webstack:database builds."""
    assert args("same") == required_args("same")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replicas": 7}, "DatabaseArgs.replicas must be between 0 and 5, got 7"),
        ({"engine": "oracle"}, "DatabaseArgs.engine must be postgres or mysql, got 'oracle'"),
        ({"engine_version": "9"}, "DatabaseArgs.engine_version must be one of 16, 17, 15, 14, got '9'"),
        ({"max_allocated_storage_gb": 100}, "DatabaseArgs.max_allocated_storage_gb must be more than"),
        ({"backup_retention_days": 0}, "DatabaseArgs.backup_retention_days must be between 1 and 35, got 0"),
        ({"master_username": "admin"}, "DatabaseArgs.master_username must not be a default user name, got 'admin'"),
    ],
)
def test_a_database_refuses_unsafe_args_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Database("dbrefused", replace(required_args("dbrefused"), **change))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"shards": 0}, "ShardedDatabaseArgs.shards must be between 1 and 16, got 0"),
        ({"tables": {"users": 1}}, "ShardedDatabaseArgs.tables must route users to a shard below 1, got 1"),
        ({"role_secret_arns": ["a", "b"]}, "ShardedDatabaseArgs.role_secret_arns must name one secret per shard (1)"),
    ],
)
def test_a_sharded_database_refuses_inconsistent_args_naming_the_field(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ShardedDatabase("dbsrefused", ShardedDatabaseArgs(database=required_args("dbsrefused"), **change))
