"""The view: what the drawing shows of a graph, as one plain value, without graphviz.

A `View` says which graph nodes fold into one box (modules deeper than `depth`; above
`max_nodes` boxes, or more than `MAX_RANKS` along the longest path, modules fold on
their own, and a graph with nothing to fold hides its middle), every box's texts
(title, value, gradient) and its size (room for the largest text it ever shows, so
nothing moves between frames), the links between boxes, and which module cluster
each box sits in. The layout, the scene and the frames all read it. An animation whose
frames show texts the graph does not hold (tangents, gradients marked ✓) passes them as
`extra`, so the boxes have room for them; a box with a tangent shows a tangent row in
place of its gradient row.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x: torch.sin(2 * x), [1.0])
>>> v = build_view(g.nx)
>>> sorted(b.kind for b in v.boxes.values())
['constant', 'input', 'intermediate', 'op', 'op', 'output']
>>> v.names[g.node_id("x")], v.boxes[g.node_id("x")].value
('x', '1')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from .format import format_tensor
from .heatmap import GAP, Heat, check_tensors, gradient_steps, heat_of
from .names import display_names
from .style import CHAR_WIDTH, FONT_SIZE, LINE_HEIGHT, math_to_text
from .walk import around, plain, program_ends, topological_order

MAX_NODES = 300  # boxes drawn before modules fold
MAX_RANKS = 48  # boxes along the longest path before modules fold: a slide is only so wide
ELIDED = "elided"  # the id of the box that stands for a hidden middle


@dataclass(frozen=True)
class Box:
    """One thing the drawing shows: a tensor, an op, a folded module or the hidden middle."""

    id: str
    kind: str  # input/param/constant/intermediate/output/op/module/elided
    title: str  # plain text (mathtext already turned into Unicode)
    math: str | None  # an op's label as written (mathtext), for matplotlib
    value: str  # the value text ("" when the box shows none)
    grad: str  # the gradient text
    value_row: bool  # the box has a value row / a gradient row at all
    grad_row: bool
    width: float  # points, for the largest text the box ever shows
    height: float
    members: tuple[str, ...]  # the graph nodes it stands for
    cluster: str | None  # the open module whose frame it sits in
    tangent_row: bool = False  # forward mode: a tangent row in place of the gradient row
    value_heat: Heat | None = None  # tensors="heatmap": the value row shows this grid in place of its text
    grad_heat: Heat | None = None  # and the gradient row this one
    grad_steps: tuple[tuple[str, Heat], ...] = ()  # (badge text, grid) of the running sums before the total

    def row_heights(self) -> list[float]:
        """Heights of the box's rows, top to bottom: title, then value, gradient, tangent (those it has)."""
        grad = [h.row_height for h in (self.grad_heat, *(h for _, h in self.grad_steps)) if h is not None]
        value = [self.value_heat.row_height] if self.value_heat else []
        shown: tuple[tuple[bool, list[float]], ...] = (
            (self.value_row, value),
            (self.grad_row, grad),
            (self.tangent_row, []),
        )
        return [LINE_HEIGHT] + [max(heights, default=LINE_HEIGHT) for on, heights in shown if on]


@dataclass(frozen=True)
class Link:
    """An arrow between two boxes, standing for one or more graph edges."""

    src: str
    dst: str
    members: tuple[tuple[str, str], ...]
    grad: str  # the gradient share a single tensor→op edge carries ("" for none)
    cut: bool = False  # the edge into a `detach`: drawn as a cut, no gradient flows back along it


@dataclass(frozen=True)
class View:
    boxes: dict[str, Box]
    links: dict[tuple[str, str], Link]
    owner: dict[str, str]  # graph node -> the box that shows it (itself when not folded)
    names: Mapping[str, str]  # tensor node -> what drawing and captions call it (`names.Names`)
    clusters: dict[str, str | None]  # open module path -> its parent's path
    depth: int | None  # the fold depth used
    note: str  # why the drawing was folded or elided ("" when it was not)


def check_view_options(depth, max_nodes) -> None:
    """Clear errors for the folding options, before any work is done."""
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 0):
        raise ValueError(f"depth must be None or a whole number ≥ 0 (how many module levels stay open), not {depth!r}.")
    if isinstance(max_nodes, bool) or not isinstance(max_nodes, int) or max_nodes < 2:
        raise ValueError(f"max_nodes must be a whole number ≥ 2, not {max_nodes!r}.")


# ----- the fold map ------------------------------------------------------------------------------


