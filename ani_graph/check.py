"""The gradient check: autograd's numbers against central finite differences, in float64.

`check_graph(G, calls)` evaluates the recorded computation again (`replay.py`, on copies:
the graph's values never change) and compares at two levels:

- every tensor's gradient ∂L/∂t, with L = Σ⟨upstream, output⟩, against
  (L(t + h) − L(t − h)) / 2h element by element (an even sample of `max_elements` for
  bigger tensors). Inputs and parameters are the report's rows; intermediate tensors
  are checked too, for the ✓/✗ marks of an animation;
- every op's backward: its vector-Jacobian product for a fixed random upstream, run in
  float64 through the op's own backward, against finite differences of its forward.
  This names a custom `autograd.Function` whose backward is wrong.

Where the one-sided differences disagree by the same amount at two step sizes, the
function has a kink at the point (ReLU at 0, max with ties): it has no derivative there,
autograd reports one of its one-sided slopes (or their mean), and the report says so
instead of calling either side wrong.

>>> import torch
>>> from ani_graph import TorchGraph
>>> report = TorchGraph(lambda x, a: torch.sin(a * x), [2, 3]).check()
>>> report.ok, [row.tensor for row in report.rows]
(True, ['x', 'a'])
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from .check_report import CheckReport, GradCheck, OpCheck
from .format import format_tensor
from .replay import Replay

__all__ = ["CheckReport", "GradCheck", "OpCheck", "check_graph", "mark_frames"]


@dataclass(frozen=True)
class Precision:
    """How finely a dtype can be differenced: the step (relative) and the tolerance (relative)."""

    dtype: torch.dtype
    step: float
    rtol: float


FLOAT64 = Precision(torch.float64, 1e-6, 1e-5)
MAX_OPS_FOR_INTERMEDIATES = 300  # above this, only inputs, parameters and custom Functions are checked one by one
RTOL = {torch.float64: 1e-6, torch.float32: 1e-3}  # how closely a gradient of this dtype can agree


def _precision(dtype: torch.dtype) -> Precision:
    """The precision of a replay that has to stay in `dtype` (float64 did not run)."""
    if dtype == torch.float64:
        return FLOAT64
    return Precision(dtype, 1e-3 if dtype == torch.float32 else 1e-2, 1e-2 if dtype == torch.float32 else 1e-1)


def elements(numel: int, limit: int) -> list[int]:
    """The flat indexes checked: all of them, or `limit` spread evenly.

    >>> elements(3, 64), elements(10, 4)
    ([0, 1, 2], [0, 3, 6, 9])
    """
    if numel <= limit:
        return list(range(numel))
    return sorted({round(i * (numel - 1) / (limit - 1)) for i in range(limit)})


class Differences:
    """Finite differences of the scalar function `f` at `x`, along the elements `where`.

    >>> d = Differences(lambda t: float(t.abs().sum()), torch.tensor([0.0, 2.0], dtype=torch.float64), [0, 1], 1e-6)
    >>> [[round(v, 6) for v in t.tolist()] for t in (d.central, d.left, d.right)], round(d.jump_far(0), 6)
    ([[0.0, 1.0], [-1.0, 1.0], [1.0, 1.0]], 2.0)
    """

    def __init__(self, f, x: torch.Tensor, where: list[int], step: float):
        self._f, self._x, self._where = f, x, where
        self._flat = x.detach().reshape(-1)
        self.base = f(x)  # f(x)
        self._steps = [step * max(1.0, abs(float(self._flat[i]))) for i in where]
        rows = [(self._at(i, h), self._at(i, -h)) for i, h in zip(where, self._steps)]
        plus, minus = torch.tensor(rows, dtype=torch.float64).reshape(-1, 2).unbind(1)
        h = torch.tensor(self._steps, dtype=torch.float64)
        self.central = (plus - minus) / (2 * h)  # (f(x + h) − f(x − h)) / 2h, one per element
        self.left = (self.base - minus) / h  # (f(x) − f(x − h)) / h
        self.right = (plus - self.base) / h  # (f(x + h) − f(x)) / h

    def _at(self, i: int, shift: float) -> float:
        y = self._flat.clone()
        y[i] += shift
        return self._f(y.reshape(self._x.shape))

    def jump_far(self, k: int) -> float:
        """|right − left| of the `k`-th element at ten times the step (asked only where it matters)."""
        i, h = self._where[k], 10 * self._steps[k]
        return abs((self._at(i, h) - self.base) - (self.base - self._at(i, -h))) / h


def _largest(t: torch.Tensor) -> float:
    return float(t.abs().max()) if t.numel() else 0.0


def verdict(auto: torch.Tensor, d: Differences, rtol: float, slopes: bool = True) -> tuple[bool | None, float, str]:
    """(ok, max abs error, note): ok is None where the function has a kink at the point.

    The note gives the one-sided `slopes` where they mean something to the reader.

    >>> relu = lambda t: float(torch.relu(t).sum())
    >>> verdict(torch.tensor([0.0]), Differences(relu, torch.zeros(1, dtype=torch.float64), [0], 1e-6), 1e-5)
    (None, 0.5, 'one-sided derivatives differ (0 from the left, 1 from the right); autograd uses 0')
    """
    scale = max(_largest(d.central), _largest(auto))
    tol = rtol * (scale + 1e-3 * (1 + abs(d.base)))
    error = (auto - d.central).abs()
    jump = (d.right - d.left).abs()
    # a smooth function's jump grows with the step; a kink's stays
    kinks = torch.tensor([bool(j > tol) and d.jump_far(k) < 3 * float(j) for k, j in enumerate(jump)], dtype=torch.bool)
    wrong = (error > tol) & ~kinks
    worst = _largest(error)
    if bool(wrong.any()):
        return False, worst, ""
    if bool(kinks.any()):
        if not slopes:
            return None, worst, "its slopes from the left and from the right differ, and autograd uses one of them"
        k = int(kinks.nonzero()[0, 0])
        note = (
            f"one-sided derivatives differ ({format_tensor(float(d.left[k]))} from the left, "
            f"{format_tensor(float(d.right[k]))} from the right); autograd uses {format_tensor(float(auto[k]))}"
        )
        return None, worst, note
    return True, worst, ""


# ----- every tensor's gradient ---------------------------------------------------------------------


def _loss(G, values) -> float:
    total = 0.0
    for o, a in G.nodes(data=True):
        if "upstream" in a and a["kind"] != "op":
            total += float((values[o] * a["upstream"].to(values[o].dtype)).sum())
    return total


def _tensor_check(G, replay: Replay, base: dict, n: str, limit: int, prec: Precision) -> GradCheck:
    a = G.nodes[n]
    after = replay.downstream(n)

    def loss(y):
        values = dict(base)
        values[n] = y
        replay.evaluate(values, after)
        return _loss(G, values)

    where = elements(base[n].numel(), limit)
    d = Differences(loss, base[n], where, prec.step)
    auto = a["grad"].detach().reshape(-1)[where].to(torch.float64)
    rtol = max(prec.rtol, RTOL.get(a["grad"].dtype, 1e-1))
    ok, worst, note = verdict(auto, d, rtol)
    shape = tuple(a["grad"].shape)
    full = len(where) == base[n].numel()
    return GradCheck(
        tensor=a.get("name") or n, node=n, kind=a["kind"],
        autograd=a["grad"].detach().clone() if full else auto,
        numerical=d.central.reshape(shape) if full else d.central,
        max_abs_error=worst, ok=ok, note=note, checked=len(where), numel=base[n].numel(),
    )  # fmt: skip


# ----- every op's backward -------------------------------------------------------------------------


def _op_check(G, replay: Replay, values: dict, op: str, limit: int, prec: Precision) -> OpCheck | None:
    call = replay.calls[op]
    movable = [s for s in dict.fromkeys(call.slots) if G.nodes[s]["requires_grad"] and values[s].is_floating_point()]
    if not movable:
        return None
    generator = torch.Generator().manual_seed(0)
    upstream = {o: torch.randn(values[o].shape, generator=generator, dtype=torch.float64).to(values[o].dtype)
                for o, _ in replay.outputs_of(op) if values[o].is_floating_point()}  # fmt: skip

    def phi(given: dict):
        found = replay.run_op(op, values, [given.get(s, values[s]) for s in call.slots])
        return sum((found[o] * g).sum() for o, g in upstream.items())

    leaves = {s: values[s].detach().clone().requires_grad_(True) for s in movable}
    with torch.enable_grad():
        grads = torch.autograd.grad(phi(leaves), list(leaves.values()), allow_unused=True)
    worst = 0.0
    found: tuple[bool | None, str] = (True, "")
    for s, g in zip(movable, grads):
        where = elements(values[s].numel(), limit)
        d = Differences(lambda y: float(phi({s: y})), values[s], where, prec.step)  # noqa: B023
        auto = torch.zeros(len(where), dtype=torch.float64) if g is None else g.reshape(-1)[where].double()
        ok, err, note = verdict(auto, d, prec.rtol, slopes=False)  # slopes of a random upstream mean nothing
        worst = max(worst, err)
        if ok is False or (ok is None and found[0] is True):
            found = (ok, note)
    a = G.nodes[op]
    return OpCheck(op, a["op"], a["label"], bool(a.get("custom")), worst, found[0], found[1])


def _in_float64(G, replay: Replay, run):
    """`run(values, precision)` in float64, or in the graph's own dtype where an op refuses float64."""
    try:
        return run(replay.values(torch.float64), FLOAT64)
    except RuntimeError:  # e.g. a custom Function that makes float32 tensors of its own
        dtypes = [
            a["value"].dtype for _, a in G.nodes(data=True) if a["kind"] != "op" and a["value"].is_floating_point()
        ]
        dtype = dtypes[0] if dtypes else torch.float32
        return run(replay.values(dtype), _precision(dtype))


