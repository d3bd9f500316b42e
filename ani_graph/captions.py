"""The sentences of the animation: each step written out with its numbers.

Every text here is built from the graph (values, gradients, edge shares), the
view's names, and the op catalogue (how an op is written, its local rule). The
frames module decides *when* each is said.

The notation is the one a student writes by hand. With one scalar output `y` and the
default upstream gradient 1, the backward pass differentiates `y` itself and the
captions say `∂y/∂x`. With several outputs, or upstream gradients given, the first
backward frame defines the scalar `L` being differentiated (`L = 4·y1 + 8·y2`) and the
captions say `∂L/∂x`. Negative factors are bracketed (`1 · (−0.8391)`), and a name
that starts with a digit is quoted (`∂y/∂"0.bias"`) so it cannot be read as a number.

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.view import display_names
>>> g = TorchGraph(lambda a, b: a * b, [2, -3])
>>> forward_caption(g.nx, "op0", display_names(g.nx))
'out = a × b = 2 × (−3) = −6'
"""

from __future__ import annotations

from .format import MINUS, format_number, format_tensor, kept
from .names import Names
from .ops import OPERAND_FIELDS, fill, info_of
from .style import math_to_text
from .summary import TensorSummary

ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}
SMALL = 6  # tensors with at most this many elements have their steps written out element by element


def _is_scalar(t) -> bool:
    return t is not None and t.numel() == 1


def factor(text: str) -> str:
    """A number or tensor text as a factor of a product: negative numbers in brackets.

    >>> factor("−0.8391"), factor("3"), factor("[−1, 2]")
    ('(−0.8391)', '3', '[−1, 2]')
    """
    return f"({text})" if text.startswith((MINUS, "-")) else text


def symbol(G, n, names) -> str:
    """How formulas write tensor `n`: its name, quoted when it starts with a digit (`"0.bias"`);
    a constant is its value, bracketed when negative.

    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_node("t0", kind="param")
    >>> G.add_node("t1", kind="constant")
    >>> symbol(G, "t0", {"t0": "0.bias"}), symbol(G, "t1", {"t1": "−1"})
    ('"0.bias"', '(−1)')
    """
    name = names[n]
    if G._node[n]["kind"] == "constant":  # networkx's own dict (see `walk.plain`): no view per lookup
        return factor(name)
    return f'"{name}"' if name[:1].isdigit() else name


def operands(G, op) -> list[str]:
    """The tensors an op reads, in argument order."""
    links = G._pred[op]  # networkx's own dict (see `walk.plain`): no view per lookup
    if len(links) == 1:
        return list(links)
    return sorted(links, key=lambda u: links[u].get("arg", 0))


def operand_twice(G, op) -> bool:
    """`x * x`: the graph holds one edge (carrying both contributions) for the two arguments."""
    return len(G._pred[op]) == 1 and info_of(G._node[op]).form == "infix"


def expression(G, op, names, values: bool) -> str:
    """The op applied to its operands, by name (`a × x`) or by value (`3 × 2`)."""
    attrs = G.nodes[op]
    info = info_of(attrs)
    if values:  # in a written-out operation a negative operand is bracketed: 3 × (−2), −(−2)
        write = factor if info.form != "call" else str
        args = [write(format_tensor(G.nodes[u]["value"])) for u in operands(G, op)]
    else:
        args = [symbol(G, u, names) for u in operands(G, op)]
    if operand_twice(G, op):
        args = args * 2
    # the node's own label: indexing ops carry their index (x[1:]), custom ops their name
    return info.write(args, math_to_text(attrs["label"]))


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


# ----- the scalar being differentiated --------------------------------------------------------------


def _equals(g, number: float) -> bool:
    if hasattr(g, "std") and not callable(g.std):  # a TensorSummary
        return g.min == g.max == number
    if g.numel() == 1 and not g.dtype.is_complex:  # one number: compared in Python, exactly (no torch ops)
        return g.item() == number
    return bool((g == number).all())