def owner_module(G, n) -> str | None:
    """The module a node belongs to, for folding; inputs and outputs belong to none."""
    nodes, succ, pred = plain(G)
    return _owner(nodes, succ, pred, n)


def _owner(nodes: dict, succ: dict, pred: dict, n) -> str | None:
    a = nodes[n]
    kind = a["kind"]
    if kind == "op":
        return a["module"]
    if kind == "intermediate":
        for p in pred[n]:  # the op that made it
            return nodes[p]["module"]
        return None
    if kind == "param" or kind == "constant":
        mods = {nodes[s]["module"] for s in succ[n]}
        return mods.pop() if len(mods) == 1 else None
    return None


def owner_modules(G) -> dict[str, str | None]:
    """`owner_module` of every node, in one pass over networkx's own dicts."""
    nodes, succ, pred = plain(G)
    return {n: _owner(nodes, succ, pred, n) for n in nodes}


def _fold(module: str | None, depth: int | None) -> str | None:
    """The module box a module folds into at this depth, or None when it stays open."""
    if module is None or depth is None:
        return None
    parts = module.split(".")
    return ".".join(parts[: depth + 1]) if len(parts) > depth else None


def fold_map(G, depth: int | None, modules: dict | None = None) -> dict[str, str]:
    """Graph node -> box id, with modules deeper than `depth` folded into `m:<path>` boxes
    (`modules`: each node's `owner_module`, when already known)."""
    if modules is None:
        modules = owner_modules(G)
    boxes: dict[str | None, str | None] = {}  # module -> the box it folds into, once per module
    owner = {}
    for n, mod in modules.items():
        if mod not in boxes:
            box = _fold(mod, depth)
            boxes[mod] = f"m:{box}" if box else None
        owner[n] = boxes[mod] or n
    for n, a in G.nodes(data=True):
        # a named tensor that leaves its folded module stays visible: the user called it something
        if a["kind"] == "intermediate" and a.get("name") and owner[n] != n:
            if any(owner[s] != owner[n] for s in G.successors(n)):
                owner[n] = n
    return owner


def _length(G, owner, boxes) -> int:
    """The longest path of a fold map's drawing, in boxes."""
    succ: dict[str, set] = {b: set() for b in boxes}
    for u, nbrs in G.adjacency():
        bu = owner[u]
        out = succ[bu]
        for v in nbrs:
            bv = owner[v]
            if bv != bu:
                out.add(bv)
    longest: dict[str, int] = {}
    get = longest.get
    for n in reversed(topological_order(G)):  # boxes keep the graph's order
        b = owner[n]
        after = 0
        for s in succ[b]:
            ls = get(s, 1)
            if ls > after:
                after = ls
        here = get(b, 1)
        longest[b] = here if here > after + 1 else after + 1
    return max(longest.values(), default=0)


def _fits(G, owner, max_nodes) -> bool:
    """Whether a fold map's drawing fits: at most `max_nodes` boxes and `MAX_RANKS` along its longest path."""
    boxes = set(owner.values())
    return len(boxes) <= max_nodes and _length(G, owner, boxes) <= MAX_RANKS


