"""Docker rules: each passes on what components/docker/common.py registers and fails when one thing changes; an
unknown value in anything a rule reads is reported, never passed over."""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable, Sequence
from typing import Any

import pulumi
import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
)

from policies.rules import (
    ALL_POLICIES,
    PACK_ENFORCEMENT_LEVEL,
    docker_containers,
    docker_credentials,
    docker_network,
    docker_services,
)
from policies.rules.checklist import BY_ID, anchors_of, items_of
from policies.rules.docker_containers import (
    docker_container_no_host_mounts,
    docker_container_no_host_namespaces,
    docker_container_non_root,
    docker_container_not_privileged,
    docker_container_read_only_root_filesystem,
    docker_container_resource_limits,
)
from policies.rules.docker_credentials import (
    docker_no_default_credentials,
    docker_no_plaintext_credentials,
    docker_secret_files_private,
)
from policies.rules.docker_network import docker_data_networks_internal, docker_only_load_balancer_publishes
from policies.rules.docker_services import (
    docker_container_health_check,
    docker_container_restart_policy,
    docker_images_pinned,
    docker_volumes_protected,
    pin_problem,
)
from stackcheck.engine.evaluate import evaluate, load_policy_config, resolve_settings
from stackcheck.engine.resources import RecordedResource
from tests.conftest import RECORDER, ROOT, construct
from tests.policies.support import (
    OPTIONS,
    Res,
    analyzed,
    apply_changes,
    check_resource,
    check_stack,
    not_applicable,
    urns,
)
from tests.test_unknowns import unknown_leaves, unknown_like, with_unknowns

CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
VOLUME = "docker:index/volume:Volume"

POLICIES = [
    *docker_containers.POLICIES,
    *docker_network.POLICIES,
    *docker_services.POLICIES,
    *docker_credentials.POLICIES,
]
RESOURCE_RULES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
STACK_RULES = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]
CONTAINER_RULES = [p for p in RESOURCE_RULES if p is not docker_volumes_protected]
CREDENTIAL_RULES = [docker_no_default_credentials, docker_no_plaintext_credentials, docker_secret_files_private]

IMAGE_ID = "sha256:" + "4f" * 32
DIGEST = "sha256:" + "0a" * 32
SECRET = "Zq9-generated-secret-8f3kd93kd0s"


def labels(role: str) -> list[dict[str, str]]:
    return [{"label": "webstack.role", "value": role}, {"label": "webstack.stack", "value": "local"}]


def container(role: str = "backend", **changes: Any) -> dict[str, Any]:
    """A container's props as common.container(...) registers them (engine names; numbers as floats; the image is a
    RemoteImage's id); top-level keys changed (None removes a key)."""
    props: dict[str, Any] = {
        "name": f"webstack-local-{role}",
        "image": IMAGE_ID,
        "user": "1000:1000",
        "envs": ["APP_ENV=production", "DATABASE_PASSWORD_FILE=/run/secrets/db_password", "DB_HOST=db-primary"],
        "uploads": [{"file": "/run/secrets/db_password", "content": SECRET, "permissions": "0440"}],
        "readOnly": True,
        "mounts": [{"target": "/tmp", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 67108864.0, "mode": 1023.0}}],
        "capabilities": {"drops": ["ALL"], "adds": []},
        "securityOpts": ["no-new-privileges:true"],
        "privileged": False,
        "memory": 256.0,
        "memorySwap": 256.0,
        "cpus": "0.5",
        "healthcheck": {
            "tests": ["CMD", "wget", "-qO-", "http://127.0.0.1:8000/health"],
            "interval": "30s",
            "timeout": "5s",
            "startPeriod": "30s",
            "retries": 3.0,
        },
        "restart": "unless-stopped",
        "mustRun": True,
        "wait": False,
        "logDriver": "json-file",
        "logOpts": {"max-size": "10m", "max-file": "5"},
        "labels": labels(role),
        "ports": [],
        "networksAdvanced": [{"name": "webstack-local-app", "aliases": []}],
    }
    return apply_changes(props, changes)


def load_balancer(**changes: Any) -> dict[str, Any]:
    """nginx-unprivileged: the only public ports, host 80/443 -> container 8080/8443."""
    props = container(
        "lb",
        user="101:101",
        ports=[
            {"internal": 8080.0, "external": 80.0, "ip": "0.0.0.0", "protocol": "tcp"},
            {"internal": 8443.0, "external": 443.0, "ip": "0.0.0.0", "protocol": "tcp"},
        ],
        networksAdvanced=[
            {"name": "webstack-local-edge", "aliases": []},
            {"name": "webstack-local-app", "aliases": []},
        ],
        uploads=[
            {"file": "/etc/nginx/certs/server.key", "content": "-----BEGIN PRIVATE KEY-----", "permissions": "0400"},
            {"file": "/etc/nginx/conf.d/default.conf", "content": "server { listen 8443 ssl; }", "permissions": "0444"},
        ],
    )
    return apply_changes(props, changes)


def database(**changes: Any) -> dict[str, Any]:
    props = container(
        "db-primary",
        user="70:70",
        envs=["POSTGRES_USER=webstack_admin", "POSTGRES_PASSWORD_FILE=/run/secrets/db_password", "PGDATA=/data"],
        mounts=[
            {"target": "/tmp", "type": "tmpfs", "tmpfsOptions": {"sizeBytes": 67108864.0, "mode": 1023.0}},
            {"target": "/data", "type": "volume", "source": "webstack-local-pgdata"},
        ],
        healthcheck={"tests": ["CMD-SHELL", "pg_isready -U webstack_admin"], "interval": "10s", "retries": 5.0},
        networksAdvanced=[{"name": "webstack-local-data", "aliases": ["db-primary"]}],
    )
    return apply_changes(props, changes)


def grafana(**changes: Any) -> dict[str, Any]:
    """An admin tool: its port on the loopback only."""
    props = container(
        "grafana",
        user="472:472",
        envs=["GF_SECURITY_ADMIN_USER=webstack", "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana_admin"],
        uploads=[{"file": "/run/secrets/grafana_admin", "content": SECRET, "permissions": "0440"}],
        ports=[{"internal": 3000.0, "external": 3000.0, "ip": "127.0.0.1", "protocol": "tcp"}],
        networksAdvanced=[{"name": "webstack-local-admin", "aliases": []}],
    )
    return apply_changes(props, changes)


def cadvisor(**changes: Any) -> dict[str, Any]:
    """Container metrics: read-only binds of host paths."""
    binds = [("/rootfs", "/"), ("/sys", "/sys"), ("/var/lib/docker", "/var/lib/docker"), ("/var/run", "/var/run")]
    props = container(
        "cadvisor",
        user="65534:65534",
        mounts=[{"target": t, "type": "bind", "source": s, "readOnly": True} for t, s in binds],
        networksAdvanced=[{"name": "webstack-local-admin", "aliases": []}],
    )
    return apply_changes(props, changes)


def backup_job(**changes: Any) -> dict[str, Any]:
    """A one-shot job: no health check, no restart."""
    props = container(
        "backup",
        command=["sh", "-c", 'pg_dump -h db-primary -U webstack_admin app > "/backups/$(date +%F).sql"'],
        envs=["PGPASSFILE=/run/secrets/pgpass"],
        uploads=[{"file": "/run/secrets/pgpass", "content": SECRET, "permissions": "0400"}],
        healthcheck=None,
        restart="no",
        mustRun=False,
        networksAdvanced=[{"name": "webstack-local-data", "aliases": []}],
    )
    return apply_changes(props, changes)


