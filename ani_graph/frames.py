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

from . import captions as C
from .format import format_tensor
from .frame_steps import (
    Running,
    backward_start,
    backward_steps,
    everything,
    forward_step,
    frame,
    onto_boxes,
    seeds,
    upstream_of,
)
from .frames_fold import folded_frames
from .tangent import Tangents, tangent_steps
from .view import View
from .walk import topological_order

__all__ = ["DIRECTIONS", "FIELDS", "build_frames", "frame", "seeds", "state_at", "upstream_of"]

DIRECTIONS = ("forward", "backward", "both", "tangent")
FIELDS = ("phase", "caption", "rule", "nodes", "edges", "badges", "edge_badges")


def _forward_frames(G, order, names) -> list[dict]:
    """The forward frames of a drawing that shows every node."""
    sources = [n for n in order if G.nodes[n]["kind"] != "op" and G.in_degree(n) == 0]
    values = {n: {"value": format_tensor(G.nodes[n]["value"])} for n in sources}
    frames = [frame("forward", C.forward_start(G, sources, names), nodes=sources, badges=values)]
    frames += [forward_step(G, op, names, everything) for op in order if G.nodes[op]["kind"] == "op"]
    return frames


def _backward_frames(G, order, names) -> list[dict]:
    """The backward frames of a drawing that shows every node."""
    first, upstream, scalar = backward_start(G, names)
    frames = [first]
    running = Running(G, upstream)
    for op in reversed(order):
        if G.nodes[op]["kind"] == "op":
            frames += backward_steps(G, op, names, scalar, running, everything)
    return frames


def _fold_frames(frames: list[dict], owner: dict[str, str], G) -> list[dict]:
    """Map frames onto the drawing's boxes: a folded module animates as one step."""
    result: list[dict] = []
    last_boxes: set = set()
    for f in frames:
        f = onto_boxes(f, owner, G)
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
    order = topological_order(G)
    # fold first: a folded drawing's schedule is built over its boxes, without the texts folding drops
    folded = any(box != n for n, box in view.owner.items())
    if direction == "tangent":
        if tangents is None:
            raise ValueError("direction 'tangent' needs the seed tangents: call g.animate('tangent', wrt={...}).")
        frames = [frame("tangent", **step) for step in tangent_steps(G, order, names, tangents)]
        return _fold_frames(frames, view.owner, G) if folded else frames
    if folded:
        return folded_frames(G, order, names, view.owner, view.links, direction)
    if direction == "forward":
        return _forward_frames(G, order, names)
    if direction == "both":
        return _forward_frames(G, order, names) + _backward_frames(G, order, names)
    frames = _backward_frames(G, order, names)
    # the drawing starts with every value shown, so the gradients have context
    badges = {n: {"value": format_tensor(a["value"])} for n, a in G.nodes(data=True) if a["kind"] != "op"}
    for n, texts in frames[0]["badges"].items():
        badges.setdefault(n, {}).update(texts)
    frames[0]["badges"] = badges
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
