"""Monitoring on the docker platform: the hardened defaults of the four containers (non-root, no capabilities,
no-new-privileges, read-only roots, health checks, restart policy, loopback-only ports, secrets only as secret
files), the seeds that deliver the files into the configuration volumes, the volumes, cAdvisor's read-only view of
the host, and the generated files parsed back: prometheus.yml
(jobs, targets, alerting, rule files), the rule file (valid rules, every catalog entry, PromQL that parses, the
docker platform's expressions), alertmanager.yml (routes, receivers with and without email and webhook, inhibit
rules) and Grafana's provisioning (data source, dashboard provider, dashboard queries over the rules' metrics)."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import promql_parser
import pulumi
import pulumi_random as random
import pytest
import yaml
from pulumi_policy import ResourceValidationPolicy
from pulumi_policy.policy import _NotApplicableError

from components.alerts import ALERT_NAMES, CATALOG
from components.docker.common import ScrapeTarget
from components.docker.monitoring import Monitoring, MonitoringArgs
from components.docker.monitoring_config import (
    ALERTMANAGER_CONFIG_FILE,
    CADVISOR_BINDS,
    CONFIG_MODE,
    CONTAINERS,
    DOCKER_EXPRESSIONS,
    GRAFANA_ADMIN_USER,
    GRAFANA_DASHBOARDS_DIR,
    GRAFANA_DATASOURCE_UID,
    GRAFANA_PASSWORD_FILE,
    GRAFANA_PROVISIONING_DIR,
    GRAFANA_SECRET_KEY_FILE,
    PROMETHEUS_CONFIG_FILE,
    PROMETHEUS_RULES_FILE,
    RETENTION,
    ROLES,
    SECRET_MODE,
    WEBHOOK_URL_FILE,
    WITHOUT_DATA_ON_DOCKER,
    admin_url,
    alert_rules,
    alertmanager_config,
    docker_alerts,
    grafana_dashboard,
    grafana_dashboard_providers,
    grafana_datasources,
    prometheus_config,
    scrape_ca_file,
)
from components.docker.network import Network, NetworkArgs
from components.docker.platform import monitoring_args
from components.settings import Settings, parse_settings
from policies.rules import ALL_POLICIES
from stackcheck.engine.resources import RecordedResource, is_secret, redact
from tests.components.docker_seeds import REVISION_ENV, has_seed, seed_uploads, seeded, services, volume_mounts
from tests.components.docker_support import env_of
from tests.conftest import construct, one, registered
from tests.policies.support import analyzed, check_resource

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
WEBHOOK_URL = "https://hooks.example.org/services/T000/B000/docker-monitoring-test-webhook"
EMAILS = ["ops@example.org", "oncall@example.org"]
IMAGES = {role: f"sha256:{index + 1:064x}" for index, role in enumerate(ROLES)}
TARGETS = (
    ScrapeTarget("frontend", "frontend:8080"),
    ScrapeTarget("backend", "backend-1:8000"),
    ScrapeTarget("backend", "backend-2:8000"),
    ScrapeTarget("postgres", "postgres-exporter:9187"),
    ScrapeTarget("redis", "redis-exporter:9121"),
)
#: role -> the port it publishes on the admin address (cAdvisor publishes none).
PUBLISHED = {"prometheus": 9090, "alertmanager": 9093, "grafana": 3000}
#: Roles that receive files (through a seed); cAdvisor receives none.
SEEDED = ("prometheus", "alertmanager", "grafana")
DURATION = re.compile(r"\d+[smhdwy]")
#: ``webstack:docker.smtpSmarthost`` of the builds with alert emails.
SMTP_RELAY = "smtp.example.org:587"
WEB = {"frontend": {"image": "ghcr.io/acme/frontend:1.0.0"}, "backend": {"image": "ghcr.io/acme/backend:1.0.0"}}


# -- builds ------------------------------------------------------------------------------------------------------------
def settings_of(*, docker: dict[str, Any] | None = None, **monitoring: Any) -> Settings:
    """A docker stack's settings with ``webstack:monitoring`` (camelCase keys) and ``webstack:docker``; with alert
    emails, ``webstack:docker.smtpSmarthost`` (which the settings then require) is :data:`SMTP_RELAY` unless given."""
    if monitoring.get("alertEmails"):
        docker = {"smtpSmarthost": SMTP_RELAY, **(docker or {})}
    values = {
        "aws:region": "us-east-1",
        "webstack:platform": "docker",
        "webstack:environment": "prod",
        "webstack:domain": "app.example.org",
        "webstack:web": json.dumps(WEB),
        "webstack:monitoring": json.dumps(monitoring),
        "webstack:docker": json.dumps(docker or {}),
    }
    return parse_settings(values, set(), stack="test")


@dataclass
class Built:
    component: Monitoring
    name: str

    def container(self, role: str) -> RecordedResource:
        return one(f"{self.name}-{role}")

    def containers(self) -> list[RecordedResource]:
        """The tools' containers, without the seeds."""
        return services(f"{self.name}-")

    def seed(self, role: str) -> RecordedResource:
        """The seed that delivers the role's files, once the hand-over is checked (see ``seeded``)."""
        return seeded(self.container(role))

    def uploads(self, role: str) -> list[dict[str, Any]]:
        """The files delivered to the role's container: its seed's uploads (the read-only container carries none
        itself); a secret in any of them makes the whole list a secret, unwrapped here. None without a seed."""
        if not has_seed(self.container(role)):
            assert not self.container(role).inputs.get("uploads"), f"{role} carries uploads without a seed"
            return []
        return seed_uploads(self.seed(role))

    def upload(self, role: str, path: str) -> Any:
        found = [u["content"] for u in self.uploads(role) if u["file"] == path]
        assert len(found) == 1, f"{role} has no upload {path}"
        return found[0]

    def upload_paths(self, role: str) -> list[str]:
        return [u["file"] for u in self.uploads(role)]

    def secrets(self) -> set[str]:
        """The plaintexts of the secrets this build handles: the generated values and the webhook URL."""
        generated = (one(f"{self.name}-grafana-{kind}").outputs["result"] for kind in ("admin-password", "secret-key"))
        return {WEBHOOK_URL, *generated}

    def parsed(self, role: str, path: str) -> Any:
        content = self.upload(role, path)
        assert isinstance(content, str), f"{path} is not plain text"
        return yaml.safe_load(content)


