"""Credential rules: generated passwords pass, defaults and short ones fail, and no message ever holds a password."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

from policies.rules.credentials import POLICIES, no_default_passwords, secretsmanager_customer_key
from tests.policies.support import analyzed, check_resource

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_USER = "aws:elasticache/user:User"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
MQ_BROKER = "aws:mq/broker:Broker"
TASK = "aws:ecs/taskDefinition:TaskDefinition"

#: What pulumi_random.RandomPassword hands the program.
GENERATED = "q7Rm2vXk9LpT4wZs8NbY3cHd6FjG1aE5"
TOKEN = "Zq9x" * 16

RDS_FIX = (
    "set manage_master_user_password=True so that AWS generates and rotates it in Secrets Manager, or generate it "
    "instead (pulumi_random.RandomPassword(length=32), passed as a secret)."
)
TOKEN_FIX = (
    "generate the token instead (pulumi_random.RandomPassword(length=64, special=False)) and keep it in Secrets "
    "Manager for the app."
)
USER_FIX = 'generate it instead (pulumi_random.RandomPassword(length=32), passed as a secret), or use authentication_mode type "iam".'  # noqa: E501
STORE_FIX = "store a generated value instead (pulumi_random.RandomPassword(length=32))."
MQ_FIX = "generate it instead (pulumi_random.RandomPassword(length=32), passed as a secret)."
ECS_FIX = (
    "generate the password (pulumi_random.RandomPassword), keep it in Secrets Manager and hand it to the container "
    "through secrets[].valueFrom."
)


def container(*env: tuple[str, Any], name: str = "backend") -> dict[str, Any]:
    return {
        "name": name,
        "image": "123.dkr.ecr.us-east-1.amazonaws.com/backend@sha256:0123",
        "environment": [
            {"name": "NODE_ENV", "value": "production"},
            {"name": "DEBUG", "value": "false"},
            *({"name": key, "value": value} for key, value in env),
        ],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"}],
    }


def task(*containers: dict[str, Any], as_text: bool = True) -> dict[str, Any]:
    definitions = list(containers or [container()])
    return {
        "family": "webstack-prod-backend",
        "containerDefinitions": json.dumps(definitions) if as_text else definitions,
    }


def rds_secret(**changes: Any) -> str:
    """A secret in the RDS format: only the password is a credential."""
    value = {
        "engine": "postgres",
        "username": "postgres",
        "password": GENERATED,
        "host": "db.internal",
        "port": 5432,
        "dbname": "app",
    }
    return json.dumps(value | changes)


#: What the program registers, per resource type: every one passes.
COMPLIANT: list[tuple[str, dict[str, Any]]] = [
    (RDS_INSTANCE, {"instanceClass": "db.t4g.medium", "username": "app", "password": GENERATED}),
    (RDS_INSTANCE, {"instanceClass": "db.t4g.medium", "username": "app", "manageMasterUserPassword": True}),
    (RDS_CLUSTER, {"engine": "aurora-postgresql", "masterUsername": "app", "masterPassword": GENERATED}),
    (REPLICATION_GROUP, {"description": "webstack-prod cache", "authToken": TOKEN}),
    (CACHE_USER, {"userId": "app", "userName": "app", "engine": "redis", "passwords": [GENERATED, TOKEN]}),
    (CACHE_USER, {"userId": "app", "authenticationMode": {"type": "password", "passwords": [GENERATED]}}),
    (
        SECRET_VERSION,
        {"secretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", "secretString": GENERATED},
    ),
    (SECRET_VERSION, {"secretId": "db", "secretString": rds_secret()}),
    (SSM_PARAMETER, {"name": "/webstack/db", "type": "SecureString", "value": GENERATED}),
    (SSM_PARAMETER, {"name": "/webstack/cache-engine", "type": "String", "value": "redis"}),
    (MQ_BROKER, {"brokerName": "events", "users": [{"username": "app", "password": GENERATED}]}),
    (TASK, task()),
    (TASK, task(container(("CACHE_DRIVER", "redis"), ("DB_HOST", "postgres"), ("APP_MODE", "test")))),
    (TASK, task(container(("DATABASE_URL", f"postgres://app:{GENERATED}@db:5432/app")))),
]


def check(resource_type: str, props: Any, config: dict[str, Any] | None = None) -> list[str]:
    """The aws-no-default-passwords messages of one resource, read through the analyzer's read-only proxies."""
    return check_resource(no_default_passwords, resource_type, analyzed(props), config=config)