def seed(**changes: Any) -> dict[str, Any]:
    """The seed common.container(...) adds to a read-only container with uploads: it receives the files into the
    service's config volume, runs ``true`` once and stops (writable root, no network)."""
    props = container(
        "lb-seed",
        user="101:101",
        entrypoints=["true"],
        command=[],
        readOnly=False,
        memory=32.0,
        memorySwap=32.0,
        cpus="0.1",
        healthcheck=None,
        restart="no",
        mustRun=False,
        mounts=[{"target": "/etc/nginx/certs", "type": "volume", "source": "webstack-local-lb-config"}],
        uploads=[{"file": "/etc/nginx/certs/server.key", "content": SECRET, "permissions": "0400", "owner": "101"}],
        envs=[],
        networksAdvanced=[],
        networkMode="none",
    )
    return apply_changes(props, changes)


COMPLIANT = {
    "backend": container,
    "frontend": lambda: container("frontend"),
    "lb": load_balancer,
    "db-primary": database,
    "grafana": grafana,
    "cadvisor": cadvisor,
    "backup": backup_job,
    "seed": seed,
    "seeded-service": lambda: load_balancer(
        uploads=None, envs=["WEBSTACK_CONFIG_REVISION=" + "5e" * 32, "NGINX_ENTRYPOINT_QUIET_LOGS=1"]
    ),
}


#: What :func:`noticed` records when a rule lets the analyzer note that it cannot run during the preview.
CANNOT_RUN = "can't run during preview"


def noticed(policy: ResourceValidationPolicy, props: Any) -> list[str]:
    """The violations of one container, and :data:`CANNOT_RUN` when the rule stops on an unknown value (the analyzer
    then notes that the rule cannot run during the preview; the violations reported before it stay)."""
    found: list[str] = []
    args = ResourceValidationArgs(CONTAINER, analyzed(props), "urn:c", "c", OPTIONS, None, None)
    try:
        policy.validate(args, lambda message, urn=None: found.append(message))
    except UnknownValueError:
        found.append(CANNOT_RUN)
    return found


def check(policy: ResourceValidationPolicy, props: Any, config: dict[str, Any] | None = None) -> list[str]:
    """The violations of one container, its props as the analyzer hands them (read-only proxies)."""
    return check_resource(policy, CONTAINER, analyzed(props), config=config)


def credential_findings(props: Any) -> list[str]:
    """The violations of the three credential rules together."""
    return [found for policy in CREDENTIAL_RULES for found in check(policy, props)]


def one(policy: ResourceValidationPolicy, props: Any, config: dict[str, Any] | None = None) -> str:
    found = check(policy, props, config)
    assert len(found) == 1, found
    return found[0]


# -- the registered containers pass ------------------------------------------------------------------------------------
@pytest.mark.parametrize("policy", CONTAINER_RULES, ids=lambda p: p.name)
@pytest.mark.parametrize("kind", sorted(COMPLIANT))
def test_every_compliant_container_passes(policy: ResourceValidationPolicy, kind: str) -> None:
    try:
        assert check(policy, COMPLIANT[kind]()) == []
    except _NotApplicableError:  # a one-shot job is not health-checked
        assert (policy, kind) in {(docker_container_health_check, "backup"), (docker_container_health_check, "seed")}


@pytest.mark.parametrize("policy", RESOURCE_RULES, ids=lambda p: p.name)
def test_other_resources_are_ignored(policy: ResourceValidationPolicy) -> None:
    assert check_resource(policy, "aws:ecs/taskDefinition:TaskDefinition", analyzed({"privileged": True})) == []
    assert check_resource(policy, NETWORK, analyzed({"labels": labels("data"), "internal": False})) == []


@pytest.mark.parametrize("policy", CONTAINER_RULES, ids=lambda p: p.name)
def test_the_rules_do_not_change_the_props_they_judge(policy: ResourceValidationPolicy) -> None:
    props = load_balancer()
    snapshot = copy.deepcopy(props)
    check(policy, props)
    assert props == snapshot


def test_every_docker_rule_is_registered_and_anchored() -> None:
    names = [p.name for p in ALL_POLICIES]
    for policy in POLICIES:
        assert names.count(policy.name) == 1
        assert set(items_of(policy.tags)) <= set(BY_ID)
        assert all(anchor.startswith("cis-docker:") for anchor in anchors_of(policy.tags))


def test_the_local_stack_makes_every_docker_rule_mandatory() -> None:
    settings = resolve_settings(
        ALL_POLICIES, load_policy_config(ROOT / "policies" / "config" / "local.json"), PACK_ENFORCEMENT_LEVEL
    )
    assert {settings[p.name].level.value for p in POLICIES} == {"mandatory"}


# -- docker-container-not-privileged -----------------------------------------------------------------------------------
def test_a_privileged_container_fails() -> None:
    assert one(docker_container_not_privileged, container(privileged=True)).startswith(
        "The container is privileged: it gets every capability and every host device"
    )


@pytest.mark.parametrize("adds", [["NET_ADMIN"], ["CAP_SYS_ADMIN"], ["net_bind_service"]])
def test_an_added_capability_fails(adds: list[str]) -> None:
    message = one(docker_container_not_privileged, container(capabilities={"drops": ["ALL"], "adds": adds}))
    assert message.startswith("The container adds Linux capabilities ")
    assert "outside the allow-list" in message


def test_an_allowed_capability_passes() -> None:
    props = container(capabilities={"drops": ["ALL"], "adds": ["NET_BIND_SERVICE"]})
    assert check(docker_container_not_privileged, props, {"allowedCapabilities": ["NET_BIND_SERVICE"]}) == []
    assert check(docker_container_not_privileged, props, {"allowedCapabilities": ["CAP_NET_BIND_SERVICE"]}) == []


@pytest.mark.parametrize(
    "capabilities", [None, {"adds": []}, {"drops": ["NET_RAW"], "adds": []}], ids=["none", "no-drops", "some-drops"]
)
def test_not_dropping_all_capabilities_fails(capabilities: dict[str, Any] | None) -> None:
    message = one(docker_container_not_privileged, container(capabilities=capabilities))
    assert message.startswith("The container keeps Docker's default Linux capabilities")
    assert 'drops=["ALL"]' in message


def test_dropping_all_in_lower_case_passes() -> None:
    assert check(docker_container_not_privileged, container(capabilities={"drops": ["all"]})) == []


@pytest.mark.parametrize("options", [None, [], ["no-new-privileges:false"], ["label=type:svirt_apache_t"]])
def test_no_new_privileges_missing_fails(options: list[str] | None) -> None:
    message = one(docker_container_not_privileged, container(securityOpts=options))
    assert message.startswith("The container's processes can gain privileges through setuid and setgid binaries")


@pytest.mark.parametrize("option", ["no-new-privileges", "no-new-privileges:true", "no-new-privileges=true"])
def test_every_spelling_of_no_new_privileges_passes(option: str) -> None:
    assert check(docker_container_not_privileged, container(securityOpts=[option])) == []


def test_switching_off_seccomp_fails() -> None:
    props = container(securityOpts=["no-new-privileges:true", "seccomp=unconfined"])
    assert one(docker_container_not_privileged, props).startswith(
        "The container switches off the kernel confinement Docker applies by default (seccomp=unconfined)"
    )


def test_host_devices_fail() -> None:
    props = container(devices=[{"hostPath": "/dev/fuse", "containerPath": "/dev/fuse", "permissions": "rwm"}])
    assert one(docker_container_not_privileged, props).startswith("The container is given host devices (/dev/fuse)")


def test_every_privilege_problem_is_reported() -> None:
    props = container(privileged=True, capabilities={"adds": ["SYS_ADMIN"]}, securityOpts=None, devices=[{}])
    assert len(check(docker_container_not_privileged, props)) == 5


# -- docker-container-non-root -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("user", ["root", "0", "0:0", "root:root", "0:1000", "ROOT"])
def test_a_root_user_fails(user: str) -> None:
    message = one(docker_container_non_root, container(user=user))
    assert message == (
        f"The container (role 'backend') runs as root (user '{user}'): set user to a non-root \"uid:gid\" such as "
        '"1000:1000".'
    )


