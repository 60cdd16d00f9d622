"""The monitoring tools' files on docker, pure functions of the Monitoring component's Args: ``prometheus.yml`` and
its rules, ``alertmanager.yml``, Grafana's settings, provisioning and dashboard, and the ports, paths and users the
:class:`components.docker.monitoring.Monitoring` containers run with.


What the docker platform's metrics change in the catalog's rules (:func:`docker_alerts`):

- cAdvisor runs as ``nobody`` (see below), so it cannot ask the Docker daemon for container names: containers are
  told apart by their cgroup (``id``) instead of ``name``. ``ServiceCpuHigh`` and ``ServiceMemoryHigh`` select Docker
  containers by cgroup and group by ``id`` and ``name`` (``name`` is empty until cAdvisor can reach the daemon), and
  ``ServiceCpuHigh`` becomes % of the container's CPU limit (its "reservation"), which every container here has.
- Alerts whose metrics nothing on the docker platform exports are kept (one catalog on every platform; they start
  working as soon as an exporter under the expected job appears) and listed in :data:`WITHOUT_DATA_ON_DOCKER`.
- ``UnhealthyTargets`` and ``TasksBelowDesired`` count ``up{job=~"frontend|backend"}``: the web services' scrape
  targets use the jobs ``frontend`` and ``backend`` (components/docker/web_tier.py).
- ``BackupJobFailed`` reads ``webstack_backup_failures_total`` from the job ``backup`` (the backup job's metrics,
  served by a textfile collector: components/docker/backups.py); ``SlowDatabaseQueries`` reads MySQL's slow-query
  counter or, on PostgreSQL, pg_stat_statements through postgres-exporter.

cAdvisor and root: cAdvisor's documented way to run is as root (often privileged). :func:`common.container` refuses
root, and Docker gives a non-root process none of the capabilities added with ``cap_add`` (it sets the bounding set
only, never the ambient set; moby/moby#50083), so adding ``CAP_DAC_READ_SEARCH`` would change nothing. cAdvisor
therefore runs as ``nobody`` with no capability: it reads the cgroup files (world-readable) and so reports CPU,
memory and block I/O per cgroup, including the limits; it cannot open the Docker socket (``root:docker 0660``) or
``/var/lib/docker`` (``0710 root``), so it reports no container names, image names or labels, no per-container
filesystem usage and (outside the containers' network namespaces) no per-container network traffic. That the
Docker socket stays out of reach is also a gain: any process that can open it controls the host.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import yaml

from ..alerts import Alert, Prometheus, Severity, catalog, prometheus_rules
from .common import ScrapeTarget

#: The tools this component runs (each with its ``MonitoringArgs.<role>_image``).
ROLES = ("prometheus", "alertmanager", "grafana", "cadvisor")

PROMETHEUS_PORT = 9090
ALERTMANAGER_PORT = 9093
GRAFANA_PORT = 3000
CADVISOR_PORT = 8080
#: DNS names of the tools on their networks (network aliases).
PROMETHEUS_HOST = "prometheus"
ALERTMANAGER_HOST = "alertmanager"
GRAFANA_HOST = "grafana"
CADVISOR_HOST = "cadvisor"

#: ``uid:gid`` of each process: the images' own unprivileged users (Prometheus and Alertmanager: nobody; Grafana:
#: grafana, uid 472 with the image's own group 0, which owns its data directory); cAdvisor runs as nobody (see the
#: module docstring).
USERS = {"prometheus": "65534:65534", "alertmanager": "65534:65534", "grafana": "472:0", "cadvisor": "65534:65534"}
#: Modes of uploaded files (owned by the process's uid:gid): configuration, and secrets.
CONFIG_MODE = "0444"
SECRET_MODE = "0400"
#: Memory (MiB) and CPUs of each container.
RESOURCES: Mapping[str, tuple[int, float]] = {
    "prometheus": (1024, 1.0),
    "alertmanager": (128, 0.25),
    "grafana": (512, 0.5),
    "cadvisor": (256, 0.5),
}

SCRAPE_INTERVAL = "15s"
EVALUATION_INTERVAL = "15s"
#: How long Prometheus keeps samples.
RETENTION = "15d"
#: Jobs :func:`prometheus_config` defines itself; scrape targets must not use them.
OWN_JOBS = ("prometheus", "alertmanager", "cadvisor")


PROMETHEUS_CONFIG_DIR = "/etc/prometheus/webstack"
PROMETHEUS_CONFIG_FILE = f"{PROMETHEUS_CONFIG_DIR}/prometheus.yml"
PROMETHEUS_RULES_FILE = f"{PROMETHEUS_CONFIG_DIR}/rules/webstack.yml"
PROMETHEUS_DATA_DIR = "/prometheus"

ALERTMANAGER_CONFIG_DIR = "/etc/alertmanager/webstack"
ALERTMANAGER_CONFIG_FILE = f"{ALERTMANAGER_CONFIG_DIR}/alertmanager.yml"
#: The webhook URL (``webstack:alertWebhookUrl``), uploaded as a secret file and read through ``url_file``.
WEBHOOK_URL_FILE = f"{ALERTMANAGER_CONFIG_DIR}/secrets/webhook-url"
ALERTMANAGER_DATA_DIR = "/alertmanager"
RECEIVER = "webstack"
#: Per severity: how long to wait to group the first alerts, and how often to repeat an alert that is still firing.
SEVERITY_TIMING: Mapping[str, tuple[str, str]] = {"critical": ("30s", "1h"), "warning": ("5m", "4h")}

GRAFANA_CONFIG_DIR = "/etc/grafana/webstack"
GRAFANA_PROVISIONING_DIR = f"{GRAFANA_CONFIG_DIR}/provisioning"
GRAFANA_DASHBOARDS_DIR = f"{GRAFANA_CONFIG_DIR}/dashboards"
GRAFANA_PASSWORD_FILE = f"{GRAFANA_CONFIG_DIR}/secrets/admin-password"
GRAFANA_SECRET_KEY_FILE = f"{GRAFANA_CONFIG_DIR}/secrets/secret-key"
GRAFANA_DATA_DIR = "/var/lib/grafana"
#: The administrator's login: not Grafana's default ``admin``.
GRAFANA_ADMIN_USER = "webstack-admin"
GRAFANA_DATASOURCE_UID = "webstack-prometheus"
GRAFANA_DASHBOARD_UID = "webstack-overview"
PASSWORD_LENGTH = 32

#: Read-only binds cAdvisor needs (mount point -> host path): cgroups, Docker's state, disks and the root filesystem.
CADVISOR_BINDS: Mapping[str, str] = {
    "/rootfs": "/",
    "/var/run": "/var/run",
    "/sys": "/sys",
    "/var/lib/docker": "/var/lib/docker/",
    "/dev/disk": "/dev/disk/",
}
#: Metric kinds cAdvisor does not collect (costly, or nothing here reads them).
CADVISOR_DISABLED_METRICS = (
    "advtcp,cpu_topology,hugetlb,memory_numa,percpu,perf_event,process,referenced_memory,resctrl,sched,tcp,udp"
)

#: cAdvisor series of Docker containers, by cgroup: ``/system.slice/docker-<id>.scope`` (systemd cgroup driver) or
#: ``/docker/<id>`` (cgroupfs driver). Works whether or not cAdvisor can name the containers.
CONTAINERS = 'id=~"/docker/.+|/system.slice/docker-.+"'
#: The docker platform's expressions for catalog entries whose metrics differ here (``{threshold}`` as in the catalog).
DOCKER_EXPRESSIONS: Mapping[str, str] = {
    "ServiceCpuHigh": (
        f"100 * sum by (id, name) (rate(container_cpu_usage_seconds_total{{{CONTAINERS}}}[5m])) / "
        f"(sum by (id, name) (container_spec_cpu_quota{{{CONTAINERS}}}) / "
        f"sum by (id, name) (container_spec_cpu_period{{{CONTAINERS}}})) > {{threshold}}"
    ),
    "ServiceMemoryHigh": (
        f"100 * sum by (id, name) (container_memory_working_set_bytes{{{CONTAINERS}}}) / "
        f"(sum by (id, name) (container_spec_memory_limit_bytes{{{CONTAINERS}}}) > 0) > {{threshold}}"
    ),
}
#: Catalog entries nothing on the docker platform exports metrics for: kept in the rules (one catalog on every
#: platform; each starts working as soon as an exporter under the expected job appears), never firing.
#: docs/local-stack.md and stackcheck's report of the local stack list them with these reasons.
WITHOUT_DATA_ON_DOCKER: Mapping[str, str] = {
    "DatabaseCpuHigh": 'node_cpu_seconds_total{job="database"}: no node exporter measures the database servers; '
    "their containers' CPU is covered by ServiceCpuHigh (same 70 % threshold, of the container's limit)",
    "DatabaseStorageLow": 'node_filesystem_*{job="database"}: no node exporter measures the volumes, and cAdvisor '
    "(without the Docker socket) reports no volume usage",
    "BlockedRequestsSpike": "counts 403/429 in the app's http_requests_total; requests nginx rejects (rate limits) "
    "never reach the app, and nginx exports no metrics",
    "SiteDown": 'probe_success{job="uptime"}: no blackbox exporter probes https://<domain>/health',
}


# -- configuration files (pure) ----------------------------------------------------------------------------------------
def admin_url(address: str, port: int) -> str:
    """``http://<address>:<port>``, with an IPv6 address in brackets."""
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


