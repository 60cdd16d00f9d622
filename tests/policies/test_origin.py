"""The origin behind Cloudflare: each rule passes on what webstack registers (a web ACL counting the forwarded
client; a Docker host behind a tunnel or connected directly, with the nginx.conf webstack writes) and fails when
one thing changes. The nginx.conf comes from components.docker.nginx itself, and the reader the rules use is
checked against crossplane on it."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import crossplane
import pytest
from pulumi_policy import StackValidationPolicy

from components.docker.nginx import Proxy, Upstream, nginx_config
from policies.rules import _nginx
from policies.rules.cdn import CLOUDFLARE_RANGES
from policies.rules.origin import (
    POLICIES,
    aws_waf_counts_clients_behind_cloudflare,
    docker_nginx_counts_clients_behind_cloudflare,
    docker_origin_only_through_cloudflare,
)
from tests.components.docker_support import nginx_site, prod_settings
from tests.policies.support import Res, check_stack, stack_not_applicable, unknown_message, urns

ZONE = "0123456789abcdef0123456789abcdef"
TUNNEL_SUBNET = "192.168.255.248/29"
#: Stands in for Cloudflare's origin-pull CA: nginx.conf names the file the load balancer uploads it to.
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n"
TUNNEL_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
FRONTEND = Upstream("web-frontend:3000", ["web-frontend-1:3000"])
BACKEND = Upstream("web-backend:8000", ["web-backend-1:8000"])

DNS_RECORD = "cloudflare:index/dnsRecord:DnsRecord"
ORIGIN_PULLS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
TUNNEL = "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared"
TUNNEL_CONFIG = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig"
CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
ALB = "aws:lb/loadBalancer:LoadBalancer"
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"

REAL_IP_FIX = (
    "real_ip_header CF-Connecting-IP; set_real_ip_from <each of Cloudflare's ranges, or the tunnel network's subnet>"
)


def check(policy: StackValidationPolicy, resources: Sequence[Res]) -> list[tuple[str, str]]:
    return check_stack(policy, resources)


def messages(policy: StackValidationPolicy, resources: Sequence[Res]) -> list[str]:
    return [message for _, message in check(policy, resources)]


def find(resources: Sequence[Res], urn: str) -> Res:
    return next(r for r in resources if r.urn == urn)


def test_every_rule_is_registered_described_and_mandatory() -> None:
    assert [p.name for p in POLICIES] == [
        "aws-waf-counts-clients-behind-cloudflare",
        "docker-nginx-counts-clients-behind-cloudflare",
        "docker-origin-only-through-cloudflare",
    ]
    for policy in POLICIES:
        assert policy.description.startswith("Checks that ")
        assert "cloudflare" in (policy.tags or [])


# -- aws-waf-counts-clients-behind-cloudflare --------------------------------------------------------------------------
def rate_rule(name: str, limit: float, window: float, **statement: Any) -> dict[str, Any]:
    return {
        "name": name,
        "priority": 1.0,
        "action": {"block": {}},
        "statement": {
            "rateBasedStatement": {
                "limit": limit,
                "evaluationWindowSec": window,
                "aggregateKeyType": "FORWARDED_IP",
                "forwardedIpConfig": {"headerName": "CF-Connecting-IP", "fallbackBehavior": "MATCH"},
                **statement,
            }
        },
    }


def managed(group: str, override: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": group,
        "priority": 10.0,
        "overrideAction": override or {"none": {}},
        "statement": {"managedRuleGroupStatement": {"name": group, "vendorName": "AWS"}},
    }


def aws_stack(rules: list[dict[str, Any]] | None = None, proxied: bool = True) -> list[Res]:
    """A load balancer a proxied record points at, and its web ACL as webstack builds it behind Cloudflare."""
    return [
        Res(
            "urn:record:apex",
            DNS_RECORD,
            {"zoneId": ZONE, "name": "app.example.org", "type": "CNAME", "content": "lb.elb", "proxied": proxied},
            {"content": ["urn:alb"]},
        ),
        Res("urn:alb", ALB, {"loadBalancerType": "application"}),
        Res(
            "urn:acl",
            WEB_ACL,
            {
                "rules": rules
                if rules is not None
                else [
                    rate_rule("rate-limit-login", 10.0, 120.0),
                    rate_rule("rate-limit-general", 1800.0, 60.0),
                    managed("AWSManagedRulesCommonRuleSet"),
                ]
            },
        ),
        Res("urn:association", ASSOCIATION, {}, {"resourceArn": ["urn:alb"], "webAclArn": ["urn:acl"]}),
    ]


def test_a_web_acl_counting_the_forwarded_client_passes() -> None:
    assert check(aws_waf_counts_clients_behind_cloudflare, aws_stack()) == []


def test_rate_rules_counting_the_connection_fail_behind_cloudflare() -> None:
    rules = [rate_rule("rate-limit-login", 10.0, 120.0, aggregateKeyType="IP", forwardedIpConfig=None)]
    assert check(aws_waf_counts_clients_behind_cloudflare, aws_stack(rules)) == [
        (
            "urn:acl",
            "The web ACL's rate-based rule 'rate-limit-login' counts requests per connecting address, but the load "
            "balancer is served through Cloudflare and admits Cloudflare's ranges only: every request comes from a "
            "Cloudflare edge server, so the limit applies to a whole Cloudflare location at once and blocks all its "
            'visitors together. Count the client Cloudflare forwards: set aggregate_key_type="FORWARDED_IP" with '
            'forwarded_ip_config={header_name: "CF-Connecting-IP", fallback_behavior: "MATCH"}.',
        )
    ]


def test_a_custom_key_on_the_connection_fails_too() -> None:
    rules = [rate_rule("per-ip-and-path", 100.0, 60.0, aggregateKeyType="CUSTOM_KEYS", customKeys=[{"ip": {}}])]
    (message,) = messages(aws_waf_counts_clients_behind_cloudflare, aws_stack(rules))
    assert message.startswith("The web ACL's rate-based rule 'per-ip-and-path' counts requests per connecting address")


def test_a_forwarded_address_from_another_header_fails() -> None:
    rules = [rate_rule("rate-limit-login", 10.0, 120.0)]
    rules[0]["statement"]["rateBasedStatement"]["forwardedIpConfig"]["headerName"] = "X-Forwarded-For"
    (message,) = messages(aws_waf_counts_clients_behind_cloudflare, aws_stack(rules))
    assert message.startswith(
        "The web ACL's rate-based rule 'rate-limit-login' reads the client's address from 'X-Forwarded-For', not "
        "CF-Connecting-IP: behind Cloudflare only that header holds the address Cloudflare saw"
    )


def test_the_ip_reputation_group_blocking_behind_cloudflare_fails_and_counting_passes() -> None:
    blocking = aws_stack([rate_rule("general", 1800.0, 60.0), managed("AWSManagedRulesAmazonIpReputationList")])
    (message,) = messages(aws_waf_counts_clients_behind_cloudflare, blocking)
    assert message == (
        "The web ACL runs AWSManagedRulesAmazonIpReputationList (rule 'AWSManagedRulesAmazonIpReputationList') in "
        "blocking mode, but it judges the connecting address only (AWS WAF developer guide, 'IP reputation rule "
        "groups'), which behind Cloudflare is a Cloudflare edge server: a listed edge address blocks every visitor "
        "behind it. Remove the rule (Cloudflare's WAF judges clients at the edge) or set override_action={count: {}}."
    )
    counting = aws_stack(
        [rate_rule("general", 1800.0, 60.0), managed("AWSManagedRulesAmazonIpReputationList", {"count": {}})]
    )
    assert check(aws_waf_counts_clients_behind_cloudflare, counting) == []


def test_without_cloudflare_in_front_the_waf_rule_does_not_apply() -> None:
    assert stack_not_applicable(aws_waf_counts_clients_behind_cloudflare, aws_stack(proxied=False)) == (
        "no proxied Cloudflare DNS record points at a load balancer of the stack"
    )


def test_unknown_web_acl_rules_are_reported() -> None:
    from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE

    resources = aws_stack()
    find(resources, "urn:acl").props["rules"] = UNKNOWN_ARRAY_VALUE
    assert check(aws_waf_counts_clients_behind_cloudflare, resources) == [
        ("urn:acl", unknown_message("rules", "a literal list of rules"))
    ]


# -- the docker host behind Cloudflare ---------------------------------------------------------------------------------
def labels(role: str) -> list[dict[str, str]]:
    return [{"label": "webstack.role", "value": role}, {"label": "webstack.stack", "value": "single-server"}]


def container(urn: str, role: str, networks: Sequence[str] = (), **props: Any) -> Res:
    base: dict[str, Any] = {
        "labels": labels(role),
        "ports": [],
        "networksAdvanced": [{"name": f"webstack-single-server-{n}"} for n in networks],
    }
    return Res(urn, CONTAINER, {**base, **props}, {"networksAdvanced": [f"urn:network:{n}" for n in networks]})


def network(role: str, internal: bool, **props: Any) -> Res:
    return Res(
        f"urn:network:{role}",
        NETWORK,
        {"name": f"webstack-single-server-{role}", "internal": internal, "labels": labels(role), **props},
    )


LOOPBACK_3000 = {"internal": 3000.0, "external": 3000.0, "ip": "127.0.0.1"}


def record(kind: str, content: str) -> Res:
    """The site's proxied record."""
    props = {"zoneId": ZONE, "name": "example.org", "type": kind, "content": content, "proxied": True}
    return Res("urn:record:apex", DNS_RECORD, props)


