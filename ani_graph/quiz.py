"""Predict, then reveal: the questions a quiz asks, built from the frames and the op catalogue.

A question stands before each frame that reveals a gradient (backward) or a value
(forward). The player shows the frame before it, asks for the number, and plays the
frame once the answer is right, revealed, or wrong twice. A question is a plain dict:

- `frame`: the frame it reveals; `node`: the tensor's box id; `name`: its display name;
- `prompt`: what is asked, `∂y/∂v2` or `∂L/∂W1[1, 2]` (one element of a tensor above
  `WHOLE_MAX` elements, chosen at random from the animation's seed);
- `answer`: the numbers expected, flat, in row-major order; `shown`: the answer as text;
- `hint`: what a wrong answer gets: the op's hint from the catalogue, the chain-rule step
  written with the graph's names, and this step's numbers.

An answer is right when every number is within `tolerance` of the expected one,
relative, with an absolute floor near 0 (see `is_right`).

>>> import torch
>>> from ani_graph import TorchGraph
>>> from ani_graph.examples import sin_example
>>> g = TorchGraph(sin_example, [2, 3, 4])
>>> q = build_questions(g.nx, g.frames("backward"), g.view().names, "backward")[0]
>>> q["prompt"], q["shown"]
('∂y/∂v2', '−0.8391')
>>> q["hint"]
'the derivative of sin is cos: ∂y/∂v2 = ∂y/∂y · cos(v2), and ∂y/∂y = 1, v2 = 10'
>>> is_right(parse_answer("-0.84"), q["answer"]), is_right(parse_answer("0.84"), q["answer"])
(True, False)
"""

from __future__ import annotations

import math
import random

import torch

from . import captions as C
from .format import MINUS, format_number, format_tensor
from .frames import seeds
from .ops import fill, info_of
from .style import math_to_text
from .summary import TensorSummary

WHOLE_MAX = 4  # tensors with at most this many elements are answered in full, comma-separated
ZERO_FLOOR = 1e-3  # near 0, the tolerance is relative to this instead of to the answer
DEFAULT_TOLERANCE = 1e-2