def scrape_ca_file(job: str) -> str:
    """Where Prometheus reads the CA of an https scrape job."""
    return f"{PROMETHEUS_CONFIG_DIR}/ca/{job}.pem"


def prometheus_config(
    targets: Sequence[ScrapeTarget], external_labels: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``prometheus.yml``: the monitoring tools, then one job per scrape target job (its targets grouped), the
    catalog's rules, and Alertmanager; ``external_labels`` on every series and alert that leaves Prometheus."""
    jobs: dict[str, dict[str, Any]] = {}
    for target in targets:
        if target.job in OWN_JOBS:
            raise ValueError(f"scrape target job {target.job!r} is one of the monitoring tools' own jobs")
        job = jobs.setdefault(
            target.job,
            {
                "job_name": target.job,
                "metrics_path": target.metrics_path,
                "scheme": target.scheme,
                "static_configs": [{"targets": []}],
            },
        )
        if target.ca_pem is not None:
            job["tls_config"] = {"ca_file": scrape_ca_file(target.job), "insecure_skip_verify": False}
        if (job["metrics_path"], job["scheme"]) != (target.metrics_path, target.scheme):
            raise ValueError(
                f"scrape targets of job {target.job!r} disagree on metrics path or scheme: "
                f"{job['scheme']}://…{job['metrics_path']} and {target.scheme}://…{target.metrics_path}"
            )
        addresses: list[str] = job["static_configs"][0]["targets"]
        if target.address not in addresses:
            addresses.append(target.address)
    own = [
        _job("prometheus", f"localhost:{PROMETHEUS_PORT}"),
        _job("alertmanager", f"{ALERTMANAGER_HOST}:{ALERTMANAGER_PORT}"),
        _job("cadvisor", f"{CADVISOR_HOST}:{CADVISOR_PORT}"),
    ]
    return {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "evaluation_interval": EVALUATION_INTERVAL,
            **({"external_labels": dict(external_labels)} if external_labels else {}),
        },
        "rule_files": [PROMETHEUS_RULES_FILE],
        "alerting": {
            "alertmanagers": [{"static_configs": [{"targets": [f"{ALERTMANAGER_HOST}:{ALERTMANAGER_PORT}"]}]}]
        },
        "scrape_configs": [*own, *jobs.values()],
    }


