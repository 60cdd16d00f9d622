"""Typed, validated stack settings: the only module that reads Pulumi configuration.

Every setting lives under the project namespace (``webstack:*``): a few scalars (``platform``, ``environment``,
``domain``, ``drRegion``, ``tags``) and one structured object per area (``network``, ``web``, ``database``).
``load_settings()`` reads the stack's configuration, validates all of it before a single resource is registered and
returns a frozen :class:`Settings`. Bad input stops the program with exactly one :class:`SettingsError` whose message
names the key as the user writes it (``webstack:network.cidr``), what was expected and what was given.

Secure defaults live here; ``Pulumi.yaml`` declares the same keys, types, descriptions and defaults (a test keeps
the two identical), and stack files hold only what differs.

Secret-holding keys are top-level keys declared ``secret: true`` and must be stored encrypted
(``pulumi config set --secret``); the area objects never hold secrets, so they stay plain and validatable.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import pulumi
import pulumi.runtime.config as runtime_config
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

PROJECT = "webstack"

#: Keys of other namespaces that hold credentials. webstack never needs them (use roles and environment
#: credentials), but if a stack sets one it must be encrypted.
PROVIDER_SECRET_KEYS = (
    "aws:accessKey",
    "aws:secretKey",
    "aws:token",
    "cloudflare:apiKey",
    "cloudflare:apiToken",
    "cloudflare:apiUserServiceKey",
)

#: Optional settings of this project that hold secrets, read as Pulumi secrets (:class:`StackSecrets`) and never
#: validated as plaintext; stored in plaintext they are refused. Pulumi.yaml leaves them undeclared, since the CLI
#: requires every declared key that has no default. Key -> description.
SECRET_SETTINGS = {
    "alertWebhookUrl": "HTTPS webhook that receives every alert: a Slack incoming webhook (hooks.slack.com, through a "
    "small forwarder) or an endpoint that confirms SNS subscriptions (PagerDuty, Opsgenie, ...). Secret.",
    "appSecrets": "The application's secrets per service: `{frontend: {NAME: value}, backend: {NAME: value}}`, each "
    "set with `pulumi config set --secret --path 'webstack:appSecrets.backend.NAME' <value>`. On aws each is kept in "
    "Secrets Manager under the stack's secrets key and reaches the container as the environment variable NAME (ECS "
    "secrets); on docker as a file named by NAME_FILE. Secret.",
}
SECRET_SETTING_KEYS: tuple[str, ...] = tuple(f"{PROJECT}:{key}" for key in SECRET_SETTINGS)

#: Tag keys webstack sets on every resource; user tags may not override them.
RESERVED_TAG_KEYS = ("Project", "Stack", "Environment", "ManagedBy")

#: Retention values CloudWatch Logs accepts (0, "never expire", is deliberately not offered).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

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

#: Subnet tiers, in the order their address ranges are laid out inside the VPC (a fourth quarter stays free).
SUBNET_TIERS = ("public", "app", "data")

_REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TAG_RE = re.compile(r"^[\w\s.:/=+\-@]*$")


class SettingsError(pulumi.RunError):
    """Bad stack settings. The message is complete and meant for the user as is; no traceback is needed."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def _problem(message: str, field: str | None = None) -> PydanticCustomError:
    """A validation error with our own wording; ``field`` points below the current location (cross-field checks)."""
    return PydanticCustomError("webstack", "{message}", {"message": message, "field": field})


