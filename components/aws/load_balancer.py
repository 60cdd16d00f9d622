"""The edge on aws: an internet-facing Application Load Balancer behind a WAF, serving HTTPS only.

Creates:

- the ALB in the public subnets with the ``lb`` security group: invalid headers dropped, desync mitigation
  ``defensive`` or ``strictest``, deletion protection (settings), HTTP/2, and access and connection logs to a
  dedicated log bucket (SSE-S3, since ALB delivers logs to nothing else; all public access blocked; TLS-only policy
  that also lets ELB log delivery write; expiry after the configured days);
- a listener on :80 that only answers ``301`` to HTTPS, and one on :443 with a TLS 1.2+ policy and the certificate,
  which adds the security headers to every response (the HSTS Cloudflare sends: a year, subdomains and preload
  as the settings opt in;
  ``nosniff``; ``SAMEORIGIN``; the Content-Security-Policy of ``webstack:cdn.contentSecurityPolicy``) and drops the
  Server header, so that a stack without the CDN has them too, and forwards ``/api`` and ``/api/*`` to the backend
  and everything else to the frontend;
- a target group (ip targets) per service, health-checked as the guides do (/health every 30 s, 10 s timeout,
  healthy after 2, unhealthy after 3), with a short deregistration delay and optional cookie stickiness;
- the certificate: an existing ACM certificate from settings, or, with the CDN on, a DNS-validated ACM certificate
  for the domain and www whose validation records the CDN writes to its zone;
- optionally mutual TLS on :443: a trust store of the CDN's origin-pull CA, so that only the CDN can connect
  (Cloudflare's authenticated origin pulls);
- a regional WAF web ACL on the ALB: rate limits per client IP from settings (API, login, general), then the AWS
  managed rule groups (IP reputation, common, known bad inputs, SQL injection), the common group's 8 KB body limit
  lifted under ``webstack:web.uploadPaths`` only; CloudWatch metrics on every rule;
  logs to a KMS-encrypted log group whose name starts with ``aws-waf-logs-``, as WAF requires.

Behind a CDN (``forwarded_ip_header``), every connection comes from the CDN's edge: the rate rules then count the
client address the CDN forwards (``FORWARDED_IP``; a request whose header holds no valid address counts as over the
limit), and the IP reputation group, which can only judge the connection's address (AWS WAF developer guide, "IP
reputation rule groups": it uses the web request origin), is left out: it would judge Cloudflare's edge servers and
could block every visitor behind one. Cloudflare's own WAF judges client reputation at the edge.
"""

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from ..edge_common import HSTS as CDN_HSTS
from ..edge_common import X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS, ValidationRecord, hsts_header
from ..settings import DEFAULT_CSP, RateLimit, WebSettings
from .account import Account
from .buckets import BucketArgs, hardened_bucket

LOAD_BALANCER_TYPE = "webstack:aws:LoadBalancer"
SERVICES = ("frontend", "backend")
API_PATHS = ["/api", "/api/*"]


#: The HSTS header Cloudflare sends by default (``components.edge_common.HSTS``): ``max-age=31536000``.
HSTS = hsts_header(CDN_HSTS)

#: The managed rule group that judges the connection's source address only (no forwarded-IP configuration).
IP_REPUTATION_GROUP = "AWSManagedRulesAmazonIpReputationList"
#: What a rate rule does with a request whose forwarded-IP header holds no valid address: count it as matching, so
#: that a malformed header is rate-limited (fails closed). A request without the header is not evaluated by the rule
#: (AWS WAF API reference, ForwardedIPConfig): only the CDN reaches the load balancer, and it always sets it.
FORWARDED_IP_FALLBACK = "MATCH"

#: The AWS managed rule groups every web ACL runs, in order (the IP reputation list first: it is the cheapest).
MANAGED_RULE_GROUPS = (
    "AWSManagedRulesAmazonIpReputationList",
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesSQLiRuleSet",
)