def check_tolerance(tolerance) -> float:
    """`tolerance` checked: a number between 0 (exclusive) and 1."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        raise ValueError(
            f"tolerance must be a relative tolerance between 0 and 1, e.g. 1e-2 for 1%; not {tolerance!r}."
        )
    return float(tolerance)


def parse_answer(text: str) -> list[float] | None:
    """Comma-separated numbers as typed (a real minus sign and brackets allowed), or None.

    >>> parse_answer("[−1, 2.5e-1]"), parse_answer("two")
    ([-1.0, 0.25], None)
    """
    cleaned = text.replace(MINUS, "-").replace("[", "").replace("]", "").strip()
    if not cleaned:
        return None
    try:
        return [float(part) for part in cleaned.split(",")]
    except ValueError:
        return None


def is_right(given: list[float] | None, answer: list[float], tolerance: float = DEFAULT_TOLERANCE) -> bool:
    """Every number within `tolerance`·max(|expected|, ZERO_FLOOR) of the expected one.

    >>> is_right([0.00001], [0.0]), is_right([0.1], [0.0]), is_right([1.0, 2.0], [1.0])
    (True, False, False)
    """
    if given is None or len(given) != len(answer):
        return False
    return all(abs(a - b) <= tolerance * max(abs(b), ZERO_FLOOR) for a, b in zip(given, answer))


def _element(shape, flat: int) -> str:
    index = []
    for size in reversed(tuple(shape)):
        index.append(flat % size)
        flat //= size
    return "[" + ", ".join(map(str, reversed(index))) + "]"


def _question(frame_index, node, name, asked, tensor, hint, rng) -> dict:
    flat = [float(v) for v in tensor.detach().double().reshape(-1).tolist()]
    question = {"frame": frame_index, "node": node, "name": name, "hint": hint, "element": None}
    if len(flat) <= WHOLE_MAX:
        return {**question, "prompt": asked, "answer": flat, "shown": format_tensor(tensor)}
    pick = rng.randrange(len(flat))
    element = _element(tensor.shape, pick)
    hint += "; click a box to see its numbers in full"  # the hint's tensors are written as summaries
    return {**question, "prompt": asked + element, "answer": [flat[pick]], "shown": format_number(flat[pick]),
            "element": pick, "hint": hint}  # fmt: skip


def _known(t) -> bool:
    return isinstance(t, torch.Tensor) and t.numel() > 0 and not t.dtype.is_complex


def backward_hint(G, op, u, names, scalar: str) -> str:
    """What a wrong answer for ∂L/∂u, arriving from `op`, gets: the op's hint, the step, its numbers.

    >>> from ani_graph import TorchGraph
    >>> from ani_graph.view import display_names
    >>> g = TorchGraph(lambda w, x: w * x, [3, 2])
    >>> backward_hint(g.nx, "op0", g.node_id("x"), display_names(g.nx), "out")
    '× swaps its inputs: ∂out/∂x = ∂out/∂out · w, and ∂out/∂out = 1, w = 3'
    """
    info = info_of(G.nodes[op])
    fields = C.rule_fields(G, op, names, scalar)
    arg = G.edges[u, op].get("arg", 0)
    outs = list(G.successors(op))
    y = C.symbol(G, outs[0], names) if outs else "y"
    x = C.symbol(G, u, names)
    if arg < len(info.grads):
        step = f"∂{scalar}/∂{x} = {fill(info.grads[arg], fields)}"
    elif C.operand_twice(G, op) and len(info.partials) == 2:  # x · x: both partials, summed
        both = " + ".join(fill(p, fields) for p in info.partials)
        step = f"∂{scalar}/∂{x} = ∂{scalar}/∂{y} · ({both})"
    elif arg < len(info.partials):
        step = f"∂{scalar}/∂{x} = ∂{scalar}/∂{y} · {fill(info.partials[arg], fields)}"
    else:
        step = f"∂{scalar}/∂{x} = ∂{scalar}/∂{y} · ∂{y}/∂{x}"
    lead = fill(info.hint, fields) or fill(info.rule, fields) or f"{math_to_text(G.nodes[op]['label'])}'s local rule"
    numbers = []
    if outs and G.nodes[outs[0]]["grad"] is not None:
        numbers.append(f"∂{scalar}/∂{y} = {format_tensor(G.nodes[outs[0]]['grad'])}")
    for w in C.operands(G, op):
        shown = C.symbol(G, w, names)
        if G.nodes[w]["kind"] != "constant" and _mentions(step.split(" = ", 1)[1], shown):
            numbers.append(f"{shown} = {format_tensor(G.nodes[w]['value'])}")
    return f"{lead}: {step}" + (", and " + ", ".join(numbers) if numbers else "")


def _mentions(text: str, name: str) -> bool:
    """`name` appears in `text` as a whole name (not inside a longer one)."""
    start = text.find(name)
    while start >= 0:
        before = text[start - 1] if start else " "
        end = start + len(name)
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_"):
            return True
        start = text.find(name, start + 1)
    return False


def forward_hint(G, op, names) -> str:
    """What a wrong answer for an op's result gets: the op by names, then its operands' values."""
    (out,) = G.successors(op)
    written = C.expression(G, op, names, False)
    values = [
        f"{C.symbol(G, u, names)} = {format_tensor(G.nodes[u]['value'])}"
        for u in dict.fromkeys(C.operands(G, op))
        if G.nodes[u]["kind"] != "constant"
    ]
    return f"{names[out]} = {written}" + (", with " + ", ".join(values) if values else "")


def _backward_questions(G, frames, names, rng) -> list[dict]:
    _, upstream = seeds(G)
    scalar, _ = C.differentiated(G, upstream, names)
    running: dict[str, object] = dict(upstream)
    questions = []
    for k, f in enumerate(frames):
        if f["phase"] != "backward" or len(f["edge_badges"]) != 1 or len(f["badges"]) != 1:
            continue
        u, op, _ = f["edge_badges"][0]
        share = G.edges[u, op].get("grad")
        if not _known(share) or u not in f["badges"]:
            continue
        before = running.get(u)
        total = share if before is None else before + share
        running[u] = total
        if isinstance(total, TensorSummary) or not _known(total):
            continue
        asked = f"∂{scalar}/∂{C.symbol(G, u, names)}"
        hint = backward_hint(G, op, u, names, scalar)
        if before is not None:  # a later path: the badge shows the running total
            hint += f"; then add what arrived before, {format_tensor(before)}"
            asked += " (total so far)"
        questions.append(_question(k, u, names[u], asked, total, hint, rng))
    return questions


def _forward_questions(G, frames, names, rng) -> list[dict]:
    questions = []
    for k, f in enumerate(frames):
        if f["phase"] != "forward" or k == 0 or len(f["badges"]) != 1:
            continue
        ((out, _),) = f["badges"].items()
        ops = [p for p in G.predecessors(out)] if out in G else []
        value = G.nodes[out]["value"] if out in G else None
        if len(ops) != 1 or not _known(value) or G.out_degree(ops[0]) != 1:
            continue
        hint = forward_hint(G, ops[0], names)
        questions.append(_question(k, out, names[out], C.symbol(G, out, names), value, hint, rng))
    return questions


def build_questions(G, frames: list[dict], names: dict, direction: str = "backward", seed: int = 0) -> list[dict]:
    """The questions of a quiz over `frames`: gradients going backward, values going forward.

    `seed` picks which element a tensor above `WHOLE_MAX` elements asks for, the same on
    every call. Frames of a folded module, and tensors kept only as summaries, ask nothing.
    """
    if direction == "tangent":
        raise ValueError("a quiz asks for gradients or values: use direction 'backward', 'forward' or 'both'.")
    rng = random.Random(seed)
    questions = []
    if direction in ("forward", "both"):
        questions += _forward_questions(G, frames, names, rng)
    if direction in ("backward", "both"):
        questions += _backward_questions(G, frames, names, rng)
    return [q for q in questions if all(math.isfinite(a) for a in q["answer"])]
