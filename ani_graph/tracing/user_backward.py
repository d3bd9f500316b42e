"""The user's own backward while a `record()` block runs: `loss.backward()`, `torch.autograd.backward`
and `torch.autograd.grad`.

A recording that sees the user's backward must build the step's graph first (values,
gradients and shares, with the autograd graph kept), then let the user's call run as it
would without ani-graph. `Tensor.backward` and `torch.autograd.backward`/`grad` are plain
Python functions, so while any recording watches, they are replaced by wrappers
(`PATCH`, installed once and counted by `active.Shared`). A wrapper hands the call to the
innermost watcher of the calling thread: `watcher.before(kind, outputs, grad_outputs)`
runs before the user's call (`kind` is "backward", which fills `.grad`, or "grad") and
returns a token (None: not this watcher's tensors), and `watcher.after(token, result)`
runs after it. Everything torch does meanwhile, including the
watcher's own gradient computation and the nested `autograd.backward` inside
`Tensor.backward`, passes straight through. Other threads' calls always pass through.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

import torch

from . import active

_local = threading.local()

# (owner, attribute, which argument holds the outputs, which holds their upstream gradients)
_TARGETS = (
    (torch.Tensor, "backward", "self", "gradient"),
    (torch.autograd, "backward", "tensors", "grad_tensors"),
    (torch.autograd, "grad", "outputs", "grad_outputs"),
)
_KIND = {"backward": "backward", "grad": "grad"}  # what the call leaves: `.grad`s, or returned gradients


def watch(watcher: Any) -> None:
    """`watcher` (with `before` and `after`) sees the calling thread's backward calls until `unwatch`."""
    if not hasattr(_local, "watchers"):
        _local.watchers = []
    _local.watchers.append(watcher)


def unwatch(watcher: Any) -> None:
    """`watcher` stops seeing backward calls."""
    watchers = getattr(_local, "watchers", [])
    for i in range(len(watchers) - 1, -1, -1):
        if watchers[i] is watcher:
            del watchers[i]
            return


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _wrap(original: Callable, kind: str, outputs_arg: str, upstream_arg: str) -> Callable:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        watchers = getattr(_local, "watchers", ())
        if not watchers or getattr(_local, "busy", False):
            return original(*args, **kwargs)
        try:
            bound = signature.bind(*args, **kwargs).arguments
        except TypeError:  # let torch say what is wrong with the call
            return original(*args, **kwargs)
        outputs = _as_list(bound.get(outputs_arg))
        upstream = bound.get(upstream_arg)
        upstream = None if upstream is None else _as_list(upstream)
        _local.busy = True
        try:
            token = watchers[-1].before(kind, outputs, upstream)
            result = original(*args, **kwargs)
            if token is not None:
                watchers[-1].after(token, result)
        finally:
            _local.busy = False
        return result

    wrapper._ani_graph_patch = True  # type: ignore[attr-defined]
    return wrapper


def _install():
    saved = []
    for owner, name, outputs_arg, upstream_arg in _TARGETS:
        original = getattr(owner, name)
        saved.append((owner, name, original))
        setattr(owner, name, _wrap(original, _KIND[name], outputs_arg, upstream_arg))
    return saved


def _uninstall(saved) -> None:
    for owner, name, original in saved:
        # someone patched on top of ours meanwhile: leave theirs (ours, under it, only passes calls on)
        if getattr(getattr(owner, name), "_ani_graph_patch", False):
            setattr(owner, name, original)


PATCH = active.Shared(_install, _uninstall)