# -- the rules' metadata -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_rule_is_described_for_people(policy: ResourceValidationPolicy) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", policy.name)
    assert policy.description.startswith("Checks that ")
    assert policy.enforcement_level == EnforcementLevel.MANDATORY
    assert policy.severity is not None
    assert policy.remediation_steps
    assert len([tag for tag in policy.tags or [] if tag.startswith("checklist:")]) == 1
    for spec in (policy.config_schema.properties if policy.config_schema else {}).values():
        assert "type" in spec
        assert "default" in spec


# -- aws-no-default-passwords: what passes -----------------------------------------------------------------------------
COMPLIANT_IDS = [
    "rds-instance",
    "rds-instance-managed-password",
    "rds-cluster",
    "replication-group",
    "cache-user",
    "cache-user-authentication-mode",
    "secret-version",
    "secret-version-rds-json",
    "ssm-secure-string",
    "ssm-string-configuration",
    "mq-broker",
    "task",
    "task-configuration-values",
    "task-database-url",
]


@pytest.mark.parametrize(("resource_type", "props"), COMPLIANT, ids=COMPLIANT_IDS)
def test_generated_passwords_pass(resource_type: str, props: dict[str, Any]) -> None:
    assert check(resource_type, props) == []


def test_already_parsed_container_definitions_are_read_too() -> None:
    assert check(TASK, task(as_text=False)) == []
    (message,) = check(TASK, task(container(("GF_SECURITY_ADMIN_PASSWORD", "admin123")), as_text=False))
    assert message.startswith("Container 'backend' variable GF_SECURITY_ADMIN_PASSWORD is set to a known default")


def test_other_resources_are_ignored() -> None:
    assert check("aws:iam/user:User", {"password": "admin"}) == []
    assert check(SECRET, {"name": "admin"}) == []


def test_resources_without_passwords_pass() -> None:
    assert check(RDS_INSTANCE, {"instanceClass": "db.t4g.medium"}) == []
    assert check(SECRET_VERSION, {"secretId": "db", "secretBinary": "YWRtaW4="}) == []
    assert check(MQ_BROKER, {"brokerName": "events"}) == []


# -- aws-no-default-passwords: every field -----------------------------------------------------------------------------
#: (resource type, props holding ``value``, the field messages name, the fix).
FIELDS: list[tuple[str, Any, str, str]] = [
    (RDS_INSTANCE, lambda v: {"password": v}, "password", RDS_FIX),
    (RDS_INSTANCE, lambda v: {"passwordWo": v}, "password_wo", RDS_FIX),
    (RDS_CLUSTER, lambda v: {"masterPassword": v}, "master_password", RDS_FIX),
    (RDS_CLUSTER, lambda v: {"masterPasswordWo": v}, "master_password_wo", RDS_FIX),
    (REPLICATION_GROUP, lambda v: {"authToken": v}, "auth_token", TOKEN_FIX),
    (REPLICATION_GROUP, lambda v: {"authTokenWo": v}, "auth_token_wo", TOKEN_FIX),
    (CACHE_USER, lambda v: {"passwords": [GENERATED, v]}, "passwords[1]", USER_FIX),
    (CACHE_USER, lambda v: {"passwordsWo": v}, "passwords_wo", USER_FIX),
    (
        CACHE_USER,
        lambda v: {"authenticationMode": {"type": "password", "passwords": [v]}},
        "authentication_mode.passwords[0]",
        USER_FIX,
    ),
    (SECRET_VERSION, lambda v: {"secretString": v}, "secret_string", STORE_FIX),
    (SECRET_VERSION, lambda v: {"secretStringWo": v}, "secret_string_wo", STORE_FIX),
    (
        SECRET_VERSION,
        lambda v: {"secretString": rds_secret(password=v)},
        "secret_string's JSON key 'password'",
        STORE_FIX,
    ),
    (SSM_PARAMETER, lambda v: {"type": "SecureString", "value": v}, "value", STORE_FIX),
    (SSM_PARAMETER, lambda v: {"type": "SecureString", "valueWo": v}, "value_wo", STORE_FIX),
    (MQ_BROKER, lambda v: {"users": [{"username": "app", "password": v}]}, "users[0].password (user 'app')", MQ_FIX),
]
FIELD_IDS = [f"{kind.split(':')[1]}-{field}" for kind, _, field, _ in FIELDS]


