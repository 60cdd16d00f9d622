"""Run with an interpreter where webstack is installed, from outside the repository: imports every public module of
the installed package, resolves each platform's ``__all__``, and prints one JSON document (version, where webstack and
its rules were imported from, each public name's module, the number of rules). Exits 1 if the repository's own
``components`` package is importable there: the install must stand on its own. Used by
tests/packaging/test_distribution.py and scripts/ci/package-check.sh."""

import importlib
import json
import sys

import webstack
import webstack.cdn
import webstack.policies.rules as rules
import webstack.settings

public = {}
for name in ("webstack.aws", "webstack.docker"):
    module = importlib.import_module(name)
    public[name] = {item: getattr(module, item).__module__ for item in getattr(module, "__all__", ())}
try:
    import components  # pyright: ignore[reportMissingImports]  (must be missing where this runs)

    repository = components.__file__
except ImportError:
    repository = None
document = {
    "version": webstack.__version__,
    "files": [webstack.__file__, rules.__file__],
    "public": public,
    "repository": repository,
    "rules": len(rules.ALL_POLICIES),
}
print(json.dumps(document))
sys.exit(1 if repository else 0)
