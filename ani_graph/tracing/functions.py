"""Custom `torch.autograd.Function`s: a shared patch of `Function.apply` that records them.

A custom Function's `apply` does not pass through `__torch_function__`, so while any
recorder is recording, `Function.apply` is replaced by a wrapper (`PATCH`, installed
once and counted by `active.Shared`). The wrapper hands each call to the recorders
active on the calling thread, innermost first, and runs the original `apply` when
there are none, so other threads' Functions run untouched. The last recorder to stop
puts back the `apply` the first one found.
"""

from __future__ import annotations

import functools
import inspect
import textwrap
import weakref
from collections.abc import Callable

import torch

from ..escapes import visible
from ..ops import custom_info
from ..style import is_math
from . import active

LABEL_MAX = 32  # characters of a custom Function's label drawn in its op box


def _recording_apply(original: Callable) -> Callable:
    """A `Function.apply` that runs `original` as a call each recorder of this thread records."""

    def apply(cls, *args, **kwargs):
        recorders = active.recorders()
        if not recorders:
            return original(cls, *args, **kwargs)
        info = _custom_request(cls)
        info["fn"] = functools.partial(original, cls)  # the unpatched apply, to call the op again
        call = lambda: original(cls, *args, **kwargs)  # noqa: E731
        for rec in recorders:  # the innermost recorder's call runs the next one out's, down to `original`
            call = _recorded(rec, call, info, args, kwargs)
        # the recorders' own bookkeeping must not be recorded as ops
        with torch._C.DisableTorchFunction():
            return call()

    apply._ani_graph_patch = True  # type: ignore[attr-defined]
    return apply


def _recorded(rec, call: Callable, info: dict, args, kwargs) -> Callable:
    return lambda: rec.record_call(call, info, args, kwargs)


def _install():
    base = torch.autograd.function.Function
    saved = base.__dict__["apply"]
    base.apply = classmethod(_recording_apply(saved.__func__))
    return saved


def _uninstall(saved) -> None:
    base = torch.autograd.function.Function
    current = base.__dict__["apply"]
    # someone patched on top of ours meanwhile: leave theirs (ours, under it, records nothing now)
    if getattr(current.__func__, "_ani_graph_patch", False):
        base.apply = saved  # type: ignore[method-assign]


PATCH = active.Shared(_install, _uninstall)


def _custom_request(cls) -> dict:
    """The request to record a call of custom Function `cls`: its catalogue entry, marked custom."""
    entry = custom_info(cls)
    # any string can name a class or a label: keep what would break a drawing visible,
    # and a label short enough to fit an op's box (mathtext is kept whole)
    label = visible(entry.label)
    if len(label) > LABEL_MAX and not is_math(label):
        label = label[: LABEL_MAX - 1] + "…"
    return {
        "op": visible(cls.__name__),
        "label": label,
        "custom": True,
        "rule": visible(entry.rule),
        "source": _backward_source(cls),
        "takes_numbers": entry.takes_numbers,
    }


_SOURCES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # a Function called in a loop is read once


def _backward_source(cls) -> str:
    """A custom Function's `backward` code, for the inspect panel of one without a `rule`; else ""."""
    if cls not in _SOURCES:
        _SOURCES[cls] = _read_backward(cls)
    return _SOURCES[cls]


def _read_backward(cls) -> str:
    rule = cls.__dict__.get("rule")
    if isinstance(rule, str) and rule.strip():
        return ""
    try:
        source = textwrap.dedent(inspect.getsource(cls.backward)).expandtabs(4)
    except (OSError, TypeError):  # defined in a console, or a builtin: no source to show
        return ""
    return "\n".join(visible(line) for line in source.splitlines())  # lines stay lines; all else shows