def _job(name: str, address: str) -> dict[str, Any]:
    return {"job_name": name, "static_configs": [{"targets": [address]}]}


def docker_alerts(alerts: Sequence[Alert]) -> tuple[Alert, ...]:
    """The catalog with the docker platform's expressions (:data:`DOCKER_EXPRESSIONS`) in place of the catalog's."""
    return tuple(
        replace(alert, prometheus=Prometheus(DOCKER_EXPRESSIONS[alert.name], alert.prometheus.for_))
        if alert.name in DOCKER_EXPRESSIONS
        else alert
        for alert in alerts
    )


def alert_rules(thresholds: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, object]:
    """The rule file Prometheus evaluates: the catalog (with ``thresholds``: alert name -> severity -> threshold) for
    docker."""
    # The catalog checks the names and severities (an unknown one is an error).
    return prometheus_rules(docker_alerts(catalog(cast("Mapping[str, Mapping[Severity, float]]", thresholds))))


def alertmanager_config(
    alert_emails: Sequence[str], has_webhook: bool, smtp_smarthost: str = "", smtp_from: str = ""
) -> dict[str, Any]:
    """``alertmanager.yml``: one receiver that emails every alert address and posts to the webhook (read from
    :data:`WEBHOOK_URL_FILE`) when one is set; with neither, alerts show in Alertmanager's UI only. Routes per
    severity (:data:`SEVERITY_TIMING`); a critical alert inhibits the warning of the same alert and instance."""
    receiver: dict[str, Any] = {"name": RECEIVER}
    emails = list(alert_emails)
    if emails:
        receiver["email_configs"] = [{"to": address, "send_resolved": True} for address in emails]
    if has_webhook:
        receiver["webhook_configs"] = [{"url_file": WEBHOOK_URL_FILE, "send_resolved": True}]
    global_: dict[str, Any] = {"resolve_timeout": "5m"}
    if emails:
        global_.update(
            smtp_smarthost=smtp_smarthost,
            smtp_from=smtp_from,
            smtp_require_tls=True,
        )
    return {
        "global": global_,
        "route": {
            "receiver": RECEIVER,
            "group_by": ["alertname", "instance"],
            "group_wait": SEVERITY_TIMING["warning"][0],
            "group_interval": "5m",
            "repeat_interval": SEVERITY_TIMING["warning"][1],
            "routes": [
                {
                    "receiver": RECEIVER,
                    "matchers": [f'severity="{severity}"'],
                    "group_wait": wait,
                    "repeat_interval": repeat,
                }
                for severity, (wait, repeat) in SEVERITY_TIMING.items()
            ],
        },
        "receivers": [receiver],
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["alertname", "instance"],
            }
        ],
    }


