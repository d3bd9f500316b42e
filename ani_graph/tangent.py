"""Forward mode: a tangent travels forward with the values, and what one pass of it buys.

`forward_mode(G, calls, wrt)` seeds the inputs named in `wrt` with tangents (every other
input and parameter starts at 0) and pushes them through the graph op by op with
PyTorch's own dual numbers (`torch.autograd.forward_ad`). Each op is called again
(`replay.py`) at its recorded operands, so every tangent is the one torch computes for
that op at that point. A custom `autograd.Function` without a `jvp` has no forward-mode
rule: its tangent is J·v with J built from its own backward, and the frame says so.

`tangent_steps` turns the numbers into the steps of a "tangent" animation (the frames
module wraps them into frames): the seeds, one step per op writing
`u̇ = ∂u/∂a·ȧ + ∂u/∂b·ḃ` with numbers, and a last step saying that the output tangent is
the directional derivative, and how many passes the full gradient needs each way.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x, a: torch.sin(a * x), [2, 3])
>>> t = forward_mode(g.nx, g._calls, {"x": 1.0})
>>> round(float(t.of[g.node_id("out")]), 4) == round(3 * float(torch.cos(torch.tensor(6.0))), 4)
True
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass

import torch
import torch.autograd.forward_ad as fwAD

from . import captions as C
from .format import format_tensor
from .replay import Replay
from .style import math_to_text

LEAVES = ("input", "param")  # where a seed tangent can go
MAX_OPS_WRITTEN_OUT = 300  # above this many ops (a folded or elided drawing) captions give totals, not terms


@dataclass(frozen=True)
class Tangents:
    """The numbers of one forward-mode pass."""

    seeds: dict[str, torch.Tensor]  # node -> the seed tangent `wrt` gave it
    of: dict[str, torch.Tensor]  # every tensor node that needs grad -> its tangent
    terms: dict[str, dict[str, torch.Tensor]]  # op -> {operand: its term ∂u/∂a·ȧ}, where several terms add
    partials: dict[str, dict[str, float]]  # op -> {operand: ∂u/∂a}, for ops from numbers to a number
    borrowed: frozenset[str]  # custom Functions without jvp: their tangent is J·v from their backward
    random: frozenset[str] = frozenset()  # ops that draw new random numbers when called again (dropout)


def _named_leaves(G) -> dict[str, str]:
    return {a["name"]: n for n, a in G.nodes(data=True) if a["kind"] in LEAVES and a.get("name")}


def check_wrt(G, wrt) -> dict[str, torch.Tensor]:
    """The seed tangent of each node named in `wrt`, or an error that says what to pass.

    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(lambda x, a: (a * x).sum(), [[1.0, 2.0], 3])
    >>> check_wrt(g.nx, {"x": [1, 0]})
    {'t0': tensor([1., 0.])}
    """
    leaves = _named_leaves(G)
    known = ", ".join(leaves) or "none"
    if not wrt:
        first = next(iter(leaves), "x")
        raise ValueError(
            f"direction='tangent' needs wrt=, the seed tangent of the inputs to move, e.g. wrt={{{first!r}: 1.0}} "
            f"(inputs and parameters: {known})."
        )
    if not isinstance(wrt, dict):
        raise TypeError(f"wrt must be a dict from input names to seed tangents, e.g. {{'x': 1.0}}, not {wrt!r:.60}.")
    seeds = {}
    for name, seed in wrt.items():
        node = leaves.get(name)
        if node is None:
            where = "is computed by the function" if any(a.get("name") == name for _, a in G.nodes(data=True)) else (
                "is not a tensor of this graph")  # fmt: skip
            raise ValueError(f"wrt names {name!r}, which {where}: a seed goes on an input or parameter ({known}).")
        seeds[node] = _seed_tensor(name, seed, G.nodes[node]["value"])
    return seeds


def _seed_tensor(name: str, seed, value: torch.Tensor) -> torch.Tensor:
    try:
        t = torch.as_tensor(seed, dtype=value.dtype).detach().clone()
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(
            f"wrt[{name!r}] must be a number, a list of numbers or a tensor, not {seed!r:.60} ({err})."
        ) from None
    shape = tuple(value.shape)
    if t.numel() == 1 and value.numel() == 1:
        t = t.reshape(shape)
    if tuple(t.shape) != shape:
        example = [1] + [0] * (value.numel() - 1) if value.dim() == 1 and value.numel() <= 6 else None
        hint = f", e.g. {example} for the derivative along its first element" if example else ""
        raise ValueError(
            f"{name} has shape {list(shape)} but its seed wrt[{name!r}] has shape {list(t.shape)}: give one "
            f"tangent per element of {name}{hint}."
        )
    if not bool(torch.isfinite(t).all()):
        raise ValueError(f"wrt[{name!r}] holds a value that is not finite: {format_tensor(t)}.")
    return t


def seeded(G, calls: dict, direction: str, wrt) -> Tangents | None:
    """The tangents a `direction` needs: forward mode's for "tangent", none otherwise (and then no `wrt`).

    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(lambda x: 2 * x, [1.0])
    >>> seeded(g.nx, g._calls, "backward", None) is None, float(seeded(g.nx, g._calls, "tangent", {"x": 1}).of["t2"])
    (True, 2.0)
    """
    if direction == "tangent":
        return forward_mode(G, calls, wrt)
    if wrt is not None:
        raise ValueError(
            f"wrt= gives the seed tangents of forward mode: use it with direction='tangent', not {direction!r}."
        )
    return None


def forward_mode(G, calls: dict, wrt) -> Tangents:
    """Push the seed tangents of `wrt` through every op of the graph with torch's forward AD."""
    seeds = check_wrt(G, wrt)
    replay = Replay(G, calls)
    values = replay.values()
    tangent = {n: seeds.get(n, torch.zeros_like(values[n])) for n, a in G.nodes(data=True)
               if a["kind"] in LEAVES and a["requires_grad"]}  # fmt: skip
    terms: dict[str, dict[str, torch.Tensor]] = {}
    partials: dict[str, dict[str, float]] = {}
    borrowed = set()
    with replay.isolated(), warnings.catch_warnings(), fwAD.dual_level():
        # torch loads its forward-mode decompositions through torch.jit.script, which warns
        warnings.filterwarnings("ignore", "`torch.jit.script` is deprecated", DeprecationWarning)
        random = frozenset(replay.unrepeatable(values))
        for op in replay.ops:
            movable = [s for s in dict.fromkeys(replay.calls[op].slots) if s in tangent]
            outs, by_backward = _push(replay, op, values, {s: tangent[s] for s in movable})
            tangent.update(outs)
            if by_backward:
                borrowed.add(op)
            if len(outs) != 1 or len(replay.ops) > MAX_OPS_WRITTEN_OUT:
                continue
            moving = [s for s in movable if bool(tangent[s].any())]
            if len(moving) > 1:
                terms[op] = {s: _push(replay, op, values, {s: tangent[s]})[0].popitem()[1] for s in moving}
            if all(values[s].numel() == 1 for s in movable) and next(iter(outs.values())).numel() == 1:
                partials[op] = {s: _unit_partial(replay, op, values, s) for s in movable}
    return Tangents(seeds, tangent, terms, partials, frozenset(borrowed), random)


