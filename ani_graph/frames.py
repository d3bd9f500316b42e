"""The teaching schedule: forward values op by op, then gradients edge by edge.

`build_frames(G, view, direction)` needs the graph and the view (names, fold map),
never the layout. A frame is a plain dict with separate fields; no field needs
splitting:

- `phase`: "forward", "backward", "tangent" (forward mode, see `tangent.py`) or "update"
  (an optimizer step, in the frames of recorded training steps, `update_frames.py`, which
  also carry a `step` field);
- `caption`: what happens, with numbers, e.g. `∂y/∂a = ∂y/∂v1 · ∂v1/∂a = (−0.8391) · 2 = −1.678`;
  where a tensor feeds several ops, later arrivals read
  `∂e/∂b += … = 2 (second path) → 5`. The backward pass differentiates the single scalar
  output by its own name; with several outputs or given upstream gradients, its first
  frame defines the scalar (`L = 4·y1 + 8·y2`) and the captions use `L`
  (see `captions` for the notation);
- `rule`: the op's local derivative with the graph's own names, introduced by its label
  (`×: ∂v1/∂a = x, ∂v1/∂x = a: the inputs swap`), or "" for frames that apply no op;
- `nodes`: ids of the drawing's boxes lit in this frame (graph node ids, or `m:<path>`
  for a folded module, `elided` for a hidden middle);
- `edges`: the lit arrows, a list of `[u, v]` box-id pairs;
- `badges`: the badge texts that change in this frame, `{node: {"value": …}}`,
  `{node: {"grad": …}}` or, in forward mode, `{node: {"tangent": …}}` (drawn in a
  tangent row that takes the gradient row's place);
- `edge_badges`: the edge texts that change, a list of `[u, v, text]` (the share of
  u's gradient that came back through op v).

`badges` and `edge_badges` are deltas, so a page holds each text once and its size grows
linearly with nodes + frames; `state_at` accumulates them into what the drawing shows
at a frame (the player does the same in the browser). With direction "backward" the
first frame also carries every value, so the gradients arrive on a drawing that has
its numbers.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.view import build_view
>>> g = TorchGraph(lambda a, b: a * b, [2, 3], [2])
>>> f = build_frames(g.nx, build_view(g.nx))[1]
>>> build_frames(g.nx, build_view(g.nx))[0]["caption"]
'Backward pass starts: L = 2·out, so ∂L/∂out = 2'
>>> f["caption"], f["rule"], f["edges"]
('∂L/∂a = ∂L/∂out · ∂out/∂a = 2 · 3 = 6', '×: ∂out/∂a = b, ∂out/∂b = a: the inputs swap', [['t0', 'op0']])
"""

from __future__ import annotations

import networkx as nx

from . import captions as C
from .format import format_tensor
from .tangent import Tangents, tangent_steps
from .view import View

DIRECTIONS = ("forward", "backward", "both", "tangent")
FIELDS = ("phase", "caption", "rule", "nodes", "edges", "badges", "edge_badges")


def frame(phase, caption, rule="", nodes=(), edges=(), badges=None, edge_badges=()) -> dict:
    """One frame, with every field of the schema."""
    return {
        "phase": phase,
        "caption": caption,
        "rule": rule,
        "nodes": list(nodes),
        "edges": [list(e) for e in edges],
        "badges": badges or {},
        "edge_badges": [list(e) for e in edge_badges],
    }


def _forward_frames(G, order, names) -> list[dict]:
    sources = [n for n in order if G.nodes[n]["kind"] != "op" and G.in_degree(n) == 0]
    values = {n: {"value": format_tensor(G.nodes[n]["value"])} for n in sources}
    frames = [frame("forward", C.forward_start(G, sources, names), nodes=sources, badges=values)]
    for op in order:
        if G.nodes[op]["kind"] != "op":
            continue
        outs = list(G.successors(op))
        edges = [[u, op] for u in C.operands(G, op)] + [[op, o] for o in outs]
        badges = {o: {"value": format_tensor(G.nodes[o]["value"])} for o in outs}
        frames.append(frame("forward", C.forward_caption(G, op, names), "", [op, *outs], edges, badges))
    return frames


def upstream_of(G, o):
    """The gradient fed into output `o` from outside: its total minus what its own consumers sent."""
    if "upstream" in G.nodes[o]:  # recorded by the tracer for every output
        return G.nodes[o]["upstream"]
    total = G.nodes[o]["grad"]
    shares = [d["grad"] for _, _, d in G.out_edges(o, data=True) if d.get("grad") is not None]
    if total is None or not shares:
        return total
    try:
        return total - sum(shares)
    except TypeError:  # summaries of huge tensors cannot be subtracted
        return None


def _plus(total, share):
    try:
        return share if total is None else total + share
    except TypeError:  # summaries of huge tensors cannot be added
        return None


def seeds(G) -> tuple[list[str], dict]:
    """The outputs the backward pass starts from, and the upstream gradient each is fed."""
    outputs = [
        n
        for n, a in G.nodes(data=True)
        if a["kind"] == "output" or (a["kind"] != "op" and G.out_degree(n) == 0 and a["grad"] is not None)
    ]
    upstream = {o: upstream_of(G, o) for o in outputs}
    return outputs, {o: g for o, g in upstream.items() if g is not None}


def _backward_start(G, names):
    outputs, upstream = seeds(G)
    scalar, definition = C.differentiated(G, upstream, names)
    badges = {o: {"grad": format_tensor(g)} for o, g in upstream.items()}
    caption = C.backward_start(G, upstream, names, scalar, definition)
    return frame("backward", caption, nodes=outputs, badges=badges), upstream, scalar