def _term(G, o, g, names) -> tuple[bool, str]:
    """(negative, text) of one output's term in L: `4·y1`, `y`, `Σ y`, `Σ([1, −1] ⊙ y)`."""
    y = symbol(G, o, names)
    if not _is_scalar(G.nodes[o]["value"]):
        return False, f"Σ {y}" if _equals(g, 1) else f"Σ({format_tensor(g)} ⊙ {y})"
    c = float(g.mean) if hasattr(g, "std") and not callable(g.std) else float(g)
    return c < 0, y if abs(c) == 1 else f"{format_number(abs(c))}·{y}"


def differentiated(G, upstream: dict, names) -> tuple[str, str]:
    """(symbol, definition) of the scalar the backward pass differentiates.

    One scalar output fed the default upstream gradient 1 is differentiated itself: its own
    name and no definition. Otherwise the scalar is `L`, defined from the upstream gradients:
    `L = 4·y1 + 8·y2`, or `L = Σ([1, −1] ⊙ y)` for a vector output.

    >>> from ani_graph import TorchGraph
    >>> from ani_graph.view import display_names
    >>> g = TorchGraph(lambda x: (x * 2, x * 3), [1.0], [4, 8])
    >>> up = {g.node_id(o): g.upstream(o) for o in g.outputs}
    >>> differentiated(g.nx, up, display_names(g.nx))
    ('L', 'L = 4·out0 + 8·out1')
    """
    key = ("differentiated", id(G), id(names), *((o, id(g)) for o, g in upstream.items()))
    return kept(key, names, lambda: _differentiated(G, upstream, names))  # the frames and the panels ask


def _differentiated(G, upstream: dict, names) -> tuple[str, str]:
    if len(upstream) == 1:
        ((o, g),) = upstream.items()
        if _is_scalar(G.nodes[o]["value"]) and _is_scalar(g) and _equals(g, 1):
            return symbol(G, o, names), ""
    # `Names` answers without writing out the values of thousands of constants
    spells = names.spells if isinstance(names, Names) else set(names.values()).__contains__
    scalar = next(s for s in ("L", "ℒ", "L₀", "L₁") if not spells(s))
    text = ""
    for i, (o, g) in enumerate(upstream.items()):
        negative, term = _term(G, o, g, names)
        if i == 0:
            text = (MINUS if negative else "") + term
        else:
            text += f" {MINUS if negative else '+'} {term}"
    return scalar, f"{scalar} = {text}"


def backward_start(G, upstream: dict, names, scalar: str, definition: str) -> str:
    """The first backward frame: what is differentiated, and the gradient each output starts with."""
    given = ", ".join(f"∂{scalar}/∂{symbol(G, o, names)} = {format_tensor(g)}" for o, g in upstream.items())
    if not definition:
        return f"Backward pass starts at the output {scalar}: {given}"
    return f"Backward pass starts: {definition}, so {given}"


# ----- one gradient share arriving -------------------------------------------------------------------


def step_numbers(G, op, share, g_out) -> str | None:
    """`upstream · local = share` with numbers, where the local derivative can be read off."""
    if g_out is None or len(G._succ[op]) != 1 or not hasattr(share, "shape") or not hasattr(g_out, "shape"):
        return None
    if isinstance(share, TensorSummary) or isinstance(g_out, TensorSummary):
        return None  # a summary (above the value limit) has statistics, not elements to divide
    if _is_scalar(g_out) and (down := float(g_out)) != 0 and share.numel() <= SMALL:
        # one number came down: share / upstream is the local derivative itself
        local = share / down
        upstream = factor(format_tensor(g_out))
        local_text = factor(format_tensor(float(local)) if _is_scalar(share) else format_tensor(local))
        return f"{upstream} · {local_text} = {format_tensor(share)}"
    elementwise = info_of(G._node[op]).elementwise
    if elementwise and share.numel() <= SMALL and share.shape == g_out.shape and bool((g_out != 0).all()):
        return f"{format_tensor(g_out)} ⊙ {format_tensor(share / g_out)} = {format_tensor(share)}"
    return None


def rule_fields(G, op, names, scalar: str) -> dict[str, str]:
    """The names a rule template of `op` is filled with (see `ops` for the fields); within
    `format.texts_kept`, found once per op (its rule, each share's caption and its panel ask), so
    the dict is shared: read it, do not change it."""
    return kept(("fields", id(G), op, scalar, id(names)), names, lambda: _rule_fields(G, op, names, scalar))