def _unit_partial(replay: Replay, op: str, values, s: str) -> float:
    (out,) = _push(replay, op, values, {s: torch.ones_like(values[s])})[0].values()
    return float(out)


def _push(replay: Replay, op: str, values, tangents: dict) -> tuple[dict[str, torch.Tensor], bool]:
    """The tangents of `op`'s outputs given some of its operands' tangents, and whether the backward gave them."""
    call = replay.calls[op]
    duals = {s: fwAD.make_dual(values[s], t) for s, t in tangents.items()}
    try:
        outs = replay.run_op(op, values, [duals.get(s, values[s]) for s in call.slots])
    except (NotImplementedError, RuntimeError) as err:  # no forward-mode rule (a custom Function without jvp)
        try:
            return _push_by_jacobian(replay, op, values, tangents), True
        except Exception:
            name = replay.G.nodes[op]["op"]
            raise RuntimeError(f"forward mode cannot pass {name} ({op}): {err}") from err
    result = {}
    for o, t in outs.items():
        primal, dual = fwAD.unpack_dual(t)
        result[o] = (torch.zeros_like(primal) if dual is None else dual).detach()
    return result, False


def _push_by_jacobian(replay: Replay, op: str, values, tangents: dict) -> dict[str, torch.Tensor]:
    """J·v for an op without a forward-mode rule, with J from its backward (one pass per output element)."""
    call = replay.calls[op]
    movable = list(tangents)
    outs = [o for o, _ in replay.outputs_of(op)]

    def f(*xs):
        given = dict(zip(movable, xs))
        found = replay.run_op(op, values, [given.get(s, values[s]) for s in call.slots])
        return tuple(found[o] for o in outs)

    primals = tuple(values[s] for s in movable)
    with torch.enable_grad():
        jac = torch.autograd.functional.jacobian(f, primals)
    result = {}
    for k, o in enumerate(outs):
        total = torch.zeros_like(values[o])
        for i, s in enumerate(movable):
            J = jac[k][i].reshape(total.numel(), -1)
            total = total + (J @ tangents[s].reshape(-1).to(J.dtype)).reshape(total.shape)
        result[o] = total.detach()
    return result


