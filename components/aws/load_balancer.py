"""The edge on aws: an internet-facing Application Load Balancer behind a WAF, serving HTTPS only.

Creates:

- the ALB in the public subnets with the given security group: invalid headers dropped, desync mitigation
  ``defensive`` or ``strictest``, deletion protection, HTTP/2, and access and connection logs to a dedicated log bucket
  (SSE-S3, since ALB delivers logs to nothing else; all public access blocked; TLS-only policy that also lets ELB log
  delivery write; expiry after ``access_log_days``);
- a listener on :80 that only answers ``301`` to HTTPS, and one on :443 with a TLS 1.2+ policy and the certificate,
  which adds the security headers to every response (the HSTS Cloudflare sends: a year, subdomains and preload only
  as the caller opts in; ``nosniff``; ``SAMEORIGIN``; the given Content-Security-Policy) and drops the Server header,
  so that a site without a CDN has them too, and forwards each route's paths to its service (a listener rule) and
  everything else to the default service;
- a target group (ip targets) per service, health-checked as the guides do by default (/health every 30 s, 10 s
  timeout, healthy after 2, unhealthy after 3), with a short deregistration delay and optional cookie stickiness;
- with ``certificate_validation_fqdns``, the wait for the certificate's DNS validation (``acm.CertificateValidation``),
  so that :443 only ever serves an issued certificate;
- optionally mutual TLS on :443: a trust store of the given CAs (the CDN's origin-pull CA), so that only the CDN can
  connect (Cloudflare's authenticated origin pulls);
- a regional WAF web ACL on the ALB: rate limits per client IP (by default the guides': login, API, general), then the
  AWS managed rule groups (IP reputation, common, known bad inputs, SQL injection), the common group's 8 KB body limit
  lifted under ``upload_paths`` only; CloudWatch metrics on every rule; logs to a KMS-encrypted log group whose name
  starts with ``aws-waf-logs-``, as WAF requires.

The certificate comes in as an ARN. A DNS-validated certificate is created beside the load balancer
(:func:`~.certificate.site_certificate`): its validation records go wherever the domain's DNS is (the CDN's zone, a
Route 53 zone), and the records' names come back in as ``certificate_validation_fqdns``; the load balancer then
creates the ``CertificateValidation`` (the name and parent it always had) on them, so the engine creates the records,
then waits for ACM to issue, then creates :443. The certificate cannot be this component's child: its records are
written outside the component, from the certificate, and must exist before the component's listener does; a child
would need a callback into the DNS or a validation that does not wait for the records. It was this component's child
before: it keeps its identity through an alias (``tests/components/test_load_balancer_identity.py``).

Behind a CDN (``forwarded_ip_header``), every connection comes from the CDN's edge: the rate rules then count the
client address the CDN forwards (``FORWARDED_IP``; a request whose header holds no valid address counts as over the
limit), and the IP reputation group, which can only judge the connection's address (AWS WAF developer guide, "IP
reputation rule groups": it uses the web request origin), is left out: it would judge Cloudflare's edge servers and
could block every visitor behind one. Cloudflare's own WAF judges client reputation at the edge.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..edge_common import HSTS as CDN_HSTS
from ..edge_common import X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS, hsts_header
from ..settings import DEFAULT_CSP, TLS_POLICIES
from .account import Account
from .args_errors import invalid
from .buckets import BucketArgs, hardened_bucket
from .waf_rules import (
    IP_REPUTATION_GROUP,
    MANAGED_RULE_GROUPS,
    MIN_RATE_LIMIT,
    RATE_WINDOWS,
    managed_rules,
    rate_rule,
    visibility,
)

LOAD_BALANCER_TYPE = "webstack:aws:LoadBalancer"


#: The HSTS header Cloudflare sends by default (``components.edge_common.HSTS``): ``max-age=31536000``.
HSTS = hsts_header(CDN_HSTS)


@dataclass(frozen=True)
class LoadBalancerTargetArgs:
    """One service behind the load balancer: its target group (HTTP to ip targets) and its health check."""

    port: int
    """Port the service's tasks listen on."""
    health_check_path: str = "/health"
    """Path the health check requests. Default: ``/health``."""
    health_check_interval_seconds: int = 30
    """Seconds between health checks (5-300). Default: 30."""
    health_check_timeout_seconds: int = 10
    """Seconds before a check counts as failed; less than the interval. Default: 10."""
    healthy_threshold: int = 2
    """Consecutive successes before a task receives traffic (2-10). Default: 2."""
    unhealthy_threshold: int = 3
    """Consecutive failures before a task is taken out (2-10). Default: 3."""
    health_check_matcher: str = "200-399"
    """HTTP codes that count as healthy, e.g. ``200`` or ``200-399``. Default: ``200-399``."""
    deregistration_delay_seconds: int = 30
    """Seconds a task being replaced keeps finishing its requests (0-3600). Default: 30."""
    stickiness: bool = False
    """Keep a client on one task with a load-balancer cookie. Default: off."""
    stickiness_seconds: int = 86400
    """How long the stickiness cookie lasts (1-604800). Default: a day."""


