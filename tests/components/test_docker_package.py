"""The docker platform's public API: every component and its Args class, importable from the package, and loading
the package imports no provider SDK until a name is used."""

import json
import subprocess
import sys

import pulumi
import pytest

import components.docker
from components.docker import Database, DatabaseArgs
from components.docker.database import Database as DefinedDatabase
from tests.components.test_docker_schema import NESTED
from tests.conftest import ROOT


def test_every_public_name_resolves_to_what_its_module_defines() -> None:
    for name in components.docker.__all__:
        value = getattr(components.docker, name)
        assert value.__name__ == name
        assert value.__module__.startswith("components.docker."), name


def test_every_component_and_its_args_class_is_public() -> None:
    public = set(components.docker.__all__)
    components_ = {name for name in public if issubclass(getattr(components.docker, name), pulumi.ComponentResource)}
    assert components_ == {
        "Backups",
        "Cache",
        "Database",
        "InternalCa",
        "LoadBalancer",
        "Monitoring",
        "Network",
        "ObjectStorage",
        "Tunnel",
        "WebTier",
    }
    # Besides, the nested types those Args take (and the analyzer reads as types of the schema).
    assert public - components_ == {f"{name}Args" for name in components_} | set(NESTED)


def test_the_names_are_the_classes_their_modules_define() -> None:
    assert Database is DefinedDatabase
    assert DatabaseArgs.__module__ == "components.docker.database"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'DockerNetworks'"):
        _ = components.docker.DockerNetworks


def test_loading_the_package_imports_no_provider_sdk() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys; import components.docker; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(json.loads(done.stdout))
    assert "components" in loaded
    assert not loaded & {"pulumi", "pulumi_docker", "pulumi_tls", "pulumi_random", "pulumi_cloudflare", "pulumi_aws"}