def build(
    name: str,
    settings: Settings | None = None,
    *,
    webhook: bool = True,
    targets: Sequence[ScrapeTarget] = TARGETS,
) -> Built:
    """A Monitoring named ``name`` on its own networks; its admin password passed to a probe resource
    (``<name>-probe``), whose recorded inputs show whether the output is secret."""
    settings = settings or settings_of(alertEmails=EMAILS)

    def factory() -> Monitoring:
        network = Network(f"{name}-net", NetworkArgs())
        webhook_url = pulumi.Output.secret(WEBHOOK_URL) if webhook else None
        args = args_of(
            settings, targets, webhook_url, (network.app_network, network.data_network, network.admin_network)
        )
        component = Monitoring(name, args)
        random.RandomId(f"{name}-probe", byte_length=1, keepers={"password": component.admin_password})
        return component

    return Built(construct(factory), name)


def args_of(
    settings: Settings,
    targets: Sequence[ScrapeTarget] = TARGETS,
    webhook_url: pulumi.Input[str] | None = None,
    networks: tuple[pulumi.Input[str], pulumi.Input[str], pulumi.Input[str]] = ("app", "data", "admin"),
) -> MonitoringArgs:
    """The stack's Monitoring Args for ``settings`` (the platform's mapping), on the networks named."""
    app, data, admin = networks
    return monitoring_args(
        settings,
        IMAGES,
        app_network=app,
        data_network=data,
        admin_network=admin,
        targets=targets,
        webhook_url=webhook_url,
    )


