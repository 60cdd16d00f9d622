"""Project and stack files are checked as the Pulumi CLI checks them, since no CLI runs here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stackcheck.engine.project import (
    SECRET_PLACEHOLDER,
    ProjectFileError,
    load_policy_pack,
    load_project,
    load_stack,
    matches_type,
    stack_names,
)

ROOT = Path(__file__).resolve().parents[2]
#: The docker platform's stacks and their environments: a laptop, and one production server behind Cloudflare.
DOCKER_STACKS = {"local": "dev", "single-server": "prod"}


def write_project(tmp_path: Path, config: dict[str, Any]) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "webstack", "runtime": "python", "config": config}))
    return tmp_path


def project_error(tmp_path: Path, config: dict[str, Any]) -> str:
    with pytest.raises(ProjectFileError) as caught:
        load_project(write_project(tmp_path, config))
    return str(caught.value)


def stack_error(tmp_path: Path, declarations: dict[str, Any], values: dict[str, Any]) -> str:
    project = load_project(write_project(tmp_path, declarations))
    (tmp_path / "Pulumi.s.yaml").write_text(yaml.safe_dump({"config": values}))
    with pytest.raises(ProjectFileError) as caught:
        load_stack(tmp_path, project, "s")
    return str(caught.value)


# -- the real files ----------------------------------------------------------------------------------------------------
def test_the_project_file_passes_the_cli_rules() -> None:
    project = load_project(ROOT)
    assert project.name == "webstack"
    for key, entry in project.declarations.items():
        assert key.startswith("webstack:")
        assert entry["type"] in ("string", "integer", "boolean", "array", "object")
        assert entry["description"]


@pytest.mark.parametrize("stack", stack_names(ROOT))
def test_every_stack_file_passes_the_cli_rules(stack: str) -> None:
    config = load_stack(ROOT, load_project(ROOT), stack)
    if stack in DOCKER_STACKS:  # the docker platform: no AWS region
        assert config.values["webstack:platform"] == "docker"
        assert config.values["webstack:environment"] == DOCKER_STACKS[stack]
        assert "aws:region" not in config.values
    else:
        assert config.values["webstack:environment"] == stack
        assert config.values["aws:region"]


def test_the_stacks_are_local_single_server_staging_and_prod() -> None:
    assert stack_names(ROOT) == ["local", "prod", "single-server", "staging"]


def test_the_project_declares_the_pulumi_version_it_needs() -> None:
    raw = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert raw["requiredPulumiVersion"] == ">=3.190.0"
    assert raw["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_the_policy_pack_file_needs_runtime_and_version(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "PulumiPolicy.yaml").write_text("runtime: python\n")
    with pytest.raises(ProjectFileError, match="missing a 'version'"):
        load_policy_pack(tmp_path)
    (tmp_path / "policies" / "PulumiPolicy.yaml").write_text("version: 1.0.0\n")
    with pytest.raises(ProjectFileError, match="missing a 'runtime'"):
        load_policy_pack(tmp_path)


# -- declarations ------------------------------------------------------------------------------------------------------
def test_an_unknown_type_is_rejected(tmp_path: Path) -> None:
    assert "has type 'map'; expected one of string, integer, boolean, array, object" in project_error(
        tmp_path, {"webstack:x": {"type": "map"}}
    )


def test_an_array_needs_items(tmp_path: Path) -> None:
    assert "declares an array but does not specify the underlying type" in project_error(
        tmp_path, {"webstack:x": {"type": "array", "default": []}}
    )


def test_a_default_must_match_its_type(tmp_path: Path) -> None:
    message = project_error(tmp_path, {"webstack:x": {"type": "integer", "default": "three"}})
    assert message.endswith(
        "the default value specified for configuration key 'webstack:x' is not of the expected type 'integer'"
    )
    message = project_error(tmp_path, {"webstack:x": {"type": "array", "items": {"type": "string"}, "default": [1]}})
    assert message.endswith("is not of the expected type 'array<string>'")


def test_default_and_value_never_together(tmp_path: Path) -> None:
    assert "cannot have both a 'default' and 'value' attribute" in project_error(
        tmp_path, {"webstack:x": {"type": "string", "default": "a", "value": "b"}}
    )


def test_another_namespace_takes_no_type_or_default_and_needs_a_value(tmp_path: Path) -> None:
    assert "should not define a type" in project_error(tmp_path, {"aws:region": {"type": "string", "value": "x"}})
    assert "should not define a default value" in project_error(tmp_path, {"aws:region": {"default": "us-east-1"}})
    assert "must provide an attribute 'value'" in project_error(tmp_path, {"aws:region": {"description": "x"}})


def test_object_is_a_type(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, {"webstack:x": {"type": "object", "default": {"a": 1}}}))
    assert project.declarations["webstack:x"]["default"] == {"a": 1}


def test_integers_accept_what_the_cli_accepts() -> None:
    assert matches_type("integer", 3)
    assert matches_type("integer", 3.0)
    assert matches_type("integer", "3")
    assert not matches_type("integer", 3.5)
    assert not matches_type("integer", True)
    assert not matches_type("integer", "x")
    assert matches_type("boolean", "true")
    assert matches_type("boolean", False)
    assert not matches_type("boolean", "yes")


# -- stack values ------------------------------------------------------------------------------------------------------
def test_a_stack_value_must_match_its_declared_type(tmp_path: Path) -> None:
    message = stack_error(tmp_path, {"webstack:x": {"type": "object", "default": {}}}, {"webstack:x": "text"})
    assert message == "Pulumi.s.yaml: webstack:x should be of type 'object', got \"text\""


def test_a_secret_declared_key_must_be_encrypted(tmp_path: Path) -> None:
    message = stack_error(
        tmp_path, {"webstack:hook": {"type": "string", "secret": True}}, {"webstack:hook": "https://x"}
    )
    assert message == (
        "Pulumi.s.yaml: webstack:hook is declared secret in Pulumi.yaml but is stored in plaintext; set it with "
        "`pulumi config set --secret webstack:hook <value>`"
    )
    assert "https://x" not in message


def test_a_key_without_a_default_must_be_set(tmp_path: Path) -> None:
    message = stack_error(tmp_path, {"webstack:domain": {"type": "string"}}, {"aws:region": "us-east-1"})
    assert message.startswith("Pulumi.s.yaml is missing webstack:domain, which Pulumi.yaml declares without a default")


def test_a_missing_stack_file_names_the_stacks_that_exist() -> None:
    with pytest.raises(
        ProjectFileError,
        match=r"there is no stack 'qa': Pulumi.qa.yaml does not exist \(stacks: local, prod, single-server, staging\)",
    ):
        load_stack(ROOT, load_project(ROOT), "qa")


def test_values_reach_the_program_as_the_engine_passes_them(tmp_path: Path) -> None:
    project = load_project(
        write_project(
            tmp_path,
            {
                "webstack:n": {"type": "object", "default": {"a": 1, "b": 2}},
                "webstack:count": {"type": "integer", "default": 2},
                "webstack:on": {"type": "boolean", "default": False},
            },
        )
    )
    (tmp_path / "Pulumi.s.yaml").write_text(
        yaml.safe_dump({"config": {"webstack:n": {"a": 5}, "on": True, "aws:secretKey": {"secure": "v1:abc"}}})
    )
    config = load_stack(tmp_path, project, "s")
    assert config.values == {
        "webstack:n": '{"a": 5}',
        "webstack:count": "2",
        "webstack:on": "true",
        "aws:secretKey": SECRET_PLACEHOLDER,
    }
    assert config.secret_keys == {"aws:secretKey"}


def test_a_nested_secure_value_makes_its_whole_key_secret(tmp_path: Path) -> None:
    project = load_project(write_project(tmp_path, {"webstack:n": {"type": "object", "default": {}}}))
    (tmp_path / "Pulumi.s.yaml").write_text(yaml.safe_dump({"config": {"webstack:n": {"hook": {"secure": "v1:x"}}}}))
    config = load_stack(tmp_path, project, "s")
    assert config.secret_keys == {"webstack:n"}
    assert config.values["webstack:n"] == f'{{"hook": "{SECRET_PLACEHOLDER}"}}'
