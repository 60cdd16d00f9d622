"""``webstack:web``: the load balancer (TLS policy, health checks, stickiness, access logs, WAF rate limits and
upload paths, Route 53 zone) and the two services behind it: image or build, Fargate size, counts, user and plain
environment, which never holds a credential."""

from __future__ import annotations

import re
from typing import Annotated, Literal, get_args

from pydantic import Field, field_validator, model_validator

from .base import _LABEL_RE, RetentionDays, UrlPath, _got, _Model, _pinned_image, _problem, _unique

#: Fargate's valid task sizes: vCPU units -> memory (MiB) choices.
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}

#: TLS policies the load balancer may use: TLS 1.2 or newer only.
TlsPolicy = Literal[
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-FS-1-2-Res-2020-10",
]
TLS_POLICIES: tuple[str, ...] = get_args(TlsPolicy)


ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Environment variable names that hold credentials: they belong in secrets, never in a stack file.
SECRET_NAME_RE = re.compile(
    r"(^|_)(PASS|PASSWD|PASSWORD|SECRET|TOKEN|KEY|APIKEY|DSN|CREDENTIAL|CREDENTIALS)(_|$)|^(DATABASE|REDIS)_URL$",
    re.IGNORECASE,
)


#: What every service's environment holds, whatever the settings say: production mode, debugging off.
RUNTIME_ENVIRONMENT = {"NODE_ENV": "production", "PYTHON_ENV": "production", "DEBUG": "false"}


class BuildSettings(_Model):
    """How to build a service's image from source: on aws pushed to a private ECR repository and deployed by
    digest; on docker built on the Docker host and run by image id."""

    context: str = Field(description="Build context directory, relative to the project directory.")
    dockerfile: str = Field(default="Dockerfile", description="Dockerfile path, relative to the context.")
    target: str = Field(default="", description="Build stage to stop at. Empty: the last stage.")
    args: dict[str, str] = Field(default={}, description="Build arguments (not secrets: they end up in the image).")

    @field_validator("context")
    @classmethod
    def _context(cls, value: str) -> str:
        if not value or value.startswith("/") or ".." in value.split("/"):
            raise _problem(f"must be a directory inside the project, like app/backend, got {_got(value)}")
        return value


class HealthCheckSettings(_Model):
    """How the load balancer decides a task is healthy (the guides: /health every 30 s, 10 s timeout)."""

    interval_seconds: Annotated[int, Field(ge=5, le=300)] = Field(default=30, description="Seconds between checks.")
    timeout_seconds: Annotated[int, Field(ge=2, le=120)] = Field(
        default=10, description="Seconds before a check counts as failed; less than the interval."
    )
    healthy_threshold: Annotated[int, Field(ge=2, le=10)] = Field(
        default=2, description="Consecutive successes before a task receives traffic."
    )
    unhealthy_threshold: Annotated[int, Field(ge=2, le=10)] = Field(
        default=3, description="Consecutive failures before a task is taken out."
    )
    matcher: str = Field(default="200-399", description="HTTP codes that count as healthy, e.g. 200 or 200-399.")

    @model_validator(mode="after")
    def _timeout_below_interval(self) -> HealthCheckSettings:
        if self.timeout_seconds >= self.interval_seconds:
            raise _problem(
                f"must be less than intervalSeconds ({self.interval_seconds}), as the load balancer requires, got "
                f"{self.timeout_seconds}",
                field="timeoutSeconds",
            )
        if not re.fullmatch(r"[2-5]\d\d(-[2-5]\d\d)?(,[2-5]\d\d(-[2-5]\d\d)?)*", self.matcher):
            raise _problem(f"must be HTTP codes like 200 or 200-399, got {_got(self.matcher)}", field="matcher")
        return self


