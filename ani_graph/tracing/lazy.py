"""The recorder's cheap path: during the forward, one raw tuple per call, and nothing else.

While a lazy recorder records (`Recorder(lazy=True)`, what `TorchGraph` uses), a call
whose tensors need grad is run and logged as it came (`log_call`): no node dicts, no
labels, no walk over backward nodes. The graph is built from the log later
(`replay`), by the code the eager recorder runs at call time (`op_nodes.add_op`; a call
with one result, nearly every call, by its one-pass form `add_single_op`), so node ids,
edges and attributes come out the same (`tests/test_lazy_trace.py` compares them). What the eager code reads from the
tensors at call time is kept in the log (each input's `grad_fn` before the call, each
output's after it, the module running), and the rest does not change while nothing is
written in place.

So anything that would make a later read differ from the call-time one ends the lazy
path: a call that may write (in place, `out=`, a custom Function), a tensor whose
`grad_fn` changed since it was seen, a tensor made by work the recorder did not see,
and `detach()` of a recorded tensor. The recorder then replays the log at once and
records the rest eagerly (`Recorder.materialize`), which is what it would have built
anyway. Leaves outlive the block: their values are copied when it ends (`leaf_copies`).

>>> import torch
>>> from ani_graph.tracing import Recorder
>>> x = torch.tensor(2.0, requires_grad=True)
>>> rec = Recorder(lazy=True)
>>> _ = rec.add_input(x, "x")
>>> with rec:
...     y = torch.sin(x) * 3
>>> len(rec._log), len(rec.trace.nodes)
(2, 1)
>>> rec.materialize()
>>> [a["op"] for a in rec.trace.nodes.values() if a["kind"] == "op"]
['sin', 'mul']
"""

from __future__ import annotations

import torch

from ..summary import keep
from .intercept import flat_operands, flatten, writes
from .op_nodes import add_op, add_single_op, after_call
from .values import storage_key

MISSING = object()  # not seen yet, where None is a value (a leaf's grad_fn)
LOGGED, EAGER = "logged", "eager"  # what `log_call` did with a call it ran


def log_call(rec, call, info: dict, flat_in: list, tensors_in: list, call_args: tuple):
    """Run and log one call that reads a tensor needing grad, when nothing about it is unusual.

    Returns `(None, None, None)` without running the call when the recorder must go eager
    first; `(LOGGED, result, None)` when the call is logged (or made no op); and
    `(EAGER, result, before)` when the call ran but what it did needs the eager path
    (`before`: each input tensor with its `grad_fn` before the call).
    """
    before_fns = _grad_fns_before(rec._seen, tensors_in)
    if before_fns is None:
        return None, None, None
    result = _run(rec, call, (), {}, tensors_in)
    return _log_result(rec, info, flat_in, tensors_in, before_fns, result, call_args)


def record_torch_call(rec, func, info: dict, args: tuple, kwargs: dict):
    """`Recorder.record_call` of one intercepted torch call, in one frame for the common case.

    The common case: the log is kept and the call says it writes nothing (not in place, no
    `out=`, no `inplace=True`). Anything else goes to `record_call`.
    """
    if rec._log is None or info["op"] == "backward" or writes(info, kwargs):
        return rec.record_call(_bound(func, args, kwargs), info, args, kwargs)
    nested = False  # whether an argument is a list or a tuple
    for a in args:
        if type(a) is list or type(a) is tuple:
            nested = True
            break
    if kwargs:
        flat_in = flat_operands(args, kwargs, info["skip"])
    else:
        flat_in = flatten(args, []) if nested else list(args)
    # each tensor operand with its grad_fn now; `odd`: one was made by unseen work or changed since seen
    seen, tensors_in, before_fns, grad, odd = rec._seen, [], [], False, False
    for a in flat_in:
        if isinstance(a, torch.Tensor):
            tensors_in.append(a)
            fn = a.grad_fn
            before_fns.append(fn)
            grad = grad or a.requires_grad
            if not odd and _unseen(seen, a, fn):
                odd = True
    if not grad:  # no backward node can come out of this call: it makes no op
        return func(*args, **kwargs) if kwargs else func(*args)
    if odd:  # the eager path, which `record_call` takes after replaying the log
        return rec.record_call(_bound(func, args, kwargs), info, args, kwargs)
    result = _run(rec, func, args, kwargs, tensors_in)
    done, result, before = _log_result(rec, info, flat_in, tensors_in, before_fns, result, (args, kwargs), nested)
    if done == EAGER:
        rec.materialize()
        return after_call(rec, info, flat_in, tensors_in, before, result, (args, kwargs))
    return result


def _bound(func, args: tuple, kwargs: dict):
    """The call as a function of nothing (what `record_call` runs)."""
    return (lambda: func(*args, **kwargs)) if kwargs else (lambda: func(*args))


def _grad_fns_before(seen: dict, tensors_in: list) -> list | None:
    """Each input's `grad_fn` now; None when one was made by unseen work or changed since it was seen."""
    before_fns = []
    for t in tensors_in:
        fn = t.grad_fn
        if _unseen(seen, t, fn):
            return None
        before_fns.append(fn)
    return before_fns