def check_graph(G, calls: dict, max_elements: int = 64) -> CheckReport:
    """Every gradient and every op's backward of a graph, against finite differences."""
    if isinstance(max_elements, bool) or not isinstance(max_elements, int) or max_elements < 2:
        raise ValueError(
            f"max_elements must be a whole number ≥ 2 (elements checked per tensor), not {max_elements!r}."
        )
    replay = Replay(G, calls)
    order = [n for n in G.nodes if G.nodes[n]["kind"] != "op"]
    checked = [n for n in order if G.nodes[n]["requires_grad"] and isinstance(G.nodes[n]["grad"], torch.Tensor)
               and G.nodes[n]["grad"].numel() > 0]  # fmt: skip
    one_by_one = replay.ops
    if len(replay.ops) > MAX_OPS_FOR_INTERMEDIATES:  # each tensor replays what follows it: quadratic in the ops
        checked = [n for n in checked if G.nodes[n]["kind"] in ("input", "param")]
        one_by_one = [op for op in replay.ops if G.nodes[op].get("custom")]  # where hand-written bugs live

    def tensors(values, prec):
        random = replay.unrepeatable(replay.values(prec.dtype))
        replay.evaluate(values, [op for op in replay.ops if op not in random])  # a random op keeps its draw
        rows = [_tensor_check(G, replay, values, n, max_elements, prec) for n in checked]
        return [_unsure(row, replay, random) for row in rows], random

    def ops(values, prec):
        return [c for op in one_by_one if (c := _op_check(G, replay, values, op, max_elements, prec)) is not None]

    with replay.isolated():
        rows, random = _in_float64(G, replay, tensors)
        op_checks = _in_float64(G, replay, ops)
    leaves = [r for r in rows if r.kind in ("input", "param")]
    others = [r for r in rows if r.kind not in ("input", "param")]
    skipped = len(replay.ops) > MAX_OPS_FOR_INTERMEDIATES
    return CheckReport(leaves, others, op_checks, [_op_name(G, op) for op in random], skipped)


