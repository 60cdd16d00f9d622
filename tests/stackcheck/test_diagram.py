"""The architecture diagram: components and counts as the inventory has them, the expected flows, every node in one
zone, Mermaid and DOT text that parse, deterministic output, and the file formats."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from stackcheck.engine.inventory import Inventory
from stackcheck.engine.resources import RecordedResource
from stackcheck.insights import diagram
from stackcheck.insights.diagram import (
    CLOUDFLARE_ID,
    INTERNET_ID,
    ZONE_APPLICATION,
    ZONE_DATA,
    ZONE_EDGE,
    ZONE_IDS,
    ZONE_INTERNET,
    ZONE_MANAGEMENT,
    ZONE_OTHER,
    DiagramError,
    Edge,
    Graph,
    component_graph,
    dot,
    markdown,
    mermaid,
    mermaid_text,
    write,
)

STACK = "urn:pulumi:test::webstack::"
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


# --- a tiny hand-built stack --------------------------------------------------------------------------------------


def res(
    type_: str,
    name: str,
    parent: RecordedResource | None = None,
    *,
    custom: bool = True,
    deps: Sequence[RecordedResource] = (),
    props: dict[str, Sequence[RecordedResource]] | None = None,
) -> RecordedResource:
    """A recorded resource whose URN nests its type under its parent's, as Pulumi's URNs do."""
    qualified = f"{parent.urn.removeprefix(STACK).rsplit('::', 1)[0]}${type_}" if parent else type_
    return RecordedResource(
        f"{STACK}{qualified}::{name}",
        type_,
        name,
        custom,
        parent.urn if parent else "",
        "",
        False,
        [d.urn for d in deps],
        {key: [d.urn for d in values] for key, values in (props or {}).items()},
        {},
    )


def tiny(*, cdn: bool = False) -> list[RecordedResource]:
    provider = res("pulumi:providers:aws", "aws")
    network = res("webstack:aws:Network", "network", custom=False)
    sg = res("aws:ec2/securityGroup:SecurityGroup", "sg", network, deps=[provider])
    lb = res("webstack:aws:LoadBalancer", "edge", custom=False)
    alb = res("aws:lb/loadBalancer:LoadBalancer", "alb", lb, props={"securityGroups": [sg]})
    target_group = res("aws:lb/targetGroup:TargetGroup", "tg", lb)
    web = res("webstack:aws:WebTier", "web", custom=False)
    database = res("webstack:aws:Database", "database", custom=False)
    shard = res("webstack:aws:DatabaseShard", "shard", database, custom=False)  # a nested component
    instance = res("aws:rds/instance:Instance", "db", shard, props={"vpcSecurityGroupIds": [sg]})
    # The service registers into the load balancer's target group: drawn as the traffic, edge -> web.
    service = res("aws:ecs/service:Service", "svc", web, deps=[target_group, alb], props={"db": [instance]})
    alerts = res("webstack:aws:Notifications", "alerts", custom=False)
    topic = res("aws:sns/topic:Topic", "topic", alerts)
    alarm = res("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", web, props={"alarmActions": [topic]})
    mystery = res("webstack:aws:Mystery", "mystery", custom=False)
    thing = res("aws:s3/bucket:Bucket", "thing", mystery, deps=[service])
    resources = [provider, network, sg, lb, alb, target_group, web, database, shard, instance, service, alerts, topic]
    resources += [alarm, mystery, thing]
    if cdn:
        zone = res("webstack:cdn:Cdn", "cdn", custom=False)
        resources += [zone, res("cloudflare:index/dnsRecord:DnsRecord", "origin", zone, props={"content": [alb]})]
    return resources


def edge(graph: Graph, source: str, target: str) -> Edge:
    found = [e for e in graph.edges if e.source == source and e.target == target]
    assert len(found) == 1, f"expected one edge {source} -> {target}, found {found}"
    return found[0]


def test_tiny_stack_nodes_zones_and_counts() -> None:
    graph = component_graph(tiny())
    components = {n.id: n for n in graph.nodes if n.kind == "component"}
    assert set(components) == {"c_alerts", "c_database", "c_edge", "c_mystery", "c_network", "c_web"}
    assert components["c_database"].resources == 2  # the nested shard component and its instance
    assert components["c_database"].label == "database\nDatabase · 2 resources"
    assert components["c_alerts"].label == "alerts\nNotifications · 1 resource"
    assert {n.id: n.zone for n in graph.nodes} == {
        INTERNET_ID: ZONE_INTERNET,
        "c_edge": ZONE_EDGE,
        "c_web": ZONE_APPLICATION,
        "c_database": ZONE_DATA,
        "c_alerts": ZONE_MANAGEMENT,
        "c_network": ZONE_MANAGEMENT,
        "c_mystery": ZONE_OTHER,
    }
    assert graph.zones == (ZONE_INTERNET, ZONE_EDGE, ZONE_APPLICATION, ZONE_DATA, ZONE_MANAGEMENT, ZONE_OTHER)
    assert graph.stack_resources == 1  # the provider, left out
    assert graph.stack_resource_kinds == ("providers",)
    assert [n.zone for n in graph.nodes] == sorted((n.zone for n in graph.nodes), key=list(ZONE_IDS).index)


def test_tiny_stack_edges() -> None:
    graph = component_graph(tiny())
    assert edge(graph, INTERNET_ID, "c_edge") == Edge(INTERNET_ID, "c_edge", "HTTPS", "solid", 0)
    # Registered web -> edge (target group, load balancer), drawn as the traffic it carries.
    assert edge(graph, "c_edge", "c_web") == Edge("c_edge", "c_web", "HTTPS -> HTTP :3000/:8000", "solid", 2)
    assert not [e for e in graph.edges if (e.source, e.target) == ("c_web", "c_edge")]
    assert edge(graph, "c_web", "c_database").label == "SQL over TLS"
    assert edge(graph, "c_web", "c_alerts").style == "dotted"
    assert edge(graph, "c_mystery", "c_web") == Edge("c_mystery", "c_web", "", "dotted", 1)
    # Configuration: kept for the JSON, not drawn.
    for source in ("c_database", "c_edge"):
        assert edge(graph, source, "c_network").style == "hidden"
    assert all(e.target != "c_network" for e in graph.drawn_edges)
    # Inside one component, and on the provider: no edge.
    assert all(e.source != e.target for e in graph.edges)
    assert len(graph.edges) == 7


def test_cdn_puts_cloudflare_between_the_internet_and_the_load_balancer() -> None:
    graph = component_graph(tiny(cdn=True))
    assert graph.node(CLOUDFLARE_ID).zone == ZONE_EDGE
    assert edge(graph, INTERNET_ID, CLOUDFLARE_ID).label == "HTTPS"
    assert edge(graph, CLOUDFLARE_ID, "c_cdn").style == "solid"
    assert edge(graph, "c_cdn", "c_edge").label == "HTTPS (origin)"
    assert not [e for e in graph.edges if e.source == INTERNET_ID and e.target != CLOUDFLARE_ID]


def test_no_load_balancer_means_the_internet_reaches_the_web_tier() -> None:
    resources = [r for r in tiny() if r.type != "webstack:aws:LoadBalancer" and "LoadBalancer$" not in r.urn]
    graph = component_graph(resources)
    assert [(e.source, e.target) for e in graph.edges if e.source == INTERNET_ID] == [(INTERNET_ID, "c_web")]


def test_components_sharing_a_name_get_distinct_ids() -> None:
    one = res("webstack:aws:Keys", "keys", custom=False)
    two = res("webstack:aws:Cache", "keys", custom=False)
    graph = component_graph(
        [one, res("aws:kms/key:Key", "k", one), two, res("aws:elasticache/replicationGroup:ReplicationGroup", "r", two)]
    )
    ids = [n.id for n in graph.nodes if n.kind == "component"]
    assert sorted(ids) == ["c_keys_Cache", "c_keys_Keys"]


def test_labels_are_escaped() -> None:
    assert mermaid_text('a "b" <c> | #d [e] {f} `g`\nnext') == (
        "a #34;b#34; #60;c#62; #124; #35;d #91;e#93; #123;f#125; #96;g#96;<br/>next"
    )
    odd = res('webstack:x:We<ird>"', 'na"me<b>', custom=False)
    graph = component_graph([odd, res("aws:s3/bucket:Bucket", "b", odd)])
    text = mermaid(graph)
    node_line = next(line for line in text.splitlines() if line.strip().startswith("c_na_me_b_"))
    assert node_line.strip() == 'c_na_me_b_["na#34;me#60;b#62;<br/>We#60;ird#62;#34; · 1 resource"]'
    assert '\\"' in dot(graph)
    assert "<b>" not in text
    check_mermaid(text, graph)
    check_dot(dot(graph))


def test_to_json_holds_every_node_and_edge() -> None:
    graph = component_graph(tiny(cdn=True))
    document = json.loads(json.dumps(graph.to_json()))
    assert [n["id"] for n in document["nodes"]] == [n.id for n in graph.nodes]
    assert len(document["edges"]) == len(graph.edges)
    assert {e["style"] for e in document["edges"]} == {"solid", "dotted", "hidden"}
    assert document["stackResources"] == 1
    assert document["zones"][0] == ZONE_INTERNET


# --- the recorded stacks ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def prod_graph(prod_run: Any) -> Graph:
    return component_graph(prod_run.resources)


@pytest.fixture(scope="module")
def local_graph(local_run: Any) -> Graph:
    return component_graph(local_run.resources)


def check_inventory(graph: Graph, resources: Sequence[RecordedResource]) -> None:
    groups = {group: len(members) for group, members in Inventory.of(resources).groups.items() if group != "(stack)"}
    components = [n for n in graph.nodes if n.kind == "component"]
    assert sorted(n.group for n in components) == sorted(groups)  # each exactly once
    for node in components:
        assert node.resources == groups[node.group], node.group
        assert f"· {node.resources} resource" in node.label
    assert graph.stack_resources == len(Inventory.of(resources).groups.get("(stack)", []))


def flow(graph: Graph, source: str, target: str) -> Edge:
    """The solid, labelled edge between two nodes named ``source`` and ``target``."""
    ids = {n.name: n.id for n in graph.nodes}
    found = edge(graph, ids[source], ids[target])
    assert found.style == "solid", found
    assert found.label, found
    return found


def test_prod_components_and_counts(prod_graph: Graph, prod_run: Any) -> None:
    check_inventory(prod_graph, prod_run.resources)


def test_local_components_and_counts(local_graph: Graph, local_run: Any) -> None:
    check_inventory(local_graph, local_run.resources)


def test_prod_flows(prod_graph: Graph) -> None:
    assert flow(prod_graph, "Internet", "Cloudflare edge").label == "HTTPS"
    flow(prod_graph, "Cloudflare edge", "cdn")
    assert flow(prod_graph, "cdn", "edge").label == "HTTPS (origin)"
    assert flow(prod_graph, "edge", "web").label == "HTTPS -> HTTP :3000/:8000"
    assert flow(prod_graph, "web", "database").label == "SQL over TLS"
    assert flow(prod_graph, "web", "cache").label == "Redis TLS"
    assert flow(prod_graph, "web", "storage").label == "S3 API"
    assert flow(prod_graph, "backups", "database").label == "snapshots"
    assert flow(prod_graph, "monitoring", "database").label == "metrics"
    assert prod_graph.by_group("cdn (webstack:cdn:Cdn)").zone == ZONE_EDGE
    assert not [e for e in prod_graph.edges if e.source == INTERNET_ID and e.target != CLOUDFLARE_ID]
    assert len(prod_graph.drawn_edges) <= 30


def test_local_flows(local_graph: Graph) -> None:
    assert CLOUDFLARE_ID not in {n.id for n in local_graph.nodes}
    assert flow(local_graph, "Internet", "edge").label == "HTTPS"
    flow(local_graph, "edge", "web")
    assert flow(local_graph, "web", "database").label == "SQL over TLS"
    flow(local_graph, "web", "cache")
    assert flow(local_graph, "web", "storage").label == "S3 API"
    flow(local_graph, "backups", "database")
    assert {n.zone for n in local_graph.nodes} <= set(ZONE_IDS) - {ZONE_OTHER}


def test_every_known_type_has_a_zone(prod_graph: Graph, local_graph: Graph) -> None:
    for graph in (prod_graph, local_graph):
        assert [n.group for n in graph.nodes if n.zone == ZONE_OTHER] == []


@pytest.mark.parametrize("which", ["prod", "local"])
def test_mermaid_and_dot_are_well_formed(which: str, request: pytest.FixtureRequest) -> None:
    graph: Graph = request.getfixturevalue(f"{which}_graph")
    check_mermaid(mermaid(graph), graph)
    check_dot(dot(graph))


@pytest.mark.parametrize("which", ["prod", "local"])
def test_output_is_deterministic(which: str, request: pytest.FixtureRequest) -> None:
    run = request.getfixturevalue(f"{which}_run")
    first, again = component_graph(run.resources), component_graph(list(reversed(run.resources)))
    assert first == again
    assert mermaid(first) == mermaid(again)
    assert dot(first) == dot(again)
    assert markdown(first, which) == markdown(again, which)
    assert json.dumps(first.to_json()) == json.dumps(again.to_json())


def test_markdown_section(prod_graph: Graph) -> None:
    text = markdown(prod_graph, "prod")
    assert text.startswith("## Architecture\n")
    block = text.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    assert block + "\n" == mermaid(prod_graph)
    for part in ("stack `prod`", "Not drawn:", "Solid arrows", "Edge (public)"):
        assert part in text


# --- files --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "render"),
    [
        ("arch.mmd", lambda g: mermaid(g)),
        ("arch.MD", lambda g: markdown(g, "test")),
        ("arch.dot", lambda g: dot(g)),
    ],
)
def test_write_text_formats(tmp_path: Path, name: str, render: Any) -> None:
    graph = component_graph(tiny())
    write(tmp_path / name, graph, "test")
    assert (tmp_path / name).read_text(encoding="utf-8") == render(graph)


def test_rendered_formats_need_graphviz(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram.shutil, "which", lambda _name: None)
    for name in ("arch.svg", "arch.png"):
        with pytest.raises(DiagramError, match=r"needs Graphviz's dot on PATH; write \.md or \.mmd instead"):
            write(tmp_path / name, component_graph(tiny()), "test")
        assert not (tmp_path / name).exists()


def fake_dot(tmp_path: Path, body: str) -> str:
    script = tmp_path / "dot"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(0o755)
    return str(script)


def test_rendered_formats_run_dot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Records its arguments and copies the DOT text it reads to the -o file.
    executable = fake_dot(tmp_path, 'echo "$@" > "$0.args"; cat > "$3"')
    monkeypatch.setattr(diagram.shutil, "which", lambda name: executable if name == "dot" else None)
    graph = component_graph(tiny())
    write(tmp_path / "arch.svg", graph, "test")
    assert (tmp_path / "arch.svg").read_text() == dot(graph)
    assert (tmp_path / "dot.args").read_text().split() == ["-Tsvg", "-o", str(tmp_path / "arch.svg")]


def test_failing_dot_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    executable = fake_dot(tmp_path, 'echo "Error: syntax error in line 1" >&2; exit 1')
    monkeypatch.setattr(diagram.shutil, "which", lambda _name: executable)
    with pytest.raises(DiagramError, match="dot failed: Error: syntax error in line 1"):
        write(tmp_path / "arch.png", component_graph(tiny()), "test")


@pytest.mark.parametrize("name", ["arch.txt", "arch", "arch.jpeg"])
def test_unknown_extension_raises(tmp_path: Path, name: str) -> None:
    with pytest.raises(DiagramError, match="unknown diagram format"):
        write(tmp_path / name, component_graph(tiny()), "test")
    assert not (tmp_path / name).exists()


# --- syntax checks ------------------------------------------------------------------------------------------------

_SUBGRAPH = re.compile(r'subgraph (\w+) \["[^"]*"\]')
_NODE = re.compile(r'(\w+)(?:\["[^"]*"\]|\(\["[^"]*"\]\))')
_EDGE = re.compile(r'(\w+) (-->|-\.->)(?:\|"[^"]*"\|)? (\w+)')


def check_mermaid(text: str, graph: Graph) -> None:
    """Every line is one Mermaid knows; subgraph/end balance; node ids unique, safe, each in exactly one subgraph
    (the zone the graph says); edges join declared nodes and match the drawn edges."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    open_subgraphs: list[str] = []
    seen_subgraphs: list[str] = []
    declared: dict[str, list[str]] = {}
    edges: list[tuple[str, str, str]] = []
    for line in lines[1:]:
        stripped = line.strip()
        if match := _SUBGRAPH.fullmatch(stripped):
            open_subgraphs.append(match[1])
            seen_subgraphs.append(match[1])
        elif stripped == "end":
            assert open_subgraphs, "end without subgraph"
            open_subgraphs.pop()
        elif match := _EDGE.fullmatch(stripped):
            edges.append((match[1], match[2], match[3]))
        elif match := _NODE.fullmatch(stripped):
            assert match[1] not in declared, f"node {match[1]} declared twice"
            declared[match[1]] = list(open_subgraphs)
        else:
            assert stripped.startswith(("classDef ", "class ")), f"unexpected Mermaid line: {line!r}"
    assert not open_subgraphs, "unclosed subgraph"
    assert len(seen_subgraphs) == len(set(seen_subgraphs))
    zone_of_id = {zone_id: zone for zone, zone_id in ZONE_IDS.items()}
    assert set(declared) == {n.id for n in graph.nodes}
    for node in graph.nodes:
        assert IDENTIFIER.fullmatch(node.id)
        assert len(declared[node.id]) == 1, f"{node.id} is in {declared[node.id]}"
        assert zone_of_id[declared[node.id][0]] == node.zone
    assert not set(declared) & set(seen_subgraphs)
    assert [(s, t) for s, _, t in edges] == [(e.source, e.target) for e in graph.drawn_edges]
    assert all(s in declared and t in declared for s, _, t in edges)
    assert [arrow == "-->" for _, arrow, _ in edges] == [e.style == "solid" for e in graph.drawn_edges]


def _balanced(text: str) -> bool:
    depth, quoted, escaped = 0, False, False
    for ch in text:
        if quoted:
            escaped, quoted = (False, True) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            quoted = True
        elif ch in "{}":
            depth += 1 if ch == "{" else -1
            if depth < 0:
                return False
    return depth == 0 and not quoted


def check_dot(text: str) -> None:
    assert text.startswith("digraph ")
    assert _balanced(text)
    if importlib.util.find_spec("pydot") is not None:
        pydot = importlib.import_module("pydot")
        parsed = pydot.graph_from_dot_data(text)
        assert parsed
        assert len(parsed) == 1
    elif importlib.util.find_spec("graphviz") is not None and shutil.which("dot"):
        graphviz = importlib.import_module("graphviz")
        assert graphviz.Source(text).pipe(format="svg")


def test_balance_checker() -> None:
    assert _balanced('digraph a { b [label="}{"]; }')
    assert not _balanced("digraph a { b ")
    assert not _balanced('digraph a { b [label="x\\"}"]; }}')
