"""The docker platform's Tunnel: the pinned cloudflared container that carries Cloudflare's requests to nginx,
locked down, publishing nothing, with its token delivered as a 0400 secret file and read with --token-file."""

from __future__ import annotations

import pulumi
import pytest

from components.docker.network import DockerNetworks
from components.docker.tunnel import CLOUDFLARED_USER, ORIGIN_CA_FILE, TOKEN_FILE, Tunnel, TunnelArgs
from stackcheck.engine.resources import is_secret
from tests.components.docker_seeds import seeded
from tests.components.docker_support import assert_locked_down, env_of
from tests.conftest import construct, one

IMAGE_ID = "sha256:" + "2" * 64
SEED_IMAGE_ID = "sha256:" + "3" * 64
TOKEN = "eyJhIjoidGVzdCIsInQiOiJ0ZXN0IiwicyI6InRlc3QifQ=="
ORIGIN_CA = "-----BEGIN CERTIFICATE-----\nMIIBorigin\n-----END CERTIFICATE-----\n"


@pytest.fixture(scope="module")
def tunnel() -> Tunnel:
    def factory() -> Tunnel:
        networks = DockerNetworks("tunnel-net", tunnel_subnet="192.168.255.248/29").networks
        return Tunnel(
            "tunnel",
            TunnelArgs(
                networks=networks,
                image=IMAGE_ID,
                token=pulumi.Output.secret(TOKEN),
                origin_ca_pem=ORIGIN_CA,
                seed_image=SEED_IMAGE_ID,
            ),
        )

    return construct(factory)


def test_defaults_are_secure(tunnel: Tunnel) -> None:
    cloudflared = one("tunnel-cloudflared")
    inputs = cloudflared.inputs
    assert_locked_down(inputs, CLOUDFLARED_USER)
    assert inputs["image"] == IMAGE_ID
    assert inputs["ports"] == []
    assert {label["label"]: label["value"] for label in inputs["labels"]}["webstack.role"] == "tunnel"
    assert [n["name"] for n in inputs["networksAdvanced"]] == ["webstack-test-edge", "webstack-test-tunnel"]
    assert inputs["command"] == ["tunnel", "--metrics", "127.0.0.1:20241", "run", "--token-file", TOKEN_FILE]
    assert inputs["healthcheck"]["tests"] == ["CMD", "cloudflared", "tunnel", "--metrics", "127.0.0.1:20241", "ready"]
    assert all(TOKEN not in entry for entry in env_of(cloudflared).values())
    assert TOKEN not in " ".join(inputs["command"])


def test_the_token_and_the_origins_ca_arrive_as_files(tunnel: Tunnel) -> None:
    # cloudflared's image is distroless: the seed runs `true` from another image.
    seed = seeded(one("tunnel-cloudflared"), seed_image=SEED_IMAGE_ID)
    assert is_secret(seed.inputs["uploads"])  # a secret list: it holds the token
    files = {u["file"]: u for u in seed.inputs["uploads"]["value"]}
    token = files[TOKEN_FILE]
    assert token["permissions"] == "0400"
    assert (token["owner"], token["group"]) == ("65532", "65532")
    assert token["content"] == TOKEN
    assert files[ORIGIN_CA_FILE]["content"] == ORIGIN_CA


def test_a_tunnel_needs_the_tunnel_network() -> None:
    def factory() -> None:
        networks = DockerNetworks("tunnel-none-net").networks
        Tunnel("tunnel-none", TunnelArgs(networks, IMAGE_ID, "t", ORIGIN_CA, SEED_IMAGE_ID))

    with pytest.raises(ValueError, match="the networks have no tunnel network"):
        construct(factory)
