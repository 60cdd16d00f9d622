"""The reference application (app/) against the contract, from its source, with no Docker: its Dockerfiles, the names
it reads against what the program hands its containers and task definitions, its metrics against the alert catalog,
its ports and paths against the settings' defaults, and the stacks that build it. The same application runs end to
end in real servers in tests/realserver/test_reference_app.py."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import crossplane
import pytest
import yaml
from promql_parser import parse

from app.backend import server
from app.backend.metrics import Metrics
from components.alerts import catalog
from components.build_context import ignore_file, sent_files
from components.docker.images import IMAGES
from components.docker.monitoring import docker_alerts
from components.settings import BackendSettings, FrontendSettings, HealthCheckSettings, MonitoringSettings
from policies.rules.docker_services import pin_problem
from tests.components.docker_support import unwrap
from tests.conftest import ROOT

APP = ROOT / "app"
DOCKERFILES = {"frontend": APP / "frontend" / "Dockerfile", "backend": APP / "backend" / "Dockerfile"}
STACK_FILES = sorted(ROOT.glob("Pulumi.*.yaml"))
#: The backend's own setting: the platform says which port to listen on only through the settings' default.
OWN_SETTINGS = {"PORT"}


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(instruction, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


@pytest.mark.parametrize("service", DOCKERFILES)
def test_each_image_starts_from_a_pinned_base_and_runs_as_no_root(service: str) -> None:
    steps = instructions(DOCKERFILES[service])
    bases = [args.split()[0] for kind, args in steps if kind == "FROM"]
    assert bases
    assert [pin_problem(base) for base in bases] == [None] * len(bases)
    users = [args.split(":")[0] for kind, args in steps if kind == "USER"]
    assert users
    assert users[-1] not in ("root", "0")


def test_the_frontend_is_served_by_the_nginx_the_platform_pins() -> None:
    bases = [args for kind, args in instructions(DOCKERFILES["frontend"]) if kind == "FROM"]
    assert bases == [IMAGES["nginx"]]


def test_each_build_sends_only_its_service_and_the_backend_gets_the_repositorys_shard_map() -> None:
    backend = sent_files(ROOT, "app/backend/Dockerfile")
    frontend = sent_files(ROOT, "app/frontend/Dockerfile")
    assert ignore_file(ROOT, "app/backend/Dockerfile") == APP / "backend" / "Dockerfile.dockerignore"
    assert "components/shard_map.py" in backend
    assert "app/backend/server.py" in backend
    assert not [f for f in backend if not f.startswith(("app/backend/", "app/__init__.py", "components/"))]
    assert {f for f in backend if f.startswith("components/")} == {"components/__init__.py", "components/shard_map.py"}
    assert frontend
    assert all(f.startswith("app/frontend/") for f in frontend)
    copied = [args for kind, args in instructions(DOCKERFILES["backend"]) if kind == "COPY"]
    assert any("components/shard_map.py" in args for args in copied)


def test_the_ports_and_paths_are_the_platforms_defaults() -> None:
    assert BackendSettings().port == server.DEFAULT_PORT
    assert BackendSettings().health_check_path == server.HEALTH_PATH
    assert MonitoringSettings().metrics_path == server.METRICS_PATH
    payload = crossplane.parse(str(APP / "frontend" / "nginx.conf"), combine=True)["config"][0]["parsed"]
    http = next(d for d in payload if d["directive"] == "http")["block"]
    frontend = next(d for d in http if d["directive"] == "server")["block"]
    assert [d["args"] for d in frontend if d["directive"] == "listen"] == [[str(FrontendSettings().port)]]
    locations = {tuple(d["args"]) for d in frontend if d["directive"] == "location"}
    assert ("=", FrontendSettings().health_check_path) in locations
    assert ("=", MonitoringSettings().metrics_path) in locations
    assert HealthCheckSettings().timeout_seconds > server.HEALTH_CACHE_SECONDS


# -- the names the backend reads, against what the program hands it -----------------------------------------------
def names_read() -> tuple[set[str], set[str]]:
    """(plain settings, credentials) the backend reads: the names passed to :class:`app.backend.environment.Env`."""
    plain, secrets = set(), set()
    for path in (APP / "backend").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            owner = node.func.value
            is_env = (isinstance(owner, ast.Name) and owner.id == "env") or (
                isinstance(owner, ast.Attribute) and owner.attr == "env"
            )
            if not is_env or not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            name = str(node.args[0].value)
            if node.func.attr == "secret":
                secrets.add(name)
            elif node.func.attr in ("text", "number", "flag", "has"):
                plain.add(name)
    return plain, secrets


def docker_environment(local_run: Any) -> dict[str, str]:
    backend = next(r for r in local_run.resources if r.name == "web-backend-1")
    return dict(entry.split("=", 1) for entry in unwrap(backend.inputs["envs"]))


def aws_container(run: Any) -> dict[str, Any]:
    definition = next(r for r in run.resources if r.name == "web-backend-task")
    containers = json.loads(unwrap(definition.inputs["containerDefinitions"]))
    return next(c for c in containers if c["name"] == "backend")


def test_the_backend_reads_only_names_a_platform_provides(local_run: Any, prod_run: Any) -> None:
    plain, secrets = names_read()
    docker = set(docker_environment(local_run))
    container = aws_container(prod_run)
    aws = {e["name"] for e in container["environment"]} | {s["name"] for s in container["secrets"]}
    assert plain
    assert sorted(plain - docker - aws - OWN_SETTINGS) == []
    # A credential: the variable itself (aws, an ECS secret) or the file that NAME_FILE names (docker).
    assert sorted(name for name in secrets if name not in aws and f"{name}_FILE" not in docker) == []


def test_the_backend_reads_every_credential_and_location_the_platforms_hand_it(local_run: Any, prod_run: Any) -> None:
    plain, secrets = names_read()
    docker = docker_environment(local_run)
    files = {name for name in docker if name.endswith("_FILE")}
    unread_files = sorted(n for n in files if n not in plain and n.removesuffix("_FILE") not in secrets)
    assert unread_files == []
    container = aws_container(prod_run)
    assert sorted(s["name"] for s in container["secrets"] if s["name"] not in plain | secrets) == []
    where = {"DATABASE_HOST", "DATABASE_NAME", "REDIS_HOST", "DOCUMENTS_BUCKET", "SHARD_MAP_PARAMETER"}
    aws = {e["name"] for e in container["environment"]}
    assert where <= aws
    assert sorted(where - plain) == []


def test_the_client_address_header_is_the_platforms(local_run: Any, prod_run: Any, staging_run: Any) -> None:
    """docker: X-Forwarded-For, which the generated nginx sets to the client's address alone; aws: CF-Connecting-IP
    behind Cloudflare (prod), X-Forwarded-For without it (staging)."""
    assert docker_environment(local_run)["WEBSTACK_CLIENT_ADDRESS_HEADER"] == "X-Forwarded-For"
    by_stack = {}
    for run in (prod_run, staging_run):
        container = aws_container(run)
        by_stack[run.stack] = {e["name"]: e["value"] for e in container["environment"]}[
            "WEBSTACK_CLIENT_ADDRESS_HEADER"
        ]
    assert by_stack == {"prod": "CF-Connecting-IP", "staging": "X-Forwarded-For"}
    nginx = next(r for r in local_run.resources if r.name == "edge-nginx-seed")
    config = next(u["content"] for u in unwrap(nginx.inputs["uploads"]) if u["file"].endswith("nginx.conf"))
    assert re.search(r"proxy_set_header X-Forwarded-For \$remote_addr;", config)
    assert server.client_address("203.0.113.9, 10.0.0.7", "X-Forwarded-For", "10.0.0.1") == "10.0.0.7"
    assert server.client_address("198.51.100.4", "CF-Connecting-IP", "10.0.0.1") == "198.51.100.4"
    assert server.client_address(None, "X-Forwarded-For", "10.0.0.1") == "10.0.0.1"


# -- metrics -----------------------------------------------------------------------------------------------------------
def metric_names(expression: str) -> set[str]:
    """Every metric an expression selects (promql-parser's syntax tree)."""
    names: set[str] = set()

    def visit(node: Any) -> None:
        name = getattr(node, "name", None)
        if type(node).__name__ == "VectorSelector" and name:
            names.add(str(name))
        for attribute in ("expr", "lhs", "rhs", "param", "vector_selector"):
            child = getattr(node, attribute, None)
            if child is not None and not isinstance(child, str | int | float):
                visit(child)
        for child in getattr(node, "args", None) or []:
            visit(child)

    visit(parse(expression.replace("{threshold}", "1")))
    return names


def test_the_backend_publishes_every_series_the_alerts_read_from_the_application() -> None:
    """The alerts whose CloudWatch side reads the load balancer or the WAF read, on Prometheus, what the application
    measures of its requests: those series must be in its /metrics."""
    wanted = set()
    for alert in docker_alerts(catalog()):
        if alert.target in ("load_balancer", "firewall"):
            wanted |= metric_names(alert.prometheus.expr)
    assert wanted
    metrics = Metrics()
    metrics.observe("GET", "/api/status", 200, 0.012)
    metrics.observe("POST", "/api/notes", 503, 2.5)
    text = metrics.render()
    published = {line.split("{")[0].split()[0] for line in text.splitlines() if line and not line.startswith("#")}
    assert sorted(wanted - published) == []
    statuses = set(re.findall(r'status="(\d+)"', text))
    assert statuses == {"200", "503"}
    families = dict(re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.M))
    assert families == {"http_requests_total": "counter", "http_request_duration_seconds": "histogram"}


