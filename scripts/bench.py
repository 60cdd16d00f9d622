"""How fast stackcheck is, as ratios measured in one run on this machine (``make bench``; never part of the suite).

1. **The SDK floor.** ``python -m stackcheck prod --json`` against a bare run of the same program in a fresh process:
   Pulumi's own mock monitor with stackcheck's mock answers, no recording, no policies, no reports. Both pay the
   interpreter, the provider SDKs' imports and the registrations, which is what any offline run of the program
   costs. The floor is the bare run with the garbage collector off as stackcheck runs (the bare run with Python's
   default collector is shown too). Bound: stackcheck at most 1.5 times the floor.
2. **Scaling with shards.** Prod with 1 shard and with the most ``webstack:database.shards`` allows (16): the time
   from the program's start to the finished report (imports done beforehand), per registered resource. Bound: the
   largest stack costs at most 1.2 times as much per resource as 1 shard (linear growth; anything quadratic in the
   mocks, the recorder or the policies shows here).
3. **The shard resolver.** Lookups per second of ``components.shard_map.shard_for_key`` (reported, no bound).

Each timing is the best of ``--repeat`` runs (default 3), so a busy machine slows the numbers without flipping the
verdicts much; run it on an idle machine for the figures in the README. Exit 1 when a bound is exceeded.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
FLOOR_RATIO = 1.5
SHARD_RATIO = 1.2
#: The most shards a stack may have (``DatabaseSettings.shards``).
MOST_SHARDS = 16

#: The bare run: the program under Pulumi's plain mocks (stackcheck's answers, Pulumi's own MockMonitor).
BARE = """
import gc
if {no_gc!r}:
    gc.disable()
import asyncio, runpy, sys
from pathlib import Path
import pulumi, pulumi.runtime
from pulumi.runtime.stack import wait_for_rpcs
sys.path.insert(0, {root!r})
from stackcheck.engine.mocks import CloudMocks
from stackcheck.engine.project import load_project, load_stack

root = Path({root!r})
config = load_stack(root, load_project(root), {stack!r})
asyncio.set_event_loop(asyncio.new_event_loop())
pulumi.runtime.set_all_config(config.values, list(config.secret_keys))
pulumi.runtime.set_mocks(CloudMocks(config.values.get("aws:region", "us-east-1")), project="webstack",
                         stack={stack!r}, preview=False)
runpy.run_path(str(root / "__main__.py"), run_name="__main__")
asyncio.get_event_loop().run_until_complete(wait_for_rpcs())
if {no_gc!r}:
    gc.freeze()
"""

#: One stack from the program's start to its report, imports done first: prints resources and seconds.
TIMED = """
import gc
gc.disable()  # as python -m stackcheck runs
import importlib, json, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
for module in {modules!r}:
    importlib.import_module(module)
import components.aws.platform, policies.rules, stackcheck.report
from policies.rules import ALL_POLICIES, PACK_ENFORCEMENT_LEVEL
from stackcheck.engine.run import run_program
from stackcheck.engine.evaluate import evaluate, load_policy_config, resolve_settings
from stackcheck.insights.overview import overview

root = Path({root!r})
config = load_policy_config(root / "policies/config/prod.json")
settings = resolve_settings(ALL_POLICIES, config, PACK_ENFORCEMENT_LEVEL)
started = time.perf_counter()
result = run_program(root, {stack!r})
outcomes, violations = evaluate(result.resources, ALL_POLICIES, settings)
json.dumps(stackcheck.report.document(result, outcomes, violations, view=overview(result.resources, {stack!r})))
seconds = time.perf_counter() - started
print(json.dumps({{"resources": len(result.resources), "seconds": seconds,
                  "types": sorted({{r.type for r in result.resources}})}}))
