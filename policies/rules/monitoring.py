"""Monitoring service rules: Grafana signs people in through SSO only, Prometheus logs and encrypts under a customer
key, and no monitoring resource carries a credential in plain text.

Values unknown during a preview: references to other resources (KMS keys, log group ARNs, subscription endpoints,
environment variable values) count as set, and as no default. Settings the program writes literally (authentication
providers, a Prometheus workspace's logging_configuration as a whole) are reported when unknown, with the advice to
set them directly. An alert manager definition, a Grafana configuration or a canary's run_config that is unknown as a
whole (text built from another resource's output) is left to the analyzer, which reports that the rule could not run
during preview; the rule runs at update, when the text is known.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from ._common import pattern_setting, schema, setting
from ._props import UNKNOWN, as_text, aws_managed_key, is_list, is_set, list_items, name_words, prop, unknown_message
from .alarms import TOPIC_SUBSCRIPTION
from .credentials import DEFAULT_CREDENTIAL_NAME_PATTERN, DEFAULT_DENY_LIST, NOT_CREDENTIALS, REFERENCE_WORDS

GRAFANA_WORKSPACE = "aws:grafana/workspace:Workspace"
GRAFANA_API_KEY = "aws:grafana/workspaceApiKey:WorkspaceApiKey"
CANARY = "aws:synthetics/canary:Canary"
ALERT_MANAGER_DEFINITION = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
AMP_WORKSPACE = "aws:amp/workspace:Workspace"


# -- Grafana SSO -------------------------------------------------------------------------------------------------------
SSO_PROVIDERS = ("AWS_SSO", "SAML")
SSO_EXAMPLE = '["AWS_SSO"]'


def _grafana_sso(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != GRAFANA_WORKSPACE:
        return
    providers = prop(args.props, "authenticationProviders")
    items = list_items(providers)
    if providers is UNKNOWN or any(item is UNKNOWN for item in items):
        report(unknown_message("authentication_providers", SSO_EXAMPLE), None)
        return
    others = [f"'{as_text(item)}'" for item in items if as_text(item) not in SSO_PROVIDERS]
    if not items:
        report(
            "The workspace names no authentication_providers, so it is not tied to the organisation's SSO: set "
            f'authentication_providers={SSO_EXAMPLE} (IAM Identity Center) or ["SAML"].',
            None,
        )
    elif others:
        report(
            f"The workspace signs users in through {', '.join(others)}, which is not SSO: set "
            f'authentication_providers={SSO_EXAMPLE} (IAM Identity Center) or ["SAML"] only.',
            None,
        )


grafana_sso_only = ResourceValidationPolicy(
    name="aws-grafana-sso-only",
    description="Checks that every Amazon Managed Grafana workspace signs users in through SSO only (IAM Identity "
    "Center or SAML).",
    validate=_grafana_sso,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["grafana", "authentication", "checklist:least-privilege", "checklist:no-default-passwords"],
    remediation_steps='Set authentication_providers=["AWS_SSO"] (or ["SAML"]) on every aws.grafana.Workspace and '
    "grant access through aws.grafana.RoleAssociation.",
)


def _grafana_api_keys(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == GRAFANA_API_KEY:
        report(
            "Grafana API keys are long-lived and bypass SSO, so whoever holds one keeps access after leaving: remove "
            "the aws.grafana.WorkspaceApiKey; sign people in as SSO users, and give automation a service account with "
            "short-lived tokens (aws.grafana.WorkspaceServiceAccount and an aws.grafana.WorkspaceServiceAccountToken "
            "with a short seconds_to_live).",
            None,
        )


grafana_no_api_keys = ResourceValidationPolicy(
    name="aws-grafana-no-api-keys",
    description="Checks that the stack creates no long-lived Grafana workspace API keys, which bypass SSO.",
    validate=_grafana_api_keys,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=["grafana", "authentication", "checklist:least-privilege"],
    remediation_steps="Replace aws.grafana.WorkspaceApiKey with SSO users, or a service account with short-lived "
    "tokens for automation.",
)


# -- Prometheus logs and encryption ------------------------------------------------------------------------------------
AMP_LOGGING_EXAMPLE = 'logging_configuration={"log_group_arn": <log group>.arn.apply(lambda arn: f"{arn}:*")}'


def _amp_logging(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != AMP_WORKSPACE:
        return
    logging = prop(args.props, "loggingConfiguration")
    if logging is UNKNOWN:
        report(unknown_message("logging_configuration", f"a literal object ({AMP_LOGGING_EXAMPLE})"), None)
    elif not is_set(prop(logging, "logGroupArn")):
        report(
            "The workspace sends its logs nowhere, so failing recording and alerting rules and alerts the alert "
            "manager cannot deliver go unnoticed: set "
            f"{AMP_LOGGING_EXAMPLE}, a CloudWatch log group with retention and a customer-managed key.",
            None,
        )


amp_workspace_logging = ResourceValidationPolicy(
    name="aws-amp-workspace-logging",
    description="Checks that every Amazon Managed Service for Prometheus workspace sends its logs to a CloudWatch "
    "log group.",
    validate=_amp_logging,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["monitoring", "logging", "checklist:logging"],
    remediation_steps="Set logging_configuration={log_group_arn: <log group ARN>:*} on every aws.amp.Workspace: an "
    "aws.cloudwatch.LogGroup under /aws/vendedlogs/ with retention and a customer key, and a log resource policy "
    "that lets delivery.logs.amazonaws.com write.",
)


def _amp_key(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != AMP_WORKSPACE:
        return
    key = prop(args.props, "kmsKeyArn")
    if not is_set(key):
        report(
            "The workspace sets no kms_key_arn, so its metrics are encrypted under an AWS-owned key whose use you can "
            "neither audit nor revoke: set kms_key_arn to a customer-managed KMS key's ARN (it cannot be changed "
            "later; the workspace is replaced).",
            None,
        )
    elif aws_managed_key(key):
        report(
            f"kms_key_arn names the AWS-managed key {as_text(key)}, whose key policy you cannot change: set "
            "kms_key_arn to a customer-managed KMS key's ARN.",
            None,
        )


amp_workspace_customer_key = ResourceValidationPolicy(
    name="aws-amp-workspace-customer-key",
    description="Checks that every Amazon Managed Service for Prometheus workspace encrypts its data under a "
    "customer-managed KMS key.",
    validate=_amp_key,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=["monitoring", "encryption", "checklist:encryption-at-rest"],
    remediation_steps="Set kms_key_arn=<customer-managed key>.arn on every aws.amp.Workspace; a new key replaces the "
    "workspace.",
)


# -- no default credentials --------------------------------------------------------------------------------------------
#: Alertmanager keys whose values are credentials (``basic_auth.password``, ``authorization.credentials``, ...).
ALERTMANAGER_SECRET_KEYS = (
    "password",
    "bearer_token",
    "credentials",
    "auth_password",
    "smtp_auth_password",
    "smtp_auth_secret",
    "api_key",
    "api_secret",
    "routing_key",
    "service_key",
    "bot_token",
    "token",
)
_ALERTMANAGER_SECRET = re.compile(
    r"(?<![\w.-])[\"']?(" + "|".join(ALERTMANAGER_SECRET_KEYS) + r")[\"']?[ \t]*:[ \t]*([^,}\n]*)", re.IGNORECASE
)
#: An empty YAML value, or one that only opens a nested mapping or a comment.
_YAML_EMPTY = frozenset({"", "null", "~", '""', "''"})
#: A URL anywhere in a text, up to a space, a quote or the end of a YAML flow collection's entry.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\",}\]]+")

_CREDENTIALS_SCHEMA = schema(
    {
        "passwordDenyList": {
            "type": "array",
            "items": {"type": "string"},
            "default": DEFAULT_DENY_LIST,
            "description": "Known default and weak passwords, compared case-insensitively with credential-named "
            "canary variables and Grafana configuration keys, and with passwords in URLs.",
        },
        "credentialNamePattern": {
            "type": "string",
            "default": DEFAULT_CREDENTIAL_NAME_PATTERN,
            "description": "A regular expression (matched case-insensitively, with camelCase split into _-separated "
            "words) for the names of canary environment variables and Grafana configuration keys that hold "
            "credentials; any literal value of one fails, unless its last word names a reference (ARN, ID, NAME, ...).",
        },
    }
)

#: Who can read a resource's configuration, and how to fix a credential in it, per resource type.
_EXPOSURE = {
    CANARY: (
        "anyone who can read the canary's configuration sees it",
        "keep the credential in Secrets Manager and have the canary script read it at run time (grant the canary's "
        "execution role secretsmanager:GetSecretValue on that secret)",
    ),
    TOPIC_SUBSCRIPTION: (
        "anyone who can read the subscription's configuration sees it",
        "remove the credentials from the URL and have the endpoint check that requests come from SNS (verify the "
        "message signature) instead; a chat webhook's own secret URL, passed as a Pulumi secret, needs no password",
    ),
    ALERT_MANAGER_DEFINITION: (
        "anyone who can read the workspace's alert manager definition sees it",
        "route alerts to SNS (receivers with sns_configs: [{topic_arn: <alerts topic>.arn, sigv4: {region: ...}}]), "
        "which needs no password or token, and keep credentials out of the definition",
    ),
    GRAFANA_WORKSPACE: (
        "anyone who can read the workspace's configuration sees it",
        "keep the credential out of the workspace configuration: give data sources IAM access (permission_type "
        '"CUSTOMER_MANAGED" with a role of the stack) and keep any other secret in Secrets Manager',
    ),
}


@dataclass(frozen=True)
class _Judge:
    """What counts as a credential: names (split into words) and known default passwords."""

    credential: re.Pattern[str]
    deny: frozenset[str]

    def default(self, text: str) -> bool:
        return text.strip().casefold() in self.deny

    def named(self, subject: str, name: str, text: str) -> str | None:
        """What is wrong with a credential-named setting's literal value; None when nothing is (or it is not one)."""
        words = name_words(name)
        if not self.credential.search(words):
            return None
        if self.default(text):
            return f"{subject} is set to a known default or weak password"
        reference = words.upper().rsplit("_", 1)[-1] in REFERENCE_WORDS or text.strip().startswith("arn:")
        if reference or text.strip().lower() in NOT_CREDENTIALS:
            return None
        return f"{subject} holds a credential in plain text"

    def url(self, subject: str, text: str) -> str | None:
        """What is wrong with a URL that carries credentials; None for any other text."""
        if "://" not in text or "@" not in text:
            return None
        try:
            parts = urlsplit(text.strip())
            user, password = parts.username, parts.password
        except ValueError:
            return None
        if password and self.default(unquote(password)):
            return f"{subject} is a URL that carries a known default or weak password"
        if user or password:
            return f"{subject} is a URL with credentials (user:password@host)"
        return None

    def value(self, subject: str, name: str, value: Any) -> list[str]:
        """The problems of one named literal value (unknown during preview: another resource's output, none)."""
        if not isinstance(value, str) or not value.strip():
            return []
        return [p for p in (self.url(subject, value), self.named(subject, name, value)) if p]


