"""The one mock implementation: realistic provider answers and a monitor that records every registration.

``install(...)`` configures the Pulumi runtime for an offline run: the stack's configuration, :class:`CloudMocks`
(which answers resource registrations with provider-shaped outputs, ids, ARNs and names with the random suffix the
engine would add, and answers the lookups the program makes) and :class:`RecordingMonitor`, which sees each
RegisterResource request in full: parent, dependencies, property dependencies, protect, provider and options, the
same facts the engine hands to CrossGuard. The tests use exactly this module through ``tests/conftest.py``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
import pulumi.runtime
from google.protobuf import json_format
from pulumi.runtime.mocks import MockMonitor

from policies.rules.cdn import CLOUDFLARE_RANGES
from stackcheck.engine.cloud import (
    ACCOUNT_ID,
    ARN_SERVICES,
    EC2_ARN_WORDS,
    ELB_ACCOUNTS,
    ID_PREFIXES,
    PARTITION,
    SHAPES,
    availability_zones,
    stable_digest,
)
from stackcheck.engine.resources import ROOT_STACK_TYPE, RecordedResource, Recorder, marked_secret


class MissingMock(LookupError):
    """The program made a lookup the mocks cannot answer realistically: failing beats answering nonsense."""


class CloudMocks(pulumi.runtime.Mocks):
    """Provider-shaped answers for resources and lookups."""

    def __init__(self, default_region: str) -> None:
        self.default_region = default_region
        self.provider_regions: dict[str, str] = {}
        self._local = threading.local()

    # -- resources -------------------------------------------------------------------------------------------------
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self._local.inputs = args.inputs
        inputs: dict[str, Any] = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", inputs
        if not args.custom:
            return "", {}
        region = inputs.get("region") if isinstance(inputs.get("region"), str) else None
        region = region or self.region_of(args.provider or "")
        return self._answer(args.typ, args.name, inputs, region)

    def last_inputs(self) -> dict[str, Any]:
        """The inputs of the registration this thread just answered."""
        return getattr(self._local, "inputs", {})

    def region_of(self, provider: str) -> str:
        urn = provider.rsplit("::", 1)[0] if provider else ""
        return self.provider_regions.get(urn, self.default_region)

    def _answer(self, typ: str, name: str, inputs: dict[str, Any], region: str) -> tuple[str, dict[str, Any]]:
        package = typ.split(":", 1)[0]
        state = dict(inputs)
        token = stable_digest(typ, name)
        if package == "cloudflare":
            state.setdefault("name", inputs.get("name", name))
            if typ == "cloudflare:index/zeroTrustTunnelCloudflared:ZeroTrustTunnelCloudflared":
                # Tunnels are named by a UUID (their records point at <uuid>.cfargotunnel.com).
                hex_id = token[:32].ljust(32, "0")
                return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}", state
            return token[:32].ljust(32, "0"), state
        if package == "docker":
            return self._docker(typ, name, state, token)
        if package == "tls":
            return self._tls(typ, name, state)
        if package == "random":
            # Generated values: deterministic here; pulumi-random marks them secret.
            state.setdefault("result", stable_digest(typ, name, "result", length=int(inputs.get("length", 32))))
            state.setdefault("bcryptHash", "$2a$10$" + stable_digest(typ, name, "bcrypt", length=53))
            return f"{name}-{token[:8]}", state
        if package == "command":
            state.setdefault("stdout", "")
            state.setdefault("stderr", "")
            return f"{name}-{token[:8]}", state
        physical = inputs.get("name") if isinstance(inputs.get("name"), str) else f"{name}-{token[:7]}"
        state.setdefault("name", physical)
        state.setdefault("region", region)
        resource_id = f"{ID_PREFIXES[typ]}-{token}" if typ in ID_PREFIXES else f"{name}-{token[:12]}"
        module = typ.split(":")[1].split("/")[0]
        arn = f"arn:{PARTITION}:{ARN_SERVICES.get(module, module)}:{region}:{ACCOUNT_ID}"
        shape = SHAPES.get(typ)
        if shape is not None:
            facts = {"physical": str(physical), "token": token, "arn": arn, "region": region, "name": name, "typ": typ}
            resource_id = shape(state, inputs, **facts) or resource_id
        elif typ in ID_PREFIXES:
            state["arn"] = (
                f"arn:{PARTITION}:ec2:{region}:{ACCOUNT_ID}:{EC2_ARN_WORDS.get(typ, 'resource')}/{resource_id}"
            )
            state["ownerId"] = ACCOUNT_ID
        else:
            state.setdefault("arn", f"{arn}:{typ.rsplit(':', 1)[-1].lower()}/{physical}")
        return resource_id, state

    def _docker(self, typ: str, name: str, state: dict[str, Any], token: str) -> tuple[str, dict[str, Any]]:
        if typ == "docker:index/image:Image":
            image_name = str(state.get("imageName", name))
            repository = image_name.rsplit(":", 1)[0] if ":" in image_name.rsplit("/", 1)[-1] else image_name
            # Pushed: the manifest's digest in the registry; kept on the host (skipPush): the local image id
            # (pulumi-docker, Image.repo_digest).
            digest = f"sha256:{stable_digest(typ, name, length=64)}"
            state["repoDigest"] = digest if state.get("skipPush") else f"{repository}@{digest}"
            state.setdefault("baseImageName", image_name)
            return f"sha256:{stable_digest(typ, name, length=64)}", state
        if typ == "docker:index/remoteImage:RemoteImage":
            reference = str(state.get("name", name))
            repository = reference.split("@", 1)[0]
            repository = repository.rsplit(":", 1)[0] if ":" in repository.rsplit("/", 1)[-1] else repository
            image_id = f"sha256:{stable_digest(typ, name, length=64)}"
            state.setdefault("imageId", image_id)
            state.setdefault("repoDigest", f"{repository}@sha256:{stable_digest(typ, name, 'digest', length=64)}")
            return f"{image_id}{reference}", state
        if typ in ("docker:index/network:Network", "docker:index/volume:Volume"):
            state.setdefault("name", name)
            if typ == "docker:index/volume:Volume":
                state.setdefault("driver", "local")
                state.setdefault("mountpoint", f"/var/lib/docker/volumes/{state['name']}/_data")
            return stable_digest(typ, name, length=64), state
        if typ == "docker:index/container:Container":
            state.setdefault("name", name)
            state.setdefault("exitCode", 0)
            state.setdefault("networkDatas", [])
            return stable_digest(typ, name, length=64), state
        return f"{name}-{token[:12]}", state

    def _tls(self, typ: str, name: str, state: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Placeholder PEM text (not real keys): enough for templates that embed it."""

        def pem(kind: str, *parts: str) -> str:
            body = stable_digest(typ, name, *parts, length=64)
            return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"

        if typ == "tls:index/privateKey:PrivateKey":
            state.setdefault("privateKeyPem", pem("PRIVATE KEY", "private"))
            state.setdefault("privateKeyOpenssh", pem("OPENSSH PRIVATE KEY", "openssh"))
            state.setdefault("publicKeyPem", pem("PUBLIC KEY", "public"))
        elif typ in ("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"):
            state.setdefault("certPem", pem("CERTIFICATE", "cert"))
            state.setdefault("validityStartTime", "2026-01-01T00:00:00Z")
            state.setdefault("validityEndTime", "2027-01-01T00:00:00Z")
        elif typ == "tls:index/certRequest:CertRequest":
            state.setdefault("certRequestPem", pem("CERTIFICATE REQUEST", "csr"))
        return f"{name}-{stable_digest(typ, name, length=12)}", state

    # -- lookups ---------------------------------------------------------------------------------------------------
    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return self._lookup(args), []

    def _lookup(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        region = args.args.get("region") if isinstance(args.args.get("region"), str) else None
        region = region or self.region_of(args.provider or "")
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = availability_zones(region)
            return {
                "id": region,
                "names": [name for name, _ in zones],
                "zoneIds": [zone_id for _, zone_id in zones],
                "groupNames": [region] * len(zones),
            }
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": ACCOUNT_ID,
                "accountId": ACCOUNT_ID,
                "arn": f"arn:{PARTITION}:sts::{ACCOUNT_ID}:assumed-role/deployer/stackcheck",
                "userId": "AROAEXAMPLEDEPLOYER:stackcheck",
            }
        if token == "aws:index/getPartition:getPartition":
            return {
                "id": PARTITION,
                "partition": PARTITION,
                "dnsSuffix": "amazonaws.com",
                "reverseDnsPrefix": "com.amazonaws",
            }
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "region": region, "name": region, "endpoint": f"ec2.{region}.amazonaws.com"}
        if token == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
            registry = f"{ACCOUNT_ID}.dkr.ecr.{region}.amazonaws.com"
            return {
                "id": region,
                "authorizationToken": "QVdTOnN0YWNrY2hlY2stcmVnaXN0cnktdG9rZW4=",
                "userName": "AWS",
                "password": "stackcheck-registry-token",
                "proxyEndpoint": f"https://{registry}",
                "expiresAt": "2030-01-01T00:00:00Z",
            }
        if token == "aws:route53/getZone:getZone":
            # A public hosted zone the account created beforehand (webstack:web.hostedZone), as Route 53 names it.
            zone = str(args.args.get("name", "")).rstrip(".")
            zone_id = "Z" + stable_digest(ACCOUNT_ID, zone, length=20).upper()
            return {
                "id": zone_id,
                "zoneId": zone_id,
                "name": zone,
                "arn": f"arn:{PARTITION}:route53:::hostedzone/{zone_id}",
                "privateZone": bool(args.args.get("privateZone", False)),
                "nameServers": [f"ns-{n}.awsdns-{n:02d}.org" for n in (101, 202, 303, 404)],
                "resourceRecordSetCount": 2,
                "callerReference": f"webstack-{zone}",
                "comment": "",
                "tags": {},
                "primaryNameServer": "ns-101.awsdns-101.org",
                "linkedServiceDescription": "",
                "linkedServicePrincipal": "",
                "vpcId": "",
            }
        if token == "aws:elb/getServiceAccount:getServiceAccount":
            account = ELB_ACCOUNTS.get(region, "127311923021")
            return {"id": account, "arn": f"arn:{PARTITION}:iam::{account}:root", "region": region}
        if token == "cloudflare:index/getIpRanges:getIpRanges":
            return {
                "id": "cloudflare-ip-ranges",
                # Cloudflare's published ranges, as the policy pack knows them.
                "ipv4Cidrs": [cidr for cidr in CLOUDFLARE_RANGES if ":" not in cidr],
                "ipv6Cidrs": [cidr for cidr in CLOUDFLARE_RANGES if ":" in cidr],
                "jdcloudCidrs": [],
                "etag": "stackcheck",
            }
        if token == "cloudflare:index/getZeroTrustTunnelCloudflaredToken:getZeroTrustTunnelCloudflaredToken":
            # A connector token is base64 JSON of the account tag, tunnel id and secret; this one runs nothing.
            tunnel_id = str(args.args.get("tunnelId", ""))
            return {
                "id": tunnel_id,
                "accountId": args.args.get("accountId", ""),
                "tunnelId": tunnel_id,
                "token": "eyJhIjoic3RhY2tjaGVjayIsInQiOiJzdGFja2NoZWNrIiwicyI6InN0YWNrY2hlY2sifQ==",
            }
        raise MissingMock(
            f"stackcheck has no mock answer for the lookup {token}; add one to stackcheck/engine/mocks.py"
        )


