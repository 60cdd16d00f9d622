"""The deployment guides' pre-deployment checklist, item by item, as the policy pack covers it.

Every rule names the items it enforces with ``checklist:<id>`` tags, and the public rule it matches, where one
exists, with ``fsbp:<control>`` (AWS Foundational Security Best Practices), ``awsguard:<name>`` (Pulumi AWSGuard),
``prowler:<check>`` (Prowler's Cloudflare checks), ``config:<rule>`` (an AWS Config managed rule) or
``cis-docker:<item>`` (the CIS Docker Benchmark v1.6.0, for the docker platform's rules) tags.
Whatever part of an item infrastructure cannot express is stated in ``outside`` with the reason and where it is
handled instead; the compliance report (``python -m stackcheck STACK --report FILE``) prints both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

Policy = ResourceValidationPolicy | StackValidationPolicy

#: Tag prefixes that name a public rule a policy matches.
ANCHOR_PREFIXES = ("fsbp:", "awsguard:", "prowler:", "config:", "cis-docker:")


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    """The item as the guides' checklist words it."""
    covers: str
    """What the rules check, in one sentence."""
    outside: str = ""
    """What of the item the rules cannot check, why, and where it is handled; empty when nothing is left out."""
    guide: bool = True
    """False for an item webstack adds to the guides' list."""


