"""The origin behind Cloudflare, on every platform: it counts clients rather than Cloudflare, and only Cloudflare
reaches it.

Behind Cloudflare every connection to the origin comes from a Cloudflare edge server (or, through a tunnel, from the
tunnel's connector); the client's address arrives in ``CF-Connecting-IP`` (Cloudflare docs, "HTTP request headers").
A rate limit keyed on the connection's address then counts a whole Cloudflare location as one client: one busy
location blocks all its visitors at once, and no single client is ever limited.

The docker rules apply to a stack with a load balancer container (role ``lb``) and a proxied Cloudflare record; the
nginx.conf is the text of an upload whose path ends in ``nginx.conf`` (the load balancer's seed delivers it), read
with :mod:`._nginx`. A value a rule needs that is unknown during preview is reported, never taken as compliant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import _nginx
from ._common import schema, setting, within
from ._docker import CONTAINER, NETWORK, attachments, docker_role, is_loopback, network_name, upload_text, who
from ._props import UNKNOWN, as_number, as_text, count_text, is_true, item_label, list_items, prop, unknown_message
from .cdn import CLOUDFLARE_RANGES, DNS_RECORD, ZONE_TYPES, zone_of
from .cdn_records import proxied_load_balancers
from .waf import WEB_ACL, WEB_ACL_ASSOCIATION

#: The header Cloudflare's edge hands the origin the client's address in.
CLIENT_ADDRESS_HEADER = "CF-Connecting-IP"
#: AWS managed rule groups that judge the connection's source address only (no forwarded-IP configuration).
ADDRESS_ONLY_GROUPS = ("AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList")
TUNNEL_TYPE = "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared"
TUNNEL_CONFIG = "cloudflare:index/zeroTrustTunnelCloudflaredConfig:ZeroTrustTunnelCloudflaredConfig"
ORIGIN_PULLS = "cloudflare:index/authenticatedOriginPullsSettings:AuthenticatedOriginPullsSettings"
#: Roles of the docker platform's load balancer, a tunnel's connector and the network that joins them.
LB_ROLE = "lb"
TUNNEL_ROLE = "tunnel"
#: Variables that hold the connection's address, which real_ip replaces with the client's for trusted peers.
ADDRESS_VARIABLES = ("$binary_remote_addr", "$remote_addr")
#: Container ports a directly connected load balancer may publish: HTTPS (the unprivileged nginx listens on 8443).
HTTPS_PORTS = (443, 8443)

_SCHEMA = schema(
    {
        "clientAddressHeader": {
            "type": "string",
            "default": CLIENT_ADDRESS_HEADER,
            "description": "The header in which the proxy in front hands the origin the client's address.",
        },
        "cloudflareRanges": {
            "type": "array",
            "items": {"type": "string"},
            "default": CLOUDFLARE_RANGES,
            "description": "Cloudflare's published IPv4 and IPv6 ranges (https://www.cloudflare.com/ips/): the only "
            "peers whose client-address header an origin may believe.",
        },
    }
)

REAL_IP_FIX = (
    "real_ip_header CF-Connecting-IP; set_real_ip_from <each of Cloudflare's ranges, or the tunnel network's subnet>"
)


# -- aws ---------------------------------------------------------------------------------------------------------------
def _rate_problem(rule: Any, name: str, header: str) -> str:
    """Why a rule counts the proxy instead of clients; empty when it does not."""
    statement = prop(prop(rule, "statement"), "rateBasedStatement")
    if statement is UNKNOWN:
        return unknown_message(f"rule {name}'s statement", "a literal rate_based_statement")
    if not isinstance(statement, Mapping):
        return ""
    kind = prop(statement, "aggregateKeyType")
    if kind is UNKNOWN:
        return unknown_message(f"rule {name}'s aggregate_key_type", '"FORWARDED_IP"')
    fix = (
        f'aggregate_key_type="FORWARDED_IP" with forwarded_ip_config={{header_name: "{header}", '
        'fallback_behavior: "MATCH"}'
    )
    keys = list_items(prop(statement, "customKeys"))
    counts_peer = as_text(kind) == "IP" or (
        as_text(kind) == "CUSTOM_KEYS" and any(isinstance(key, Mapping) and prop(key, "ip") is not None for key in keys)
    )
    if counts_peer:
        return (
            f"The web ACL's rate-based rule {name} counts requests per connecting address, but the load balancer is "
            "served through Cloudflare and admits Cloudflare's ranges only: every request comes from a Cloudflare "
            "edge server, so the limit applies to a whole Cloudflare location at once and blocks all its visitors "
            f"together. Count the client Cloudflare forwards: set {fix}."
        )
    forwarded = as_text(kind) == "FORWARDED_IP" or any(
        isinstance(key, Mapping) and prop(key, "forwardedIp") is not None for key in keys
    )
    if not forwarded:
        return ""
    configured = prop(prop(statement, "forwardedIpConfig"), "headerName")
    if configured is UNKNOWN:
        return unknown_message(f"rule {name}'s forwarded_ip_config.header_name", f'"{header}"')
    if as_text(configured).lower() != header.lower():
        shown = f"'{as_text(configured)}'" if as_text(configured) else "no header"
        return (
            f"The web ACL's rate-based rule {name} reads the client's address from {shown}, not {header}: behind "
            "Cloudflare only that header holds the address Cloudflare saw (X-Forwarded-For starts with whatever the "
            f"client sent). Set {fix}."
        )
    return ""


def _group_problem(rule: Any, name: str) -> str:
    group = prop(prop(rule, "statement"), "managedRuleGroupStatement")
    if group is UNKNOWN or not isinstance(group, Mapping):
        return ""
    group_name = as_text(prop(group, "name"))
    if group_name not in ADDRESS_ONLY_GROUPS or as_text(prop(group, "vendorName")) != "AWS":
        return ""
    override = prop(rule, "overrideAction")
    if override is UNKNOWN:
        return unknown_message(f"rule {name}'s override_action", "{count: {}} or no such rule")
    if isinstance(override, Mapping) and prop(override, "count") is not None:
        return ""
    return (
        f"The web ACL runs {group_name} (rule {name}) in blocking mode, but it judges the connecting address only "
        "(AWS WAF developer guide, 'IP reputation rule groups'), which behind Cloudflare is a Cloudflare edge server: "
        "a listed edge address blocks every visitor behind it. Remove the rule (Cloudflare's WAF judges clients at the "
        "edge) or set override_action={count: {}}."
    )


def _waf_counts_clients(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every web ACL on a load balancer that a proxied Cloudflare record points at aggregates its rate-based rules on
    the forwarded client address (``FORWARDED_IP`` from ``clientAddressHeader``), never on the connection's (``IP``,
    or an ``ip`` custom key); and runs no managed rule group that can only judge the connection's address (the IP
    reputation and anonymous IP lists: AWS WAF developer guide, "IP reputation rule groups") in blocking mode."""
    balancers = proxied_load_balancers(args.resources)
    if not balancers:
        args.not_applicable("no proxied Cloudflare DNS record points at a load balancer of the stack")
    header = str(setting(args, _SCHEMA, "clientAddressHeader"))
    fronted = {balancer.urn for balancer in balancers}
    acls: dict[str, PolicyResource] = {}
    for association in (r for r in args.resources if r.resource_type == WEB_ACL_ASSOCIATION):
        if any(target.urn in fronted for target in association.property_dependencies.get("resourceArn") or []):
            for acl in association.property_dependencies.get("webAclArn") or []:
                if acl.resource_type == WEB_ACL:
                    acls.setdefault(acl.urn, acl)
    for acl in acls.values():
        rules = prop(acl.props, "rules")
        if rules is UNKNOWN:
            report(unknown_message("rules", "a literal list of rules"), acl.urn)
            continue
        for index, rule in enumerate(list_items(rules)):
            if rule is UNKNOWN:
                report(unknown_message(f"rules[{index}]", "a literal rule"), acl.urn)
                continue
            name = item_label(rule, index, "name")
            for problem in (_rate_problem(rule, name, header), _group_problem(rule, name)):
                if problem:
                    report(problem, acl.urn)