class RecordingMonitor(MockMonitor):
    """A mock monitor that names resources as the engine does and records every registration."""

    def __init__(self, mocks: CloudMocks, recorder: Recorder) -> None:
        super().__init__(mocks)
        self.cloud = mocks
        self.recorder = recorder

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a type with its ancestors' types, leaving out the root stack.
        if parent:
            qualified = parent.split("::")[2]
            if qualified != ROOT_STACK_TYPE:
                type_ = f"{qualified}${type_}"
        return f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{type_}::{name}"

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if request.type == ROOT_STACK_TYPE:
            return response
        inputs = self.cloud.last_inputs()
        urn = response.urn
        if request.type.startswith("pulumi:providers:") and isinstance(inputs.get("region"), str):
            self.cloud.provider_regions[urn] = inputs["region"]
        self.recorder.note_secrets(marked_secret(json_format.MessageToDict(request.object)))
        registration = self.resources.get(urn)
        self.recorder.add(
            RecordedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent=request.parent,
                provider=request.provider,
                protect=bool(request.protect),
                dependencies=list(request.dependencies),
                property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
                inputs=inputs,
                outputs=dict(registration.state) if registration else {},
                id=registration.id if registration else "",
                delete_before_replace=bool(request.deleteBeforeReplace),
                ignore_changes=list(request.ignoreChanges),
                additional_secret_outputs=list(request.additionalSecretOutputs),
                aliases=[_alias_text(a) for a in request.aliases],
                retain_on_delete=bool(request.retainOnDelete),
                import_id=str(request.importId),
            )
        )
        return response


def _alias_text(alias: Any) -> str:
    """An alias as text: its URN, or its spec (``name=... type=... parent=...``)."""
    if alias.WhichOneof("alias") == "urn":
        return alias.urn
    spec = alias.spec
    parts = [f"name={spec.name}" if spec.name else "", f"type={spec.type}" if spec.type else ""]
    parts.append("parent=none" if spec.noParent else f"parent={spec.parentUrn}" if spec.parentUrn else "")
    return " ".join(p for p in parts if p)


def install(
    *,
    project: str,
    stack: str,
    config: Mapping[str, str],
    secret_keys: Iterable[str] = (),
    preview: bool = False,
    logger: logging.Logger | None = None,
) -> Recorder:
    """Configure the Pulumi runtime for an offline run of one stack; return the recorder that will see it."""
    secret_keys = list(secret_keys)
    pulumi.runtime.set_all_config(dict(config), secret_keys)
    recorder = Recorder()
    recorder.note_secrets(str(config[k]) for k in secret_keys if k in config)
    default_region = str(config.get("aws:region", "us-east-1"))
    mocks = CloudMocks(default_region)
    monitor = RecordingMonitor(mocks, recorder)
    pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor, logger=logger)
    return recorder
