"""The teaching schedule: forward values op by op, then gradients edge by edge.

A frame is a plain dict:

- `caption`: one line saying what happens, with numbers
  (`∂L/∂a = ∂L/∂y · ∂y/∂a = 2 · 3 = 6  ·  ×: the inputs swap`);
- `phase`: "forward" or "backward";
- `nodes_lit`, `edges_lit`: what glows in this frame (ids of the drawing's nodes, which
  are graph node ids or, for folded modules, `m:<path>`);
- `labels`: the node texts that change in this frame, `{node: {"value": ...}}` or
  `{node: {"grad": ...}}`;
- `edge_labels`: edge texts that change, `{"u->v": gradient share}`.

`labels` and `edge_labels` are deltas, so a page holds each text once; `state_at`
accumulates them into what the drawing shows at a frame.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda a, b: a * b, [2, 3], [2])
>>> [f["caption"] for f in build_frames(g)][1]
'∂L/∂a = ∂L/∂out · ∂out/∂a = 2 · 3 = 6  —  ×: ∂(a·b)/∂a = b, ∂(a·b)/∂b = a: the inputs swap'
"""

from __future__ import annotations

import networkx as nx

from .format import format_tensor
from .layout import MAX_NODES, display_names, layout_of
from .ops import lookup
from .style import math_to_text

DIRECTIONS = ("forward", "backward", "both")
INFIX = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "^", "matmul": "@", "mm": "@", "dot": "·"}
ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}


def _is_scalar(t) -> bool:
    return t is not None and t.numel() == 1


def _num(t) -> str:
    return format_tensor(t)


def _operands(G, op):
    return [u for u, _, _ in sorted(G.in_edges(op, data=True), key=lambda e: e[2].get("arg", 0))]


def _expression(G, op, names, values: bool) -> str:
    a = G.nodes[op]
    args = [(_num(G.nodes[u]["value"]) if values else names[u]) for u in _operands(G, op)]
    symbol = INFIX.get(a["op"])
    if symbol and len(args) == 2:
        return f"{args[0]} {symbol} {args[1]}"
    if a["op"] == "neg" and len(args) == 1:
        return f"−{args[0]}"
    return f"{math_to_text(a['label'])}({', '.join(args)})"


def _forward_op_frame(G, op, names) -> dict:
    outs = list(G.successors(op))
    a = G.nodes[op]
    if len(outs) == 1:
        out = outs[0]
        value = G.nodes[out]["value"]
        if all(_is_scalar(G.nodes[u]["value"]) for u in _operands(G, op)) and _is_scalar(value):
            caption = (
                f"{names[out]} = {_expression(G, op, names, False)} = {_expression(G, op, names, True)} = {_num(value)}"
            )
        else:
            caption = f"{names[out]} = {_expression(G, op, names, False)} → {_num(value)}"
    else:
        caption = f"{math_to_text(a['label'])} makes {', '.join(names[o] for o in outs)}"
    return {
        "phase": "forward",
        "caption": caption,
        "nodes_lit": [op, *outs],
        "edges_lit": [[u, op] for u in _operands(G, op)] + [[op, o] for o in outs],
        "labels": {o: {"value": _num(G.nodes[o]["value"])} for o in outs},
        "edge_labels": {},
    }


def _arrival_caption(G, u, op, share, running, arrival, names) -> str:
    outs = list(G.successors(op))
    out = outs[0] if outs else None
    g_out = G.nodes[out]["grad"] if out is not None else None
    head = f"∂L/∂{names[u]} {'=' if arrival == 1 else '+='} ∂L/∂{names[out]} · ∂{names[out]}/∂{names[u]}"
    if _is_scalar(share) and _is_scalar(g_out) and float(g_out) != 0:
        local = float(share) / float(g_out)
        text = f"{head} = {_num(g_out)} · {format_tensor(local)} = {_num(share)}"
    else:
        text = f"{head}: {_num(share)}"
    if arrival > 1:
        text += f" ({ORDINALS.get(arrival, f'path {arrival}')} path) → {_num(running)}"
    rule = lookup(G.nodes[op]["op"]).rule
    return f"{text}  —  {math_to_text(G.nodes[op]['label'])}: {rule}"


def _backward_frames(G, order, names) -> list[dict]:
    outputs = [
        n
        for n, a in G.nodes(data=True)
        if a["kind"] == "output" or (a["kind"] != "op" and G.out_degree(n) == 0 and a["grad"] is not None)
    ]
    first = {
        "phase": "backward",
        "caption": "Backward pass starts: the upstream gradient "
        + ", ".join(f"∂L/∂{names[o]} = {_num(G.nodes[o]['grad'])}" for o in outputs if G.nodes[o]["grad"] is not None),
        "nodes_lit": outputs,
        "edges_lit": [],
        "labels": {o: {"grad": _num(G.nodes[o]["grad"])} for o in outputs if G.nodes[o]["grad"] is not None},
        "edge_labels": {},
    }
    frames = [first]
    running: dict[str, object] = {o: G.nodes[o]["grad"] for o in outputs if G.out_degree(o) == 0}
    arrivals: dict[str, int] = {}
    for op in reversed(order):
        if G.nodes[op]["kind"] != "op":
            continue
        for u in _operands(G, op):
            share = G.edges[u, op].get("grad")
            if share is None or not G.nodes[u]["requires_grad"]:
                continue
            arrivals[u] = arrivals.get(u, 0) + 1
            total = share if u not in running or running[u] is None else running[u] + share
            running[u] = total
            frames.append(
                {
                    "phase": "backward",
                    "caption": _arrival_caption(G, u, op, share, total, arrivals[u], names),
                    "nodes_lit": [op, u],
                    "edges_lit": [[u, op]],
                    "labels": {u: {"grad": _num(total)}},
                    "edge_labels": {f"{u}->{op}": _num(share)},
                }
            )
    return frames