@pytest.mark.parametrize("user", [None, "", "  "])
def test_no_user_fails(user: str | None) -> None:
    assert one(docker_container_non_root, container(user=user)).startswith(
        "The container (role 'backend') sets no user, so it runs as the image's user, root unless"
    )


@pytest.mark.parametrize("user", ["1000:1000", "101", "nginx", "1000:0", "rootless"])
def test_a_non_root_user_passes(user: str) -> None:
    assert check(docker_container_non_root, container(user=user)) == []


def test_root_is_allowed_only_for_configured_roles() -> None:
    config = {"rootAllowedRoles": ["metrics-*"]}
    assert check(docker_container_non_root, container("metrics-agent", user="0:0"), config) == []
    assert check(docker_container_non_root, container("metrics-agent", user=None), config) == []
    assert len(check(docker_container_non_root, container("backend", user="0:0"), config)) == 1
    assert len(check(docker_container_non_root, container("metrics-agent", user="0:0"))) == 1


def test_a_root_allowed_role_still_may_not_be_privileged() -> None:
    props = container("metrics-agent", user="root", privileged=True)
    assert check(docker_container_non_root, props, {"rootAllowedRoles": ["metrics-agent"]}) == []
    assert len(check(docker_container_not_privileged, props)) == 1


# -- docker-container-no-host-namespaces -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("key", "setting"),
    [("networkMode", "network_mode"), ("pidMode", "pid_mode"), ("ipcMode", "ipc_mode"), ("usernsMode", "userns_mode")],
)
def test_a_host_namespace_fails(key: str, setting: str) -> None:
    assert one(docker_container_no_host_namespaces, container(**{key: "host"})).startswith(f'{setting} is "host"')


@pytest.mark.parametrize(
    "changes",
    [{"networkMode": "bridge"}, {"ipcMode": "private"}, {"pidMode": "container:webstack-local-db"}],
    ids=["bridge", "private-ipc", "another-containers-pids"],
)
def test_namespaces_of_containers_pass(changes: dict[str, str]) -> None:
    assert check(docker_container_no_host_namespaces, container(**changes)) == []


def test_the_namespace_rule_does_not_judge_mounts() -> None:
    mount = {"target": "/data", "type": "bind", "source": "/srv/data", "readOnly": False}
    assert check(docker_container_no_host_namespaces, database(mounts=[mount])) == []


# -- docker-container-no-host-mounts -----------------------------------------------------------------------------------
@pytest.mark.parametrize("socket", ["/var/run/docker.sock", "/run/docker.sock", "/var/run//docker.sock"])
def test_the_docker_socket_read_write_fails_for_every_role(socket: str) -> None:
    mount = {"target": "/var/run/docker.sock", "type": "bind", "source": socket}
    message = one(docker_container_no_host_mounts, cadvisor(mounts=[mount]))
    assert message.startswith(f"The container (role 'cadvisor') mounts the Docker socket ({socket}) read-write")


def test_the_docker_socket_through_legacy_volumes_fails() -> None:
    volumes = [{"hostPath": "/var/run/docker.sock", "containerPath": "/var/run/docker.sock"}]
    assert "mounts the Docker socket" in one(docker_container_no_host_mounts, container(volumes=volumes))


def test_a_read_write_host_path_fails() -> None:
    mount = {"target": "/data", "type": "bind", "source": "/srv/data", "readOnly": False}
    assert one(docker_container_no_host_mounts, database(mounts=[mount])).startswith(
        "The container (role 'db-primary') mounts host path /srv/data read-write in mounts[0]"
    )


def test_read_only_host_paths_only_for_host_reader_roles() -> None:
    mount = {"target": "/rootfs", "type": "bind", "source": "/", "readOnly": True}
    assert check(docker_container_no_host_mounts, cadvisor(mounts=[mount])) == []
    message = one(docker_container_no_host_mounts, container(mounts=[mount]))
    assert message.startswith("The container (role 'backend') mounts host path / (read-only) in mounts[0]")
    assert "hostReadRoles (cadvisor)" in message
    assert check(docker_container_no_host_mounts, container(mounts=[mount]), {"hostReadRoles": ["back*"]}) == []


def test_named_volumes_and_tmpfs_pass() -> None:
    volumes = [{"volumeName": "webstack-local-pgdata", "containerPath": "/data"}]
    assert check(docker_container_no_host_mounts, database(volumes=volumes)) == []


def test_the_mount_rule_does_not_judge_namespaces() -> None:
    assert check(docker_container_no_host_mounts, container(networkMode="host")) == []


# -- docker-only-load-balancer-publishes -------------------------------------------------------------------------------
def test_a_public_port_on_a_non_lb_container_fails() -> None:
    ports = [{"internal": 8000.0, "external": 8000.0, "ip": "0.0.0.0", "protocol": "tcp"}]
    message = one(docker_only_load_balancer_publishes, container(ports=ports))
    assert message.startswith(
        "The container (role 'backend') publishes container port 8000 on 0.0.0.0, outside the host's loopback, "
        "but only the load balancer (roles: lb) may take traffic from outside the host"
    )


@pytest.mark.parametrize("ip", [None, "", "192.168.1.10", "::"])
def test_an_empty_or_non_loopback_ip_is_public(ip: str | None) -> None:
    port: dict[str, Any] = {"internal": 5432.0, "external": 5432.0, "protocol": "tcp"}
    if ip is not None:
        port["ip"] = ip
    assert "outside the host's loopback" in one(docker_only_load_balancer_publishes, database(ports=[port]))


@pytest.mark.parametrize("ip", ["127.0.0.1", "::1", "127.0.0.2", "[::1]"])
def test_loopback_publishing_is_allowed_for_any_role(ip: str) -> None:
    ports = [{"internal": 5432.0, "external": 5432.0, "ip": ip, "protocol": "tcp"}]
    assert check(docker_only_load_balancer_publishes, database(ports=ports)) == []


def test_port_5432_fails_even_on_the_load_balancer() -> None:
    ports = [*load_balancer()["ports"], {"internal": 5432.0, "external": 5432.0, "ip": "0.0.0.0", "protocol": "tcp"}]
    message = one(docker_only_load_balancer_publishes, load_balancer(ports=ports))
    assert message.startswith(
        "The container (role 'lb') publishes container port 5432 on 0.0.0.0; the load balancer may publish only its "
        "HTTP and HTTPS ports (80, 443, 8080, 8443)"
    )


def test_the_load_balancer_may_publish_80_and_443_on_any_host_port() -> None:
    ports = [
        {"internal": 80.0, "external": 8081.0, "ip": "203.0.113.5", "protocol": "tcp"},
        {"internal": 443.0, "external": 8444.0, "protocol": "tcp"},
    ]
    assert check(docker_only_load_balancer_publishes, load_balancer(ports=ports)) == []


def test_public_roles_and_ports_are_configurable() -> None:
    ports = [{"internal": 9443.0, "external": 443.0, "ip": "0.0.0.0", "protocol": "tcp"}]
    props = container("edge-proxy", ports=ports)
    assert len(check(docker_only_load_balancer_publishes, props)) == 1
    config = {"publicRoles": ["edge-*"], "publicContainerPorts": [9443]}
    assert check(docker_only_load_balancer_publishes, props, config) == []


def test_publishing_every_port_fails() -> None:
    assert one(docker_only_load_balancer_publishes, container(publishAllPorts=True)).startswith(
        "The container (role 'backend') publishes every port its image exposes"
    )


def test_a_port_without_external_still_publishes() -> None:
    ports = [{"internal": 6379.0, "protocol": "tcp"}]
    assert len(check(docker_only_load_balancer_publishes, container("cache", ports=ports))) == 1