def seed(config: str) -> Res:
    """The load balancer's seed, which delivers nginx.conf (and the certificate and key)."""
    uploads = [
        {"file": "/etc/nginx/webstack/nginx.conf", "content": config, "permissions": "0444"},
        {"file": "/etc/nginx/webstack/tls.crt", "content": "-----BEGIN CERTIFICATE-----", "permissions": "0444"},
    ]
    return container("urn:lb-seed", "lb-seed", uploads=uploads)


def tunnel_config(ingresses: list[dict[str, Any]] | None = None) -> Res:
    service = "https://webstack-single-server-edge-nginx:8443"
    origin = {"originServerName": "example.org", "caPool": "/etc/cloudflared/origin-ca.pem", "noTlsVerify": False}
    return Res(
        "urn:tunnel-config",
        TUNNEL_CONFIG,
        {
            "accountId": "89abcdef0123456789abcdef01234567",
            "config": {
                "ingresses": ingresses
                if ingresses is not None
                else [
                    {"hostname": "example.org", "service": service, "originRequest": origin},
                    {"hostname": "www.example.org", "service": service, "originRequest": dict(origin)},
                    {"service": "http_status:404"},
                ]
            },
        },
        {"tunnelId": ["urn:tunnel"]},
    )


TUNNEL_PROXY = Proxy(trusted=[TUNNEL_SUBNET])


