"""Monitoring on the docker platform: Prometheus with the alert catalog as rules, Alertmanager routing by severity,
Grafana with a provisioned data source and dashboard, and cAdvisor for container metrics.

- **Prometheus** (uid 65534) joins the ``app``, ``data`` and ``admin`` networks, so that it reaches every scrape
  target and the other monitoring tools. Its configuration (:func:`prometheus_config`) scrapes one job per
  :class:`~components.docker.common.ScrapeTarget` job, cAdvisor, Alertmanager and itself, every 15 s; it evaluates
  the catalog's rules (:func:`alert_rules`) every 15 s and sends alerts to Alertmanager. Its time-series database
  lives in a volume and keeps 15 days. The lifecycle and admin APIs stay off.
- **Alertmanager** (uid 65534, ``admin`` network, which has a route out for email and the webhook) routes by
  severity (:func:`alertmanager_config`): critical alerts after 30 s and again every hour, warnings after 5 minutes
  and again every 4 hours, to every address of ``webstack:monitoring.alertEmails`` and to ``webstack:alertWebhookUrl``
  (read from an uploaded secret file, never written into the configuration); a critical alert silences the warning
  of the same alert and instance. Clustering (gossip on 9094) is off: there is one Alertmanager.
- **Grafana** (uid 472, ``admin`` network) signs in one generated administrator (not ``admin``; the password is a
  generated secret read from a file, output ``admin_password``), allows no sign-up, no anonymous access, no
  gravatar and no phoning home, and is provisioned with the Prometheus data source (:func:`grafana_datasources`)
  and the guides' key metrics as a dashboard (:func:`grafana_dashboard`), from the same metric names as the rules.
  Grafana applies the password when it first creates its database (in the volume): a regenerated password needs
  ``grafana cli admin reset-admin-password`` in the container as well.
- **cAdvisor** (``admin`` network, not published) reads the host's cgroups and Docker data through read-only binds.

Prometheus (9090), Alertmanager (9093) and Grafana (3000) publish their ports on ``webstack:docker.adminBindAddress``
(loopback) only: reach them through an SSH tunnel. Inside their containers they listen on every interface, which is
what lets Docker forward the published port and the other tools reach them on the ``admin`` network; the host sees
them on loopback only.

Files: every container keeps a read-only root filesystem; its configuration and secrets are delivered by a seed
container (see :func:`components.docker.common.container`) into a small configuration volume mounted where the process
reads them, owned by the process's own uid:gid: configuration files ``0444``, secret files ``0400``. HTTPS scrape
targets (MinIO) are verified against the CA they name, uploaded next to ``prometheus.yml``.

What the docker platform's metrics change in the catalog's rules (:func:`docker_alerts`):

- cAdvisor runs as ``nobody`` (see below), so it cannot ask the Docker daemon for container names: containers are
  told apart by their cgroup (``id``) instead of ``name``. ``ServiceCpuHigh`` and ``ServiceMemoryHigh`` select Docker
  containers by cgroup and group by ``id`` and ``name`` (``name`` is empty until cAdvisor can reach the daemon), and
  ``ServiceCpuHigh`` becomes % of the container's CPU limit (its "reservation"), which every container here has.
- Alerts whose metrics nothing on the docker platform exports are kept (one catalog on every platform; they start
  working as soon as an exporter under the expected job appears) and listed in :data:`WITHOUT_DATA_ON_DOCKER`.
- ``UnhealthyTargets`` and ``TasksBelowDesired`` count ``up{job=~"frontend|backend"}``: the web services' scrape
  targets use the jobs ``frontend`` and ``backend`` (components/docker/web.py).
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

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_docker as docker
import pulumi_random as random
import yaml

from ..alerts import Alert, Prometheus, catalog, prometheus_rules
from ..settings import Settings
from .common import (
    ContainerSpec,
    HealthCheck,
    Networks,
    Port,
    ScrapeTarget,
    Upload,
    container,
    volume,
)

MONITORING_TYPE = "webstack:docker:Monitoring"
#: Image roles this component runs (keys of ``MonitoringArgs.images``).
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


@dataclass(frozen=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`."""

    settings: Settings
    networks: Networks
    images: Mapping[str, pulumi.Input[str]]
    """Image ids by role: ``prometheus``, ``alertmanager``, ``grafana``, ``cadvisor``."""
    targets: Sequence[ScrapeTarget]
    """What Prometheus scrapes besides the monitoring tools; the web services as jobs ``frontend`` and ``backend``."""
    webhook_url: pulumi.Output[str] | None = None
    """``webstack:alertWebhookUrl`` (a secret), or None: alerts go by email only."""