aws_waf_counts_clients_behind_cloudflare = StackValidationPolicy(
    name="aws-waf-counts-clients-behind-cloudflare",
    description="Checks that the web ACL of a load balancer served through Cloudflare rate-limits per "
    "`CF-Connecting-IP` (`FORWARDED_IP`), never per connecting address (Cloudflare's), and blocks nothing on that "
    "address alone (IP reputation lists).",
    validate=_waf_counts_clients,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.HIGH,
    tags=["cloudflare", "waf", "checklist:rate-limiting"],
    remediation_steps='Build the rate-based rules with aggregate_key_type="FORWARDED_IP" and forwarded_ip_config='
    '{header_name: "CF-Connecting-IP", fallback_behavior: "MATCH"} while the CDN is on (webstack\'s LoadBalancer '
    "does with forwarded_ip_header), and leave the IP reputation group out.",
)


# -- docker: reading the stack -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Config:
    """An nginx.conf a container receives."""

    container: PolicyResource
    path: str
    directives: tuple[_nginx.Directive, ...]


def _behind_cloudflare(args: StackValidationArgs, report: ReportViolation) -> list[PolicyResource] | None:
    """The stack's load balancer containers, when a proxied Cloudflare record serves the stack; else not applicable.
    Types decide first (a stack without containers or records is not judged), then labels: a role unknown during
    preview is reported, never taken for "no load balancer"."""
    containers = [r for r in args.resources if r.resource_type == CONTAINER]
    records = [r for r in args.resources if r.resource_type == DNS_RECORD]
    if not containers or not records:
        args.not_applicable("the stack serves no Docker load balancer through Cloudflare")
    proxied = [r for r in records if is_true(prop(r.props, "proxied")) or prop(r.props, "proxied") is UNKNOWN]
    balancers = [c for c in containers if docker_role(c.props) == LB_ROLE]
    undecided = [c for c in containers if docker_role(c.props) is UNKNOWN]
    if proxied and not balancers and undecided:
        report(unknown_message("The container's labels (webstack.role)", "a literal label"), undecided[0].urn)
        return None
    if not balancers or not proxied:
        args.not_applicable("the stack serves no Docker load balancer through Cloudflare")
    return balancers


