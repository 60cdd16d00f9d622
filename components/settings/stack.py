"""The top-level :class:`Settings` of one stack: the scalars (``platform``, ``environment``, ``domain``,
``drRegion``, ``tags``), one object per area, the context the loader fills in (project, stack, region, the names of
the application's secrets), and the checks that span areas (the certificate and the CDN, the CDN's origin and the
docker platform, backups and the database's retention, the application and its services).
:data:`CONFIG_FIELDS` lists the keys a stack file may set; the docs generator and the loader read it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from .app import APP_SERVICES, AppSettings
from .base import _LABEL_RE, _REGION_RE, PROJECT, _got, _Model, _problem
from .cache import CacheSettings
from .cdn import CdnSettings
from .database import DatabaseSettings
from .docker import DOCKER_UNSUPPORTED_CACHE_KEYS, DOCKER_UNSUPPORTED_DATABASE_KEYS, DockerSettings
from .monitoring import MonitoringSettings
from .network import NetworkSettings
from .storage import BackupSettings, StorageSettings
from .web import WebSettings

#: Tag keys webstack sets on every resource; user tags may not override them.
RESERVED_TAG_KEYS = ("Project", "Stack", "Environment", "ManagedBy")


#: The disaster-recovery region used when ``webstack:drRegion`` is empty: a nearby region in the same jurisdiction.
DR_REGION_PAIRS = {
    "us-east-1": "us-west-2",
    "us-east-2": "us-west-2",
    "us-west-1": "us-east-1",
    "us-west-2": "us-east-1",
    "ca-central-1": "ca-west-1",
    "ca-west-1": "ca-central-1",
    "sa-east-1": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-west-2": "eu-west-1",
    "eu-west-3": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "eu-central-2": "eu-central-1",
    "eu-north-1": "eu-central-1",
    "eu-south-1": "eu-central-1",
    "eu-south-2": "eu-west-3",
    "ap-south-1": "ap-south-2",
    "ap-south-2": "ap-south-1",
    "ap-southeast-1": "ap-southeast-2",
    "ap-southeast-2": "ap-southeast-4",
    "ap-southeast-4": "ap-southeast-2",
    "ap-northeast-1": "ap-northeast-3",
    "ap-northeast-2": "ap-northeast-1",
    "ap-northeast-3": "ap-northeast-1",
}


_TAG_RE = re.compile(r"^[\w\s.:/=+\-@]*$")


class Settings(_Model):
    """All settings of one stack. Fields marked ``exclude`` come from the stack's context, not from ``webstack:*``."""

    platform: Literal["aws", "docker"] = Field(
        default="aws",
        description="Where the stack runs: `aws` (staging and prod) or `docker` (one Docker host: the local stack, "
        "single servers).",
    )
    environment: Literal["dev", "staging", "prod"] = Field(
        description="The environment this stack is: `dev`, `staging` or `prod`. Tags every resource. Required."
    )
    domain: str = Field(description="The site's domain name, e.g. `certs.example.org`; `www.` is served too. Required.")
    dr_region: str = Field(
        default="",
        description="AWS region for disaster-recovery copies. Empty: the region paired with aws:region "
        "(us-east-1 <-> us-west-2, eu-west-1 <-> eu-central-1, ...).",
    )
    tags: dict[str, str] = Field(
        default={},
        description="Extra tags for every resource. Project, Stack, Environment and ManagedBy are always set by "
        "webstack and cannot be overridden.",
    )
    network: NetworkSettings = Field(
        default=NetworkSettings(),
        description="The network: VPC range, availability zones, subnets, NAT, flow logs, who may reach the load "
        "balancer and SSH. Keys: see docs/settings.md.",
    )
    web: WebSettings = Field(
        default=WebSettings(),
        description="The web tier: load balancer, TLS, WAF rate limits, and the frontend and backend services "
        "(an image or a build per service is required). Keys: see docs/settings.md.",
    )
    cdn: CdnSettings = Field(
        default=CdnSettings(),
        description="Cloudflare in front of the site. Keys: see docs/settings.md.",
    )
    database: DatabaseSettings = Field(
        default=DatabaseSettings(),
        description="The database: engine, version, size, replicas, shards, backups. Keys: see docs/settings.md.",
    )
    cache: CacheSettings = Field(
        default=CacheSettings(),
        description="The cache (Redis or Valkey). Keys: see docs/settings.md.",
    )
    storage: StorageSettings = Field(
        default=StorageSettings(),
        description="The documents bucket and the access-log archive. Keys: see docs/settings.md.",
    )
    backups: BackupSettings = Field(
        default=BackupSettings(),
        description="Backups and disaster recovery. Keys: see docs/settings.md.",
    )
    monitoring: MonitoringSettings = Field(
        default=MonitoringSettings(),
        description="Alarms, alert routing, dashboard, uptime check, Prometheus and Grafana. Keys: see "
        "docs/settings.md.",
    )
    docker: DockerSettings = Field(
        default=DockerSettings(),
        description="The docker platform: Docker host, published ports, certificate, backup schedule, pinned "
        "images. Keys: see docs/settings.md.",
    )

    app: AppSettings = Field(
        default=AppSettings(),
        description="What the application brings: secrets it already has, persistent volumes, its migration, its "
        "database roles, operator access. Secret values: webstack:appSecrets. Keys: see "
        "docs/settings.md and docs/moving-in.md.",
    )

    project: str = Field(default=PROJECT, exclude=True)
    app_secret_names: dict[str, tuple[str, ...]] = Field(default={}, exclude=True)
    """The names in webstack:appSecrets per service (their values are read by load_secrets, never here)."""
    stack: str = Field(default="stack", exclude=True)
    region: str = Field(default="us-east-1", exclude=True)

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        labels = value.split(".")
        if value != value.lower() or len(value) > 253 or len(labels) < 2 or not all(map(_LABEL_RE.match, labels)):
            raise _problem(f"must be a lowercase domain name like app.example.org, got {_got(value)}")
        return value

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 40:
            raise _problem(f"must hold at most 40 tags (AWS allows 50 and webstack sets 4), got {len(value)}")
        reserved = {k.lower(): k for k in RESERVED_TAG_KEYS}
        for key, tag_value in value.items():
            if key.lower() in reserved:
                raise _problem(f"must not set {reserved[key.lower()]}: webstack sets it on every resource, got {key!r}")
            if key.lower().startswith("aws:"):
                raise _problem(f"must not use the aws: prefix, which AWS reserves, got {key!r}")
            if not 1 <= len(key) <= 128 or not _TAG_RE.match(key):
                raise _problem(f"keys must be 1-128 letters, digits, spaces or _.:/=+-@, got {key!r}")
            if len(tag_value) > 256 or not _TAG_RE.match(tag_value):
                raise _problem(f"values must be up to 256 letters, digits, spaces or _.:/=+-@, got {tag_value!r}")
        return value

    @model_validator(mode="after")
    def _dr_region(self) -> Settings:
        if self.dr_region:
            if not _REGION_RE.match(self.dr_region):
                raise _problem(f"must be an AWS region name like us-west-2, got {_got(self.dr_region)}", "drRegion")
            if self.dr_region == self.region:
                raise _problem(
                    f"must differ from aws:region ({self.region}): copies in the same region do not survive its "
                    f"loss, got {self.dr_region}",
                    "drRegion",
                )
        elif self.region not in DR_REGION_PAIRS:
            raise _problem(
                f"must be set for aws:region {self.region}, which has no default disaster-recovery pair, got nothing",
                "drRegion",
            )
        return self

    @model_validator(mode="after")
    def _web(self) -> Settings:
        for name, service in (("frontend", self.web.frontend), ("backend", self.web.backend)):
            if self.platform == "docker" and not re.fullmatch(r"\d+:\d+", service.user):
                raise _problem(
                    "must be a numeric uid:gid on the docker platform, like 1000:1000: the files a container "
                    "receives are owned by it, and a name would be looked up on the deploying machine, got "
                    f"{_got(service.user)}",
                    f"web.{name}.user",
                )
            if not service.image and service.build is None:
                raise _problem(
                    "is required: name the image to run (pinned by tag or digest), or set "
                    f"webstack:web.{name}.build to build it, got nothing",
                    f"web.{name}.image",
                )
            if service.build is not None and not Path(service.build.context).is_dir():
                raise _problem(
                    f"must be a directory of the project, got {_got(service.build.context)}, which does not exist",
                    f"web.{name}.build.context",
                )
        arn, zone = self.web.certificate_arn, self.web.hosted_zone
        if self.platform == "aws" and not self.cdn.enabled and not arn and not zone:
            raise _problem(
                "is required when the CDN is off (webstack:cdn.enabled is false) and webstack:web.hostedZone is "
                "unset: name the domain's Route 53 public hosted zone in webstack:web.hostedZone to have a "
                "certificate issued and validated there, give the ARN of an ACM certificate for the domain and www, "
                "or turn the CDN on, got nothing",
                "web.certificateArn",
            )
        if zone and self.cdn.enabled:
            raise _problem(
                "must be left unset while the CDN is on: the Cloudflare zone holds the domain's records then, got "
                f"{_got(zone)}",
                "web.hostedZone",
            )
        if zone and self.domain != zone and not self.domain.endswith(f".{zone}"):
            raise _problem(
                f"must be the domain ({self.domain}) or a domain it is under, got {_got(zone)}", "web.hostedZone"
            )
        if arn and arn.split(":")[3] != self.region:
            raise _problem(
                f"must be in aws:region ({self.region}), where the load balancer is, got {arn.split(':')[3]}",
                "web.certificateArn",
            )
        return self

    @model_validator(mode="after")
    def _cdn_agrees(self) -> Settings:
        cdn = self.cdn
        if not cdn.enabled:
            return self
        self._cdn_zone()
        if self.platform == "docker":
            self._cdn_origin()
        elif cdn.origin == "tunnel":
            raise _problem(
                "must be direct (or unset) on the aws platform, whose origin is its load balancer; a tunnel is the "
                "docker platform's, got tunnel",
                "cdn.origin",
            )
        elif self.network.lb_ingress_cidrs != NetworkSettings().lb_ingress_cidrs:
            raise _problem(
                "must be left unset while the CDN is on: the load balancer then admits Cloudflare's published ranges "
                f"only, got {_got(self.network.lb_ingress_cidrs)}",
                "network.lbIngressCidrs",
            )
        if cdn.rate_limit_period_seconds is None:
            periods = cdn.limits.periods()
            for name in cdn.rate_limited:
                window = getattr(self.web.rate_limits, name).window_seconds
                if window not in periods:
                    raise _problem(
                        f"must be set on the Cloudflare {cdn.plan} plan, whose rate limits count over at most "
                        f"{cdn.limits.longest_period} s, while webstack:web.rateLimits.{name}.windowSeconds is "
                        f"{window} (choose one of {', '.join(map(str, periods))}; each limit keeps its rate), "
                        "got nothing",
                        "cdn.rateLimitPeriodSeconds",
                    )
        return self

    # -- Cloudflare in front of every platform ---------------------------------------------------------------------
    def _cdn_zone(self) -> None:
        zone = self.zone_name
        if self.domain != zone and not self.domain.endswith(f".{zone}"):
            raise _problem(
                f"must be the zone that holds webstack:domain ({self.domain}), got {zone}"
                + ("" if self.cdn.zone_name else " (the domain's last two labels; set it to the zone's name)"),
                "cdn.zoneName",
            )
        if self.levels_below_zone > 1 and self.cdn.www != "advancedCertificate":
            raise _problem(
                f"must be advancedCertificate for {self.domain}, which is {self.levels_below_zone} levels below the "
                f"zone {zone}: Cloudflare's Universal SSL certificate covers the apex and one level below it only, "
                f"got {self.cdn.www}",
                "cdn.www",
            )

    def _cdn_origin(self) -> None:
        cdn, docker = self.cdn, self.docker
        if self.cdn_origin == "tunnel":
            if not cdn.account_id:
                raise _problem(
                    "is required with webstack:cdn.origin tunnel: the Cloudflare account the tunnel belongs to (32 hex "
                    "digits), got nothing",
                    "cdn.accountId",
                )
            return
        if not docker.public_address:
            raise _problem(
                "is required with webstack:cdn.origin direct: the server's public address, where the site's records "
                "point, got nothing",
                "docker.publicAddress",
            )
        if not cdn.authenticated_origin_pulls:
            raise _problem(
                "must be true with webstack:cdn.origin direct: nginx publishes 443 and must refuse every client "
                "without Cloudflare's origin-pull certificate, got false",
                "cdn.authenticatedOriginPulls",
            )
        if not docker.tls.certificate_file:
            raise _problem(
                "is required with webstack:cdn.origin direct: Cloudflare's strict SSL mode verifies the origin's "
                "certificate, which a self-signed one fails (use a Cloudflare Origin CA or a public certificate), got "
                "nothing",
                "docker.tls.certificateFile",
            )
        if docker.https_port != 443:
            raise _problem(
                "must be 443 with webstack:cdn.origin direct: Cloudflare connects to the origin on the port the "
                f"visitor used, got {docker.https_port}",
                "docker.httpsPort",
            )

    @property
    def zone_name(self) -> str:
        """The Cloudflare zone's name: ``webstack:cdn.zoneName``, else the domain's last two labels."""
        return self.cdn.zone_name or ".".join(self.domain.split(".")[-2:])

    @property
    def levels_below_zone(self) -> int:
        """How many labels the site's domain has below its zone's apex (0: the site is the apex)."""
        return len(self.domain.split(".")) - len(self.zone_name.split("."))

    @property
    def cdn_origin(self) -> Literal["tunnel", "direct"] | None:
        """How Cloudflare reaches the origin; None without the CDN. The docker platform defaults to a tunnel."""
        if not self.cdn.enabled:
            return None
        return self.cdn.origin or ("tunnel" if self.platform == "docker" else "direct")

    @property
    def serves_www(self) -> bool:
        """Whether www.<domain> gets a record: where a certificate covers it (see ``webstack:cdn.www``)."""
        www = self.cdn.www
        if not self.cdn.enabled:
            return True
        return www == "advancedCertificate" or (www == "auto" and self.levels_below_zone == 0)

    @model_validator(mode="after")
    def _docker_mail(self) -> Settings:
        if self.platform == "docker" and self.monitoring.alert_emails and not self.docker.smtp_smarthost:
            raise _problem(
                "is required on the docker platform when webstack:monitoring.alertEmails is set: Alertmanager mails "
                "through this SMTP relay, got nothing",
                "docker.smtpSmarthost",
            )
        return self

    # -- the docker platform: settings it cannot honour ----------------------------------------------------------
    @model_validator(mode="after")
    def _docker_honours(self) -> Settings:
        """On docker, a setting that only a managed service can carry out is an error when it differs from its
        default, never ignored (the defaults describe managed services and are left alone)."""
        if self.platform != "docker":
            return self
        for area, model, keys in (
            ("database", self.database, DOCKER_UNSUPPORTED_DATABASE_KEYS),
            ("cache", self.cache, DOCKER_UNSUPPORTED_CACHE_KEYS),
        ):
            fields = type(model).model_fields
            for name in sorted(keys):
                if getattr(model, name) == fields[name].default:
                    continue
                alias = fields[name].alias or to_camel(name)
                raise _problem(
                    f"is not supported on the docker platform ({keys[name]}); remove it from the stack file, got "
                    f"{_got(getattr(model, name))}",
                    f"{area}.{alias}",
                )
        return self

    @model_validator(mode="after")
    def _backups_agree(self) -> Settings:
        # With continuous backups, AWS Backup takes over each primary's point-in-time window; RDS and the plan must
        # agree on its length, or every update would fight the backup service over it.
        daily = self.backups.daily_retention_days
        if self.backups.continuous and self.database.backup_retention_days != daily:
            raise _problem(
                f"must equal webstack:backups.dailyRetentionDays ({daily}) while continuous backups manage "
                f"point-in-time restore, got {self.database.backup_retention_days}",
                "database.backupRetentionDays",
            )
        return self

    @model_validator(mode="after")
    def _app(self) -> Settings:
        """An application's settings agree with the services and the platform (webstack:app)."""
        app = self.app
        for service in APP_SERVICES:
            own, web = app.service(service), getattr(self.web, service)
            given = dict.fromkeys(self.app_secret_names.get(service, ()), "webstack:appSecrets")
            for name in own.secret_arns:
                if name in given:
                    raise _problem(
                        f"must not name {name} twice: it is already set in {given[name]}.{service}",
                        f"app.{service}.secretArns",
                    )
                given[name] = f"webstack:app.{service}.secretArns"
            for name in web.environment:
                if name in given:
                    raise _problem(
                        f"must not set {name}, a secret of the {service} ({given[name]}), got it as a plain value",
                        f"web.{service}.environment",
                    )
            if self.platform == "docker" and own.secret_arns:
                raise _problem(
                    "is not supported on the docker platform, which has no Secrets Manager: set the values in "
                    f"webstack:appSecrets.{service} instead, got {len(own.secret_arns)} ARN(s)",
                    f"app.{service}.secretArns",
                )
            volume = own.volume
            if volume is not None and volume.single_writer:
                for count in ("desired_count", "min_count", "max_count"):
                    if getattr(web, count) != 1:
                        raise _problem(
                            f"must be 1 while webstack:app.{service}.volume.singleWriter is true (one task writes the "
                            f"volume at a time), got {getattr(web, count)}",
                            f"web.{service}.{to_camel(count)}",
                        )
        operations = app.operations
        if operations.enabled and self.platform == "aws" and not operations.trusted_principal_arns:
            raise _problem(
                "must name at least one IAM role or user while webstack:app.operations.enabled is true: the operator "
                "role is reachable by these principals only, got an empty list",
                "app.operations.trustedPrincipalArns",
            )
        return self

    @property
    def disaster_recovery_region(self) -> str:
        """The region that holds the disaster-recovery copies."""
        return self.dr_region or DR_REGION_PAIRS[self.region]


#: The configuration fields of Settings (everything except the context the loader fills in).
CONFIG_FIELDS = {name: info for name, info in Settings.model_fields.items() if not info.exclude}
_BY_ALIAS = {info.alias or name: name for name, info in CONFIG_FIELDS.items()}