def test_a_container_without_a_role_may_not_publish() -> None:
    props = load_balancer(labels=[{"label": "webstack.stack", "value": "local"}])
    found = check(docker_only_load_balancer_publishes, props)
    assert len(found) == 2
    assert found[0].startswith("The container (no webstack.role label) publishes container port 8080 on 0.0.0.0")


# -- docker-container-health-check, docker-container-restart-policy ----------------------------------------------------
def test_a_service_without_a_health_check_fails() -> None:
    assert one(docker_container_health_check, container(healthcheck=None)).startswith(
        "The service has no health check, so Docker cannot tell a hung process from a working one"
    )


def test_a_none_health_check_fails() -> None:
    message = one(docker_container_health_check, container(healthcheck={"tests": ["NONE"]}))
    assert message.startswith('The service\'s health check is ["NONE"], which switches health checking off')


def test_a_health_check_without_tests_fails() -> None:
    message = one(docker_container_health_check, container(healthcheck={"tests": [], "interval": "30s"}))
    assert message.startswith("The service's health check has no tests")
    assert len(check(docker_container_health_check, container(healthcheck={"interval": "30s"}))) == 1


@pytest.mark.parametrize("tests", [["curl", "-f", "http://localhost"], ["CMD"], ["CMD-SHELL"]])
def test_health_check_tests_that_docker_cannot_run_fail(tests: list[str]) -> None:
    message = one(docker_container_health_check, container(healthcheck={"tests": tests}))
    assert message.startswith("The service's health check tests are not a command Docker runs")


@pytest.mark.parametrize("restart", ["no", None, ""])
def test_a_service_that_does_not_restart_fails(restart: str | None) -> None:
    message = one(docker_container_restart_policy, container(restart=restart))
    assert message.startswith("The service's restart policy is 'no', so it stays down after it crashes")


@pytest.mark.parametrize("restart", ["unless-stopped", "always", "on-failure", "on-failure:5"])
def test_every_restarting_policy_passes(restart: str) -> None:
    assert check(docker_container_restart_policy, container(restart=restart)) == []


def test_a_service_is_long_running_by_default() -> None:
    assert len(check(docker_container_health_check, container(mustRun=None, healthcheck=None))) == 1


@pytest.mark.parametrize("restart", ["unless-stopped", "always", "on-failure"])
def test_a_restarting_one_shot_job_fails(restart: str) -> None:
    assert one(docker_container_restart_policy, backup_job(restart=restart)).startswith(
        f"The one-shot job (must_run=False) has restart '{restart}', so it runs again"
    )


def test_a_one_shot_job_needs_no_health_check() -> None:
    assert check(docker_container_restart_policy, backup_job(restart=None)) == []
    assert not_applicable(docker_container_health_check, CONTAINER, backup_job(restart=None)) == (
        "a one-shot job (must_run=False) runs to completion and is not health-checked"
    )


def test_the_health_rule_does_not_judge_the_restart_policy_nor_the_restart_rule_the_health_check() -> None:
    assert check(docker_container_health_check, container(restart="no")) == []
    assert check(docker_container_restart_policy, container(healthcheck=None)) == []


# -- docker-no-default-credentials, docker-no-plaintext-credentials, docker-secret-files-private -----------------------
def with_envs(*entries: str) -> dict[str, Any]:
    return container(envs=[*container()["envs"], *entries])


@pytest.mark.parametrize(
    "entry",
    ["GF_SECURITY_ADMIN_PASSWORD=admin123", "MINIO_ROOT_PASSWORD=minioadmin", "REDIS_PASSWORD=changeme"],
)
def test_a_default_password_in_the_environment_fails(entry: str) -> None:
    name = entry.split("=")[0]
    message = one(docker_no_default_credentials, with_envs(entry))
    assert message.startswith(f"The variable {name} is set to a known default or weak password: upload the credential")
    assert entry.split("=")[1] not in message


@pytest.mark.parametrize(
    "entry",
    [
        "POSTGRES_PASSWORD=anything",
        "MYSQL_ROOT_PASSWORD=Zq9-long-random-value",
        "MINIO_ROOT_PASSWORD=Zq9-long-random-value",
        "SECRET_KEY=Zq9",
        "apiToken=Zq9",
        "MINIO_ACCESS_KEY=Zq9",
    ],
)
def test_any_credential_value_in_the_environment_fails(entry: str) -> None:
    message = one(docker_no_plaintext_credentials, with_envs(entry))
    assert message.startswith(f"The variable {entry.split('=')[0]} holds a credential in plain text")
    assert "Zq9" not in message
    assert "anything" not in message


@pytest.mark.parametrize(
    "entry",
    [
        "POSTGRES_PASSWORD_FILE=/run/secrets/db_password",
        "GF_SECURITY_ADMIN_PASSWORD__FILE=/run/secrets/grafana",
        "REDIS_PASSWORD_PATH=/run/secrets/redis",
        "DATABASE_SECRET_ARN=arn:aws:secretsmanager:us-east-1:1:secret:x",
        "GF_AUTH_ANONYMOUS_ENABLED=false",
        "GF_AUTH_GENERIC_OAUTH_CLIENT_ID=webstack",
        "MYSQL_RANDOM_ROOT_PASSWORD=yes",
        "POSTGRES_PASSWORD=",
        "KEYCLOAK_URL=https://sso.example.org",
        "DATABASE_URL=postgres://app@db-primary:5432/app",
    ],
)
def test_references_files_and_switches_pass(entry: str) -> None:
    assert credential_findings(with_envs(entry)) == []


def test_a_file_variable_must_name_a_path() -> None:
    assert one(docker_no_plaintext_credentials, with_envs("POSTGRES_PASSWORD_FILE=hunter2")).startswith(
        "The variable POSTGRES_PASSWORD_FILE should name a file (an absolute path), not hold the credential"
    )


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("DATABASE_URL=postgres://app:Zq9-secret@db:5432/app", "credentials (user:password@)"),
        ("S3_URL=https://minioadmin:minioadmin@minio:9000", "a known default password"),
    ],
)
def test_a_url_with_a_password_fails(entry: str, expected: str) -> None:
    rule = docker_no_default_credentials if "default" in expected else docker_no_plaintext_credentials
    assert len(check(rule, with_envs(entry))) == 1
    (message,) = credential_findings(with_envs(entry))
    assert message.startswith(f"The variable {entry.split('=')[0]} is a URL that carries {expected}")
    assert "Zq9" not in message


@pytest.mark.parametrize(
    ("entry", "user"),
    [("GF_SECURITY_ADMIN_USER=admin", "admin"), ("MINIO_ROOT_USER=minioadmin", "minioadmin")],
)
def test_a_default_admin_user_fails(entry: str, user: str) -> None:
    assert one(docker_no_default_credentials, with_envs(entry)).startswith(
        f"The variable {entry.split('=')[0]} is the well-known default user name '{user}'"
    )


def test_default_users_are_configurable() -> None:
    props = with_envs("KEYCLOAK_ADMIN=admin")
    assert check(docker_no_default_credentials, props) == []
    assert len(check(docker_no_default_credentials, props, {"defaultUsers": {"KEYCLOAK_ADMIN": ["admin"]}})) == 1