# -- the stacks build it -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("stack_file", STACK_FILES, ids=lambda path: path.stem.removeprefix("Pulumi."))
def test_every_stack_builds_the_reference_application_and_runs_its_migration(stack_file: Path) -> None:
    config = yaml.safe_load(stack_file.read_text())["config"]
    for service, dockerfile in DOCKERFILES.items():
        build = config["webstack:web"][service]["build"]
        assert (ROOT / build["context"] / build["dockerfile"]).resolve() == dockerfile
        assert "image" not in config["webstack:web"][service]
    assert config["webstack:app"]["migration"]["command"] == ["python", "-m", "app.backend", "migrate"]


def test_the_local_stack_runs_the_images_it_builds_from_app(local_run: Any) -> None:
    builds = {r.name: r for r in local_run.resources if r.type == "docker:index/image:Image"}
    assert sorted(builds) == ["image-backend", "image-frontend"]
    for service, image in builds.items():
        inputs = unwrap(image.inputs)
        assert inputs["skipPush"] is True
        assert Path(inputs["build"]["dockerfile"]).resolve() == (ROOT / DOCKERFILES[service.split("-")[1]]).resolve()
        assert re.fullmatch(r"webstack-local/(frontend|backend):src-[0-9a-f]{16}", inputs["imageName"])
    for container in ("web-frontend-1", "web-backend-1", "web-migrate"):
        recorded = next(r for r in local_run.resources if r.name == container)
        image_urns = recorded.property_dependencies.get("image", [])
        assert [urn.rsplit("::", 1)[1] for urn in image_urns] in (["image-frontend"], ["image-backend"])
    pulled = [r.inputs.get("name", "") for r in local_run.resources if r.type == "docker:index/remoteImage:RemoteImage"]
    assert not [name for name in pulled if "example" in name]


def test_the_image_pins_are_the_projects_where_both_install_a_package() -> None:
    def pins(path: Path) -> dict[str, str]:
        found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), flags=re.M)
        return {name.lower().replace("_", "-"): version for name, version in found}

    image = pins(APP / "backend" / "requirements.txt")
    project = pins(ROOT / "requirements.txt") | pins(ROOT / "requirements-dev.txt")
    shared = set(image) & set(project)
    assert {"psycopg", "psycopg-binary", "redis"} <= shared
    assert {name: image[name] for name in shared} == {name: project[name] for name in shared}