def rules_of(settings: Settings) -> Any:
    """The docker rule file for ``settings``, as Prometheus would read it back."""
    return yaml.safe_load(yaml.safe_dump(alert_rules(args_of(settings).thresholds)))


def alerting_of(settings: Settings, has_webhook: bool) -> dict[str, Any]:
    """alertmanager.yml for ``settings``, as the component writes it."""
    args = args_of(settings)
    return alertmanager_config(args.alert_emails or (), has_webhook, args.smtp_smarthost or "", args.smtp_from or "")


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: Any) -> None:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            names.add(node.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


@pytest.fixture(scope="module")
def default() -> Built:
    return build("dmon")


# -- hardening ---------------------------------------------------------------------------------------------------------
def test_defaults_are_secure(default: Built) -> None:
    containers = default.containers()
    assert sorted(r.name for r in containers) == sorted(f"dmon-{role}" for role in ROLES)
    secrets = default.secrets()
    assert len(secrets) == 3
    for resource in containers:
        inputs, role = resource.inputs, resource.name.removeprefix("dmon-")
        user = inputs["user"].split(":")[0]
        assert user not in ("", "root", "0"), resource.name
        assert inputs["capabilities"] == {"drops": ["ALL"], "adds": []}, resource.name
        assert inputs["securityOpts"] == ["no-new-privileges:true"], resource.name
        assert inputs["privileged"] is False
        assert inputs["readOnly"] is True, resource.name
        assert inputs["restart"] == "unless-stopped"
        assert inputs["mustRun"] is True
        health = inputs["healthcheck"]["tests"]
        assert health[:2] == ["CMD", "wget"], resource.name
        assert inputs["memory"] > 0
        assert float(inputs["cpus"]) > 0
        labels = {label["label"]: label["value"] for label in inputs["labels"]}
        assert labels == {"webstack.role": role, "webstack.stack": "test"}
        ports = inputs.get("ports", [])
        if role in PUBLISHED:
            assert ports == [
                {"internal": PUBLISHED[role], "external": PUBLISHED[role], "ip": "127.0.0.1", "protocol": "tcp"}
            ]
        else:
            assert ports == []
        for key, value in env_of(resource).items():
            assert not any(secret in value for secret in secrets), f"{resource.name}: {key} holds a secret"
            assert not key.endswith(("PASSWORD", "SECRET_KEY", "TOKEN")), f"{resource.name}: {key} is a credential"
        # No secret in plain text anywhere in the container's inputs (only inside values marked secret).
        plain = json.dumps(redact(inputs))
        assert not any(secret in plain for secret in secrets), resource.name
        for upload in default.uploads(role):
            secret = "/secrets/" in upload["file"]
            assert upload["permissions"] == (SECRET_MODE if secret else CONFIG_MODE), upload["file"]
    # Files reach the three tools that take them through seeds; cAdvisor takes none.
    seeds = sorted(r.name for r in registered("dmon-", CONTAINER) if r.name.endswith("-seed"))
    assert seeds == sorted(f"dmon-{role}-seed" for role in SEEDED)
    for role in ROLES:
        assert has_seed(default.container(role)) == (role in SEEDED), role
    for role in SEEDED:
        seed = default.seed(role)
        assert seed.inputs["networkMode"] == "none", role
        assert seed.inputs["capabilities"] == {"drops": ["ALL"], "adds": []}, role
        assert seed.inputs["user"] == default.container(role).inputs["user"], role
        assert (seed.inputs["mustRun"], seed.inputs["restart"]) == (False, "no"), role
        assert env_of(default.container(role))[REVISION_ENV] == seed.id, role
        plain = json.dumps(redact(seed.inputs))
        assert not any(secret in plain for secret in secrets), seed.name


def test_the_policy_pack_passes(default: Built) -> None:
    """Every docker resource rule, run as the analyzer runs it (secrets unwrapped), finds nothing."""
    policies = [p for p in ALL_POLICIES if p.name.startswith("docker-") and isinstance(p, ResourceValidationPolicy)]
    assert policies
    seeds = [default.seed(role) for role in SEEDED]
    resources = [*default.containers(), *seeds, *registered("dmon-", VOLUME)]
    for resource in resources:
        for policy in policies:
            try:
                found = check_resource(policy, resource.type, analyzed(resource.inputs))
            except _NotApplicableError:
                continue
            assert found == [], (resource.name, policy.name)


def test_processes_own_their_secret_files(default: Built) -> None:
    # The seed delivers the files owned by the process's own uid and gid; a 0400 secret is readable by that uid only.
    assert SECRET_MODE == "0400"
    for role in SEEDED:
        uid, gid = default.container(role).inputs["user"].split(":")
        assert {(u["owner"], u["group"]) for u in default.uploads(role)} == {(uid, gid)}, role
    assert default.container("grafana").inputs["user"] == "472:0"
    assert default.container("prometheus").inputs["user"] == "65534:65534"


def test_health_checks_probe_each_tool(default: Built) -> None:
    probes = {role: default.container(role).inputs["healthcheck"]["tests"][-1] for role in ROLES}
    assert probes == {
        "prometheus": "http://127.0.0.1:9090/-/healthy",
        "alertmanager": "http://127.0.0.1:9093/-/healthy",
        "grafana": "http://127.0.0.1:3000/api/health",
        "cadvisor": "http://127.0.0.1:8080/healthz",
    }


def test_secrets_reach_containers_only_as_secret_files(default: Built) -> None:
    password = one("dmon-grafana-admin-password")
    assert password.inputs["length"] >= 32
    assert one("dmon-grafana-secret-key").inputs["length"] >= 32
    # The files holding secrets make the seeds' uploads secret as a whole; the services carry none.
    assert is_secret(default.seed("grafana").inputs["uploads"])
    assert is_secret(default.seed("alertmanager").inputs["uploads"])
    assert not is_secret(default.seed("prometheus").inputs["uploads"])
    for role in ROLES:
        assert default.container(role).inputs.get("uploads", []) == [], role
    assert default.upload("grafana", GRAFANA_PASSWORD_FILE) == password.outputs["result"]
    assert default.upload("grafana", GRAFANA_SECRET_KEY_FILE) == one("dmon-grafana-secret-key").outputs["result"]
    assert default.upload("alertmanager", WEBHOOK_URL_FILE) == WEBHOOK_URL
    assert WEBHOOK_URL not in default.upload("alertmanager", ALERTMANAGER_CONFIG_FILE)
    keepers = one("dmon-probe").inputs["keepers"]
    assert is_secret(keepers), "admin_password is not a secret"
    assert keepers["value"]["password"] == password.outputs["result"]


def test_networks(default: Built) -> None:
    def names(role: str) -> set[str]:
        return {network["name"] for network in default.container(role).inputs["networksAdvanced"]}

    assert names("prometheus") == {"webstack-test-app", "webstack-test-data", "webstack-test-admin"}
    for role in ("alertmanager", "grafana", "cadvisor"):
        assert names(role) == {"webstack-test-admin"}, role
    aliases = {role: default.container(role).inputs["networksAdvanced"][0]["aliases"] for role in ROLES}
    assert aliases == {role: [role] for role in ROLES}


def test_state_lives_in_protected_volumes(default: Built) -> None:
    volumes = {v.name: v for v in registered("dmon-", VOLUME)}
    for name in ("dmon-prometheus-data", "dmon-alertmanager-data", "dmon-grafana-data"):
        assert volumes[name].protect, name
        assert volumes[name].retain_on_delete, name
    mounts = {m["target"]: m for m in default.container("prometheus").inputs["mounts"]}
    assert mounts["/prometheus"]["type"] == "volume"
    assert mounts["/prometheus"]["source"] == "webstack-test-dmon-prometheus-data"
    # Uploads land in a mounted configuration volume, not on the read-only root: the seed writes into the volumes
    # the service mounts.
    configs = {
        "prometheus": ("/etc/prometheus/webstack", "webstack-test-dmon-prometheus-config"),
        "alertmanager": ("/etc/alertmanager/webstack", "webstack-test-dmon-alertmanager-config"),
        "grafana": ("/etc/grafana/webstack", "webstack-test-dmon-grafana-config"),
    }
    for role in SEEDED:
        targets = volume_mounts(default.container(role))
        assert volume_mounts(default.seed(role)) == targets, role
        config_dir, volume_name = configs[role]
        assert targets[config_dir] == volume_name, role
        for path in default.upload_paths(role):
            assert path.startswith(f"{config_dir}/"), f"{role}: {path}"
            assert any(path.startswith(f"{target}/") for target in targets), f"{role}: {path}"


def test_prometheus_flags(default: Built) -> None:
    command = default.container("prometheus").inputs["command"]
    assert f"--config.file={PROMETHEUS_CONFIG_FILE}" in command
    assert f"--storage.tsdb.retention.time={RETENTION}" in command
    assert RETENTION == "15d"
    assert "--web.listen-address=:9090" in command
    assert not [flag for flag in command if "lifecycle" in flag or "admin-api" in flag]
    alertmanager = default.container("alertmanager").inputs["command"]
    assert "--cluster.listen-address=" in alertmanager


def test_cadvisor_reads_the_host_read_only_without_privileges(default: Built) -> None:
    inputs = default.container("cadvisor").inputs
    binds = {m["target"]: m for m in inputs["mounts"] if m["type"] == "bind"}
    assert {target: m["source"] for target, m in binds.items()} == dict(CADVISOR_BINDS)
    assert all(m["readOnly"] is True for m in binds.values())
    assert CADVISOR_BINDS == {
        "/rootfs": "/",
        "/var/run": "/var/run",
        "/sys": "/sys",
        "/var/lib/docker": "/var/lib/docker/",
        "/dev/disk": "/dev/disk/",
    }
    assert inputs["user"] == "65534:65534"
    assert inputs["privileged"] is False
    assert inputs["capabilities"]["adds"] == []
    assert inputs.get("ports", []) == []


def test_outputs() -> None:
    built = build("dmon6", settings_of(docker={"adminBindAddress": "::1"}), webhook=False)
    component = built.component
    assert component.grafana_url == "http://[::1]:3000"
    assert component.prometheus_url == "http://[::1]:9090"
    assert component.alertmanager_url == "http://[::1]:9093"
    assert set(component.containers) == set(ROLES)
    for role, port in PUBLISHED.items():
        assert [p["ip"] for p in built.container(role).inputs["ports"]] == ["::1"], port
    assert env_of(built.container("grafana"))["GF_SERVER_ROOT_URL"] == "http://[::1]:3000/"
    assert admin_url("127.0.0.1", 3000) == "http://127.0.0.1:3000"


def bare_args() -> MonitoringArgs:
    """The required Args, nothing else."""
    return MonitoringArgs(
        app_network="app",
        data_network="data",
        admin_network="admin",
        prometheus_image=IMAGES["prometheus"],
        alertmanager_image=IMAGES["alertmanager"],
        grafana_image=IMAGES["grafana"],
        cadvisor_image=IMAGES["cadvisor"],
    )


def test_the_args_name_what_they_refuse() -> None:
    bare = bare_args()
    with pytest.raises(ValueError, match=r"MonitoringArgs\.admin_bind_address must be a loopback address, got '0\.0"):
        Monitoring("dmon-public", dataclasses.replace(bare, admin_bind_address="0.0.0.0"))
    with pytest.raises(ValueError, match=r"MonitoringArgs\.alert_emails need MonitoringArgs\.smtp_smarthost"):
        Monitoring("dmon-nomail", dataclasses.replace(bare, alert_emails=EMAILS, smtp_from="alerts@example.org"))


def test_the_args_alone_are_secure() -> None:
    """Without the stack: the required Args alone publish on loopback only, mail nobody, and write the stack's
    files less its labels."""
    bare = bare_args()
    built = Built(construct(lambda: Monitoring("dmon-bare", bare)), "dmon-bare")
    assert built.component.grafana_url == "http://127.0.0.1:3000"
    for role, port in PUBLISHED.items():
        assert [(p["ip"], p["external"]) for p in built.container(role).inputs["ports"]] == [("127.0.0.1", port)]
    alerting = built.parsed("alertmanager", ALERTMANAGER_CONFIG_FILE)
    assert alerting["receivers"] == [{"name": "webstack"}]
    assert "smtp_smarthost" not in alerting["global"]
    prometheus = built.parsed("prometheus", PROMETHEUS_CONFIG_FILE)
    assert "external_labels" not in prometheus["global"]
    stack = prometheus_config((), args_of(settings_of(), targets=()).external_labels)
    assert stack["global"].pop("external_labels") == {"stack": "test", "environment": "prod"}
    assert prometheus == yaml.safe_load(yaml.safe_dump(stack))
    assert built.parsed("prometheus", PROMETHEUS_RULES_FILE) == rules_of(settings_of())


# -- prometheus.yml and the rules --------------------------------------------------------------------------------------
def test_prometheus_config_parsed(default: Built) -> None:
    config = default.parsed("prometheus", PROMETHEUS_CONFIG_FILE)
    assert config["global"]["scrape_interval"] == "15s"
    assert config["global"]["evaluation_interval"] == "15s"
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert list(jobs) == ["prometheus", "alertmanager", "cadvisor", "frontend", "backend", "postgres", "redis"]
    targets = {name: [t for c in job["static_configs"] for t in c["targets"]] for name, job in jobs.items()}
    assert targets["backend"] == ["backend-1:8000", "backend-2:8000"]
    assert targets["frontend"] == ["frontend:8080"]
    assert targets["cadvisor"] == ["cadvisor:8080"]
    assert targets["prometheus"] == ["localhost:9090"]
    assert jobs["backend"]["metrics_path"] == "/metrics"
    assert jobs["backend"]["scheme"] == "http"
    assert config["alerting"]["alertmanagers"] == [{"static_configs": [{"targets": ["alertmanager:9093"]}]}]
    assert config["rule_files"] == [PROMETHEUS_RULES_FILE]
    assert PROMETHEUS_RULES_FILE in default.upload_paths("prometheus")


def test_prometheus_config_rejects_conflicting_targets() -> None:
    with pytest.raises(ValueError, match="disagree"):
        prometheus_config([ScrapeTarget("api", "a:1"), ScrapeTarget("api", "b:1", metrics_path="/m")])
    with pytest.raises(ValueError, match="own jobs"):
        prometheus_config([ScrapeTarget("cadvisor", "x:1")])
    config = prometheus_config([ScrapeTarget("api", "a:1"), ScrapeTarget("api", "a:1")])
    assert config["scrape_configs"][-1]["static_configs"] == [{"targets": ["a:1"]}]


def test_rules_file_is_a_valid_prometheus_rule_file(default: Built) -> None:
    rules = default.parsed("prometheus", PROMETHEUS_RULES_FILE)
    assert rules == rules_of(settings_of(alertEmails=EMAILS))
    groups = rules["groups"]
    assert groups
    assert len({group["name"] for group in groups}) == len(groups)
    seen: set[str] = set()
    for group in groups:
        assert set(group) == {"name", "rules"}
        assert group["rules"]
        for rule in group["rules"]:
            assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule
            assert rule["labels"]["severity"] in ("warning", "critical")
            assert rule["annotations"]["summary"]
            assert rule["annotations"]["description"]
            assert DURATION.fullmatch(rule["for"]), rule["for"]
            assert "{threshold}" not in rule["expr"]
            promql_parser.parse(rule["expr"])  # raises on invalid PromQL
            seen.add(rule["alert"])
    assert seen == set(ALERT_NAMES)


def test_rules_use_docker_metrics_and_thresholds() -> None:
    rules = rules_of(settings_of(thresholds={"ServiceCpuHigh": {"warning": 60, "critical": 85}}))
    by_alert: dict[str, list[dict[str, Any]]] = {}
    for group in rules["groups"]:
        for rule in group["rules"]:
            by_alert.setdefault(rule["alert"], []).append(rule)
    cpu = {rule["labels"]["severity"]: rule["expr"] for rule in by_alert["ServiceCpuHigh"]}
    assert set(cpu) == {"warning", "critical"}
    assert cpu["warning"].endswith("> 60")
    assert cpu["critical"].endswith("> 85")
    for name in DOCKER_EXPRESSIONS:
        for rule in by_alert[name]:
            assert CONTAINERS in rule["expr"], name
            assert 'name=~".+"' not in rule["expr"]
            assert {"container_spec_cpu_quota", "container_spec_memory_limit_bytes"} & metric_names(rule["expr"])
    unchanged = [a for a in docker_alerts(CATALOG) if a.name not in DOCKER_EXPRESSIONS]
    assert unchanged == [a for a in CATALOG if a.name not in DOCKER_EXPRESSIONS]
    assert set(WITHOUT_DATA_ON_DOCKER) <= set(ALERT_NAMES)


# -- alertmanager.yml --------------------------------------------------------------------------------------------------
def test_alertmanager_config_parsed(default: Built) -> None:
    config = default.parsed("alertmanager", ALERTMANAGER_CONFIG_FILE)
    route = config["route"]
    names = {receiver["name"] for receiver in config["receivers"]}
    assert route["receiver"] in names
    routes = {tuple(r["matchers"]): r for r in route["routes"]}
    critical, warning = routes[('severity="critical"',)], routes[('severity="warning"',)]
    assert (critical["group_wait"], critical["repeat_interval"]) == ("30s", "1h")
    assert (warning["group_wait"], warning["repeat_interval"]) == ("5m", "4h")
    assert {critical["receiver"], warning["receiver"]} <= names
    (receiver,) = config["receivers"]
    assert [c["to"] for c in receiver["email_configs"]] == EMAILS
    assert receiver["webhook_configs"] == [{"url_file": WEBHOOK_URL_FILE, "send_resolved": True}]
    assert config["global"]["smtp_smarthost"] == SMTP_RELAY  # webstack:docker.smtpSmarthost
    assert config["global"]["smtp_from"] == "alertmanager@app.example.org"
    assert config["global"]["smtp_require_tls"] is True
    assert config["inhibit_rules"] == [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity="warning"'],
            "equal": ["alertname", "instance"],
        }
    ]