@pytest.mark.parametrize(("resource_type", "props", "field", "fix"), FIELDS, ids=FIELD_IDS)
def test_a_default_password_fails_in_every_field(resource_type: str, props: Any, field: str, fix: str) -> None:
    assert check(resource_type, props("admin123")) == [f"{field} is set to a known default or weak password: {fix}"]


@pytest.mark.parametrize(("resource_type", "props", "field", "fix"), FIELDS, ids=FIELD_IDS)
def test_a_short_password_fails_in_every_field(resource_type: str, props: Any, field: str, fix: str) -> None:
    assert check(resource_type, props("Xk9#f2Lp")) == [f"{field} is shorter than 12 characters: {fix}"]


@pytest.mark.parametrize(("resource_type", "props", "field", "fix"), FIELDS, ids=FIELD_IDS)
def test_a_password_unknown_during_preview_is_generated_and_passes(
    resource_type: str, props: Any, field: str, fix: str
) -> None:
    assert check(resource_type, props(UNKNOWN_STRING_VALUE)) == []


@pytest.mark.parametrize(("resource_type", "props", "field", "fix"), FIELDS, ids=FIELD_IDS)
def test_a_generated_password_passes_in_every_field(resource_type: str, props: Any, field: str, fix: str) -> None:
    assert check(resource_type, props(GENERATED)) == []


def test_a_default_password_in_an_ecs_environment_variable_fails() -> None:
    props = task(container(("GF_SECURITY_ADMIN_PASSWORD", "admin123"), name="grafana"))
    assert check(TASK, props) == [
        f"Container 'grafana' variable GF_SECURITY_ADMIN_PASSWORD is set to a known default or weak password: {ECS_FIX}"
    ]


@pytest.mark.parametrize(
    "name", ["POSTGRES_PASSWORD", "MYSQL_ROOT_PASSWORD", "MINIO_SECRET_KEY", "RABBITMQ_DEFAULT_PASS", "adminPassword"]
)
def test_every_credential_named_environment_variable_is_checked(name: str) -> None:
    (message,) = check(TASK, task(container((name, "minioadmin"))))
    assert message.startswith(f"Container 'backend' variable {name} is set to a known default or weak password")


def test_environment_values_meet_the_deny_list_only_not_the_length() -> None:
    assert check(TASK, task(container(("GF_SECURITY_ADMIN_PASSWORD", "Xk9#f2")))) == []


def test_a_default_password_in_a_second_container_is_named_by_position() -> None:
    second = container(("REDIS_PASSWORD", "redis"))
    second.pop("name")
    (message,) = check(TASK, task(container(), second))
    assert message.startswith("Container #2 variable REDIS_PASSWORD is set to a known default")


def test_a_default_password_in_an_environment_url_fails_whatever_the_variable() -> None:
    props = task(container(("CACHE_URL", "redis://default:changeme@cache:6379/0")))
    assert check(TASK, props) == [
        f"The URL in Container 'backend' variable CACHE_URL carries a known default or weak password: {ECS_FIX}"
    ]


def test_an_environment_value_unknown_during_preview_passes() -> None:
    props = task(container(("GF_SECURITY_ADMIN_PASSWORD", UNKNOWN_STRING_VALUE)), as_text=False)
    assert check(TASK, props) == []


def test_container_definitions_unknown_during_preview_are_left_to_the_analyzer() -> None:
    """The analyzer reports "can't run policy during preview" and the rule runs at update, when they are known."""
    with pytest.raises(UnknownValueError):
        check(TASK, {"family": "backend", "containerDefinitions": UNKNOWN_STRING_VALUE})


def test_unreadable_container_definitions_are_left_to_the_ecs_rules() -> None:
    assert check(TASK, {"containerDefinitions": '[{"name": "backend"'}) == []
    assert check(TASK, {"containerDefinitions": 42}) == []


