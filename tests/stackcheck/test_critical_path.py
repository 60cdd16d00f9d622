"""The fresh-deployment estimate: the duration table, the dependency graph, the longest path and its reports."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackcheck.engine.resources import RecordedResource
from stackcheck.insights.critical_path import (
    DEFAULT_DURATION,
    DURATIONS,
    MULTI_AZ,
    RDS_INSTANCE,
    READ_REPLICA,
    VARIANTS,
    CriticalPath,
    DependencyCycleError,
    critical_path,
    dependency_graph,
    duration_of,
    resources_from_json,
)
from tests.conftest import ROOT, run_stackcheck

STACK = "urn:pulumi:test::webstack::pulumi:pulumi:Stack::webstack-test"


def resource(
    name: str,
    type_: str = "aws:s3/bucket:Bucket",
    *,
    waits: tuple[str, ...] = (),
    parent: str = "",
    custom: bool = True,
    inputs: dict[str, Any] | None = None,
    property_waits: dict[str, list[str]] | None = None,
) -> RecordedResource:
    """A hand-built registration: ``waits`` and ``parent`` name other hand-built resources."""
    return RecordedResource(
        urn=urn(name, type_),
        type=type_,
        name=name,
        custom=custom,
        parent=parent or STACK,
        provider="",
        protect=False,
        dependencies=list(waits),
        property_dependencies=property_waits or {},
        inputs=inputs or {},
    )


def urn(name: str, type_: str = "aws:s3/bucket:Bucket") -> str:
    return f"urn:pulumi:test::webstack::{type_}::{name}"


NAT = "aws:ec2/natGateway:NatGateway"  # 150 s
VPC = "aws:ec2/vpc:Vpc"  # 20 s
BUCKET = "aws:s3/bucket:Bucket"  # 5 s
COMPONENT = "webstack:test:Thing"


def seconds(type_: str) -> int:
    return DURATIONS[type_].seconds


# --- the longest-path algorithm on hand-built graphs ---------------------------------------------------------------


def test_longest_path_sums_the_slowest_chain_not_the_longest_by_count() -> None:
    vpc = resource("vpc", VPC)
    nat = resource("nat", NAT, waits=(vpc.urn,))
    # Three quick resources in a row: longer by count, shorter by time than vpc -> nat.
    a = resource("a", BUCKET, waits=(vpc.urn,))
    b = resource("b", BUCKET, waits=(a.urn,))
    c = resource("c", BUCKET, waits=(b.urn,))
    route = resource("route", BUCKET, property_waits={"natGatewayId": [nat.urn]})
    path = critical_path([vpc, a, b, c, nat, route])
    assert [s.name for s in path.steps] == ["vpc", "nat", "route"]
    assert path.total_seconds == seconds(VPC) + seconds(NAT) + seconds(BUCKET)
    assert path.total_seconds == sum(s.seconds for s in path.steps)


def test_independent_resources_run_in_parallel_so_only_the_slowest_counts() -> None:
    many = [resource(f"nat-{i}", NAT) for i in range(5)]
    path = critical_path(many)
    assert path.total_seconds == seconds(NAT)
    assert [s.name for s in path.steps] == ["nat-0"]


def test_property_dependencies_are_edges_too() -> None:
    nat = resource("nat", NAT)
    user = resource("user", BUCKET, property_waits={"subnetId": [nat.urn]})
    assert dependency_graph([nat, user])[user.urn] == [nat.urn]
    assert [s.name for s in critical_path([nat, user]).steps] == ["nat", "user"]


def test_a_dependency_on_a_component_means_every_custom_resource_under_it() -> None:
    component = resource("thing", COMPONENT, custom=False)
    inner = resource("inner", COMPONENT, custom=False, parent=component.urn)
    slow = resource("slow", NAT, parent=inner.urn)
    quick = resource("quick", BUCKET, parent=component.urn)
    # A child of a custom resource is not part of the component's aggregate (as in the SDK).
    grandchild = resource("grandchild", BUCKET, parent=quick.urn)
    user = resource("user", BUCKET, waits=(component.urn,))
    graph = dependency_graph([component, inner, slow, quick, grandchild, user])
    assert set(graph[user.urn]) == {slow.urn, quick.urn}
    assert component.urn not in graph  # components are not nodes: they take no time
    path = critical_path([component, inner, slow, quick, grandchild, user])
    assert [s.name for s in path.steps] == ["slow", "user"]


def test_children_of_a_component_wait_for_what_the_component_waits_for() -> None:
    nat = resource("nat", NAT)
    component = resource("thing", COMPONENT, custom=False, waits=(nat.urn,))
    child = resource("child", BUCKET, parent=component.urn)
    assert dependency_graph([nat, component, child])[child.urn] == [nat.urn]
    assert [s.name for s in critical_path([nat, component, child]).steps] == ["nat", "child"]


def test_children_of_a_custom_resource_wait_for_it() -> None:
    nat = resource("nat", NAT)
    child = resource("child", BUCKET, parent=nat.urn)
    assert dependency_graph([nat, child])[child.urn] == [nat.urn]


def test_dependencies_on_unregistered_urns_are_ignored() -> None:
    lone = resource("lone", BUCKET, waits=(STACK, urn("elsewhere")))
    assert dependency_graph([lone])[lone.urn] == []
    assert critical_path([lone]).total_seconds == seconds(BUCKET)


def test_a_cycle_is_an_error_naming_the_resources_in_it() -> None:
    a = resource("a", BUCKET, waits=(urn("c"),))
    b = resource("b", BUCKET, waits=(a.urn,))
    c = resource("c", BUCKET, waits=(b.urn,))
    ok = resource("ok", NAT)
    with pytest.raises(DependencyCycleError, match="dependency cycle") as caught:
        critical_path([ok, a, b, c])
    assert set(caught.value.names) == {"a", "b", "c"}
    assert caught.value.names[0] == caught.value.names[-1]


def test_a_resource_waiting_for_its_own_component_is_a_cycle() -> None:
    component = resource("thing", COMPONENT, custom=False)
    child = resource("child", BUCKET, parent=component.urn, waits=(component.urn,))
    with pytest.raises(DependencyCycleError):
        critical_path([component, child])


def test_unknown_types_take_the_default_and_are_reported() -> None:
    odd = resource("odd", "example:index/gadget:Gadget")
    path = critical_path([odd, resource("known", BUCKET)])
    assert path.steps[0].seconds == DEFAULT_DURATION.seconds
    assert path.defaulted_types == ["example:index/gadget:Gadget"]
    assert path.to_json()["defaulted"] == ["example:index/gadget:Gadget"]


def test_an_empty_stack_takes_no_time() -> None:
    path = critical_path([])
    assert path.steps == []
    assert path.total_seconds == 0


# --- durations -----------------------------------------------------------------------------------------------------


def test_rds_durations_follow_the_inputs() -> None:
    single = resource("db", RDS_INSTANCE, inputs={"multiAz": False})
    multi = resource("db", RDS_INSTANCE, inputs={"multiAz": True})
    replica = resource("db", RDS_INSTANCE, inputs={"replicateSourceDb": "db-primary"})
    assert duration_of(single)[0] == DURATIONS[RDS_INSTANCE]
    assert duration_of(multi)[0] == VARIANTS[(RDS_INSTANCE, MULTI_AZ)]
    assert duration_of(replica)[0] == VARIANTS[(RDS_INSTANCE, READ_REPLICA)]
    assert duration_of(multi)[0].seconds > duration_of(single)[0].seconds


def test_every_entry_says_where_its_figure_comes_from() -> None:
    for type_, entry in [*DURATIONS.items(), *((f"{t} ({v})", d) for (t, v), d in VARIANTS.items())]:
        assert entry.source.strip(), type_
        assert entry.seconds >= 0, type_


# --- the real stacks -----------------------------------------------------------------------------------------------


def _assert_real_chain(resources: list[RecordedResource], path: CriticalPath) -> None:
    graph = dependency_graph(resources)
    for previous, step in zip(path.steps, path.steps[1:], strict=False):
        assert previous.urn in graph[step.urn], f"{step.name} does not wait for {previous.name}"
    assert path.total_seconds == sum(s.seconds for s in path.steps)


def test_prod_is_decided_by_the_multi_az_primary_database_then_its_replica(prod_run: Any) -> None:
    path = critical_path(prod_run.resources)
    top = path.top()
    assert top is not None
    # A Multi-AZ primary (about 18 min) is the single slowest create in prod, and its read replicas can only start
    # once it exists, so the database alone is most of a fresh deployment.
    assert (top.type, top.variant) == (RDS_INSTANCE, MULTI_AZ)
    assert top.name.endswith("-primary")
    database = [s for s in path.steps if s.type == RDS_INSTANCE]
    assert [s.variant for s in database] == [MULTI_AZ, READ_REPLICA]
    assert sum(s.seconds for s in database) > path.total_seconds / 2
    # The web tier only deploys once the shard map holds the database endpoints, and the smoke test comes last.
    assert path.steps[-1].type == "command:local:Command"
    assert "aws:ecs/service:Service" in {s.type for s in path.steps}
    assert path.defaulted_types == []


def test_prods_path_is_a_real_chain_and_its_total_is_the_sum_of_its_steps(prod_run: Any) -> None:
    path = critical_path(prod_run.resources)
    _assert_real_chain(prod_run.resources, path)
    slowest = max(duration_of(r)[0].seconds for r in prod_run.resources)
    assert path.total_seconds > slowest


def test_multi_az_changes_the_rds_step(prod_run: Any) -> None:
    single_az = [
        dataclasses.replace(r, inputs={**r.inputs, "multiAz": False}) if r.type == RDS_INSTANCE else r
        for r in prod_run.resources
    ]
    multi, single = critical_path(prod_run.resources), critical_path(single_az)
    primary = {s.name: s for s in multi.steps if s.type == RDS_INSTANCE and s.variant != READ_REPLICA}
    primary_single = {s.name: s for s in single.steps if s.type == RDS_INSTANCE and s.variant != READ_REPLICA}
    assert [s.variant for s in primary.values()] == [MULTI_AZ]
    assert [s.variant for s in primary_single.values()] == [""]
    saved = VARIANTS[(RDS_INSTANCE, MULTI_AZ)].seconds - DURATIONS[RDS_INSTANCE].seconds
    assert multi.total_seconds - single.total_seconds == saved


def test_the_estimate_does_not_grow_with_the_number_of_shards(project_copy: Path, prod_run: Any) -> None:
    # Prod is sharded three ways; the same configuration with one shard (tables routed to shard 0) is recorded
    # through the command line.
    settings = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())
    database = settings["config"]["webstack:database"]
    assert database["shards"] == 3
    database["shards"] = 1
    database["tables"] = dict.fromkeys(database["tables"], 0)
    (project_copy / "Pulumi.oneshard.yaml").write_text(yaml.safe_dump(settings, sort_keys=False))
    result = run_stackcheck("oneshard", "--json", root=project_copy)
    assert result.stdout, result.stderr
    one, three = resources_from_json(json.loads(result.stdout)["resources"]), prod_run.resources
    count = sum(1 for r in one if r.type == RDS_INSTANCE), sum(1 for r in three if r.type == RDS_INSTANCE)
    assert count == (3, 9)  # a primary and two replicas per shard
    # Shards are created side by side, so a third of the shards takes as long as all of them.
    path_one, path_three = critical_path(one), critical_path(three)
    assert path_one.total_seconds == path_three.total_seconds
    assert [s.type for s in path_one.steps] == [s.type for s in path_three.steps]


def test_local_takes_minutes_building_the_application_and_starting_containers(local_run: Any) -> None:
    path = critical_path(local_run.resources)
    _assert_real_chain(local_run.resources, path)
    # Local builds the reference application (app/) on the Docker host: the backend's build is the longest step,
    # and the migration, the backend and the load balancer start after it, so more than the build and still minutes.
    build = DURATIONS["docker:index/image:Image"].seconds
    assert build < path.total_seconds <= 10 * 60
    types = {s.type for s in path.steps}
    assert {"docker:index/image:Image", "docker:index/container:Container"} <= types
    top = path.top()
    assert top is not None
    assert top.type == "docker:index/image:Image"
    assert top.name.endswith("-backend")
    assert path.defaulted_types == []


# --- reports -------------------------------------------------------------------------------------------------------


def _small() -> CriticalPath:
    vpc = resource("vpc", VPC)
    nat = resource("nat", NAT, waits=(vpc.urn,))
    db = resource("db", RDS_INSTANCE, waits=(nat.urn,), inputs={"multiAz": True})
    return critical_path([vpc, nat, db, resource("odd", "example:index/gadget:Gadget")])


def test_text_has_a_line_per_step_with_the_time_each_is_done_and_the_total_in_minutes() -> None:
    path = _small()
    lines = path.text()
    assert len(lines) == len(path.steps) + 2  # the steps, the total, the defaulted types
    assert lines[0].split()[0] == "0:20"
    assert "nat" in lines[1]
    assert lines[1].split()[0] == "2:50"
    assert "(Multi-AZ)" in lines[2]
    assert lines[2].split()[0] == "20:50"
    assert "total: about 21 min (1250 s)" in lines[3]
    assert "example:index/gadget:Gadget" in lines[4]


def test_markdown_has_the_heading_the_table_the_total_and_what_is_left_out() -> None:
    text = _small().markdown()
    assert text.startswith("## Fresh deployment: critical path\n")
    assert "| 3 | `db` | `aws:rds/instance:Instance` (Multi-AZ) | 1080 s | 20:50 |" in text
    assert "**Total: about 21 min** (1250 s)." in text
    assert "provider plugins" in text
    assert "image pulls on slow links" in text
    assert "`example:index/gadget:Gadget`" in text


def test_json_lists_the_steps_with_their_sources_and_the_defaulted_types() -> None:
    data = _small().to_json()
    assert data["totalSeconds"] == 1250
    assert data["totalMinutes"] == 21
    assert [s["name"] for s in data["steps"]] == ["vpc", "nat", "db"]
    assert [s["doneAtSeconds"] for s in data["steps"]] == [20, 170, 1250]
    assert data["steps"][2]["variant"] == MULTI_AZ
    assert all(s["source"] for s in data["steps"])
    assert data["defaulted"] == ["example:index/gadget:Gadget"]
    json.dumps(data)  # serialisable as is