@pytest.mark.parametrize(
    ("emails", "webhook"),
    [([], False), ([], True), (EMAILS, False), (EMAILS, True)],
    ids=["none", "hook", "mail", "both"],
)
def test_alertmanager_receivers(emails: list[str], webhook: bool) -> None:
    config = yaml.safe_load(yaml.safe_dump(alerting_of(settings_of(alertEmails=emails), webhook)))
    (receiver,) = config["receivers"]
    assert ("email_configs" in receiver) == bool(emails)
    assert ("webhook_configs" in receiver) == webhook
    assert ("smtp_smarthost" in config["global"]) == bool(emails)
    assert config["route"]["receiver"] == receiver["name"]


def test_webhook_file_only_with_a_webhook() -> None:
    built = build("dmon7", settings_of(), webhook=False)
    assert built.upload_paths("alertmanager") == [ALERTMANAGER_CONFIG_FILE]
    assert WEBHOOK_URL_FILE not in built.upload_paths("alertmanager")
    config = built.parsed("alertmanager", ALERTMANAGER_CONFIG_FILE)
    assert config["receivers"] == [{"name": "webstack"}]


# -- Grafana -----------------------------------------------------------------------------------------------------------
def test_grafana_settings(default: Built) -> None:
    env = env_of(default.container("grafana"))
    assert env["GF_SECURITY_ADMIN_USER"] == GRAFANA_ADMIN_USER != "admin"
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"] == GRAFANA_PASSWORD_FILE
    assert env["GF_SECURITY_SECRET_KEY__FILE"] == GRAFANA_SECRET_KEY_FILE
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env
    assert env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    assert env["GF_SECURITY_DISABLE_GRAVATAR"] == "true"
    assert env["GF_ANALYTICS_REPORTING_ENABLED"] == "false"
    assert env["GF_SECURITY_COOKIE_SECURE"] == "true"
    assert env["GF_SERVER_ROOT_URL"] == "http://127.0.0.1:3000/"
    assert env["GF_PATHS_PROVISIONING"] == GRAFANA_PROVISIONING_DIR
    assert default.component.admin_user == GRAFANA_ADMIN_USER