def grafana_environment(admin_bind_address: str) -> dict[str, str]:
    """Grafana's settings (plain values only: the password and secret key come from files), for a Grafana published
    on ``admin_bind_address``."""
    return {
        "GF_SERVER_HTTP_PORT": str(GRAFANA_PORT),
        "GF_SERVER_ROOT_URL": f"{admin_url(admin_bind_address, GRAFANA_PORT)}/",
        "GF_SECURITY_ADMIN_USER": GRAFANA_ADMIN_USER,
        "GF_SECURITY_ADMIN_PASSWORD__FILE": GRAFANA_PASSWORD_FILE,
        "GF_SECURITY_SECRET_KEY__FILE": GRAFANA_SECRET_KEY_FILE,
        "GF_SECURITY_DISABLE_GRAVATAR": "true",
        "GF_SECURITY_COOKIE_SECURE": "true",
        "GF_SECURITY_COOKIE_SAMESITE": "strict",
        "GF_USERS_ALLOW_SIGN_UP": "false",
        "GF_USERS_ALLOW_ORG_CREATE": "false",
        "GF_AUTH_ANONYMOUS_ENABLED": "false",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_SNAPSHOTS_EXTERNAL_ENABLED": "false",
        "GF_NEWS_NEWS_FEED_ENABLED": "false",
        "GF_LOG_MODE": "console",
        "GF_PATHS_PROVISIONING": GRAFANA_PROVISIONING_DIR,
    }


def grafana_datasources() -> dict[str, Any]:
    """Provisioning of the Prometheus data source: fixed uid (the dashboard names it), the default, not editable."""
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": "Prometheus",
                "uid": GRAFANA_DATASOURCE_UID,
                "type": "prometheus",
                "access": "proxy",
                "url": f"http://{PROMETHEUS_HOST}:{PROMETHEUS_PORT}",
                "isDefault": True,
                "editable": False,
                "jsonData": {"timeInterval": SCRAPE_INTERVAL, "httpMethod": "POST"},
            }
        ],
    }