def _configs(args: StackValidationArgs, report: ReportViolation) -> list[_Config]:
    """Every nginx.conf a container of the stack receives, parsed; unknown or unreadable ones reported."""
    found: list[_Config] = []
    for container in (r for r in args.resources if r.resource_type == CONTAINER):
        uploads = prop(container.props, "uploads")
        if uploads is UNKNOWN:
            if docker_role(container.props) in (f"{LB_ROLE}-seed", LB_ROLE):
                report(unknown_message("uploads", "literal files (the load balancer's nginx.conf)"), container.urn)
            continue
        for upload in list_items(uploads):
            path = prop(upload, "file")
            if upload is UNKNOWN or path is UNKNOWN or not as_text(path).endswith("nginx.conf"):
                continue
            text = upload_text(upload)
            if text is None:
                report(unknown_message(f"the content of {as_text(path)}", "literal text"), container.urn)
                continue
            try:
                found.append(_Config(container, as_text(path), _nginx.parse(text)))
            except _nginx.NginxSyntaxError as error:
                report(f"{as_text(path)} is not a configuration nginx loads ({error}).", container.urn)
    return found


def _tunnel_networks(resources: Iterable[PolicyResource]) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type == NETWORK and docker_role(r.props) == TUNNEL_ROLE]


def _subnets(network: PolicyResource) -> list[str]:
    return [
        as_text(prop(config, "subnet"))
        for config in list_items(prop(network.props, "ipamConfigs"))
        if isinstance(prop(config, "subnet"), str)
    ]


# -- docker-nginx-counts-clients-behind-cloudflare ---------------------------------------------------------------------
def _effective(server: _nginx.Directive, http: _nginx.Directive, name: str) -> list[_nginx.Directive]:
    """A server's own ``name`` directives, else those it inherits from http (nginx's array-directive inheritance)."""
    return server.find(name) or http.find(name)