# ----- the steps of a tangent animation --------------------------------------------------------


def dotted(name: str) -> str:
    """The tangent of a tensor, written with a dot: ẋ, v̇1, (out)˙.

    >>> [unicodedata.name(c) for c in dotted("x")], dotted("v1")[1:], dotted("out")
    (['LATIN SMALL LETTER X WITH DOT ABOVE'], '\u03071', '(out)˙')
    """
    head = name[:1]
    if head.isalpha() and (len(name) == 1 or name[1:].isdigit()):
        return unicodedata.normalize("NFC", head + "\u0307") + name[1:]  # ẋ as one character where there is one
    return f"({name})˙"


def _plural(n: int, what: str) -> str:
    return f"{n} {what}" + ("" if n == 1 else "es" if what.endswith("s") else "s")


def _start(G, order, names, T: Tangents) -> dict:
    sources = [n for n in order if G.nodes[n]["kind"] != "op" and G.in_degree(n) == 0]
    badges = {n: {"value": format_tensor(G.nodes[n]["value"])} for n in sources}
    for n in sources:
        if n in T.of:
            badges[n]["tangent"] = format_tensor(T.of[n])
    leaves = [n for n in sources if n in T.of]
    if len(leaves) <= 6:
        listed = ", ".join(f"{dotted(names[n])} = {format_tensor(T.of[n])}" for n in leaves)
    else:
        listed = ", ".join(f"{dotted(names[n])} = {format_tensor(T.of[n])}" for n in T.seeds)
        listed += f"; the other {len(leaves) - len(T.seeds)} inputs and parameters start at 0"
    return {
        "caption": "Forward mode starts from the seed tangents: " + listed,
        "rule": "each value travels with its tangent: how fast it changes as the inputs move along the seed",
        "nodes": sources,
        "badges": badges,
    }


def op_caption(G, op, names, T: Tangents) -> str:
    """`u̇ = ∂u/∂a·ȧ + ∂u/∂b·ḃ = 3 · 1 + 2 · 0 = 3`, with numbers where they are short.

    >>> from ani_graph import TorchGraph
    >>> from ani_graph.view import display_names
    >>> g = TorchGraph(lambda a, b: a * b, [2, 3])
    >>> op_caption(g.nx, "op0", display_names(g.nx), forward_mode(g.nx, g._calls, {"a": 1}))
    '(out)˙ = ∂out/∂a·ȧ + ∂out/∂b·ḃ = 3 · 1 + 2 · 0 = 3'
    """
    outs = list(G.successors(op))
    if len(outs) != 1:
        listed = ", ".join(f"{dotted(names[o])} = {format_tensor(T.of.get(o))}" for o in outs)
        return f"{math_to_text(G.nodes[op]['label'])} carries the tangents on: {listed}"
    out = outs[0]
    moving = [u for u in C.operands(G, op) if u in T.of]
    lead = dotted(names[out])
    if not moving:
        return f"{lead} = 0: nothing {names[out]} reads moves with the seed"
    head = lead + " = " + " + ".join(f"∂{names[out]}/∂{names[u]}·{dotted(names[u])}" for u in moving)
    total = format_tensor(T.of[out])
    if op in T.partials:
        numbers = " + ".join(f"{format_tensor(T.partials[op][u])} · {format_tensor(T.of[u])}" for u in moving)
        return f"{head} = {numbers} = {total}"
    if len(moving) > 1:
        terms = T.terms.get(op, {})
        numbers = " + ".join(format_tensor(terms[u]) if u in terms else "0" for u in moving)
        return f"{head} = {numbers} = {total}"
    return f"{head} → {total}"