def choose_fold(G, depth=None, max_nodes=MAX_NODES) -> tuple[dict[str, str], int | None, str]:
    """(fold map, depth used, note): fold modules until the drawing fits, else hide the middle."""
    if depth is not None:
        return fold_map(G, depth), depth, ""
    if G.number_of_nodes() <= max_nodes:  # else too many boxes, however short
        owner = {n: n for n in G.nodes}
        if _fits(G, owner, max_nodes):
            return owner, None, ""
    deepest = max(
        (a["module"].count(".") for a in plain(G)[0].values() if a["kind"] == "op" and a["module"]), default=-1
    )
    owners = owner_modules(G) if deepest >= 0 else {}  # no module to fold: none needed
    for d in range(deepest, -1, -1):
        owner = fold_map(G, d, owners)
        if _fits(G, owner, max_nodes):
            note = (
                f"{G.number_of_nodes()} nodes: modules deeper than {d} are folded into boxes to keep "
                "the drawing readable (pass depth= or max_nodes= to change this)."
            )
            return owner, d, note
    owner = elide(G, min(max_nodes, MAX_RANKS) // 2)
    hidden = sum(1 for v in owner.values() if v == ELIDED)
    return owner, None, f"{G.number_of_nodes()} nodes: {hidden} in the middle are hidden to keep the drawing readable."


def elide(G, keep: int) -> dict[str, str]:
    """The fold map that shows the first and the last `keep` nodes and hides the middle in one box.

    First and last as the program ran (`walk.program_ends`; else in topological order), so a
    constant is shown beside the op that reads it; a constant or weight that feeds only hidden
    ops is hidden too, as it would only point into the hidden middle.
    """
    ends = program_ends(G, keep)
    if ends is None:
        order = topological_order(G)
        ends = order[:keep], order[-keep:]
    head, tail = ends
    shown = set(head) | set(tail)
    for n in head:
        a = G.nodes[n]
        if a["kind"] in ("constant", "param") and G.succ[n] and not any(s in shown for s in G.succ[n]):
            shown.discard(n)
    owner = dict.fromkeys(G._node, ELIDED)  # in the graph's order (networkx's own dict: no Python step per node)
    for n in shown:
        owner[n] = n
    return owner


# ----- texts ----------------------------------------------------------------------------------------


def module_title(G, box: str) -> str:
    """A folded module's title: its path and its class, e.g. `layers.0 · TransformerEncoderLayer`."""
    path = box[2:]
    cls = G.graph.get("module_types", {}).get(path)
    return f"{path} · {cls}" if cls else path


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """Points a line of text takes, from the average character advance."""
    return len(text) * size * CHAR_WIDTH


def _tensor_box(G, n, name, members, cluster, extra: dict[str, list[str]], order: list | None = None) -> Box:
    """A tensor's box, sized for its own texts and the `extra` ones frames will show ({which: [text]}).

    With a topological `order` (`tensors="heatmap"`), a value or gradient of 2 to 64 elements is a
    grid (`heatmap.Heat`) whose row is sized for the grid and its range text instead.
    """
    a = G.nodes[n]
    value = format_tensor(a["value"])
    grad = format_tensor(a["grad"]) if a["grad"] is not None else ""
    shape = "×".join(map(str, a["shape"]))
    if a["kind"] == "constant":
        title = f"{a['name']} = {value}" if a.get("name") else value
        value = grad = ""
    else:
        title = f"{name} ({shape})" if name and shape else (name or shape)
    value_row = a["kind"] != "constant"
    tangent_row = value_row and "tangent" in extra
    grad_row = value_row and bool(a["requires_grad"]) and not tangent_row
    heats: dict[str, Heat | None] = {"value": None, "grad": None}
    steps: tuple[tuple[str, Heat], ...] = ()
    if order is not None and value_row:
        heats = {"value": heat_of(a["value"]), "grad": heat_of(a["grad"]) if grad_row else None}
        if heats["grad"] is not None:
            found = ((format_tensor(t), heat_of(t)) for t in gradient_steps(G, n, order))
            steps = tuple((text, h) for text, h in found if h is not None)
    shown = {"value": (value_row, value), "grad": (grad_row, grad), "tangent": (tangent_row, "")}
    texts = {w: (on and heats.get(w) is None, own) for w, (on, own) in shown.items()}  # rows that show text
    widths = [text_width(title)] + [text_width(f"= {own}") for on, own in texts.values() if on]  # a key (= ∂ ṫ)
    widths += [text_width(f"= {t}") for which, ts in extra.items() if texts.get(which, (False,))[0] for t in ts]
    grids = [h for h in heats.values() if h is not None] + [h for _, h in steps]
    widths += [h.width + GAP + text_width(h.text, FONT_SIZE - 1) + 15 for h in grids]
    if heats["grad"] is not None:  # a mark after the total (✓ from the gradient check) goes after its range
        marks = [t[len(grad) :] for t in extra.get("grad", []) if t.startswith(grad + " ")]
        h = heats["grad"]
        widths += [h.width + GAP + text_width(h.text + m, FONT_SIZE - 1) + 15 for m in marks]
    box = Box(n, a["kind"], title, None, value, grad, value_row, grad_row, 0.0, 0.0, members, cluster, tangent_row,
              heats["value"], heats["grad"], steps)  # fmt: skip
    # sized in place: the box is ours until returned, and `replace` would build it a second time
    object.__setattr__(box, "width", max(40.0, max(widths) + 18))
    object.__setattr__(box, "height", sum(box.row_heights()) + 10)
    return box


def _other_box(G, box, members, cluster) -> Box:
    if box.startswith("m:") or box == ELIDED:
        title = module_title(G, box) if box.startswith("m:") else f"⋯ {len(members)} nodes ⋯"
        kind = "module" if box.startswith("m:") else ELIDED
        return Box(
            box, kind, title, None, "", "", False, False, max(70.0, text_width(title) + 20), 40.0, members, cluster
        )
    label = G.nodes[box]["label"]
    title = math_to_text(label)
    width = max(34.0, text_width(title, FONT_SIZE + 2) + 18)
    return Box(box, "op", title, label, "", "", False, False, width, 34.0, members, cluster)


# ----- clusters and links ------------------------------------------------------------------------


def _cluster_of(G, boxes) -> dict[str, str | None]:
    """Box -> the innermost open module it is drawn inside (None at the top level)."""
    folded = {b[2:] for b in boxes if b.startswith("m:")}

    def outside_folds(mod):
        # a tensor that leaves a folded module sits next to its box, in the box's parent
        for f in folded:
            if mod == f or mod.startswith(f + "."):
                return f.rsplit(".", 1)[0] if "." in f else None
        return mod

    cluster: dict[str, str | None] = {}
    for n in boxes:
        if n in G:  # a node drawn on its own
            mod = owner_module(G, n)
            cluster[n] = outside_folds(mod) if mod else None
    for box in folded:
        cluster[f"m:{box}"] = box.rsplit(".", 1)[0] if "." in box else None
    return cluster


def _cluster_tree(cluster: dict[str, str | None]) -> dict[str, str | None]:
    """Every open module path that holds a box, with its parent path, outermost first."""
    paths: set[str] = set()
    for mod in {m for m in cluster.values() if m is not None}:
        parts = mod.split(".")
        paths.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    ordered = sorted(paths, key=lambda p: (p.count("."), p))
    return {p: (p.rsplit(".", 1)[0] if "." in p else None) for p in ordered}


def _links(G, owner, shown: list[str] | None = None) -> dict[tuple[str, str], Link]:
    """The arrows between boxes. With `shown` (the nodes drawn on their own when the rest is one
    hidden box, `elide`), only the edges at those nodes are read: every arrow has one of them
    at an end. They are read in the graph's order all the same, so the links come out alike."""
    members: dict[tuple[str, str], list] = {}
    adjacency = G.adjacency() if shown is None else around(G, shown)
    for u, nbrs in adjacency:
        bu = owner[u]
        for v in nbrs:
            if owner[v] != bu:
                members.setdefault((bu, owner[v]), []).append((u, v))
    links = {}
    for (bu, bv), inner in members.items():
        grad = ""
        if len(inner) == 1 and bu in G and G.nodes[bu]["kind"] != "op":
            grad = format_tensor(G.edges[inner[0]].get("grad"))
        cut = any(G.edges[e].get("cut") for e in inner)
        links[(bu, bv)] = Link(bu, bv, tuple(inner), grad, cut)
    return links


def build_view(G, depth=None, max_nodes=MAX_NODES, extra=(), tensors="text") -> View:
    """The view of a graph: fold map, texts, sizes, links and clusters.

    `extra` lists `(node, which, text)` texts beyond the graph's own that frames will
    show (`which` is "value", "grad" or "tangent"); boxes are sized for them.
    `tensors="heatmap"` shows small tensors as grids (see `heatmap`).
    """
    check_view_options(depth, max_nodes)
    check_tensors(tensors)
    more: dict[str, dict[str, list[str]]] = {}
    for node, which, text in extra:
        more.setdefault(node, {}).setdefault(which, []).append(text)
    owner, used_depth, note = choose_fold(G, depth, max_nodes)
    names = display_names(G)
    members: dict[str, list[str]] = {}
    for n, box in owner.items():  # in the graph's order
        if box in members:
            members[box].append(n)
        else:
            members[box] = [n]
    cluster = _cluster_of(G, members)
    order = topological_order(G) if tensors == "heatmap" else None
    boxes = {}
    for box, inner in members.items():
        where = cluster.get(box)
        if box in G and G.nodes[box]["kind"] != "op":
            boxes[box] = _tensor_box(G, box, names[box], tuple(inner), where, more.get(box, {}), order)
        else:
            boxes[box] = _other_box(G, box, tuple(inner), where)
    links = _links(G, owner, [b for b in members if b != ELIDED] if ELIDED in members else None)
    if any(which == "tangent" for _, which, _ in extra):  # forward mode shows no gradient shares
        links = {k: replace(link, grad="") for k, link in links.items()}
    return View(boxes, links, owner, names, _cluster_tree(cluster), used_depth, note)
