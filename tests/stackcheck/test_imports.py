"""A stack loads only the provider SDKs it uses: the Cloudflare SDK (the slowest to import) only when the CDN is on,
and the AWS SDK only on the aws platform. Each case runs the whole command line, ``python -m stackcheck STACK``, in a
process of its own and reads which modules it imported (what it loads is the test, never how long it takes)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

MODULES = """
import contextlib, io, json, sys
sys.path.insert(0, {root!r})
from stackcheck.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main([{stack!r}, "--root", {root!r}])
print(json.dumps({{"code": code, "modules": sorted(sys.modules)}}))
"""


def imported(stack: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", MODULES.format(root=str(ROOT), stack=stack)],
        cwd=ROOT,
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
        ("staging", {"pulumi_aws"}, {"pulumi_cloudflare", "pulumi_docker"}),
        ("prod", {"pulumi_aws", "pulumi_cloudflare"}, {"pulumi_docker"}),
        ("local", {"pulumi_docker"}, {"pulumi_aws", "pulumi_cloudflare"}),
        ("single-server", {"pulumi_docker", "pulumi_cloudflare"}, {"pulumi_aws"}),
    ],
)
def test_a_stack_imports_only_the_sdks_it_uses(stack: str, loads: set[str], never: set[str]) -> None:
    modules = imported(stack)
    assert loads <= modules
    assert not never & modules, f"{stack} imported {sorted(never & modules)}"
