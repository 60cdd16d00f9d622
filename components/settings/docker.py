"""``webstack:docker``: the docker platform (one Docker host): the daemon, published ports and bind addresses, the
load balancer's certificate, the dump schedule, mail relay, image overrides, and Cloudflare's way in (public address,
tunnel subnet); and the ``webstack:database`` and ``webstack:cache`` keys only a managed service carries out, which
the docker platform refuses rather than ignores."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from .base import _got, _Model, _network, _pinned_image, _problem, _suggest


class DockerTlsSettings(_Model):
    """``webstack:docker.tls``: the load balancer's certificate on the docker platform."""

    certificate_file: str = Field(
        default="",
        description="PEM file of the certificate chain for the domain and www, on the machine that runs `pulumi up`. "
        "Empty (with keyFile empty): a self-signed certificate is generated (laptops, tests).",
    )
    key_file: str = Field(
        default="",
        description="PEM file of the certificate's private key (kept in the state as a secret). Set with "
        "certificateFile or not at all.",
    )

    @model_validator(mode="after")
    def _pair(self) -> DockerTlsSettings:
        if bool(self.certificate_file) != bool(self.key_file):
            raise _problem(
                f"must be set together with {'keyFile' if self.certificate_file else 'certificateFile'}: a "
                "certificate needs its key, got only one of them",
                "certificateFile" if not self.certificate_file else "keyFile",
            )
        for field, path in (("certificateFile", self.certificate_file), ("keyFile", self.key_file)):
            if path and not Path(path).is_file():
                raise _problem(f"must be a file, got {_got(path)}, which does not exist", field)
        return self


