"""Typed, validated stack settings: the only package that reads Pulumi configuration.

Every setting lives under the project namespace (``webstack:*``): a few scalars (``platform``, ``environment``,
``domain``, ``drRegion``, ``tags``) and one structured object per area (``network``, ``web``, ``database``).
``load_settings()`` reads the stack's configuration, validates all of it before a single resource is registered and
returns a frozen :class:`Settings`. Bad input stops the program with exactly one :class:`SettingsError` whose message
names the key as the user writes it (``webstack:network.cidr``), what was expected and what was given.

Secure defaults live here; ``Pulumi.yaml`` declares the same keys, types, descriptions and defaults (a test keeps
the two identical), and stack files hold only what differs.

Secret-holding keys are top-level keys declared ``secret: true`` and must be stored encrypted
(``pulumi config set --secret``); the area objects never hold secrets, so they stay plain and validatable.

One module per area. The imports run one way, so there is no cycle (a test checks it from the source): ``base``
imports no other module of the package; each area imports ``base`` (``app`` also ``web``, whose rules for
environment names it shares; ``stack_secrets`` also ``app``); ``stack`` imports the areas; ``errors`` and ``loader``
import ``stack``; only this ``__init__`` imports them all, and no module of the package imports it:

- ``base``: the namespace, :class:`SettingsError`, the model base and the validators several areas share;
- ``network``, ``web``, ``cdn``, ``database``, ``cache``, ``storage`` (storage and backups), ``monitoring``,
  ``docker`` (the docker platform), ``app`` (an application moving in): one area each;
- ``stack_secrets``: the keys that hold secrets and how their values are read, as Pulumi secrets only;
- ``stack``: :class:`Settings`, the checks that span areas, and :data:`CONFIG_FIELDS`;
- ``errors``: pydantic's first error as the one message the user sees;
- ``loader``: :func:`load_settings` and :func:`parse_settings`.

Every public name is re-exported here: import from ``components.settings``, not from its modules.
"""

from __future__ import annotations

from .app import (
    APP_SERVICES,
    PROGRAM_ENVIRONMENT_PREFIXES,
    RESERVED_MOUNT_PATHS,
    SECRET_ARN_RE,
    AppServiceSettings,
    AppSettings,
    AppVolumeSettings,
    DatabaseRolesSettings,
    MigrationSettings,
    OperationsSettings,
)
from .base import (
    LOG_RETENTION_DAYS,
    PROJECT,
    DailyWindow,
    RetentionDays,
    SettingsError,
    UrlPath,
    WeeklyWindow,
    windows_overlap,
)
from .cache import CACHE_VERSIONS, MAXMEMORY_POLICIES, CacheSettings
from .cdn import (
    CLOUDFLARE_PERIODS,
    CLOUDFLARE_PLANS,
    DEFAULT_CSP,
    DEFAULT_PERMISSIONS_POLICY,
    ENTRY_POINT_PHASES,
    ONE_YEAR,
    PLAN_LIMITS,
    RATE_LIMIT_NAMES,
    CdnSettings,
    CloudflarePlan,
)
from .database import DEFAULT_USERNAMES, ENGINE_VERSIONS, DatabaseSettings
from .docker import (
    DOCKER_UNSUPPORTED_CACHE_KEYS,
    DOCKER_UNSUPPORTED_DATABASE_KEYS,
    DockerSettings,
    DockerTlsSettings,
)
from .loader import load_settings, parse_settings
from .monitoring import CANARY_RUNTIME, DEPRECATED_CANARY_RUNTIMES, MonitoringSettings
from .network import PRIVATE_RANGES, SUBNET_TIERS, NetworkSettings, plan_subnets
from .stack import CONFIG_FIELDS, DR_REGION_PAIRS, RESERVED_TAG_KEYS, Settings
from .stack_secrets import (
    APP_SECRETS_KEY,
    PROVIDER_SECRET_KEYS,
    SECRET_SETTING_KEYS,
    SECRET_SETTING_TYPES,
    SECRET_SETTINGS,
    StackSecrets,
    load_app_secrets,
    load_secrets,
    parse_app_secret_names,
    validate_webhook_url,
)
from .storage import (
    BACKED_UP_RESOURCE_TYPES,
    BackupSettings,
    ObjectLockSettings,
    StorageSettings,
    VaultLockSettings,
)
from .web import (
    ENV_NAME_RE,
    FARGATE_SIZES,
    RUNTIME_ENVIRONMENT,
    SECRET_NAME_RE,
    TLS_POLICIES,
    AutoscalingSettings,
    BackendSettings,
    BuildSettings,
    FrontendSettings,
    HealthCheckSettings,
    RateLimit,
    RateLimits,
    ServiceSettings,
    SmokeTestSettings,
    TlsPolicy,
    WebSettings,
)

__all__ = [
    "APP_SECRETS_KEY",
    "APP_SERVICES",
    "BACKED_UP_RESOURCE_TYPES",
    "CACHE_VERSIONS",
    "CANARY_RUNTIME",
    "CLOUDFLARE_PERIODS",
    "CLOUDFLARE_PLANS",
    "CONFIG_FIELDS",
    "DEFAULT_CSP",
    "DEFAULT_PERMISSIONS_POLICY",
    "DEFAULT_USERNAMES",
    "DEPRECATED_CANARY_RUNTIMES",
    "DOCKER_UNSUPPORTED_CACHE_KEYS",
    "DOCKER_UNSUPPORTED_DATABASE_KEYS",
    "DR_REGION_PAIRS",
    "ENGINE_VERSIONS",
    "ENTRY_POINT_PHASES",
    "ENV_NAME_RE",
    "FARGATE_SIZES",
    "LOG_RETENTION_DAYS",
    "MAXMEMORY_POLICIES",
    "ONE_YEAR",
    "PLAN_LIMITS",
    "PRIVATE_RANGES",
    "PROGRAM_ENVIRONMENT_PREFIXES",
    "PROJECT",
    "PROVIDER_SECRET_KEYS",
    "RATE_LIMIT_NAMES",
    "RESERVED_MOUNT_PATHS",
    "RESERVED_TAG_KEYS",
    "RUNTIME_ENVIRONMENT",
    "SECRET_ARN_RE",
    "SECRET_NAME_RE",
    "SECRET_SETTINGS",
    "SECRET_SETTING_KEYS",
    "SECRET_SETTING_TYPES",
    "SUBNET_TIERS",
    "TLS_POLICIES",
    "AppServiceSettings",
    "AppSettings",
    "AppVolumeSettings",
    "AutoscalingSettings",
    "BackendSettings",
    "BackupSettings",
    "BuildSettings",
    "CacheSettings",
    "CdnSettings",
    "CloudflarePlan",
    "DailyWindow",
    "DatabaseRolesSettings",
    "DatabaseSettings",
    "DockerSettings",
    "DockerTlsSettings",
    "FrontendSettings",
    "HealthCheckSettings",
    "MigrationSettings",
    "MonitoringSettings",
    "NetworkSettings",
    "ObjectLockSettings",
    "OperationsSettings",
    "RateLimit",
    "RateLimits",
    "RetentionDays",
    "ServiceSettings",
    "Settings",
    "SettingsError",
    "SmokeTestSettings",
    "StackSecrets",
    "StorageSettings",
    "TlsPolicy",
    "UrlPath",
    "VaultLockSettings",
    "WebSettings",
    "WeeklyWindow",
    "load_app_secrets",
    "load_secrets",
    "load_settings",
    "parse_app_secret_names",
    "parse_settings",
    "plan_subnets",
    "validate_webhook_url",
    "windows_overlap",
]
