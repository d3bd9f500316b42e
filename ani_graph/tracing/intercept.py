"""Turning torch calls into requests to record an op.

`CallInterceptor` is the `TorchFunctionMode` a recorder pushes while it records. It sees
every torch function and tensor method call on this thread (the mode stack is
thread-local), names the op through the catalogue in `ops.py`, and hands the call to the
recorder, which runs it and decides whether it made an op. Plain attribute reads,
attribute writes and printing run untouched.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.overrides import TorchFunctionMode

from ..escapes import visible
from ..ops import OPS, canonical_name, index_op, lookup, property_op

# Calls that never make an op: attribute writes, printing, and questions about a tensor's
# shape and layout, which answer with numbers (run untouched, like the `.shape` read).
_PASS_THROUGH = {
    "__set__",
    "__repr__",
    "__format__",
    "__len__",
    "dim",
    "ndimension",
    "size",
    "numel",
    "nelement",
    "stride",
    "storage_offset",
    "element_size",
    "is_contiguous",
    "is_floating_point",
    "is_complex",
    "get_device",
}
# Ops whose `alpha=` scales the second operand: `torch.add(a, b, alpha=2)` is a + 2·b.
_SCALED = {"add", "sub"}


def describe_call(func, args: tuple, kwargs: dict | None = None) -> dict | None:
    """The request to record a torch call: its op, label and how to read its arguments.

    None means the call cannot make an op and runs as it is. `skip` names keyword
    arguments that are not operands.

    >>> import torch
    >>> describe_call(torch.Tensor.__rsub__, (torch.ones(1), 2))
    {'op': 'sub', 'label': '−', 'reflected': True, 'inplace': False, 'takes_numbers': True, 'skip': ()}
    >>> describe_call(torch.Tensor.__getitem__, (torch.ones(3), slice(1, None)))["label"]
    '[1:]'
    >>> describe_call(torch.add, (torch.ones(1), torch.ones(1)), {"alpha": 2})["op"]
    'add_alpha'
    >>> describe_call(torch.Tensor.T.__get__, (torch.ones(2, 2),))["op"]
    'transpose'
    >>> describe_call(torch.Tensor.shape.__get__, (torch.ones(2, 2),)) is None
    True
    """
    try:
        static = _STATIC[func]
    except KeyError:
        static = _STATIC[func] = _describe_func(func)
    except TypeError:  # an unhashable callable: described afresh at every call
        static = _describe_func(func)
    if static is None:
        return None
    op, reflected, inplace = static
    label: str | None = None
    skip: tuple[str, ...] = ()
    if op == "index" and len(args) > 1:
        op, label = index_op(args[1])  # the drawing shows x[1:], not a generic [a:b]
    elif op in _SCALED and kwargs and "alpha" in kwargs:
        alpha = kwargs["alpha"]
        if isinstance(alpha, (int, float)) and not isinstance(alpha, bool) and alpha == 1:
            skip = ("alpha",)  # a + 1·b is a + b
        else:
            op += "_alpha"
    spec = lookup(op)  # read at every call: the catalogue may gain or change entries
    return {
        "op": op,
        "label": spec.label if label is None else label,
        "reflected": reflected,
        "inplace": inplace,
        "takes_numbers": spec.takes_numbers,
        "skip": skip,
    }


# func -> what `_describe_func` says of it: the same for every call, so worked out once
_STATIC: dict = {}
# func -> (its catalogue entry then, its request) for calls whose request does not depend on
# their arguments; None for calls that make no op. Used while the catalogue entry stays the same.
_PLAIN: dict = {}
_NO_OP = (None, None)


def request_of(func, args: tuple, kwargs: dict) -> dict | None:
    """`describe_call` with `fn` set, the same dict for every call of `func` when its arguments
    cannot change it (each request is only read, never changed)."""
    try:
        plain = _PLAIN.get(func)
    except TypeError:  # unhashable
        plain = None
    if plain is not None:
        spec, info = plain
        if info is None:
            return None
        if OPS.get(info["op"]) is spec and not (kwargs and "alpha" in kwargs):
            return info
    info = describe_call(func, args, kwargs)
    if info is None:
        if plain is None and _STATIC.get(func, _NO_OP) is None:
            _PLAIN[func] = _NO_OP
        return None
    info["fn"] = func  # to call the op again (forward mode, the gradient check)
    op = info["op"]
    if op not in ("index", "select", "slice") and "alpha" not in op and not info["skip"]:
        try:
            _PLAIN[func] = (OPS.get(op), info)
        except TypeError:
            pass
    return info


def _describe_func(func) -> tuple | None:
    """(op, reflected, inplace) of a torch callable, or None: it makes no op."""
    name = getattr(func, "__name__", "")
    if not isinstance(name, str):
        name = ""
    if name == "__get__":  # attribute reads: only the transposing properties make new tensors
        name = property_op(getattr(getattr(func, "__self__", None), "__name__", ""))
        if name is None:
            return None
    elif name in _PASS_THROUGH:
        return None
    return canonical_name(name if name.isidentifier() else visible(name))


def flatten(obj, out: list) -> list:
    """Tensors and numbers in nested lists/tuples, in order (iteratively)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def flat_operands(args, kwargs: dict, skip=()) -> list:
    """The arguments of a call, then its keyword arguments (but `skip`), flattened as `flatten` does."""
    out: list = []
    for a in args:
        if isinstance(a, (list, tuple)):
            flatten(a, out)
        else:
            out.append(a)
    if kwargs:
        for k, v in kwargs.items():
            if k in skip:
                continue
            if isinstance(v, (list, tuple)):
                flatten(v, out)
            else:
                out.append(v)
    return out