class DockerSettings(_Model):
    """``webstack:docker``: the docker platform (one Docker host: a laptop, or a server over ``DOCKER_HOST``)."""

    host: str = Field(
        default="",
        description="Docker daemon to deploy to, e.g. `ssh://deploy@server.example.org` or "
        "`unix:///var/run/docker.sock`. Empty: DOCKER_HOST, else the local daemon.",
    )
    http_port: Annotated[int, Field(ge=1, le=65535)] = Field(
        default=80, description="Host port the load balancer answers plain HTTP on (it only redirects to HTTPS)."
    )
    https_port: Annotated[int, Field(ge=1, le=65535)] = Field(
        default=443, description="Host port the load balancer serves HTTPS on."
    )
    bind_address: str = Field(
        default="0.0.0.0",
        description="Host address the load balancer's ports listen on (0.0.0.0: every interface). Nothing else "
        "publishes a port to it.",
    )
    admin_bind_address: Literal["127.0.0.1", "::1"] = Field(
        default="127.0.0.1",
        description="Loopback address Grafana (3000), Prometheus (9090) and Alertmanager (9093) listen on on the "
        "host; reach them through an SSH tunnel.",
    )
    tls: DockerTlsSettings = Field(default=DockerTlsSettings(), description="The load balancer's certificate.")
    backup_hour_utc: Annotated[int, Field(ge=0, le=23)] = Field(
        default=2, description="Hour (UTC) of the daily database dump (the guides: 02:00)."
    )
    weekly_retention_days: Annotated[int, Field(ge=7, le=3650)] = Field(
        default=90, description="Days the Sunday dumps are kept (daily dumps: webstack:backups.dailyRetentionDays)."
    )
    smtp_smarthost: str = Field(
        default="",
        description="SMTP relay (host:port, STARTTLS) through which Alertmanager mails "
        "webstack:monitoring.alertEmails. Required when alert emails are set on the docker platform.",
    )
    images: dict[str, str] = Field(
        default={},
        description="Overrides of the pinned infrastructure images by role (nginx, postgres, mysql, redis, minio, "
        "mc, backup, prometheus, alertmanager, grafana, postgresExporter, mysqlExporter, redisExporter, "
        "cadvisor, nodeExporter, cloudflared), each pinned by tag or digest.",
    )
    # -- Cloudflare in front of the docker platform ----------------------------------------------------------------
    public_address: str = Field(
        default="",
        description="The server's public IPv4 or IPv6 address, where the site's records point with "
        "webstack:cdn.origin `direct`. Required then; unused otherwise.",
    )
    tunnel_subnet: str = Field(
        default="192.168.255.248/29",
        description="Subnet of the internal network that joins cloudflared and nginx with webstack:cdn.origin "
        "`tunnel`; nginx believes CF-Connecting-IP from it only. Change it if it overlaps a network of the host.",
    )

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        if value and not re.fullmatch(r"(unix|tcp|ssh|npipe)://\S+", value):
            raise _problem(f"must be a Docker host URL (unix://, tcp://, ssh:// or npipe://), got {_got(value)}")
        if value.startswith("tcp://") and ":2375" in value:
            raise _problem(
                f"must not be the unencrypted Docker port 2375 (use ssh:// or TLS on 2376), got {_got(value)}"
            )
        return value

    @field_validator("smtp_smarthost")
    @classmethod
    def _smarthost(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9.-]+:\d{1,5}", value):
            raise _problem(f"must be host:port, like smtp.example.org:587, got {_got(value)}")
        return value

    @field_validator("bind_address")
    @classmethod
    def _bind(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise _problem(f"must be an IP address, got {_got(value)}") from None
        return value

    @field_validator("images")
    @classmethod
    def _images(cls, value: dict[str, str]) -> dict[str, str]:
        from ..docker.images import DERIVED_ROLES, IMAGES

        roles = (*IMAGES, *DERIVED_ROLES)
        for role, reference in value.items():
            if role not in roles:
                raise _problem(f"is not an image role{_suggest(role, roles)}", role)
            _pinned_image(reference, role)
        return value

    @model_validator(mode="after")
    def _ports(self) -> DockerSettings:
        if self.http_port == self.https_port:
            raise _problem(f"must differ from httpsPort, got {self.http_port} for both", "httpPort")
        return self

    # -- Cloudflare in front of the docker platform ----------------------------------------------------------------
    @field_validator("public_address")
    @classmethod
    def _public_address(cls, value: str) -> str:
        if not value:
            return value
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            raise _problem(f"must be an IP address, got {_got(value)}") from None
        if not address.is_global:
            raise _problem(f"must be a public address that Cloudflare can reach, got {_got(value)}")
        return value

    @field_validator("tunnel_subnet")
    @classmethod
    def _tunnel_subnet(cls, value: str) -> str:
        network = _network(value, "192.168.255.248/29")
        if network.version != 4 or not network.is_private or network.prefixlen > 29:
            raise _problem(f"must be a private IPv4 network of at least 8 addresses (/29), got {_got(value)}")
        return value


# -- the docker platform: settings it cannot honour ------------------------------------------------------------------
#: ``webstack:database`` keys only RDS carries out (field name -> why the docker platform cannot).
DOCKER_UNSUPPORTED_DATABASE_KEYS: dict[str, str] = {
    "instance_class": "servers are sized by components/docker/database_config.py (DATABASE_MEMORY_MB)",
    "replica_instance_class": "servers are sized by components/docker/database_config.py (DATABASE_MEMORY_MB)",
    "allocated_storage_gb": "data lives in Docker volumes on the host's disk",
    "max_allocated_storage_gb": "data lives in Docker volumes on the host's disk",
    "multi_az": "one host has no standby in another zone; replicas are webstack:database.replicas",
    "performance_insights_retention_days": "Performance Insights is an RDS service",
    "monitoring_interval_seconds": "Enhanced Monitoring is an RDS service",
    "backup_window": "the daily dump runs at webstack:docker.backupHourUtc",
    "maintenance_window": "the images are updated by pulumi up, not in a window",
}
#: ``webstack:cache`` keys only ElastiCache carries out.
DOCKER_UNSUPPORTED_CACHE_KEYS: dict[str, str] = {
    "replicas": "the docker platform runs one Redis server",
    "multi_az": "the docker platform runs one Redis server",
    "cluster_mode": "the docker platform runs one Redis server",
    "shards": "the docker platform runs one Redis server",
    "node_type": "the Redis container is sized by components/docker/cache.py",
}
