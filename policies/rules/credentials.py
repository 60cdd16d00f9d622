"""Credential rules: no default or weak password anywhere, and secrets under a customer-managed key.

Messages name the resource field (and for ECS the container and the variable), never the value. A password unknown
during preview is another resource's output, a generated one, so it is not a default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity

from ._common import pattern_setting, schema, setting
from ._props import UNKNOWN, aws_managed_key, is_list, is_set, list_items, name_words, prop

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
CACHE_USER = "aws:elasticache/user:User"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
SSM_PARAMETER = "aws:ssm/parameter:Parameter"
MQ_BROKER = "aws:mq/broker:Broker"
TASK_DEFINITION = "aws:ecs/taskDefinition:TaskDefinition"

SECURE_STRING = "SecureString"


def _text(value: Any) -> str | None:
    """A value as the text a password would be: strings, and whole numbers from JSON; None for anything else (absent,
    unknown, booleans, objects)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return None


# -- aws-no-default-passwords ------------------------------------------------------------------------------------------
#: Defaults that vendors ship and guides show (compared case-insensitively), including every password and
#: placeholder the deployment guides in shared/seeds print (admin123, secure_password, monitoring_password, pass,
#: your-smtp-password, <redis-password>, ...): a reader who copies a guide verbatim must not get through.
DEFAULT_DENY_LIST = [
    # the usual suspects
    "admin",
    "admin123",
    "admin1234",
    "administrator",
    "password",
    "password1",
    "password123",
    "password1234",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "changeme",
    "change-me",
    "changeit",
    "root",
    "toor",
    "postgres",
    "mysql",
    "redis",
    "secret",
    "letmein",
    "welcome",
    "qwerty",
    "abc123",
    "123456",
    "12345678",
    "123456789",
    "default",
    "guest",
    "test",
    "minio123",
    "minioadmin",
    # the deployment guides (shared/seeds)
    "pass",
    "secure_password",
    "monitoring_password",
    "your-smtp-password",
    "your-secure-jwt-secret-key-here",
    "your-webhook-auth-token",
    "your-aws-access-key",
    "your-aws-secret-key",
    "your_snyk_token",
    "<redis-password>",
    "<smtp-password>",
    "<minio-access-key>",
    "<minio-secret-key>",
    "<strong-production-secret-64-chars>",
]

#: Names (environment variables, JSON keys) whose values are credentials; camelCase is split into words first.
DEFAULT_CREDENTIAL_NAME_PATTERN = (
    r"(^|_)(PASS|PASSWD|PASSWORD|PASSPHRASE|PWD|PW|SECRET|TOKEN|KEY|APIKEY|AUTH|CREDENTIALS?)(_|$)"
)

#: JSON keys of a secret that describe a credential rather than hold one (the RDS secret format's engine, username,
#: host, ...): their values are not judged, so {"engine": "postgres"} is not a default password.
DEFAULT_NON_SECRET_JSON_KEYS = [
    "username",
    "user",
    "engine",
    "host",
    "hostname",
    "port",
    "dbname",
    "database",
    "dbInstanceIdentifier",
    "dbClusterIdentifier",
    "region",
]

# -- what is no credential ---------------------------------------------------------------------------------------------
#: The last word of a credential-named variable or key that holds a reference to a credential, or a setting about it
#: (``DB_SECRET_ARN``, ``API_TOKEN_PARAMETER``, ``AUTH_MODE``), not the credential itself.
REFERENCE_WORDS = frozenset(
    {"ARN", "ID", "NAME", "PATH", "PARAMETER", "PARAM", "URL", "URI", "ENDPOINT", "FILE", "TYPE", "MODE", "ENABLED"}
)

#: Values of a credential-named setting that are no credential.
NOT_CREDENTIALS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})