def _unseen(seen: dict, t: torch.Tensor, fn) -> bool:
    """Whether `t`, whose `grad_fn` is `fn` now, was made by work the recorder did not see, or
    changed since it was seen (a write through a view or its base)."""
    known = seen.get(id(t), MISSING)
    return known is not fn and (known is not MISSING or fn is not None)


def _run(rec, func, args: tuple, kwargs: dict, tensors_in: list):
    """Run `func(*args, **kwargs)`, with PyTorch's error on a leaf worded by the recorder."""
    rec._locals.look_for_frame()
    try:
        return func(*args, **kwargs) if kwargs else func(*args)
    except RuntimeError as err:
        rec.materialize()
        better = rec.call_error(err, tensors_in)
        if better is None:
            raise
        raise better from err


def _log_result(
    rec, info: dict, flat_in: list, tensors_in: list, before_fns: list, result, call_args: tuple, nested: bool = True
):
    """Log a call that ran (see `log_call` for what it returns); `nested`: an argument may be a list."""
    if isinstance(result, torch.Tensor):
        flat_out = [result]
    else:
        flat_out = [x for x in flatten(result, []) if isinstance(x, torch.Tensor)]
    for t, fn in zip(tensors_in, before_fns):
        if t.grad_fn is not fn:  # written in place by a call that does not say so (dropout's `inplace`)
            return EAGER, result, list(zip(tensors_in, before_fns))
    seen = rec._seen
    out_fns, made = [], False
    for t in flat_out:
        fn = t.grad_fn
        known = seen.get(id(t), MISSING)
        if known is MISSING:
            made = made or fn is not None
            out_fns.append(fn)
        elif known is fn:  # returned as it was (`x.contiguous()`): made by an earlier op
            out_fns.append(None)
        else:
            return EAGER, result, list(zip(tensors_in, before_fns))
    if not made:
        if info["op"] == "detach":  # a cut, drawn when something reads the result
            return EAGER, result, list(zip(tensors_in, before_fns))
        return LOGGED, result, None
    for t, fn in zip(tensors_in, before_fns):
        seen.setdefault(id(t), fn)
    for t, fn in zip(flat_out, out_fns):
        seen.setdefault(id(t), fn)
    args, kwargs = call_args
    if nested and any(type(a) is list for a in args):  # the caller's list may grow before the log is replayed
        call_args = (tuple(list(a) if type(a) is list else a for a in args), kwargs)
    rec._log.append((info, flat_in, before_fns, flat_out, out_fns, rec._modules.current(), call_args))
    return LOGGED, result, None


def replay(rec, log: list) -> list:
    """Add the logged calls to the trace as the eager recorder would have; op id per entry (None: no op)."""
    ops: list[str | None] = []
    op_of = rec._fns.op_of
    for info, flat_in, before_fns, flat_out, out_fns, module, call_args in log:
        if len(flat_out) == 1 and not info.get("custom"):  # one result: the common call, in one pass
            fn = out_fns[0]
            made_one = fn is not None and op_of(fn) is None
            ops.append(
                add_single_op(rec, info, flat_in, before_fns, flat_out[0], fn, call_args, module) if made_one else None
            )
            continue
        made = [t for t, fn in zip(flat_out, out_fns) if fn is not None and op_of(fn) is None]
        if not made:
            ops.append(None)
            continue
        tensors_in = [x for x in flat_in if isinstance(x, torch.Tensor)]
        fns = {id(t): fn for t, fn in zip(flat_out, out_fns)}
        ops.append(f"op{rec._n_ops}")
        add_op(rec, info, flat_in, list(zip(tensors_in, before_fns)), made, [], flat_out, call_args, module, fns)
    return ops


def leaf_copies(log: list, limit: int, has_node: dict) -> dict[int, object]:
    """id(tensor) -> its value now, for every leaf the log read: they outlive the recording
    (parameters, the caller's tensors), and a later optimizer step must not change the drawing.
    Leaves that have a node already (`has_node`: the inputs) get their copy with it."""
    copies: dict[int, object] = {}
    for entry in log:
        if None not in entry[2]:  # no leaf among its operands
            continue
        for x, fn in zip((x for x in entry[1] if isinstance(x, torch.Tensor)), entry[2]):
            if fn is None and id(x) not in copies and id(x) not in has_node and x.is_leaf:
                value = x.detach()
                small = value.layout == torch.strided and not value.is_meta and value.numel() <= limit
                copies[id(x)] = value.clone() if small else keep(value, limit)
    return copies


def writes_recorded(rec, tensors: list) -> bool:
    """Whether a write to `tensors` (that need no grad) would change a value the log holds.

    The storages of the logged tensors are gathered once, as the log grows.
    """
    keys, start = rec._log_storages
    log = rec._log
    for entry in log[start:]:
        for x in entry[1]:
            if isinstance(x, torch.Tensor):
                keys.add(storage_key(x))
        for t in entry[3]:
            keys.add(storage_key(t))
    rec._log_storages = (keys, len(log))
    return any(storage_key(t) in keys for t in tensors)


def deferrable(seen: dict, outputs: list) -> bool:
    """Whether each output is a tensor the log met, as it was then, or a leaf (else: the eager path)."""
    for t in outputs:
        known = seen.get(id(t), MISSING)
        if (t.grad_fn is not None or known is not MISSING) and known is not t.grad_fn:
            return False
    return True
