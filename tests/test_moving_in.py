"""Each guide's application moves in from settings alone (docs/moving-in.md), and stackcheck shows it safely.

Three shapes, each a stack file of its own and nothing else:

- the scholarship system: a FastAPI backend with JWT and SMTP secrets and an Alembic migration (PostgreSQL);
- the private blockchain: a Java service with persistent state (one writer) and its keys;
- the sharded PHP platform: a backend on three MySQL shards with its own roles and an artisan migration;

plus the scholarship system on the docker platform. For each: no mandatory violation, no secret value anywhere in
stackcheck's JSON, the migration before the services, and the application role (never a master secret) in every
service's task definition.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT, ZONE_ID, run_stackcheck, stackcheck_json

#: Stand-ins for the ciphertexts `pulumi config set --secret --path` writes (stackcheck never decrypts them).
CIPHERTEXT = "v1:bm90LWEtcmVhbC1jaXBoZXJ0ZXh0"

AWS_BASE: dict[str, Any] = {
    "aws:region": "us-east-1",
    "webstack:platform": "aws",
    "webstack:environment": "prod",
    "webstack:domain": "app.example.org",
    "webstack:cdn": {"enabled": True, "zoneId": ZONE_ID, "plan": "business"},
    # Every alert topic reaches somebody (aws-alert-topics-reach-someone).
    "webstack:monitoring": {"alertEmails": ["oncall@example.org"]},
}

SHAPES: dict[str, dict[str, Any]] = {
    "scholarship": {
        **AWS_BASE,
        "webstack:web": {
            "frontend": {"image": "ghcr.io/example/scholarship-frontend:2.3.0", "port": 3000},
            "backend": {
                "image": "ghcr.io/example/scholarship-api:2.3.0",
                "port": 8000,
                "environment": {"SMTP_HOST": "smtp.example.org", "SMTP_PORT": "587", "JWT_ALGORITHM": "HS256"},
            },
        },
        "webstack:app": {"migration": {"command": ["alembic", "upgrade", "head"]}},
        "webstack:appSecrets": {
            "backend": {
                "JWT_SECRET_KEY": {"secure": CIPHERTEXT},
                "SMTP_USERNAME": {"secure": CIPHERTEXT},
                "SMTP_PASSWORD": {"secure": CIPHERTEXT},
            }
        },
    },
    "blockchain": {
        **AWS_BASE,
        "webstack:web": {
            "frontend": {"image": "ghcr.io/example/explorer:1.0.0"},
            "backend": {
                "image": "ghcr.io/example/blockchain-node:1.0.0",
                "port": 8080,
                "desiredCount": 1,
                "minCount": 1,
                "maxCount": 1,
                "environment": {"JAVA_OPTS": "-Xmx1536m", "CHAIN_DATA_DIR": "/data/chain"},
            },
        },
        "webstack:app": {
            "backend": {
                "volume": {"path": "/data", "singleWriter": True},
                "secretArns": {
                    "NODE_OPERATOR_KEY": "arn:aws:secretsmanager:us-east-1:123456789012:secret:chain/operator-AbCdEf"
                },
            },
            "operations": {"enabled": True, "trustedPrincipalArns": ["arn:aws:iam::123456789012:role/chain-oncall"]},
        },
        "webstack:appSecrets": {"backend": {"VALIDATOR_PRIVATE_KEY": {"secure": CIPHERTEXT}}},
    },
    "sharded-php": {
        **AWS_BASE,
        "webstack:web": {
            "frontend": {"image": "ghcr.io/example/blackcnote-web:4.0.0"},
            "backend": {"image": "ghcr.io/example/blackcnote-php:4.0.0", "port": 9000},
        },
        "webstack:database": {
            "engine": "mysql",
            "shards": 3,
            "replicas": 1,
            "tables": {"users": 0, "transactions": 1, "posts": 2},
        },
        "webstack:app": {"migration": {"command": ["php", "artisan", "migrate", "--force"]}},
        "webstack:appSecrets": {"backend": {"APP_KEY": {"secure": CIPHERTEXT}}},
    },
}

DOCKER_SHAPE = {
    "webstack:platform": "docker",
    "webstack:environment": "dev",
    "webstack:domain": "scholarship.localhost",
    "webstack:web": SHAPES["scholarship"]["webstack:web"],
    "webstack:app": SHAPES["scholarship"]["webstack:app"],
    "webstack:appSecrets": SHAPES["scholarship"]["webstack:appSecrets"],
}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every shape's stackcheck JSON (exit code under "code"), from one project directory."""

    root = tmp_path_factory.mktemp("moving-in")
    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (root / name).symlink_to(ROOT / name)
    stacks = {**SHAPES, "scholarship-local": DOCKER_SHAPE}
    results: dict[str, dict[str, Any]] = {}
    for stack, config in stacks.items():
        (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": config}))
        code, document = stackcheck_json(stack, root=root)
        results[stack] = {**document, "code": code}
    return results


def _resources(document: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r for r in document["resources"] if r["type"] == type_]


def _containers(task: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(task["inputs"]["containerDefinitions"])


@pytest.mark.parametrize("stack", [*SHAPES, "scholarship-local"])
def test_each_shape_passes_every_mandatory_policy(shapes: dict[str, dict[str, Any]], stack: str) -> None:
    document = shapes[stack]
    assert [v for v in document["violations"] if v["enforcementLevel"] == "mandatory"] == []
    assert document["code"] == 0


@pytest.mark.parametrize("stack", [*SHAPES, "scholarship-local"])
def test_no_secret_value_appears_in_the_report(shapes: dict[str, dict[str, Any]], stack: str) -> None:
    text = json.dumps(shapes[stack])
    assert "stackcheck-placeholder-secret" not in text
    assert CIPHERTEXT not in text


@pytest.mark.parametrize(
    ("stack", "names"),
    [
        ("scholarship", {"JWT_SECRET_KEY", "SMTP_USERNAME", "SMTP_PASSWORD"}),
        ("blockchain", {"VALIDATOR_PRIVATE_KEY", "NODE_OPERATOR_KEY"}),
        ("sharded-php", {"APP_KEY"}),
    ],
)
def test_the_application_secrets_reach_the_backend_as_ecs_secrets(
    shapes: dict[str, dict[str, Any]], stack: str, names: set[str]
) -> None:
    document = shapes[stack]
    task = next(
        t for t in _resources(document, "aws:ecs/taskDefinition:TaskDefinition") if t["name"] == "web-backend-task"
    )
    backend = _containers(task)[0]
    secrets = {entry["name"]: entry["valueFrom"] for entry in backend["secrets"]}
    assert names <= set(secrets)
    assert not names & {entry["name"] for entry in backend["environment"]}
    stored = {r["inputs"].get("name") for r in _resources(document, "aws:secretsmanager/secret:Secret")}
    for name in names - {"NODE_OPERATOR_KEY"}:
        assert f"webstack-{stack}/app/backend/{name}" in stored
        assert ":secret:webstack-" in secrets[name]
    for version in _resources(document, "aws:secretsmanager/secretVersion:SecretVersion"):
        assert version["inputs"]["secretString"] == "[secret]"


@pytest.mark.parametrize("stack", list(SHAPES))
def test_services_sign_in_as_the_application_role_never_a_master(shapes: dict[str, dict[str, Any]], stack: str) -> None:
    document = shapes[stack]
    services = _resources(document, "aws:ecs/service:Service")
    tasks = {t["urn"]: t for t in _resources(document, "aws:ecs/taskDefinition:TaskDefinition")}
    for service in services:
        (task_urn,) = service["propertyDependencies"]["taskDefinition"]
        for container in _containers(tasks[task_urn]):
            for entry in container.get("secrets", []):
                assert "rds!" not in entry["valueFrom"]
    backend = next(t for t in tasks.values() if t["name"] == "web-backend-task")
    secrets = {entry["name"]: entry["valueFrom"] for entry in _containers(backend)[0]["secrets"]}
    assert f"webstack-{stack}/database/shard-0/app" in secrets["DATABASE_PASSWORD"]
    assert secrets["DATABASE_PASSWORD"].endswith(":password::")


@pytest.mark.parametrize("stack", ["scholarship", "sharded-php"])
def test_the_migration_runs_before_the_services(shapes: dict[str, dict[str, Any]], stack: str) -> None:
    document = shapes[stack]
    runs = [r for r in _resources(document, "command:local:Command") if r["name"] == "web-backend-migrate-run"]
    assert len(runs) == 1
    run = runs[0]
    command = SHAPES[stack]["webstack:app"]["migration"]["command"]
    assert json.dumps(command) in run["inputs"]["triggers"]
    assert run["inputs"]["create"] == (ROOT / "components" / "aws" / "run-task.sh").read_text()
    backend = next(s for s in _resources(document, "aws:ecs/service:Service") if s["name"] == "web-backend-service")
    assert run["urn"] in backend["dependencies"]
    migrate = next(
        t
        for t in _resources(document, "aws:ecs/taskDefinition:TaskDefinition")
        if t["name"] == "web-backend-migrate-task"
    )
    (container,) = _containers(migrate)
    assert container["command"] == command
    assert container["logConfiguration"]["options"]["awslogs-group"] == f"/webstack-{stack}/ecs/backend"


def test_every_shard_is_bootstrapped_before_the_services(shapes: dict[str, dict[str, Any]]) -> None:
    document = shapes["sharded-php"]
    runs = {r["urn"] for r in _resources(document, "command:local:Command") if "bootstrap-run" in r["name"]}
    assert len(runs) == 3
    for service in _resources(document, "aws:ecs/service:Service"):
        assert runs <= set(service["dependencies"])
    roles_of_php = [s["inputs"].get("name") for s in _resources(document, "aws:secretsmanager/secret:Secret")]
    assert {f"webstack-sharded-php/database/shard-{i}/app" for i in range(3)} <= set(roles_of_php)
    shard_map = document["outputs"]["shardMap"]
    assert all("/database/shard-" in shard["secretArn"] for shard in shard_map["shards"])


def test_the_java_service_keeps_its_state_on_an_encrypted_file_system(shapes: dict[str, dict[str, Any]]) -> None:
    document = shapes["blockchain"]
    (fs,) = _resources(document, "aws:efs/fileSystem:FileSystem")
    assert fs["inputs"]["encrypted"] is True
    assert len(_resources(document, "aws:efs/mountTarget:MountTarget")) == 3
    backend = next(s for s in _resources(document, "aws:ecs/service:Service") if s["name"] == "web-backend-service")
    assert backend["inputs"]["deploymentMaximumPercent"] == 100
    assert backend["inputs"]["deploymentMinimumHealthyPercent"] == 0
    task = next(
        t for t in _resources(document, "aws:ecs/taskDefinition:TaskDefinition") if t["name"] == "web-backend-task"
    )
    mounts = {m["containerPath"] for m in _containers(task)[0]["mountPoints"]}
    assert "/data" in mounts
    (volume,) = [v for v in task["inputs"]["volumes"] if v.get("efsVolumeConfiguration")]
    assert volume["efsVolumeConfiguration"]["transitEncryption"] == "ENABLED"


def test_the_docker_shape_gets_its_secrets_as_files_and_waits_for_its_migration(
    shapes: dict[str, dict[str, Any]],
) -> None:
    document = shapes["scholarship-local"]
    containers = {c["name"]: c for c in _resources(document, "docker:index/container:Container")}
    migrate = containers["web-migrate"]
    assert migrate["inputs"]["attach"] is True
    assert migrate["inputs"]["mustRun"] is False
    assert migrate["inputs"]["command"] == ["alembic", "upgrade", "head"]
    backend = containers["web-backend-1"]
    envs = dict(entry.split("=", 1) for entry in backend["inputs"]["envs"])
    assert envs["JWT_SECRET_KEY_FILE"] == "/run/webstack/secrets/JWT_SECRET_KEY"
    assert "JWT_SECRET_KEY" not in envs
    assert envs["DATABASE_USER"] == "app"
    assert envs["WEBSTACK_MIGRATION"].endswith(":succeeded")
    assert migrate["urn"] in backend["dependencies"] or any(
        migrate["urn"] in urns for urns in backend["propertyDependencies"].values()
    )


def test_a_plaintext_application_secret_is_refused_with_the_way_to_set_it(tmp_path: Path) -> None:

    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (tmp_path / name).symlink_to(ROOT / name)
    config = {**SHAPES["scholarship"], "webstack:appSecrets": {"backend": {"JWT_SECRET_KEY": "hunter2-but-longer"}}}
    (tmp_path / "Pulumi.plain.yaml").write_text(yaml.safe_dump({"config": config}))
    code, document = stackcheck_json("plain", root=tmp_path)
    assert code == 2
    text = json.dumps(document)
    assert "pulumi config set --secret --path 'webstack:appSecrets.<service>.<NAME>'" in text
    assert "hunter2" not in text


def test_the_operations_page_shows_the_sql_the_bootstrap_runs() -> None:
    from scripts.roles_docs import main

    assert main([]) == 0, "docs/operations.md's database roles are stale: run `make docs`"


def test_the_readme_links_the_moving_in_guide_and_it_covers_every_app_setting() -> None:
    from components.settings import AppSettings

    assert "(docs/moving-in.md)" in (ROOT / "README.md").read_text()
    guide = (ROOT / "docs" / "moving-in.md").read_text()
    for name, info in AppSettings.model_fields.items():
        key = "<service>" if name in ("frontend", "backend") else (info.alias or name)
        assert f"webstack:app.{key}" in guide, name
    for key in (
        "webstack:app.migration.command",
        "webstack:app.<service>.volume",
        "webstack:app.operations",
        "webstack:app.databaseRoles",
        "webstack:app.<service>.secretArns",
        "webstack:appSecrets",
    ):
        assert key in guide, key


def test_the_text_report_shows_no_secret_either(tmp_path: Path) -> None:
    for name in ("components", "policies", "__main__.py", "Pulumi.yaml"):
        (tmp_path / name).symlink_to(ROOT / name)
    (tmp_path / "Pulumi.scholarship.yaml").write_text(yaml.safe_dump({"config": SHAPES["scholarship"]}))
    result = run_stackcheck("scholarship", root=tmp_path)
    assert result.returncode == 0
    assert "stackcheck-placeholder-secret" not in result.stdout + result.stderr
    assert CIPHERTEXT not in result.stdout + result.stderr


def test_operator_access_is_one_logged_task_family_and_no_service_allows_exec(
    shapes: dict[str, dict[str, Any]],
) -> None:
    document = shapes["blockchain"]
    (cluster,) = _resources(document, "aws:ecs/cluster:Cluster")
    logging = cluster["inputs"]["configuration"]["executeCommandConfiguration"]
    assert logging["logging"] == "OVERRIDE"
    assert logging["logConfiguration"]["cloudWatchEncryptionEnabled"] is True
    assert all(not s["inputs"].get("enableExecuteCommand") for s in _resources(document, "aws:ecs/service:Service"))
    families = {t["inputs"]["family"] for t in _resources(document, "aws:ecs/taskDefinition:TaskDefinition")}
    assert "webstack-blockchain-operations" in families
    assert "operatorRoleArn" in document["outputs"]
    assert "operatorRoleArn" not in shapes["scholarship"]["outputs"]