@dataclass(frozen=True)
class CertificateArgs:
    """Where the HTTPS certificate comes from: an existing ACM certificate, or one validated in a Cloudflare zone."""

    existing_arn: str = ""
    """ARN of an ACM certificate for the domain and www, in the load balancer's region."""
    validate: Callable[[Sequence[ValidationRecord]], Sequence[pulumi.Input[str]]] | None = None
    """Writes ACM's validation records to the domain's DNS and returns their names (the CDN's
    :meth:`~components.cdn.Cdn.validation_records`). Required without ``existing_arn``."""


@dataclass(frozen=True)
class ClientCertificateArgs:
    """Mutual TLS on :443: only clients with a certificate from ``bundle_path``'s CAs connect."""

    bundle_path: str
    """PEM file of the trusted CA certificates (Cloudflare's origin-pull CA)."""
    kms_key_arn: pulumi.Input[str]
    """Customer KMS key of the bucket that holds the bundle for the trust store."""
    access_log_bucket: pulumi.Input[str]
    """The region's log archive (the bundle bucket's server access logs)."""


@dataclass(frozen=True)
class LoadBalancerArgs:
    """Inputs of :class:`LoadBalancer`."""

    account: Account
    """The account and region (log delivery grants, ARNs)."""
    name_prefix: str
    """Physical-name prefix, e.g. ``webstack-prod``."""
    domain: str
    """The site's domain; www.<domain> is served too."""
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Public subnets, at least two zones."""
    security_group_id: pulumi.Input[str]
    """The ``lb`` security group."""
    logs_key_arn: pulumi.Input[str]
    """Customer KMS key of the WAF log group."""
    certificate: CertificateArgs
    client_certificates: ClientCertificateArgs | None = None
    """Mutual TLS on :443 (None: any client may connect)."""
    web: WebSettings = field(default_factory=WebSettings)
    """TLS policy, health checks, stickiness, rate limits, log retention, deletion protection and the services'
    ports. Defaults: the guides' values, TLS 1.2+, deletion protection on."""
    content_security_policy: str = DEFAULT_CSP
    """The Content-Security-Policy header :443 adds to every response: ``webstack:cdn.contentSecurityPolicy``, the one
    Cloudflare adds too."""
    strict_transport_security: str = HSTS
    """The Strict-Transport-Security header :443 adds: the one Cloudflare's ``security_header`` zone setting sends
    (a year; includeSubDomains and preload only as the settings opt in)."""
    forwarded_ip_header: str | None = None
    """The header a CDN in front puts the client's address in (``CF-Connecting-IP``); None: clients connect
    directly, and the WAF counts the connection's address."""
    protect: bool = False
    """Protect the log bucket (the access-log trail) from deletion by Pulumi."""


