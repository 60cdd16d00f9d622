"""What the data tier on docker shares: an internal certificate authority, generated credentials, and the config
volumes that carry each container's files.

**The internal CA.** :class:`InternalCa` is a self-signed CA (``tls.PrivateKey`` + ``tls.SelfSignedCert``, ten years)
that issues one server certificate per TLS server (``tls.CertRequest`` + ``tls.LocallySignedCert``, one year, renewed
by ``pulumi up`` in its last 30 days). Its certificate is the ``ca_pem`` of the endpoints: clients verify the servers'
names against it (``sslmode=verify-full``, ``ssl-mode=VERIFY_IDENTITY``, the CA file of mc). Its private key lives in
the stack's state only, as a secret. One CA per stack is enough: create it once and pass it to every component
(``ca=``); a component given none creates its own.

**Credentials** are ``random.RandomPassword`` values (:func:`generated_secret`), at least 32 characters, letters and
digits only: every consumer here (SQL literals, ``.pgpass``, ``my.cnf``, URLs for mc) takes them unquoted. They leave
Pulumi only as secret uploads.

**Files.** Every data-tier container receives its files (configuration, certificates, secrets, scripts) under
:data:`CONFIG_DIR`, a small config volume of its own (:func:`configured_container`). Its root filesystem stays
read-only: :func:`components.docker.common.container` has a seed container deliver the uploads into that volume, owned
by the container's user. Secrets and keys are 0400, everything else 0440. The config volume holds nothing that a new
deployment does not write again, so it is not protected (its ``webstack.role`` is ``config-<role>``).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pulumi
import pulumi_docker as docker
import pulumi_random as random
import pulumi_tls as tls

from .common import ContainerSpec, Upload, container, container_name, labelled_volume

CA_TYPE = "webstack:docker:InternalCa"
#: Where every data-tier container finds its delivered files (configuration, certificates, secrets, scripts).
CONFIG_DIR = "/etc/webstack"
#: The CA's life; its key never leaves the state.
CA_VALIDITY_HOURS = 10 * 365 * 24
#: Server certificates: one year, renewed by the first ``pulumi up`` in their last 30 days.
SERVER_VALIDITY_HOURS = 365 * 24
EARLY_RENEWAL_HOURS = 30 * 24
#: Length of every generated password (letters and digits: about 238 bits).
PASSWORD_LENGTH = 40


def config_path(*parts: str) -> str:
    """A path under :data:`CONFIG_DIR`."""
    return "/".join((CONFIG_DIR, *parts))


#: Where a TLS server finds the CA, its certificate and its key (:func:`tls_uploads`), and a client the CA.
CA_FILE = config_path("tls", "ca.crt")
CERT_FILE = config_path("tls", "server.crt")
KEY_FILE = config_path("tls", "server.key")


@dataclass(frozen=True)
class ServerCertificate:
    """A TLS server's certificate, its key (a secret) and the CA that signed it."""

    cert_pem: pulumi.Output[str]
    key_pem: pulumi.Output[str]
    ca_pem: pulumi.Output[str]


@dataclass(frozen=True)
class InternalCaArgs:
    """Inputs of :class:`InternalCa`."""

    validity_period_hours: int | None = None
    """How long the CA certificate is valid (hours). Default (None): ten years (:data:`CA_VALIDITY_HOURS`);
    ``pulumi up`` renews it in its last 30 days."""