@pytest.mark.parametrize(
    "entry", ["MYSQL_ALLOW_EMPTY_PASSWORD=yes", "MYSQL_ALLOW_EMPTY_PASSWORD=no", "POSTGRES_HOST_AUTH_METHOD=trust"]
)
def test_passwordless_settings_fail(entry: str) -> None:
    assert "lets clients in without a password" in one(docker_no_default_credentials, with_envs(entry))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("command", ["redis-server", "--requirepass", "x"]),
        ("command", ["redis-server", "--requirepass=x"]),
        ("command", ["redis-server", "--appendonly", "yes", "--masterauth", "Zq9"]),
        ("command", ["sh", "-c", "exec redis-server --requirepass 'Zq9 secret'"]),
        ("entrypoints", ["mysqld", "--password=Zq9"]),
        ("command", ["sh", "-c", "PGPASSWORD=Zq9 pg_dump -h db app"]),
        ("command", ["sh", "-c", "mysqldump -uroot -pZq9 app"]),
    ],
)
def test_a_credential_on_the_command_line_fails(field: str, value: list[str]) -> None:
    message = one(docker_no_plaintext_credentials, apply_changes(container(), {field: value}))
    assert field in message
    assert "Zq9" not in message
    assert " x " not in message


def test_redis_cli_dash_a_in_a_health_check_fails() -> None:
    health = {"tests": ["CMD", "redis-cli", "-a", "Zq9", "ping"]}
    message = one(docker_no_plaintext_credentials, container("cache", healthcheck=health))
    assert message.startswith("healthcheck.tests passes a credential with -a, visible to anyone who can run docker")


def test_a_default_password_on_the_command_line_is_named_as_such() -> None:
    message = one(docker_no_default_credentials, container(command=["redis-server", "--requirepass", "changeme"]))
    assert message.startswith("command passes a known default password with --requirepass")


@pytest.mark.parametrize(
    "command",
    [
        ["sh", "-c", 'exec redis-server --requirepass "$(cat /run/secrets/redis_password)"'],
        ["redis-server", "/etc/redis/redis.conf"],
        ["sh", "-c", "mysqladmin ping -h 127.0.0.1 -p$MYSQL_ROOT_PASSWORD"],
        ["mongod", "--auth", "--bind_ip_all"],
        ["ls", "-a", "/data"],
        ["redis-server", "--port", "6379", "-p", "6379"],
    ],
)
def test_credentials_read_at_run_time_and_other_options_pass(command: list[str]) -> None:
    assert credential_findings(container(command=command)) == []


def test_a_default_password_in_an_uploaded_file_fails() -> None:
    uploads = [{"file": "/usr/local/etc/redis/redis.conf", "content": "port 6379\nrequirepass foobar\n"}]
    assert credential_findings(container(uploads=uploads)) == []
    uploads = [{"file": "/usr/local/etc/redis/redis.conf", "content": "port 6379\nrequirepass admin123\n"}]
    assert one(docker_no_default_credentials, container(uploads=uploads)).startswith(
        "The uploaded file /usr/local/etc/redis/redis.conf holds a known default or weak password"
    )
    encoded = base64.b64encode(b"changeme").decode()
    uploads = [{"file": "/run/secrets/db_password", "contentBase64": encoded, "permissions": "0400"}]
    assert "known default or weak password" in one(docker_no_default_credentials, container(uploads=uploads))


@pytest.mark.parametrize(
    ("upload", "mode"),
    [
        ({"file": "/run/secrets/db_password", "content": SECRET, "permissions": "0644"}, "0644"),
        ({"file": "/etc/nginx/certs/server.key", "content": SECRET}, "0644"),
        ({"file": "/config/htpasswd", "content": SECRET, "executable": True}, "0744"),
    ],
)
def test_a_secret_file_readable_by_everyone_fails(upload: dict[str, Any], mode: str) -> None:
    message = one(docker_secret_files_private, container(uploads=[upload]))
    assert message == (
        f"The uploaded file {upload['file']} looks like a secret but is readable by every user in the container "
        f'(mode {mode}): set its permissions to "0440" (or "0400").'
    )


def test_ordinary_files_may_be_world_readable() -> None:
    uploads = [{"file": "/etc/nginx/conf.d/default.conf", "content": "server {}", "permissions": "0644"}]
    assert credential_findings(container(uploads=uploads)) == []


@pytest.mark.parametrize(
    ("policy", "key"),
    [
        (docker_no_default_credentials, "credentialNamePattern"),
        (docker_no_plaintext_credentials, "credentialNamePattern"),
        (docker_secret_files_private, "secretFilePattern"),
    ],
)
def test_invalid_patterns_are_reported_not_raised(policy: ResourceValidationPolicy, key: str) -> None:
    message = one(policy, container(), {key: "("})
    assert message.startswith(f"The policy's {key} is not a valid regular expression")


def test_no_message_contains_a_credential() -> None:
    props = container(
        envs=["DB_PASSWORD=Zq9-leak-1", "DATABASE_URL=postgres://a:Zq9-leak-2@db/app", "X_TOKEN_FILE=Zq9-leak-3"],
        command=["redis-server", "--requirepass", "Zq9-leak-4"],
        uploads=[{"file": "/run/secrets/x", "content": "Zq9-leak-5", "permissions": "0666"}],
    )
    found = credential_findings(props)
    assert len(found) == 5
    assert not [m for m in found if "Zq9" in m]


# -- docker-container-resource-limits ----------------------------------------------------------------------------------
@pytest.mark.parametrize("memory", [None, 0.0])
def test_no_memory_limit_fails(memory: float | None) -> None:
    assert one(docker_container_resource_limits, container(memory=memory)).startswith(
        "The container (role 'backend') has no memory limit"
    )


def test_no_cpu_limit_fails_and_cpu_shares_pass() -> None:
    assert one(docker_container_resource_limits, container(cpus=None)).startswith(
        "The container (role 'backend') has no CPU limit"
    )
    assert check(docker_container_resource_limits, container(cpus=None, cpuShares=512.0)) == []


# -- docker-container-read-only-root-filesystem ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["frontend", "backend", "lb"])
def test_a_writable_root_on_a_web_role_fails(role: str) -> None:
    assert one(docker_container_read_only_root_filesystem, container(role, readOnly=False)).startswith(
        f"The container (role '{role}') can write to its root filesystem"
    )


def test_other_roles_may_write_to_their_root_filesystem() -> None:
    assert check(docker_container_read_only_root_filesystem, database(readOnly=False)) == []
    config = {"readOnlyRoles": ["db-*"]}
    assert len(check(docker_container_read_only_root_filesystem, database(readOnly=None), config)) == 1


def test_one_shot_jobs_need_no_limits() -> None:
    assert check(docker_container_resource_limits, backup_job(memory=None, cpus=None)) == []


def test_the_limits_rule_does_not_judge_the_root_filesystem() -> None:
    assert check(docker_container_resource_limits, container(readOnly=False)) == []


# -- docker-volumes-protected ------------------------------------------------------------------------------------------
def volume_args(role: str | None, protect: bool, props: Any = None) -> ResourceValidationArgs:
    options = PolicyResourceOptions(protect, [], False, [], PolicyCustomTimeouts(0, 0, 0), [])
    if props is None:
        props = {"name": "webstack-local-pgdata", "labels": labels(role) if role else []}
    return ResourceValidationArgs(VOLUME, analyzed(props), "urn:v", "pgdata", options, None, None)


def volume_violations(args: ResourceValidationArgs) -> list[str]:
    found: list[str] = []
    docker_volumes_protected.validate(args, lambda message, urn=None: found.append(message))
    return found


@pytest.mark.parametrize("role", ["db-primary", "db-replica", "cache", "object-storage", "backup", "exporter-redis"])
def test_an_unprotected_data_volume_fails(role: str) -> None:
    assert volume_violations(volume_args(role, protect=True)) == []
    (message,) = volume_violations(volume_args(role, protect=False))
    assert message.startswith(f"The '{role}' volume holds data but is not protected")


@pytest.mark.parametrize("role", ["lb", None])
def test_other_volumes_may_be_unprotected(role: str | None) -> None:
    assert volume_violations(volume_args(role, protect=False)) == []