def test_grafana_provisioning_parsed(default: Built) -> None:
    sources = default.parsed("grafana", f"{GRAFANA_PROVISIONING_DIR}/datasources/webstack.yml")
    assert sources == grafana_datasources()
    (source,) = sources["datasources"]
    assert source["uid"] == GRAFANA_DATASOURCE_UID
    assert source["type"] == "prometheus"
    assert source["isDefault"] is True
    assert source["url"] == "http://prometheus:9090"
    providers = default.parsed("grafana", f"{GRAFANA_PROVISIONING_DIR}/dashboards/webstack.yml")
    assert providers == grafana_dashboard_providers()
    (provider,) = providers["providers"]
    assert provider["options"]["path"] == GRAFANA_DASHBOARDS_DIR
    assert provider["allowUiUpdates"] is False
    dashboard = json.loads(default.upload("grafana", f"{GRAFANA_DASHBOARDS_DIR}/webstack.json"))
    assert dashboard == grafana_dashboard()


def test_dashboard_queries_use_the_rules_metrics() -> None:
    dashboard = grafana_dashboard()
    titles = [panel["title"] for panel in dashboard["panels"]]
    for word in ("Request rate", "p95", "5xx", "Database connections", "Replication lag", "Cache hit rate"):
        assert any(word in title for title in titles), word
    for word in ("Cache memory", "Container CPU", "Container memory"):
        assert any(word in title for title in titles), word
    rule_metrics: set[str] = set()
    for group in rules_of(settings_of())["groups"]:
        for rule in group["rules"]:
            rule_metrics |= metric_names(rule["expr"])
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == GRAFANA_DATASOURCE_UID
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            names = metric_names(target["expr"])
            assert names, target["expr"]
            assert names <= rule_metrics, (panel["title"], names - rule_metrics)
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(set(ids)) == len(ids)


def test_https_targets_are_verified_against_their_ca() -> None:
    ca = pulumi.Output.from_input("-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n")
    targets = [ScrapeTarget(job="object-storage", address="minio:9000", metrics_path="/m", scheme="https", ca_pem=ca)]
    (job,) = [j for j in prometheus_config(targets)["scrape_configs"] if j["job_name"] == "object-storage"]
    assert job["scheme"] == "https"
    assert job["tls_config"] == {"ca_file": scrape_ca_file("object-storage"), "insecure_skip_verify": False}