# -- aws-no-default-passwords: the deny-list ---------------------------------------------------------------------------
@pytest.mark.parametrize("password", ["ADMIN123", "Admin123", "ChangeMe", " changeme ", "PassWord", "MinioAdmin"])
def test_the_deny_list_is_compared_case_insensitively(password: str) -> None:
    (message,) = check(RDS_INSTANCE, {"password": password})
    assert message.startswith("password is set to a known default or weak password")


@pytest.mark.parametrize(
    "password", ["admin123", "secure_password", "monitoring_password", "your-smtp-password", "<redis-password>"]
)
def test_the_passwords_the_deployment_guides_show_are_denied(password: str) -> None:
    (message,) = check(SECRET_VERSION, {"secretString": password})
    assert message.startswith("secret_string is set to a known default or weak password")


def test_a_long_default_password_fails_as_a_default() -> None:
    (message,) = check(RDS_INSTANCE, {"password": "your-secure-jwt-secret-key-here"})
    assert message == f"password is set to a known default or weak password: {RDS_FIX}"


def test_the_deny_list_is_configurable() -> None:
    config = {"passwordDenyList": ["Webstack-2024-Launch"]}
    (message,) = check(RDS_INSTANCE, {"password": "webstack-2024-launch"}, config=config)
    assert message.startswith("password is set to a known default or weak password")
    assert check(RDS_INSTANCE, {"password": "administrator"}, config=config) == []


def test_the_minimum_length_is_configurable() -> None:
    (message,) = check(RDS_INSTANCE, {"password": GENERATED}, config={"minLength": 40})
    assert message == f"password is shorter than 40 characters: {RDS_FIX}"
    assert check(RDS_INSTANCE, {"password": "Xk9#f2Lp"}, config={"minLength": 8}) == []


def test_an_empty_password_is_not_set_rather_than_weak() -> None:
    assert check(RDS_INSTANCE, {"password": ""}) == []


# -- aws-no-default-passwords: secret strings --------------------------------------------------------------------------
def test_nested_json_secret_values_are_checked_at_any_depth() -> None:
    secret = json.dumps(
        {"db": {"users": [{"name": "app", "password": GENERATED}, {"name": "ops", "password": "root"}]}}
    )
    assert check(SECRET_VERSION, {"secretString": secret}) == [
        f"secret_string's JSON key 'db.users[1].password' is set to a known default or weak password: {STORE_FIX}"
    ]


def test_short_nested_json_credentials_fail() -> None:
    secret = json.dumps({"grafana": {"adminPassword": "Xk9#f2"}, "apiKey": "k3y"})
    assert check(SECRET_VERSION, {"secretString": secret}) == [
        f"secret_string's JSON key 'grafana.adminPassword' is shorter than 12 characters: {STORE_FIX}",
        f"secret_string's JSON key 'apiKey' is shorter than 12 characters: {STORE_FIX}",
    ]


def test_json_values_under_other_keys_meet_the_deny_list_only() -> None:
    assert check(SECRET_VERSION, {"secretString": json.dumps({"note": "short", "tier": "gold"})}) == []
    (message,) = check(SECRET_VERSION, {"secretString": json.dumps({"note": "changeme"})})
    assert message.startswith("secret_string's JSON key 'note' is set to a known default or weak password")


def test_descriptive_json_keys_of_an_rds_secret_are_not_judged() -> None:
    assert check(SECRET_VERSION, {"secretString": rds_secret(username="admin", engine="mysql")}) == []


def test_the_descriptive_json_keys_are_configurable() -> None:
    found = check(SECRET_VERSION, {"secretString": rds_secret()}, config={"nonSecretJsonKeys": []})
    assert [m.split(" is set")[0] for m in found] == [
        "secret_string's JSON key 'engine'",
        "secret_string's JSON key 'username'",
    ]
    assert check(SECRET_VERSION, {"secretString": rds_secret()}, config={"nonSecretJsonKeys": ["engine"]}) != []


def test_a_json_number_password_is_checked_as_text() -> None:
    (message,) = check(SECRET_VERSION, {"secretString": json.dumps({"pin": 123456, "password": GENERATED})})
    assert message.startswith("secret_string's JSON key 'pin' is set to a known default")