# -- docker-images-pinned (stack) --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "reference",
    [
        "nginxinc/nginx-unprivileged:1.27.3-alpine",
        "postgres:16.6-alpine",
        "localhost:5000/app:1.2.3",
        f"postgres@{DIGEST}",
        f"ghcr.io/acme/backend:1.0.0@{DIGEST}",
        "minio/minio:RELEASE.2024-11-07T00-52-20Z",
    ],
)
def test_pinned_references(reference: str) -> None:
    assert pin_problem(reference) is None


@pytest.mark.parametrize(
    ("reference", "problem"),
    [
        ("nginx", "has no tag"),
        ("localhost:5000/app", "has no tag"),
        ("nginx:latest", "is tagged 'latest'"),
        ("nginx:LATEST", "is tagged 'LATEST'"),
        ("postgres@sha256:abc", "has a malformed digest"),
        ("", "is empty"),
        ("nginx:", "has an empty tag"),
    ],
)
def test_unpinned_references(reference: str, problem: str) -> None:
    found = pin_problem(reference)
    assert found is not None
    assert found.startswith(problem)


IMAGE_URN = "urn:pulumi:local::webstack::docker:index/remoteImage:RemoteImage::image-nginx"
LB_URN = "urn:pulumi:local::webstack::docker:index/container:Container::edge-nginx"


def image_stack(reference: str, image: Any = IMAGE_ID, deps: bool = True) -> list[Res]:
    return [
        Res(IMAGE_URN, REMOTE_IMAGE, {"name": reference, "keepLocally": True}),
        Res(LB_URN, CONTAINER, load_balancer(image=image), {"image": [IMAGE_URN]} if deps else {}),
    ]


def test_a_container_running_a_pinned_remote_image_passes() -> None:
    assert check_stack(docker_images_pinned, image_stack("nginxinc/nginx-unprivileged:1.27.3-alpine")) == []


@pytest.mark.parametrize("reference", ["nginxinc/nginx-unprivileged:latest", "nginxinc/nginx-unprivileged"])
def test_an_unpinned_remote_image_fails_and_so_does_its_container(reference: str) -> None:
    found = check_stack(docker_images_pinned, image_stack(reference))
    assert urns(found) == [IMAGE_URN, LB_URN]
    assert found[0][1].startswith(f"The image reference '{reference}' ")
    assert found[1][1].startswith(f"The container runs the image pulled as '{reference}', which ")


def test_an_unpinned_remote_image_is_found_through_the_dependency_during_a_preview() -> None:
    found = check_stack(docker_images_pinned, image_stack("nginx:latest", image=UNKNOWN_STRING_VALUE))
    assert urns(found) == [IMAGE_URN, LB_URN]
    assert check_stack(docker_images_pinned, image_stack("nginx:1.27.3", image=UNKNOWN_STRING_VALUE)) == []


@pytest.mark.parametrize(("image", "count"), [("nginx:latest", 1), ("nginx", 1), ("nginx:1.27.3", 0), (IMAGE_ID, 0)])
def test_a_literal_container_image_must_be_pinned(image: str, count: int) -> None:
    found = check_stack(docker_images_pinned, [Res(LB_URN, CONTAINER, load_balancer(image=image))])
    assert len(found) == count
    if count:
        assert found[0][1].startswith(f"The container's image '{image}' ")


def test_floating_tags_are_configurable() -> None:
    stack = image_stack("nginx:stable")
    assert check_stack(docker_images_pinned, stack) == []
    assert len(check_stack(docker_images_pinned, stack, {"floatingTags": ["latest", "stable"]})) == 2


# -- docker-data-networks-internal (stack) -----------------------------------------------------------------------------
NETWORK_URNS = {
    role: f"urn:pulumi:local::webstack::webstack:docker:Networks$docker:index/network:Network::network-{role}"
    for role in ("edge", "app", "data", "admin")
}
INTERNAL = {"edge": False, "app": True, "data": True, "admin": False}


def network(role: str, **changes: Any) -> dict[str, Any]:
    props = {"name": f"webstack-local-{role}", "driver": "bridge", "internal": INTERNAL[role], "labels": labels(role)}
    return apply_changes(props, changes)


def networks(**overrides: dict[str, Any]) -> list[Res]:
    return [Res(NETWORK_URNS[role], NETWORK, overrides.get(role) or network(role)) for role in NETWORK_URNS]


def attached(urn: str, props: dict[str, Any], *roles: str) -> Res:
    """A container attached (networksAdvanced) to the networks of ``roles``."""
    props = {**props, "networksAdvanced": [{"name": f"webstack-local-{role}", "aliases": []} for role in roles]}
    return Res(urn, CONTAINER, props, {"networksAdvanced": [NETWORK_URNS[role] for role in roles]})


DB_URN = "urn:pulumi:local::webstack::docker:index/container:Container::db-primary"


def platform(*extra: Res, **overrides: dict[str, Any]) -> list[Res]:
    return [
        *networks(**overrides),
        attached(LB_URN, load_balancer(), "edge", "app"),
        attached("urn:c::backend", container(), "app", "data"),
        attached(DB_URN, database(), "data"),
        attached("urn:c::exporter", container("exporter-postgres"), "data"),
        attached("urn:c::grafana", grafana(), "admin"),
        attached("urn:c::prometheus", container("prometheus"), "admin", "data"),
        *extra,
    ]


def test_the_platforms_networks_pass() -> None:
    assert check_stack(docker_data_networks_internal, platform()) == []


@pytest.mark.parametrize("role", ["app", "data"])
def test_a_non_internal_app_or_data_network_fails(role: str) -> None:
    found = check_stack(docker_data_networks_internal, platform(**{role: network(role, internal=False)}))
    assert found[0] == (
        NETWORK_URNS[role],
        f"The '{role}' network is not internal, so its containers can reach the internet and be reached through "
        "ports published on it: set internal=True (its containers then talk only to each other; only the load "
        "balancer's edge network and the admin network publish ports).",
    )
    assert len(check_stack(docker_data_networks_internal, platform(**{role: network(role, internal=None)}))) >= 1


def test_a_non_internal_data_network_is_reported_on_its_containers_too() -> None:
    found = check_stack(docker_data_networks_internal, platform(data=network("data", internal=False)))
    assert urns(found) == [NETWORK_URNS["data"], DB_URN, "urn:c::exporter"]


def test_a_data_container_on_the_edge_network_fails() -> None:
    stack = platform(attached("urn:c::cache", container("cache"), "data", "edge"))
    ((urn, message),) = check_stack(docker_data_networks_internal, stack)
    assert urn == "urn:c::cache"
    assert message.startswith(
        "The container (role 'cache') is attached to the network 'webstack-local-edge', which is not internal, so "
        "the data tier can reach the internet"
    )


def test_containers_are_joined_to_networks_through_dependencies_during_a_preview() -> None:
    db = attached(DB_URN, database(), "edge")
    db.props["networksAdvanced"] = [{"name": UNKNOWN_STRING_VALUE, "aliases": []}]
    ((urn, message),) = check_stack(docker_data_networks_internal, [*networks(), db])
    assert urn == DB_URN
    assert "attached to the network 'webstack-local-edge', which is not internal" in message


@pytest.mark.parametrize(
    ("props", "where"),
    [
        ({"networksAdvanced": [{"name": "bridge"}]}, "Docker's default bridge network"),
        ({"networksAdvanced": [{"name": "shared-net"}]}, "the network 'shared-net', which this stack does not create"),
        ({"networksAdvanced": [], "networkMode": "bridge"}, "Docker's default bridge network"),
        ({"networksAdvanced": None}, "Docker's default bridge network"),
        ({"networkMode": "container:webstack-local-backend"}, "another container's network stack"),
        ({"networkMode": "host"}, "the host's network stack"),
    ],
)
def test_a_data_container_outside_the_stacks_internal_networks_fails(props: dict[str, Any], where: str) -> None:
    db = Res(DB_URN, CONTAINER, database(**props))
    ((urn, message),) = check_stack(docker_data_networks_internal, [*networks(), db])
    assert urn == DB_URN
    assert message.startswith(f"The container (role 'db-primary') is attached to {where}")