def _op_name(G, op: str) -> str:
    return f"{G.nodes[op]['op']} ({op})"


def _unsure(row: GradCheck, replay: Replay, random: list[str]) -> GradCheck:
    """A row whose finite differences ran through a random op compares two different functions."""
    through = [op for op in replay.downstream(row.node) if op in random]
    if not through:
        return row
    note = (
        f"it passes through {_op_name(replay.G, through[0])}, which gives other numbers each time it runs, so finite "
        "differences do not see the recorded function (switch it off, e.g. model.eval(), to check)"
    )
    return replace(row, ok=None, note=note)


# ----- marks on an animation's gradient badges ------------------------------------------------------


def mark_frames(frames: list[dict], report: CheckReport, G) -> list[dict]:
    """The frames with each final gradient badge marked ✓, ✗ or ? (no derivative here), and the
    caption of the backward step that completes it saying what finite differences give.

    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(lambda a, b: a * b, [2, 3])
    >>> last = mark_frames(g.frames(), g.check(), g.nx)[-1]
    >>> last["badges"], last["caption"]
    ({'t1': {'grad': '2 ✓'}}, '∂out/∂b = ∂out/∂out · ∂out/∂b = 1 · 2 = 2 ✓ finite differences agree: 2')
    """
    checks = {c.node: c for c in report.rows + report.intermediates}
    wrong = {c.node: c.op for c in report.wrong_ops}
    marked = []
    for f in frames:
        badges, said = {}, []
        for n, texts in f["badges"].items():
            c = checks.get(n)
            if c is not None and "grad" in texts and texts["grad"] == format_tensor(G.nodes[n]["grad"]):
                texts = {**texts, "grad": f"{texts['grad']} {c.mark}"}
                said.append(c)
            badges[n] = texts
        caption = f["caption"]
        if f["phase"] == "backward" and len(said) == 1:
            caption += " " + _said(said[0], [wrong[n] for n in f["nodes"] if n in wrong])
        marked.append({**f, "badges": badges, "caption": caption})
    return marked


def _said(c: GradCheck, culprits: list[str]) -> str:
    numbers = format_tensor(c.numerical)
    if c.ok is True:
        return f"✓ finite differences agree: {numbers}"
    if c.ok is None:
        return f"? no derivative at this point: finite differences give {numbers}"
    blame = f"; {culprits[0]}'s backward disagrees with its forward" if culprits else ""
    return f"✗ finite differences give {numbers}{blame}"
