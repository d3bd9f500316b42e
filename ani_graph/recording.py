"""`record()`: draw code you already have, by recording it as it runs.

>>> import torch
>>> x = torch.tensor(3.0, requires_grad=True)
>>> with record() as rec:
...     y = x * x
>>> rec.graph(y).grad("x").item()
6.0
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

import torch

from .graph import TorchGraph
from .inputs import check_not_inference, to_outputs
from .summary import VALUE_LIMIT, check_value_limit
from .tracing import Recorder, user_backward
from .training import Step, StepWatcher
from .view import MAX_NODES


class Recording:
    """What `record()` returns: use it as `with record() as rec:`, then call `rec.graph(outputs)`."""

    def __init__(self, value_limit: int = VALUE_LIMIT) -> None:
        self._value_limit = value_limit
        self._recorder = Recorder(input_kind_for_unknown_leaves="input", value_limit=value_limit)
        self._watcher = StepWatcher(self)  # the user's own backward and optimizer steps (training.py)
        self._frame: FrameType | None = None
        self._locals: dict | None = None
        self._grad_was_off = False

    def __enter__(self) -> Recording:
        if self._locals is not None:
            raise RuntimeError("this recording has already ended; start a new one with `with record() as rec:`")
        if self._frame is not None:
            raise RuntimeError("this recording is already running; start a new one with `with record() as rec:`")
        check_not_inference("record()")
        self._grad_was_off = not torch.is_grad_enabled()
        self._frame = sys._getframe(1)
        self._recorder.__enter__()
        user_backward.PATCH.acquire()
        user_backward.watch(self._watcher)
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        try:
            return self._recorder.__exit__(*exc)
        finally:
            user_backward.unwatch(self._watcher)
            user_backward.PATCH.release()
            self._watcher.finish()
            self._locals = self._user_locals()
            self._frame = None

    def _user_locals(self) -> dict:
        """The local variables of the code running the block, as they are now."""
        return dict(self._frame.f_locals) if self._frame is not None else {}

    def _next_recorder(self) -> None:
        """A training step ended (its backward was called): a fresh recorder for the next forward pass."""
        self._recorder = Recorder(input_kind_for_unknown_leaves="input", value_limit=self._value_limit)
        self._recorder.__enter__()

    @property
    def steps(self) -> list[Step]:
        """One `training.Step` per backward the block called on a recorded loss (graph, loss, grads, updates).

        A step is complete once the next backward starts or the block ends, when what the
        optimizer changed is known.
        """
        return list(self._watcher.steps)

    def animate(self, *, interval_ms: int = 700, depth: int | None = None, max_nodes: int = MAX_NODES):
        """Animate the recorded training steps: forward, backward and update, step after step.

        Options are as for `TorchGraph.animate`. A loss curve over the steps sits under the
        drawing, with the current step marked; steps share one layout.

        Raises
        ------
        RuntimeError
            Called inside the `with` block.
        ValueError
            No step was recorded (no backward was called on a recorded loss), or the steps'
            graphs differ in structure.
        """
        if self._locals is None:
            raise RuntimeError("call rec.animate() after the `with record() as rec:` block has ended.")
        from .training_animation import TrainingAnimation

        return TrainingAnimation(self.steps, interval_ms=interval_ms, depth=depth, max_nodes=max_nodes)

    def graph(
        self, outputs: torch.Tensor | Sequence[torch.Tensor], grad_outputs: Sequence[Any] | None = None
    ) -> TorchGraph:
        """A `TorchGraph` of what was recorded, with the gradients of `outputs`.

        Parameters
        ----------
        outputs : Tensor or list of Tensor
            Tensors the recorded code computed, e.g. the loss.
        grad_outputs : list, optional
            As for `TorchGraph`: one upstream gradient per output; default 1 for a scalar.

        Raises
        ------
        RuntimeError
            Called inside the `with` block.
        ValueError
            An output was not computed inside the block, or `grad_outputs` does not fit.
        """
        if self._locals is None:
            raise RuntimeError("call rec.graph(...) after the `with record() as rec:` block has ended.")
        check_not_inference("rec.graph(...)")
        outputs = to_outputs(outputs)
        step = self._watcher.step_of(outputs) if grad_outputs is None else None
        if step is not None:  # its backward already ran (the user's own): the graph was built then
            return step.graph
        for i, t in enumerate(outputs):
            if self._recorder.knows(t):
                continue
            if self._grad_was_off:
                raise ValueError(
                    "the `with record()` block ran with gradients switched off (inside torch.no_grad() or "
                    "set_grad_enabled(False)), so PyTorch built no graph to draw. Start the recording outside "
                    "no_grad, or wrap the code inside it in `with torch.enable_grad():`."
                )
            if self._watcher.steps:
                raise ValueError(
                    f"output {i} is not the loss of a training step nor computed after the last backward; "
                    "rec.steps[i].graph is the graph of each step."
                )
            raise ValueError(
                f"output {i} was not computed inside the `with record()` block; pass a tensor "
                "that the recorded code produced (e.g. the loss)."
            )
        with torch.enable_grad():
            return TorchGraph._from_recorder(self._recorder, outputs, grad_outputs, self._locals)


def record(value_limit: int = VALUE_LIMIT) -> Recording:
    """Record code you already have, then draw it: `with record() as rec: ...`, `rec.graph(loss)`.

    A later `loss.backward()` of your own works as if nothing had been recorded. Unlike
    `TorchGraph`, the code in the block is yours: what it changes (BatchNorm statistics,
    the RNG, an optimizer step) stays changed, as it would without ani-graph. A whole
    training loop may run in the block: each `loss.backward()` becomes one of `rec.steps`
    (see `training.Step`), and `rec.animate()` plays them.

    Parameters
    ----------
    value_limit : int, default 1_000_000
        As for `TorchGraph`: larger values and gradients are kept as a `TensorSummary`.

    Returns
    -------
    Recording

    Examples
    --------
    >>> import torch
    >>> w = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> with record() as rec:
    ...     loss = (w * w).sum()
    >>> g = rec.graph(loss)
    >>> g.grad("w").tolist()
    [2.0, 4.0]
    """
    return Recording(check_value_limit(value_limit))