def _fold_frames(frames: list[dict], owner: dict[str, str], G) -> list[dict]:
    """Map frames onto the drawing's boxes: a folded module animates as one step."""
    result: list[dict] = []
    for f in frames:
        # ops light their box; tensors hidden inside a box are not lit on their own
        lit = [owner.get(n, n) for n in f["nodes_lit"] if owner.get(n, n) == n or G.nodes[n]["kind"] == "op"]
        edges = [[owner.get(u, u), owner.get(v, v)] for u, v in f["edges_lit"]]
        edges = [e for e in edges if e[0] != e[1]]
        labels = {n: t for n, t in f["labels"].items() if owner.get(n, n) == n}
        edge_labels = {}
        for key, text in f["edge_labels"].items():
            u, v = key.split("->")
            if owner.get(u, u) == u and owner.get(v, v) == v:
                edge_labels[key] = text
        boxes = {n for n in lit if n not in G}
        if boxes and result and set(result[-1]["_boxes"]) == boxes and result[-1]["phase"] == f["phase"]:
            prev = result[-1]  # same folded box again: merge into one step
            prev["labels"].update(labels)
            prev["edge_labels"].update(edge_labels)
            prev["nodes_lit"] = sorted(set(prev["nodes_lit"]) | set(lit))
            prev["edges_lit"] += [e for e in edges if e not in prev["edges_lit"]]
            continue
        caption = f["caption"]
        if boxes:
            box = sorted(boxes)[0]
            label = box[2:] if box.startswith("m:") else "the hidden middle"
            what = "values" if f["phase"] == "forward" else "gradients"
            caption = f"{label}: {what} pass through the folded module in one step"
        result.append(
            {
                **f,
                "caption": caption,
                "nodes_lit": sorted(set(lit)),
                "edges_lit": edges,
                "labels": labels,
                "edge_labels": edge_labels,
                "_boxes": sorted(boxes),
            }
        )
    for f in result:
        del f["_boxes"]
    return result


def build_frames(graph, direction: str = "backward", depth=None, max_nodes=MAX_NODES) -> list[dict]:
    """The frame list of a TorchGraph for `direction` "forward", "backward" or "both"."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(map(repr, DIRECTIONS))}, not {direction!r}.")
    G = graph.nx
    names = display_names(G)
    order = list(nx.topological_sort(G))
    sources = [n for n in order if G.nodes[n]["kind"] != "op" and G.in_degree(n) == 0]
    values_known = {
        "phase": "forward",
        "caption": "Forward pass starts from the inputs: "
        + ", ".join(f"{names[n]} = {_num(G.nodes[n]['value'])}" for n in sources[:6])
        + (" …" if len(sources) > 6 else ""),
        "nodes_lit": sources,
        "edges_lit": [],
        "labels": {n: {"value": _num(G.nodes[n]["value"])} for n in sources},
        "edge_labels": {},
    }
    forward = [values_known] + [_forward_op_frame(G, op, names) for op in order if G.nodes[op]["kind"] == "op"]
    if direction == "forward":
        frames = forward
    else:
        backward = _backward_frames(G, order, names)
        if direction == "backward":
            # the drawing starts with every value shown, so the gradients have context
            labels = {n: {"value": _num(a["value"])} for n, a in G.nodes(data=True) if a["kind"] != "op"}
            for n, texts in backward[0]["labels"].items():
                labels[n].update(texts)
            backward[0] = {**backward[0], "labels": labels}
            frames = backward
        else:
            frames = forward + backward
    lay = layout_of(graph, depth=depth, max_nodes=max_nodes)
    if any(box != n for n, box in lay.owner.items()):
        frames = _fold_frames(frames, lay.owner, G)
    return frames


def state_at(frames: list[dict], index: int) -> dict:
    """The drawing's state at a frame: accumulated labels, plus that frame's lights and caption."""
    labels: dict[str, dict] = {}
    edge_labels: dict[str, str] = {}
    for f in frames[: index + 1]:
        for n, texts in f["labels"].items():
            labels.setdefault(n, {}).update(texts)
        edge_labels.update(f["edge_labels"])
    frame = frames[index]
    return {
        "labels": labels,
        "edge_labels": edge_labels,
        "nodes_lit": frame["nodes_lit"],
        "edges_lit": frame["edges_lit"],
        "caption": frame["caption"],
    }
