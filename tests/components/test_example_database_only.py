"""examples/database-only/ as a user runs it: its own Pulumi program importing the installed ``webstack`` package
(the wheel `pip install .` builds, installed apart from the repository), under webstack's mocks, with no webstack
stack file. It builds an encrypted, private, Multi-AZ database from DatabaseArgs' defaults."""

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from tests.packaging.wheel import build_and_install

EXAMPLE = ROOT / "examples" / "database-only"
SUBNETS = ["subnet-0a1b2c3d4e5f6071a", "subnet-0a1b2c3d4e5f6071b"]

#: Runs the example's __main__ in a fresh interpreter: the installed wheel first on the path, then the repository
#: only for stackcheck's mocks (which never import the components).
RUNNER = """
import asyncio, json, runpy, sys
sys.path[:0] = [{site!r}, {root!r}]
import pulumi
from stackcheck.engine.mocks import install
asyncio.set_event_loop(asyncio.new_event_loop())
recorder = install(project="database-only", stack="test", config={config!r})

@pulumi.runtime.test
def run():
    runpy.run_path({main!r}, run_name="__main__")

run()
print(json.dumps({{
    "resources": [{{"type": r.type, "name": r.name, "inputs": r.inputs}} for r in recorder.resources],
    "packages": sorted({{m.split(".")[0] for m in sys.modules if m.split(".")[0] in ("components", "webstack")}}),
    "webstack": sys.modules["webstack"].__file__,
}}, default=str))
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    installed = build_and_install(tmp_path_factory.mktemp("example-wheel"))
    config = {
        "aws:region": "eu-west-1",
        "database-only:subnetIds": json.dumps(SUBNETS),
        "database-only:securityGroupId": "sg-0a1b2c3d4e5f6071d",
    }
    script = RUNNER.format(site=str(installed.site), root=str(ROOT), config=config, main=str(EXAMPLE / "__main__.py"))
    done = subprocess.run([sys.executable, "-c", script], cwd=EXAMPLE, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["site"] = str(installed.site)
    return result


def test_the_example_is_a_python_program_root_of_its_own() -> None:
    project = (EXAMPLE / "Pulumi.yaml").read_text()
    assert "name: database-only" in project
    assert "runtime:\n  name: python" in project
    assert (EXAMPLE / "README.md").is_file()


def test_it_imports_the_installed_webstack_package_and_never_the_repository(run: dict[str, Any]) -> None:
    assert run["packages"] == ["webstack"]
    assert Path(run["webstack"]).is_relative_to(run["site"])


def test_it_builds_a_secure_database_from_the_args_defaults(run: dict[str, Any]) -> None:
    by_name = {resource["name"]: resource for resource in run["resources"]}
    assert by_name["database"]["type"] == "webstack:aws:Database"
    primary = by_name["database-primary"]["inputs"]
    assert primary["storageEncrypted"] is True
    assert primary["publiclyAccessible"] is False
    assert primary["multiAz"] is True
    assert primary["deletionProtection"] is True
    assert primary["manageMasterUserPassword"] is True
    assert primary["engine"] == "postgres"
    assert by_name["database-subnets"]["inputs"]["subnetIds"] == SUBNETS
    instances = [r["name"] for r in run["resources"] if r["type"] == "aws:rds/instance:Instance"]
    assert sorted(instances) == ["database-primary", "database-replica-0"]