def _rule_fields(G, op, names, scalar: str) -> dict[str, str]:
    fields = {}
    for u, d in G._pred[op].items():
        i = d.get("arg", 0)
        if i < len(OPERAND_FIELDS):
            fields[OPERAND_FIELDS[i]] = symbol(G, u, names)
        if i == 0:
            fields["n"] = str(G._node[u]["value"].numel())
    if operand_twice(G, op):
        fields["b"] = fields["a"]
    outs = list(G._succ[op])
    y = symbol(G, outs[0], names) if outs else "y"
    return {**fields, "y": y, "L": scalar, "g": f"∂{scalar}/∂{y}"}


def _product(G, u, op, share, names, scalar: str) -> str:
    """The right-hand side of `∂L/∂u = …`: the chain-rule product, with numbers where they are few."""
    info = info_of(G.nodes[op])
    arg = G.edges[u, op].get("arg", 0)
    if arg < len(info.grads):  # a matrix op: the gradient is a product of whole tensors
        return f"{fill(info.grads[arg], rule_fields(G, op, names, scalar))} = {format_tensor(share)}"
    # the output the gradient came back through (a write through a view also makes the base)
    outs = [o for o in G.successors(op) if G.nodes[o]["grad"] is not None] or list(G.successors(op))
    out = outs[0] if len(outs) == 1 else None
    g_out = G.nodes[out]["grad"] if out is not None else None
    y = symbol(G, out, names) if out is not None else "y"
    x = symbol(G, u, names)
    times = "⊙" if info.elementwise and g_out is not None and not _is_scalar(g_out) else "·"
    head = f"∂{scalar}/∂{y} {times} ∂{y}/∂{x}"
    numbers = step_numbers(G, op, share, g_out)
    if numbers:
        return f"{head} = {numbers}"
    if info.elementwise and g_out is not None and share.numel() < g_out.numel():
        return f"{head}, summed over the broadcast = {format_tensor(share)}"
    return f"{head} = {format_tensor(share)}"


def arrival_caption(G, u, op, share, running, arrival: int, names, scalar: str = "L") -> str:
    """One share of ∂L/∂u arriving from `op`: `∂L/∂u = ∂L/∂y · ∂y/∂u = 2 · 3 = 6`, or `+=` for later paths."""
    text = f"∂{scalar}/∂{symbol(G, u, names)} {'=' if arrival == 1 else '+='} "
    text += _product(G, u, op, share, names, scalar)
    if operand_twice(G, op):
        text += f" ({names[u]} is both operands: both shares are in this sum)"
    if arrival > 1:
        total = format_tensor(running) if running is not None else "…"
        text += f" ({ORDINALS.get(arrival, f'path {arrival}')} path) → {total}"
    return text


def rule_text(G, op, names, scalar: str = "L") -> str:
    """The op's local rule with the graph's names, introduced by its label: `×: ∂v1/∂a = x, …`.

    Only the operands that need a gradient get their part of the rule. Within `format.texts_kept`
    (one animation) it is written once per op: the frames and the inspect panel both show it.
    """
    return kept(("rule", id(G), op, scalar, id(names)), names, lambda: _rule_text(G, op, names, scalar))


def _rule_text(G, op, names, scalar: str) -> str:
    attrs = G._node
    label = math_to_text(attrs[op]["label"])
    fields = rule_fields(G, op, names, scalar)
    wanted = sorted(
        {d.get("arg", 0) for u, d in G._pred[op].items() if attrs[u].get("requires_grad")}
        | ({1} if operand_twice(G, op) else set())
    )
    return f"{label}: {info_of(attrs[op]).rule_text(fields, wanted)}"


def cut_caption(G, op, names) -> str:
    """The backward frame of a `detach`: the gradient stops there."""
    (u,) = operands(G, op)
    outs = [names[o] for o in G.successors(op)]
    made = outs[0] if outs else "its result"
    return f"{made} = detach({names[u]}) is a constant: no gradient flows back from {made} to {names[u]}"


def folded_caption(box: str, phase: str) -> str:
    label = box[2:] if box.startswith("m:") else "the hidden middle"
    what = {"forward": "values", "tangent": "values and tangents"}.get(phase, "gradients")
    return f"{label}: {what} pass through the folded module in one step"