def test_the_default_network_mode_is_ignored_next_to_networks_advanced() -> None:
    db = attached(DB_URN, database(networkMode="default"), "data")
    assert check_stack(docker_data_networks_internal, [*networks(), db]) == []
    no_net = Res(DB_URN, CONTAINER, database(networksAdvanced=None, networkMode="none"))
    assert check_stack(docker_data_networks_internal, [*networks(), no_net]) == []


def test_the_data_roles_are_configurable() -> None:
    stack = platform(attached("urn:c::search", container("search"), "edge"))
    assert check_stack(docker_data_networks_internal, stack) == []
    assert urns(check_stack(docker_data_networks_internal, stack, {"dataRoles": ["search"]})) == ["urn:c::search"]


# -- unknown values: reported, never passed over -----------------------------------------------------------------------
def with_unknown(props: dict[str, Any], path: Sequence[str | int], sentinel: str) -> dict[str, Any]:
    """A copy of ``props`` with the value at ``path`` unknown."""
    result = copy.deepcopy(props)
    target: Any = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = sentinel
    return result


STR, BOOL, NUM = UNKNOWN_STRING_VALUE, UNKNOWN_BOOLEAN_VALUE, UNKNOWN_NUMBER_VALUE
ARR, OBJ = UNKNOWN_ARRAY_VALUE, UNKNOWN_OBJECT_VALUE

#: (rule, the compliant container it starts from, the path made unknown, the sentinel).
UNKNOWN_CASES: list[tuple[ResourceValidationPolicy, Callable[[], dict[str, Any]], tuple[str | int, ...], str]] = [
    (docker_container_not_privileged, container, ("privileged",), BOOL),
    (docker_container_not_privileged, container, ("capabilities",), OBJ),
    (docker_container_not_privileged, container, ("capabilities", "drops"), ARR),
    (docker_container_not_privileged, container, ("capabilities", "drops", 0), STR),
    (docker_container_not_privileged, container, ("capabilities", "adds"), ARR),
    (docker_container_not_privileged, container, ("securityOpts",), ARR),
    (docker_container_not_privileged, container, ("securityOpts", 0), STR),
    (docker_container_not_privileged, container, ("devices",), ARR),
    (docker_container_non_root, container, ("user",), STR),
    (docker_container_non_root, lambda: container(user="root"), ("labels",), ARR),
    (docker_container_no_host_namespaces, container, ("networkMode",), STR),
    (docker_container_no_host_namespaces, container, ("pidMode",), STR),
    (docker_container_no_host_namespaces, container, ("ipcMode",), STR),
    (docker_container_no_host_namespaces, container, ("usernsMode",), STR),
    (docker_container_no_host_mounts, container, ("mounts",), ARR),
    (docker_container_no_host_mounts, container, ("mounts", 0), OBJ),
    (docker_container_no_host_mounts, cadvisor, ("mounts", 0, "readOnly"), BOOL),
    (docker_container_no_host_mounts, cadvisor, ("labels",), ARR),
    (docker_container_no_host_mounts, cadvisor, ("labels", 0, "value"), STR),
    (docker_container_no_host_mounts, container, ("volumes",), ARR),
    (docker_only_load_balancer_publishes, load_balancer, ("ports",), ARR),
    (docker_only_load_balancer_publishes, load_balancer, ("ports", 0), OBJ),
    (docker_only_load_balancer_publishes, load_balancer, ("ports", 0, "ip"), STR),
    (docker_only_load_balancer_publishes, load_balancer, ("ports", 0, "internal"), NUM),
    (docker_only_load_balancer_publishes, load_balancer, ("labels",), ARR),
    (docker_only_load_balancer_publishes, container, ("publishAllPorts",), BOOL),
    (docker_container_health_check, container, ("mustRun",), BOOL),
    (docker_container_restart_policy, container, ("mustRun",), BOOL),
    (docker_container_health_check, container, ("healthcheck",), OBJ),
    (docker_container_health_check, container, ("healthcheck", "tests"), ARR),
    (docker_container_health_check, container, ("healthcheck", "tests", 0), STR),
    (docker_container_restart_policy, container, ("restart",), STR),
    (docker_container_restart_policy, backup_job, ("restart",), STR),
    (docker_no_default_credentials, container, ("envs",), ARR),
    (docker_no_plaintext_credentials, container, ("envs",), ARR),
    (docker_no_default_credentials, container, ("envs", 0), STR),
    (docker_no_plaintext_credentials, container, ("envs", 0), STR),
    (docker_no_default_credentials, backup_job, ("command",), ARR),
    (docker_no_plaintext_credentials, backup_job, ("command",), ARR),
    (docker_no_default_credentials, backup_job, ("command", 2), STR),
    (docker_no_plaintext_credentials, backup_job, ("command", 2), STR),
    (docker_no_default_credentials, lambda: container(entrypoints=["/entrypoint.sh"]), ("entrypoints",), ARR),
    (docker_no_plaintext_credentials, lambda: container(entrypoints=["/entrypoint.sh"]), ("entrypoints",), ARR),
    (docker_no_default_credentials, container, ("healthcheck", "tests"), ARR),
    (docker_no_plaintext_credentials, container, ("healthcheck", "tests"), ARR),
    (docker_no_default_credentials, container, ("healthcheck",), OBJ),
    (docker_no_plaintext_credentials, container, ("healthcheck",), OBJ),
    (docker_no_default_credentials, container, ("uploads",), ARR),
    (docker_secret_files_private, container, ("uploads",), ARR),
    (docker_no_default_credentials, container, ("uploads", 0), OBJ),
    (docker_secret_files_private, container, ("uploads", 0), OBJ),
    (docker_secret_files_private, container, ("uploads", 0, "permissions"), STR),
    (docker_container_read_only_root_filesystem, container, ("readOnly",), BOOL),
    (docker_container_read_only_root_filesystem, lambda: container(readOnly=False), ("labels",), ARR),
    (docker_container_resource_limits, container, ("memory",), NUM),
    (docker_container_resource_limits, container, ("cpus",), STR),
    (docker_container_resource_limits, container, ("mustRun",), BOOL),
]


@pytest.mark.parametrize(
    ("policy", "build", "path", "sentinel"),
    UNKNOWN_CASES,
    ids=[f"{p.name}-{'.'.join(map(str, path))}-{build.__name__}" for p, build, path, _ in UNKNOWN_CASES],
)
def test_an_unknown_value_is_reported(
    policy: ResourceValidationPolicy, build: Callable[[], dict[str, Any]], path: tuple[str | int, ...], sentinel: str
) -> None:
    found = noticed(policy, with_unknown(build(), path, sentinel))
    assert found, "the rule passed silently on an unknown value"
    # Values that other resources compute (environment entries, arguments, uploads) stop the credentials rule for the
    # preview; literal settings (a secret file's permissions, everything the other rules read) are violations.
    if policy in CREDENTIAL_RULES and path[-1] != "permissions":
        assert found == [CANNOT_RUN]
    else:
        assert CANNOT_RUN not in found


def test_credentials_checks_report_what_they_can_before_stopping_on_an_unknown_value() -> None:
    props = container(envs=[STR, "POSTGRES_PASSWORD=Zq9"], command=["redis-server", "--requirepass", STR])
    assert noticed(docker_no_default_credentials, props) == [CANNOT_RUN]
    found = noticed(docker_no_plaintext_credentials, props)
    assert [m.split(",")[0].split(" holds")[0] for m in found] == [
        "The variable POSTGRES_PASSWORD",
        "command passes a credential with --requirepass",
        CANNOT_RUN,
    ]