def _got(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    if value is None:
        return "nothing"
    text = json.dumps(value, default=str)
    kind = "a list" if isinstance(value, list) else "an object"
    return f"{kind} {text if len(text) <= 60 else text[:57] + '...'}"


def _network(value: str, example: str = "10.0.0.0/16") -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError:
        try:
            fixed = ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise _problem(f"must be a CIDR block like {example}, got {_got(value)}") from None
        raise _problem(
            f"must be a network address (host bits clear), got {_got(value)}; did you mean {fixed}?"
        ) from None


def _cloudwatch_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
        raise _problem(f"must be one of the retention periods CloudWatch accepts ({allowed}), got {value}")
    return value


#: Days CloudWatch Logs keeps a log group's events.
RetentionDays = Annotated[int, AfterValidator(_cloudwatch_retention)]


def _url_path(value: str) -> str:
    if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", value):
        raise _problem(f"must be a URL path like /health (letters, digits and ._~/-), got {_got(value)}")
    return value


#: A URL path without query or fragment: probed by health checks and the smoke test, so it is kept plain.
UrlPath = Annotated[str, AfterValidator(_url_path)]


def _any_cidr(value: str) -> str:
    _network(value, "203.0.113.0/24")
    return value


def _admin_cidr(value: str) -> str:
    net = _network(value, "203.0.113.10/32")
    widest = 16 if net.version == 4 else 48
    if net.prefixlen < widest:
        raise _problem(f"must be /{widest} or narrower: SSH is never open to the internet, got {value}")
    return value


# -- zones by ID -------------------------------------------------------------------------------------------------------
def _zone_id(value: str) -> str:
    if not re.fullmatch(r"[a-z]{2,4}\d+(-[a-z]+\d+)?-az\d+", value):
        raise _problem(
            "must be an availability zone ID like use1-az1 (zone names such as us-east-1a mean different zones in "
            f"different accounts), got {_got(value)}"
        )
    return value


class _Model(BaseModel):
    """Settings objects: camelCase keys as users write them, unknown keys rejected, no type coercion, immutable."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
    )


class NetworkSettings(_Model):
    """``webstack:network``: the VPC, its subnet tiers and who may reach the edge."""

    cidr: str = Field(
        default="10.0.0.0/16",
        description="IPv4 CIDR of the VPC, a private (RFC 1918) range from /16 to /24. It is split into four "
        "equal ranges: public, app and data subnets, and one left free.",
    )
    az_count: Annotated[int, Field(ge=2, le=6)] = Field(
        default=3,
        description="Availability zones to spread every tier over (2-6). Load balancers and databases need at least 2.",
    )
    subnet_prefix_length: Annotated[int, Field(ge=17, le=28)] = Field(
        default=20,
        description="Prefix length of each subnet (/17-/28). Each tier's range must hold azCount subnets of this size.",
    )
    nat_gateways: Literal["perAz", "single"] = Field(
        default="perAz",
        description="`perAz`: one NAT gateway per availability zone, so losing a zone never cuts the others off the "
        "internet. `single`: one shared NAT gateway (cheaper, for non-production stacks).",
    )
    flow_log_retention_days: RetentionDays = Field(
        default=365,
        description="Days CloudWatch keeps the VPC flow logs (a value CloudWatch accepts: 30, 90, 365, ...).",
    )
    lb_ingress_cidrs: list[Annotated[str, AfterValidator(_any_cidr)]] = Field(
        default=["0.0.0.0/0"],
        description="CIDRs allowed to reach the load balancer on ports 80 and 443.",
    )
    admin_cidrs: list[Annotated[str, AfterValidator(_admin_cidr)]] = Field(
        default=[],
        description="CIDRs allowed to reach the app tier over SSH (port 22). Empty: no SSH rule exists at all. Each "
        "must be /16 or narrower (IPv6: /48); the internet (0.0.0.0/0, ::/0) is never accepted.",
    )
    # -- zones by ID ---------------------------------------------------------------------------------------------------
    availability_zone_ids: list[Annotated[str, AfterValidator(_zone_id)]] = Field(
        default=[],
        description="The zones to use, by zone ID (e.g. use1-az1), one per zone (azCount of them), in subnet order: "
        "the same physical zones in every account, where zone names (us-east-1a) differ. Empty: the region's first "
        "azCount zones by name.",
    )

    @field_validator("availability_zone_ids")
    @classmethod
    def _zone_ids(cls, value: list[str]) -> list[str]:
        _unique(value)
        return value

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        net = _network(value)
        if not isinstance(net, ipaddress.IPv4Network):
            raise _problem(f"must be an IPv4 CIDR block, got {_got(value)}")
        if not any(net.subnet_of(private) for private in _PRIVATE_V4):
            raise _problem(f"must be a private range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, got {value}")
        if not 16 <= net.prefixlen <= 24:
            raise _problem(
                f"must be between /16 and /24 (AWS allows /16-/28; /24 is the smallest that fits), got {value}"
            )
        return value

    @field_validator("lb_ingress_cidrs")
    @classmethod
    def _lb_cidrs(cls, value: list[str]) -> list[str]:
        if not value:
            raise _problem("must list at least one CIDR, or nobody can reach the load balancer, got an empty list")
        _unique(value)
        return value

    @field_validator("admin_cidrs")
    @classmethod
    def _admin_cidrs(cls, value: list[str]) -> list[str]:
        _unique(value)
        return value

    @model_validator(mode="after")
    def _one_zone_id_per_zone(self) -> NetworkSettings:
        ids = self.availability_zone_ids
        if ids and len(ids) != self.az_count:
            raise _problem(
                f"must list azCount ({self.az_count}) zone IDs, one per zone, got {len(ids)}",
                field="availabilityZoneIds",
            )
        return self

    @model_validator(mode="after")
    def _subnet_plan(self) -> NetworkSettings:
        vpc = ipaddress.ip_network(self.cidr)
        tier_prefix = vpc.prefixlen + 2
        slots_needed = math.ceil(math.log2(self.az_count))
        if self.subnet_prefix_length < tier_prefix + slots_needed:
            smallest_vpc = self.subnet_prefix_length - 2 - slots_needed
            raise _problem(
                f"{self.cidr} is too small for the subnet plan: 3 tiers x {self.az_count} AZs of "
                f"/{self.subnet_prefix_length} subnets need a /{smallest_vpc} or larger VPC "
                f"(or a longer webstack:network.subnetPrefixLength), got /{vpc.prefixlen}",
                field="cidr",
            )
        return self


def plan_subnets(cidr: str, az_count: int, prefix_length: int) -> dict[str, list[str]]:
    """The subnet CIDRs of each tier, one per AZ: the VPC range is cut into four equal quarters (public, app, data,
    free) and each tier's subnets are taken from the start of its quarter, so growing azCount keeps every existing
    subnet where it is."""
    quarters = list(ipaddress.ip_network(cidr).subnets(prefixlen_diff=2))
    plan: dict[str, list[str]] = {}
    for tier, quarter in zip(SUBNET_TIERS, quarters, strict=False):
        subnets = quarter.subnets(new_prefix=prefix_length)
        plan[tier] = [str(next(subnets)) for _ in range(az_count)]
    return plan


_PRIVATE_V4 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _unique(values: list[str]) -> None:
    seen: set[str] = set()
    for item in values:
        if item in seen:
            raise _problem(f"must not list the same entry twice, got {_got(item)} twice")
        seen.add(item)


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

_IMAGE_RE = re.compile(
    r"^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$"
)
_ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
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
            if not _ENV_NAME_RE.match(name):
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


#: Cloudflare plans, and what each lets rate-limiting rules use (Cloudflare's "availability by plan" table).
CLOUDFLARE_PLANS = ("free", "pro", "business", "enterprise")
#: Counting periods and mitigation timeouts Cloudflare accepts, in seconds.
CLOUDFLARE_PERIODS = (10, 15, 20, 30, 40, 45, 60, 90, 120, 180, 240, 300, 480, 600, 900, 1200, 1800, 2400, 3600,
                      65535, 86400)  # fmt: skip


@dataclass(frozen=True)
class CloudflarePlan:
    """What one Cloudflare plan allows the rules webstack writes."""

    longest_period: int
    """Longest rate-limit counting period, seconds."""
    longest_timeout: int
    """Longest mitigation timeout, seconds."""
    rate_limit_rules: int
    """Rate-limiting rules per zone."""
    managed_rulesets: bool
    """The Cloudflare Managed and OWASP Core rulesets (else only the Free Managed Ruleset)."""
    shortest_edge_ttl: int
    """Shortest edge cache TTL a cache rule may set, seconds."""

    def periods(self) -> tuple[int, ...]:
        return tuple(p for p in CLOUDFLARE_PERIODS if p <= self.longest_period)


PLAN_LIMITS = {
    "free": CloudflarePlan(10, 10, 1, False, 7200),
    "pro": CloudflarePlan(60, 3600, 2, True, 3600),
    "business": CloudflarePlan(600, 86400, 5, True, 1),
    "enterprise": CloudflarePlan(65535, 86400, 100, True, 1),
}
RATE_LIMIT_NAMES = ("api", "login", "general")
#: Sent with every response (the guides' nginx headers, plus a CSP and a Permissions-Policy).
DEFAULT_CSP = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'self'; "
    "form-action 'self'; upgrade-insecure-requests"
)
DEFAULT_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
ONE_YEAR = 31_536_000


class CdnSettings(_Model):
    """``webstack:cdn``: Cloudflare in front of the site."""

    enabled: bool = Field(
        default=False,
        description="Serve the site through Cloudflare. The zone's DNS then also validates the certificate, and the "
        "load balancer admits Cloudflare's addresses only.",
    )
    zone_id: str = Field(default="", description="Id of the site's Cloudflare zone (32 hex digits). Required when on.")
    plan: Literal["free", "pro", "business", "enterprise"] | None = Field(
        default=None,
        description="The zone's Cloudflare plan: free, pro, business or enterprise. Required when on: it decides "
        "which rate-limit periods, how many rate-limiting rules and which managed WAF rulesets exist.",
    )
    rate_limited: list[Literal["api", "login", "general"]] = Field(
        default=["api", "login", "general"],
        description="Which of webstack:web.rateLimits Cloudflare enforces too (one rule each; Free allows 1, Pro 2).",
    )
    rate_limit_period_seconds: int | None = Field(
        default=None,
        description="Cloudflare's counting period, when the plan does not offer a limit's windowSeconds (Free: 10). "
        "Each limit is scaled to it, keeping its rate. Unset: each limit's own window.",
    )
    static_edge_ttl_seconds: Annotated[int, Field(ge=1, le=ONE_YEAR)] = Field(
        default=ONE_YEAR, description="How long Cloudflare caches static assets (css, js, images, fonts)."
    )
    static_browser_ttl_seconds: Annotated[int, Field(ge=0, le=ONE_YEAR)] = Field(
        default=ONE_YEAR, description="How long browsers cache static assets (the guides: expires 1y)."
    )
    cache_api: bool = Field(
        default=False,
        description="Cache /api/* responses at the edge for apiCacheTtlSeconds. Only for public, per-user-identical "
        "answers: a cached personal response is served to everyone. Off: /api/* always reaches the origin.",
    )
    api_cache_ttl_seconds: Annotated[int, Field(ge=1, le=86400)] = Field(
        default=300, description="Edge TTL of /api/* responses when cacheApi is on (the guides: 300)."
    )
    owasp: bool = Field(
        default=True,
        description="Run the OWASP Core Ruleset next to the Cloudflare Managed Ruleset (Pro and up; the free plan "
        "runs the Free Managed Ruleset only, whatever this says).",
    )
    content_security_policy: str = Field(
        default=DEFAULT_CSP,
        description="The Content-Security-Policy header added to every response, by Cloudflare and by the load "
        "balancer (which alone adds it when the CDN is off).",
    )
    permissions_policy: str = Field(
        default=DEFAULT_PERMISSIONS_POLICY, description="The Permissions-Policy header added to every response."
    )
    authenticated_origin_pulls: bool = Field(
        default=False,
        description="Cloudflare presents its client certificate to the origin, and the load balancer refuses any "
        "connection without it (mutual TLS). Needs originPullCaBundle.",
    )
    origin_pull_ca_bundle: str = Field(
        default="",
        description="Path, in the project, of Cloudflare's origin-pull CA certificate (PEM, from Cloudflare's "
        "authenticated origin pulls documentation): the load balancer's trust store.",
    )
    purge_on_deploy: bool = Field(
        default=False,
        description="Purge the zone's cache after a deployment changes the services (needs curl where pulumi runs).",
    )
    # -- Cloudflare in front of every platform: the origin, and a zone shared with other hosts ---------------------
    origin: Literal["tunnel", "direct"] | None = Field(
        default=None,
        description="How Cloudflare reaches the docker platform's nginx: `tunnel` (the default there: a cloudflared "
        "container dials out to a Cloudflare Tunnel and the server publishes no port) or `direct` (nginx publishes "
        "443 to Cloudflare's ranges only and requires authenticated origin pulls). The aws platform's origin is its "
        "load balancer: `direct` or unset.",
    )
    account_id: str = Field(
        default="",
        description="Id of the Cloudflare account that owns the zone (32 hex digits). Required with origin `tunnel`: "
        "the tunnel is an account resource.",
    )
    zone_name: str = Field(
        default="",
        description="The zone's name, e.g. `example.org`. Empty: the domain's last two labels; set it when the zone "
        "has more (`example.co.uk`). It decides which names Cloudflare's Universal SSL certificate covers.",
    )
    www: Literal["auto", "advancedCertificate", "none"] = Field(
        default="auto",
        description="The www record. `auto`: only where Cloudflare's Universal SSL certificate covers it (the site at "
        "the zone's apex: www is one level below; for a site one level below, www.<site> is two and is left out). "
        "`advancedCertificate`: www.<site> too, with an advanced certificate (a paid Advanced Certificate Manager "
        "order) for the site and www. `none`: no www record.",
    )
    hsts_include_subdomains: bool = Field(
        default=False,
        description="Add includeSubDomains to HSTS. Off by default: it binds every host of the zone (HSTS is a "
        "zone-wide Cloudflare setting) to HTTPS for a year, including hosts of other teams and internal names.",
    )
    hsts_preload: bool = Field(
        default=False,
        description="Add preload to HSTS (needs hstsIncludeSubdomains). Off by default: browsers then ship the whole "
        "domain as HTTPS-only, and leaving the preload list takes months.",
    )
    adopt_rulesets: dict[str, str] = Field(
        default={},
        description="Entry-point rulesets the zone already has (a zone has one per phase; creating a second fails), "
        "by phase: `http_request_cache_settings`, `http_ratelimit`, `http_request_firewall_managed`, "
        "`http_response_headers_transform` -> the ruleset's id (32 hex digits). webstack imports each and then "
        "replaces its rules with its own. Unset phases are created.",
    )

    @model_validator(mode="after")
    def _zone(self) -> CdnSettings:
        # Header values first: the load balancer sends the Content-Security-Policy with the CDN off too.
        for name, value in (("contentSecurityPolicy", self.content_security_policy),
                            ("permissionsPolicy", self.permissions_policy)):  # fmt: skip
            if not value.strip() or any(c in value for c in "\r\n"):
                raise _problem(f"must be one non-empty line, got {_got(value)}", name)
        # The load balancer sends HSTS with the CDN off too; hstspreload.org refuses preload without includeSubDomains.
        if self.hsts_preload and not self.hsts_include_subdomains:
            raise _problem(
                "needs hstsIncludeSubdomains: browsers' preload lists accept only a header with includeSubDomains "
                "(hstspreload.org's submission requirements), got hstsPreload true alone",
                "hstsPreload",
            )
        self._shared_zone()
        if not self.enabled:
            return self
        if not re.fullmatch(r"[0-9a-f]{32}", self.zone_id):
            raise _problem(
                f"must be a Cloudflare zone id (32 hex digits) when the CDN is on, got {_got(self.zone_id)}", "zoneId"
            )
        if self.plan is None:
            raise _problem("is required when the CDN is on: free, pro, business or enterprise, got nothing", "plan")
        limits = PLAN_LIMITS[self.plan]
        if len(set(self.rate_limited)) != len(self.rate_limited):
            raise _problem(f"must not repeat a limit, got {_got(self.rate_limited)}", "rateLimited")
        if len(self.rate_limited) > limits.rate_limit_rules:
            raise _problem(
                f"must name at most {limits.rate_limit_rules} of api, login and general: the Cloudflare {self.plan} "
                f"plan allows {limits.rate_limit_rules} rate-limiting "
                f"rule{'s' if limits.rate_limit_rules > 1 else ''}, got {_got(self.rate_limited)}",
                "rateLimited",
            )
        period = self.rate_limit_period_seconds
        if period is not None and period not in limits.periods():
            raise _problem(
                f"must be one of {', '.join(map(str, limits.periods()))} on the Cloudflare {self.plan} plan, got "
                f"{period}",
                "rateLimitPeriodSeconds",
            )
        if self.cache_api and self.api_cache_ttl_seconds < limits.shortest_edge_ttl:
            raise _problem(
                f"must be at least {limits.shortest_edge_ttl} on the Cloudflare {self.plan} plan, the shortest edge "
                f"TTL it offers, got {self.api_cache_ttl_seconds}",
                "apiCacheTtlSeconds",
            )
        if self.static_edge_ttl_seconds < limits.shortest_edge_ttl:
            raise _problem(
                f"must be at least {limits.shortest_edge_ttl} on the Cloudflare {self.plan} plan, the shortest edge "
                f"TTL it offers, got {self.static_edge_ttl_seconds}",
                "staticEdgeTtlSeconds",
            )
        if self.authenticated_origin_pulls:
            bundle = self.origin_pull_ca_bundle
            if not bundle:
                raise _problem(
                    "is required with authenticatedOriginPulls: the path of Cloudflare's origin-pull CA certificate "
                    "(PEM), got nothing",
                    "originPullCaBundle",
                )
            if not Path(bundle).is_file() or "BEGIN CERTIFICATE" not in Path(bundle).read_text(errors="replace"):
                raise _problem(
                    f"must be a PEM certificate file of the project, got {_got(bundle)}", "originPullCaBundle"
                )
        return self

    @property
    def limits(self) -> CloudflarePlan:
        """What the zone's plan allows (the free plan's when none is set)."""
        return PLAN_LIMITS[self.plan or "free"]

    # -- Cloudflare in front of every platform ---------------------------------------------------------------------
    def _shared_zone(self) -> None:
        if self.account_id and not re.fullmatch(r"[0-9a-f]{32}", self.account_id):
            raise _problem(f"must be a Cloudflare account id (32 hex digits), got {_got(self.account_id)}", "accountId")
        labels = self.zone_name.split(".")
        if self.zone_name and (len(labels) < 2 or not all(map(_LABEL_RE.match, labels))):
            raise _problem(f"must be a lowercase domain name like example.org, got {_got(self.zone_name)}", "zoneName")
        for phase, ruleset_id in self.adopt_rulesets.items():
            if phase not in ENTRY_POINT_PHASES:
                raise _problem(
                    f"is not a phase webstack writes{_suggest(phase, ENTRY_POINT_PHASES)}", f"adoptRulesets.{phase}"
                )
            if not re.fullmatch(r"[0-9a-f]{32}", ruleset_id):
                raise _problem(
                    f"must be a ruleset id (32 hex digits), got {_got(ruleset_id)}", f"adoptRulesets.{phase}"
                )


#: The zone's entry-point rulesets webstack writes, one per phase (a zone has at most one per phase).
ENTRY_POINT_PHASES = (
    "http_request_cache_settings",
    "http_ratelimit",
    "http_request_firewall_managed",
    "http_response_headers_transform",
)


#: Major versions webstack supports per engine; the first is the default.
ENGINE_VERSIONS = {"postgres": ("16", "17", "15", "14"), "mysql": ("8.0", "8.4")}
CACHE_VERSIONS = {"redis": ("7.1", "7.0"), "valkey": ("8.0", "7.2")}
MAXMEMORY_POLICIES = ("allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "allkeys-random",
                      "volatile-random", "volatile-ttl", "noeviction")  # fmt: skip
#: Usernames every scanner tries first.
DEFAULT_USERNAMES = ("admin", "administrator", "root", "postgres", "mysql", "sa", "master", "user", "rdsadmin")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY_WINDOW_RE = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)


def _daily_window(value: str) -> str:
    match = _DAILY_WINDOW_RE.match(value)
    if not match:
        raise _problem(f"must be a daily UTC window like 02:00-03:00, got {_got(value)}")
    start, end = (int(match[1]) * 60 + int(match[2])), (int(match[3]) * 60 + int(match[4]))
    if (end - start) % 1440 < 30:
        raise _problem(f"must last at least 30 minutes, as AWS requires, got {value}")
    return value


def _weekly_window(value: str) -> str:
    match = _WEEKLY_WINDOW_RE.match(value)
    if not match:
        raise _problem(f"must be a weekly UTC window like sun:04:00-sun:05:00, got {_got(value)}")
    start, end = _weekly_minutes(value)
    if (end - start) % (7 * 1440) < 30:
        raise _problem(f"must last at least 30 minutes, as AWS requires, got {value}")
    return value


def _weekly_minutes(value: str) -> tuple[int, int]:
    start, end = value.split("-")
    return tuple(  # type: ignore[return-value]
        _DAYS.index(part[:3]) * 1440 + int(part[4:6]) * 60 + int(part[7:9]) for part in (start, end)
    )


def windows_overlap(daily: str, weekly: str) -> bool:
    """Whether a weekly window overlaps a daily window on any day (both UTC)."""
    d_start = int(daily[0:2]) * 60 + int(daily[3:5])
    d_end = int(daily[6:8]) * 60 + int(daily[9:11])
    w_start, w_end = _weekly_minutes(weekly)
    week = 7 * 1440
    weekly_minutes = {(w_start + m) % week for m in range((w_end - w_start) % week)}
    daily_length = (d_end - d_start) % 1440
    return any((day * 1440 + d_start + m) % week in weekly_minutes for day in range(7) for m in range(daily_length))


#: A daily UTC window, ``HH:MM-HH:MM``, at least 30 minutes.
DailyWindow = Annotated[str, AfterValidator(_daily_window)]
#: A weekly UTC window, ``ddd:HH:MM-ddd:HH:MM``, at least 30 minutes.
WeeklyWindow = Annotated[str, AfterValidator(_weekly_window)]


class DatabaseSettings(_Model):
    """``webstack:database``: the relational database: K shards, each a primary with N read replicas."""

    engine: Literal["postgres", "mysql"] = Field(
        default="postgres", description="Database engine: `postgres` (PostgreSQL) or `mysql` (MySQL)."
    )
    version: str = Field(
        default="",
        description="Major engine version: postgres 14-17, mysql 8.0 or 8.4. Empty: postgres 16, mysql 8.0. Minor "
        "versions are upgraded automatically.",
    )
    port: Annotated[int, Field(ge=1150, le=65535)] | None = Field(
        default=None,
        description="Port the database listens on (1150-65535). Unset: the engine's default (5432 or 3306).",
    )
    instance_class: str = Field(
        default="db.m7g.large",
        description="Instance class of the primaries, e.g. db.m7g.large. Micro and small classes lack Performance "
        "Insights and are refused.",
    )
    replica_instance_class: str = Field(
        default="", description="Instance class of the replicas. Empty: as the primary."
    )
    allocated_storage_gb: Annotated[int, Field(ge=20, le=65536)] = Field(
        default=100, description="Initial gp3 storage in GB (the guides: 100 GB SSD)."
    )
    max_allocated_storage_gb: Annotated[int, Field(ge=21, le=65536)] = Field(
        default=500, description="Storage autoscaling ceiling in GB; more than the initial storage."
    )
    multi_az: bool = Field(
        default=True, description="A standby in another zone for each primary (failover in ~1-2 min)."
    )
    replicas: Annotated[int, Field(ge=0, le=5)] = Field(
        default=1, description="Read replicas per primary (0-5), spread over the zones."
    )
    shards: Annotated[int, Field(ge=1, le=16)] = Field(
        default=1, description="Independent databases (1: unsharded). Each is a primary with its replicas."
    )
    tables: dict[str, Annotated[int, Field(ge=0)]] = Field(
        default={},
        description="Table routing for a sharded database: table name -> shard index (the guides: users on 0, "
        "transactions on 1, content on 2). Other tables go to shard 0; keys route through the hash ring.",
    )
    virtual_nodes: Annotated[int, Field(ge=1, le=4096)] = Field(
        default=128, description="Points per shard on the consistent-hash ring (more: a more even spread)."
    )
    backup_retention_days: Annotated[int, Field(ge=1, le=35)] = Field(
        default=30, description="Days of automated backups and point-in-time restore (1-35; the guides: 30)."
    )
    backup_window: DailyWindow = Field(
        default="02:00-03:00", description="Daily backup window, UTC (the guides: 2 AM)."
    )
    maintenance_window: WeeklyWindow = Field(
        default="sun:04:00-sun:05:00", description="Weekly maintenance window, UTC; must not overlap the backups."
    )
    deletion_protection: bool = Field(
        default=True, description="Refuse deletion of the primaries (the policy pack requires it in prod)."
    )
    master_username: str = Field(
        default="webstack_admin",
        description="Master user name; never a default one (admin, root, postgres, ...). Its password is "
        "generated and rotated by RDS in Secrets Manager.",
    )
    database_name: str = Field(default="app", description="Name of the database created on each primary.")
    performance_insights_retention_days: int = Field(
        default=7, description="Days Performance Insights keeps data: 7 (free), a multiple of 31 up to 713, or 731."
    )
    monitoring_interval_seconds: Literal[1, 5, 10, 15, 30, 60] = Field(
        default=60, description="Seconds between Enhanced Monitoring samples."
    )
    # -- exported logs ------------------------------------------------------------------------------------------------
    log_retention_days: RetentionDays = Field(
        default=365,
        description="Days CloudWatch keeps the logs every instance exports (PostgreSQL's log with pgaudit, or MySQL's "
        "audit, error and slow-query logs): audit logs, kept a year by default.",
    )

    @property
    def effective_port(self) -> int:
        """The port clients connect to."""
        if self.port is not None:
            return self.port
        return 5432 if self.engine == "postgres" else 3306

    @property
    def effective_version(self) -> str:
        return self.version or ENGINE_VERSIONS[self.engine][0]

    @property
    def family(self) -> str:
        """The parameter-group family, e.g. postgres16 or mysql8.0."""
        return f"{self.engine}{self.effective_version}"

    @field_validator("instance_class", "replica_instance_class")
    @classmethod
    def _instance_class(cls, value: str) -> str:
        if value and not re.fullmatch(r"db\.[a-z0-9-]+\.[a-z0-9]+", value):
            raise _problem(f"must be an RDS instance class like db.m7g.large, got {_got(value)}")
        if value.endswith((".micro", ".small")) or value.startswith("db.t2."):
            raise _problem(
                f"must be medium or larger and not db.t2: smaller classes lack Performance Insights, got {value}"
            )
        return value

    @field_validator("master_username")
    @classmethod
    def _username(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,15}", value):
            raise _problem(f"must be 1-16 lowercase letters, digits or _, starting with a letter, got {_got(value)}")
        if value in DEFAULT_USERNAMES:
            raise _problem(f"must not be a default user name ({', '.join(DEFAULT_USERNAMES)}), got {_got(value)}")
        return value

    @field_validator("database_name")
    @classmethod
    def _database_name(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,62}", value):
            raise _problem(f"must be lowercase letters, digits or _, starting with a letter, got {_got(value)}")
        return value

    @field_validator("performance_insights_retention_days")
    @classmethod
    def _pi_retention(cls, value: int) -> int:
        if value not in (7, 731) and not (value % 31 == 0 and 1 <= value // 31 <= 23):
            raise _problem(f"must be 7, 731 or a multiple of 31 up to 713, got {value}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> DatabaseSettings:
        if self.version and self.version not in ENGINE_VERSIONS[self.engine]:
            raise _problem(
                f"must be one of {', '.join(sorted(ENGINE_VERSIONS[self.engine]))} for {self.engine}, got "
                f"{_got(self.version)}",
                "version",
            )
        if self.max_allocated_storage_gb <= self.allocated_storage_gb:
            raise _problem(
                f"must be more than allocatedStorageGb ({self.allocated_storage_gb}) for storage to grow, got "
                f"{self.max_allocated_storage_gb}",
                "maxAllocatedStorageGb",
            )
        if windows_overlap(self.backup_window, self.maintenance_window):
            raise _problem(
                f"must not overlap backupWindow ({self.backup_window}), as RDS requires, got {self.maintenance_window}",
                "maintenanceWindow",
            )
        for table, shard in self.tables.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_$]{0,63}", table):
                raise _problem(f"must name tables (letters, digits, _ and $), got {table!r}", "tables")
            if shard >= self.shards:
                raise _problem(
                    f"must route {table} to a shard below {self.shards} (webstack:database.shards), got {shard}",
                    "tables",
                )
        if self.engine == "mysql" and len(self.master_username) > 16:
            raise _problem("must be at most 16 characters for MySQL", "masterUsername")
        return self


class CacheSettings(_Model):
    """``webstack:cache``: Redis or Valkey, encrypted, authenticated, with failover."""

    engine: Literal["redis", "valkey"] = Field(
        default="redis", description="`redis` (the guides: Redis 7) or `valkey`."
    )
    version: str = Field(
        default="", description="Engine version: redis 7.0 or 7.1, valkey 7.2 or 8.0. Empty: the newest."
    )
    node_type: str = Field(default="cache.r7g.large", description="Node type, e.g. cache.r7g.large or cache.t4g.small.")
    replicas: Annotated[int, Field(ge=0, le=5)] = Field(
        default=1, description="Replicas per shard (0-5). Failover needs at least 1."
    )
    multi_az: bool = Field(default=True, description="Fail over automatically to a replica in another zone.")
    cluster_mode: bool = Field(
        default=False, description="Shard the keyspace (Redis Cluster); clients must support it."
    )
    shards: Annotated[int, Field(ge=1, le=500)] = Field(
        default=1, description="Node groups in cluster mode (1 otherwise)."
    )
    maxmemory_policy: str = Field(default="allkeys-lru", description="What to evict when memory is full.")
    snapshot_retention_days: Annotated[int, Field(ge=1, le=35)] = Field(
        default=7, description="Days daily snapshots are kept (1-35)."
    )
    snapshot_window: DailyWindow = Field(default="03:00-04:00", description="Daily snapshot window, UTC.")
    maintenance_window: WeeklyWindow = Field(
        default="sun:05:00-sun:06:00", description="Weekly maintenance window, UTC; must not overlap the snapshots."
    )
    log_retention_days: RetentionDays = Field(default=30, description="Days CloudWatch keeps the slow and engine logs.")
    # -- AUTH token rotation ---------------------------------------------------------------------------------------
    auth_token_generation: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=1,
        description="Raise it by one to rotate the AUTH token: a new token is generated, the cache accepts it next to "
        "the current one (authTokenUpdateStrategy ROTATE), the secret holds it and the backend's tasks are replaced "
        "with tasks that use it. Then set authTokenUpdateStrategy to SET to retire the old token (README, "
        '"Rotating the cache\'s AUTH token").',
    )
    auth_token_update_strategy: Literal["ROTATE", "SET"] = Field(
        default="ROTATE",
        description="How a changed AUTH token reaches the cache: ROTATE (the new token joins the current one) or SET "
        "(only after ROTATE: the current token becomes the only one).",
    )

    @property
    def effective_version(self) -> str:
        return self.version or CACHE_VERSIONS[self.engine][0]

    @property
    def family(self) -> str:
        """The parameter-group family, e.g. redis7 or valkey8."""
        return f"{self.engine}{self.effective_version.split('.')[0]}"

    @field_validator("node_type")
    @classmethod
    def _node_type(cls, value: str) -> str:
        if not re.fullmatch(r"cache\.[a-z0-9-]+\.[a-z0-9]+", value):
            raise _problem(f"must be an ElastiCache node type like cache.r7g.large, got {_got(value)}")
        if value.startswith(("cache.t2.", "cache.m3.", "cache.r3.", "cache.t1.", "cache.m1.")):
            raise _problem(f"must be a current generation: older ones lack encryption and failover, got {value}")
        return value

    @field_validator("maxmemory_policy")
    @classmethod
    def _policy(cls, value: str) -> str:
        if value not in MAXMEMORY_POLICIES:
            raise _problem(f"must be one of {', '.join(MAXMEMORY_POLICIES)}, got {_got(value)}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CacheSettings:
        if self.version and self.version not in CACHE_VERSIONS[self.engine]:
            raise _problem(
                f"must be one of {', '.join(CACHE_VERSIONS[self.engine])} for {self.engine}, got {_got(self.version)}",
                "version",
            )
        if self.multi_az and self.replicas < 1:
            raise _problem(
                "must be false without replicas: failover needs a replica to fail over to, got true", "multiAz"
            )
        if self.cluster_mode and self.replicas < 1:
            raise _problem("must be at least 1 in cluster mode, where failover is mandatory, got 0", "replicas")
        if not self.cluster_mode and self.shards != 1:
            raise _problem(f"must be 1 unless clusterMode is on, got {self.shards}", "shards")
        if windows_overlap(self.snapshot_window, self.maintenance_window):
            raise _problem(
                f"must not overlap snapshotWindow ({self.snapshot_window}), as ElastiCache requires, got "
                f"{self.maintenance_window}",
                "maintenanceWindow",
            )
        return self


class StorageSettings(_Model):
    """``webstack:storage``: the documents bucket (the guides' MinIO "documents" bucket) and the access-log archive."""

    noncurrent_version_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=30, description="Days an overwritten or deleted object version stays recoverable."
    )
    access_log_days: Annotated[int, Field(ge=1, le=3650)] = Field(
        default=365, description="Days S3 server access logs are kept."
    )