@pytest.mark.parametrize("secret", ['["admin"]', '"admin"', "12345678"], ids=["array", "string", "number"])
def test_json_that_is_not_an_object_is_judged_whole(secret: str) -> None:
    (message,) = check(SECRET_VERSION, {"secretString": secret})
    assert message.startswith("secret_string is")


def test_a_default_password_in_a_connection_url_fails() -> None:
    secret = json.dumps({"url": "postgresql+asyncpg://user:pass@prod-db:5432/scholarship_prod"})
    assert check(SECRET_VERSION, {"secretString": secret}) == [
        f"The URL in secret_string's JSON key 'url' carries a known default or weak password: {STORE_FIX}"
    ]
    (message,) = check(SECRET_VERSION, {"secretString": "redis://:Xk9f2@cache:6379"})
    assert message == f"The URL in secret_string carries a password shorter than 12 characters: {STORE_FIX}"


def test_a_secret_string_unknown_during_preview_passes() -> None:
    assert check(SECRET_VERSION, {"secretId": "db", "secretString": UNKNOWN_STRING_VALUE}) == []


def test_string_parameters_hold_configuration_not_credentials() -> None:
    assert check(SSM_PARAMETER, {"type": "String", "value": "admin"}) == []
    assert check(SSM_PARAMETER, {"type": "StringList", "value": "redis,postgres"}) == []
    assert check(SSM_PARAMETER, {"type": "String", "insecureValue": "admin"}) == []


def test_a_parameter_whose_type_is_unknown_is_checked() -> None:
    (message,) = check(SSM_PARAMETER, {"type": UNKNOWN_STRING_VALUE, "value": "admin"})
    assert message.startswith("value is set to a known default or weak password")


# -- aws-no-default-passwords: lists and configuration -----------------------------------------------------------------
def test_every_weak_cache_user_password_is_reported() -> None:
    assert check(CACHE_USER, {"passwords": ["redis", GENERATED, "short"]}) == [
        f"passwords[0] is set to a known default or weak password: {USER_FIX}",
        f"passwords[2] is shorter than 12 characters: {USER_FIX}",
    ]


def test_list_entries_unknown_during_preview_are_generated_and_pass() -> None:
    assert check(CACHE_USER, {"passwords": [UNKNOWN_STRING_VALUE, GENERATED]}) == []
    assert check(MQ_BROKER, {"users": [UNKNOWN_STRING_VALUE, {"username": "app", "password": GENERATED}]}) == []
    assert check(CACHE_USER, {"passwords": UNKNOWN_STRING_VALUE}) == []


def test_a_broker_user_without_a_username_is_named_by_position() -> None:
    assert check(MQ_BROKER, {"users": [{"password": "guest"}]}) == [
        f"users[0].password is set to a known default or weak password: {MQ_FIX}"
    ]


def test_the_credential_name_pattern_is_configurable() -> None:
    props = task(container(("CACHE_DRIVER", "redis"), ("GF_SECURITY_ADMIN_PASSWORD", "admin")))
    found = check(TASK, props, config={"credentialNamePattern": "."})
    assert [m.split(" is set")[0] for m in found] == [
        "Container 'backend' variable CACHE_DRIVER",
        "Container 'backend' variable GF_SECURITY_ADMIN_PASSWORD",
    ]
    found = check(TASK, props, config={"credentialNamePattern": "^CACHE_"})
    assert [m.split(" is set")[0] for m in found] == ["Container 'backend' variable CACHE_DRIVER"]


def test_an_invalid_credential_name_pattern_is_reported_not_raised() -> None:
    (message,) = check(RDS_INSTANCE, {"password": GENERATED}, config={"credentialNamePattern": "("})
    assert message.startswith("The policy's credentialNamePattern is not a valid regular expression")


# -- aws-no-default-passwords: no message holds a password -------------------------------------------------------------
LEAKS = ["Zq9-leak-default-A", "Zq9s", "Zq9-leak-url-B"]