CHECKLIST: tuple[Item, ...] = (
    Item(
        "tls",
        "TLS / certificate",
        "HTTPS listeners use a TLS 1.2+ policy and an ACM certificate validated over DNS with a strong key; "
        "Cloudflare zones use strict TLS 1.2+ with automatic SSL/TLS mode off and write no retired setting; a Docker "
        "host served through Cloudflare requires its origin-pull certificate when Cloudflare connects directly; "
        "buckets refuse plain HTTP.",
        "Certificate expiry is a runtime fact: ACM renews DNS-validated certificates itself, and the uptime check "
        "alerts when the site stops answering over HTTPS.",
    ),
    Item(
        "http-to-https",
        "HTTP to HTTPS",
        "Port 80 only answers with a permanent redirect to HTTPS, at the load balancer and at Cloudflare.",
    ),
    Item(
        "security-headers",
        "HSTS / security headers",
        "HSTS, X-Frame-Options, X-Content-Type-Options and a Content-Security-Policy are set on every response, "
        "at Cloudflare when the site is behind it and at the load balancer otherwise.",
        "Whether the application's own pages work under the configured Content-Security-Policy is an application "
        "test, not an infrastructure fact.",
    ),
    Item(
        "firewall-only-80-443",
        "Firewall: only 80/443 public",
        "Only the load balancer's security group takes internet traffic, on 80 and 443 only (from Cloudflare's "
        "ranges when the CDN is on); default security groups allow nothing; no group mixes inline and separate "
        "rules; on a Docker host only the load balancer's container publishes ports off the loopback, and only its "
        "HTTP and HTTPS ports; served through Cloudflare, nothing behind a tunnel and only HTTPS from Cloudflare's "
        "ranges otherwise.",
    ),
    Item(
        "ssh-restricted",
        "SSH (22) restricted",
        "Port 22 is never open to the internet, and only to the management CIDRs when any are configured.",
        "webstack runs no SSH servers (Fargate has none; ECS Exec is disabled), so there is normally no port 22 "
        "rule at all.",
    ),
    Item(
        "block-app-ports",
        "Block the app ports (3000/8000/8080) from the outside",
        "App, database and cache ports are reachable only from security groups; services get no public IP and "
        "their subnets map none; on a Docker host other containers publish on the loopback only, and the app and "
        "data networks are internal.",
    ),
    Item(
        "no-default-passwords",
        "No default passwords",
        "No password, token or secret value from the deny-list (admin, admin123, password, changeme, ...); no "
        "default master user name; Redis requires an AUTH token; Grafana signs in through SSO only; Docker "
        "containers use no default admin user (Grafana admin, MinIO minioadmin) and no passwordless setting.",
        "Passwords an operator sets by hand inside an application after deployment are not visible to infrastructure.",
    ),
    Item(
        "secrets",
        "Secrets stored securely, never in plaintext",
        "Database passwords are managed by RDS in Secrets Manager; tasks take secrets from Secrets Manager, never "
        "from environment variables; secrets use a customer key and rotate; IAM authentication is on; Docker "
        "containers take credentials as uploaded files (*_FILE) that other users cannot read, never from "
        "environment values or command lines.",
        "A plaintext secret in a stack file is refused by webstack's settings loader before any resource exists "
        "(secret settings must be set with `pulumi config set --secret`); CrossGuard only sees resources.",
    ),
    Item(
        "debug-off",
        "Debug off in production",
        "No DEBUG/APP_DEBUG/FLASK_DEBUG/DJANGO_DEBUG in task environments, NODE_ENV/APP_ENV production, no "
        "general query log on the database, Cloudflare development mode off.",
    ),
    Item(
        "least-privilege",
        "Least privilege / non-root",
        "Containers run as a non-root user on a read-only root filesystem, unprivileged, without host namespaces "
        "(on Docker also: every capability dropped, no-new-privileges, no Docker socket or writable host path, "
        "memory and CPU limits); task and execution roles are separate; IAM policies grant no wildcard actions and "
        "no admin policy; no ECS Exec.",
    ),
    Item(
        "backups",
        "Backups: daily, 30-day retention",
        "RDS keeps 30 days of automated backups in a window; AWS Backup runs daily (30 days) and weekly (longer) "
        "rules over every database and bucket that holds data, continuous backups within AWS's 35 days; Redis keeps "
        "snapshots; snapshots get tags.",
    ),
    Item(
        "encrypted-backups",
        "Encrypted backups",
        "Backup vaults and cross-region automated-backup replicas use customer keys; buckets use SSE-KMS.",
    ),
    Item(
        "remote-copies",
        "Remote / geo-distributed copies",
        "Backup plans copy to a vault in another region; exports replicate to a versioned bucket in another "
        "region; every primary's automated backups are replicated to another region.",
    ),
    Item(
        "restore-tests",
        "Verification: a monthly restore test",
        "An AWS Backup restore testing plan restores the databases on a monthly (or more frequent) schedule.",
        "Whether the restored data is what the application expects needs the application's own checks; the "
        "restore test proves the recovery points restore.",
    ),
    Item(
        "rto-rpo",
        "RTO 4 h / RPO 1 h",
        "Point-in-time recovery (backup retention), Multi-AZ primaries, read replicas, cross-region copies and "
        "deletion protection (protected volumes on Docker), which together bound both objectives.",
        "The objectives themselves are measured by running the documented restore, not by a property of any resource.",
    ),
    Item(
        "logging",
        "Logging: access, audit, retention",
        "ALB access logs, WAF logs, VPC flow logs, RDS log exports, Redis slow log, S3 access logs, container "
        "logs, Container Insights and Prometheus workspace logs, in log groups with retention and a customer key.",
    ),
    Item(
        "replication-health-checks",
        "Replication / load balancing / health checks",
        "Multi-AZ primaries with read replicas, Redis failover across zones, target-group health checks, "
        "deployment circuit breakers, load balancers that drop invalid headers and resist desync, NAT per zone; "
        "Docker containers have health checks and restart policies and run pinned images.",
    ),
    Item(
        "alerts",
        "Alerts",
        "Every alarm notifies and says what it means; alert topics reach someone and are encrypted; every "
        "database, load balancer, service and cache has the catalog's alarms; WAF rules publish metrics; Performance "
        "Insights is on.",
    ),
    Item(
        "db-tls",
        "Database and Redis TLS",
        "Parameter groups force TLS on every instance (require_secure_transport / rds.force_ssl); Redis requires "
        "TLS in transit.",
    ),
    Item(
        "encryption-at-rest",
        "Encryption at rest",
        "RDS, Redis, S3, SNS, logs, secrets and Prometheus use customer keys; buckets block public access, enforce "
        "bucket ownership and refuse plain HTTP.",
    ),
    Item(
        "rate-limiting",
        "Rate limiting",
        "WAF on the load balancer with the guides' rate limits (API 10 r/s, login 5 r/min, general 30 r/s), none "
        "looser or missing, and the managed rule sets; the same limits and the managed rules at Cloudflare, which "
        "every web record goes through (proxied); behind Cloudflare every limit counts the client's address (the "
        "WAF's forwarded address, nginx's real_ip), never Cloudflare's.",
    ),
    Item(
        "db-not-public",
        "Database not public",
        "Databases and caches are not publicly accessible and sit in private subnet groups; DNS records never point "
        "at them or at private addresses; on a Docker host they sit on internal networks only.",
    ),
    Item(
        "monitoring-user",
        "Read-only monitoring user; REVOKE on PUBLIC",
        "",
        "SQL-level grants live inside the database engine, not in any AWS resource, and webstack does not manage "
        "database roles with a SQL provider (that would need network access to the database from the deployer). "
        "docs/operations.md, section 'Database roles', gives the statements to run once per "
        "primary (a monitoring role signing in through IAM, pg_monitor or PROCESS/REPLICATION CLIENT, REVOKE on "
        "PUBLIC).",
    ),
    Item(
        "key-rotation",
        "Key rotation",
        "Customer keys rotate yearly, have key policies without a wildcard principal and stay recoverable 30 days "
        "after a deletion is scheduled; secrets rotate within 90 days; no IAM user access keys exist.",
    ),
    Item(
        "tagging",
        "Ownership tags",
        "Every taggable AWS resource carries the Project, Stack, Environment and ManagedBy tags.",
        guide=False,
    ),
)

BY_ID = {item.id: item for item in CHECKLIST}


def items_of(tags: Iterable[str] | None) -> list[str]:
    """The checklist item ids a policy's tags name."""
    return [tag.removeprefix("checklist:") for tag in tags or () if tag.startswith("checklist:")]


def anchors_of(tags: Iterable[str] | None) -> list[str]:
    """The public rules a policy's tags say it matches."""
    return [tag for tag in tags or () if tag.startswith(ANCHOR_PREFIXES)]


def rules_for(item_id: str, policies: Sequence[Policy]) -> list[str]:
    """The names of the policies that enforce an item."""
    return [p.name for p in policies if item_id in items_of(p.tags)]