class LoadBalancer(pulumi.ComponentResource):
    """ALB, listeners, target groups, certificate, WAF and their logs."""

    alb: aws.lb.LoadBalancer
    http_listener: aws.lb.Listener
    https_listener: aws.lb.Listener
    target_groups: dict[str, aws.lb.TargetGroup]
    certificate_arn: pulumi.Output[str]
    web_acl: aws.wafv2.WebAcl
    log_bucket: aws.s3.Bucket

    def __init__(self, name: str, args: LoadBalancerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(LOAD_BALANCER_TYPE, name, None, opts)
        self._name, self._args = name, args
        web = args.web

        elb_account = aws.elb.get_service_account(opts=pulumi.InvokeOptions(parent=self))
        logs = hardened_bucket(
            f"{name}-logs",
            BucketArgs(
                name_prefix=args.name_prefix,
                purpose="lb-logs",
                log_sink=True,
                expire_days=web.access_log_days,
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
            subnets=list(args.subnet_ids),
            drop_invalid_header_fields=True,
            desync_mitigation_mode=web.desync_mitigation,
            enable_deletion_protection=web.deletion_protection,
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
        self.target_groups = {service: self._target_group(service) for service in SERVICES}
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
            ssl_policy=web.ssl_policy,
            certificate_arn=self.certificate_arn,
            default_actions=[
                aws.lb.ListenerDefaultActionArgs(type="forward", target_group_arn=self.target_groups["frontend"].arn)
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
        self.api_rule = aws.lb.ListenerRule(
            f"{name}-api",
            listener_arn=self.https_listener.arn,
            priority=100,
            actions=[aws.lb.ListenerRuleActionArgs(type="forward", target_group_arn=self.target_groups["backend"].arn)],
            conditions=[
                aws.lb.ListenerRuleConditionArgs(
                    path_pattern=aws.lb.ListenerRuleConditionPathPatternArgs(values=API_PATHS)
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
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
        return [self.http_listener, self.https_listener, self.api_rule]

    def _target_group(self, service: str) -> aws.lb.TargetGroup:
        web = self._args.web
        settings = web.frontend if service == "frontend" else web.backend
        check = web.health_check
        return aws.lb.TargetGroup(
            f"{self._name}-{service}",
            port=settings.port,
            protocol="HTTP",
            protocol_version="HTTP1",
            target_type="ip",
            vpc_id=self._args.vpc_id,
            deregistration_delay=web.deregistration_delay_seconds,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True,
                protocol="HTTP",
                path=settings.health_check_path,
                matcher=check.matcher,
                interval=check.interval_seconds,
                timeout=check.timeout_seconds,
                healthy_threshold=check.healthy_threshold,
                unhealthy_threshold=check.unhealthy_threshold,
            ),
            stickiness=aws.lb.TargetGroupStickinessArgs(
                type="lb_cookie", enabled=web.stickiness, cookie_duration=web.stickiness_seconds
            ),
            tags={"webstack:service": service},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _certificate(self) -> pulumi.Output[str]:
        args = self._args
        if args.certificate.existing_arn:
            return pulumi.Output.from_input(args.certificate.existing_arn)
        validate = args.certificate.validate
        if validate is None:
            raise ValueError(f"load balancer {self._name}: give an existing certificate or a way to validate one")
        names = [args.domain, f"www.{args.domain}"]
        certificate = aws.acm.Certificate(
            f"{self._name}-certificate",
            domain_name=args.domain,
            subject_alternative_names=names[1:],
            validation_method="DNS",
            key_algorithm="RSA_2048",
            options=aws.acm.CertificateOptionsArgs(certificate_transparency_logging_preference="ENABLED"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        records = []
        for label, domain in zip(("apex", "www"), names, strict=True):
            option = certificate.domain_validation_options.apply(
                lambda options, domain=domain: next(o for o in options if o.domain_name == domain)
            )
            records.append(
                ValidationRecord(
                    label=label,
                    name=option.apply(lambda o: o.resource_record_name or ""),
                    type=option.apply(lambda o: o.resource_record_type or "CNAME"),
                    content=option.apply(lambda o: o.resource_record_value or ""),
                    # Where the record lived before the CDN component wrote it.
                    aliases=[pulumi.Alias(name=f"{self._name}-certificate-{label}", parent=self)],
                )
            )
        fqdns = validate(records)
        validation = aws.acm.CertificateValidation(
            f"{self._name}-certificate-validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=list(fqdns),
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
            source=pulumi.FileAsset(clients.bundle_path),
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
        limits = args.web.rate_limits
        forwarded = args.forwarded_ip_header
        rules: list[aws.wafv2.WebAclRuleArgsDict] = [
            _rate_rule(args.name_prefix, "login", 1, limits.login, forwarded),
            _rate_rule(args.name_prefix, "api", 2, limits.api, forwarded),
            _rate_rule(args.name_prefix, "general", 3, limits.general, forwarded),
            *(
                rule
                for index, group in enumerate(MANAGED_RULE_GROUPS)
                if not (forwarded and group == IP_REPUTATION_GROUP)
                for rule in _managed_rules(args.name_prefix, group, 10 * (index + 1), args.web.upload_paths)
            ),
        ]
        acl = aws.wafv2.WebAcl(
            f"{name}-waf",
            scope="REGIONAL",
            description=f"{args.name_prefix}: rate limits and AWS managed rules in front of the load balancer",
            default_action={"allow": {}},
            rules=rules,
            visibility_config=_visibility(f"{args.name_prefix}-waf"),
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
            retention_in_days=args.web.waf_log_retention_days,
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


def _visibility(metric: str) -> aws.wafv2.WebAclVisibilityConfigArgsDict:
    return {"cloudwatch_metrics_enabled": True, "metric_name": metric, "sampled_requests_enabled": True}


def _rate_rule(
    prefix: str, name: str, priority: int, limit: RateLimit, forwarded_ip_header: str | None = None
) -> aws.wafv2.WebAclRuleArgsDict:
    """A blocking rate rule per client: the connection's address, or the one ``forwarded_ip_header`` carries."""
    statement: aws.wafv2.WebAclRuleStatementRateBasedStatementArgsDict = {
        "limit": limit.limit,
        "aggregate_key_type": "FORWARDED_IP" if forwarded_ip_header else "IP",
        "evaluation_window_sec": limit.window_seconds,
    }
    if forwarded_ip_header:
        statement["forwarded_ip_config"] = {
            "header_name": forwarded_ip_header,
            "fallback_behavior": FORWARDED_IP_FALLBACK,
        }
    if limit.path:
        statement["scope_down_statement"] = {
            "byte_match_statement": {
                "positional_constraint": "STARTS_WITH" if limit.match == "prefix" else "CONTAINS",
                "search_string": limit.path.lower(),
                "field_to_match": {"uri_path": {}},
                "text_transformations": [{"priority": 0, "type": "LOWERCASE"}],
            }
        }
    return {
        "name": f"rate-limit-{name}",
        "priority": priority,
        "action": {"block": {}},
        "statement": {"rate_based_statement": statement},
        "visibility_config": _visibility(f"{prefix}-rate-limit-{name}"),
    }


#: AWS WAF developer guide, "Baseline rule groups": the Common Rule Set's rule that blocks request bodies over 8 KB, and
#: the label it adds to what it matches (visible to the rules evaluated after it: "Using labels in AWS WAF").
BODY_SIZE_RULE = "SizeRestrictions_BODY"
BODY_SIZE_LABEL = "awswaf:managed:aws:core-rule-set:SizeRestrictions_Body"


def _managed_rules(
    prefix: str, group: str, priority: int, upload_paths: Sequence[str]
) -> list[aws.wafv2.WebAclRuleArgsDict]:
    """A managed rule group in blocking mode. With upload paths, the Common Rule Set's body-size rule only labels
    what it matches, and the next rule blocks that label everywhere but under the upload paths."""
    statement: aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgsDict = {"name": group, "vendor_name": "AWS"}
    uploads = bool(upload_paths) and group == "AWSManagedRulesCommonRuleSet"
    if uploads:
        statement["rule_action_overrides"] = [{"name": BODY_SIZE_RULE, "action_to_use": {"count": {}}}]
    rules: list[aws.wafv2.WebAclRuleArgsDict] = [
        {
            "name": group,
            "priority": priority,
            "override_action": {"none": {}},
            "statement": {"managed_rule_group_statement": statement},
            "visibility_config": _visibility(f"{prefix}-{group}"),
        }
    ]
    if uploads:
        paths: list[aws.wafv2.WebAclRuleStatementArgsDict] = [
            {
                "byte_match_statement": {
                    "positional_constraint": "STARTS_WITH",
                    "search_string": path,
                    "field_to_match": {"uri_path": {}},
                    "text_transformations": [{"priority": 0, "type": "NONE"}],
                }
            }
            for path in upload_paths
        ]
        rules.append(
            {
                "name": "body-size-outside-uploads",
                "priority": priority + 1,
                "action": {"block": {}},
                "statement": {
                    "and_statement": {
                        "statements": [
                            {"label_match_statement": {"scope": "LABEL", "key": BODY_SIZE_LABEL}},
                            {
                                "not_statement": {
                                    "statement": paths[0]
                                    if len(paths) == 1
                                    else {"or_statement": {"statements": paths}}
                                }
                            },
                        ]
                    }
                },
                "visibility_config": _visibility(f"{prefix}-body-size-outside-uploads"),
            }
        )
    return rules


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