def grafana_dashboard_providers() -> dict[str, Any]:
    """Provisioning of the dashboards in :data:`GRAFANA_DASHBOARDS_DIR` (changed in code, not in the UI)."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "webstack",
                "orgId": 1,
                "folder": "webstack",
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": GRAFANA_DASHBOARDS_DIR},
            }
        ],
    }


@dataclass(frozen=True)
class Panel:
    """One time-series panel: queries as (PromQL, legend)."""

    title: str
    unit: str
    queries: tuple[tuple[str, str], ...]


_RATE = "rate(http_requests_total[5m])"
#: The guides' key metrics, in the metric names the rules use.
PANELS: tuple[Panel, ...] = (
    Panel("Request rate (requests/s)", "reqps", ((f"sum by (job) ({_RATE})", "{{job}}"),)),
    Panel(
        "Response time p95 (ms)",
        "ms",
        (("1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))", "p95"),),
    ),
    Panel(
        "5xx responses (% of requests)",
        "percent",
        ((f'100 * sum(rate(http_requests_total{{status=~"5.."}}[5m])) / clamp_min(sum({_RATE}), 1e-9)', "5xx"),),
    ),
    Panel(
        "Database connections",
        "short",
        (
            ("sum by (instance) (pg_stat_activity_count)", "{{instance}}"),
            ("max by (instance) (mysql_global_status_threads_connected)", "{{instance}}"),
        ),
    ),
    Panel(
        "Replication lag (s)",
        "s",
        (
            (
                "max by (instance) (mysql_slave_status_seconds_behind_master or pg_replication_lag_seconds)",
                "{{instance}}",
            ),
        ),
    ),
    Panel(
        "Cache hit rate (%)",
        "percent",
        (
            (
                "100 * sum(rate(redis_keyspace_hits_total[5m])) / clamp_min(sum(rate(redis_keyspace_hits_total[5m])) "
                "+ sum(rate(redis_keyspace_misses_total[5m])), 1e-9)",
                "hit rate",
            ),
        ),
    ),
    Panel(
        "Cache memory",
        "bytes",
        (
            ("sum by (instance) (redis_memory_used_bytes)", "used {{instance}}"),
            ("sum by (instance) (redis_memory_max_bytes)", "max {{instance}}"),
        ),
    ),
    Panel(
        "Container CPU (% of limit)",
        "percent",
        (
            (
                f"100 * sum by (id, name) (rate(container_cpu_usage_seconds_total{{{CONTAINERS}}}[5m])) / "
                f"(sum by (id, name) (container_spec_cpu_quota{{{CONTAINERS}}}) / "
                f"sum by (id, name) (container_spec_cpu_period{{{CONTAINERS}}}))",
                "{{name}} {{id}}",
            ),
        ),
    ),
    Panel(
        "Container memory (% of limit)",
        "percent",
        (
            (
                f"100 * sum by (id, name) (container_memory_working_set_bytes{{{CONTAINERS}}}) / "
                f"(sum by (id, name) (container_spec_memory_limit_bytes{{{CONTAINERS}}}) > 0)",
                "{{name}} {{id}}",
            ),
        ),
    ),
)


def grafana_dashboard() -> dict[str, Any]:
    """The overview dashboard: :data:`PANELS`, two per row, over the provisioned data source."""
    source = {"type": "prometheus", "uid": GRAFANA_DATASOURCE_UID}
    panels = [
        {
            "id": index + 1,
            "type": "timeseries",
            "title": panel.title,
            "datasource": source,
            "gridPos": {"x": 12 * (index % 2), "y": 8 * (index // 2), "w": 12, "h": 8},
            "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
            "targets": [
                {"refId": chr(ord("A") + number), "datasource": source, "expr": expr, "legendFormat": legend}
                for number, (expr, legend) in enumerate(panel.queries)
            ],
        }
        for index, panel in enumerate(PANELS)
    ]
    return {
        "uid": GRAFANA_DASHBOARD_UID,
        "title": "webstack overview",
        "tags": ["webstack"],
        "timezone": "utc",
        "schemaVersion": 39,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    }


def yaml_text(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False, width=1000)