@dataclass(frozen=True)
class LoadBalancerRouteArgs:
    """Requests that :443 forwards by path to a service other than the default one: a listener rule."""

    service: str
    """The service the requests go to: a key of ``services``."""
    paths: Sequence[str]
    """The path patterns, e.g. ``/api`` and ``/api/*``."""
    priority: int
    """The rule's priority (1-50000, evaluated lowest first); one per route."""


@dataclass(frozen=True)
class LoadBalancerRateLimitArgs:
    """A WAF rate limit: requests one client may make in a window, over every path or those matching ``path``."""

    name: str
    """Names the rule (``rate-limit-<name>``) and its metric."""
    limit: int
    """Requests one client may make in a window (at least 10, the WAF's minimum)."""
    window_seconds: int = 60
    """The window: 60, 120, 300 or 600 seconds. Default: 60."""
    path: str = ""
    """Which requests count: empty for all of them, else a text of the request path (compared lowercased). Default:
    all requests."""
    match: str = "prefix"
    """How ``path`` matches the request path: ``prefix`` or ``contains``. Default: ``prefix``."""


def _guides_rate_limits() -> list[LoadBalancerRateLimitArgs]:
    """The guides' limits: login 5 r/min (as 10 per 120 s, the WAF's least limit), API 10 r/s, everything 30 r/s."""
    return [
        LoadBalancerRateLimitArgs("login", 10, 120, "login", "contains"),
        LoadBalancerRateLimitArgs("api", 600, 60, "/api/"),
        LoadBalancerRateLimitArgs("general", 1800, 60),
    ]


@dataclass(frozen=True)
class ClientCertificateArgs:
    """Mutual TLS on :443: only clients with a certificate from ``ca_bundle_pem``'s CAs connect."""

    ca_bundle_pem: pulumi.Input[str]
    """The trusted CA certificates, PEM (Cloudflare's origin-pull CA)."""
    kms_key_arn: pulumi.Input[str]
    """Customer KMS key of the bucket that holds the bundle for the trust store."""
    access_log_bucket: pulumi.Input[str]
    """The region's log archive (the bundle bucket's server access logs)."""


@dataclass(frozen=True)
class LoadBalancerArgs:
    """Inputs of :class:`LoadBalancer`. Every default is the secure (and the guides') choice; the network, the
    certificate, the services and the logs key have none."""

    account: Account
    """The account and region (log delivery grants, ARNs)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    vpc_id: pulumi.Input[str]
    """The VPC of the target groups."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Public subnets, at least two zones."""
    security_group_id: pulumi.Input[str]
    """The load balancer's security group."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the WAF log group."""
    certificate_arn: pulumi.Input[str]
    """ARN of the ACM certificate :443 serves, in the load balancer's region."""
    services: Mapping[str, LoadBalancerTargetArgs]
    """The services behind the load balancer, by name: a target group each (``target_groups``)."""
    default_service: str
    """The service (a key of ``services``) that gets every request no route takes."""
    routes: Mapping[str, LoadBalancerRouteArgs] = field(default_factory=dict)
    """Paths forwarded to other services, by name (a listener rule ``<name>-<route>`` each). Default: none."""
    certificate_validation_fqdns: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    """The names of the DNS records that validate ``certificate_arn`` (ACM's DNS validation): :443 waits until ACM
    has issued the certificate. Default: none (an issued certificate)."""
    client_certificates: ClientCertificateArgs | None = None
    """Mutual TLS on :443. Default: none (any client may connect)."""
    ssl_policy: str = "ELBSecurityPolicy-TLS13-1-2-2021-06"
    """TLS policy of :443, a TLS 1.2+ one. Default: ``ELBSecurityPolicy-TLS13-1-2-2021-06`` (TLS 1.3 and 1.2)."""
    desync_mitigation: str = "defensive"
    """How the ALB treats ambiguous (request-smuggling) requests: ``defensive`` or ``strictest``. Default:
    ``defensive``."""
    deletion_protection: bool = True
    """The ALB refuses deletion. Default: on."""
    access_log_days: int = 365
    """Days the access and connection logs are kept in S3. Default: a year."""
    waf_log_retention_days: int = 365
    """Days CloudWatch keeps the WAF logs, a security log. Default: a year."""
    rate_limits: Sequence[LoadBalancerRateLimitArgs] = field(default_factory=_guides_rate_limits)
    """The WAF's rate limits per client, in order (priority 1, 2, ...). Default: the guides' (login 10 per 120 s on
    paths containing ``login``, API 600 per 60 s under ``/api/``, every request 1800 per 60 s)."""
    upload_paths: Sequence[str] = ()
    """Path prefixes that take request bodies over 8 KB (the Common Rule Set's limit only counts there). Default: none
    (every path keeps the limit)."""
    content_security_policy: str = DEFAULT_CSP
    """The Content-Security-Policy header :443 adds to every response (the one the CDN adds too). Default: webstack's
    ``default-src 'self'`` policy."""
    strict_transport_security: str = HSTS
    """The Strict-Transport-Security header :443 adds (the one the CDN sends). Default: ``max-age=31536000`` (a year;
    includeSubDomains and preload bind every host of the zone, so they are opt-in)."""
    forwarded_ip_header: str | None = None
    """The header a CDN in front puts the client's address in (``CF-Connecting-IP``). Default: none (clients connect
    directly, and the WAF counts the connection's address)."""
    protect: bool = False
    """Protect the log bucket (the access-log trail) from deletion by Pulumi. Default: off (on in production)."""


