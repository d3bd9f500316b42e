"""The teaching schedule: forward values op by op, then gradients edge by edge.

A frame is a plain dict:

- `caption`: one line saying what happens, with numbers. A backward step reads
  `<step with numbers>  —  <op>: <its local rule>` (the player shows the rule on a line
  of its own), e.g. `∂L/∂a = ∂L/∂y · ∂y/∂a = 2 · 3 = 6  —  ×: … the inputs swap`; where a
  tensor feeds several ops, later arrivals read `∂L/∂b += … = 2 (second path) → 5`;
- `phase`: "forward" or "backward";
- `nodes_lit`, `edges_lit`: what glows in this frame (ids of the drawing's nodes, which
  are graph node ids or, for folded modules, `m:<path>`);
- `labels`: the node texts that change in this frame, `{node: {"value": ...}}` or
  `{node: {"grad": ...}}`;
- `edge_labels`: edge texts that change, `{"u->v": gradient share}`.

`labels` and `edge_labels` are deltas, so a page holds each text once and its size grows
linearly with nodes + frames; `state_at` accumulates them into what the drawing shows at
a frame (the player does the same in the browser). With direction "backward" the first
frame also carries every value, so the gradients arrive on a drawing that has its numbers.

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
RULE_SEPARATOR = "  —  "  # a backward caption is "<the step with numbers>  —  <op label>: <local rule>"
# ops whose local derivative acts element by element: for them the step can be written
# out as upstream ⊙ local, element by element, when the tensors are small
ELEMENTWISE = {
    "add", "sub", "mul", "div", "neg", "pow", "sqrt", "exp", "log", "square", "sin", "cos", "tanh",
    "sigmoid", "relu", "maximum", "minimum", "abs", "clamp", "gelu", "clone",
}  # fmt: skip


def _is_scalar(t) -> bool:
    return t is not None and t.numel() == 1


def _num(t) -> str:
    return format_tensor(t)


def _operands(G, op):
    return [u for u, _, _ in sorted(G.in_edges(op, data=True), key=lambda e: e[2].get("arg", 0))]


def _operand_twice(G, op) -> bool:
    """`x * x`: the graph holds one edge (carrying both contributions) for the two arguments."""
    return G.nodes[op]["op"] in INFIX and G.in_degree(op) == 1


def _expression(G, op, names, values: bool) -> str:
    a = G.nodes[op]
    args = [(_num(G.nodes[u]["value"]) if values else names[u]) for u in _operands(G, op)]
    if _operand_twice(G, op):
        args = args * 2
    symbol = INFIX.get(a["op"])
    if symbol and len(args) == 2:
        return f"{args[0]} {symbol} {args[1]}"
    if a["op"] == "neg" and len(args) == 1:
        return f"−{args[0]}"
    label = math_to_text(a["label"])
    if label.startswith("[") and len(args) == 1:  # indexing reads like the code: x[i], x[a:b]
        return f"{args[0]}{label}"
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


def _step_numbers(G, op, share, g_out) -> str | None:
    """`upstream · local = share` with numbers, where the local derivative can be read off."""
    if g_out is None or G.out_degree(op) != 1:
        return None
    if _is_scalar(share) and _is_scalar(g_out) and float(g_out) != 0:
        local = float(share) / float(g_out)  # one number in, one out: the ratio is the derivative
        return f"{_num(g_out)} · {format_tensor(local)} = {_num(share)}"
    small = share.numel() <= 6
    if G.nodes[op]["op"] in ELEMENTWISE and small and share.shape == g_out.shape and bool((g_out != 0).all()):
        local = share / g_out
        return f"{_num(g_out)} ⊙ {_num(local)} = {_num(share)}"
    return None


def _arrival_caption(G, u, op, share, running, arrival, names) -> str:
    outs = list(G.successors(op))
    out = outs[0] if outs else None
    g_out = G.nodes[out]["grad"] if out is not None else None
    head = f"∂L/∂{names[u]} {'=' if arrival == 1 else '+='} ∂L/∂{names[out]} · ∂{names[out]}/∂{names[u]}"
    numbers = _step_numbers(G, op, share, g_out)
    text = f"{head} = {numbers}" if numbers else f"{head}: {_num(share)}"
    if _operand_twice(G, op):
        text += f" ({names[u]} is both operands: both shares are in this sum)"
    if arrival > 1:
        text += f" ({ORDINALS.get(arrival, f'path {arrival}')} path) → {_num(running) if running is not None else '…'}"
    rule = lookup(G.nodes[op]["op"]).rule
    return f"{text}{RULE_SEPARATOR}{math_to_text(G.nodes[op]['label'])}: {rule}"


def _upstream(G, o):
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


def _backward_frames(G, order, names) -> list[dict]:
    outputs = [
        n
        for n, a in G.nodes(data=True)
        if a["kind"] == "output" or (a["kind"] != "op" and G.out_degree(n) == 0 and a["grad"] is not None)
    ]
    upstream = {o: _upstream(G, o) for o in outputs}
    upstream = {o: g for o, g in upstream.items() if g is not None}
    first = {
        "phase": "backward",
        "caption": "Backward pass starts: the upstream gradient "
        + ", ".join(f"∂L/∂{names[o]} = {_num(g)}" for o, g in upstream.items()),
        "nodes_lit": outputs,
        "edges_lit": [],
        "labels": {o: {"grad": _num(g)} for o, g in upstream.items()},
        "edge_labels": {},
    }
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
        for u in _operands(G, op):
            share = G.edges[u, op].get("grad")
            if share is None or not G.nodes[u]["requires_grad"]:
                continue
            arrivals[u] = arrivals.get(u, 0) + 1
            expected[u] -= 1
            total = G.nodes[u]["grad"] if expected[u] == 0 else _plus(running.get(u), share)
            running[u] = total
            frames.append(
                {
                    "phase": "backward",
                    "caption": _arrival_caption(G, u, op, share, total, arrivals[u], names),
                    "nodes_lit": [op, u],
                    "edges_lit": [[u, op]],
                    "labels": {u: {"grad": _num(total) if total is not None else "…"}},
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


def _source_text(G, n, names) -> str:
    value = _num(G.nodes[n]["value"])
    if G.nodes[n]["kind"] == "constant" and names[n] == value:
        return f"the constant {value}"
    return f"{names[n]} = {value}"


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
        + ", ".join(_source_text(G, n, names) for n in sources[:6])
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
        "phase": frame.get("phase", ""),
    }
