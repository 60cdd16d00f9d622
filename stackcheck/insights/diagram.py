"""The component-level architecture of a stack as a picture: Mermaid (GitHub renders it), Graphviz DOT, or SVG/PNG.

:func:`component_graph` turns a run's recorded registrations into a :class:`Graph`; :func:`mermaid`, :func:`dot` and
:func:`markdown` render it as text and :func:`write` picks the format from a file's extension. Everything here is pure
(no Pulumi runtime) and deterministic: the same registrations give the same text, byte for byte.

Nodes
    The stack's top-level components, exactly as :class:`stackcheck.engine.inventory.Inventory` groups them (``name
    (type)``, with the number of resources under each), plus the external actors: ``Internet`` always, and
    ``Cloudflare edge`` when a ``webstack:cdn:Cdn`` component exists. The resources registered directly under
    the stack (providers, and the docker platform's images) are *left out*: every component depends on its provider
    and every container on its image, so a node for them would only add one edge per component and say nothing about
    the architecture. Their number is in :attr:`Graph.stack_resources`, the legend and the JSON.

Edges
    Component A -> component B ("A uses B") when a resource under A depends on a resource under B, through its
    ``dependencies`` or its ``property_dependencies``; de-duplicated, with the number of resource-level dependencies
    behind each one. Each edge gets one of three styles:

    - ``solid``: a traffic flow, labelled with what flows, from :data:`FLOWS` (keyed by the pair of component types)
      and the rule that monitoring reads metrics of whatever sits at the edge, in the application or in the data
      zone. Some flows are registered the other way round (the web tier's services register into the load
      balancer's target groups; the bucket policy of the object storage names the web tier's role): when only the
      reversed pair is in the table, the edge is turned to follow the traffic (load balancer -> web tier, web tier
      -> object storage). Any other dependency between two components already joined by a flow is folded into it
      (the load balancer's certificate validation record in the CDN's zone).
    - ``dotted``: every other dependency (alert notifications, the web tier's smoke test waiting for the CDN's DNS
      record, ...), unlabelled.
    - ``hidden``: configuration edges, kept in :meth:`Graph.to_json` but not drawn: dependencies on the
      components in :data:`CONFIGURATION_TYPES` (encryption keys, the network, the docker platform's internal CA).
      Nearly every component uses them, so drawing them would add an edge from nearly every node (15 in prod)
      without saying anything the legend cannot say in one line.

    The actors add ``Internet -> Cloudflare edge -> cdn`` when the CDN exists (``Cloudflare edge``, in the Edge
    zone, is Cloudflare's network; the ``cdn`` component is our zone on it, whose origin flow leads on to the load
    balancer), else ``Internet -> load balancer`` (the web tiers when there is no load balancer either).

Trust boundaries
    Every node sits in exactly one zone (:data:`ZONES`), drawn as a Mermaid ``subgraph`` / a DOT ``cluster``:
    ``Internet``, ``Edge``, ``Private: application``, ``Private: data``, ``Management``; a component type missing
    from the table goes to a visible ``Other`` zone, never dropped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from stackcheck.engine.inventory import Inventory

if TYPE_CHECKING:
    from stackcheck.engine.resources import RecordedResource

Style = Literal["solid", "dotted", "hidden"]

ZONE_INTERNET = "Internet"
ZONE_EDGE = "Edge"
ZONE_APPLICATION = "Private: application"
ZONE_DATA = "Private: data"
ZONE_MANAGEMENT = "Management"
ZONE_OTHER = "Other"

#: The zones in the order they are drawn (left to right with ``flowchart LR``), with their subgraph ids.
ZONE_IDS: dict[str, str] = {
    ZONE_INTERNET: "zone_internet",
    ZONE_EDGE: "zone_edge",
    ZONE_APPLICATION: "zone_application",
    ZONE_DATA: "zone_data",
    ZONE_MANAGEMENT: "zone_management",
    ZONE_OTHER: "zone_other",
}

CDN_TYPE = "webstack:cdn:Cdn"

#: The trust zone of each component type, both platforms.
ZONES: dict[str, str] = {
    CDN_TYPE: ZONE_EDGE,
    "webstack:cdn:CertificateValidationRecords": ZONE_EDGE,
    "webstack:aws:LoadBalancer": ZONE_EDGE,
    "webstack:docker:LoadBalancer": ZONE_EDGE,
    "webstack:aws:WebTier": ZONE_APPLICATION,
    "webstack:docker:WebTier": ZONE_APPLICATION,
    "webstack:aws:Database": ZONE_DATA,
    "webstack:aws:ShardedDatabase": ZONE_DATA,
    "webstack:aws:Cache": ZONE_DATA,
    "webstack:aws:ObjectStorage": ZONE_DATA,
    "webstack:aws:Backups": ZONE_DATA,
    "webstack:aws:DatabaseBootstrap": ZONE_DATA,
    "webstack:aws:PersistentFiles": ZONE_DATA,
    "webstack:aws:OneOffTask": ZONE_APPLICATION,
    "webstack:aws:Operations": ZONE_APPLICATION,
    "webstack:docker:Database": ZONE_DATA,
    "webstack:docker:Cache": ZONE_DATA,
    "webstack:docker:ObjectStorage": ZONE_DATA,
    "webstack:docker:Backups": ZONE_DATA,
    "webstack:aws:Network": ZONE_MANAGEMENT,
    "webstack:aws:Keys": ZONE_MANAGEMENT,
    "webstack:aws:AppSecrets": ZONE_MANAGEMENT,
    "webstack:aws:Notifications": ZONE_MANAGEMENT,
    "webstack:aws:Monitoring": ZONE_MANAGEMENT,
    "webstack:aws:Prometheus": ZONE_MANAGEMENT,
    "webstack:aws:LogArchive": ZONE_MANAGEMENT,
    "webstack:docker:Network": ZONE_MANAGEMENT,
    "webstack:docker:InternalCa": ZONE_MANAGEMENT,
    "webstack:docker:Monitoring": ZONE_MANAGEMENT,
}

_SQL = "SQL over TLS"
_HTTP_TO_WEB = "HTTPS -> HTTP :3000/:8000"

#: What flows between two component types (client -> server), for the edges that are real traffic.
FLOWS: dict[tuple[str, str], str] = {
    (CDN_TYPE, "webstack:aws:LoadBalancer"): "HTTPS (origin)",
    (CDN_TYPE, "webstack:docker:LoadBalancer"): "HTTPS (origin)",
    ("webstack:aws:LoadBalancer", "webstack:aws:WebTier"): _HTTP_TO_WEB,
    ("webstack:aws:WebTier", "webstack:aws:ShardedDatabase"): _SQL,
    ("webstack:aws:WebTier", "webstack:aws:Database"): _SQL,
    ("webstack:aws:WebTier", "webstack:aws:Cache"): "Redis TLS",
    ("webstack:aws:WebTier", "webstack:aws:ObjectStorage"): "S3 API",
    ("webstack:aws:WebTier", "webstack:aws:Prometheus"): "metrics (remote write)",
    ("webstack:aws:Backups", "webstack:aws:ShardedDatabase"): "snapshots",
    ("webstack:aws:Backups", "webstack:aws:Database"): "snapshots",
    ("webstack:aws:Backups", "webstack:aws:ObjectStorage"): "backups, replication",
    ("webstack:aws:Backups", "webstack:aws:LogArchive"): "access logs",
    ("webstack:aws:ObjectStorage", "webstack:aws:LogArchive"): "access logs",
    ("webstack:aws:Monitoring", "webstack:aws:LogArchive"): "access logs",
    ("webstack:aws:LoadBalancer", "webstack:aws:LogArchive"): "access logs",
    ("webstack:docker:LoadBalancer", "webstack:docker:WebTier"): _HTTP_TO_WEB,
    ("webstack:docker:WebTier", "webstack:docker:Database"): _SQL,
    ("webstack:docker:WebTier", "webstack:docker:Cache"): "Redis :6379",
    ("webstack:docker:WebTier", "webstack:docker:ObjectStorage"): "S3 API",
    ("webstack:docker:Backups", "webstack:docker:Database"): "dumps",
    ("webstack:docker:Backups", "webstack:docker:ObjectStorage"): "dump uploads (S3 API)",
}

#: Component types that read the metrics of every component at the edge, in the application and in the data zone.
MONITORING_TYPES = frozenset({"webstack:aws:Monitoring", "webstack:docker:Monitoring"})
MONITORED_ZONES = frozenset({ZONE_EDGE, ZONE_APPLICATION, ZONE_DATA})

#: Component types that (nearly) every other one uses for configuration only: dependencies on them are not drawn.
CONFIGURATION_TYPES = frozenset(
    {"webstack:aws:Keys", "webstack:aws:Network", "webstack:docker:Network", "webstack:docker:InternalCa"}
)

#: What the configuration edges to each of those types stand for (the legend).
CONFIGURATION_USES: dict[str, str] = {
    "webstack:aws:Keys": "encryption keys",
    "webstack:aws:Network": "network placement",
    "webstack:docker:Network": "network placement",
    "webstack:docker:InternalCa": "TLS certificates",
}

#: Where traffic from the Internet enters when there is no CDN: the load balancers (else the web tiers).
ENTRY_TYPES = frozenset({"webstack:aws:LoadBalancer", "webstack:docker:LoadBalancer"})
WEB_TYPES = frozenset({"webstack:aws:WebTier", "webstack:docker:WebTier"})

INTERNET_ID = "actor_internet"
CLOUDFLARE_ID = "actor_cloudflare"


class DiagramError(Exception):
    """The diagram cannot be written (unknown extension, Graphviz missing or failing, file not writable)."""


@dataclass(frozen=True)
class Node:
    """A top-level component, or an external actor (``kind == "actor"``, ``type`` empty, ``resources`` 0)."""

    id: str
    """A safe identifier (``[A-Za-z_][A-Za-z0-9_]*``), unique in the graph: ``c_<name>`` or ``actor_<name>``."""
    name: str
    type: str
    zone: str
    label: str
    """Display text, lines separated by ``\\n`` (name, then type short name and resource count)."""
    resources: int = 0
    kind: Literal["component", "actor"] = "component"

    @property
    def group(self) -> str:
        """The inventory group this node draws (``name (type)``); the name alone for an actor."""
        return f"{self.name} ({self.type})" if self.kind == "component" else self.name


@dataclass(frozen=True)
class Edge:
    """``source`` uses / sends traffic to ``target``."""

    source: str
    target: str
    label: str = ""
    style: Style = "dotted"
    dependencies: int = 0
    """Resource-level dependencies behind the edge (0 for the actors' edges)."""


@dataclass(frozen=True)
class Graph:
    """A stack's components (and actors) in their zones, and the edges between them."""

    nodes: tuple[Node, ...]
    """Zone by zone (:data:`ZONE_IDS` order), then by name."""
    edges: tuple[Edge, ...]
    """Sorted by source, then target, in node order; ``hidden`` ones included."""
    stack_resources: int = 0
    """Resources directly under the stack (providers, images, ...): not drawn."""
    stack_resource_kinds: tuple[str, ...] = ()
    """What those are, by type (``providers``, ``Certificate``, ...), for the legend."""
    zones: tuple[str, ...] = ()
    """The zones that hold at least one node, in drawing order."""

    def node(self, node_id: str) -> Node:
        """The node with this id (``KeyError`` when there is none)."""
        for node in self.nodes:
            if node.id == node_id:
                return node
        raise KeyError(node_id)

    def by_group(self, group: str) -> Node:
        """The node of an inventory group (``name (type)``), or of an actor by name."""
        for node in self.nodes:
            if node.group == group:
                return node
        raise KeyError(group)

    @property
    def drawn_edges(self) -> tuple[Edge, ...]:
        """The edges Mermaid and DOT draw: all but the hidden configuration edges."""
        return tuple(e for e in self.edges if e.style != "hidden")

    def to_json(self) -> dict[str, Any]:
        """Nodes and edges (hidden ones with ``"style": "hidden"``) for the JSON report."""
        return {
            "nodes": [
                {
                    "id": n.id,
                    "name": n.name,
                    "type": n.type,
                    "kind": n.kind,
                    "zone": n.zone,
                    "label": n.label,
                    "resources": n.resources,
                }
                for n in self.nodes
            ],
            "edges": [
                {"from": e.source, "to": e.target, "label": e.label, "style": e.style, "dependencies": e.dependencies}
                for e in self.edges
            ],
            "zones": list(self.zones),
            "stackResources": self.stack_resources,
        }


# --- building the graph -------------------------------------------------------------------------------------------


def component_graph(resources: Sequence[RecordedResource]) -> Graph:
    """The component-level graph of one run's registrations (see the module docstring for every rule)."""
    inventory = Inventory.of(resources)
    by_urn = inventory.by_urn
    # A top-level component is its own top: dependencies on it count as on its group.
    top_of = {urn: top for urn, top in inventory.top.items() if not inventory.is_stack_resource(by_urn[urn])}
    members: dict[str, int] = defaultdict(int)
    for urn, top in top_of.items():
        if top.urn != urn:
            members[top.urn] += 1
    stack_resources = len(by_urn) - len(top_of)
    kinds = sorted(
        {
            "providers" if resource.type.startswith("pulumi:providers:") else _short(resource.type)
            for urn, resource in by_urn.items()
            if urn not in top_of
        }
    )

    components = sorted((by_urn[urn] for urn in members), key=lambda c: (c.name, c.type, c.urn))
    ids = _component_ids(components)
    nodes = {
        ids[c.urn]: Node(
            id=ids[c.urn],
            name=c.name,
            type=c.type,
            zone=ZONES.get(c.type, ZONE_OTHER),
            label=f"{c.name}\n{_short(c.type)} · {members[c.urn]} resource{'' if members[c.urn] == 1 else 's'}",
            resources=members[c.urn],
        )
        for c in components
    }

    raw: dict[tuple[str, str], int] = defaultdict(int)
    for resource in by_urn.values():
        top = top_of.get(resource.urn)
        if top is None or top.urn not in ids:
            continue
        targets = {*resource.dependencies, *(u for urns in resource.property_dependencies.values() for u in urns)}
        for urn in targets:
            other = top_of.get(urn)
            if other is not None and other.urn in ids and other.urn != top.urn:
                raw[(ids[top.urn], ids[other.urn])] += 1

    edges = _classify(raw, nodes)
    actors, actor_edges = _actors(list(nodes.values()))
    all_nodes = [*actors, *nodes.values()]
    order = list(ZONE_IDS)
    all_nodes.sort(key=lambda n: (order.index(n.zone), n.kind != "actor", n.name, n.type, n.id))
    zones = tuple(z for z in order if any(n.zone == z for n in all_nodes))
    rank = {n.id: i for i, n in enumerate(all_nodes)}
    return Graph(
        nodes=tuple(all_nodes),
        edges=tuple(sorted([*edges, *actor_edges], key=lambda e: (rank[e.source], rank[e.target]))),
        stack_resources=stack_resources,
        stack_resource_kinds=tuple(kinds),
        zones=zones,
    )


def _short(type_: str) -> str:
    """A type's short name: ``webstack:aws:WebTier`` -> ``WebTier``."""
    return type_.rsplit(":", 1)[-1]


def _safe(text: str) -> str:
    """``text`` with every character that may not appear in an identifier replaced by ``_``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _component_ids(components: Sequence[RecordedResource]) -> dict[str, str]:
    """``c_<name>``; ``c_<name>_<Type>`` when two components share a name; a counter if that still collides."""
    names = defaultdict(int)
    for c in components:
        names[_safe(c.name)] += 1
    ids: dict[str, str] = {}
    used: set[str] = set()
    for c in components:
        base = f"c_{_safe(c.name)}" if names[_safe(c.name)] == 1 else f"c_{_safe(c.name)}_{_safe(_short(c.type))}"
        candidate, n = base, 1
        while candidate in used:
            n += 1
            candidate = f"{base}_{n}"
        used.add(candidate)
        ids[c.urn] = candidate
    return ids


def flow_label(source: Node, target: Node) -> str:
    """What flows from ``source`` to ``target`` (client to server), or ``""`` when that pair is no traffic flow."""
    label = FLOWS.get((source.type, target.type), "")
    if not label and source.type in MONITORING_TYPES and target.zone in MONITORED_ZONES:
        label = "metrics"
    return label


def _classify(raw: Mapping[tuple[str, str], int], nodes: Mapping[str, Node]) -> list[Edge]:
    """Turn component-to-component dependency counts into flows (turned to follow the traffic), dotted dependencies
    (folded into a flow between the same two components) and hidden configuration edges."""
    flows: dict[tuple[str, str], tuple[str, int]] = {}
    others: dict[tuple[str, str], int] = {}
    for (a, b), count in sorted(raw.items()):
        forward, backward = flow_label(nodes[a], nodes[b]), flow_label(nodes[b], nodes[a])
        if forward or backward:
            key, label = ((a, b), forward) if forward else ((b, a), backward)
            flows[key] = (label, flows[key][1] + count if key in flows else count)
        else:
            others[(a, b)] = count
    edges: list[Edge] = []
    for (a, b), count in others.items():
        if nodes[b].type in CONFIGURATION_TYPES:
            edges.append(Edge(a, b, "", "hidden", count))
            continue
        joined = next((key for key in ((a, b), (b, a)) if key in flows), None)
        if joined is None:
            edges.append(Edge(a, b, "", "dotted", count))
        else:  # folded into the flow between the same two components
            flows[joined] = (flows[joined][0], flows[joined][1] + count)
    edges += [Edge(a, b, label, "solid", count) for (a, b), (label, count) in flows.items()]
    return edges


def _actors(components: Iterable[Node]) -> tuple[list[Node], list[Edge]]:
    """The Internet (and Cloudflare's edge when there is a CDN), and where their traffic enters the stack."""
    components = list(components)
    internet = Node(INTERNET_ID, "Internet", "", ZONE_INTERNET, "Internet", kind="actor")
    cdns = [c for c in components if c.type == CDN_TYPE]
    if cdns:
        cloudflare = Node(CLOUDFLARE_ID, "Cloudflare edge", "", ZONE_EDGE, "Cloudflare edge", kind="actor")
        edges = [Edge(INTERNET_ID, CLOUDFLARE_ID, "HTTPS", "solid")]
        edges += [Edge(CLOUDFLARE_ID, c.id, "proxied (WAF, cache)", "solid") for c in cdns]
        return [internet, cloudflare], edges
    entries = [c for c in components if c.type in ENTRY_TYPES] or [c for c in components if c.type in WEB_TYPES]
    return [internet], [Edge(INTERNET_ID, c.id, "HTTPS", "solid") for c in entries]


# --- Mermaid ------------------------------------------------------------------------------------------------------

_MERMAID_ENTITIES = {
    '"': "#34;",
    "#": "#35;",
    "&": "#38;",
    "<": "#60;",
    ">": "#62;",
    "`": "#96;",
    "|": "#124;",
    "[": "#91;",
    "]": "#93;",
    "{": "#123;",
    "}": "#125;",
}


def mermaid_text(text: str) -> str:
    """``text`` safe inside a quoted Mermaid label: markup characters as entity codes, lines joined by ``<br/>``."""
    lines = ("".join(_MERMAID_ENTITIES.get(ch, ch) for ch in line) for line in text.split("\n"))
    return "<br/>".join(lines)


def mermaid(graph: Graph) -> str:
    """A ``flowchart LR`` with one subgraph per zone; solid labelled flows, dotted dependencies."""
    lines = ["flowchart LR"]
    for zone in graph.zones:
        lines.append(f'  subgraph {ZONE_IDS[zone]} ["{mermaid_text(zone)}"]')
        for node in graph.nodes:
            if node.zone == zone:
                text = mermaid_text(node.label)
                lines.append(f'    {node.id}(["{text}"])' if node.kind == "actor" else f'    {node.id}["{text}"]')
        lines.append("  end")
    for edge in graph.drawn_edges:
        arrow = "-->" if edge.style == "solid" else "-.->"
        label = f'|"{mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} {arrow}{label} {edge.target}")
    actors = [n.id for n in graph.nodes if n.kind == "actor"]
    others = [n.id for n in graph.nodes if n.zone == ZONE_OTHER]
    lines.append("  classDef actor fill:#ffffff,stroke:#555555,stroke-dasharray: 4 2")
    lines.append("  class " + ",".join(actors) + " actor")
    if others:
        lines.append("  classDef unknown fill:#fff3cd,stroke:#b58105")
        lines.append("  class " + ",".join(others) + " unknown")
    return "\n".join(lines) + "\n"


# --- DOT ----------------------------------------------------------------------------------------------------------


def dot_text(text: str) -> str:
    """``text`` as a quoted DOT string (lines separated by ``\\n`` escapes)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dot(graph: Graph) -> str:
    """The same picture for Graphviz: one ``cluster`` per zone."""
    lines = [
        "digraph architecture {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, newrank=true];',
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for zone in graph.zones:
        lines.append(f"  subgraph cluster_{ZONE_IDS[zone]} {{")
        lines.append(f"    label={dot_text(zone)};")
        lines.append('    style="dashed";' if zone != ZONE_OTHER else '    style="filled"; fillcolor="#fff3cd";')
        for node in graph.nodes:
            if node.zone == zone:
                shape = ', shape=ellipse, style="dashed"' if node.kind == "actor" else ""
                lines.append(f"    {node.id} [label={dot_text(node.label)}{shape}];")
        lines.append("  }")
    for edge in graph.drawn_edges:
        attributes = [f"label={dot_text(edge.label)}"] if edge.label else []
        if edge.style == "dotted":
            attributes.append('style="dotted"')
        suffix = f" [{', '.join(attributes)}]" if attributes else ""
        lines.append(f"  {edge.source} -> {edge.target}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- Markdown and files -------------------------------------------------------------------------------------------


def markdown(graph: Graph, stack: str) -> str:
    """A ``## Architecture`` section: the Mermaid block and a short legend."""
    components = [n for n in graph.nodes if n.kind == "component"]
    drawn = graph.drawn_edges
    flows = sum(1 for e in drawn if e.style == "solid" and not e.source.startswith("actor_"))
    dotted = sum(1 for e in drawn if e.style == "dotted")
    hidden = [e for e in graph.edges if e.style == "hidden"]
    hidden_targets = sorted({graph.node(e.target).name for e in hidden})
    others = [n.group for n in components if n.zone == ZONE_OTHER]
    legend = [
        f"- {len(components)} top-level components of stack `{stack}` (name, component type, resources under it), "
        "grouped by trust zone: Internet, Edge (public), Private: application, Private: data, Management.",
        f"- Solid arrows: traffic, labelled with what flows ({flows} between components); dotted arrows: other "
        f'dependencies ({dotted}; alert notifications, for example). An arrow reads "uses" (client to server).',
    ]
    if hidden:
        uses = sorted({CONFIGURATION_USES.get(graph.node(e.target).type, "configuration") for e in hidden})
        legend.append(
            f"- Not drawn: {len(hidden)} configuration dependencies on {', '.join(f'`{t}`' for t in hidden_targets)} "
            f"({', '.join(uses)}), which nearly every component has."
        )
    if graph.stack_resources:
        legend.append(
            f"- Not drawn: {graph.stack_resources} resource{'' if graph.stack_resources == 1 else 's'} registered "
            f"directly under the stack ({', '.join(graph.stack_resource_kinds)})."
        )
    if others:
        legend.append(f"- Other: component types without a zone yet: {', '.join(f'`{g}`' for g in others)}.")
    return "\n".join(
        [
            "## Architecture",
            "",
            f"Components of stack `{stack}` and the data flows between them, as `stackcheck` recorded them.",
            "",
            "```mermaid",
            mermaid(graph).rstrip("\n"),
            "```",
            "",
            *legend,
            "",
        ]
    )


#: Formats Graphviz renders, by extension.
RENDERED = {".svg": "svg", ".png": "png"}


def write(path: Path, graph: Graph, stack: str) -> None:
    """Write the diagram in the format ``path``'s extension names: ``.mmd`` (Mermaid), ``.md`` (the markdown
    section), ``.dot``/``.gv`` (DOT), ``.svg``/``.png`` (rendered by Graphviz's ``dot``, which must be on PATH)."""
    suffix = path.suffix.lower()
    if suffix in RENDERED:
        executable = shutil.which("dot")
        if executable is None:
            raise DiagramError(f"{path.name}: {suffix} needs Graphviz's dot on PATH; write .md or .mmd instead")
        try:
            done = subprocess.run(
                [executable, f"-T{RENDERED[suffix]}", "-o", str(path)],
                input=dot(graph).encode(),
                capture_output=True,
                timeout=120,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise DiagramError(f"{path.name}: running dot failed: {error}") from error
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip() or f"exit status {done.returncode}"
            raise DiagramError(f"{path.name}: dot failed: {message}")
        return
    renderers = {".mmd": mermaid, ".dot": dot, ".gv": dot}
    if suffix in renderers:
        content = renderers[suffix](graph)
    elif suffix == ".md":
        content = markdown(graph, stack)
    else:
        raise DiagramError(
            f"{path.name}: unknown diagram format {suffix or '(no extension)'}; use .md, .mmd, .dot, .svg or .png"
        )
    try:
        path.write_text(content, encoding="utf-8")
    except OSError as error:
        raise DiagramError(f"cannot write {path}: {error.strerror or error}") from error
