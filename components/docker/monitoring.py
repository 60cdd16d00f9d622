"""Monitoring on the docker platform: Prometheus with the alert catalog as rules, Alertmanager routing by severity,
Grafana with a provisioned data source and dashboard, and cAdvisor for container metrics.

- **Prometheus** (uid 65534) joins the ``app``, ``data`` and ``admin`` networks, so that it reaches every scrape
  target and the other monitoring tools. Its configuration (:func:`prometheus_config`) scrapes one job per
  :class:`~components.docker.common.ScrapeTarget` job, cAdvisor, Alertmanager and itself, every 15 s; it evaluates
  the catalog's rules (:func:`alert_rules`) every 15 s and sends alerts to Alertmanager. Its time-series database
  lives in a volume and keeps 15 days. The lifecycle and admin APIs stay off.
- **Alertmanager** (uid 65534, ``admin`` network, which has a route out for email and the webhook) routes by
  severity (:func:`alertmanager_config`): critical alerts after 30 s and again every hour, warnings after 5 minutes
  and again every 4 hours, to every address of ``alert_emails`` (the stack's ``webstack:monitoring.alertEmails``)
  and to ``webhook_url`` (``webstack:alertWebhookUrl``; read from an uploaded secret file, never written into the
  configuration); a critical alert silences the warning
  of the same alert and instance. Clustering (gossip on 9094) is off: there is one Alertmanager.
- **Grafana** (uid 472, ``admin`` network) signs in one generated administrator (not ``admin``; the password is a
  generated secret read from a file, output ``admin_password``), allows no sign-up, no anonymous access, no
  gravatar and no phoning home, and is provisioned with the Prometheus data source (:func:`grafana_datasources`)
  and the guides' key metrics as a dashboard (:func:`grafana_dashboard`), from the same metric names as the rules.
  Grafana applies the password when it first creates its database (in the volume): a regenerated password needs
  ``grafana cli admin reset-admin-password`` in the container as well.
- **cAdvisor** (``admin`` network, not published) reads the host's cgroups and Docker data through read-only binds.

Prometheus (9090), Alertmanager (9093) and Grafana (3000) publish their ports on ``admin_bind_address`` (loopback:
``127.0.0.1``, or the stack's ``webstack:docker.adminBindAddress``) only: reach them through an SSH tunnel. Inside
their containers they listen on every interface, which is what lets Docker forward the published port and the other
tools reach them on the ``admin`` network; the host sees them on loopback only.

Files: every container keeps a read-only root filesystem; its configuration and secrets are delivered by a seed
container (see :func:`components.docker.common.container`) into a small configuration volume mounted where the process
reads them, owned by the process's own uid:gid: configuration files ``0444``, secret files ``0400``. HTTPS scrape
targets (MinIO) are verified against the CA they name, uploaded next to ``prometheus.yml``.

The files they read, and what the docker platform changes in the alert catalog, are rendered by
:mod:`components.docker.monitoring_config`.
"""

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_random as random

from .common import ContainerSpec, HealthCheck, Port, ScrapeTarget, Upload, container, volume
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


#: Where the tools publish their ports unless the Args say otherwise: the host's loopback.
ADMIN_BIND_ADDRESS = "127.0.0.1"


@dataclass(frozen=True)
class MonitoringArgs:
    """Inputs of :class:`Monitoring`."""

    app_network: pulumi.Input[str]
    """The Docker name of the internal ``app`` network, where Prometheus scrapes the web services."""
    data_network: pulumi.Input[str]
    """The Docker name of the internal ``data`` network, where Prometheus scrapes the data stores' exporters."""
    admin_network: pulumi.Input[str]
    """The Docker name of the ``admin`` network, which every tool joins (it has a route out, for email and the
    webhook)."""
    prometheus_image: pulumi.Input[str]
    """Image id of the pinned Prometheus image."""
    alertmanager_image: pulumi.Input[str]
    """Image id of the pinned Alertmanager image."""
    grafana_image: pulumi.Input[str]
    """Image id of the pinned Grafana image."""
    cadvisor_image: pulumi.Input[str]
    """Image id of the pinned cAdvisor image."""
    targets: Sequence[ScrapeTarget] | None = None
    """What Prometheus scrapes besides the monitoring tools; the web services as jobs ``frontend`` and ``backend``
    (the alerts on unhealthy targets count those). Default (None): the tools only."""
    alert_emails: Sequence[str] | None = None
    """Addresses Alertmanager mails every alert to (with ``smtp_smarthost`` and ``smtp_from``). Default (None): no
    email."""
    smtp_smarthost: str | None = None
    """The SMTP relay (``host:port``, STARTTLS required) for ``alert_emails``. Default (None): none; required with
    ``alert_emails``."""
    smtp_from: str | None = None
    """The sender of alert emails. Default (None): none; required with ``alert_emails``."""
    webhook_url: pulumi.Input[str] | None = None
    """A webhook every alert is posted to (a secret; delivered as a file, never in the configuration). Default
    (None): none."""
    thresholds: Mapping[str, Mapping[str, float]] | None = None
    """Overrides of the alert catalog's thresholds: alert name -> severity (``warning``, ``critical``) ->
    threshold. Default (None): the catalog's."""
    external_labels: Mapping[str, str] | None = None
    """Labels on every series and alert that leaves Prometheus (the stack's ``stack`` and ``environment``).
    Default (None): none."""
    admin_bind_address: str | None = None
    """The host address Prometheus, Alertmanager and Grafana publish their ports on; must be a loopback address.
    Default (None): ``127.0.0.1``."""


