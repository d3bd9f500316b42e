"""The sentences of the animation: each step written out with its numbers.

Every text here is built from the graph (values, gradients, edge shares), the
view's names, and the op catalogue (how an op is written, its local rule). The
frames module decides *when* each is said.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.view import display_names
>>> g = TorchGraph(lambda a, b: a * b, [2, 3])
>>> forward_caption(g.nx, "op0", display_names(g.nx))
'out = a × b = 2 × 3 = 6'
"""

from __future__ import annotations

from .format import format_tensor
from .ops import info_of
from .style import math_to_text
from .summary import TensorSummary

ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}
SMALL = 6  # tensors with at most this many elements have their steps written out element by element


def _is_scalar(t) -> bool:
    return t is not None and t.numel() == 1


def operands(G, op) -> list[str]:
    """The tensors an op reads, in argument order."""
    return [u for u, _, _ in sorted(G.in_edges(op, data=True), key=lambda e: e[2].get("arg", 0))]


def operand_twice(G, op) -> bool:
    """`x * x`: the graph holds one edge (carrying both contributions) for the two arguments."""
    return info_of(G.nodes[op]).form == "infix" and G.in_degree(op) == 1


def expression(G, op, names, values: bool) -> str:
    """The op applied to its operands, by name (`a × x`) or by value (`3 × 2`)."""
    attrs = G.nodes[op]
    args = [(format_tensor(G.nodes[u]["value"]) if values else names[u]) for u in operands(G, op)]
    if operand_twice(G, op):
        args = args * 2
    # the node's own label: indexing ops carry their index (x[1:]), custom ops their name
    return info_of(attrs).write(args, math_to_text(attrs["label"]))


def forward_caption(G, op, names) -> str:
    """`y = a × x = 3 × 2 = 6` for scalars, `y = W @ x → [...]` otherwise."""
    outs = list(G.successors(op))
    if len(outs) != 1:
        return f"{math_to_text(G.nodes[op]['label'])} makes {', '.join(names[o] for o in outs)}"
    out = outs[0]
    value = G.nodes[out]["value"]
    written = expression(G, op, names, False)
    if all(_is_scalar(G.nodes[u]["value"]) for u in operands(G, op)) and _is_scalar(value):
        return f"{names[out]} = {written} = {expression(G, op, names, True)} = {format_tensor(value)}"
    return f"{names[out]} = {written} → {format_tensor(value)}"


def source_text(G, n, names) -> str:
    """How the first forward frame introduces an input or constant."""
    value = format_tensor(G.nodes[n]["value"])
    if G.nodes[n]["kind"] == "constant" and names[n] == value:
        return f"the constant {value}"
    return f"{names[n]} = {value}"


def forward_start(G, sources, names) -> str:
    listed = ", ".join(source_text(G, n, names) for n in sources[:6])
    return "Forward pass starts from the inputs: " + listed + (" …" if len(sources) > 6 else "")


def backward_start(upstream: dict, names) -> str:
    given = ", ".join(f"∂L/∂{names[o]} = {format_tensor(g)}" for o, g in upstream.items())
    return "Backward pass starts: the upstream gradient " + given


def step_numbers(G, op, share, g_out) -> str | None:
    """`upstream · local = share` with numbers, where the local derivative can be read off."""
    if g_out is None or G.out_degree(op) != 1 or isinstance(share, TensorSummary) or isinstance(g_out, TensorSummary):
        return None  # a summary (above the value limit) has statistics, not elements to divide
    if _is_scalar(share) and _is_scalar(g_out) and float(g_out) != 0:
        local = float(share) / float(g_out)  # one number in, one out: the ratio is the derivative
        return f"{format_tensor(g_out)} · {format_tensor(local)} = {format_tensor(share)}"
    elementwise = info_of(G.nodes[op]).elementwise
    if elementwise and share.numel() <= SMALL and share.shape == g_out.shape and bool((g_out != 0).all()):
        return f"{format_tensor(g_out)} ⊙ {format_tensor(share / g_out)} = {format_tensor(share)}"
    return None


def arrival_caption(G, u, op, share, running, arrival: int, names) -> str:
    """One share of ∂L/∂u arriving from `op`: `∂L/∂u = ∂L/∂y · ∂y/∂u = 2 · 3 = 6`, or `+=` for later paths."""
    outs = list(G.successors(op))
    # the output the gradient came back through (a write through a view also makes the base)
    out = next((o for o in outs if G.nodes[o]["grad"] is not None), outs[0] if outs else None)
    g_out = G.nodes[out]["grad"] if out is not None else None
    head = f"∂L/∂{names[u]} {'=' if arrival == 1 else '+='} ∂L/∂{names[out]} · ∂{names[out]}/∂{names[u]}"
    numbers = step_numbers(G, op, share, g_out)
    text = f"{head} = {numbers}" if numbers else f"{head}: {format_tensor(share)}"
    if operand_twice(G, op):
        text += f" ({names[u]} is both operands: both shares are in this sum)"
    if arrival > 1:
        total = format_tensor(running) if running is not None else "…"
        text += f" ({ORDINALS.get(arrival, f'path {arrival}')} path) → {total}"
    return text


def rule_text(G, op) -> str:
    """The op's local rule, introduced by its label: `×: ∂(a·b)/∂a = b, …`."""
    return f"{math_to_text(G.nodes[op]['label'])}: {info_of(G.nodes[op]).rule}"


def folded_caption(box: str, phase: str) -> str:
    label = box[2:] if box.startswith("m:") else "the hidden middle"
    what = "values" if phase == "forward" else "gradients"
    return f"{label}: {what} pass through the folded module in one step"
