"""Custom `torch.autograd.Function`s: a temporary patch of `Function.apply` that records them.

A custom Function's `apply` does not pass through `__torch_function__`, so while a
recorder is inside its `with` block, `Function.apply` is replaced by a wrapper that asks
the innermost active recorder to record the call. `FunctionPatch.install` saves whatever
`apply` was; `remove` puts it back, and the recorder calls it in a `finally`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import torch

from ..ops import custom_info

# Patches currently installed, innermost last; the wrapper reports to the innermost one.
_ACTIVE: list[FunctionPatch] = []


class FunctionPatch:
    """Routes `Function.apply` calls to `record_call(call, info, args, kwargs)` while installed."""

    def __init__(self) -> None:
        self.record_call: Callable | None = None
        self._saved_apply: Any = None  # the classmethod found on Function

    def install(self, record_call: Callable) -> None:
        """Replace `Function.apply` with a wrapper reporting to `record_call`; `remove` must follow."""
        self.record_call = record_call
        base = torch.autograd.function.Function
        self._saved_apply = base.__dict__["apply"]
        base.apply = classmethod(_recording_apply(self._saved_apply.__func__))  # type: ignore[method-assign,assignment]
        _ACTIVE.append(self)

    def remove(self) -> None:
        """Put back the `Function.apply` that `install` found."""
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        if self._saved_apply is not None:
            torch.autograd.function.Function.apply = self._saved_apply  # type: ignore[method-assign]
            self._saved_apply = None
        self.record_call = None  # it points back at the recorder, which can then be freed at once


def _recording_apply(original: Callable) -> Callable:
    """A `Function.apply` that runs `original` as a call the innermost active patch records."""

    def apply(cls, *args, **kwargs):
        if not _ACTIVE:
            return original(cls, *args, **kwargs)
        patch = _ACTIVE[-1]
        info = _custom_request(cls)
        info["fn"] = functools.partial(original, cls)  # the unpatched apply, to call the op again
        # the recorder's own bookkeeping must not be recorded as ops
        with torch._C.DisableTorchFunction():
            return patch.record_call(lambda: original(cls, *args, **kwargs), info, args, kwargs)

    return apply


def _custom_request(cls) -> dict:
    """The request to record a call of custom Function `cls`: its catalogue entry, marked custom."""
    entry = custom_info(cls)
    return {
        "op": cls.__name__,
        "label": entry.label,
        "custom": True,
        "rule": entry.rule,
        "takes_numbers": entry.takes_numbers,
    }