class Monitoring(pulumi.ComponentResource):
    """Prometheus, Alertmanager, Grafana and cAdvisor on one Docker host (see the module docstring)."""

    containers: dict[str, docker.Container]
    """By role: ``prometheus``, ``alertmanager``, ``grafana``, ``cadvisor``."""
    prometheus_url: str
    """``http://<admin bind address>:9090``: Prometheus, on the host's loopback only."""
    alertmanager_url: str
    """``http://<admin bind address>:9093``: Alertmanager, on the host's loopback only."""
    grafana_url: str
    """``http://<admin bind address>:3000``: Grafana, on the host's loopback only."""
    admin_user: str
    """Grafana's administrator login (not ``admin``)."""
    admin_password: pulumi.Output[str]
    """Grafana's administrator password (a secret)."""

    def __init__(self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        bind = args.admin_bind_address if args.admin_bind_address is not None else ADMIN_BIND_ADDRESS
        if not _loopback(bind):
            raise ValueError(f"MonitoringArgs.admin_bind_address must be a loopback address, got {bind!r}")
        if args.alert_emails and not (args.smtp_smarthost and args.smtp_from):
            raise ValueError("MonitoringArgs.alert_emails need MonitoringArgs.smtp_smarthost and smtp_from")
        super().__init__(MONITORING_TYPE, name, None, opts)
        self._bind = bind
        self._images: dict[str, pulumi.Input[str]] = {
            "prometheus": args.prometheus_image,
            "alertmanager": args.alertmanager_image,
            "grafana": args.grafana_image,
            "cadvisor": args.cadvisor_image,
        }
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
        networks: Sequence[pulumi.Input[str]],
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
            ports.append(Port(port, port, self._bind))
        spec = ContainerSpec(
            image=self._images[role],
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
        targets = args.targets or ()
        return self._tool(
            name,
            args,
            "prometheus",
            port=PROMETHEUS_PORT,
            health_path="/-/healthy",
            alias=PROMETHEUS_HOST,
            networks=[args.app_network, args.data_network, args.admin_network],
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
                Upload(
                    PROMETHEUS_CONFIG_FILE, yaml_text(prometheus_config(targets, args.external_labels)), CONFIG_MODE
                ),
                Upload(PROMETHEUS_RULES_FILE, yaml_text(alert_rules(args.thresholds)), CONFIG_MODE),
                *{
                    target.job: Upload(scrape_ca_file(target.job), target.ca_pem, CONFIG_MODE)
                    for target in targets
                    if target.ca_pem is not None
                }.values(),
            ],
        )

    def _alertmanager(self, name: str, args: MonitoringArgs) -> docker.Container:
        config = alertmanager_config(
            args.alert_emails or (),
            has_webhook=args.webhook_url is not None,
            smtp_smarthost=args.smtp_smarthost or "",
            smtp_from=args.smtp_from or "",
        )
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
            networks=[args.admin_network],
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
            networks=[args.admin_network],
            tmpfs_size="64m",
            state_dirs=(GRAFANA_DATA_DIR, GRAFANA_CONFIG_DIR),
            envs=grafana_environment(self._bind),
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
            networks=[args.admin_network],
            command=[
                f"--port={CADVISOR_PORT}",
                f"--disable_metrics={CADVISOR_DISABLED_METRICS}",
                "--store_container_labels=false",
                "--whitelisted_container_labels=webstack.role,webstack.stack",
            ],
            read_only_binds=CADVISOR_BINDS,
        )


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