class VaultLockSettings(_Model):
    """``webstack:backups.vaultLock``: make recovery points immutable (WORM)."""

    enabled: bool = Field(default=False, description="Lock the backup vaults.")
    min_retention_days: Annotated[int, Field(ge=1, le=36500)] = Field(
        default=7, description="Shortest retention a recovery point may have."
    )
    max_retention_days: Annotated[int, Field(ge=1, le=36500)] = Field(
        default=365, description="Longest retention a recovery point may have."
    )
    changeable_for_days: Annotated[int, Field(ge=3, le=36500)] | None = Field(
        default=None,
        description="Days the lock can still be removed (at least 3); after that nobody, root included, can. Unset: "
        "governance mode, removable by anyone with the permission.",
    )


class ObjectLockSettings(_Model):
    """``webstack:backups.objectLock``: write-once exports in the backups bucket."""

    mode: Literal["off", "GOVERNANCE", "COMPLIANCE"] = Field(
        default="off",
        description="Object lock of the backups bucket: off, GOVERNANCE (removable with a permission) or "
        "COMPLIANCE (nobody can delete a locked version before its time). Only at bucket creation.",
    )
    days: Annotated[int, Field(ge=1, le=36500)] = Field(default=30, description="Days each export is locked.")


#: The AWS Backup resource types webstack's backup plan protects (RDS instances, the documents bucket).
BACKED_UP_RESOURCE_TYPES = ("RDS", "S3")


