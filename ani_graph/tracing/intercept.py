"""Turning torch calls into requests to record an op.

`CallInterceptor` is the `TorchFunctionMode` a recorder pushes while it records. It sees
every torch function and tensor method call on this thread (the mode stack is
thread-local), names the op through the catalogue in `ops.py`, and hands the call to the
recorder, which runs it and decides whether it made an op. Plain attribute reads,
attribute writes and printing run untouched.
"""

from __future__ import annotations

from collections.abc import Callable

from torch.overrides import TorchFunctionMode

from ..ops import canonical_name, index_op, lookup, property_op

# Calls that never make an op: attribute writes and printing.
_PASS_THROUGH = {"__set__", "__repr__", "__format__"}


def describe_call(func, args: tuple) -> dict | None:
    """The request to record a torch call: its op, label and how to read its arguments.

    None means the call cannot make an op and runs as it is.

    >>> import torch
    >>> describe_call(torch.Tensor.__rsub__, (torch.ones(1), 2))
    {'op': 'sub', 'label': '−', 'reflected': True, 'inplace': False, 'takes_numbers': True}
    >>> describe_call(torch.Tensor.__getitem__, (torch.ones(3), slice(1, None)))["label"]
    '[1:]'
    >>> describe_call(torch.Tensor.T.__get__, (torch.ones(2, 2),))["op"]
    'transpose'
    >>> describe_call(torch.Tensor.shape.__get__, (torch.ones(2, 2),)) is None
    True
    """
    name = getattr(func, "__name__", "")
    if name == "__get__":  # attribute reads: only the transposing properties make new tensors
        name = property_op(getattr(getattr(func, "__self__", None), "__name__", ""))
        if name is None:
            return None
    elif name in _PASS_THROUGH:
        return None
    op, reflected, inplace = canonical_name(name)
    label = None
    if op == "index" and len(args) > 1:
        op, label = index_op(args[1])  # the drawing shows x[1:], not a generic [a:b]
    spec = lookup(op)
    return {
        "op": op,
        "label": spec.label if label is None else label,
        "reflected": reflected,
        "inplace": inplace,
        "takes_numbers": spec.takes_numbers,
    }


class CallInterceptor(TorchFunctionMode):
    """Hands every torch call that could make an op to `record_call(call, info, args, kwargs)`."""

    def __init__(self, record_call: Callable):
        super().__init__()
        self._record_call = record_call

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        info = describe_call(func, args)
        if info is None:
            return func(*args, **kwargs)
        info["fn"] = func  # to call the op again (forward mode, the gradient check)
        return self._record_call(lambda: func(*args, **kwargs), info, args, kwargs)