def test_no_message_contains_a_password() -> None:
    config = {"passwordDenyList": ["Zq9-leak-default-A", "Zq9-leak-url-B"]}
    cases: list[tuple[str, dict[str, Any]]] = [
        (RDS_INSTANCE, {"password": "Zq9-leak-default-A"}),
        (RDS_CLUSTER, {"masterPassword": "Zq9s"}),
        (REPLICATION_GROUP, {"authToken": "Zq9s"}),
        (CACHE_USER, {"passwords": ["Zq9-leak-default-A", "Zq9s"]}),
        (SECRET_VERSION, {"secretString": json.dumps({"a": {"password": "Zq9s"}, "b": "Zq9-leak-default-A"})}),
        (SECRET_VERSION, {"secretString": "postgres://app:Zq9-leak-url-B@db/app"}),
        (SSM_PARAMETER, {"type": "SecureString", "value": "Zq9s"}),
        (MQ_BROKER, {"users": [{"username": "app", "password": "Zq9-leak-default-A"}]}),
        (TASK, task(container(("DB_PASSWORD", "Zq9-leak-default-A"), ("X_URL", "https://u:Zq9-leak-url-B@h")))),
    ]
    found = [m for resource_type, props in cases for m in check(resource_type, props, config=config)]
    assert len(found) == 12
    assert not [m for m in found if any(leak in m for leak in LEAKS)]


# -- aws-secretsmanager-customer-key -----------------------------------------------------------------------------------
SECRET_PROPS = {
    "name": "webstack-prod/db",
    "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/secrets",
    "recoveryWindowInDays": 30.0,
}
NO_SECRET_KEY = (
    "The secret names no kms_key_id, so Secrets Manager encrypts it with the AWS-managed aws/secretsmanager key, "
    "whose policy you cannot restrict: set kms_key_id to a customer-managed KMS key's ARN."
)


def check_secret(props: dict[str, Any]) -> list[str]:
    return check_resource(secretsmanager_customer_key, SECRET, analyzed(props))


def test_a_secret_under_a_customer_key_passes() -> None:
    assert check_secret(SECRET_PROPS) == []


def test_a_key_unknown_during_preview_counts_as_set() -> None:
    assert check_secret({**SECRET_PROPS, "kmsKeyId": UNKNOWN_STRING_VALUE}) == []


@pytest.mark.parametrize("key", [None, "", " "])
def test_a_secret_without_a_key_fails(key: str | None) -> None:
    props = {k: v for k, v in SECRET_PROPS.items() if k != "kmsKeyId"} | ({} if key is None else {"kmsKeyId": key})
    assert check_secret(props) == [NO_SECRET_KEY]


@pytest.mark.parametrize(
    "key", ["alias/aws/secretsmanager", "arn:aws:kms:us-east-1:123456789012:alias/aws/secretsmanager"]
)
def test_the_aws_managed_key_fails(key: str) -> None:
    (message,) = check_secret({**SECRET_PROPS, "kmsKeyId": key})
    assert message == (
        "kms_key_id names an AWS-managed key alias, whose policy you cannot restrict: set it to a customer-managed "
        "KMS key's ARN."
    )


def test_a_customer_key_alias_passes() -> None:
    assert check_secret({**SECRET_PROPS, "kmsKeyId": "alias/webstack-secrets"}) == []


def test_a_replica_under_a_customer_key_passes() -> None:
    replicas = [{"region": "us-west-2", "kmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/secrets"}]
    assert check_secret({**SECRET_PROPS, "replicas": replicas}) == []


def test_a_replica_without_a_key_fails() -> None:
    replicas = [{"region": "us-west-2", "kmsKeyId": "arn:aws:kms:us-west-2:123456789012:key/secrets"}, {}]
    replicas.append({"region": "eu-west-1", "kmsKeyId": "alias/aws/secretsmanager"})
    assert check_secret({**SECRET_PROPS, "replicas": replicas}) == [
        "The secret's replica replicas[1] is encrypted with the AWS-managed aws/secretsmanager key: set its kms_key_id "
        "to a customer-managed KMS key's ARN in that region.",
        "The secret's replica replicas[2] (eu-west-1) is encrypted with the AWS-managed aws/secretsmanager key: set "
        "its kms_key_id to a customer-managed KMS key's ARN in that region.",
    ]


def test_the_customer_key_rule_ignores_other_resources() -> None:
    assert check_resource(secretsmanager_customer_key, SECRET_VERSION, {"secretString": GENERATED}) == []