def _json_strings(value: Any, path: tuple[str, ...]) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) for each value under a key of parsed JSON, at any depth."""
    if isinstance(value, Mapping):
        for key, child in value.items():
            if isinstance(child, Mapping) or is_list(child):
                yield from _json_strings(child, (*path, str(key)))
            else:
                yield ".".join((*path, str(key))), str(key), child
    elif is_list(value):
        for index, child in enumerate(value):
            if isinstance(child, Mapping) or is_list(child):
                yield from _json_strings(child, (*path, f"[{index}]"))


def _canary(props: Mapping[str, Any], judge: _Judge) -> list[str]:
    # Read directly: a run_config or variable map unknown as a whole raises, and is left to the analyzer.
    run_config = props.get("runConfig")
    variables = run_config.get("environmentVariables") if isinstance(run_config, Mapping) else None
    if not isinstance(variables, Mapping):
        return []
    problems: list[str] = []
    for name in variables:
        problems.extend(judge.value(f"Canary variable {name}", str(name), prop(variables, name)))
    return problems


def _subscription(props: Mapping[str, Any], judge: _Judge) -> list[str]:
    endpoint = prop(props, "endpoint")
    problem = judge.url("The endpoint", endpoint) if isinstance(endpoint, str) else None
    return [problem] if problem else []


def _alert_manager(props: Mapping[str, Any], judge: _Judge) -> list[str]:
    definition = props.get("definition")  # unknown as a whole: left to the analyzer
    if not isinstance(definition, str):
        return []
    keys: list[str] = []
    for match in _ALERTMANAGER_SECRET.finditer(definition):
        value = match.group(2).split(" #", 1)[0].strip()
        if value.lower() not in _YAML_EMPTY and not value.startswith("#") and match.group(1) not in keys:
            keys.append(match.group(1))
    problems: list[str] = []
    if keys:
        problems.append(f"The alert manager definition writes {', '.join(keys)} in plain text")
    for url in _URL.findall(definition):
        problem = judge.url("A URL in the alert manager definition", url)
        if problem and problem not in problems:
            problems.append(problem)
    return problems


def _grafana_configuration(props: Mapping[str, Any], judge: _Judge) -> list[str]:
    configuration = props.get("configuration")  # unknown as a whole: left to the analyzer
    if isinstance(configuration, str):
        try:
            configuration = json.loads(configuration)
        except ValueError:
            return []  # the provider rejects configuration that is not JSON
    problems: list[str] = []
    for path, key, value in _json_strings(configuration, ()):
        problems.extend(judge.value(f"The configuration's key '{path}'", key, value))
    return problems


_READERS = {
    CANARY: _canary,
    TOPIC_SUBSCRIPTION: _subscription,
    ALERT_MANAGER_DEFINITION: _alert_manager,
    GRAFANA_WORKSPACE: _grafana_configuration,
}


def _no_default_credentials(args: ResourceValidationArgs, report: ReportViolation) -> None:
    reader = _READERS.get(args.resource_type)
    if reader is None:
        return
    credential = pattern_setting(args, _CREDENTIALS_SCHEMA, "credentialNamePattern")
    if isinstance(credential, str):
        report(credential, None)
        return
    deny_list: Sequence[Any] = setting(args, _CREDENTIALS_SCHEMA, "passwordDenyList") or []
    judge = _Judge(credential, frozenset(str(p).strip().casefold() for p in deny_list))
    exposure, fix = _EXPOSURE[args.resource_type]
    for problem in reader(args.props, judge):
        report(f"{problem}, and {exposure}: {fix}.", None)


monitoring_no_default_credentials = ResourceValidationPolicy(
    name="aws-monitoring-no-default-credentials",
    description="Checks that no synthetics canary variable, SNS subscription endpoint, Prometheus alert manager "
    "definition or Grafana workspace configuration holds a default password, a credential in plain text or a URL with "
    "credentials.",
    validate=_no_default_credentials,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_CREDENTIALS_SCHEMA,
    severity=Severity.HIGH,
    tags=["secrets", "alerting", "checklist:no-default-passwords"],
    remediation_steps="Keep credentials out of monitoring configuration: canaries read them from Secrets Manager at "
    "run time, HTTPS subscriptions verify SNS's message signature instead of a user:password URL, the Prometheus "
    "alert manager routes to SNS with sigv4, and Grafana reaches data sources through an IAM role of the stack.",
)

POLICIES = [
    grafana_sso_only,
    grafana_no_api_keys,
    amp_workspace_logging,
    amp_workspace_customer_key,
    monitoring_no_default_credentials,
]