def _uses_limits(server: _nginx.Directive) -> bool:
    def walk(block: Sequence[_nginx.Directive]) -> bool:
        return any(d.name == "limit_req" or walk(d.block or ()) for d in block)

    return walk(server.block or ())


def _address_maps(http: _nginx.Directive) -> set[str]:
    """``map`` outputs whose values are all a connection address or empty (limits scoped to some paths)."""
    found = set()
    for block in http.find("map"):
        if len(block.args) != 2:
            continue
        values = [d.args[0] if d.args else "" for d in block.block or ()]
        if all(value in ("", *ADDRESS_VARIABLES) for value in values):
            found.add(block.args[1])
    return found


def _nginx_problems(config: _Config, header: str, trusted: Sequence[str]) -> list[str]:
    where = f"{config.path}"
    http_blocks = _nginx.find(config.directives, "http")
    if len(http_blocks) != 1:
        return [f"{where} has {len(http_blocks)} http blocks; nginx needs exactly one."]
    http = http_blocks[0]
    problems: list[str] = []
    keys = {d.args[0] for d in http.find("limit_req_zone") if d.args}
    allowed_keys = {*ADDRESS_VARIABLES, *_address_maps(http)}
    for key in sorted(keys - allowed_keys):
        problems.append(
            f"{where} keys a rate-limit zone on {key}, which is not the connection's address: a header any client "
            "sets would let it choose its own counter. Key on $binary_remote_addr (real_ip restores the client's "
            "address for Cloudflare's connections), or a map of it."
        )
    if not keys:
        return problems
    for server in http.find("server"):
        if not _uses_limits(server):
            continue
        listen = " ".join(server.find("listen")[0].args) if server.find("listen") else "?"
        headers = _effective(server, http, "real_ip_header")
        sources = [d.args[0] for d in _effective(server, http, "set_real_ip_from") if d.args]
        if not headers or not sources:
            problems.append(
                f"The server on {listen} in {where} rate-limits per $binary_remote_addr without restoring the client's "
                "address, but the site is served through Cloudflare: every connection is a Cloudflare edge server's "
                "(or the tunnel connector's), so each limit counts a whole Cloudflare location as one client and "
                f"blocks its visitors together. Add {REAL_IP_FIX}."
            )
            continue
        named = headers[-1].args[0] if headers[-1].args else ""
        if named.lower() != header.lower():
            problems.append(
                f"The server on {listen} in {where} takes the client's address from {named or 'no header'}, not "
                f"{header}: behind Cloudflare only {header} holds the address Cloudflare saw (X-Forwarded-For starts "
                f"with whatever the client sent). Set real_ip_header {header}."
            )
        outside = [cidr for cidr in sources if not within(cidr, trusted)]
        if outside:
            problems.append(
                f"The server on {listen} in {where} believes {header} from {', '.join(outside)}, outside Cloudflare's "
                "published ranges and the stack's tunnel network: any client there can claim any address and escape "
                "every rate limit. Keep set_real_ip_from to Cloudflare's ranges (https://www.cloudflare.com/ips/) or "
                "the tunnel network's subnet."
            )
    return problems


def _nginx_counts_clients(args: StackValidationArgs, report: ReportViolation) -> None:
    """Every nginx.conf a container receives restores the client's address with the real_ip module from
    ``clientAddressHeader``, believes it only from Cloudflare's published ranges (``cloudflareRanges``) or the subnet
    of a ``tunnel`` network of the stack, and keys every rate-limit zone on ``$binary_remote_addr`` / ``$remote_addr``
    (which real_ip restores), or on a ``map`` of them; never on a header any client can set."""
    if _behind_cloudflare(args, report) is None:
        return
    header = str(setting(args, _SCHEMA, "clientAddressHeader"))
    trusted = [str(r) for r in setting(args, _SCHEMA, "cloudflareRanges")]
    trusted += [subnet for network in _tunnel_networks(args.resources) for subnet in _subnets(network)]
    for config in _configs(args, report):
        for problem in _nginx_problems(config, header, trusted):
            report(problem, config.container.urn)