def validate_load_balancer_args(args: LoadBalancerArgs) -> None:
    """What the ALB or the WAF would refuse at deploy time, or that would weaken the edge; errors name the Args field.
    (A stack's settings are validated, naming their keys, in ``components/settings/web.py``.)"""
    if isinstance(args.certificate_arn, str) and not args.certificate_arn:
        raise invalid(args, "certificate_arn", "name an ACM certificate", args.certificate_arn)
    if args.ssl_policy not in TLS_POLICIES:
        raise invalid(args, "ssl_policy", f"be a TLS 1.2+ policy ({', '.join(TLS_POLICIES)})", args.ssl_policy)
    if args.desync_mitigation not in ("defensive", "strictest"):
        raise invalid(args, "desync_mitigation", "be defensive or strictest", args.desync_mitigation)
    if args.default_service not in args.services:
        raise invalid(args, "default_service", "be a key of services", args.default_service)
    for name, route in args.routes.items():
        if route.service not in args.services:
            raise invalid(args, f"routes[{name!r}].service", "be a key of services", route.service)
    if len({route.priority for route in args.routes.values()}) < len(args.routes):
        raise invalid(args, "routes", "have one priority each", sorted(r.priority for r in args.routes.values()))
    for name, target in args.services.items():
        if target.health_check_timeout_seconds >= target.health_check_interval_seconds:
            raise invalid(
                args,
                f"services[{name!r}].health_check_timeout_seconds",
                f"be less than health_check_interval_seconds ({target.health_check_interval_seconds})",
                target.health_check_timeout_seconds,
            )
    for index, limit in enumerate(args.rate_limits):
        if limit.limit < MIN_RATE_LIMIT:
            raise invalid(args, f"rate_limits[{index}].limit", f"be at least {MIN_RATE_LIMIT}", limit.limit)
        if limit.window_seconds not in RATE_WINDOWS:
            raise invalid(args, f"rate_limits[{index}].window_seconds", "be 60, 120, 300 or 600", limit.window_seconds)
        if limit.match not in ("prefix", "contains"):
            raise invalid(args, f"rate_limits[{index}].match", "be prefix or contains", limit.match)
    for index, path in enumerate(args.upload_paths):
        if path.strip("/") == "":
            raise invalid(args, f"upload_paths[{index}]", "be a path below /, like /api/uploads", path)