"""


def _best(command: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        best = min(best, time.perf_counter() - started)
    return best


def _modules(types: list[str]) -> list[str]:
    """The SDK modules that define these resource types (``aws:ec2/vpc:Vpc`` -> ``pulumi_aws.ec2``)."""
    modules: set[str] = set()
    for token in types:
        package, module = token.split(":")[:2]
        name = module.split("/")[0]
        candidate = f"pulumi_{package}" if name == "index" else f"pulumi_{package}.{name}"
        if package != "pulumi" and importlib.util.find_spec(f"pulumi_{package}") is not None:
            modules.add(candidate)
    return sorted(modules)


def _timed(root: Path, stack: str, modules: list[str], repeat: int) -> dict[str, Any]:
    code = TIMED.format(repo=str(ROOT), root=str(root), stack=stack, modules=modules)
    runs = []
    for _ in range(repeat):
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda run: float(run["seconds"]))


def _sharded_project(directory: Path, shards: int) -> str:
    """A project in ``directory`` whose stack ``shardsN`` is prod with N shards (tables spread over them)."""
    for name in ("components", "policies", "stackcheck", "__main__.py", "Pulumi.yaml"):
        link = directory / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    settings = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    database = settings["config"]["webstack:database"]
    database["shards"] = shards
    database["tables"] = {table: index % shards for index, table in enumerate(database["tables"])}
    stack = f"shards{shards}"
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    return stack


def _lookups_per_second() -> float:
    sys.path.insert(0, str(ROOT))
    from components.shard_map import build_shard_map, shard_for_key

    shards = [{"writer": f"shard-{i}.example.internal"} for i in range(8)]
    document = build_shard_map(shards, {}, engine="postgres", port=5432)
    keys = [f"user:{i}" for i in range(100_000)]
    shard_for_key(document, "warm-up")
    started = time.perf_counter()
    for key in keys:
        shard_for_key(document, key)
    return len(keys) / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.bench", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per timing; the best counts (default 3)")
    args = parser.parse_args(argv)
    ok = True

    floor = _best([sys.executable, "-c", BARE.format(root=str(ROOT), stack="prod", no_gc=True)], args.repeat)
    default = _best([sys.executable, "-c", BARE.format(root=str(ROOT), stack="prod", no_gc=False)], args.repeat)
    check = _best([sys.executable, "-m", "stackcheck", "prod", "--json"], args.repeat)
    ratio = check / floor
    ok &= ratio <= FLOOR_RATIO
    print(
        f"stackcheck prod: {check:.2f} s; the bare program run under Pulumi's mocks: {floor:.2f} s "
        f"({default:.2f} s with the garbage collector on)"
    )
    print(f"  ratio to the SDK floor: {ratio:.2f} (bound {FLOOR_RATIO}) {'ok' if ratio <= FLOOR_RATIO else 'OVER'}")

    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        one, many = _sharded_project(directory, 1), _sharded_project(directory, MOST_SHARDS)
        warm = _timed(directory, one, [], 1)
        modules = _modules(warm["types"])
        small, large = _timed(directory, one, modules, args.repeat), _timed(directory, many, modules, args.repeat)
    per_small = small["seconds"] / small["resources"]
    per_large = large["seconds"] / large["resources"]
    shard_ratio = per_large / per_small
    ok &= shard_ratio <= SHARD_RATIO
    print(
        f"prod with 1 shard: {small['resources']} resources in {small['seconds']:.2f} s ({per_small * 1000:.2f} ms "
        f"each); with {MOST_SHARDS} shards: {large['resources']} in {large['seconds']:.2f} s "
        f"({per_large * 1000:.2f} ms each)"
    )
    marginal = (large["seconds"] - small["seconds"]) / (large["resources"] - small["resources"])
    print(f"  each resource the extra shards add: {marginal * 1000:.2f} ms")
    verdict = "ok" if shard_ratio <= SHARD_RATIO else "OVER"
    print(f"  cost per resource, {MOST_SHARDS} shards to 1: {shard_ratio:.2f} (bound {SHARD_RATIO}) {verdict}")
    print(f"shard resolver: {_lookups_per_second():,.0f} lookups per second")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