def _backward_frames(G, order, names) -> list[dict]:
    first, upstream, scalar = _backward_start(G, names)
    frames = [first]
    running: dict[str, object] = dict(upstream)
    arrivals: dict[str, int] = dict.fromkeys(upstream, 1)  # the upstream gradient was the first
    # how many shares each tensor will receive: with the last one its badge shows autograd's total
    expected: dict[str, int] = {}
    for u, _, d in G.edges(data=True):
        if d.get("grad") is not None and G.nodes[u].get("requires_grad"):
            expected[u] = expected.get(u, 0) + 1
    for op in reversed(order):
        if G.nodes[op]["kind"] != "op":
            continue
        if G.nodes[op]["op"] == "detach":  # the cut: say why no gradient goes on from here
            (u,) = C.operands(G, op)
            rule = C.rule_text(G, op, names, scalar)
            frames.append(frame("backward", C.cut_caption(G, op, names), rule, [op, u], [[u, op]]))
            continue
        for u in C.operands(G, op):
            share = G.edges[u, op].get("grad")
            if share is None or not G.nodes[u]["requires_grad"]:
                continue
            arrivals[u] = arrivals.get(u, 0) + 1
            expected[u] -= 1
            total = G.nodes[u]["grad"] if expected[u] == 0 else _plus(running.get(u), share)
            running[u] = total
            caption = C.arrival_caption(G, u, op, share, total, arrivals[u], names, scalar)
            badges = {u: {"grad": format_tensor(total) if total is not None else "…"}}
            edge_badges = [[u, op, format_tensor(share)]]
            rule = C.rule_text(G, op, names, scalar)
            frames.append(frame("backward", caption, rule, [op, u], [[u, op]], badges, edge_badges))
    return frames


def _onto_boxes(f: dict, owner: dict[str, str], G) -> dict:
    """One frame in terms of the drawing's boxes: tensors hidden in a box are not lit on their own."""
    shown = lambda n: owner[n] == n  # noqa: E731
    lit = sorted({owner[n] for n in f["nodes"] if shown(n) or G.nodes[n]["kind"] == "op"})
    edges = []
    for u, v in f["edges"]:
        e = [owner[u], owner[v]]
        if e[0] != e[1] and e not in edges:
            edges.append(e)
    badges = {n: t for n, t in f["badges"].items() if shown(n)}
    edge_badges = [e for e in f["edge_badges"] if shown(e[0]) and shown(e[1])]
    return {**f, "nodes": lit, "edges": edges, "badges": badges, "edge_badges": edge_badges}


def _fold_frames(frames: list[dict], owner: dict[str, str], G) -> list[dict]:
    """Map frames onto the drawing's boxes: a folded module animates as one step."""
    result: list[dict] = []
    last_boxes: set = set()
    for f in frames:
        f = _onto_boxes(f, owner, G)
        boxes = {n for n in f["nodes"] if n not in G}
        if boxes and result and last_boxes == boxes and result[-1]["phase"] == f["phase"]:
            prev = result[-1]  # the same folded box again: one step
            prev["badges"].update(f["badges"])
            prev["edge_badges"] += f["edge_badges"]
            prev["nodes"] = sorted(set(prev["nodes"]) | set(f["nodes"]))
            prev["edges"] += [e for e in f["edges"] if e not in prev["edges"]]
            continue
        if boxes:
            f = {**f, "caption": C.folded_caption(sorted(boxes)[0], f["phase"]), "rule": ""}
        result.append(f)
        last_boxes = boxes
    return result


def build_frames(G, view: View, direction: str = "backward", tangents: Tangents | None = None) -> list[dict]:
    """The frame list of a graph, drawn as `view`, for `direction` "forward", "backward", "both" or
    "tangent" (forward mode, which needs the `tangents` of `tangent.forward_mode`)."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(map(repr, DIRECTIONS))}, not {direction!r}.")
    names = view.names
    order = list(nx.topological_sort(G))
    if direction == "tangent":
        if tangents is None:
            raise ValueError("direction 'tangent' needs the seed tangents: call g.animate('tangent', wrt={...}).")
        frames = [frame("tangent", **step) for step in tangent_steps(G, order, names, tangents)]
    elif direction == "forward":
        frames = _forward_frames(G, order, names)
    elif direction == "both":
        frames = _forward_frames(G, order, names) + _backward_frames(G, order, names)
    else:
        frames = _backward_frames(G, order, names)
        # the drawing starts with every value shown, so the gradients have context
        badges = {n: {"value": format_tensor(a["value"])} for n, a in G.nodes(data=True) if a["kind"] != "op"}
        for n, texts in frames[0]["badges"].items():
            badges[n].update(texts)
        frames[0]["badges"] = badges
    if any(box != n for n, box in view.owner.items()):
        frames = _fold_frames(frames, view.owner, G)
    return frames


def state_at(frames: list[dict], index: int) -> dict:
    """What the drawing shows at a frame: the badges so far, plus that frame's lights and texts.

    Returns `{"badges": {node: {...}}, "edge_badges": {(u, v): text}, "nodes": [...],
    "edges": [[u, v], ...], "phase", "caption", "rule"}`.
    """
    badges: dict[str, dict] = {}
    edge_badges: dict[tuple[str, str], str] = {}
    for f in frames[: index + 1]:
        for n, texts in f["badges"].items():
            badges.setdefault(n, {}).update(texts)
        for u, v, text in f["edge_badges"]:
            edge_badges[(u, v)] = text
    f = frames[index]
    return {**f, "badges": badges, "edge_badges": edge_badges}
