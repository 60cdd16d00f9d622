"""Cloudflare in front of every platform, whole stacks: prod's WAF counts the client Cloudflare forwards; the
single-server stack (the docker platform behind Cloudflare) passes with no mandatory violation behind a tunnel and
connected directly, with the tunnel, its ingress, the records, nginx's real-IP directives and no published port
as they should be; and no tunnel token is ever in plaintext."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from components.docker.nginx import CONFIG_FILE
from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
from policies.rules import _nginx as nginx
from stackcheck.engine.evaluate import evaluate, load_policy_config, resolve_settings
from stackcheck.engine.resources import RecordedResource, is_secret
from tests.conftest import ROOT, recorded_stack, stackcheck_json

DOMAIN = "example.org"
TUNNEL_SUBNET = "192.168.255.248/29"
TUNNEL_TOKEN_LOOKUP = "eyJhIjoic3RhY2tjaGVjayIsInQiOiJzdGFja2NoZWNrIiwicyI6InN0YWNrY2hlY2sifQ=="


@pytest.fixture(scope="module")
def tunnel_run() -> Any:
    """The single-server stack as committed: behind a Cloudflare Tunnel."""
    return recorded_stack("single-server")


def named(run: Any, name: str) -> RecordedResource:
    (found,) = [r for r in run.resources if r.name == name]
    return found


def of_type(run: Any, suffix: str) -> list[RecordedResource]:
    return [r for r in run.resources if r.type.endswith(suffix)]


def plain(value: Any) -> Any:
    if is_secret(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def role(resource: RecordedResource) -> str:
    return {label["label"]: label["value"] for label in resource.inputs.get("labels", [])}.get("webstack.role", "")


def mandatory(run: Any, stack: str) -> list[tuple[str, str]]:
    settings = resolve_settings(
        ALL_POLICIES, load_policy_config(ROOT / "policies" / "config" / f"{stack}.json"), PACK_ENFORCEMENT_LEVEL
    )
    _, violations = evaluate(run.resources, ALL_POLICIES, settings)
    return [(v.policy, v.message) for v in violations if v.enforcement_level == "mandatory"]


# -- aws: prod ---------------------------------------------------------------------------------------------------------
def test_prods_waf_counts_the_client_cloudflare_forwards(prod_run: Any) -> None:
    rules = named(prod_run, "edge-waf").inputs["rules"]
    statements = [r["statement"]["rateBasedStatement"] for r in rules if "rateBasedStatement" in r["statement"]]
    assert len(statements) == 3
    for statement in statements:
        assert statement["aggregateKeyType"] == "FORWARDED_IP"
        assert statement["forwardedIpConfig"] == {"headerName": "CF-Connecting-IP", "fallbackBehavior": "MATCH"}
    groups = [
        r["statement"]["managedRuleGroupStatement"]["name"]
        for r in rules
        if "managedRuleGroupStatement" in r["statement"]
    ]
    assert "AWSManagedRulesAmazonIpReputationList" not in groups


def test_prods_zone_is_safe_to_share(prod_run: Any) -> None:
    settings = {r.inputs["settingId"]: r for r in of_type(prod_run, "zoneSetting:ZoneSetting")}
    assert "brotli" not in settings
    assert settings["ssl_automatic_mode"].inputs["value"] == "custom"
    assert settings["ssl_automatic_mode"].urn in settings["ssl"].dependencies
    sts = settings["security_header"].inputs["value"]["strict_transport_security"]
    assert (sts["include_subdomains"], sts["preload"]) == (False, False)
    # app.example.org is one level below example.org: Universal SSL covers it, and not www.app.example.org.
    records = {r.inputs["name"] for r in of_type(prod_run, "dnsRecord:DnsRecord") if r.inputs["proxied"]}
    assert records == {"app.example.org"}


# -- docker behind a tunnel --------------------------------------------------------------------------------------------
def test_the_single_server_stack_passes_behind_a_tunnel(tunnel_run: Any) -> None:
    assert mandatory(tunnel_run, "single-server") == []


def test_the_tunnel_sends_the_site_to_nginx_and_everything_else_to_404(tunnel_run: Any) -> None:
    tunnel = named(tunnel_run, "cdn-tunnel")
    assert tunnel.inputs["configSrc"] == "cloudflare"
    config = named(tunnel_run, "cdn-tunnel-config")
    assert config.property_dependencies["tunnelId"] == [tunnel.urn]
    service = "https://webstack-single-server-edge-nginx:8443"
    origin = {"originServerName": DOMAIN, "caPool": "/etc/cloudflared/origin-ca.pem", "noTlsVerify": False}
    assert config.inputs["config"]["ingresses"] == [
        {"hostname": DOMAIN, "service": service, "originRequest": origin},
        {"hostname": f"www.{DOMAIN}", "service": service, "originRequest": origin},
        {"service": "http_status:404"},
    ]


def test_the_sites_records_point_at_the_tunnel(tunnel_run: Any) -> None:
    tunnel = named(tunnel_run, "cdn-tunnel")
    records = {r.inputs["name"]: r for r in of_type(tunnel_run, "dnsRecord:DnsRecord")}
    assert set(records) == {DOMAIN, f"www.{DOMAIN}"}  # the apex: Universal SSL covers www
    for record in records.values():
        assert record.inputs["type"] == "CNAME"
        assert record.inputs["content"] == f"{tunnel.id}.cfargotunnel.com"
        assert record.inputs["proxied"] is True
        assert record.property_dependencies["content"] == [tunnel.urn]


def test_nothing_publishes_a_port_and_nginx_has_no_route_out(tunnel_run: Any) -> None:
    containers = of_type(tunnel_run, "container:Container")
    nginx_container = named(tunnel_run, "edge-nginx")
    assert nginx_container.inputs["ports"] == []
    assert [n["name"] for n in nginx_container.inputs["networksAdvanced"]] == [
        "webstack-single-server-tunnel",
        "webstack-single-server-app",
    ]
    for container in containers:
        for port in container.inputs.get("ports", []):
            assert port["ip"] in ("127.0.0.1", "::1"), (container.name, port)  # the admin tools, on loopback


def test_the_tunnel_network_is_internal_and_joins_the_connector_and_nginx_only(tunnel_run: Any) -> None:
    network = named(tunnel_run, "network-tunnel")
    assert network.inputs["internal"] is True
    assert network.inputs["ipamConfigs"] == [{"subnet": TUNNEL_SUBNET}]
    members = {
        role(c)
        for c in of_type(tunnel_run, "container:Container")
        if "webstack-single-server-tunnel" in [n["name"] for n in c.inputs.get("networksAdvanced", [])]
    }
    assert members == {"lb", "tunnel"}


def test_the_connector_reads_its_token_from_a_secret_file(tunnel_run: Any) -> None:
    cloudflared = named(tunnel_run, "tunnel-cloudflared")
    assert cloudflared.inputs["command"] == [
        "tunnel", "--metrics", "127.0.0.1:20241", "run", "--token-file", "/etc/cloudflared/token",
    ]  # fmt: skip
    assert cloudflared.inputs["user"] == "65532:65532"
    assert [n["name"] for n in cloudflared.inputs["networksAdvanced"]] == [
        "webstack-single-server-edge",
        "webstack-single-server-tunnel",
    ]
    assert cloudflared.inputs["healthcheck"]["tests"] == [
        "CMD", "cloudflared", "tunnel", "--metrics", "127.0.0.1:20241", "ready",
    ]  # fmt: skip
    seed = named(tunnel_run, "tunnel-cloudflared-seed")
    assert is_secret(seed.inputs["uploads"])
    files = {u["file"]: u for u in plain(seed.inputs["uploads"])}
    assert files["/etc/cloudflared/token"]["content"] == TUNNEL_TOKEN_LOOKUP
    assert files["/etc/cloudflared/token"]["permissions"] == "0400"
    assert TUNNEL_TOKEN_LOOKUP in tunnel_run.secret_values
    envs = [entry for c in of_type(tunnel_run, "container:Container") for entry in c.inputs.get("envs", [])]
    assert not any(TUNNEL_TOKEN_LOOKUP in str(entry) for entry in envs)
    assert TUNNEL_TOKEN_LOOKUP not in json.dumps(tunnel_run.outputs)


def nginx_conf(run: Any) -> tuple[nginx.Directive, ...]:
    files = {u["file"]: u["content"] for u in plain(named(run, "edge-nginx-seed").inputs["uploads"])}
    return nginx.parse(files[CONFIG_FILE])


def test_nginx_believes_cf_connecting_ip_from_the_tunnel_network_only(tunnel_run: Any) -> None:
    (http,) = nginx.find(nginx_conf(tunnel_run), "http")
    assert [d.args for d in http.find("set_real_ip_from")] == [(TUNNEL_SUBNET,)]
    assert [d.args for d in http.find("real_ip_header")] == [("CF-Connecting-IP",)]
    assert {d.args[0] for d in http.find("limit_req_zone")} <= {"$binary_remote_addr", "$limit_api", "$limit_login"}


# -- docker connected directly -----------------------------------------------------------------------------------------
PEM = "-----BEGIN CERTIFICATE-----\nMIIBdirect\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIdirect\n-----END EC PRIVATE KEY-----\n"


@pytest.fixture(scope="module")
def direct_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    """The single-server stack with origin direct: its own stack file and files, in a scratch project."""
    root = tmp_path_factory.mktemp("direct")
    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (root / name).symlink_to(ROOT / name)
    (root / "certs").mkdir()
    for name, text in (("origin-pull-ca.pem", PEM), ("origin.pem", PEM), ("origin.key", KEY)):
        (root / "certs" / name).write_text(text)
    stack = yaml.safe_load((ROOT / "Pulumi.single-server.yaml").read_text())
    config = stack["config"]
    config["webstack:cdn"].update(
        {"origin": "direct", "authenticatedOriginPulls": True, "originPullCaBundle": "certs/origin-pull-ca.pem"}
    )
    config["webstack:docker"].update(
        {
            "publicAddress": "93.184.216.34",
            "tls": {"certificateFile": "certs/origin.pem", "keyFile": "certs/origin.key"},
        }
    )
    (root / "Pulumi.single-server.yaml").write_text(yaml.safe_dump(stack))
    return stackcheck_json("single-server", root=root)


def test_the_single_server_stack_passes_connected_directly(direct_report: tuple[int, dict[str, Any]]) -> None:
    code, doc = direct_report
    assert [v for v in doc["violations"] if v["enforcementLevel"] == "mandatory"] == []
    assert code == 0
    applied = {p["name"]: p["status"] for p in doc["policies"]}
    assert applied["docker-origin-only-through-cloudflare"] == "pass"
    assert applied["docker-nginx-counts-clients-behind-cloudflare"] == "pass"


def test_connected_directly_nginx_publishes_https_alone_and_the_zone_presents_its_certificate(
    direct_report: tuple[int, dict[str, Any]],
) -> None:
    _, doc = direct_report
    resources = {r["name"]: r for r in doc["resources"]}
    assert resources["edge-nginx"]["inputs"]["ports"] == [
        {"internal": 8443, "external": 443, "ip": "0.0.0.0", "protocol": "tcp"}
    ]
    assert not [r for r in doc["resources"] if r["type"].endswith("ZeroTrustTunnelCloudflared")]
    assert resources["cdn-origin-pulls"]["inputs"] == {"zoneId": "0123456789abcdef0123456789abcdef", "enabled": True}
    records = [r for r in doc["resources"] if r["type"].endswith("dnsRecord:DnsRecord")]
    assert {(r["inputs"]["name"], r["inputs"]["type"], r["inputs"]["content"]) for r in records} == {
        (DOMAIN, "A", "93.184.216.34"),
        (f"www.{DOMAIN}", "A", "93.184.216.34"),
    }
