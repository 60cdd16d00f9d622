"""Whole stacks through ``python -m stackcheck``: every stack file passes; what prod and staging contain; bad input
exits 2 with one message and registers nothing; the policy gate fails when a rule is violated.

The command line runs in this process over the session's shared program runs (tests/stackruns.py); the tests at the
end start ``python -m stackcheck`` as a process of its own, exactly as a user runs it. How fast it is, is measured by
``make bench`` (scripts/bench.py), never asserted here."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from components.alerts import ALERT_NAMES
from policies.rules.cdn import CLOUDFLARE_RANGES
from stackcheck.engine.project import stack_names
from tests.conftest import IMAGES, ROOT, ZONE_ID, run_stackcheck, run_stackcheck_process, stackcheck_json

STACKS = stack_names(ROOT)


@pytest.fixture(scope="module")
def reports() -> dict[str, tuple[int, dict[str, Any]]]:
    return {stack: stackcheck_json(stack) for stack in STACKS}


def of_type(doc: dict[str, Any], suffix: str) -> list[dict[str, Any]]:
    return [r for r in doc["resources"] if r["type"].endswith(suffix)]


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_passes_with_no_mandatory_violation(reports: dict[str, Any], stack: str) -> None:
    code, doc = reports[stack]
    assert [v for v in doc["violations"] if v["enforcementLevel"] == "mandatory"] == []
    assert code == 0
    assert doc["summary"]["violations"]["mandatory"] == 0
    assert {p["name"] for p in doc["policies"]} >= {"aws-vpc-flow-logs-enabled", "aws-required-tags"}


def test_prod_has_no_violation_of_any_level(reports: dict[str, Any]) -> None:
    code, doc = reports["prod"]
    assert (code, doc["violations"]) == (0, [])
    assert all(p["enforcementLevel"] == "mandatory" for p in doc["policies"])


def test_staging_relaxes_only_availability_deletion_protection_and_disaster_recovery(reports: dict[str, Any]) -> None:
    _, doc = reports["staging"]
    assert sorted({(v["policy"], v["enforcementLevel"]) for v in doc["violations"]}) == [
        ("aws-alb-deletion-protection", "advisory"),
        ("aws-backup-restore-testing", "advisory"),
        ("aws-rds-backups-replicated-to-another-region", "advisory"),
        ("aws-rds-deletion-protection", "advisory"),
        ("aws-rds-multi-az", "advisory"),
        ("aws-vpc-nat-gateway-per-az", "advisory"),
    ]


def test_prod_spans_three_zones_with_a_nat_gateway_each(reports: dict[str, Any]) -> None:
    _, doc = reports["prod"]
    assert len(of_type(doc, ":Vpc")) == 1
    subnets = of_type(doc, ":Subnet")
    tiers = Counter((s["name"].split("-")[1], s["inputs"]["availabilityZoneId"]) for s in subnets)
    # The zones Pulumi.prod.yaml lists by ID, whatever this account calls them.
    zones = ["use1-az1", "use1-az2", "use1-az4"]
    assert doc["outputs"]["availabilityZoneIds"] == zones
    assert tiers == Counter({(tier, zone): 1 for tier in ("public", "app", "data") for zone in zones})
    assert len(of_type(doc, ":NatGateway")) == 3
    (flow_log,) = of_type(doc, ":FlowLog")
    assert flow_log["inputs"]["trafficType"] == "ALL"
    (default_group,) = of_type(doc, ":DefaultSecurityGroup")
    assert default_group["inputs"]["ingress"] == []
    assert default_group["inputs"]["egress"] == []
    groups = of_type(doc, "ec2/securityGroup:SecurityGroup")
    assert sorted(g["inputs"]["tags"]["webstack:role"] for g in groups) == ["app", "cache", "data", "lb"]
    ingress = of_type(doc, ":SecurityGroupIngressRule")
    # The CDN is on: the load balancer admits Cloudflare's published ranges on 80 and 443, and nothing else.
    edge = [r for r in ingress if "-lb-in-" in r["name"]]
    for port in (80, 443):
        on_port = [r["inputs"] for r in edge if r["inputs"]["fromPort"] == port]
        cidrs = {rule.get("cidrIpv4") or rule["cidrIpv6"] for rule in on_port}
        assert cidrs == set(CLOUDFLARE_RANGES)
    assert len(edge) == 2 * len(CLOUDFLARE_RANGES)
    assert len(ingress) - len(edge) == 4
    assert len(of_type(doc, ":SecurityGroupEgressRule")) == 5
    # This account's names for them (the mocked account, like most, names zones in an order of its own).
    assert doc["outputs"]["availabilityZones"] == ["us-east-1a", "us-east-1e", "us-east-1d"]


def test_prod_protects_its_stateful_resources(reports: dict[str, Any]) -> None:
    _, doc = reports["prod"]
    protected = Counter(r["type"] for r in doc["resources"] if r["protect"])
    assert protected == Counter(
        {
            "aws:kms/key:Key": 6,
            # The flow logs, and the 2 logs (postgresql, upgrade) each of the 9 database instances exports.
            "aws:cloudwatch/logGroup:LogGroup": 1 + 9 * 2,
            "aws:s3/bucket:Bucket": 7,
            "aws:backup/vault:Vault": 2,
            "aws:rds/instance:Instance": 9,
            "aws:elasticache/replicationGroup:ReplicationGroup": 1,
            # The frontend's and the backend's images, built from app/: a deleted repository takes its images.
            "aws:ecr/repository:Repository": 2,
        }
    )


def test_prod_is_sharded_three_ways_with_two_replicas_each_and_publishes_its_shard_map(
    reports: dict[str, Any],
) -> None:
    _, doc = reports["prod"]
    instances = of_type(doc, "rds/instance:Instance")
    primaries = [r for r in instances if "replicateSourceDb" not in r["inputs"]]
    assert len(primaries) == 3
    for primary in primaries:
        replicas = [r for r in instances if primary["urn"] in r["propertyDependencies"].get("replicateSourceDb", [])]
        assert len(replicas) == 2
    shard_map = doc["outputs"]["shardMap"]
    assert [shard["index"] for shard in shard_map["shards"]] == [0, 1, 2]
    assert shard_map["tables"]["users"] == 0
    assert shard_map["tables"]["deposits"] == 1
    (parameter,) = of_type(doc, "ssm/parameter:Parameter")
    assert json.loads(parameter["inputs"]["insecureValue"]) == shard_map


def test_prod_has_providers_for_its_region_and_the_dr_region_with_default_tags(reports: dict[str, Any]) -> None:
    _, doc = reports["prod"]
    providers = {p["name"]: p["inputs"] for p in of_type(doc, "pulumi:providers:aws")}
    assert providers["aws"]["region"] == "us-east-1"
    assert providers["aws-dr"]["region"] == "us-west-2"
    tags = json.loads(providers["aws"]["defaultTags"])["tags"]
    assert tags == {"Project": "webstack", "Stack": "prod", "Environment": "prod", "ManagedBy": "pulumi"}
    assert all(
        r["provider"].startswith("urn:pulumi:prod::webstack::pulumi:providers:aws::aws::")
        for r in of_type(doc, ":Subnet")
    )


def test_prod_backs_up_every_primary_into_both_regions_and_tests_restores(reports: dict[str, Any]) -> None:
    _, doc = reports["prod"]
    dr = "urn:pulumi:prod::webstack::pulumi:providers:aws::aws-dr::"
    vaults = {r["name"]: r for r in of_type(doc, "backup/vault:Vault")}
    assert sorted(vaults) == ["backups-dr-vault", "backups-vault"]
    assert vaults["backups-dr-vault"]["provider"].startswith(dr)
    assert vaults["backups-vault"]["inputs"]["kmsKeyArn"].startswith("arn:aws:kms:us-east-1:")
    assert vaults["backups-dr-vault"]["inputs"]["kmsKeyArn"].startswith("arn:aws:kms:us-west-2:")

    (plan,) = of_type(doc, "backup/plan:Plan")
    rules = {rule["ruleName"]: rule for rule in plan["inputs"]["rules"]}
    assert rules["daily"]["schedule"] == "cron(0 2 * * ? *)"
    assert rules["daily"]["lifecycle"]["deleteAfter"] == 30
    assert rules["daily"]["enableContinuousBackup"] is True
    assert rules["weekly"]["lifecycle"]["deleteAfter"] == 90
    assert doc["outputs"]["drBackupVaultArn"].startswith("arn:aws:backup:us-west-2:")
    for rule in rules.values():
        assert [c["destinationVaultArn"] for c in rule["copyActions"]] == [doc["outputs"]["drBackupVaultArn"]]

    primaries = [r for r in of_type(doc, "rds/instance:Instance") if "replicateSourceDb" not in r["inputs"]]
    (selection,) = of_type(doc, "backup/selection:Selection")
    assert set(selection["propertyDependencies"]["resources"]) >= {p["urn"] for p in primaries}
    assert any(arn.startswith("arn:aws:s3:::webstack-prod-documents-") for arn in selection["inputs"]["resources"])
    (testing,) = of_type(doc, "backup/restoreTestingPlan:RestoreTestingPlan")
    assert testing["inputs"]["scheduleExpression"] == "cron(0 5 1 * ? *)"
    (tested,) = of_type(doc, "backup/restoreTestingSelection:RestoreTestingSelection")
    assert set(tested["propertyDependencies"]["protectedResourceArns"]) == {p["urn"] for p in primaries}

    automated = of_type(doc, "instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")
    assert len(automated) == len(primaries) == 3
    assert all(r["provider"].startswith(dr) for r in automated)
    replications = of_type(doc, "bucketReplicationConfig:BucketReplicationConfig")
    assert sorted(r["name"] for r in replications) == ["backups-documents-replication", "backups-exports-replication"]
    assert doc["outputs"]["drExportsBucket"].startswith("webstack-prod-exports-dr-")


def test_prod_is_served_through_cloudflare_with_the_guides_numbers(reports: dict[str, Any]) -> None:
    _, doc = reports["prod"]
    settings = {r["inputs"]["settingId"]: r["inputs"]["value"] for r in of_type(doc, "zoneSetting:ZoneSetting")}
    assert {k: settings[k] for k in ("ssl", "min_tls_version", "tls_1_3", "always_use_https", "http3")} == {
        "ssl": "strict",
        "min_tls_version": "1.2",
        "tls_1_3": "on",
        "always_use_https": "on",
        "http3": "on",
    }
    assert settings["security_header"]["strict_transport_security"]["max_age"] == 31_536_000
    rulesets = {r["inputs"]["phase"]: r["inputs"]["rules"] for r in of_type(doc, "ruleset:Ruleset")}
    assert set(rulesets) == {
        "http_request_cache_settings",
        "http_ratelimit",
        "http_request_firewall_managed",
        "http_response_headers_transform",
    }
    static, api = rulesets["http_request_cache_settings"]
    assert static["actionParameters"]["edgeTtl"] == {"mode": "override_origin", "default": 31_536_000}
    assert static["actionParameters"]["browserTtl"] == {"mode": "override_origin", "default": 31_536_000}
    assert api["actionParameters"] == {"cache": False}
    limits = {rule["ref"]: rule["ratelimit"] for rule in rulesets["http_ratelimit"]}
    assert {ref: (r["requestsPerPeriod"], r["period"]) for ref, r in limits.items()} == {
        "rate_limit_api": (600, 60),
        "rate_limit_login": (10, 120),
        "rate_limit_general": (1800, 60),
    }
    assert all(r["characteristics"] == ["cf.colo.id", "ip.src"] for r in limits.values())
    executed = [rule["actionParameters"]["id"] for rule in rulesets["http_request_firewall_managed"]]
    assert executed == ["efb7b8c949ac4650a09736fc376e9aee", "4814384a9e5d4991b9815dcfc25d2f1f"]
    (headers,) = rulesets["http_response_headers_transform"]
    assert headers["actionParameters"]["headers"]["X-Frame-Options"] == {"operation": "set", "value": "SAMEORIGIN"}
    (alb,) = of_type(doc, "lb/loadBalancer:LoadBalancer")
    records = {r["inputs"]["name"]: r for r in of_type(doc, "dnsRecord:DnsRecord") if r["inputs"]["proxied"]}
    # www.app.example.org is two levels below the zone: Universal SSL does not cover it, so it gets no record.
    assert set(records) == {"app.example.org"}
    assert records["app.example.org"]["propertyDependencies"]["content"] == [alb["urn"]]
    assert doc["outputs"]["cdnZoneId"] == ZONE_ID


def test_prod_watches_every_shard_and_service_and_routes_alerts(reports: dict[str, Any]) -> None:
    _, doc = reports["prod"]
    alarms = of_type(doc, "metricAlarm:MetricAlarm")
    watching: dict[str, set[str]] = {}
    for alarm in alarms:
        for urn in alarm["propertyDependencies"].get("dimensions", []) + alarm["propertyDependencies"].get(
            "metricQueries", []
        ):
            watching.setdefault(urn, set()).add(alarm["inputs"]["tags"]["webstack:alert"])
    instances = of_type(doc, "rds/instance:Instance")
    assert len(instances) == 9
    for instance in instances:
        expected = {"DatabaseCpuHigh", "DatabaseStorageLow", "DatabaseConnectionsHigh"}
        if "replicateSourceDb" in instance["inputs"]:
            expected.add("ReplicaLagHigh")
        assert watching[instance["urn"]] >= expected, instance["name"]
    for service in of_type(doc, "ecs/service:Service"):
        assert watching[service["urn"]] >= {"ServiceCpuHigh", "ServiceMemoryHigh", "TasksBelowDesired"}
    (alb,) = of_type(doc, "lb/loadBalancer:LoadBalancer")
    assert watching[alb["urn"]] >= {"HighErrorRate", "SlowResponses"}
    (cache,) = of_type(doc, "replicationGroup:ReplicationGroup")
    assert watching[cache["urn"]] == {"CacheMemoryHigh", "CacheEvictions", "CacheHitRateLow"}
    topics = {topic["inputs"]["name"].rsplit("-", 1)[-1]: topic["urn"] for topic in of_type(doc, "sns/topic:Topic")}
    for alarm in alarms:
        severity = alarm["inputs"]["tags"]["webstack:severity"]
        assert alarm["propertyDependencies"]["alarmActions"] == [topics[severity]]
    (degraded,) = of_type(doc, "compositeAlarm:CompositeAlarm")
    assert "HighErrorRate-alb-critical" in degraded["inputs"]["alarmRule"]

    (rules,) = of_type(doc, "ruleGroupNamespace:RuleGroupNamespace")
    document = yaml.safe_load(rules["inputs"]["data"])
    parsed = [rule for group in document["groups"] for rule in group["rules"]]
    assert {rule["alert"] for rule in parsed} == set(ALERT_NAMES)
    for rule in parsed:
        promql_parser.parse(rule["expr"])
    (alertmanager,) = of_type(doc, "alertManagerDefinition:AlertManagerDefinition")
    routing = yaml.safe_load(yaml.safe_load(alertmanager["inputs"]["definition"])["alertmanager_config"])
    assert routing["route"]["routes"] == [{"receiver": "critical", "match": {"severity": "critical"}}]
    (grafana,) = of_type(doc, "grafana/workspace:Workspace")
    assert grafana["inputs"]["authenticationProviders"] == ["AWS_SSO"]
    emails = [s for s in of_type(doc, "topicSubscription:TopicSubscription") if s["inputs"]["protocol"] == "email"]
    assert sorted(s["inputs"]["endpoint"] for s in emails) == ["oncall@example.org"] * 2
    (canary,) = of_type(doc, "synthetics/canary:Canary")
    assert canary["inputs"]["runConfig"]["environmentVariables"] == {"URL": "https://app.example.org/health"}
    for output in ("dashboardUrl", "grafanaUrl", "prometheusEndpoint", "alertTopicArns"):
        assert doc["outputs"][output]


def test_staging_is_smaller_and_unprotected(reports: dict[str, Any]) -> None:
    _, doc = reports["staging"]
    assert {s["inputs"]["availabilityZoneId"] for s in of_type(doc, ":Subnet")} == {"use1-az1", "use1-az2"}
    assert len(of_type(doc, ":Subnet")) == 6
    assert len(of_type(doc, ":NatGateway")) == 1
    assert not any(r["protect"] for r in doc["resources"])
    assert of_type(doc, ":Vpc")[0]["inputs"]["cidrBlock"] == "10.1.0.0/16"


def test_the_text_report_shows_inventory_policies_and_outputs() -> None:
    result = run_stackcheck("staging")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stackcheck webstack/staging: ")
    for heading in ("Inventory", "  network (webstack:aws:Network): ", "Policies", "Outputs", "  vpcId: vpc-"):
        assert heading in result.stdout


# -- bad input ---------------------------------------------------------------------------------------------------------
BASE = {
    "aws:region": "us-east-1",
    "webstack:environment": "staging",
    "webstack:domain": "app.example.org",
    "webstack:web": IMAGES,
    "webstack:cdn": {"enabled": True, "zoneId": ZONE_ID, "plan": "business"},
}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"webstack:network": {"azCount": 9}}, "webstack:network.azCount must be between 2 and 6, got 9"),
        (
            {"webstack:network": {"cidr": "10.0.0.0/22"}},
            "webstack:network.cidr 10.0.0.0/22 is too small for the subnet plan: 3 tiers x 3 AZs of /20 subnets need "
            "a /16 or larger VPC (or a longer webstack:network.subnetPrefixLength), got /22",
        ),
        (
            {"webstack:database": {"engine": "oracle"}},
            'webstack:database.engine must be one of postgres or mysql, got "oracle"',
        ),
        ({"webstack:databse": {"engine": "mysql"}}, "webstack:databse is not a setting; did you mean database?"),
        (
            {"aws:secretKey": "wJalrXUtnFEMI"},
            "aws:secretKey holds a secret but is stored in plaintext: remove it from the stack file and set it with "
            "`pulumi config set --secret aws:secretKey <value>`",
        ),
    ],
    ids=["range", "small-cidr", "engine", "unknown-key", "plaintext-secret"],
)
def test_bad_settings_exit_2_with_one_message_and_register_nothing(
    project_copy: Path, config: dict[str, Any], message: str
) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": {**BASE, **config}}))
    result = run_stackcheck("bad", "--json", root=project_copy)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert "wJalrXUtnFEMI" not in result.stderr + result.stdout
    doc = json.loads(result.stdout)
    assert doc["error"] == result.stderr.strip()
    assert doc["resources"] == []
    assert doc["summary"] == {"exitCode": 2, "resources": 0}


def test_more_zones_than_the_region_has_exit_2(project_copy: Path) -> None:
    config = {**BASE, "aws:region": "eu-west-1", "webstack:network": {"azCount": 4}}
    (project_copy / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": config}))
    result = run_stackcheck("bad", root=project_copy)
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "webstack:network.azCount must be at most 3, the availability zones eu-west-1 offers, got 4"
    )
    assert result.stdout == ""


def test_a_stack_value_of_the_wrong_type_is_rejected_as_the_cli_would(project_copy: Path) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text(yaml.safe_dump({"config": {**BASE, "webstack:network": "big"}}))
    result = run_stackcheck("bad", root=project_copy)
    assert result.returncode == 2
    assert result.stderr.strip() == "Pulumi.bad.yaml: webstack:network should be of type 'object', got \"big\""


def test_an_unknown_stack_exits_2() -> None:
    result = run_stackcheck("qa")
    assert result.returncode == 2
    assert "there is no stack 'qa'" in result.stderr


# -- the gate ----------------------------------------------------------------------------------------------------------
def test_a_violated_mandatory_policy_exits_1(tmp_path: Path) -> None:
    config = tmp_path / "strict.json"
    config.write_text(
        json.dumps(
            {
                "all": "advisory",
                "aws-security-group-no-public-ingress": {"enforcementLevel": "mandatory", "publicPorts": [443]},
            }
        )
    )
    code, doc = stackcheck_json("staging", "--policy-config", str(config))
    assert code == 1
    (violation,) = [v for v in doc["violations"] if v["policy"] == "aws-security-group-no-public-ingress"]
    assert violation["policy"] == "aws-security-group-no-public-ingress"
    assert violation["enforcementLevel"] == "mandatory"
    assert violation["urn"].endswith("::network-lb-in-80-0-0-0-0-0")


def test_an_advisory_violation_does_not_fail(tmp_path: Path) -> None:
    config = tmp_path / "lenient.json"
    config.write_text(
        json.dumps(
            {
                "all": "advisory",
                "aws-security-group-no-public-ingress": {"enforcementLevel": "advisory", "publicPorts": [443]},
            }
        )
    )
    code, doc = stackcheck_json("staging", "--policy-config", str(config))
    assert code == 0
    assert doc["summary"]["violations"]["mandatory"] == 0
    assert "aws-security-group-no-public-ingress" in {v["policy"] for v in doc["violations"]}


def test_a_policy_config_naming_an_unknown_policy_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "typo.json"
    config.write_text(json.dumps({"aws-vpc-flowlogs": "mandatory"}))
    result = run_stackcheck("staging", "--policy-config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip() == "typo.json names policies that do not exist: aws-vpc-flowlogs"


# -- the command as a user runs it ----------------------------------------------------------------------------------
def test_python_m_stackcheck_checks_a_stack_in_a_process_of_its_own() -> None:
    result = run_stackcheck_process("local")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("stackcheck webstack/local: ")
    assert "Policies" in result.stdout
    assert result.stderr == ""


def test_python_m_stackcheck_exits_2_with_one_line_for_bad_settings(project_copy: Path) -> None:
    (project_copy / "Pulumi.bad.yaml").write_text(
        yaml.safe_dump({"config": {**BASE, "webstack:databse": {"engine": "mysql"}}})
    )
    result = run_stackcheck_process("bad", root=project_copy)
    assert result.returncode == 2
    assert result.stderr.startswith("webstack:databse is not a setting; did you mean database?")
    assert result.stderr.count("\n") == 1
    assert result.stderr.endswith("\n")
    assert result.stdout == ""