def _op_step(G, op, names, T: Tangents) -> dict:
    outs = list(G.successors(op))
    badges = {o: {"value": format_tensor(G.nodes[o]["value"]), "tangent": format_tensor(T.of.get(o))} for o in outs}
    rule = C.rule_text(G, op, names)
    if op in T.borrowed:
        rule += f"; {G.nodes[op]['op']} has no jvp, so its tangent is J·v with J from its backward"
    if op in T.random:
        rule += f"; {G.nodes[op]['op']} is random, and this tangent comes from a new draw, not the recorded one"
    edges = [[u, op] for u in C.operands(G, op)] + [[op, o] for o in outs]
    return {"caption": op_caption(G, op, names, T), "rule": rule, "nodes": [op, *outs], "edges": edges,
            "badges": badges}  # fmt: skip


def summary_caption(G, names, T: Tangents) -> str:
    """The last step: the output tangent is the directional derivative; passes each way for the full gradient.

    >>> from ani_graph import TorchGraph
    >>> from ani_graph.view import display_names
    >>> g = TorchGraph(lambda a, b: a * b, [2, 3])
    >>> summary_caption(g.nx, display_names(g.nx), forward_mode(g.nx, g._calls, {"a": 1})).split(". ")[-1]
    'The full gradient needs 2 forward passes, one per input element, but 1 reverse pass.'
    """
    outputs = [n for n, a in G.nodes(data=True) if a["kind"] == "output"]
    leaves = [s for s in T.of if G.nodes[s]["kind"] in LEAVES]
    n = sum(G.nodes[s]["value"].numel() for s in leaves)
    m = sum(G.nodes[o]["value"].numel() for o in outputs)
    got = ", ".join(f"{dotted(names[o])} = {format_tensor(T.of.get(o))}" for o in outputs)
    seed = ", ".join(f"{dotted(names[s])} = {format_tensor(t)}" for s, t in T.seeds.items())
    seed += ", every other tangent 0" if len(T.seeds) < len(leaves) else ""
    forward = _plural(n, "forward pass")
    if m == 1:
        what = f"the derivative of {names[outputs[0]]} along the seed ({seed})"
        cost = (
            f"The full gradient needs {forward}, one per input element, but 1 reverse pass."
            if n > 1
            else "With a single input number, 1 forward pass gives the whole gradient, as 1 reverse pass would."
        )
    else:
        what = f"J·v, the derivative of the outputs along the seed ({seed})"
        cost = (
            f"The full {m}×{n} Jacobian needs {forward}, one per input element, or {_plural(m, 'reverse pass')}, "
            "one per output element; the gradient of one scalar output takes 1 reverse pass."
        )
    return f"{got}: {what}, from one forward pass. {cost}"


def tangent_steps(G, order, names, T: Tangents) -> list[dict]:
    """The steps of a tangent animation: the seeds, one step per op, and what a pass buys.

    Each step is a dict of frame fields (`caption`, `rule`, `nodes`, `edges`, `badges`);
    the frames module adds the phase, "tangent".

    >>> import networkx as nx
    >>> from ani_graph import TorchGraph
    >>> from ani_graph.view import display_names
    >>> g = TorchGraph(lambda x: 2 * x, [1.0])
    >>> order, names = list(nx.topological_sort(g.nx)), display_names(g.nx)
    >>> [s["caption"][:30] for s in tangent_steps(g.nx, order, names, forward_mode(g.nx, g._calls, {"x": 1}))]
    ['Forward mode starts from the s', '(out)˙ = ∂out/∂x·ẋ = 2 · 1 = 2', '(out)˙ = 2: the derivative of ']
    """
    steps = [_start(G, order, names, T)]
    steps += [_op_step(G, op, names, T) for op in order if G.nodes[op]["kind"] == "op"]
    outputs = [n for n, a in G.nodes(data=True) if a["kind"] == "output"]
    steps.append({
        "caption": summary_caption(G, names, T),
        "rule": "forward mode costs one pass per input direction, reverse mode one pass per output",
        "nodes": outputs,
    })  # fmt: skip
    return steps