class BackupSettings(_Model):
    """``webstack:backups``: AWS Backup plan, cross-region copies, restore tests, the exports bucket."""

    daily_retention_days: Annotated[int, Field(ge=7, le=3650)] = Field(
        default=30, description="Days daily backups (02:00 UTC) are kept, here and in the DR region (the guides: 30)."
    )
    weekly_retention_days: Annotated[int, Field(ge=14, le=3650)] = Field(
        default=90, description="Days Sunday backups are kept, here and in the DR region."
    )
    continuous: bool = Field(
        default=True,
        description="Continuous backups for point-in-time restore (RDS, S3) in the daily rule; at most 35 days.",
    )
    copy_to_dr_region: bool = Field(default=True, description="Copy every recovery point to the DR region's vault.")
    replicate_database_backups: bool = Field(
        default=True,
        description="Replicate each primary's automated backups (point-in-time restore) to the DR region.",
    )
    restore_testing: bool = Field(
        default=True, description="Restore the latest database recovery point monthly, to prove backups restore."
    )
    vault_lock: VaultLockSettings = Field(default=VaultLockSettings(), description="Vault lock.")
    export_archive_after_days: Annotated[int, Field(ge=0, le=3650)] = Field(
        default=0,
        description="Days before weekly exports move to Glacier Instant Retrieval (0: at once; it bills at least "
        "90 days, so a later move costs more, not less, for exports kept 90 days).",
    )
    object_lock: ObjectLockSettings = Field(default=ObjectLockSettings(), description="Object lock of exports.")
    # -- AWS Backup service opt-in (account-wide per region) -----------------------------------------------------------
    manage_region_settings: bool = Field(
        default=True,
        description="Manage AWS Backup's service opt-in of the stack's region (account-wide: every stack of the "
        "account and region shares it). False: leave it to whoever manages it (an organization's backup policies), "
        "who must opt in S3 and RDS.",
    )
    service_opt_in: dict[str, bool] = Field(
        default={},
        description="Opt-in per AWS Backup resource type, over webstack's map (every type AWS Backup lists, on, as AWS "
        "opts an account in on first use): add the types the region reports that the map lacks, or turn off those "
        "no stack of the account uses. S3 and RDS stay on.",
    )

    @field_validator("service_opt_in")
    @classmethod
    def _service_opt_in(cls, value: dict[str, bool]) -> dict[str, bool]:
        for resource_type, opted_in in value.items():
            if resource_type in BACKED_UP_RESOURCE_TYPES and not opted_in:
                raise _problem(
                    f"must be true: the backup plan protects the stack's {resource_type} resources, got false",
                    resource_type,
                )
            if not 1 <= len(resource_type) <= 50:
                raise _problem(f"keys must be AWS Backup resource types (1-50 characters), got {resource_type!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> BackupSettings:
        daily = self.daily_retention_days
        if self.continuous and daily > 35:
            raise _problem(
                f"must be at most 35 with continuous backups, which keep at most 35 days, got {daily}",
                "dailyRetentionDays",
            )
        if self.weekly_retention_days <= daily:
            raise _problem(
                f"must be longer than dailyRetentionDays ({daily}), got {self.weekly_retention_days}",
                "weeklyRetentionDays",
            )
        if self.export_archive_after_days >= self.weekly_retention_days:
            raise _problem(
                f"must be less than weeklyRetentionDays ({self.weekly_retention_days}): S3 expires an object only "
                f"after it moves it, got {self.export_archive_after_days}",
                "exportArchiveAfterDays",
            )
        lock = self.vault_lock
        if lock.enabled and lock.min_retention_days > self.daily_retention_days:
            raise _problem(
                f"must be at most dailyRetentionDays ({self.daily_retention_days}), or the daily backups are refused, "
                f"got {lock.min_retention_days}",
                "vaultLock.minRetentionDays",
            )
        if lock.enabled and lock.max_retention_days < self.weekly_retention_days:
            raise _problem(
                f"must be at least weeklyRetentionDays ({self.weekly_retention_days}), or the weekly backups are "
                f"refused, got {lock.max_retention_days}",
                "vaultLock.maxRetentionDays",
            )
        return self


def _pinned_image(value: str, field: str | None = None) -> str:
    if not _IMAGE_RE.match(value):
        raise _problem(
            f"must be an image reference with a tag or digest, like ghcr.io/acme/api:1.4.2, got {_got(value)}", field
        )
    if value.endswith(":latest"):
        raise _problem(f"must be pinned to a version or digest, not latest, got {_got(value)}", field)
    return value


# -- Synthetics runtimes ----------------------------------------------------------------------------------------------
#: The uptime check's runtime: the newest Python runtime of the CloudWatch user guide, "Runtime versions using Python
#: and Selenium Webdriver". The deprecated ones are those "Runtime versions support policy" lists: Synthetics creates
#: no canary on them. Revisit both when AWS publishes a runtime or deprecates one.
CANARY_RUNTIME = "syn-python-selenium-14.0"
DEPRECATED_CANARY_RUNTIMES = frozenset(
    f"syn-python-selenium-{version}" for version in ("1.0", "1.1", "1.2", "1.3", "2.0", "2.1", "3.0", "4.0", "4.1",
                                                     "5.0", "5.1")
)  # fmt: skip


def _canary_runtime(value: str) -> str:
    if not re.fullmatch(r"syn-python-selenium-\d+\.\d+", value):
        raise _problem(
            f"must be a Python runtime like {CANARY_RUNTIME} (the uptime check is written in Python), got {_got(value)}"
        )
    if value in DEPRECATED_CANARY_RUNTIMES:
        raise _problem(
            "must be a runtime AWS has not deprecated (CloudWatch Synthetics creates no canary on a deprecated "
            f"runtime; the newest is {CANARY_RUNTIME}), got {_got(value)}"
        )
    return value


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class MonitoringSettings(_Model):
    """``webstack:monitoring``: alarms from the alert catalog, where alerts go, dashboards, uptime, Prometheus."""

    alert_emails: list[str] = Field(
        default=[], description="Addresses that receive every alert (each confirms its subscription by email)."
    )
    thresholds: dict[str, dict[Literal["warning", "critical"], float]] = Field(
        default={},
        description="Overrides of the catalog's thresholds: alert name -> severity -> threshold, e.g. "
        "{HighErrorRate: {warning: 2}}. Names and defaults: see the README's alert table.",
    )
    uptime_interval_minutes: Literal[1, 5, 10, 15, 30, 60] = Field(
        default=5, description="How often the synthetic check fetches https://<domain>/health, in minutes."
    )
    canary_runtime: Annotated[str, AfterValidator(_canary_runtime)] = Field(
        default=CANARY_RUNTIME,
        description="CloudWatch Synthetics runtime of the uptime check: a Python runtime AWS has not deprecated.",
    )
    prometheus: bool = Field(
        default=True,
        description="Amazon Managed Prometheus with the catalog's rules, Alertmanager routing to the alert topics, "
        "and a collector next to the backend that scrapes its /metrics.",
    )
    metrics_path: UrlPath = Field(default="/metrics", description="Where the backend serves Prometheus metrics.")
    collector_image: str = Field(
        default="public.ecr.aws/aws-observability/aws-otel-collector:v0.47.0",
        description="The metrics collector next to the backend (AWS Distro for OpenTelemetry), pinned by tag or "
        "digest.",
    )
    grafana: bool = Field(
        default=True,
        description="Amazon Managed Grafana with Prometheus and CloudWatch data sources, signed in through IAM "
        "Identity Center (which the account must have).",
    )

    @field_validator("alert_emails")
    @classmethod
    def _emails(cls, value: list[str]) -> list[str]:
        for index, address in enumerate(value):
            if not _EMAIL_RE.match(address):
                raise _problem(f"must be an email address, got {_got(address)}", f"[{index}]")
        if len(set(value)) != len(value):
            raise _problem(f"must not repeat an address, got {_got(value)}")
        return value

    @field_validator("collector_image")
    @classmethod
    def _collector_image(cls, value: str) -> str:
        return _pinned_image(value)

    @field_validator("thresholds")
    @classmethod
    def _known_alerts(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        from components.alerts import ALERT_NAMES

        for name in value:
            if name not in ALERT_NAMES:
                raise _problem(f"is not an alert{_suggest(name, ALERT_NAMES)}", name)
        return value


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
        from components.docker.images import DERIVED_ROLES, IMAGES

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


# -- An application moving in: webstack:app (plain) and webstack:appSecrets (secret) ---------------------------------
#: The services an application's settings and secrets belong to.
APP_SERVICES = ("frontend", "backend")
#: Environment names the program sets itself on the backend (where its data lives, its credentials): an
#: application's own secrets and settings may not take them over.
PROGRAM_ENVIRONMENT_PREFIXES = ("DATABASE_", "REDIS_", "S3_", "SHARD_MAP_", "DOCUMENTS_", "WEBSTACK_", "AWS_")
#: Paths a persistent volume may not be mounted on: the root, the scratch space, system and credential directories.
RESERVED_MOUNT_PATHS = ("/", "/tmp", "/run", "/run/webstack", "/proc", "/sys", "/dev", "/etc", "/usr", "/bin", "/lib")
_SECRET_ARN_RE = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@!-]+(:[A-Za-z0-9_.-]*:[A-Za-z0-9_-]*:[A-Za-z0-9-]*)?"
)
_ROLE_ARN_RE = re.compile(r"arn:aws[a-z-]*:(iam::\d{12}:(role|user)/[\w+=,.@/-]+|iam::\d{12}:root)")