def tunneled(proxy: Proxy | None = TUNNEL_PROXY) -> list[Res]:
    """A Docker host behind a Cloudflare Tunnel, as webstack registers it."""
    config = nginx_config(nginx_site(prod_settings()), FRONTEND, BACKEND, proxy)
    return [
        record("CNAME", f"{TUNNEL_ID}.cfargotunnel.com"),
        Res("urn:tunnel", TUNNEL, {"accountId": "89abcdef0123456789abcdef01234567", "configSrc": "cloudflare"}),
        tunnel_config(),
        network("edge", False),
        network("app", True),
        network("tunnel", True, ipamConfigs=[{"subnet": TUNNEL_SUBNET}]),
        container("urn:lb", "lb", ["tunnel", "app"]),
        seed(config),
        container("urn:cloudflared", "tunnel", ["edge", "tunnel"]),
        container("urn:frontend", "frontend", ["app"]),
        container("urn:grafana", "grafana", ["admin"], ports=[LOOPBACK_3000]),
    ]


def direct(config_text: str | None = None, enabled: bool = True) -> list[Res]:
    """A Docker host that Cloudflare connects to directly, as webstack registers it."""
    proxy = Proxy(trusted=CLOUDFLARE_RANGES, admitted=CLOUDFLARE_RANGES, client_ca_pem=CA_PEM)
    site = nginx_site(prod_settings())
    config = config_text if config_text is not None else nginx_config(site, FRONTEND, BACKEND, proxy)
    https = {"internal": 8443.0, "external": 443.0, "ip": "0.0.0.0"}
    return [
        record("A", "93.184.216.34"),
        Res("urn:origin-pulls", ORIGIN_PULLS, {"zoneId": ZONE, "enabled": enabled}),
        network("edge", False),
        network("app", True),
        container("urn:lb", "lb", ["edge", "app"], ports=[https]),
        seed(config),
        container("urn:frontend", "frontend", ["app"]),
    ]


