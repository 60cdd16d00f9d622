"""A stack loads only the provider SDKs it uses: the Cloudflare SDK (the slowest to import) only when the CDN is on,
the AWS SDK only on the aws platform, and the Docker SDK on the aws platform only to build images (staging and prod
build the reference application, app/, and push it to ECR). Each case runs the whole command line,
``python -m stackcheck STACK``, in a process of its own and reads which modules it imported (what it loads is the
test, never how long it takes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

MODULES = """
import contextlib, io, json, sys
sys.path.insert(0, {repo!r})
from stackcheck.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main([{stack!r}, "--root", {root!r}])
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def imported(stack: str, root: Path = ROOT) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", MODULES.format(repo=str(ROOT), root=str(root), stack=stack)],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, done.stderr
    return {name.split(".")[0] for name in result["modules"]}


@pytest.mark.parametrize(
    ("stack", "loads", "never"),
    [
        ("staging", {"pulumi_aws", "pulumi_docker"}, {"pulumi_cloudflare"}),
        ("prod", {"pulumi_aws", "pulumi_cloudflare", "pulumi_docker"}, set()),
        ("local", {"pulumi_docker"}, {"pulumi_aws", "pulumi_cloudflare"}),
        ("single-server", {"pulumi_docker", "pulumi_cloudflare"}, {"pulumi_aws"}),
    ],
)
def test_a_stack_imports_only_the_sdks_it_uses(stack: str, loads: set[str], never: set[str]) -> None:
    modules = imported(stack)
    assert loads <= modules
    assert not never & modules, f"{stack} imported {sorted(never & modules)}"


def test_an_aws_stack_with_pinned_images_never_loads_the_docker_sdk(project_copy: Path) -> None:
    settings = yaml.safe_load((ROOT / "Pulumi.staging.yaml").read_text())
    for service in ("frontend", "backend"):
        web = settings["config"]["webstack:web"][service]
        assert "build" in web
        del web["build"]
        web["image"] = f"ghcr.io/acme/{service}:1.0.0"
    # staging itself, so that its own policy configuration applies
    (project_copy / "Pulumi.staging.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    modules = imported("staging", project_copy)
    assert "pulumi_aws" in modules
    assert "pulumi_docker" not in modules