def _app_env_name(name: str) -> str:
    if not _ENV_NAME_RE.match(name):
        raise _problem(f"names must be letters, digits and _, got {name!r}")
    upper = name.upper()
    if upper in RUNTIME_ENVIRONMENT or upper.startswith(PROGRAM_ENVIRONMENT_PREFIXES) or upper.endswith("_FILE"):
        raise _problem(
            f"must not set {name}: webstack sets the runtime environment ({', '.join(RUNTIME_ENVIRONMENT)}), the "
            f"names starting with {', '.join(PROGRAM_ENVIRONMENT_PREFIXES)} and the *_FILE paths itself"
        )
    return name


class AppVolumeSettings(_Model):
    """``webstack:app.<service>.volume``: a persistent, encrypted volume mounted into every task of the service."""

    path: str = Field(description="Absolute path the volume is mounted at in the container, e.g. /data.")
    single_writer: bool = Field(
        default=True,
        description="Only one task may run at a time (the application keeps state a second writer would corrupt: "
        "an embedded database, a blockchain's data directory). Needs desiredCount, minCount and maxCount of 1; "
        "deployments then stop the old task before starting the new one (a short interruption).",
    )

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not re.fullmatch(r"(/[A-Za-z0-9._-]+)+", value) or ".." in value.split("/"):
            raise _problem(f"must be an absolute path like /data, got {_got(value)}")
        if any(value == p or (p != "/" and value.startswith(p + "/")) for p in RESERVED_MOUNT_PATHS):
            raise _problem(f"must not be (or be inside) {', '.join(RESERVED_MOUNT_PATHS[1:])}, got {_got(value)}")
        return value