class ServiceSettings(_Model):
    """One web service (``webstack:web.frontend`` or ``webstack:web.backend``)."""

    port: Annotated[int, Field(ge=1024, le=65535)] = Field(
        description="Container port the service listens on (1024-65535: services run as non-root users)."
    )
    image: str = Field(
        default="",
        description="Image to run, pinned by tag or digest (`registry/name:1.4.2`, `name@sha256:...`; never `latest`). "
        "Set this or `build`.",
    )
    build: BuildSettings | None = Field(
        default=None,
        description="Build the image from source instead: `{context, dockerfile, target, args}`; on aws it is pushed "
        "to a private ECR repository and deployed by digest, on docker built on the Docker host.",
    )
    cpu: int = Field(description="vCPU units per task (256 = 0.25 vCPU; a Fargate size).")
    memory: int = Field(description="Memory per task in MiB (a size Fargate offers for the cpu).")
    desired_count: Annotated[int, Field(ge=1, le=100)] = Field(description="Tasks to start with.")
    min_count: Annotated[int, Field(ge=1, le=100)] = Field(description="Fewest tasks autoscaling keeps.")
    max_count: Annotated[int, Field(ge=1, le=200)] = Field(description="Most tasks autoscaling starts.")
    user: str = Field(default="1000:1000", description="User (uid:gid) the container runs as; never root.")
    health_check_path: UrlPath = Field(default="/health", description="Path the load balancer and the container probe.")
    environment: dict[str, str] = Field(
        default={},
        description="Plain environment variables. Credentials never go here: names that look like secrets are "
        "rejected. NODE_ENV, PYTHON_ENV (production) and DEBUG (false) are always set.",
    )

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _pinned_image(value) if value else value

    @field_validator("user")
    @classmethod
    def _user(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z_][a-z0-9_-]*|\d+(:\d+)?", value):
            raise _problem(f"must be a user name or uid[:gid], like 1000:1000, got {_got(value)}")
        if value in ("root", "0") or value.startswith("0:"):
            raise _problem(f"must not be root: containers run unprivileged, got {_got(value)}")
        return value

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not ENV_NAME_RE.match(name):
                raise _problem(f"names must be letters, digits and _, got {name!r}")
            if name.upper() in RUNTIME_ENVIRONMENT:
                raise _problem(
                    f"must not set {name}: webstack sets it ({name.upper()}={RUNTIME_ENVIRONMENT[name.upper()]})"
                )
            if SECRET_NAME_RE.search(name):
                raise _problem(
                    f"must not hold {name}: it looks like a credential, and plain environment variables are stored "
                    "in plaintext; credentials reach the tasks as ECS secrets from Secrets Manager"
                )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ServiceSettings:
        if self.image and self.build is not None:
            raise _problem("must name an image to run or a build, not both, got both", field="image")
        if self.cpu not in FARGATE_SIZES:
            raise _problem(f"must be a Fargate size ({', '.join(map(str, FARGATE_SIZES))}), got {self.cpu}", "cpu")
        if self.memory not in FARGATE_SIZES[self.cpu]:
            sizes = FARGATE_SIZES[self.cpu]
            raise _problem(
                f"must be a size Fargate offers with cpu {self.cpu} ({sizes[0]}-{sizes[-1]} MiB in steps of "
                f"{sizes[1] - sizes[0]}), got {self.memory}",
                "memory",
            )
        if not self.min_count <= self.desired_count <= self.max_count:
            raise _problem(
                f"must lie between minCount ({self.min_count}) and maxCount ({self.max_count}), got "
                f"{self.desired_count}",
                "desiredCount",
            )
        return self


class FrontendSettings(ServiceSettings):
    """``webstack:web.frontend``: the frontend service (the guides: 2 replicas, 1 CPU, 1 GB)."""

    port: Annotated[int, Field(ge=1024, le=65535)] = Field(
        default=3000, description="Container port the service listens on (1024-65535: services run as non-root users)."
    )
    cpu: int = Field(default=512, description="vCPU units per task (256 = 0.25 vCPU; a Fargate size).")
    memory: int = Field(default=1024, description="Memory per task in MiB (a size Fargate offers for the cpu).")
    desired_count: Annotated[int, Field(ge=1, le=100)] = Field(default=2, description="Tasks to start with.")
    min_count: Annotated[int, Field(ge=1, le=100)] = Field(default=2, description="Fewest tasks autoscaling keeps.")
    max_count: Annotated[int, Field(ge=1, le=200)] = Field(default=6, description="Most tasks autoscaling starts.")