docker_nginx_counts_clients_behind_cloudflare = StackValidationPolicy(
    name="docker-nginx-counts-clients-behind-cloudflare",
    description="Checks that on a Docker host served through Cloudflare, nginx restores the client's address from "
    "`CF-Connecting-IP` for Cloudflare's ranges or the tunnel network only, and every rate limit keys on that address.",
    validate=_nginx_counts_clients,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "cloudflare", "nginx", "checklist:rate-limiting"],
    remediation_steps="Give nginx's http block real_ip_header CF-Connecting-IP and one set_real_ip_from per Cloudflare "
    "range (or the tunnel network's subnet behind a tunnel), and key limit_req_zone on $binary_remote_addr; "
    "webstack's LoadBalancer does with a components.docker.nginx.Proxy.",
)


# -- docker-origin-only-through-cloudflare -----------------------------------------------------------------------------
def _ports(container: PolicyResource) -> list[tuple[Any, str]] | None:
    """(container port, host address) of every published port; None when the list is unknown."""
    ports = prop(container.props, "ports")
    if ports is UNKNOWN:
        return None
    published = []
    for port in list_items(ports):
        ip = prop(port, "ip")
        published.append((prop(port, "internal"), "<unknown>" if ip is UNKNOWN else (as_text(ip) or "0.0.0.0")))
    return published


def _tunnel_problems(args: StackValidationArgs, report: ReportViolation) -> None:
    for container in (r for r in args.resources if r.resource_type == CONTAINER):
        role = docker_role(container.props)
        published = _ports(container)
        if published is None:
            report(unknown_message("ports", "literal mappings (none behind a tunnel)"), container.urn)
            continue
        for internal, ip in published:
            number = as_number(internal)
            label = f"container port {count_text(number)}" if number is not None else "a container port"
            if role == LB_ROLE:
                report(
                    f"{who(role)} publishes {label} on {ip}, but the site is served through a Cloudflare Tunnel: "
                    "the tunnel's connector reaches nginx over the tunnel network, and a published port lets anyone "
                    "bypass Cloudflare's TLS settings, WAF and rate limits. Publish no port (ports=[]).",
                    container.urn,
                )
            elif not is_loopback(ip):
                report(
                    f"{who(role)} publishes {label} on {ip}, but behind a Cloudflare Tunnel the server takes no "
                    'inbound connection at all: remove the port, or bind it to the loopback (ip="127.0.0.1").',
                    container.urn,
                )
    for config in (r for r in args.resources if r.resource_type == TUNNEL_CONFIG):
        for problem in _ingress_problems(config):
            report(problem, config.urn)
    networks = _tunnel_networks(args.resources)
    by_name = {name: n for n in args.resources if n.resource_type == NETWORK and (name := network_name(n))}
    for network in networks:
        internal = prop(network.props, "internal")
        if internal is UNKNOWN:
            report(unknown_message("internal", "True"), network.urn)
        elif not is_true(internal):
            report(
                "The tunnel network is not internal: nginx believes CF-Connecting-IP from it, so it must join the "
                "tunnel's connector and nginx only, with no route out. Set internal=True (the connector reaches "
                "Cloudflare over the edge network).",
                network.urn,
            )
    tunnel_urns = {n.urn for n in networks}
    for container in (r for r in args.resources if r.resource_type == CONTAINER):
        role = docker_role(container.props)
        if role in (LB_ROLE, TUNNEL_ROLE):
            continue
        if any(a.network is not None and a.network.urn in tunnel_urns for a in attachments(container, by_name)):
            report(
                f"{who(role)} is attached to the tunnel network, whose peers nginx believes about the client's "
                "address (CF-Connecting-IP): any container there can pose as any client. Attach only the tunnel's "
                "connector and the load balancer to it.",
                container.urn,
            )