class Monitoring(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana and cAdvisor on one Docker host (see the module docstring)."""

    containers: dict[str, docker.Container]
    """By role: ``prometheus``, ``alertmanager``, ``grafana``, ``cadvisor``."""
    prometheus_url: str
    alertmanager_url: str
    grafana_url: str
    """``http://<admin bind address>:<port>``: on the host's loopback only."""
    admin_user: str
    admin_password: pulumi.Output[str]
    """Grafana's administrator password (a secret)."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        missing = [role for role in ROLES if role not in args.images]
        if missing:
            raise ValueError(f"monitoring needs an image for each of {', '.join(missing)}")
        super().__init__(MONITORING_TYPE, name, None, opts)
        settings = args.settings
        bind = settings.docker.admin_bind_address
        self.prometheus_url = admin_url(bind, PROMETHEUS_PORT)
        self.alertmanager_url = admin_url(bind, ALERTMANAGER_PORT)
        self.grafana_url = admin_url(bind, GRAFANA_PORT)
        self.admin_user = GRAFANA_ADMIN_USER
        self.admin_password = self._generated(f"{name}-grafana-admin-password")
        # Grafana encrypts data source secrets with this key; its built-in default is public.
        secret_key = self._generated(f"{name}-grafana-secret-key")
        self.containers = {
            "cadvisor": self._cadvisor(name, args),
            "alertmanager": self._alertmanager(name, args),
            "prometheus": self._prometheus(name, args),
            "grafana": self._grafana(name, args, self.admin_password, secret_key),
        }
        self.register_outputs(
            {
                "prometheusUrl": self.prometheus_url,
                "alertmanagerUrl": self.alertmanager_url,
                "grafanaUrl": self.grafana_url,
                "grafanaAdminUser": self.admin_user,
                "grafanaAdminPassword": self.admin_password,
            }
        )

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _generated(self, name: str) -> pulumi.Output[str]:
        """A generated password (letters and digits), as a secret."""
        password = random.RandomPassword(name, length=PASSWORD_LENGTH, special=False, opts=self._child())
        return pulumi.Output.secret(password.result)

    def _tool(
        self,
        name: str,
        args: MonitoringArgs,
        role: str,
        *,
        port: int,
        health_path: str,
        alias: str,
        networks: Sequence[docker.Network],
        tmpfs_size: str = "16m",
        state_dirs: tuple[str, str] | None = None,
        command: Sequence[pulumi.Input[str]] | None = None,
        envs: Mapping[str, pulumi.Input[str]] | None = None,
        uploads: Sequence[Upload] = (),
        read_only_binds: Mapping[str, str] | None = None,
    ) -> docker.Container:
        """The ``role`` tool's container: its image, user, memory and CPUs (:data:`RESOURCES`), a health check that
        fetches ``health_path`` on ``port``, a ``/tmp`` tmpfs and its DNS ``alias``. With ``state_dirs`` (data and
        configuration directories), a volume on each and ``port`` published on the admin bind address."""
        memory, cpus = RESOURCES[role]
        volumes: dict[str, docker.Volume] = {}
        ports: list[Port] = []
        if state_dirs is not None:
            data_dir, config_dir = state_dirs
            volumes[data_dir] = volume(f"{name}-{role}-data", role, self._child())
            volumes[config_dir] = volume(f"{name}-{role}-config", role, self._child())
            ports.append(Port(port, port, args.settings.docker.admin_bind_address))
        spec = ContainerSpec(
            image=args.images[role],
            user=USERS[role],
            role=role,
            networks=networks,
            health=HealthCheck(["wget", "-qO-", f"http://127.0.0.1:{port}{health_path}"]),
            memory_mb=memory,
            cpus=cpus,
            command=command,
            envs=envs or {},
            uploads=uploads,
            tmpfs={"/tmp": f"rw,noexec,nosuid,size={tmpfs_size}"},
            volumes=volumes,
            read_only_binds=read_only_binds or {},
            ports=ports,
            aliases=[alias],
        )
        return container(f"{name}-{role}", spec, self._child())

    def _prometheus(self, name: str, args: MonitoringArgs) -> docker.Container:
        settings, networks = args.settings, args.networks
        return self._tool(
            name,
            args,
            "prometheus",
            port=PROMETHEUS_PORT,
            health_path="/-/healthy",
            alias=PROMETHEUS_HOST,
            networks=[networks.app, networks.data, networks.admin],
            state_dirs=(PROMETHEUS_DATA_DIR, PROMETHEUS_CONFIG_DIR),
            command=[
                f"--config.file={PROMETHEUS_CONFIG_FILE}",
                f"--storage.tsdb.path={PROMETHEUS_DATA_DIR}",
                f"--storage.tsdb.retention.time={RETENTION}",
                # Every interface of the container: Docker's port forwarding and Grafana on the admin network reach
                # it there; the host publishes it on loopback only. No --web.enable-lifecycle, no admin API.
                f"--web.listen-address=:{PROMETHEUS_PORT}",
                f"--web.external-url={self.prometheus_url}/",
            ],
            uploads=[
                Upload(PROMETHEUS_CONFIG_FILE, _yaml(prometheus_config(settings, args.targets)), CONFIG_MODE),
                Upload(PROMETHEUS_RULES_FILE, _yaml(alert_rules(settings)), CONFIG_MODE),
                *{
                    target.job: Upload(scrape_ca_file(target.job), target.ca_pem, CONFIG_MODE)
                    for target in args.targets
                    if target.ca_pem is not None
                }.values(),
            ],
        )

    def _alertmanager(self, name: str, args: MonitoringArgs) -> docker.Container:
        config = alertmanager_config(args.settings, has_webhook=args.webhook_url is not None)
        uploads = [Upload(ALERTMANAGER_CONFIG_FILE, _yaml(config), CONFIG_MODE)]
        if args.webhook_url is not None:
            uploads.append(Upload(WEBHOOK_URL_FILE, pulumi.Output.secret(args.webhook_url), SECRET_MODE))
        return self._tool(
            name,
            args,
            "alertmanager",
            port=ALERTMANAGER_PORT,
            health_path="/-/healthy",
            alias=ALERTMANAGER_HOST,
            # The admin network has a route out: email and the webhook leave from here.
            networks=[args.networks.admin],
            state_dirs=(ALERTMANAGER_DATA_DIR, ALERTMANAGER_CONFIG_DIR),
            command=[
                f"--config.file={ALERTMANAGER_CONFIG_FILE}",
                f"--storage.path={ALERTMANAGER_DATA_DIR}",
                f"--web.listen-address=:{ALERTMANAGER_PORT}",
                f"--web.external-url={self.alertmanager_url}/",
                # One Alertmanager: no gossip port (9094) open to the network.
                "--cluster.listen-address=",
            ],
            uploads=uploads,
        )

    def _grafana(
        self, name: str, args: MonitoringArgs, password: pulumi.Output[str], secret_key: pulumi.Output[str]
    ) -> docker.Container:
        return self._tool(
            name,
            args,
            "grafana",
            port=GRAFANA_PORT,
            health_path="/api/health",
            alias=GRAFANA_HOST,
            # Prometheus is on the admin network too: Grafana needs no other.
            networks=[args.networks.admin],
            tmpfs_size="64m",
            state_dirs=(GRAFANA_DATA_DIR, GRAFANA_CONFIG_DIR),
            envs=grafana_environment(args.settings),
            uploads=[
                Upload(
                    f"{GRAFANA_PROVISIONING_DIR}/datasources/webstack.yml", _yaml(grafana_datasources()), CONFIG_MODE
                ),
                Upload(
                    f"{GRAFANA_PROVISIONING_DIR}/dashboards/webstack.yml",
                    _yaml(grafana_dashboard_providers()),
                    CONFIG_MODE,
                ),
                Upload(
                    f"{GRAFANA_DASHBOARDS_DIR}/webstack.json", json.dumps(grafana_dashboard(), indent=2), CONFIG_MODE
                ),
                Upload(GRAFANA_PASSWORD_FILE, password, SECRET_MODE),
                Upload(GRAFANA_SECRET_KEY_FILE, secret_key, SECRET_MODE),
            ],
        )

    def _cadvisor(self, name: str, args: MonitoringArgs) -> docker.Container:
        # nobody with no capability (USERS): Docker grants a non-root process none of cap_add's capabilities, and
        # root is refused by container() (see the module docstring for what cAdvisor can and cannot see so). Not
        # published.
        return self._tool(
            name,
            args,
            "cadvisor",
            port=CADVISOR_PORT,
            health_path="/healthz",
            alias=CADVISOR_HOST,
            networks=[args.networks.admin],
            command=[
                f"--port={CADVISOR_PORT}",
                f"--disable_metrics={CADVISOR_DISABLED_METRICS}",
                "--store_container_labels=false",
                "--whitelisted_container_labels=webstack.role,webstack.stack",
            ],
            read_only_binds=CADVISOR_BINDS,
        )


# -- configuration files (pure) ----------------------------------------------------------------------------------------
def admin_url(address: str, port: int) -> str:
    """``http://<address>:<port>``, with an IPv6 address in brackets."""
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}"