def test_the_rules_read_nginx_conf_as_crossplane_does(tmp_path: Path) -> None:
    """The small reader in the policy pack against crossplane, on every configuration webstack writes."""
    direct_proxy = Proxy(trusted=CLOUDFLARE_RANGES, admitted=CLOUDFLARE_RANGES, client_ca_pem=CA_PEM)
    for proxy in (None, Proxy(trusted=[TUNNEL_SUBNET]), direct_proxy):
        text = nginx_config(nginx_site(prod_settings()), FRONTEND, BACKEND, proxy)
        path = tmp_path / "nginx.conf"
        path.write_text(text)
        parsed = crossplane.parse(str(path), single=True, comments=False)
        assert parsed["status"] == "ok", parsed["errors"]

        def plain(block: list[dict[str, Any]]) -> list[Any]:
            return [(d["directive"], tuple(d["args"]), plain(d["block"]) if "block" in d else None) for d in block]

        def ours(block: Sequence[_nginx.Directive]) -> list[Any]:
            return [(d.name, d.args, ours(d.block) if d.block is not None else None) for d in block]

        assert ours(_nginx.parse(text)) == plain(parsed["config"][0]["parsed"])


@pytest.mark.parametrize("text", ["http { server { listen 80; }", "http { listen 80 }", 'error_log "/dev/stderr;'])
def test_the_reader_refuses_what_nginx_refuses(text: str) -> None:
    with pytest.raises(_nginx.NginxSyntaxError):
        _nginx.parse(text)


# -- docker-nginx-counts-clients-behind-cloudflare ---------------------------------------------------------------------
def test_nginx_restoring_the_client_passes_behind_a_tunnel_and_connected_directly() -> None:
    assert check(docker_nginx_counts_clients_behind_cloudflare, tunneled()) == []
    assert check(docker_nginx_counts_clients_behind_cloudflare, direct()) == []


def test_nginx_counting_the_proxy_fails() -> None:
    """Today's local configuration behind Cloudflare: every limit counts the tunnel's connector."""
    found = check(docker_nginx_counts_clients_behind_cloudflare, tunneled(proxy=None))
    assert found == [
        (
            "urn:lb-seed",
            "The server on 8443 ssl default_server in /etc/nginx/webstack/nginx.conf rate-limits per "
            "$binary_remote_addr without restoring the client's address, but the site is served through Cloudflare: "
            "every connection is a Cloudflare edge server's (or the tunnel connector's), so each limit counts a whole "
            f"Cloudflare location as one client and blocks its visitors together. Add {REAL_IP_FIX}.",
        )
    ]


def replaced(resources: list[Res], old: str, new: str) -> list[Res]:
    """The stack with one piece of the load balancer's nginx.conf replaced."""
    changed = copy.deepcopy(resources)
    upload = find(changed, "urn:lb-seed").props["uploads"][0]
    assert old in upload["content"]
    upload["content"] = upload["content"].replace(old, new)
    return changed


def test_believing_the_header_from_anyone_fails() -> None:
    resources = replaced(tunneled(), f"set_real_ip_from {TUNNEL_SUBNET};", "set_real_ip_from 0.0.0.0/0;")
    (message,) = messages(docker_nginx_counts_clients_behind_cloudflare, resources)
    assert message.startswith(
        "The server on 8443 ssl default_server in /etc/nginx/webstack/nginx.conf believes CF-Connecting-IP from "
        "0.0.0.0/0, outside Cloudflare's published ranges and the stack's tunnel network: any client there can claim "
        "any address and escape every rate limit."
    )


def test_the_tunnel_subnet_is_trusted_only_as_the_stacks_tunnel_network() -> None:
    resources = tunneled()
    find(resources, "urn:network:tunnel").props["ipamConfigs"] = [{"subnet": "192.168.200.0/29"}]
    (message,) = messages(docker_nginx_counts_clients_behind_cloudflare, resources)
    assert f"believes CF-Connecting-IP from {TUNNEL_SUBNET}, outside Cloudflare's published ranges" in message


def test_taking_the_address_from_another_header_fails() -> None:
    resources = replaced(tunneled(), "real_ip_header CF-Connecting-IP;", "real_ip_header X-Forwarded-For;")
    (message,) = messages(docker_nginx_counts_clients_behind_cloudflare, resources)
    assert message.startswith(
        "The server on 8443 ssl default_server in /etc/nginx/webstack/nginx.conf takes the client's address from "
        "X-Forwarded-For, not CF-Connecting-IP"
    )


