"""The components an application moving in gets: its secrets, one-off tasks, the roles' bootstrap, persistent files,
operator access (aws) and the migration container (docker). Each one's defaults are the secure ones."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from components.aws.account import Account
from components.aws.app_secrets import AppSecrets, AppSecretsArgs
from components.aws.files import NFS_PORT, PersistentFiles, PersistentFilesArgs
from components.aws.one_off import OneOffArgs, OneOffTask
from components.aws.operations import AGENT_PATHS, Operations, OperationsArgs, operator_statements
from components.aws.platform_args import app_secrets_args
from components.database_roles import bootstrap_script, mysql_roles_sql, postgres_roles_sql
from components.docker.migrations import APP_SECRETS_DIR, MigrationFailed, app_secret_files, check_exit
from components.settings import AppSettings, StackSecrets
from stackcheck.engine.cloud import ACCOUNT_ID
from stackcheck.engine.resources import is_secret
from tests.conftest import TEST_REGION, construct, one, registered

ACCOUNT = Account(id=ACCOUNT_ID, partition="aws", region=TEST_REGION)
KEY = f"arn:aws:kms:{TEST_REGION}:{ACCOUNT_ID}:key/k"
SUBNETS = ["subnet-0a1b2c3d4e5f6071a", "subnet-0a1b2c3d4e5f6071b"]
APP_SG = "sg-0a1b2c3d4e5f6071a"
CLUSTER = f"arn:aws:ecs:{TEST_REGION}:{ACCOUNT_ID}:cluster/web"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/x"


def _policy(name: str) -> dict[str, Any]:
    return json.loads(one(name).inputs["policy"])


def test_application_secrets_are_kept_under_the_customer_key_and_never_in_plaintext() -> None:
    values = {"backend": {"JWT_SECRET_KEY": pulumi.Output.secret("x" * 40)}}
    arn = f"arn:aws:secretsmanager:{TEST_REGION}:{ACCOUNT_ID}:secret:sentry-AbCdEf"
    app = AppSettings.model_validate({"backend": {"secretArns": {"SENTRY_DSN": f"{arn}:dsn::"}}}, by_alias=True)
    args = app_secrets_args(app, StackSecrets(app=values), name_prefix="webstack-t", secrets_key_arn=KEY)
    built = construct(lambda: AppSecrets("t-app", args))
    secret = one("t-app-backend-jwt-secret-key")
    assert secret.inputs["name"] == "webstack-t/app/backend/JWT_SECRET_KEY"
    assert secret.inputs["kmsKeyId"] == KEY
    assert secret.inputs["recoveryWindowInDays"] == 30
    assert is_secret(one("t-app-backend-jwt-secret-key-value").inputs["secretString"])
    existing = built.refs["backend"]["SENTRY_DSN"]
    assert existing.arn == arn
    assert existing.value_from(arn) == f"{arn}:dsn::"


def test_application_secrets_by_default_are_none_and_every_service_has_its_entry() -> None:
    built = construct(lambda: AppSecrets("t-none", AppSecretsArgs(name_prefix="webstack-n", secrets_key_arn=KEY)))
    assert built.refs == {"frontend": {}, "backend": {}}
    assert registered("t-none-") == []


def test_existing_secrets_are_referenced_by_arn_and_not_managed() -> None:
    arn = f"arn:aws:secretsmanager:{TEST_REGION}:{ACCOUNT_ID}:secret:mail-AbCdEf"
    args = AppSecretsArgs(
        name_prefix="webstack-e", secrets_key_arn=KEY, existing_secret_arns={"frontend": {"MAIL_PASSWORD": arn}}
    )
    built = construct(lambda: AppSecrets("t-existing", args))
    assert built.refs["frontend"]["MAIL_PASSWORD"].arn == arn
    assert built.refs["frontend"]["MAIL_PASSWORD"].value_from(arn) == arn
    assert registered("t-existing-", "aws:secretsmanager/secret:Secret") == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"values": {"worker": {"TOKEN": "x"}}}, "AppSecretsArgs.values must name services of `services` (frontend, "
         "backend), got 'worker'"),
        ({"values": {"backend": {"JWT-KEY": "x"}}}, "AppSecretsArgs.values['backend'] must name environment "
         "variables with letters, digits and _, got 'JWT-KEY'"),
        ({"existing_secret_arns": {"backend": {"DSN": "arn:aws:s3:::bucket"}}}, "AppSecretsArgs.existing_secret_arns"
         "['backend']['DSN'] must be a Secrets Manager secret's ARN"),
    ],
)  # fmt: skip
def test_bad_application_secrets_args_are_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    args = AppSecretsArgs(name_prefix="webstack-b", secrets_key_arn=KEY, **changes)
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        AppSecrets("t-bad", args)


def test_a_one_off_task_is_locked_down_and_fails_the_update_unless_it_exits_0() -> None:
    construct(
        lambda: OneOffTask(
            "t-once",
            OneOffArgs(
                account=ACCOUNT,
                family="webstack-t-backend-migrate",
                container="migrate",
                image="ghcr.io/acme/api:1.0.0",
                command=["alembic", "upgrade", "head"],
                cluster_arn=CLUSTER,
                subnet_ids=SUBNETS,
                security_group_ids=[APP_SG],
                execution_role_arn=ROLE_ARN,
                task_role_arn=ROLE_ARN + "-task",
                log_group_name="/webstack-t/ecs/backend",
                triggers=["ghcr.io/acme/api:1.0.0"],
            ),
        )
    )
    (container,) = json.loads(one("t-once-task").inputs["containerDefinitions"])
    assert container["readonlyRootFilesystem"] is True
    assert container["privileged"] is False
    assert container["linuxParameters"]["capabilities"] == {"drop": ["ALL"]}
    assert container["user"] == "1000:1000"
    assert "portMappings" not in container
    run = one("t-once-run")
    assert run.inputs["create"].startswith("#!/bin/sh\n")
    assert "aws ecs run-task" in run.inputs["create"]
    assert run.inputs["environment"]["SUBNETS"] == ",".join(SUBNETS)
    assert run.inputs["environment"]["TIMEOUT_SECONDS"] == "1800"
    assert one("t-once-task").urn in run.dependencies


def _one_off_args(**changes: Any) -> OneOffArgs:
    return OneOffArgs(
        **{
            "account": ACCOUNT,
            "family": "webstack-t-once",
            "container": "once",
            "image": "ghcr.io/acme/api:1.0.0",
            "command": ["true"],
            "cluster_arn": CLUSTER,
            "subnet_ids": SUBNETS,
            "security_group_ids": [APP_SG],
            "execution_role_arn": ROLE_ARN,
            "task_role_arn": ROLE_ARN + "-task",
            "log_group_name": "/webstack-t/ecs/backend",
            **changes,
        }
    )


class _Prepared(pulumi.ComponentResource):
    """Stands in for what a task waits on: a component with children of its own."""

    def __init__(self, name: str) -> None:
        super().__init__("webstack:test:Prepared", name)
        import pulumi_aws as aws

        for index in range(2):
            aws.ssm.Parameter(
                f"{name}-part-{index}", type="String", value="x", opts=pulumi.ResourceOptions(parent=self)
            )


def test_a_one_off_task_runs_after_what_it_waits_for_and_keeps_its_inputs() -> None:
    def build() -> None:
        prepared = _Prepared("t-wait-prep")
        secret = aws.secretsmanager.Secret("t-wait-secret", name="x")
        OneOffTask("t-wait", _one_off_args(wait_for=[prepared.urn, pulumi.Output.secret(secret.arn)]))

    construct(build)
    run = one("t-wait-run")
    waited = {one(name).urn for name in ("t-wait-prep-part-0", "t-wait-prep-part-1", "t-wait-secret")}
    assert waited <= set(run.dependencies)  # a component's children, as depends_on on it would give
    assert one("t-wait-task").urn in run.dependencies
    assert run.inputs["environment"]["TASK_DEFINITION"] == "webstack-t-once"  # the family, and not made secret
    assert not is_secret(run.inputs["environment"]["TASK_DEFINITION"])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"user": "0:0"}, "OneOffArgs.user must not be root: the task runs unprivileged, got '0:0'"),
        ({"user": "root"}, "OneOffArgs.user must not be root"),
        ({"cpu": 300}, "OneOffArgs.cpu must be a Fargate size (256, 512, 1024, 2048, 4096, 8192, 16384), got 300"),
        ({"memory": 512}, "OneOffArgs.memory must be a size Fargate offers with cpu 512 (1024-4096 MiB in steps of "
         "1024), got 512"),
        ({"timeout_minutes": 0}, "OneOffArgs.timeout_minutes must be at least 1, got 0"),
        ({"command": []}, "OneOffArgs.command must name the command to run, got []"),
    ],
)  # fmt: skip
def test_bad_one_off_args_are_refused_naming_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        OneOffTask("t-bad-once", _one_off_args(**changes))


def test_persistent_files_are_encrypted_private_and_pinned_to_the_service_user() -> None:
    construct(
        lambda: PersistentFiles(
            "t-files",
            PersistentFilesArgs(
                account=ACCOUNT,
                name_prefix="webstack-t",
                service="backend",
                vpc_id="vpc-1",
                subnet_ids=SUBNETS,
                app_security_group_id=APP_SG,
                data_key_arn=KEY,
                user="1000:1001",
                path="/data",
            ),
        )
    )
    fs = one("t-files-fs")
    assert fs.inputs["encrypted"] is True
    assert fs.inputs["kmsKeyId"] == KEY
    assert len(registered("t-files-mount-", "aws:efs/mountTarget:MountTarget")) == len(SUBNETS)
    ingress = one("t-files-in-nfs-from-app").inputs
    assert (ingress["fromPort"], ingress["toPort"], ingress["referencedSecurityGroupId"]) == (
        NFS_PORT,
        NFS_PORT,
        APP_SG,
    )
    assert "cidrIpv4" not in ingress
    access_point = one("t-files-access-point").inputs
    assert access_point["posixUser"] == {"uid": 1000, "gid": 1001}
    assert access_point["rootDirectory"]["creationInfo"]["permissions"] == "0750"
    policy = _policy("t-files-policy")
    deny = next(s for s in policy["Statement"] if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_operator_access_reaches_one_container_of_one_task_family() -> None:
    statements = {
        s["Sid"]: s for s in operator_statements(CLUSTER, "web", "webstack-t-operations", [ROLE_ARN], ACCOUNT)
    }
    exec_statement = statements["EnterTheOperationsContainerOnly"]
    assert exec_statement["Action"] == "ecs:ExecuteCommand"
    assert exec_statement["Condition"]["StringEquals"] == {
        "ecs:container-name": "operations",
        "aws:ResourceTag/webstack:purpose": "operations",
    }
    assert statements["StartTheOperationsTask"]["Resource"].endswith(":task-definition/webstack-t-operations:*")
    assert statements["PassItsRoles"]["Condition"] == {
        "StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}
    }


def test_the_operations_task_keeps_a_read_only_root_and_named_operators_only() -> None:
    import pulumi_aws as aws

    def build() -> Operations:
        cluster = aws.ecs.Cluster("t-ops-cluster")
        logs = aws.cloudwatch.LogGroup("t-ops-sessions", kms_key_id=KEY, retention_in_days=365)
        return Operations(
            "t-ops",
            OperationsArgs(
                account=ACCOUNT,
                name_prefix="webstack-t",
                cluster=cluster,
                session_logs=logs,
                image="public.ecr.aws/docker/library/postgres:16-alpine",
                user="70:70",
                trusted_principal_arns=[f"arn:aws:iam::{ACCOUNT_ID}:role/oncall"],
                logs_key_arn=KEY,
                secrets_key_arn=KEY,
                reader_secret_arns=[f"arn:aws:secretsmanager:{TEST_REGION}:{ACCOUNT_ID}:secret:reader"],
                database_hosts=["db.internal"],
                database_port=5432,
                database_name="app",
            ),
        )

    construct(build)
    (container,) = json.loads(one("t-ops-task").inputs["containerDefinitions"])
    assert container["readonlyRootFilesystem"] is True
    assert {m["containerPath"] for m in container["mountPoints"]} == {"/tmp", *AGENT_PATHS.values()}
    assert {s["name"] for s in container["secrets"]} == {"DATABASE_READER_USER", "DATABASE_READER_PASSWORD"}
    trust = json.loads(one("web-t-ops-operator-role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:role/oncall"]}


def test_the_roles_sql_revokes_what_the_guides_revoke_and_names_no_password() -> None:
    postgres = postgres_roles_sql("app", iam_monitor=True)
    assert "REVOKE ALL ON DATABASE app FROM PUBLIC;" in postgres
    assert "REVOKE ALL ON SCHEMA public FROM PUBLIC;" in postgres
    assert "GRANT rds_iam TO monitor;" in postgres
    assert "\\getenv app_password WEBSTACK_APP_PASSWORD" in postgres
    assert "PASSWORD '" not in postgres
    mysql = mysql_roles_sql("app", iam_monitor=True)
    assert "IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'" in mysql
    assert "${WEBSTACK_APP_PASSWORD}" in mysql
    assert "`" not in mysql  # the bootstrap's here-document would run it as a command


@pytest.mark.parametrize("engine", ["postgres", "mysql"])
def test_the_bootstrap_verifies_the_server_and_fails_on_any_error(engine: str) -> None:
    script = bootstrap_script(engine, "app")
    assert script.startswith("set -eu\n")
    assert ("PGSSLMODE=verify-full" if engine == "postgres" else "--ssl-mode=VERIFY_IDENTITY") in script
    assert "$MASTER_PASSWORD" in script
    assert "ON_ERROR_STOP" in script or engine == "mysql"


def test_docker_secrets_arrive_as_files_named_by_their_variables() -> None:
    uploads, environment = app_secret_files({"SMTP_PASSWORD": "x" * 20})
    (upload,) = uploads
    assert upload.path == f"{APP_SECRETS_DIR}/SMTP_PASSWORD"
    assert upload.mode == "0400"
    assert environment == {"SMTP_PASSWORD_FILE": f"{APP_SECRETS_DIR}/SMTP_PASSWORD"}


def test_a_docker_migration_that_exits_non_zero_fails_the_update() -> None:
    assert check_exit("web-migrate", 0) == "succeeded"
    with pytest.raises(MigrationFailed, match=r"the migration failed: container .*web-migrate exited 3"):
        check_exit("web-migrate", 3)