class InternalCa(pulumi.ComponentResource):
    """A private certificate authority for the servers on the data network."""

    cert_pem: pulumi.Output[str]
    """The CA certificate (PEM): what clients trust."""

    def __init__(self, name: str, args: InternalCaArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        hours = args.validity_period_hours if args.validity_period_hours is not None else CA_VALIDITY_HOURS
        if hours <= EARLY_RENEWAL_HOURS:
            raise ValueError(f"InternalCaArgs.validity_period_hours must be over {EARLY_RENEWAL_HOURS}, got {hours}")
        super().__init__(CA_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        key = tls.PrivateKey(f"{name}-key", algorithm="ECDSA", ecdsa_curve="P384", opts=child)
        self._key_pem = pulumi.Output.secret(key.private_key_pem)
        cert = tls.SelfSignedCert(
            f"{name}-cert",
            private_key_pem=self._key_pem,
            is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(
                common_name=f"{pulumi.get_project()} {pulumi.get_stack()} internal CA",
                organization=pulumi.get_project(),
            ),
            validity_period_hours=hours,
            early_renewal_hours=EARLY_RENEWAL_HOURS,
            allowed_uses=["cert_signing", "crl_signing", "digital_signature"],
            opts=child,
        )
        self.cert_pem = cert.cert_pem
        self.register_outputs({"certPem": self.cert_pem})

    @property
    def key_pem(self) -> pulumi.Output[str]:
        """The CA's private key (a secret): what signs the servers' certificates (:func:`issue_certificate`)."""
        return self._key_pem

    def issue(
        self,
        name: str,
        dns_names: Sequence[str],
        parent: pulumi.Resource,
        ip_addresses: Sequence[str] = ("127.0.0.1",),
    ) -> ServerCertificate:
        """A server certificate for ``dns_names`` signed by this CA (see :func:`issue_certificate`)."""
        return issue_certificate(name, dns_names, self.cert_pem, self._key_pem, parent, ip_addresses)


def issue_certificate(
    name: str,
    dns_names: Sequence[str],
    ca_cert_pem: pulumi.Input[str],
    ca_key_pem: pulumi.Input[str],
    parent: pulumi.Resource,
    ip_addresses: Sequence[str] = ("127.0.0.1",),
) -> ServerCertificate:
    """A server certificate for ``dns_names`` (the first is the subject) signed by the CA given by its certificate
    and key, its resources children of ``parent``."""
    if not dns_names:
        raise ValueError(f"certificate {name} needs at least one DNS name")
    child = pulumi.ResourceOptions(parent=parent)
    key = tls.PrivateKey(f"{name}-tls-key", algorithm="ECDSA", ecdsa_curve="P256", opts=child)
    key_pem = pulumi.Output.secret(key.private_key_pem)
    request = tls.CertRequest(
        f"{name}-tls-csr",
        private_key_pem=key_pem,
        subject=tls.CertRequestSubjectArgs(common_name=dns_names[0], organization=pulumi.get_project()),
        dns_names=list(dns_names),
        ip_addresses=list(ip_addresses),
        opts=child,
    )
    cert = tls.LocallySignedCert(
        f"{name}-tls-cert",
        cert_request_pem=request.cert_request_pem,
        ca_private_key_pem=pulumi.Output.secret(ca_key_pem),
        ca_cert_pem=ca_cert_pem,
        validity_period_hours=SERVER_VALIDITY_HOURS,
        early_renewal_hours=EARLY_RENEWAL_HOURS,
        allowed_uses=["digital_signature", "key_encipherment", "server_auth"],
        opts=child,
    )
    return ServerCertificate(cert_pem=cert.cert_pem, key_pem=key_pem, ca_pem=pulumi.Output.from_input(ca_cert_pem))


def tls_uploads(cert: ServerCertificate) -> list[Upload]:
    """A TLS server's files: the CA and its certificate (0440), and its key (0400, a secret)."""
    return [
        Upload(CA_FILE, cert.ca_pem, "0440"),
        Upload(CERT_FILE, cert.cert_pem, "0440"),
        Upload(KEY_FILE, pulumi.Output.secret(cert.key_pem), "0400"),
    ]


def server_names(alias: str, name: str) -> list[str]:
    """The names a server answers to: its alias on the data network, its container name, and localhost (its own
    health checks)."""
    return [alias, container_name(name), "localhost"]


def generated_secret(name: str, opts: pulumi.ResourceOptions, length: int = PASSWORD_LENGTH) -> pulumi.Output[str]:
    """A generated password (letters and digits), as a secret."""
    if length < 32:
        raise ValueError(f"generated secret {name} must be at least 32 characters, got {length}")
    password = random.RandomPassword(
        name, length=length, special=False, min_lower=4, min_upper=4, min_numeric=4, opts=opts
    )
    return pulumi.Output.secret(password.result)


def generated_access_key(name: str, opts: pulumi.ResourceOptions, length: int = 20) -> pulumi.Output[str]:
    """A generated S3 access key (an account name: 20 uppercase letters and digits, as AWS's), kept as a secret too."""
    key = random.RandomPassword(name, length=length, special=False, lower=False, min_upper=4, min_numeric=4, opts=opts)
    return pulumi.Output.secret(key.result)


def sql_identifier(text: str) -> str:
    """``text`` as an unquoted SQL identifier / replication slot name: lowercase letters, digits and ``_``."""
    cleaned = re.sub(r"[^a-z0-9_]", "_", text.lower())
    return cleaned if cleaned[:1].isalpha() else f"s_{cleaned}"


def config_volume(name: str, role: str, opts: pulumi.ResourceOptions) -> docker.Volume:
    """The config volume of the container ``name``: regenerated files only, so not protected."""
    return labelled_volume(f"{name}-config", f"config-{role}", opts)


def configured_container(name: str, spec: ContainerSpec, opts: pulumi.ResourceOptions) -> docker.Container:
    """``spec`` as a container with a config volume at :data:`CONFIG_DIR` that receives all its uploads."""
    outside = [upload.path for upload in spec.uploads if not upload.path.startswith(CONFIG_DIR + "/")]
    if outside:
        raise ValueError(f"container {name}: uploads must be under {CONFIG_DIR}, got {outside}")
    if CONFIG_DIR in spec.volumes:
        raise ValueError(f"container {name}: {CONFIG_DIR} is the config volume's mount point")
    volume = config_volume(name, spec.role, opts)
    return container(name, replace(spec, volumes={**spec.volumes, CONFIG_DIR: volume}), opts)