def _ingress_problems(config: PolicyResource) -> list[str]:
    ingresses = prop(prop(config.props, "config"), "ingresses")
    if ingresses is UNKNOWN:
        return [unknown_message("config.ingresses", "a literal list of ingress rules")]
    rules = list_items(ingresses)
    problems = []
    for index, rule in enumerate(rules):
        if rule is UNKNOWN:
            return [unknown_message(f"config.ingresses[{index}]", "a literal ingress rule")]
        if is_true(prop(prop(rule, "originRequest"), "noTlsVerify")):
            problems.append(
                f"Tunnel ingress rule #{index + 1} turns off the verification of the origin's certificate "
                "(no_tls_verify): set origin_request.ca_pool to the CA of nginx's certificate and "
                "origin_server_name to the site's name instead."
            )
    last = rules[-1] if rules else None
    catch_all = (
        last is not None
        and not as_text(prop(last, "hostname"))
        and not as_text(prop(last, "path"))
        and as_text(prop(last, "service")).startswith("http_status:")
    )
    if not catch_all:
        problems.append(
            "The tunnel's ingress rules do not end with a catch-all answer (no hostname, no path, service "
            '"http_status:404"), so requests for other names reach a service: add {service: "http_status:404"} '
            "last (cloudflared requires the last rule to match everything)."
        )
    return problems


def _direct_problems(args: StackValidationArgs, balancers: Sequence[PolicyResource], report: ReportViolation) -> None:
    ranges = [str(r) for r in setting(args, _SCHEMA, "cloudflareRanges")]
    for balancer in balancers:
        published = _ports(balancer)
        if published is None:
            report(unknown_message("ports", "the HTTPS port only"), balancer.urn)
            continue
        for internal, ip in published:
            number = as_number(internal)
            if is_loopback(ip) or (number is not None and int(number) in HTTPS_PORTS):
                continue
            label = f"container port {count_text(number)}" if number is not None else "a container port"
            report(
                f"{who(LB_ROLE)} publishes {label} on {ip}, but Cloudflare connects to the origin on HTTPS only "
                "(it redirects plain HTTP at the edge): publish only nginx's HTTPS port.",
                balancer.urn,
            )
    for config in _configs(args, report):
        for problem in _admission_problems(config, ranges):
            report(problem, config.container.urn)
    zones = {zone_of(r) for r in args.resources if r.resource_type == DNS_RECORD}
    for zone in sorted(zones):
        settings = [r for r in args.resources if r.resource_type == ORIGIN_PULLS and zone_of(r) == zone]
        enabled = [prop(s.props, "enabled") for s in settings]
        if any(value is UNKNOWN for value in enabled):
            report(unknown_message("enabled", "True"), settings[0].urn)
        elif not any(is_true(value) for value in enabled):
            first = next(r for r in args.resources if r.resource_type in ZONE_TYPES and zone_of(r) == zone)
            report(
                f"Zone {zone} does not turn authenticated origin pulls on, so Cloudflare presents no client "
                "certificate and nginx, which requires one, refuses Cloudflare: add a cloudflare."
                f'AuthenticatedOriginPullsSettings(zone_id="{zone}", enabled=True).',
                (settings[0] if settings else first).urn,
            )


def _admission_problems(config: _Config, ranges: Sequence[str]) -> list[str]:
    http_blocks = _nginx.find(config.directives, "http")
    if len(http_blocks) != 1:
        return []  # reported by docker-nginx-counts-clients-behind-cloudflare
    http = http_blocks[0]
    peers = {}
    for geo in http.find("geo"):
        if len(geo.args) == 2 and geo.args[0] == "$realip_remote_addr":
            entries = {d.name: d.args[0] if d.args else "" for d in geo.block or ()}
            peers[geo.args[1]] = entries
    problems = []
    for server in http.find("server"):
        listens = [d.args for d in server.find("listen")]
        if not any("ssl" in args for args in listens):
            continue
        listen = " ".join(listens[0]) if listens else "?"
        verify = [d.args[0] for d in server.find("ssl_verify_client") if d.args]
        if verify[-1:] != ["on"] or not server.find("ssl_client_certificate"):
            problems.append(
                f"The HTTPS server on {listen} in {config.path} requires no client certificate, so anyone who finds "
                "the server's address reaches it around Cloudflare: set ssl_client_certificate to Cloudflare's "
                "origin-pull CA and ssl_verify_client on (authenticated origin pulls)."
            )
        if not _admits_only(server, peers, ranges):
            problems.append(
                f"The HTTPS server on {listen} in {config.path} serves peers outside Cloudflare's ranges: add "
                "geo $realip_remote_addr $cloudflare_peer { default 0; <each Cloudflare range> 1; } and, in the "
                "server, if ($cloudflare_peer = 0) { return 403; } (allow/deny would judge the address real_ip "
                "restored, the client's)."
            )
    return problems