class BackendSettings(ServiceSettings):
    """``webstack:web.backend``: the backend (API) service (the guides: 3 replicas, 1-2 CPUs, 1-2 GB)."""

    port: Annotated[int, Field(ge=1024, le=65535)] = Field(
        default=8000, description="Container port the service listens on (1024-65535: services run as non-root users)."
    )
    cpu: int = Field(default=1024, description="vCPU units per task (256 = 0.25 vCPU; a Fargate size).")
    memory: int = Field(default=2048, description="Memory per task in MiB (a size Fargate offers for the cpu).")
    desired_count: Annotated[int, Field(ge=1, le=100)] = Field(default=3, description="Tasks to start with.")
    min_count: Annotated[int, Field(ge=1, le=100)] = Field(default=3, description="Fewest tasks autoscaling keeps.")
    max_count: Annotated[int, Field(ge=1, le=200)] = Field(default=9, description="Most tasks autoscaling starts.")


class RateLimit(_Model):
    """One rate limit, enforced per client IP by the WAF (and by Cloudflare when the CDN is on)."""

    limit: Annotated[int, Field(ge=10, le=2_000_000_000)] = Field(
        description="Requests allowed per client IP in one window (the WAF's minimum is 10)."
    )
    window_seconds: Literal[60, 120, 300, 600] = Field(description="Window in seconds: 60, 120, 300 or 600.")
    path: str = Field(default="", description="Which requests count: empty for all of them, else a URL path text.")
    match: Literal["prefix", "contains"] = Field(
        default="prefix", description="How `path` matches the request path: `prefix` or `contains`."
    )


class RateLimits(_Model):
    """``webstack:web.rateLimits``: the guides' limits (API 10 r/s, login 5 r/min, general 30 r/s)."""

    api: RateLimit = Field(
        default=RateLimit(limit=600, window_seconds=60, path="/api/"),
        description="API requests: 600 per 60 s (10 r/s).",
    )
    login: RateLimit = Field(
        default=RateLimit(limit=10, window_seconds=120, path="login", match="contains"),
        description="Login requests: the guides' 5 per minute is below the WAF's minimum of 10 per window, so the "
        "default is 10 per 120 s, the same rate.",
    )
    general: RateLimit = Field(
        default=RateLimit(limit=1800, window_seconds=60), description="All requests: 1800 per 60 s (30 r/s)."
    )


class AutoscalingSettings(_Model):
    """``webstack:web.autoscaling``: target tracking for both services."""

    cpu_target: Annotated[int, Field(ge=10, le=90)] = Field(
        default=70, description="Average CPU percentage to hold (the guides alert above 70 %)."
    )
    requests_per_target: Annotated[int, Field(ge=10, le=100_000)] = Field(
        default=1000, description="Load-balancer requests per task per minute to hold."
    )


class SmokeTestSettings(_Model):
    """``webstack:web.smokeTest``: the check run after every deployment."""

    enabled: bool = Field(default=True, description="Run the smoke test after the services change.")
    path: UrlPath = Field(default="/health", description="Path fetched over HTTPS from the site's domain.")
    retries: Annotated[int, Field(ge=0, le=60)] = Field(default=10, description="Retries, 10 s apart, before failing.")