def writes(info: dict, kwargs: dict) -> bool:
    """Whether a call may write to its operands: an in-place op, `out=`, `inplace=True`, or a
    custom Function (which may change an input and `mark_dirty` it)."""
    return bool(info.get("inplace") or info.get("custom")) or (
        bool(kwargs) and ("out" in kwargs or kwargs.get("inplace") is True)
    )


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def number_value(x) -> torch.Tensor:
    """A Python number an op read, as a constant's value (an int too large for a float is ±inf)."""
    try:
        return torch.tensor(float(x), dtype=torch.get_default_dtype())
    except OverflowError:
        return torch.tensor(float("inf") if x > 0 else float("-inf"), dtype=torch.get_default_dtype())


class CallInterceptor(TorchFunctionMode):
    """Hands every torch call that could make an op to `record_call(func, info, args, kwargs)`."""

    def __init__(self, record_call: Callable):
        super().__init__()
        self._record_call = record_call

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        record = self._record_call
        if record is None:
            return func(*args, **kwargs)
        info = request_of(func, args, kwargs)
        if info is None:
            return func(*args, **kwargs)
        return record(func, info, args, kwargs)

    def start(self) -> None:
        """Push this mode on the calling thread's mode stack (dropping stopped ones left there)."""
        modes = [torch._C._pop_torch_function_stack() for _ in range(torch._C._len_torch_function_stack())]
        for mode in reversed(modes):  # a recording ended from another thread leaves its mode here
            if not (isinstance(mode, CallInterceptor) and mode._record_call is None):
                torch._C._push_on_torch_function_stack(mode)
        torch._C._push_on_torch_function_stack(self)

    def stop(self) -> None:
        """Take this mode off the stack, even when modes pushed after it are still there.

        Recordings may end in any order (`with` blocks entered by hand, a mode the
        user's code pushed and never popped): the modes above this one go back in order.
        """
        self._record_call = None  # type: ignore[assignment]  # stopped: should it stay on another thread's stack, it records nothing
        above = []
        while torch._C._len_torch_function_stack() > 0:
            mode = torch._C._pop_torch_function_stack()
            if mode is self:
                break
            above.append(mode)
        for mode in reversed(above):
            torch._C._push_on_torch_function_stack(mode)