class AppServiceSettings(_Model):
    """``webstack:app.frontend`` / ``webstack:app.backend``: what one service of the application needs besides its
    image and plain environment (``webstack:web.<service>``)."""

    secret_arns: dict[str, str] = Field(
        default={},
        description="Secrets that already exist in Secrets Manager: environment name -> secret ARN (a JSON key: "
        "`<arn>:<key>::`). aws only; the execution role may read exactly these. A secret under another account's "
        "or another customer key needs that key's policy to admit the execution role.",
    )
    volume: AppVolumeSettings | None = Field(
        default=None,
        description="A persistent, encrypted volume `{path, singleWriter}`: EFS (customer key, backed up, reachable "
        "from the app tier only) on aws, a protected named volume on docker. Unset: no persistent storage.",
    )

    @field_validator("secret_arns")
    @classmethod
    def _secret_arns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, arn in value.items():
            _app_env_name(name)
            if not _SECRET_ARN_RE.fullmatch(arn):
                raise _problem(
                    "must be a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>, "
                    f"optionally :<json-key>::), got {_got(arn)}",
                    name,
                )
        return value


class MigrationSettings(_Model):
    """``webstack:app.migration``: the one-off command run from the backend's image before a new version serves."""

    command: list[str] = Field(
        default=[],
        description='The command, as an exec list, e.g. ["alembic", "upgrade", "head"] or ["php", "artisan", '
        '"migrate", "--force"]. It runs with the backend\'s environment and secrets, inside the private network, on '
        "every deployment whose backend image or command changed; a non-zero exit fails the deployment before the "
        "services change. Empty: no migration.",
    )
    timeout_minutes: Annotated[int, Field(ge=1, le=120)] = Field(
        default=30,
        description="Minutes the migration may run on aws before it is stopped and the deployment fails (docker "
        "waits for it to exit).",
    )

    @field_validator("command")
    @classmethod
    def _command(cls, value: list[str]) -> list[str]:
        if value and not value[0].strip():
            raise _problem(f"must start with the program to run, got {_got(value)}")
        return value