_PASSWORD_SCHEMA = schema(
    {
        "passwordDenyList": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_DENY_LIST,
            "description": "Known default and weak passwords, compared case-insensitively with every password, "
            "token, secret value and credential-named environment variable.",
        },
        "minLength": {
            "type": "integer",
            "default": 12,
            "description": "Fewest characters a password, token or secret value may have (environment variables are "
            "checked against the deny-list only).",
        },
        "credentialNamePattern": {
            "type": "string",
            "default": DEFAULT_CREDENTIAL_NAME_PATTERN,
            "description": "A regular expression (matched case-insensitively, with camelCase split into _-separated "
            "words) for the names of ECS environment variables and secret JSON keys that hold credentials. Set it to "
            "'.' to check every environment variable's value against the deny-list.",
        },
        "nonSecretJsonKeys": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_NON_SECRET_JSON_KEYS,
            "description": "JSON keys of a secret whose values describe the credential (engine, username, host) and "
            "are not judged.",
        },
    }
)

_GENERATE = "generate it instead (pulumi_random.RandomPassword(length=32), passed as a secret)"

#: How to fix a weak password, per resource type.
_FIXES = {
    RDS_INSTANCE: "set manage_master_user_password=True so that AWS generates and rotates it in Secrets Manager, or "
    + _GENERATE,
    RDS_CLUSTER: "set manage_master_user_password=True so that AWS generates and rotates it in Secrets Manager, or "
    + _GENERATE,
    REPLICATION_GROUP: "generate the token instead (pulumi_random.RandomPassword(length=64, special=False)) and keep "
    "it in Secrets Manager for the app",
    CACHE_USER: _GENERATE + ', or use authentication_mode type "iam"',
    SECRET_VERSION: "store a generated value instead (pulumi_random.RandomPassword(length=32))",
    SSM_PARAMETER: "store a generated value instead (pulumi_random.RandomPassword(length=32))",
    MQ_BROKER: _GENERATE,
    TASK_DEFINITION: "generate the password (pulumi_random.RandomPassword), keep it in Secrets Manager and hand it to "
    "the container through secrets[].valueFrom",
}


@dataclass(frozen=True)
class _Candidate:
    """A value that must not be a default password, and how messages name it."""

    subject: str
    """The field, e.g. ``master_password`` or ``Container 'grafana' variable GF_SECURITY_ADMIN_PASSWORD``."""
    value: str
    strict: bool
    """A password-holding field, which must also be long enough; environment values only meet the deny-list."""
    in_url: bool = False
    """The value is the password of a URL in the field (``postgres://app:<password>@db/app``)."""

    def problem(self, deny: frozenset[str], min_length: int) -> str | None:
        """What is wrong with the value, naming the field and never the value; None when nothing is."""
        if self.value == "":
            return None
        weak = self.value.strip().casefold() in deny
        short = self.strict and len(self.value) < min_length
        if self.in_url and weak:
            return f"The URL in {self.subject} carries a known default or weak password"
        if self.in_url and short:
            return f"The URL in {self.subject} carries a password shorter than {min_length} characters"
        if weak:
            return f"{self.subject} is set to a known default or weak password"
        if short:
            return f"{self.subject} is shorter than {min_length} characters"
        return None


@dataclass(frozen=True)
class _Names:
    """Which names hold credentials (a stricter check) and which JSON keys are descriptive (not checked)."""

    credential: re.Pattern[str]
    descriptive: frozenset[str]

    def is_credential(self, name: str) -> bool:
        return bool(self.credential.search(name_words(name)))


def _url_password(text: str) -> str | None:
    """The password in a URL with credentials (``postgres://app:password@db:5432/app``), else None."""
    if "://" not in text or "@" not in text:
        return None
    try:
        password = urlsplit(text.strip()).password
    except ValueError:
        return None
    return unquote(password) if password else None


def _with_url(subject: str, text: str, strict: bool) -> list[_Candidate]:
    """A secret's value, and the password in it when it is a URL with credentials (always password-holding)."""
    found = [_Candidate(subject, text, strict)]
    password = _url_password(text)
    if password:
        found.append(_Candidate(subject, password, True, in_url=True))
    return found