def test_keying_a_limit_on_a_client_header_fails() -> None:
    key = "limit_req_zone $binary_remote_addr zone=general"
    resources = replaced(tunneled(), key, key.replace("$binary_remote_addr", "$http_cf_connecting_ip"))
    (message,) = messages(docker_nginx_counts_clients_behind_cloudflare, resources)
    assert message.startswith(
        "/etc/nginx/webstack/nginx.conf keys a rate-limit zone on $http_cf_connecting_ip, which is not the "
        "connection's address"
    )


def test_an_unreadable_nginx_conf_is_reported() -> None:
    resources = replaced(tunneled(), "http {", "http {{")
    (message,) = messages(docker_nginx_counts_clients_behind_cloudflare, resources)
    assert message.startswith("/etc/nginx/webstack/nginx.conf is not a configuration nginx loads")


def test_a_docker_host_without_cloudflare_is_not_judged() -> None:
    resources = [r for r in tunneled(proxy=None) if r.type != DNS_RECORD]
    for policy in (docker_nginx_counts_clients_behind_cloudflare, docker_origin_only_through_cloudflare):
        assert stack_not_applicable(policy, resources) == "the stack serves no Docker load balancer through Cloudflare"


# -- docker-origin-only-through-cloudflare: behind a tunnel ------------------------------------------------------------
def test_a_tunnel_with_nothing_published_passes() -> None:
    assert check(docker_origin_only_through_cloudflare, tunneled()) == []


def changed_container(resources: list[Res], urn: str, **props: Any) -> list[Res]:
    changed = copy.deepcopy(resources)
    find(changed, urn).props.update(props)
    return changed


def test_a_load_balancer_port_behind_a_tunnel_fails_even_on_the_loopback() -> None:
    resources = changed_container(
        tunneled(), "urn:lb", ports=[{"internal": 8443.0, "external": 443.0, "ip": "127.0.0.1"}]
    )
    assert check(docker_origin_only_through_cloudflare, resources) == [
        (
            "urn:lb",
            "The container (role 'lb') publishes container port 8443 on 127.0.0.1, but the site is served through a "
            "Cloudflare Tunnel: the tunnel's connector reaches nginx over the tunnel network, and a published port "
            "lets anyone bypass Cloudflare's TLS settings, WAF and rate limits. Publish no port (ports=[]).",
        )
    ]


def test_any_port_off_the_loopback_behind_a_tunnel_fails() -> None:
    resources = changed_container(
        tunneled(), "urn:grafana", ports=[{"internal": 3000.0, "external": 3000.0, "ip": "0.0.0.0"}]
    )
    (message,) = messages(docker_origin_only_through_cloudflare, resources)
    assert message.startswith(
        "The container (role 'grafana') publishes container port 3000 on 0.0.0.0, but behind a Cloudflare Tunnel the "
        "server takes no inbound connection at all"
    )


def test_a_tunnel_without_a_catch_all_answer_fails() -> None:
    resources = tunneled()
    ingresses = find(resources, "urn:tunnel-config").props["config"]["ingresses"]
    ingresses[-1] = {"service": "https://webstack-single-server-edge-nginx:8443"}
    assert messages(docker_origin_only_through_cloudflare, resources) == [
        "The tunnel's ingress rules do not end with a catch-all answer (no hostname, no path, service "
        '"http_status:404"), so requests for other names reach a service: add {service: "http_status:404"} last '
        "(cloudflared requires the last rule to match everything)."
    ]


def test_a_tunnel_that_skips_origin_tls_verification_fails() -> None:
    resources = tunneled()
    find(resources, "urn:tunnel-config").props["config"]["ingresses"][0]["originRequest"]["noTlsVerify"] = True
    (message,) = messages(docker_origin_only_through_cloudflare, resources)
    assert message.startswith("Tunnel ingress rule #1 turns off the verification of the origin's certificate")


def test_a_tunnel_network_with_a_route_out_fails() -> None:
    resources = tunneled()
    find(resources, "urn:network:tunnel").props["internal"] = False
    assert urns(check(docker_origin_only_through_cloudflare, resources)) == ["urn:network:tunnel"]