class DatabaseRolesSettings(_Model):
    """``webstack:app.databaseRoles``: the least-privilege roles created inside every shard."""

    bootstrap: bool = Field(
        default=True,
        description="Create, per shard, the application role (owns the application's schema, nothing else), the "
        "read-only role (the replicas' readers) and the monitoring role, with the guides' REVOKEs, from a one-off "
        "task inside the network that alone uses the master credentials. The backend then signs in as the "
        "application role. Off: the backend gets no database credentials.",
    )
    client_image: str = Field(
        default="",
        description="Image that runs the bootstrap (it needs psql or mysql, and wget or curl), pinned. Empty: the "
        "Docker official postgres or mysql image of the engine's version, from Amazon ECR Public.",
    )

    @field_validator("client_image")
    @classmethod
    def _client_image(cls, value: str) -> str:
        return _pinned_image(value) if value else value


class OperationsSettings(_Model):
    """``webstack:app.operations``: opt-in, audited operator access to the private data tier (no SSH, no port)."""

    enabled: bool = Field(
        default=False,
        description="Create the operations task (ECS Exec allowed on it alone) and the operator role that may start "
        "it and open a shell in it; sessions are logged to an encrypted log group. Off by default, prod included.",
    )
    trusted_principal_arns: list[str] = Field(
        default=[],
        description="IAM roles or users (ARNs, e.g. an IAM Identity Center permission set's role) that may assume the "
        "operator role. Required when enabled.",
    )
    image: str = Field(
        default="",
        description="Image of the operations task, pinned (it needs a shell and the database client). Empty: the "
        "bootstrap's client image.",
    )
    session_log_days: RetentionDays = Field(
        default=365, description="Days CloudWatch keeps the session logs (every command and its output)."
    )

    @field_validator("trusted_principal_arns")
    @classmethod
    def _principals(cls, value: list[str]) -> list[str]:
        for index, arn in enumerate(value):
            if not _ROLE_ARN_RE.fullmatch(arn):
                raise _problem(f"must be an IAM role or user ARN, got {_got(arn)}", f"[{index}]")
        _unique(value)
        return value

    @field_validator("image")
    @classmethod
    def _image(cls, value: str) -> str:
        return _pinned_image(value) if value else value


class AppSettings(_Model):
    """``webstack:app``: what an application brings besides its images: secrets it already has, persistent storage,
    its migration, its database roles, and operator access. Secret values go in ``webstack:appSecrets``."""

    frontend: AppServiceSettings = Field(default=AppServiceSettings(), description="The frontend's secrets and volume.")
    backend: AppServiceSettings = Field(default=AppServiceSettings(), description="The backend's secrets and volume.")
    migration: MigrationSettings = Field(
        default=MigrationSettings(), description="The one-off command run before each new backend version serves."
    )
    database_roles: DatabaseRolesSettings = Field(
        default=DatabaseRolesSettings(), description="The application, read-only and monitoring roles per shard."
    )
    operations: OperationsSettings = Field(
        default=OperationsSettings(), description="Opt-in, audited operator access to the data tier."
    )

    def service(self, name: str) -> AppServiceSettings:
        return self.frontend if name == "frontend" else self.backend


APP_SECRETS_KEY = "appSecrets"


def parse_app_secret_names(raw: Any) -> dict[str, tuple[str, ...]]:
    """The names in ``webstack:appSecrets`` per service, checked without ever echoing a value: ``{frontend: {NAME:
    value}, backend: {NAME: value}}``, every value text."""
    key = f"{PROJECT}:{APP_SECRETS_KEY}"
    if raw is None:
        return {}
    try:
        document = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise SettingsError(key, f"{key} must be an object of services (frontend, backend), each an object of names")
    names: dict[str, tuple[str, ...]] = {}
    for service, entries in document.items():
        if service not in APP_SERVICES:
            raise SettingsError(
                f"{key}.{service}", f"{key}.{service} is not a service{_suggest(service, APP_SERVICES)}"
            )
        if not isinstance(entries, dict):
            raise SettingsError(f"{key}.{service}", f"{key}.{service} must be an object of environment names")
        for name, value in entries.items():
            where = f"{key}.{service}.{name}"
            try:
                _app_env_name(name)
            except PydanticCustomError as error:
                raise SettingsError(where, f"{where} {error.context['message'] if error.context else error}") from None
            # `pulumi config set --path` stores true/false and integers as such (its documentation): they are text here.
            if isinstance(value, (dict, list)) or value is None or value == "":
                raise SettingsError(
                    where,
                    f"{where} must be text, set with `pulumi config set --secret --path '{where}' <value>` (the value "
                    "is not shown)",
                )
        names[service] = tuple(sorted(entries))
    return names