def scrape_ca_file(job: str) -> str:
    """Where Prometheus reads the CA of an https scrape job."""
    return f"{PROMETHEUS_CONFIG_DIR}/ca/{job}.pem"


def prometheus_config(settings: Settings, targets: Sequence[ScrapeTarget]) -> dict[str, Any]:
    """``prometheus.yml``: the monitoring tools, then one job per scrape target job (its targets grouped), the
    catalog's rules, and Alertmanager."""
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
            "external_labels": {"stack": settings.stack, "environment": settings.environment},
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


def alert_rules(settings: Settings) -> dict[str, object]:
    """The rule file Prometheus evaluates: the catalog (with ``webstack:monitoring.thresholds``) for docker."""
    return prometheus_rules(docker_alerts(catalog(settings.monitoring.thresholds)))


def alertmanager_config(settings: Settings, has_webhook: bool) -> dict[str, Any]:
    """``alertmanager.yml``: one receiver that emails every alert address and posts to the webhook (read from
    :data:`WEBHOOK_URL_FILE`) when one is set; with neither, alerts show in Alertmanager's UI only. Routes per
    severity (:data:`SEVERITY_TIMING`); a critical alert inhibits the warning of the same alert and instance."""
    receiver: dict[str, Any] = {"name": RECEIVER}
    emails = settings.monitoring.alert_emails
    if emails:
        receiver["email_configs"] = [{"to": address, "send_resolved": True} for address in emails]
    if has_webhook:
        receiver["webhook_configs"] = [{"url_file": WEBHOOK_URL_FILE, "send_resolved": True}]
    global_: dict[str, Any] = {"resolve_timeout": "5m"}
    if emails:
        global_.update(
            smtp_smarthost=settings.docker.smtp_smarthost,
            smtp_from=f"alertmanager@{settings.domain}",
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


def grafana_environment(settings: Settings) -> dict[str, str]:
    """Grafana's settings (plain values only: the password and secret key come from files)."""
    return {
        "GF_SERVER_HTTP_PORT": str(GRAFANA_PORT),
        "GF_SERVER_ROOT_URL": f"{admin_url(settings.docker.admin_bind_address, GRAFANA_PORT)}/",
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


def _yaml(document: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(document), sort_keys=False, width=1000)