def _json_path(path: Sequence[str | int]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _json_values(
    value: Any, path: tuple[str | int, ...], key: str | None, names: _Names
) -> Iterator[tuple[str, str, bool]]:
    """(path, text, strict) for each string (and whole number) in parsed JSON, at any depth; values under descriptive
    keys are left out, and values under credential-named keys are strict."""
    if isinstance(value, Mapping):
        for child_key, child in value.items():
            yield from _json_values(child, (*path, str(child_key)), str(child_key), names)
    elif is_list(value):
        for index, child in enumerate(value):
            yield from _json_values(child, (*path, index), key, names)
    else:
        text = _text(value)
        if text is None or key is None or key.lower() in names.descriptive:
            return
        yield _json_path(path), text, names.is_credential(key)


def _secret_text(subject: str, value: Any, names: _Names) -> list[_Candidate]:
    """A secret's text: every value of a JSON object (at any depth), else the whole text."""
    text = _text(value)
    if text is None:
        return []
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        parsed = None
    if not isinstance(parsed, Mapping):
        return _with_url(subject, text, True)
    found: list[_Candidate] = []
    for path, item, strict in _json_values(parsed, (), None, names):
        found.extend(_with_url(f"{subject}'s JSON key '{path}'", item, strict))
    return found


def _fields(props: Mapping[str, Any], *fields: tuple[str, str]) -> list[_Candidate]:
    """Password-holding top-level fields: (engine name, name in messages)."""
    found: list[_Candidate] = []
    for key, label in fields:
        text = _text(prop(props, key))
        if text is not None:
            found.append(_Candidate(label, text, True))
    return found


def _list_field(values: Any, label: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    for index, item in enumerate(list_items(values)):
        text = _text(item)
        if text is not None:
            found.append(_Candidate(f"{label}[{index}]", text, True))
    return found


def _broker_users(props: Mapping[str, Any]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for index, user in enumerate(list_items(prop(props, "users"))):
        text = _text(prop(user, "password"))
        if text is None:
            continue
        username = prop(user, "username")
        who = f" (user '{username}')" if isinstance(username, str) and username else ""
        found.append(_Candidate(f"users[{index}].password{who}", text, True))
    return found


def _container_definitions(props: Mapping[str, Any]) -> list[Any]:
    """The task's container definitions, from JSON text or a list; [] when they cannot be read (the ECS rules report
    that). Definitions unknown during preview raise, so the analyzer reports that this rule could not run then."""
    raw = props.get("containerDefinitions")
    if isinstance(raw, (str, bytes)):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return list_items(raw)


def _environment(props: Mapping[str, Any], names: _Names) -> list[_Candidate]:
    """Credential-named environment variables of every container, and passwords in URLs of any variable."""
    found: list[_Candidate] = []
    for index, container in enumerate(_container_definitions(props)):
        name = prop(container, "name")
        label = f"Container '{name}'" if isinstance(name, str) and name else f"Container #{index + 1}"
        for position, entry in enumerate(list_items(prop(container, "environment"))):
            text = _text(prop(entry, "value"))
            if text is None:
                continue
            variable = prop(entry, "name")
            variable = variable if isinstance(variable, str) and variable else f"environment[{position}]"
            subject = f"{label} variable {variable}"
            if names.is_credential(variable):
                found.append(_Candidate(subject, text, False))
            password = _url_password(text)
            if password:
                found.append(_Candidate(subject, password, False, in_url=True))
    return found


def _parameter(props: Mapping[str, Any], names: _Names) -> list[_Candidate]:
    """A SecureString parameter's value; String and StringList parameters hold configuration, not credentials."""
    kind = prop(props, "type")
    if kind is not UNKNOWN and kind is not None and str(kind) != SECURE_STRING:
        return []
    return [
        *_secret_text("value", prop(props, "value"), names),
        *_secret_text("value_wo", prop(props, "valueWo"), names),
    ]


def _candidates(resource_type: str, props: Mapping[str, Any], names: _Names) -> list[_Candidate]:
    if resource_type == RDS_INSTANCE:
        return _fields(props, ("password", "password"), ("passwordWo", "password_wo"))
    if resource_type == RDS_CLUSTER:
        return _fields(props, ("masterPassword", "master_password"), ("masterPasswordWo", "master_password_wo"))
    if resource_type == REPLICATION_GROUP:
        return _fields(props, ("authToken", "auth_token"), ("authTokenWo", "auth_token_wo"))
    if resource_type == CACHE_USER:
        return [
            *_list_field(prop(props, "passwords"), "passwords"),
            *_fields(props, ("passwordsWo", "passwords_wo")),
            *_list_field(prop(prop(props, "authenticationMode"), "passwords"), "authentication_mode.passwords"),
        ]
    if resource_type == SECRET_VERSION:
        return [
            *_secret_text("secret_string", prop(props, "secretString"), names),
            *_secret_text("secret_string_wo", prop(props, "secretStringWo"), names),
        ]
    if resource_type == SSM_PARAMETER:
        return _parameter(props, names)
    if resource_type == MQ_BROKER:
        return _broker_users(props)
    if resource_type == TASK_DEFINITION:
        return _environment(props, names)
    return []


def _no_default_passwords(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in _FIXES:
        return
    credential = pattern_setting(args, _PASSWORD_SCHEMA, "credentialNamePattern")
    if isinstance(credential, str):
        report(credential, None)
        return
    descriptive = frozenset(str(k).lower() for k in setting(args, _PASSWORD_SCHEMA, "nonSecretJsonKeys"))
    deny = frozenset(str(p).strip().casefold() for p in setting(args, _PASSWORD_SCHEMA, "passwordDenyList"))
    min_length = int(float(setting(args, _PASSWORD_SCHEMA, "minLength")))
    fix = _FIXES[args.resource_type]
    for candidate in _candidates(args.resource_type, args.props, _Names(credential, descriptive)):
        problem = candidate.problem(deny, min_length)
        if problem:
            report(f"{problem}: {fix}.", None)


no_default_passwords = ResourceValidationPolicy(
    name="aws-no-default-passwords",
    description="Checks that no password, token or secret value in RDS, ElastiCache, Secrets Manager, SSM, Amazon MQ "
    "or a container's environment is a known default (admin123, changeme, ... and the guides' placeholders: "
    "`passwordDenyList`) or shorter than `minLength` (12) characters.",
    validate=_no_default_passwords,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_PASSWORD_SCHEMA,
    severity=Severity.CRITICAL,
    tags=["secrets", "authentication", "checklist:no-default-passwords"],
    remediation_steps="Never write a password into the program or its config: generate it "
    "(pulumi_random.RandomPassword(length=32)), or let AWS manage it (manage_master_user_password=True on RDS), "
    "store it in Secrets Manager, and hand it to containers through secrets[].valueFrom.",
)


# -- aws-secretsmanager-customer-key -----------------------------------------------------------------------------------
def _customer_key(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != SECRET:
        return
    key = prop(args.props, "kmsKeyId")
    if not is_set(key):
        report(
            "The secret names no kms_key_id, so Secrets Manager encrypts it with the AWS-managed aws/secretsmanager "
            "key, whose policy you cannot restrict: set kms_key_id to a customer-managed KMS key's ARN.",
            None,
        )
    elif aws_managed_key(key):
        report(
            "kms_key_id names an AWS-managed key alias, whose policy you cannot restrict: set it to a "
            "customer-managed KMS key's ARN.",
            None,
        )
    for index, replica in enumerate(list_items(prop(args.props, "replicas"))):
        if replica is UNKNOWN:
            continue
        region = prop(replica, "region")
        where = f"replicas[{index}]" + (f" ({region})" if isinstance(region, str) and region else "")
        replica_key = prop(replica, "kmsKeyId")
        if not is_set(replica_key) or aws_managed_key(replica_key):
            report(
                f"The secret's replica {where} is encrypted with the AWS-managed aws/secretsmanager key: set its "
                "kms_key_id to a customer-managed KMS key's ARN in that region.",
                None,
            )


secretsmanager_customer_key = ResourceValidationPolicy(
    name="aws-secretsmanager-customer-key",
    description="Checks that every Secrets Manager secret, and each of its replicas, is encrypted under a "
    "customer-managed KMS key, not `aws/secretsmanager`.",
    validate=_customer_key,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["secrets", "encryption", "checklist:secrets"],
    remediation_steps="Set kms_key_id=<customer-managed key>.arn on the aws.secretsmanager.Secret (and on every "
    "entry of replicas, with a key in the replica's region), and let only the roles that read the secret use the "
    "key.",
)

POLICIES = [no_default_passwords, secretsmanager_customer_key]