class WebSettings(_Model):
    """``webstack:web``: the load balancer, its WAF and the services behind it."""

    frontend: FrontendSettings = Field(
        default=FrontendSettings(), description="The frontend service: every path but /api."
    )
    backend: BackendSettings = Field(default=BackendSettings(), description="The backend (API) service: /api.")
    certificate_arn: str = Field(
        default="",
        description="ARN of an existing ACM certificate for the domain and www (same region). Required when the "
        "CDN is off; with the CDN on, webstack requests and validates one through Cloudflare DNS.",
    )
    ssl_policy: TlsPolicy = Field(
        default="ELBSecurityPolicy-TLS13-1-2-2021-06",
        description="TLS policy of the HTTPS listener; only TLS 1.2+ policies are accepted.",
    )
    desync_mitigation: Literal["defensive", "strictest"] = Field(
        default="defensive", description="How the load balancer treats ambiguous (request-smuggling) requests."
    )
    deletion_protection: bool = Field(
        default=True, description="Protect the load balancer from deletion (the policy pack requires it in prod)."
    )
    access_log_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=365, description="Days the load balancer's access and connection logs are kept in S3."
    )
    log_retention_days: RetentionDays = Field(
        default=30, description="Days CloudWatch keeps the services' container logs (a value CloudWatch accepts)."
    )
    health_check: HealthCheckSettings = Field(
        default=HealthCheckSettings(), description="Load-balancer health checks of both services."
    )
    deregistration_delay_seconds: Annotated[int, Field(ge=0, le=3600)] = Field(
        default=30, description="Seconds a task being replaced keeps finishing its requests."
    )
    stickiness: bool = Field(
        default=False,
        description="Keep a client on one task with a load-balancer cookie (the guides use nginx ip_hash).",
    )
    stickiness_seconds: Annotated[int, Field(ge=1, le=604800)] = Field(
        default=86400, description="How long the stickiness cookie lasts."
    )
    rate_limits: RateLimits = Field(default=RateLimits(), description="Rate limits per client IP.")
    autoscaling: AutoscalingSettings = Field(default=AutoscalingSettings(), description="Autoscaling targets.")
    container_insights: Literal["enhanced", "enabled"] = Field(
        default="enhanced", description="Container Insights level of the ECS cluster."
    )
    exec_enabled: bool = Field(
        default=False, description="Allow ECS Exec into running tasks (never in prod: the policy pack checks it)."
    )
    smoke_test: SmokeTestSettings = Field(default=SmokeTestSettings(), description="The post-deployment check.")
    # -- security logs ------------------------------------------------------------------------------------------------
    waf_log_retention_days: RetentionDays = Field(
        default=365,
        description="Days CloudWatch keeps the WAF logs, a security log (at least 365 in every stack the policy pack "
        "checks: aws-security-logs-kept-a-year).",
    )
    # -- upload paths (the WAF's body-size limit) ------------------------------------------------------------------
    upload_paths: list[UrlPath] = Field(
        default=[],
        description="Path prefixes that accept request bodies over 8 KB (uploads), e.g. /api/documents. The WAF's "
        "AWS Common Rule Set blocks larger bodies (its SizeRestrictions_BODY rule) everywhere else; under these paths "
        "that rule only counts. Empty: no path takes large bodies.",
    )

    # -- DNS in Route 53 (stacks without the CDN) ------------------------------------------------------------------
    hosted_zone: str = Field(
        default="",
        description="Name of a Route 53 public hosted zone that holds the domain (the domain itself or a domain it is "
        "under), created and delegated beforehand. With the CDN off, webstack validates the certificate there and "
        "points the domain and www at the load balancer. Empty: no DNS records (set certificateArn, and point the "
        "domain at the load balancer yourself).",
    )

    @field_validator("hosted_zone")
    @classmethod
    def _hosted_zone(cls, value: str) -> str:
        labels = value.split(".")
        if value and (value != value.lower() or len(labels) < 2 or not all(map(_LABEL_RE.match, labels))):
            raise _problem(f"must be a lowercase domain name like example.org, got {_got(value)}")
        return value

    @field_validator("upload_paths")
    @classmethod
    def _upload_paths(cls, value: list[str]) -> list[str]:
        for index, path in enumerate(value):
            if path.strip("/") == "":
                raise _problem(
                    f"must be a path below /, like /api/uploads: {_got(path)} would lift the WAF body-size limit "
                    f"from every request, got {_got(path)}",
                    f"[{index}]",
                )
        _unique(value)
        return value

    @field_validator("certificate_arn")
    @classmethod
    def _certificate(cls, value: str) -> str:
        if value and not re.fullmatch(r"arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}", value):
            raise _problem(f"must be an ACM certificate ARN, got {_got(value)}")
        return value
