"""Training steps inside `record()`: the user's own backward, and the parameter updates after it.

While a `with record() as rec:` block runs, a `StepWatcher` sees every backward the
user's code calls on recorded tensors (`tracing.user_backward`). At that moment it ends
the recorder that saw the forward pass, builds that step's `TorchGraph` from it (values,
gradients and shares, keeping PyTorch's graph so the user's call still works), and
starts a fresh recorder for the next forward pass. Then the user's backward runs
untouched, so every `.grad` is what it would be without ani-graph.

What the optimizer does next is seen without knowing the optimizer: the leaf tensors of
the step's graph (its parameters) are compared, at the next backward or at the end of
the block, with what they were right after the backward. Each one that changed gets an
`Update` (before, gradient, after).

>>> import torch
>>> from ani_graph import record
>>> w = torch.nn.Parameter(torch.tensor(3.0))
>>> opt = torch.optim.SGD([w], lr=0.1)
>>> with record() as rec:
...     loss = w * w
...     loss.backward()
...     opt.step()
>>> step = rec.steps[0]
>>> step.loss, float(step.grads["w"]), [float(step.updates["w"].before), float(step.updates["w"].after)]
(9.0, 6.0, [3.0, 2.4000000953674316])
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch

from .graph import TorchGraph
from .tracing import Recorder


@dataclass(frozen=True)
class Update:
    """One parameter's change by the optimizer: its value `before`, the `grad` it had, and `after`."""

    before: torch.Tensor
    grad: torch.Tensor | None
    after: torch.Tensor

    @property
    def delta(self) -> torch.Tensor:
        """after − before: the step the optimizer took."""
        return self.after - self.before


@dataclass(frozen=True)
class Step:
    """One recorded training step.

    Attributes
    ----------
    graph : TorchGraph
        The forward pass of this step, with this step's own gradients (∂loss/∂tensor).
    loss : float
        The value the backward started from (NaN for an output with more than one element).
    grads : dict
        Parameter name → its `.grad` right after the user's backward, as torch holds it
        (accumulated over steps when `zero_grad()` was not called in between).
    updates : dict
        Parameter name → `Update`, for each parameter the optimizer changed.
    carried : dict
        Parameter name → the `.grad` already there before this step's backward (not zero):
        what this step's gradient was added to.
    """

    graph: TorchGraph
    loss: float
    grads: dict[str, torch.Tensor]
    updates: dict[str, Update] = field(default_factory=dict)
    carried: dict[str, torch.Tensor] = field(default_factory=dict)


@dataclass
class _Pending:
    """A step whose backward ran, waiting to see what the optimizer does."""

    graph: TorchGraph
    loss: float
    leaves: dict[str, torch.Tensor]  # name -> the live parameter
    carried: dict[str, torch.Tensor]
    kind: str
    outputs: list
    grads: dict[str, torch.Tensor] = field(default_factory=dict)
    before: dict[str, torch.Tensor] = field(default_factory=dict)


class StepWatcher:
    """Turns the user's backward calls inside one recording into `Step`s (see the module docstring)."""

    def __init__(self, recording: Any) -> None:
        self._recording = recording  # a recording.Recording: its recorder is swapped at each step
        self.steps: list[Step] = []
        self._outputs: list[list] = []  # each step's outputs, to find a step by its loss
        self._pending: _Pending | None = None

    def before(self, kind: str, outputs: list, upstream: list | None) -> _Pending | None:
        """The user is about to run a backward from `outputs`: build this step's graph first."""
        old: Recorder = self._recording._recorder
        if not outputs or not all(isinstance(t, torch.Tensor) and old.knows(t) for t in outputs):
            return None  # not computed in this block: the call is none of our business
        self.finish()
        old.__exit__(None, None, None)
        try:
            with torch.enable_grad():
                graph = TorchGraph._from_recorder(old, outputs, upstream, self._recording._user_locals())
        finally:
            self._recording._next_recorder()
        leaves = _leaves(graph, old)
        carried = {n: t.grad.detach().clone() for n, t in leaves.items() if t.grad is not None and bool(t.grad.any())}
        first = outputs[0].detach()
        loss = float(first) if first.numel() == 1 else float("nan")
        return _Pending(graph, loss, leaves, carried if kind == "backward" else {}, kind, list(outputs))

    def after(self, pending: _Pending, result: Any) -> None:
        """The user's backward ran: keep the gradients it left and the parameters as they are now."""
        for name, t in pending.leaves.items():
            if pending.kind == "backward":
                grad = None if t.grad is None else t.grad.detach().clone()
            else:  # autograd.grad leaves no .grad: the step's own gradient is what an optimizer could use
                g = pending.graph.grad(name)
                grad = g if isinstance(g, torch.Tensor) else None
            if grad is not None:
                pending.grads[name] = grad
            pending.before[name] = t.detach().clone()
        self._pending = pending

    def finish(self) -> None:
        """Close the step waiting for its update: every parameter that changed since its backward."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        updates = {}
        for name, t in pending.leaves.items():
            before = pending.before[name]
            if t.shape == before.shape and not torch.equal(t.detach(), before):
                updates[name] = Update(before, pending.grads.get(name), t.detach().clone())
        self.steps.append(Step(pending.graph, pending.loss, pending.grads, updates, pending.carried))
        self._outputs.append(pending.outputs)

    def step_of(self, outputs: list) -> Step | None:
        """The step whose backward started from exactly `outputs` (the same tensors), if any."""
        for step, seen in zip(self.steps, self._outputs):
            if len(seen) == len(outputs) and all(a is b for a, b in zip(seen, outputs)):
                return step
        return None


def _leaves(graph: TorchGraph, rec: Recorder) -> dict[str, torch.Tensor]:
    """Name → live tensor of every named leaf of the graph that needs grad (the parameters)."""
    found = {}
    for nid, a in graph.nx.nodes(data=True):
        if a["kind"] in ("param", "input") and a.get("name") and a.get("requires_grad"):
            t = rec._tensor_of.get(nid)  # the recorder's live tensor of that node (recorder.py is at its size budget)
            if t is not None and t.grad_fn is None:
                found[a["name"]] = t
    return found
