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

The files they read, and what the docker platform changes in the alert catalog, are rendered by
:mod:`components.docker.monitoring_config`.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_random as random

from ..settings import Settings
from .common import ContainerSpec, HealthCheck, Networks, Port, ScrapeTarget, Upload, container, volume
from .monitoring_config import (
    ALERTMANAGER_CONFIG_DIR,
    ALERTMANAGER_CONFIG_FILE,
    ALERTMANAGER_DATA_DIR,
    ALERTMANAGER_HOST,
    ALERTMANAGER_PORT,
    CADVISOR_BINDS,
    CADVISOR_DISABLED_METRICS,
    CADVISOR_HOST,
    CADVISOR_PORT,
    CONFIG_MODE,
    GRAFANA_ADMIN_USER,
    GRAFANA_CONFIG_DIR,
    GRAFANA_DASHBOARDS_DIR,
    GRAFANA_DATA_DIR,
    GRAFANA_HOST,
    GRAFANA_PASSWORD_FILE,
    GRAFANA_PORT,
    GRAFANA_PROVISIONING_DIR,
    GRAFANA_SECRET_KEY_FILE,
    PASSWORD_LENGTH,
    PROMETHEUS_CONFIG_DIR,
    PROMETHEUS_CONFIG_FILE,
    PROMETHEUS_DATA_DIR,
    PROMETHEUS_HOST,
    PROMETHEUS_PORT,
    PROMETHEUS_RULES_FILE,
    RESOURCES,
    RETENTION,
    ROLES,
    SECRET_MODE,
    USERS,
    WEBHOOK_URL_FILE,
    admin_url,
    alert_rules,
    alertmanager_config,
    grafana_dashboard,
    grafana_dashboard_providers,
    grafana_datasources,
    grafana_environment,
    prometheus_config,
    scrape_ca_file,
    yaml_text,
)

MONITORING_TYPE = "webstack:docker:Monitoring"


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
                Upload(PROMETHEUS_CONFIG_FILE, yaml_text(prometheus_config(settings, args.targets)), CONFIG_MODE),
                Upload(PROMETHEUS_RULES_FILE, yaml_text(alert_rules(settings)), CONFIG_MODE),
                *{
                    target.job: Upload(scrape_ca_file(target.job), target.ca_pem, CONFIG_MODE)
                    for target in args.targets
                    if target.ca_pem is not None
                }.values(),
            ],
        )

    def _alertmanager(self, name: str, args: MonitoringArgs) -> docker.Container:
        config = alertmanager_config(args.settings, has_webhook=args.webhook_url is not None)
        uploads = [Upload(ALERTMANAGER_CONFIG_FILE, yaml_text(config), CONFIG_MODE)]
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
                    f"{GRAFANA_PROVISIONING_DIR}/datasources/webstack.yml",
                    yaml_text(grafana_datasources()),
                    CONFIG_MODE,
                ),
                Upload(
                    f"{GRAFANA_PROVISIONING_DIR}/dashboards/webstack.yml",
                    yaml_text(grafana_dashboard_providers()),
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
