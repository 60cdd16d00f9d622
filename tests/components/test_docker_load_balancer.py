"""The docker platform's LoadBalancer: one hardened nginx container, the only public ports, its certificate (files
or self-signed) and nginx.conf delivered into a config volume by the container's seed, the key as a secret."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_docker as docker
import pytest

from components.docker.load_balancer import LoadBalancer, LoadBalancerArgs, site_url
from components.docker.network import Network, NetworkArgs
from components.docker.nginx import CERTIFICATE_FILE, CLIENT_CA_FILE, CONFIG_DIR, CONFIG_FILE, KEY_FILE, Upstream
from components.docker.platform import load_balancer_args
from components.settings import Settings
from stackcheck.engine.resources import RecordedResource, is_secret
from tests.components.docker_seeds import REVISION_ENV, seeded
from tests.components.docker_support import DOMAIN, assert_locked_down, prod_settings
from tests.conftest import construct, one, registered

IMAGE_ID = "sha256:" + "1" * 64
FRONTEND = Upstream("web-frontend:3000", ["web-frontend-1:3000", "web-frontend-2:3000"])
BACKEND = Upstream("web-backend:8000", ["web-backend-1:8000"])

CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED = "tls:index/selfSignedCert:SelfSignedCert"

CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----\nMIIBprovided\n-----END CERTIFICATE-----\n"
KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIprovidedkey\n-----END EC PRIVATE KEY-----\n"


def on(network: Network, settings: Settings, **extra: Any) -> LoadBalancerArgs:
    """The stack's load balancer Args for ``settings``, on ``network``'s networks."""
    return load_balancer_args(
        settings,
        IMAGE_ID,
        (FRONTEND, BACKEND),
        edge_network=network.edge_network,
        app_network=network.app_network,
        tunnel_network=network.tunnel_network,
        **extra,
    )


def load_balancer(name: str, settings: Settings | None = None) -> LoadBalancer:
    """A load balancer named ``name`` on networks of its own (``<name>-net-*``)."""

    def factory() -> LoadBalancer:
        network = Network(f"{name}-net", NetworkArgs())
        return LoadBalancer(name, on(network, settings or prod_settings()))

    return construct(factory)


def resolved(output: pulumi.Output[Any]) -> Any:
    return construct(lambda: output_value(output))


def output_value(output: pulumi.Output[Any]) -> Any:
    found: dict[str, Any] = {}
    output.apply(lambda value: found.setdefault("value", value))
    return found


def uploads(resource: RecordedResource) -> dict[str, dict[str, Any]]:
    """The files the seed delivers to the container, by path; the list is registered as a secret since it holds the
    key. The read-only container itself carries none (checked by :func:`seeded`)."""
    seed = seeded(resource)
    assert is_secret(seed.inputs["uploads"])
    return {upload["file"]: upload for upload in seed.inputs["uploads"]["value"]}


def test_defaults_are_secure() -> None:
    load_balancer("lb-default")
    nginx = one("lb-default-nginx")
    inputs = nginx.inputs
    assert nginx.type == CONTAINER
    assert_locked_down(inputs, "101:101")
    assert inputs["memory"] == 256
    assert float(inputs["cpus"]) > 0
    assert inputs["image"] == IMAGE_ID
    assert inputs["healthcheck"]["tests"] == ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]
    assert {label["label"]: label["value"] for label in inputs["labels"]}["webstack.role"] == "lb"
    # Only 80 and 443, on the configured address, mapped to the unprivileged ports.
    assert sorted((p["internal"], p["external"], p["ip"], p["protocol"]) for p in inputs["ports"]) == [
        (8080, 80, "0.0.0.0", "tcp"),
        (8443, 443, "0.0.0.0", "tcp"),
    ]
    assert [n["name"] for n in inputs["networksAdvanced"]] == ["webstack-test-edge", "webstack-test-app"]
    # Its files come from its seed: no uploads of its own, only the seed's id in the environment.
    seed = one("lb-default-nginx-seed")
    assert inputs["uploads"] == []
    assert inputs["envs"] == [f"{REVISION_ENV}={seed.id}"]
    assert seed.urn in nginx.dependencies
    mounts = {mount["target"]: mount for mount in inputs["mounts"]}
    assert mounts["/tmp"]["type"] == "tmpfs"
    assert mounts[CONFIG_DIR] == {"target": CONFIG_DIR, "type": "volume", "source": "webstack-test-lb-default-config"}
    assert inputs["entrypoints"] == ["nginx"]
    assert inputs["command"] == ["-c", CONFIG_FILE, "-g", "daemon off;"]


def test_a_seed_without_network_or_privileges_delivers_the_files() -> None:
    load_balancer("lb-seed")
    nginx = one("lb-seed-nginx")
    seed = seeded(nginx)
    inputs = seed.inputs
    assert inputs["networkMode"] == "none"
    assert inputs["networksAdvanced"] == []
    assert inputs["ports"] == []  # only the service publishes 80 and 443
    assert inputs["capabilities"] == {"drops": ["ALL"], "adds": []}
    assert inputs["user"] == nginx.inputs["user"] == "101:101"
    assert inputs["mustRun"] is False
    assert inputs["restart"] == "no"
    assert inputs["entrypoints"] == ["true"]
    assert inputs["image"] == IMAGE_ID  # the unprivileged nginx image is Alpine-based: BusyBox has `true`
    assert inputs["mounts"] == [{"target": CONFIG_DIR, "type": "volume", "source": "webstack-test-lb-seed-config"}]
    assert {label["label"]: label["value"] for label in inputs["labels"]}["webstack.role"] == "lb-seed"
    # The files belong to nginx's uid and gid, so that the 0400 key is readable by nginx alone.
    assert {(u["owner"], u["group"]) for u in inputs["uploads"]["value"]} == {("101", "101")}


def test_the_config_volume_is_labelled_and_disposable() -> None:
    load_balancer("lb-volume")
    volume = one("lb-volume-config")
    assert volume.type == VOLUME
    assert {label["label"]: label["value"] for label in volume.inputs["labels"]} == {
        "webstack.role": "lb",
        "webstack.stack": "test",
    }
    assert volume.protect is False  # it holds nothing the next deployment does not upload again
    # The seed fills the volume and nginx reads it: both mount it, and nothing else holds the files.
    for name in ("lb-volume-nginx", "lb-volume-nginx-seed"):
        mounts = {m["target"]: m["source"] for m in one(name).inputs["mounts"] if m["type"] == "volume"}
        assert mounts == {CONFIG_DIR: "webstack-test-lb-volume-config"}, name


def test_nginx_conf_certificate_and_key_are_uploaded_into_the_config_volume() -> None:
    lb = load_balancer("lb-files")
    files = uploads(one("lb-files-nginx"))
    assert set(files) == {CONFIG_FILE, CERTIFICATE_FILE, KEY_FILE}
    assert all(path.startswith(f"{CONFIG_DIR}/") for path in files)
    assert files[CONFIG_FILE]["content"] == lb.config
    assert "default http://web-frontend:3000;" in lb.config
    assert "default http://web-backend:8000;" in lb.config
    assert files[KEY_FILE]["permissions"] == "0400"
    assert files[KEY_FILE]["content"].startswith("-----BEGIN PRIVATE KEY-----")
    assert files[CERTIFICATE_FILE]["content"].startswith("-----BEGIN CERTIFICATE-----")
    assert files[CONFIG_FILE]["permissions"] == "0444"


def test_without_certificate_files_a_self_signed_certificate_is_made() -> None:
    lb = load_balancer("lb-selfsigned")
    key = one("lb-selfsigned-key")
    assert key.type == PRIVATE_KEY
    assert key.inputs == {"algorithm": "ECDSA", "ecdsaCurve": "P256"}
    cert = one("lb-selfsigned-certificate")
    assert cert.type == SELF_SIGNED
    assert cert.inputs["dnsNames"] == [DOMAIN, f"www.{DOMAIN}"]
    assert cert.inputs["subject"]["commonName"] == DOMAIN
    assert cert.inputs["validityPeriodHours"] == 90 * 24
    assert 0 < cert.inputs["earlyRenewalHours"] < 90 * 24
    assert cert.inputs["allowedUses"] == ["digital_signature", "server_auth"]
    assert cert.inputs["isCaCertificate"] is False
    assert is_secret(cert.inputs["privateKeyPem"])
    pem = resolved(lb.certificate_pem)["value"]
    assert pem == uploads(one("lb-selfsigned-nginx"))[CERTIFICATE_FILE]["content"]


def test_certificate_files_replace_the_self_signed_certificate(tmp_path: Path) -> None:
    certificate, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    certificate.write_text(CERTIFICATE_PEM)
    key.write_text(KEY_PEM)
    settings = prod_settings(docker={"tls": {"certificateFile": str(certificate), "keyFile": str(key)}})
    lb = load_balancer("lb-provided", settings)
    assert registered("lb-provided", PRIVATE_KEY) == []
    assert registered("lb-provided", SELF_SIGNED) == []
    files = uploads(one("lb-provided-nginx"))
    assert files[CERTIFICATE_FILE]["content"] == CERTIFICATE_PEM
    assert files[KEY_FILE]["content"] == KEY_PEM
    assert files[KEY_FILE]["permissions"] == "0400"
    assert resolved(lb.certificate_pem)["value"] == CERTIFICATE_PEM


def test_files_that_are_not_pem_are_refused(tmp_path: Path) -> None:
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    certificate.write_text("not a certificate")
    key.write_text(KEY_PEM)
    settings = prod_settings(docker={"tls": {"certificateFile": str(certificate), "keyFile": str(key)}})
    with pytest.raises(ValueError, match="holds no PEM certificate"):
        load_balancer("lb-bad-cert", settings)
    certificate.write_text(CERTIFICATE_PEM)
    key.write_text("secret-but-not-a-key")
    with pytest.raises(ValueError, match="holds no PEM private key") as caught:
        load_balancer("lb-bad-key", settings)
    assert "secret-but-not-a-key" not in str(caught.value)


def test_ports_and_bind_address_follow_the_settings() -> None:
    settings = prod_settings(docker={"httpPort": 8081, "httpsPort": 8444, "bindAddress": "192.0.2.10"})
    lb = load_balancer("lb-ports", settings)
    ports = one("lb-ports-nginx").inputs["ports"]
    assert sorted((p["internal"], p["external"], p["ip"]) for p in ports) == [
        (8080, 8081, "192.0.2.10"),
        (8443, 8444, "192.0.2.10"),
    ]
    assert lb.url == f"https://{DOMAIN}:8444"
    assert "return 301 https://$host:8444$request_uri;" in lb.config


def test_the_url_names_the_port_only_when_it_is_not_443() -> None:
    def args(**fields: Any) -> LoadBalancerArgs:
        return LoadBalancerArgs(DOMAIN, IMAGE_ID, "edge", "app", FRONTEND, BACKEND, **fields)

    assert site_url(args()) == f"https://{DOMAIN}"
    assert site_url(args(https_port=443)) == f"https://{DOMAIN}"
    assert site_url(args(https_port=8443)) == f"https://{DOMAIN}:8443"


def test_stickiness_reaches_nginx() -> None:
    lb = load_balancer("lb-sticky", prod_settings(web={"stickiness": True}))
    assert lb.config.count("split_clients $remote_addr") == 2


def test_the_container_waits_for_what_it_depends_on() -> None:
    def factory() -> LoadBalancer:
        network = Network("lb-after-net", NetworkArgs())
        web = [docker.Container(f"lb-after-web-{n}", image=IMAGE_ID) for n in (1, 2)]  # stand in for the web tier
        args = on(network, prod_settings(), depends_on=web)
        return LoadBalancer("lb-after", args)

    construct(factory)
    web_containers = {resource.urn for resource in registered("lb-after-web-")}
    assert len(web_containers) == 2
    assert web_containers <= set(one("lb-after-nginx").dependencies)


# -- behind Cloudflare -------------------------------------------------------------------------------------------------
ZONE = "0123456789abcdef0123456789abcdef"
ACCOUNT = "89abcdef0123456789abcdef01234567"
TUNNEL_SUBNET = "192.168.255.248/29"
CLOUDFLARE = ["173.245.48.0/20", "2400:cb00::/32"]


def behind_cloudflare(name: str, settings: Settings, ranges: list[str] | None = None) -> LoadBalancer:
    """A load balancer behind Cloudflare, on networks with the tunnel network."""

    def factory() -> LoadBalancer:
        network = Network(f"{name}-net", NetworkArgs(tunnel_subnet=settings.docker.tunnel_subnet))
        args = on(network, settings, cloudflare_ranges=ranges or [])
        return LoadBalancer(name, args)

    return construct(factory)


def test_behind_a_tunnel_nginx_publishes_nothing_and_joins_only_the_tunnel_and_app_networks() -> None:
    settings = prod_settings(cdn={"enabled": True, "zoneId": ZONE, "plan": "business", "accountId": ACCOUNT})
    lb = behind_cloudflare("lb-tunnel", settings)
    nginx = one("lb-tunnel-nginx")
    assert nginx.inputs["ports"] == []
    assert [n["name"] for n in nginx.inputs["networksAdvanced"]] == [
        "webstack-test-tunnel",
        "webstack-test-app",
    ]
    tunnel_network = one("lb-tunnel-net-tunnel")
    assert tunnel_network.inputs["internal"] is True
    assert tunnel_network.inputs["ipamConfigs"] == [{"subnet": TUNNEL_SUBNET}]
    assert f"set_real_ip_from {TUNNEL_SUBNET};" in lb.config
    assert lb.origin_url == "https://webstack-test-lb-tunnel-nginx:8443"
    assert lb.url == f"https://{DOMAIN}"


def test_connected_directly_nginx_publishes_https_only_and_requires_cloudflares_certificate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, text in (("ca.pem", CERTIFICATE_PEM), ("origin.pem", CERTIFICATE_PEM), ("origin.key", KEY_PEM)):
        (tmp_path / name).write_text(text)
    settings = prod_settings(
        cdn={"enabled": True, "zoneId": ZONE, "plan": "business", "origin": "direct",
             "authenticatedOriginPulls": True, "originPullCaBundle": "ca.pem"},
        docker={"publicAddress": "93.184.216.34", "tls": {"certificateFile": "origin.pem", "keyFile": "origin.key"}},
    )  # fmt: skip
    lb = behind_cloudflare("lb-direct", settings, CLOUDFLARE)
    nginx = one("lb-direct-nginx")
    assert [(p["internal"], p["external"], p["ip"]) for p in nginx.inputs["ports"]] == [(8443, 443, "0.0.0.0")]
    assert [n["name"] for n in nginx.inputs["networksAdvanced"]] == [
        "webstack-test-edge",
        "webstack-test-app",
    ]
    files = uploads(nginx)
    assert files[CLIENT_CA_FILE]["content"] == CERTIFICATE_PEM
    assert files[CLIENT_CA_FILE]["permissions"] == "0444"
    assert "ssl_verify_client on;" in lb.config
    for cidr in CLOUDFLARE:
        assert f"set_real_ip_from {cidr};" in lb.config


def test_the_args_alone_are_secure_and_match_the_stacks_defaults() -> None:
    """Without the stack: the required Args alone give the same nginx.conf as the stack's default settings (TLS
    1.2+, HSTS, the security headers, the guides' rate limits), a self-signed certificate and the key as a secret."""

    def factory() -> LoadBalancer:
        network = Network("lb-bare-net", NetworkArgs())
        args = LoadBalancerArgs(DOMAIN, IMAGE_ID, network.edge_network, network.app_network, FRONTEND, BACKEND)
        return LoadBalancer("lb-bare", args)

    lb = construct(factory)
    stack = load_balancer("lb-stack")
    assert lb.config == stack.config
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in lb.config
    assert "add_header Strict-Transport-Security max-age=31536000 always;" in lb.config
    nginx = one("lb-bare-nginx")
    assert_locked_down(nginx.inputs, "101:101")
    assert sorted((p["internal"], p["external"], p["ip"]) for p in nginx.inputs["ports"]) == [
        (8080, 80, "0.0.0.0"),
        (8443, 443, "0.0.0.0"),
    ]
    assert one("lb-bare-key").type == PRIVATE_KEY
    assert uploads(nginx)[KEY_FILE]["permissions"] == "0400"


def test_a_certificate_needs_its_key() -> None:
    def factory() -> LoadBalancer:
        args = LoadBalancerArgs(DOMAIN, IMAGE_ID, "edge", "app", FRONTEND, BACKEND, certificate_pem=CERTIFICATE_PEM)
        return LoadBalancer("lb-no-key", args)

    with pytest.raises(ValueError, match=r"LoadBalancerArgs\.certificate_pem and LoadBalancerArgs\.private_key_pem go"):
        construct(factory)
