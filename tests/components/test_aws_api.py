"""The aws platform's public API (components/aws/__init__.py): every component and its Args importable from the
package, and loading the package imports no provider SDK until a name is used."""

import importlib
import inspect
import json
import pkgutil
import subprocess
import sys

import pulumi
import pytest

import components.aws
from tests.conftest import ROOT

SDKS = ("pulumi_aws", "pulumi_random", "pulumi_command", "pulumi_docker", "pulumi_cloudflare")


def defined_components() -> set[str]:
    """Every ComponentResource class a module of the package defines (the composition excepted)."""
    found: set[str] = set()
    for module_info in pkgutil.iter_modules(components.aws.__path__):
        if module_info.name.startswith("platform"):
            continue
        module = importlib.import_module(f"components.aws.{module_info.name}")
        for name, item in vars(module).items():
            if (
                inspect.isclass(item)
                and issubclass(item, pulumi.ComponentResource)
                and item.__module__ == module.__name__
            ):
                found.add(name)
    return found


@pytest.mark.parametrize("name", components.aws.__all__)
def test_every_public_name_resolves_from_the_package(name: str) -> None:
    item = getattr(components.aws, name)
    assert item.__name__ == name
    assert item.__module__.startswith("components.aws.")


def test_every_component_is_public_with_its_args() -> None:
    public = set(components.aws.__all__)
    missing = defined_components() - public
    assert not missing, f"components not in components.aws.__all__: {sorted(missing)}"
    for name in defined_components():
        init = inspect.signature(getattr(components.aws, name).__init__)
        args_type = init.parameters["args"].annotation
        assert args_type.__name__ in public, f"{name}'s Args {args_type.__name__} is not public"


def test_an_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'Databse'"):
        _ = components.aws.Databse  # type: ignore[attr-defined]


def test_loading_the_package_imports_no_provider_sdk_until_a_component_is_used() -> None:
    probe = (
        "import json, sys\n"
        "import components.aws\n"
        f"before = sorted(m for m in sys.modules if m.split('.')[0] in {SDKS!r})\n"
        "from components.aws import Database, DatabaseArgs\n"
        f"after = sorted({{m.split('.')[0] for m in sys.modules if m.split('.')[0] in {SDKS!r}}})\n"
        "print(json.dumps({'before': before, 'after': after}))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["before"] == []
    assert "pulumi_aws" in loaded["after"]
