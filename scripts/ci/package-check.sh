#!/usr/bin/env bash
# What a program that uses webstack as a library gets: `pip install .` into a fresh virtualenv, with the stacks' pins
# as constraints (so the same versions as requirements.txt, from pip's cache when it has them), then, from outside
# the repository, every public module imported, the examples type-checked against that install (pyright with the
# fresh interpreter) and each example run under the mocks with it. Writes only build/package-check/.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=build/package-check
rm -rf "$work"
mkdir -p "$work"
python3 -m venv "$work/venv"
fresh="$PWD/$work/venv/bin/python"
"$fresh" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$fresh" -m pip install --quiet --disable-pip-version-check -c requirements.txt -c requirements-dev.txt ".[policies]"
rm -rf webstack.egg-info

# From outside the repository: every public module imports, and the repository's own folders are not reachable.
(cd "$work" && "$fresh" "$OLDPWD/tests/packaging/probe.py")

.venv/bin/python -m pyright --project examples/pyrightconfig.json --pythonpath "$fresh"

for example in examples/*/Pulumi.yaml; do
    root=$(dirname "$example")
    "$fresh" -m tests.packaging.run_example "$root"
done