def test_an_unknown_value_after_a_credential_option_is_a_credential_on_the_command_line() -> None:
    props = container(command=["redis-server", "--requirepass", STR, "--port", "6379"])
    assert noticed(docker_no_plaintext_credentials, props) == [
        "command passes a credential with --requirepass, visible to anyone who can run docker inspect or ps: read "
        'it at run time from an uploaded file instead ("$(cat /run/secrets/...)", a config file with an include, or '
        "the program's *_FILE setting)."
    ]


def test_unknown_values_are_named_in_the_message() -> None:
    assert one(docker_container_non_root, container(user=STR)) == (
        'user is unknown during preview, so this rule cannot check it: set it to a non-root "uid:gid" such as '
        '"1000:1000" directly (from configuration), not from another resource\'s output.'
    )


@pytest.mark.parametrize(
    ("policy", "build", "path", "sentinel"),
    [
        (docker_no_default_credentials, container, ("uploads", 0, "content"), STR),
        (docker_container_no_host_mounts, cadvisor, ("mounts", 0, "source"), STR),
        (docker_container_read_only_root_filesystem, database, ("readOnly",), BOOL),
    ],
    ids=["generated-secret-content", "read-only-bind-source-of-a-host-reader", "read-only-of-a-role-not-required"],
)
def test_unknown_values_that_prove_nothing_wrong_pass(
    policy: ResourceValidationPolicy, build: Callable[[], dict[str, Any]], path: tuple[str | int, ...], sentinel: str
) -> None:
    """An upload's content from another resource is a generated secret; a read-only bind is allowed for a host reader
    whatever its path; a role that need not be read-only may have any read_only."""
    assert check(policy, with_unknown(build(), path, sentinel)) == []


def test_unknown_values_in_the_stack_rules_are_reported() -> None:
    image = image_stack("nginx:1.27.3", image=STR, deps=False)
    assert urns(check_stack(docker_images_pinned, image)) == [LB_URN]
    unknown_name = image_stack("nginx:1.27.3")
    unknown_name[0].props["name"] = STR
    assert urns(check_stack(docker_images_pinned, unknown_name)) == [IMAGE_URN]

    stack = platform(data=network("data", internal=BOOL))
    assert urns(check_stack(docker_data_networks_internal, stack)) == [NETWORK_URNS["data"], DB_URN, "urn:c::exporter"]
    stack = platform(data=network("data", labels=ARR))
    assert urns(check_stack(docker_data_networks_internal, stack)) == [NETWORK_URNS["data"]]
    db = Res(DB_URN, CONTAINER, database(networksAdvanced=ARR))
    assert urns(check_stack(docker_data_networks_internal, [*networks(), db])) == [DB_URN]
    db = attached(DB_URN, database(networkMode=STR), "data")
    assert urns(check_stack(docker_data_networks_internal, [*networks(), db])) == [DB_URN]
    unlabelled = attached("urn:c::x", container(labels=ARR), "edge")
    (found,) = check_stack(docker_data_networks_internal, [*networks(), unlabelled])
    assert found[0] == "urn:c::x"
    assert found[1].startswith("The container's labels (webstack.role) is unknown during preview")
    assert (
        check_stack(docker_data_networks_internal, [*networks(), attached("urn:c::y", container(labels=ARR), "app")])
        == []
    )


def test_unknown_volume_labels_are_reported() -> None:
    args = volume_args(None, protect=False, props={"name": "v", "labels": ARR})
    assert len(volume_violations(args)) == 1


# -- what common.py registers, run through the pack as stackcheck runs it ----------------------------------------------
def registered_platform() -> list[RecordedResource]:
    """A small docker platform built with components/docker/common.py under the test mocks."""
    from components.docker.common import ContainerSpec, HealthCheck, Port, Upload, pinned_image, volume
    from components.docker.common import container as docker_container
    from components.docker.network import DockerNetworks

    def factory() -> None:
        opts = pulumi.ResourceOptions()
        nets = DockerNetworks("dkrtest-network", opts).networks
        nginx = pinned_image("dkrtest-image-nginx", "nginxinc/nginx-unprivileged:1.27.3-alpine", opts)
        postgres = pinned_image("dkrtest-image-postgres", "postgres:16.6-alpine", opts)
        data = volume("dkrtest-pgdata", "db-primary", opts)
        lb_config = volume("dkrtest-lb-config", "lb", opts)
        db_secrets = volume("dkrtest-db-secrets", "db-primary", opts)
        password = pulumi.Output.secret(SECRET)
        docker_container(
            "dkrtest-lb",
            ContainerSpec(
                image=nginx.image_id,
                user="101:101",
                role="lb",
                networks=[nets.edge, nets.app],
                health=HealthCheck(["wget", "-qO-", "http://127.0.0.1:8080/health"]),
                ports=[Port(8080, 80, "0.0.0.0"), Port(8443, 443, "0.0.0.0")],
                uploads=[Upload("/etc/nginx/certs/server.key", password, "0400")],
                volumes={"/etc/nginx/certs": lb_config},
                tmpfs={"/tmp": "rw,noexec,nosuid,size=64m"},
            ),
            opts,
        )
        docker_container(
            "dkrtest-db",
            ContainerSpec(
                image=postgres.image_id,
                user="70:70",
                role="db-primary",
                networks=[nets.data],
                health=HealthCheck(["pg_isready", "-U", "webstack_admin"], shell=True),
                envs={"POSTGRES_USER": "webstack_admin", "POSTGRES_PASSWORD_FILE": "/run/secrets/db_password"},
                uploads=[Upload("/run/secrets/db_password", password)],
                volumes={"/var/lib/postgresql/data": data, "/run/secrets": db_secrets},
                tmpfs={"/tmp": "rw,size=64m", "/var/run/postgresql": "rw,size=8m"},
                memory_mb=1024,
            ),
            opts,
        )
        docker_container(
            "dkrtest-backup",
            ContainerSpec(
                image=postgres.image_id,
                user="70:70",
                role="backup",
                networks=[nets.data],
                health=None,
                long_running=False,
                command=["sh", "-c", "pg_dump -h db-primary app > /backups/app.sql"],
                envs={"PGPASSFILE": "/run/secrets/pgpass"},
                uploads=[Upload("/run/secrets/pgpass", password, "0400")],
                read_only=False,
            ),
            opts,
        )

    construct(factory)
    return [r for r in RECORDER.resources if r.name.startswith("dkrtest-")]


def docker_outcomes(resources: list[RecordedResource]) -> dict[str, Any]:
    settings = resolve_settings(
        POLICIES, load_policy_config(ROOT / "policies" / "config" / "local.json"), PACK_ENFORCEMENT_LEVEL
    )
    found, violations = evaluate(resources, POLICIES, settings)
    return {"outcomes": {o.name: o for o in found}, "violations": violations}


@pytest.fixture(scope="module")
def platform_resources() -> list[RecordedResource]:
    return registered_platform()


def test_what_common_py_registers_passes_every_docker_rule(platform_resources: list[RecordedResource]) -> None:
    result = docker_outcomes(platform_resources)
    assert [(v.policy, v.urn.rsplit("::", 1)[-1], v.message) for v in result["violations"]] == []
    assert all(o.examined for o in result["outcomes"].values()), "a rule found nothing of its kind to check"


@pytest.mark.parametrize("change", [unknown_like, unknown_leaves], ids=["whole-properties", "every-leaf"])
def test_no_docker_rule_crashes_or_passes_silently_on_unknown_values(
    platform_resources: list[RecordedResource], change: Callable[[Any], Any]
) -> None:
    unknown = docker_outcomes(with_unknowns(platform_resources, change))["outcomes"]
    silent = [name for name, o in unknown.items() if not o.violations and not o.diagnostics]
    assert silent == []