def _admits_only(server: _nginx.Directive, peers: Mapping[str, Mapping[str, str]], ranges: Sequence[str]) -> bool:
    """Whether the server refuses every peer but Cloudflare's: an ``if`` on a geo of ``$realip_remote_addr`` that is
    0 by default and 1 only inside Cloudflare's ranges, returning an error."""
    for condition in server.find("if"):
        if len(condition.args) != 3 or condition.args[0] not in peers:
            continue
        variable, operator, value = condition.args
        refused = (operator == "=" and value == "0") or (operator == "!=" and value == "1")
        returns = [d.args[0] for d in condition.find("return") if d.args]
        if not refused or not returns or not returns[0].isdigit() or int(returns[0]) < 400:
            continue
        entries = peers[variable]
        admitted = [cidr for cidr, flag in entries.items() if cidr != "default" and flag == "1"]
        if entries.get("default") == "0" and admitted and all(within(cidr, ranges) for cidr in admitted):
            return True
    return False


def _origin_only_cloudflare(args: StackValidationArgs, report: ReportViolation) -> None:
    """Behind a Cloudflare Tunnel (a ``tunnel`` container or a ``ZeroTrustTunnelCloudflared``), nothing publishes a
    port off the host's loopback and the load balancer publishes none; every tunnel configuration ends with a catch-all
    ``http_status:`` rule and never turns origin TLS verification off; the ``tunnel`` network is internal and joins
    only the connector and the load balancer. Connected directly, the load balancer publishes only its HTTPS port;
    its HTTPS servers require a client certificate (``ssl_verify_client on`` with ``ssl_client_certificate``:
    authenticated origin pulls) and serve only peers in Cloudflare's ranges (a ``geo`` on ``$realip_remote_addr`` with
    default 0, and ``if ($var = 0)`` returning an error, as webstack writes it: ``allow``/``deny`` would judge the
    address real_ip restored); and the zone turns authenticated origin pulls on (``AuthenticatedOriginPullsSettings``
    enabled), or Cloudflare presents no certificate."""
    balancers = _behind_cloudflare(args, report)
    if balancers is None:
        return
    tunneled = any(r.resource_type == TUNNEL_TYPE for r in args.resources) or any(
        r.resource_type == CONTAINER and docker_role(r.props) == TUNNEL_ROLE for r in args.resources
    )
    if tunneled:
        _tunnel_problems(args, report)
    else:
        _direct_problems(args, balancers, report)


docker_origin_only_through_cloudflare = StackValidationPolicy(
    name="docker-origin-only-through-cloudflare",
    description="Checks that a Docker host served through Cloudflare takes traffic from Cloudflare only: behind a "
    "tunnel it publishes no port, and the tunnel's ingress ends in a 404 and verifies nginx; connected directly it "
    "publishes HTTPS only, requires Cloudflare's client certificate, serves Cloudflare's ranges only, and the zone "
    "turns authenticated origin pulls on.",
    validate=_origin_only_cloudflare,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=_SCHEMA,
    severity=Severity.HIGH,
    tags=["docker", "cloudflare", "network", "checklist:firewall-only-80-443", "checklist:tls"],
    remediation_steps="Use webstack:cdn.origin tunnel (no published port; the cloudflared container dials out), or "
    "direct with webstack:cdn.authenticatedOriginPulls and Cloudflare's origin-pull CA: nginx then publishes 443 only, "
    "requires the client certificate and serves Cloudflare's ranges only.",
)

POLICIES = [
    aws_waf_counts_clients_behind_cloudflare,
    docker_nginx_counts_clients_behind_cloudflare,
    docker_origin_only_through_cloudflare,
]
