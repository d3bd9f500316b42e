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
from .tracing import Recorder


class Recording:
    """What `record()` returns: use it as `with record() as rec:`, then call `rec.graph(outputs)`."""

    def __init__(self, value_limit: int = VALUE_LIMIT) -> None:
        self._recorder = Recorder(input_kind_for_unknown_leaves="input", value_limit=value_limit)
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
        return self

    def __exit__(self, *exc: Any) -> bool | None:
        try:
            return self._recorder.__exit__(*exc)
        finally:
            self._locals = dict(self._frame.f_locals) if self._frame is not None else {}
            self._frame = None

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
        for i, t in enumerate(outputs):
            if self._recorder.knows(t):
                continue
            if self._grad_was_off:
                raise ValueError(
                    "the `with record()` block ran with gradients switched off (inside torch.no_grad() or "
                    "set_grad_enabled(False)), so PyTorch built no graph to draw. Start the recording outside "
                    "no_grad, or wrap the code inside it in `with torch.enable_grad():`."
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
    the RNG, an optimizer step) stays changed, as it would without ani-graph.

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
