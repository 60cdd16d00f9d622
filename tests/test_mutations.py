"""Removing any one protection from what the prod stack registers makes a mandatory rule fail, whether the pack
runs on what the program registers or on the state a `pulumi stack export` would hold.

The prod program runs once (in a subprocess: one program run per process); each case copies its recorded
resources, makes one insecure change (a property, a removed resource, or an added one), evaluates the whole pack
with prod's enforcement, directly and through state mode (the resources written as a real export document and read
back by ``stackcheck.engine.state``), and asserts that the expected rule reports a mandatory violation on that resource.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
from stackcheck.engine.evaluate import evaluate, load_policy_config, resolve_settings
from stackcheck.engine.resources import RecordedResource
from stackcheck.engine.state import parse_export
from tests.conftest import ROOT
from tests.stackcheck.export import export_document


def mandatory_violations(resources: list[RecordedResource]) -> list[tuple[str, str]]:
    settings = resolve_settings(
        ALL_POLICIES, load_policy_config(ROOT / "policies" / "config" / "prod.json"), PACK_ENFORCEMENT_LEVEL
    )
    _, violations = evaluate(resources, ALL_POLICIES, settings)
    return [(v.policy, v.urn) for v in violations if v.enforcement_level == "mandatory"]


Change = Callable[[dict[str, Any]], None]


def containers(change: Callable[[dict[str, Any]], None]) -> Change:
    """A change to the first container of a task definition."""

    def apply(props: dict[str, Any]) -> None:
        definitions = json.loads(props["containerDefinitions"])
        change(definitions[0])
        props["containerDefinitions"] = json.dumps(definitions)

    return apply


def rate_rules(change: Callable[[dict[str, Any]], None]) -> Change:
    """A change to every rate-based rule of a web ACL."""

    def apply(props: dict[str, Any]) -> None:
        for rule in props["rules"]:
            if "rateBasedStatement" in rule["statement"]:
                change(rule)

    return apply


def count_the_peer(rule: dict[str, Any]) -> None:
    """The rate rules as they were: per connecting address, which behind Cloudflare is Cloudflare's."""
    statement = rule["statement"]["rateBasedStatement"]
    statement["aggregateKeyType"] = "IP"
    statement.pop("forwardedIpConfig", None)


def loosen(name: str, limit: int) -> Callable[[dict[str, Any]], None]:
    def apply(rule: dict[str, Any]) -> None:
        if rule["name"] == name:
            rule["statement"]["rateBasedStatement"]["limit"] = limit

    return apply


def zone_setting(setting_id: str, value: Any) -> Change:
    def apply(props: dict[str, Any]) -> None:
        props.update({"zoneId": "0123456789abcdef0123456789abcdef", "settingId": setting_id, "value": value})

    return apply


def setter(key: str, value: Any) -> Change:
    def apply(props: dict[str, Any]) -> None:
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value

    return apply


def nested(key: str, inner: str, value: Any) -> Change:
    def apply(props: dict[str, Any]) -> None:
        props[key] = {**props[key], inner: value}

    return apply