def _secret_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def load_app_secrets() -> dict[str, dict[str, pulumi.Output[str]]]:
    """The application's secret values per service, each a Pulumi secret (names as in ``webstack:appSecrets``)."""
    raw = runtime_config.get_config(f"{PROJECT}:{APP_SECRETS_KEY}")
    if raw is None:
        return {}
    parse_app_secret_names(raw)
    document = json.loads(raw) if isinstance(raw, str) else raw
    return {
        service: {name: pulumi.Output.secret(_secret_text(value)) for name, value in sorted(entries.items())}
        for service, entries in document.items()
    }


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
        "balancer and SSH. Keys: see the README's settings reference.",
    )
    web: WebSettings = Field(
        default=WebSettings(),
        description="The web tier: load balancer, TLS, WAF rate limits, and the frontend and backend services "
        "(an image or a build per service is required). Keys: see the README's settings reference.",
    )
    cdn: CdnSettings = Field(
        default=CdnSettings(),
        description="Cloudflare in front of the site. Keys: see the README's settings reference.",
    )
    database: DatabaseSettings = Field(
        default=DatabaseSettings(),
        description="The database: engine, version, size, replicas, shards, backups. Keys: see the README's "
        "settings reference.",
    )
    cache: CacheSettings = Field(
        default=CacheSettings(),
        description="The cache (Redis or Valkey). Keys: see the README's settings reference.",
    )
    storage: StorageSettings = Field(
        default=StorageSettings(),
        description="The documents bucket and the access-log archive. Keys: see the README's settings reference.",
    )
    backups: BackupSettings = Field(
        default=BackupSettings(),
        description="Backups and disaster recovery. Keys: see the README's settings reference.",
    )
    monitoring: MonitoringSettings = Field(
        default=MonitoringSettings(),
        description="Alarms, alert routing, dashboard, uptime check, Prometheus and Grafana. Keys: see the README's "
        "settings reference.",
    )
    docker: DockerSettings = Field(
        default=DockerSettings(),
        description="The docker platform: Docker host, published ports, certificate, backup schedule, pinned "
        "images. Keys: see the README's settings reference.",
    )

    app: AppSettings = Field(
        default=AppSettings(),
        description="What the application brings: secrets it already has, persistent volumes, its migration, its "
        "database roles, operator access. Secret values: webstack:appSecrets. Keys: see the README's settings "
        "reference and docs/moving-in.md.",
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


# -- the docker platform: settings it cannot honour ------------------------------------------------------------------
#: ``webstack:database`` keys only RDS carries out (field name -> why the docker platform cannot).
DOCKER_UNSUPPORTED_DATABASE_KEYS: dict[str, str] = {
    "instance_class": "servers are sized by components/docker/database.py",
    "replica_instance_class": "servers are sized by components/docker/database.py",
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


#: The configuration fields of Settings (everything except the context the loader fills in).
CONFIG_FIELDS = {name: info for name, info in Settings.model_fields.items() if not info.exclude}
_BY_ALIAS = {info.alias or name: name for name, info in CONFIG_FIELDS.items()}


@dataclass(frozen=True)
class StackSecrets:
    """Secret configuration, kept as Pulumi secrets: it never passes through validation as plaintext."""

    cloudflare_api_token: pulumi.Output[str] | None = None
    """``cloudflare:apiToken``; unset: the Cloudflare provider reads CLOUDFLARE_API_TOKEN from the environment."""
    alert_webhook_url: pulumi.Output[str] | None = None
    """``webstack:alertWebhookUrl``; unset: alerts go to email only."""
    app: Mapping[str, Mapping[str, pulumi.Output[str]]] = dataclass_field(default_factory=dict)
    """``webstack:appSecrets``: per service, environment name -> secret value."""


def load_secrets() -> StackSecrets:
    """The stack's secret configuration (validated as encrypted by load_settings)."""
    webhook = pulumi.Config(PROJECT).get_secret("alertWebhookUrl")
    return StackSecrets(
        cloudflare_api_token=pulumi.Config("cloudflare").get_secret("apiToken"),
        alert_webhook_url=None if webhook is None else webhook.apply(validate_webhook_url),
        app=load_app_secrets(),
    )


def validate_webhook_url(url: str) -> str:
    """Checked inside the secret, so that the URL itself never reaches an error message."""
    if not re.fullmatch(r"https://[A-Za-z0-9.-]+(:\d+)?(/\S*)?", url):
        raise SettingsError(
            f"{PROJECT}:alertWebhookUrl",
            f"{PROJECT}:alertWebhookUrl must be an https:// URL without credentials in it; the value set is not one",
        )
    return url


def load_settings() -> Settings:
    """Read and validate the current stack's configuration. Raises SettingsError with one message."""
    values: dict[str, Any] = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    secret_keys = {key for key in values if runtime_config.is_config_secret(key)}
    return parse_settings(values, secret_keys, project=pulumi.get_project(), stack=pulumi.get_stack())


def parse_settings(
    values: Mapping[str, Any], secret_keys: Collection[str], *, project: str = PROJECT, stack: str = "stack"
) -> Settings:
    """Validate configuration as the engine hands it to the program: a flat map of ``namespace:key`` to values
    (strings; objects and arrays as JSON text), plus the set of keys that are secret."""
    prefix = f"{project}:"
    _check_secrets(values, secret_keys, prefix)
    raw: dict[str, Any] = {}
    for key in sorted(values):
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if name in SECRET_SETTINGS:
            continue  # read as a secret by load_secrets, never as plaintext
        if name not in _BY_ALIAS:
            raise SettingsError(key, f"{key} is not a setting{_suggest(name, _BY_ALIAS)}")
        raw[name] = _decode(key, values[key], CONFIG_FIELDS[_BY_ALIAS[name]].annotation)
    region = values.get("aws:region")
    platform = raw.get("platform", "aws")
    if platform != "aws" and not region:
        region = "us-east-1"  # the docker platform makes no AWS call; the default only fills the settings' context
    if not isinstance(region, str) or not region:
        raise SettingsError("aws:region", "aws:region is required: set it with `pulumi config set aws:region <region>`")
    if not _REGION_RE.match(region):
        raise SettingsError("aws:region", f"aws:region must be an AWS region name like eu-west-1, got {_got(region)}")
    context: dict[str, Any] = {"project": project, "stack": stack, "region": region}
    context["appSecretNames"] = parse_app_secret_names(values.get(f"{prefix}{APP_SECRETS_KEY}"))
    try:
        # Keys as users write them (camelCase) only: a snake_case key is a typo, not an alternative spelling.
        return Settings.model_validate({**raw, **context}, by_alias=True, by_name=False)
    except ValidationError as error:
        raise _settings_error(error, prefix) from None


def _check_secrets(values: Mapping[str, Any], secret_keys: Collection[str], prefix: str) -> None:
    for key in sorted(values):
        holds_secret = key in PROVIDER_SECRET_KEYS or key in SECRET_SETTING_KEYS
        if holds_secret and key not in secret_keys and key == f"{prefix}{APP_SECRETS_KEY}":
            raise SettingsError(
                key,
                f"{key} holds secrets but is stored in plaintext: remove it from the stack file and set each value "
                f"with `pulumi config set --secret --path '{key}.<service>.<NAME>' <value>`",
            )
        if holds_secret and key not in secret_keys:
            raise SettingsError(
                key,
                f"{key} holds a secret but is stored in plaintext: remove it from the stack file and set it with "
                f"`pulumi config set --secret {key} <value>`",
            )
        if key.startswith(prefix) and key in secret_keys and not holds_secret:
            raise SettingsError(
                key,
                f"{key} must not hold a secret (it is used in plaintext), got an encrypted value: set it with "
                f"`pulumi config set {key} <value>` (without --secret)",
            )


def _decode(key: str, value: Any, annotation: Any) -> Any:
    """Config values reach the program as text; structured ones are JSON."""
    if not isinstance(value, str) or annotation is str or get_origin(annotation) is Literal:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # left as text: validation then reports the expected type and what was given


def _suggest(name: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    listed = ", ".join(sorted(known))
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"{hint} Expected one of: {listed}"


_TYPE_WORDS = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "float_type": "a number",
}


def _settings_error(error: ValidationError, prefix: str) -> SettingsError:
    """Turn pydantic's first error into the one message the user sees."""
    first = error.errors(include_url=False)[0]
    loc = list(first["loc"])
    kind, ctx, given = first["type"], first.get("ctx") or {}, first.get("input")
    if kind == "webstack" and ctx.get("field"):
        loc.append(ctx["field"])
    about_a_key = bool(loc) and loc[-1] == "[key]"  # a map's key, not its value, is wrong
    if about_a_key:
        loc = loc[:-2]
    key = _key(prefix, loc)
    if kind == "webstack":
        message = str(ctx["message"])
    elif kind == "extra_forbidden":
        siblings = _aliases_at(loc[:-1])
        message = f"{key} is not a setting{_suggest(str(loc[-1]), siblings)}"
        return SettingsError(key, message)
    elif kind == "missing":
        return SettingsError(key, f"{key} is required: set it with `pulumi config set {key} <value>`")
    elif kind == "literal_error":
        keys = "keys " if about_a_key else ""
        message = f"{keys}must be one of {ctx['expected'].replace(chr(39), '')}, got {_got(given)}"
    elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        low, high = _bounds(loc)
        message = f"must be between {low} and {high}, got {_got(given)}"
    elif kind in _TYPE_WORDS:
        message = f"must be {_TYPE_WORDS[kind]}, got {_got(given)}"
    else:  # pragma: no cover - every constraint above is mapped; keep pydantic's words for anything new
        message = f"is invalid: {first['msg']}, got {_got(given)}"
    return SettingsError(key, f"{key} {message}")


def _key(prefix: str, loc: list[Any]) -> str:
    text = prefix
    for index, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
        elif str(part).startswith("["):
            text += str(part)
        else:
            text += ("." if index else "") + str(part)
    return text


def _field_at(loc: list[Any]) -> tuple[type[BaseModel] | None, FieldInfo | None]:
    """Walk the Settings model along a location of aliases; return the model holding the last field and the field."""
    model: type[BaseModel] | None = Settings
    info: FieldInfo | None = None
    for part in loc:
        if model is None or isinstance(part, int):
            return None, None
        fields = {f.alias or n: f for n, f in model.model_fields.items()}
        info = fields.get(str(part))
        if info is None:
            return None, None
        nested = [a for a in (info.annotation, *get_args(info.annotation)) if isinstance(a, type)]
        model = next((a for a in nested if issubclass(a, BaseModel)), None)
    return model, info


def _aliases_at(loc: list[Any]) -> list[str]:
    model, _ = _field_at(loc) if loc else (Settings, None)
    if model is None:
        return []
    if model is Settings:
        return list(_BY_ALIAS)
    return [info.alias or name for name, info in model.model_fields.items()]


def _bounds(loc: list[Any]) -> tuple[Any, Any]:
    _, info = _field_at(loc)
    low = high = None
    for meta in _constraints(info):
        low = getattr(meta, "ge", None) if getattr(meta, "ge", None) is not None else low
        high = getattr(meta, "le", None) if getattr(meta, "le", None) is not None else high
    return low, high


def _constraints(info: FieldInfo | None) -> list[Any]:
    if info is None:
        return []
    found = list(info.metadata)
    for arg in get_args(info.annotation):
        for meta in getattr(arg, "__metadata__", ()):
            found.extend(getattr(meta, "metadata", [meta]))
    return found