def test_another_container_on_the_tunnel_network_fails() -> None:
    resources = tunneled()
    resources.append(container("urn:backend", "backend", ["app", "tunnel"]))
    assert check(docker_origin_only_through_cloudflare, resources) == [
        (
            "urn:backend",
            "The container (role 'backend') is attached to the tunnel network, whose peers nginx believes about the "
            "client's address (CF-Connecting-IP): any container there can pose as any client. Attach only the "
            "tunnel's connector and the load balancer to it.",
        )
    ]


# -- docker-origin-only-through-cloudflare: connected directly ---------------------------------------------------------
def test_a_direct_origin_with_origin_pulls_and_cloudflares_ranges_passes() -> None:
    assert check(docker_origin_only_through_cloudflare, direct()) == []


def test_a_direct_origin_publishing_http_fails() -> None:
    resources = direct()
    find(resources, "urn:lb").props["ports"].append({"internal": 8080.0, "external": 80.0, "ip": "0.0.0.0"})
    assert messages(docker_origin_only_through_cloudflare, resources) == [
        "The container (role 'lb') publishes container port 8080 on 0.0.0.0, but Cloudflare connects to the origin "
        "on HTTPS only (it redirects plain HTTP at the edge): publish only nginx's HTTPS port."
    ]


def direct_replaced(old: str, new: str) -> list[Res]:
    resources = direct()
    return replaced(resources, old, new)


def test_a_direct_origin_without_client_certificates_fails() -> None:
    resources = direct_replaced("ssl_verify_client on;", "ssl_verify_client off;")
    assert messages(docker_origin_only_through_cloudflare, resources) == [
        "The HTTPS server on 8443 ssl default_server in /etc/nginx/webstack/nginx.conf requires no client "
        "certificate, so anyone who finds the server's address reaches it around Cloudflare: set "
        "ssl_client_certificate to Cloudflare's origin-pull CA and ssl_verify_client on (authenticated origin pulls)."
    ]


ALLOW_LIST_MESSAGE = (
    "The HTTPS server on 8443 ssl default_server in /etc/nginx/webstack/nginx.conf serves peers outside Cloudflare's "
    "ranges: add geo $realip_remote_addr $cloudflare_peer { default 0; <each Cloudflare range> 1; } and, in the "
    "server, if ($cloudflare_peer = 0) { return 403; } (allow/deny would judge the address real_ip restored, the "
    "client's)."
)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("if ($cloudflare_peer = 0) {", "if ($cloudflare_peer = 2) {"),
        ("default 0;", "default 1;"),
        ("173.245.48.0/20 1;", "0.0.0.0/0 1;"),
        ("geo $realip_remote_addr $cloudflare_peer", "geo $remote_addr $cloudflare_peer"),
        ("return 403;", "return 200;"),
    ],
    ids=["other-value", "default-admits", "everyone-listed", "judges-the-restored-address", "answers-anyway"],
)
def test_a_direct_origin_that_serves_other_peers_fails(old: str, new: str) -> None:
    assert messages(docker_origin_only_through_cloudflare, direct_replaced(old, new)) == [ALLOW_LIST_MESSAGE]


def test_a_direct_origin_whose_zone_presents_no_certificate_fails() -> None:
    assert check(docker_origin_only_through_cloudflare, direct(enabled=False)) == [
        (
            "urn:origin-pulls",
            f"Zone {ZONE} does not turn authenticated origin pulls on, so Cloudflare presents no client certificate "
            "and nginx, which requires one, refuses Cloudflare: add a cloudflare.AuthenticatedOriginPullsSettings("
            f'zone_id="{ZONE}", enabled=True).',
        )
    ]
    without = [r for r in direct() if r.type != ORIGIN_PULLS]
    assert urns(check(docker_origin_only_through_cloudflare, without)) == ["urn:record:apex"]


def test_a_load_balancer_role_unknown_during_preview_is_reported_not_passed() -> None:
    from pulumi_policy.proxy import UNKNOWN_ARRAY_VALUE

    resources = tunneled()
    for resource in resources:
        if resource.type == CONTAINER:
            resource.props["labels"] = UNKNOWN_ARRAY_VALUE
    for policy in (docker_nginx_counts_clients_behind_cloudflare, docker_origin_only_through_cloudflare):
        (found,) = check(policy, resources)
        assert found[1] == unknown_message("The container's labels (webstack.role)", "a literal label")