class LoadBalancer(pulumi.ComponentResource):
    """ALB, listeners, target groups, the certificate's validation, WAF and their logs."""

    alb: aws.lb.LoadBalancer
    """The Application Load Balancer."""
    http_listener: aws.lb.Listener
    """:80, which only redirects to HTTPS."""
    https_listener: aws.lb.Listener
    """:443, which serves the certificate and forwards to the services."""
    target_groups: dict[str, aws.lb.TargetGroup]
    """Each service's target group, by service: where its tasks register."""
    certificate_arn: pulumi.Output[str]
    """The certificate :443 serves (once validated, when validation records were given)."""
    web_acl: aws.wafv2.WebAcl
    """The WAF web ACL on the ALB."""
    log_bucket: aws.s3.Bucket
    """The bucket of the access and connection logs."""

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        validate_load_balancer_args(args)
        super().__init__(LOAD_BALANCER_TYPE, name, None, opts)
        self._name, self._args = name, args

        elb_account = aws.elb.get_service_account(opts=pulumi.InvokeOptions(parent=self))
        logs = hardened_bucket(
            f"{name}-logs",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="lb-logs",
                log_sink=True,
                expire_days=args.access_log_days,
                statements=lambda arn: _log_delivery_statements(arn, args.account, elb_account.arn),
                protect=args.protect,
            ),
            parent=self,
        )
        self.log_bucket = logs.bucket
        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            security_groups=[args.security_group_id],
            subnets=args.subnet_ids,
            drop_invalid_header_fields=True,
            desync_mitigation_mode=args.desync_mitigation,
            enable_deletion_protection=args.deletion_protection,
            enable_http2=True,
            enable_waf_fail_open=False,
            xff_header_processing_mode="append",
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.bucket.id, enabled=True, prefix="alb"),
            connection_logs=aws.lb.LoadBalancerConnectionLogsArgs(
                bucket=logs.bucket.id, enabled=True, prefix="alb-connections"
            ),
            # The ALB checks at creation that it may write its logs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[logs.policy]),
        )
        self.target_groups = {service: self._target_group(service, target) for service, target in args.services.items()}
        self.certificate_arn = self._certificate()
        self.trust_store = self._trust_store()
        self.http_listener = aws.lb.Listener(
            f"{name}-http",
            load_balancer_arn=self.alb.arn,
            port=80,
            protocol="HTTP",
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="redirect",
                    redirect=aws.lb.ListenerDefaultActionRedirectArgs(
                        protocol="HTTPS", port="443", status_code="HTTP_301"
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.https_listener = aws.lb.Listener(
            f"{name}-https",
            load_balancer_arn=self.alb.arn,
            port=443,
            protocol="HTTPS",
            ssl_policy=args.ssl_policy,
            certificate_arn=self.certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(
                    type="forward", target_group_arn=self.target_groups[args.default_service].arn
                )
            ],
            routing_http_response_strict_transport_security_header_value=args.strict_transport_security,
            routing_http_response_x_content_type_options_header_value=X_CONTENT_TYPE_OPTIONS,
            routing_http_response_x_frame_options_header_value=X_FRAME_OPTIONS,
            routing_http_response_content_security_policy_header_value=args.content_security_policy,
            routing_http_response_server_enabled=False,
            mutual_authentication=None
            if self.trust_store is None
            else aws.lb.ListenerMutualAuthenticationArgs(mode="verify", trust_store_arn=self.trust_store.arn),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.rules = {
            route: aws.lb.ListenerRule(
                f"{name}-{route}",
                listener_arn=self.https_listener.arn,
                priority=spec.priority,
                actions=[
                    aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=self.target_groups[spec.service].arn)
                ],
                conditions=[
                    aws.lb.ListenerRuleConditionArgs(
                        path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=list(spec.paths))
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )
            for route, spec in args.routes.items()
        }
        self.web_acl = self._firewall()

        self.register_outputs(
            {
                "dnsName": self.alb.dns_name,
                "targetGroupArns": {service: tg.arn for service, tg in self.target_groups.items()},
                "certificateArn": self.certificate_arn,
                "webAclArn": self.web_acl.arn,
                "logBucket": self.log_bucket.id,
            }
        )

    @property
    def listeners(self) -> list[pulumi.Resource]:
        """What must exist before a service can register targets."""
        return [self.http_listener, self.https_listener, *self.rules.values()]

    def _target_group(self, service: str, target: LoadBalancerTargetArgs) -> aws.lb.TargetGroup:
        return aws.lb.TargetGroup(
            f"{self._name}-{service}",
            port=target.port,
            protocol="HTTP",
            protocol_version="HTTP1",
            target_type="ip",
            vpc_id=self._args.vpc_id,
            deregistration_delay=target.deregistration_delay_seconds,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                path=target.health_check_path,
                matcher=target.health_check_matcher,
                interval=target.health_check_interval_seconds,
                timeout=target.health_check_timeout_seconds,
                healthy_threshold=target.healthy_threshold,
                unhealthy_threshold=target.unhealthy_threshold,
            ),
            stickiness=aws.lb.TargetGroupStickinessArgs(
                type="lb_cookie", enabled=target.stickiness, cookie_duration=target.stickiness_seconds
            ),
            tags={"webstack:service": service},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _certificate(self) -> pulumi.Output[str]:
        """The certificate's ARN; with validation records, once ACM has issued it (what :443 must wait for)."""
        args = self._args
        if args.certificate_validation_fqdns is None:
            return pulumi.Output.from_input(args.certificate_arn)
        validation = aws.acm.CertificateValidation(
            f"{self._name}-certificate-validation",
            certificate_arn=args.certificate_arn,
            validation_record_fqdns=args.certificate_validation_fqdns,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return validation.certificate_arn

    def _trust_store(self) -> aws.lb.TrustStore | None:
        """The CAs whose client certificates :443 accepts, from a hardened bucket (ELB reads them from S3)."""
        args, name = self._args, self._name
        clients = args.client_certificates
        if clients is None:
            return None
        bundle = hardened_bucket(
            f"{name}-client-cas",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="trust-store",
                kms_key_arn=clients.kms_key_arn,
                access_log_bucket=clients.access_log_bucket,
                protect=args.protect,
            ),
            parent=self,
        )
        key = "origin-pull-ca.pem"
        bundle_object = aws.s3.BucketObjectv2(
            f"{name}-client-cas-bundle",
            bucket=bundle.bucket.id,
            key=key,
            content=clients.ca_bundle_pem,
            content_type="application/x-pem-file",
            server_side_encryption="aws:kms",
            kms_key_id=clients.kms_key_arn,
            bucket_key_enabled=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[bundle.policy]),
        )
        return aws.lb.TrustStore(
            f"{name}-trust-store",
            ca_certificates_bundle_s3_bucket=bundle.bucket.id,
            ca_certificates_bundle_s3_key=bundle_object.key,
            ca_certificates_bundle_s3_object_version=bundle_object.version_id,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _firewall(self) -> aws.wafv2.WebAcl:
        args, name = self._args, self._name
        forwarded = args.forwarded_ip_header
        rules: list[aws.wafv2.WebAclRuleArgsDict] = [
            *(rate_rule(args.name_prefix, index + 1, limit, forwarded) for index, limit in enumerate(args.rate_limits)),
            *(
                rule
                for index, group in enumerate(MANAGED_RULE_GROUPS)
                if not (forwarded and group == IP_REPUTATION_GROUP)
                for rule in managed_rules(args.name_prefix, group, 10 * (index + 1), args.upload_paths)
            ),
        ]
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            description=f"{args.name_prefix}: rate limits and AWS managed rules in front of the load balancer",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=visibility(f"{args.name_prefix}-waf"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.wafv2.WebAclAssociation(
            f"{name}-waf-association",
            resource_arn=self.alb.arn,
            web_acl_arn=acl.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        group = aws.cloudwatch.LogGroup(
            f"{name}-waf-logs",
            name=f"aws-waf-logs-{args.name_prefix}",
            retention_in_days=args.waf_log_retention_days,
            kms_key_id=args.logs_key_arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        delivery = aws.cloudwatch.LogResourcePolicy(
            f"{name}-waf-log-delivery",
            policy_name=f"{args.name_prefix}-waf-log-delivery",
            policy_document=group.arn.apply(
                lambda arn: json.dumps(args.account.log_delivery_policy(arn, "WafLogDelivery"))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-waf-logging",
            resource_arn=acl.arn,
            log_destination_configs=[group.arn],
            redacted_fields=[
                {"single_header": {"name": "authorization"}},
                {"single_header": {"name": "cookie"}},
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[delivery]),
        )
        return acl


def _log_delivery_statements(arn: str, account: Account, elb_account_arn: str) -> list[dict[str, Any]]:
    """ELB writes access and connection logs: through the region's ELB account in older regions, and through the
    log-delivery service principal in regions opened since 2022. Both may write only under this account's path."""
    objects = [f"{arn}/alb/AWSLogs/{account.id}/*", f"{arn}/alb-connections/AWSLogs/{account.id}/*"]
    return [
        {
            "Sid": "ElbLogDeliveryAccount",
            "Effect": "Allow",
            "Principal": {"AWS": elb_account_arn},
            "Action": "s3:PutObject",
            "Resource": objects,
        },
        {
            "Sid": "ElbLogDeliveryService",
            "Effect": "Allow",
            "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": objects,
        },
    ]