def rule_list(change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Change:
    def apply(props: dict[str, Any]) -> None:
        props["rules"] = change(copy.deepcopy(props["rules"]))

    return apply


def daily_rule(key: str, value: Any) -> Change:
    def change(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for rule in rules:
            if rule["ruleName"] == "daily":
                rule[key] = value
        return rules

    return rule_list(change)


def policy_statement(statement: dict[str, Any]) -> Change:
    """A policy document (JSON text: a key policy, an IAM policy) with one more statement."""

    def apply(props: dict[str, Any]) -> None:
        document = json.loads(props["policy"])
        document["Statement"].append(statement)
        props["policy"] = json.dumps(document)

    return apply


def count_common_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for rule in rules:
        if rule["name"] == "AWSManagedRulesCommonRuleSet":
            rule["overrideAction"] = {"count": {}}
    return rules


def parameter(name: str, value: str) -> Change:
    def apply(props: dict[str, Any]) -> None:
        props["parameters"] = [*props["parameters"], {"name": name, "value": value, "applyMethod": "immediate"}]

    return apply


def public_source(props: dict[str, Any]) -> None:
    """An ingress rule that admits the internet instead of a security group."""
    props.pop("referencedSecurityGroupId", None)
    props["cidrIpv4"] = "0.0.0.0/0"


def inline_ingress(props: dict[str, Any]) -> None:
    props["ingress"] = [
        {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "securityGroups": ["sg-0123456789abcdef0"]}
    ]


MUTATIONS: list[tuple[str, str, Change | None, str]] = [
    # (case, resource name, change or None to remove the resource, rule that must fail)
    ("tls-1.0 policy", "edge-https", setter("sslPolicy", "ELBSecurityPolicy-2016-08"), "aws-alb-https-listener-tls"),
    ("no certificate", "edge-https", setter("certificateArn", None), "aws-alb-https-listener-tls"),
    (
        "http forwards",
        "edge-http",
        setter("defaultActions", [{"type": "forward", "targetGroupArn": "arn:tg"}]),
        "aws-alb-http-listener-redirects-to-https",
    ),
    (
        "invalid headers kept",
        "edge-alb",
        setter("dropInvalidHeaderFields", False),
        "aws-alb-drop-invalid-header-fields",
    ),
    ("desync monitor", "edge-alb", setter("desyncMitigationMode", "monitor"), "aws-alb-desync-mitigation"),
    ("deletable alb", "edge-alb", setter("enableDeletionProtection", False), "aws-alb-deletion-protection"),
    ("no access logs", "edge-alb", nested("accessLogs", "enabled", False), "aws-alb-access-logs"),
    ("waf detached", "edge-waf-association", None, "aws-alb-waf-protected"),
    ("waf not logging", "edge-waf-logging", None, "aws-waf-logging"),
    (
        "no rate limits",
        "edge-waf",
        rule_list(lambda rules: [r for r in rules if "rateBasedStatement" not in r["statement"]]),
        "aws-waf-rate-limits",
    ),
    ("common rules counting", "edge-waf", rule_list(count_common_rules), "aws-waf-managed-rules"),
    ("no health check", "edge-backend", nested("healthCheck", "enabled", False), "aws-alb-target-group-health-check"),
    (
        "logs kept forever",
        "web-backend-logs",
        setter("retentionInDays", 0),
        "aws-cloudwatch-log-group-retention",
    ),
    ("logs unencrypted", "edge-waf-logs", setter("kmsKeyId", None), "aws-cloudwatch-log-group-encrypted"),
    (
        "public task ips",
        "web-frontend-service",
        nested("networkConfiguration", "assignPublicIp", True),
        "aws-ecs-service-no-public-ip",
    ),
    (
        "no rollback",
        "web-backend-service",
        setter("deploymentCircuitBreaker", {"enable": True, "rollback": False}),
        "aws-ecs-service-deployment-circuit-breaker",
    ),
    ("ecs exec on", "web-backend-service", setter("enableExecuteCommand", True), "aws-ecs-service-exec-disabled"),
    (
        "no container insights",
        "web-cluster",
        setter("settings", [{"name": "containerInsights", "value": "disabled"}]),
        "aws-ecs-cluster-container-insights",
    ),
    ("root user", "web-backend-task", containers(lambda c: c.update(user="root")), "aws-ecs-task-non-root-user"),
    (
        "writable root",
        "web-backend-task",
        containers(lambda c: c.update(readonlyRootFilesystem=False)),
        "aws-ecs-task-read-only-root-filesystem",
    ),
    ("privileged", "web-frontend-task", containers(lambda c: c.update(privileged=True)), "aws-ecs-task-not-privileged"),
    ("host network", "web-frontend-task", setter("networkMode", "host"), "aws-ecs-task-no-host-namespaces"),
    ("no logs", "web-frontend-task", containers(lambda c: c.pop("logConfiguration")), "aws-ecs-task-log-configuration"),
    (
        "password in environment",
        "web-backend-task",
        containers(lambda c: c["environment"].append({"name": "DB_PASSWORD", "value": "admin123"})),
        "aws-ecs-task-no-secrets-in-environment",
    ),
    (
        "debug on",
        "web-backend-task",
        containers(lambda c: c.update(environment=[{"name": "DEBUG", "value": "true"}])),
        "aws-ecs-task-debug-off",
    ),
    (
        "ssh from the internet",
        "network-app-sg",
        setter("ingress", [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}]),
        "aws-security-group-no-public-ssh",
    ),
    ("no flow log", "network-flow-log", None, "aws-vpc-flow-logs-enabled"),
    (
        "database unencrypted",
        "database-shard-1-primary",
        setter("storageEncrypted", False),
        "aws-rds-storage-encrypted",
    ),
    (
        "public database",
        "database-shard-0-replica-1",
        setter("publiclyAccessible", True),
        "aws-rds-not-publicly-accessible",
    ),
    ("one day of backups", "database-shard-2-primary", setter("backupRetentionPeriod", 1), "aws-rds-backup-retention"),
    ("single-zone database", "database-shard-0-primary", setter("multiAz", False), "aws-rds-multi-az"),
    (
        "deletable database",
        "database-shard-0-primary",
        setter("deletionProtection", False),
        "aws-rds-deletion-protection",
    ),
    (
        "no iam auth",
        "database-shard-0-primary",
        setter("iamDatabaseAuthenticationEnabled", False),
        "aws-rds-iam-authentication",
    ),
    (
        "no insights",
        "database-shard-1-replica-0",
        setter("performanceInsightsEnabled", False),
        "aws-rds-performance-insights",
    ),
    ("no log exports", "database-shard-0-primary", setter("enabledCloudwatchLogsExports", []), "aws-rds-log-exports"),
    (
        "untagged snapshots",
        "database-shard-0-primary",
        setter("copyTagsToSnapshot", False),
        "aws-rds-copy-tags-to-snapshot",
    ),
    ("admin user", "database-shard-0-primary", setter("username", "admin"), "aws-rds-non-default-master-username"),
    (
        "literal master password",
        "database-shard-0-primary",
        setter("manageMasterUserPassword", False),
        "aws-rds-managed-master-password",
    ),
    (
        "tls optional",
        "database-shard-0-params",
        setter("parameters", [{"name": "log_min_duration_statement", "value": "2000"}]),
        "aws-rds-parameter-group-forces-tls",
    ),
    ("no replica", "database-shard-2-replica-0,database-shard-2-replica-1", None, "aws-rds-primary-has-replica"),
    ("cache unencrypted", "cache-group", setter("atRestEncryptionEnabled", False), "aws-elasticache-encrypted-at-rest"),
    (
        "cache plaintext allowed",
        "cache-group",
        setter("transitEncryptionMode", "preferred"),
        "aws-elasticache-encrypted-in-transit",
    ),
    ("cache without auth", "cache-group", setter("authToken", None), "aws-elasticache-authentication"),
    (
        "cache without failover",
        "cache-group",
        setter("automaticFailoverEnabled", False),
        "aws-elasticache-automatic-failover",
    ),
    ("no cache snapshots", "cache-group", setter("snapshotRetentionLimit", 0), "aws-elasticache-snapshot-retention"),
    (
        "default cache subnets",
        "cache-group",
        setter("subnetGroupName", "default"),
        "aws-elasticache-private-subnet-group",
    ),
    ("no cache slow log", "cache-group", setter("logDeliveryConfigurations", []), "aws-elasticache-slow-log-delivery"),
    ("secret under the aws key", "cache-auth", setter("kmsKeyId", None), "aws-secretsmanager-customer-key"),
    ("default password", "cache-auth-value", setter("secretString", "admin123"), "aws-no-default-passwords"),
    ("key never rotates", "keys-logs", setter("enableKeyRotation", False), "aws-kms-key-rotation-enabled"),
    (
        "key open to everyone",
        "keys-data",
        policy_statement({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
        "aws-kms-key-policy-least-privilege",
    ),
    ("short deletion window", "keys-backups", setter("deletionWindowInDays", 7), "aws-kms-key-deletion-window"),
    ("flexible ssl", "cdn-ssl", setter("value", "flexible"), "cloudflare-zone-strict-tls"),
    ("automatic ssl mode", "cdn-ssl-automatic-mode", setter("value", "auto"), "cloudflare-zone-strict-tls"),
    (
        "retired brotli setting",
        "+cloudflare:index/zoneSetting:ZoneSetting",
        zone_setting("brotli", "on"),
        "cloudflare-zone-setting-not-retired",
    ),
    ("waf counts cloudflare", "edge-waf", rate_rules(count_the_peer), "aws-waf-counts-clients-behind-cloudflare"),
    (
        "api limit 100,000 a minute",
        "edge-waf",
        rate_rules(loosen("rate-limit-api", 100_000)),
        "aws-waf-rate-limits",
    ),
    (
        "hsts for a day",
        "cdn-security-header",
        setter("value", {"strict_transport_security": {"enabled": True, "max_age": 86400}}),
        "cloudflare-zone-hsts",
    ),
    ("site not proxied", "cdn-apex", setter("proxied", False), "cloudflare-web-records-proxied"),
    ("no cloudflare rate limits", "cdn-rate-limits", None, "cloudflare-rate-limiting"),
    ("no managed waf", "cdn-waf", None, "cloudflare-managed-waf"),
    (
        "origin open to the internet",
        "network-lb-in-443-173-245-48-0-20",
        setter("cidrIpv4", "0.0.0.0/0"),
        "aws-alb-cloudflare-only-origin",
    ),
    (
        "silent alarm",
        "monitoring-database-cpu-high-shard-1-primary-warning",
        setter("alarmActions", []),
        "aws-cloudwatch-alarm-actions",
    ),
    (
        "alarm switched off",
        "monitoring-high-error-rate-alb-critical",
        setter("actionsEnabled", False),
        "aws-cloudwatch-alarm-actions",
    ),
    ("topic under aws/sns", "alerts-warning", setter("kmsMasterKeyId", "alias/aws/sns"), "aws-sns-topic-encrypted"),
    ("nobody hears critical alerts", "monitoring-critical-email-0", None, "aws-alert-topics-reach-someone"),
    ("waf logs kept a month", "edge-waf-logs", setter("retentionInDays", 30), "aws-security-logs-kept-a-year"),
    (
        "public subnet maps public ips",
        "network-public-0",
        setter("mapPublicIpOnLaunch", True),
        "aws-subnet-no-public-ip-on-launch",
    ),
    (
        "replica lag unwatched",
        "monitoring-replica-lag-high-shard-2-replica-1-warning",
        None,
        "aws-monitoring-coverage",
    ),
    ("grafana with passwords", "prometheus-grafana", setter("authenticationProviders", []), "aws-grafana-sso-only"),
    (
        "canary with a password",
        "monitoring-uptime-canary",
        setter("runConfig", {"timeoutInSeconds": 60, "environmentVariables": {"PASSWORD": "admin123"}}),
        "aws-monitoring-no-default-credentials",
    ),
    # bucket side resources: the violation names the bucket they configure
    (
        "documents under sse-s3",
        "storage-documents-encryption",
        setter("rules", [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]),
        "aws-s3-bucket-encrypted-with-kms",
    ),
    (
        "public policies allowed",
        "backups-exports-public-access",
        setter("blockPublicPolicy", False),
        "aws-s3-bucket-public-access-blocked",
    ),
    (
        "acls back on",
        "storage-documents-ownership",
        setter("rule", {"objectOwnership": "ObjectWriter"}),
        "aws-s3-bucket-owner-enforced",
    ),
    (
        "versioning suspended",
        "backups-documents-replica-versioning",
        setter("versioningConfiguration", {"status": "Suspended"}),
        "aws-s3-bucket-versioned",
    ),
    ("no tls-only policy", "storage-documents-policy", None, "aws-s3-bucket-tls-only"),
    ("no access logging", "backups-exports-access-logging", None, "aws-s3-bucket-access-logging"),
    (
        "no weekly backups",
        "backups-plan",
        rule_list(lambda rules: [r for r in rules if r["ruleName"] != "weekly"]),
        "aws-backup-plan-daily-and-weekly",
    ),
    (
        "daily backups kept a week",
        "backups-plan",
        daily_rule("lifecycle", {"deleteAfter": 7}),
        "aws-backup-plan-daily-and-weekly",
    ),
    ("no copies", "backups-plan", daily_rule("copyActions", []), "aws-backup-copies-to-another-region"),
    ("vault under aws/backup", "backups-vault", setter("kmsKeyArn", None), "aws-backup-vault-customer-key"),
    ("nothing selected", "backups-selection", None, "aws-rds-covered-by-backup-plan"),
    (
        "no restore tests",
        "backups-restore-testing,backups-restore-testing-databases",
        None,
        "aws-backup-restore-testing",
    ),
    ("exports stay in one region", "backups-exports-replication", None, "aws-s3-backups-replicated-to-another-region"),
    (
        "one shard's backups stay in one region",
        "backups-database-2-replication",
        None,
        "aws-rds-backups-replicated-to-another-region",
    ),
    (
        "database port open to the internet",
        "network-data-in-5432-app",
        public_source,
        "aws-security-group-no-public-ingress",
    ),
    (
        "inline rules beside rule resources",
        "network-data-sg",
        inline_ingress,
        "aws-security-group-no-rule-management-conflicts",
    ),
    (
        "app subnet maps public ips",
        "network-app-1",
        setter("mapPublicIpOnLaunch", True),
        "aws-subnet-no-public-ip-on-launch",
    ),
    ("one nat gateway for three zones", "network-nat-1,network-nat-2", None, "aws-vpc-nat-gateway-per-az"),
    (
        "certificate validated by email",
        "edge-certificate",
        setter("validationMethod", "EMAIL"),
        "aws-acm-certificate-dns-validated",
    ),
    (
        "certificate without transparency logs",
        "edge-certificate",
        setter("options", {"certificateTransparencyLoggingPreference": "DISABLED"}),
        "aws-acm-certificate-transparency-logging",
    ),
    (
        "wildcard iam action",
        "web-backend-task-access",
        policy_statement({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        "aws-iam-no-wildcard-policies",
    ),
    (
        "s3 on every bucket",
        "web-backend-task-access",
        policy_statement({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        "aws-iam-no-wildcard-policies",
    ),
    (
        "administrator attached",
        "+aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        setter("policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
        "aws-iam-no-admin-managed-policies",
    ),
    ("an access key", "+aws:iam/accessKey:AccessKey", setter("user", "deployer"), "aws-iam-no-access-keys"),
    (
        "every statement logged",
        "database-shard-0-params",
        parameter("log_statement", "all"),
        "aws-rds-parameter-group-no-general-log",
    ),
    ("development mode on", "cdn-development-mode", setter("value", "on"), "cloudflare-development-mode-off"),
    (
        "prometheus without logs",
        "prometheus-workspace",
        setter("loggingConfiguration", None),
        "aws-amp-workspace-logging",
    ),
    (
        "no hsts at the load balancer",
        "edge-https",
        setter("routingHttpResponseStrictTransportSecurityHeaderValue", None),
        "security-headers-on-every-response",
    ),
    ("no security headers at cloudflare", "cdn-headers", None, "security-headers-on-every-response"),
    (
        "default security group allows traffic",
        "network-default-sg",
        setter("ingress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        "aws-default-security-group-restricted",
    ),
    (
        "app port from an address range",
        "network-app-in-8000-lb",
        lambda props: (props.pop("referencedSecurityGroupId", None), props.update(cidrIpv4="10.0.0.0/16")),
        "aws-security-group-private-ports-from-groups",
    ),
    (
        "untagged log group",
        "web-backend-logs",
        setter("tags", {"Stack": "", "webstack:role": "app"}),
        "aws-required-tags",
    ),
]


MODES = ("run", "state")


def through(mode: str, resources: list[RecordedResource], prod_run: Any) -> list[RecordedResource]:
    """The resources as the pack sees them in ``mode``: as registered, or read back from an export of them."""
    if mode == "run":
        return resources
    document = export_document(resources, prod_run.outputs, prod_run.secret_outputs, "webstack", "prod")
    return parse_export(json.loads(json.dumps(document)), "prod", "webstack").resources


@pytest.mark.parametrize("mode", MODES)
def test_prod_as_registered_breaks_no_mandatory_rule(prod_run: Any, mode: str) -> None:
    assert mandatory_violations(through(mode, prod_run.resources, prod_run)) == []


def with_copies(prod: list[RecordedResource], *names: str) -> tuple[list[RecordedResource], list[RecordedResource]]:
    """Prod's resources with the named ones replaced by deep copies (the others are shared, unchanged), and the
    copies in the order of ``names``."""
    copies = {r.name: copy.deepcopy(r) for r in prod if r.name in names}
    assert sorted(copies) == sorted(names), f"expected one resource each named {names}"
    return [copies.get(r.name, r) for r in prod], [copies[name] for name in names]


def mutate(prod: list[RecordedResource], name: str, change: Change | None) -> tuple[list[RecordedResource], set[str]]:
    """The resources after one change, and the URNs a violation may name."""
    if name.startswith("+"):  # add a resource of this type, with the properties ``change`` writes
        assert change is not None
        props: dict[str, Any] = {}
        change(props)
        added = RecordedResource(
            urn=f"urn:pulumi:prod::webstack::{name[1:]}::added",
            type=name[1:],
            name="added",
            custom=True,
            parent="",
            provider="",
            protect=False,
            dependencies=[],
            property_dependencies={},
            inputs=props,
            outputs={**props, "id": "added"},
            id="added",
        )
        return [*prod, added], {added.urn}
    if change is None:  # remove the named resources
        resources = [r for r in prod if r.name not in name.split(",")]
        assert len(resources) == len(prod) - len(name.split(","))
        return resources, {r.urn for r in resources}
    resources, (target,) = with_copies(prod, name)
    for props in (target.inputs, target.outputs):
        change(props)
    return resources, {target.urn, *target.property_dependencies.get("bucket", [])}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "name", "change", "rule"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_taking_one_protection_away_fails_a_mandatory_rule(
    prod_run: Any, case: str, name: str, change: Change | None, rule: str, mode: str
) -> None:
    resources, expected_urns = mutate(prod_run.resources, name, change)
    found = mandatory_violations(through(mode, resources, prod_run))
    assert any(policy == rule and (urn in expected_urns or not urn) for policy, urn in found), found


def test_there_are_at_least_forty_distinct_mutations_across_every_area() -> None:
    assert len({case for case, *_ in MUTATIONS}) == len(MUTATIONS) >= 40
    caught = {rule for *_, rule in MUTATIONS}
    areas = {policy.name.split("-")[1] if policy.name.startswith("aws-") else policy.name.split("-")[0]
             for policy in ALL_POLICIES if policy.name in caught}  # fmt: skip
    assert {"alb", "ecs", "rds", "elasticache", "s3", "backup", "kms", "iam", "vpc"} <= areas
    assert "cloudflare" in areas


@pytest.mark.parametrize("mode", MODES)
def test_separate_roles_fail_when_one_role_does_both(prod_run: Any, mode: str) -> None:
    resources, (task,) = with_copies(prod_run.resources, "web-backend-task")
    task.property_dependencies["taskRoleArn"] = list(task.property_dependencies["executionRoleArn"])
    assert ("aws-ecs-task-separate-roles", task.urn) in mandatory_violations(through(mode, resources, prod_run))


@pytest.mark.parametrize("mode", MODES)
def test_a_primary_left_out_of_the_backup_selection_fails(prod_run: Any, mode: str) -> None:
    resources, (primary, selection) = with_copies(prod_run.resources, "database-shard-1-primary", "backups-selection")
    selection.property_dependencies["resources"] = [
        urn for urn in selection.property_dependencies["resources"] if urn != primary.urn
    ]
    for props in (selection.inputs, selection.outputs):
        props["resources"] = [arn for arn in props["resources"] if arn != primary.outputs["arn"]]
    assert ("aws-rds-covered-by-backup-plan", primary.urn) in mandatory_violations(through(mode, resources, prod_run))
