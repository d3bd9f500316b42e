"""Op nodes: what one recorded call adds to the trace.

`add_op` is called by the `Recorder` for a call that made new backward nodes: the op
node, a node for each operand met for the first time (a constant for a Python number),
the input edges in the order the code writes the operands, a node for each tensor the
call made or changed in place, the output edges, and the op's backward nodes with
where they hand gradients on (its boundaries, for `backward`). It reads and fills the
recorder's bookkeeping, as `cuts` does.
"""

from __future__ import annotations

import torch

from ..format import format_tensor
from ..replay import OpCall
from .cuts import note_detach
from .intercept import flatten, is_number, number_value, writes

_UNSET = object()  # "not given", where None is a value (a leaf's grad_fn)


def add_op(rec, info, flat_in, before, made, changed, flat_out, call_args=((), {}), module=_UNSET, fns=None):
    """The op node of a call that made backward nodes, with its input and output edges.

    `module` is the path of the module the call ran in (the one running now when not given);
    `fns` maps id(output) to its grad_fn right after the call (read now when not given).
    """
    op_id = f"op{rec._n_ops}"
    rec._n_ops += 1
    operands, slots = _operands(rec, info, flat_in, before)
    # how to call the op again, with the nodes its tensors had before any in-place change
    rec.trace.calls[op_id] = OpCall.capture(info.get("fn"), *call_args, slots, writes(info, call_args[1]))
    rec.trace.nodes[op_id] = {
        "kind": "op",
        "op": info["op"],
        "label": info["label"],
        "module": rec._modules.current() if module is _UNSET else module,
        "backward": [],
        "inplace": bool(info.get("inplace")),
    }
    if info.get("custom"):  # a custom Function's node carries its own rule (read by `ops.info_of`)
        rec.trace.nodes[op_id].update(custom=True, rule=info["rule"], source=info.get("source", ""))
    seen = _input_edges(rec, op_id, operands)
    outs = _add_outputs(rec, op_id, made + changed, flat_out, fns)
    starts = [t.grad_fn for t in outs] if fns is None else [fns.get(id(t), t.grad_fn) for t in outs]
    _backward_edges(rec, op_id, starts, seen, len(operands))


def _input_edges(rec, op_id: str, operands: list[str]) -> set[str]:
    """An edge from each operand node into the op, once per node; returns the nodes linked."""
    seen: set[str] = set()
    edges = rec.trace.edges
    for arg, nid in enumerate(operands):
        if nid not in seen:  # x * x: one edge, both contributions summed into it
            seen.add(nid)
            edges.append((nid, op_id, {"arg": arg, "grad": None}))
    return seen


def _backward_edges(rec, op_id: str, starts: list, seen: set[str], arg: int) -> None:
    """Claim the backward nodes the op made (from its outputs' `grad_fn`s, `starts`) and keep its
    boundaries. Every recorded tensor this op's backward hands a gradient to is one of its
    inputs, even one the call did not name (the base of a view it wrote through): those get an
    edge too, numbered on from `arg`."""
    names, boundary = rec._fns.claim(op_id, starts, rec._node_of)
    _boundary_edges(rec, op_id, names, boundary, seen, arg)


def _boundary_edges(rec, op_id: str, names: list[str], boundary: list, seen: set[str], arg: int) -> None:
    """Keep what `claim` found for the op (`_backward_edges`), and link the inputs it did not name."""
    rec.trace.nodes[op_id]["backward"] = names
    rec._boundaries[op_id] = boundary
    for _, _, target in boundary:
        if target not in seen:
            seen.add(target)
            rec.trace.edges.append((target, op_id, {"arg": arg, "grad": None}))
            arg += 1


def add_single_op(rec, info, flat_in: list, before_fns: list, out: torch.Tensor, fn, call_args, module) -> str:
    """`add_op` for a logged call that made one tensor, `out`, whose `grad_fn` was `fn` (the common call).

    What `add_op` does for such a call, in one pass: the same node ids, edges and attributes.
    `before_fns` holds the `grad_fn` of each tensor operand before the call, in order.
    """
    op_id = f"op{rec._n_ops}"
    rec._n_ops += 1
    node_of = rec._node_of
    operands, slots, k = [], [], 0
    takes_numbers = info["takes_numbers"]
    for x in flat_in:
        if isinstance(x, torch.Tensor):
            nid = node_of.get(id(x))
            if nid is None:
                nid = rec._node_for(x, before_fns[k])
            k += 1
            operands.append(nid)
            slots.append(nid)
        elif takes_numbers and is_number(x):
            operands.append(number_node(rec, x))
    if info.get("reflected") and len(operands) >= 2:
        operands[0], operands[1] = operands[1], operands[0]
    args, kwargs = call_args
    inplace = bool(info.get("inplace"))
    rec.trace.calls[op_id] = OpCall.capture(info.get("fn"), args, kwargs, slots, writes(info, kwargs))
    rec.trace.nodes[op_id] = {
        "kind": "op",
        "op": info["op"],
        "label": info["label"],
        "module": module,
        "backward": [],
        "inplace": inplace,
    }
    seen = _input_edges(rec, op_id, operands)
    old = node_of.get(id(out))
    if old is not None:
        rec._superseded.add(old)
    made = rec._new_tensor_node(out, "intermediate", out.detach(), fn=fn, logged=True)
    rec._n_outs[op_id] = 1
    rec.trace.edges.append((op_id, made, {"out": 0}))
    names, boundary = rec._fns.claim_one(op_id, fn, node_of)
    _boundary_edges(rec, op_id, names, boundary, seen, len(operands))
    return op_id


def number_node(rec, x) -> str:
    """A constant node for a Python number an op read (one value tensor and label per number)."""
    key = (type(x), x, torch.get_default_dtype())
    known = rec._numbers.get(key) if x else None  # 0.0 and -0.0 are equal keys but not equal values
    if known is None:
        value = number_value(x)
        known = rec._numbers[key] = (value, format_tensor(value))
    nid = f"t{rec._n_tensors}"
    rec._n_tensors += 1
    value, label = known
    rec.trace.nodes[nid] = {
        "kind": "constant",
        "name": None,
        "label": label,
        "value": value,
        "grad": None,
        "shape": (),
        "requires_grad": False,
    }
    return nid


def _operands(rec, info: dict, flat_in: list, before: list) -> tuple[list[str], list[str]]:
    """The nodes an op reads, in the order the code writes them, as they were before the call;
    and the nodes of its tensor arguments alone, in order."""
    fn_before = {id(t): fn for t, fn in before}
    operands, slots = [], []
    node_of = rec._node_of
    for x in flat_in:
        if isinstance(x, torch.Tensor):
            nid = node_of.get(id(x))
            if nid is None:
                nid = rec._node_for(x, fn_before.get(id(x), _UNSET))
            operands.append(nid)
            slots.append(nid)
        elif info["takes_numbers"] and is_number(x):
            operands.append(number_node(rec, x))
    if info.get("reflected") and len(operands) >= 2:  # `2 - x` arrives as x.__rsub__(2)
        operands[0], operands[1] = operands[1], operands[0]
    return operands, slots


def _add_outputs(rec, op_id: str, tensors: list[torch.Tensor], flat_out: list, fns=None) -> list[torch.Tensor]:
    """Nodes for what an op made or changed in place; a changed tensor's old node is superseded."""
    if len(tensors) == 1 and len(flat_out) == 1:  # the common case: one new tensor
        outs, position = tensors, {id(flat_out[0]): 0}
    else:
        outs, seen_out = [], set()
        for t in tensors:
            if id(t) not in seen_out:
                seen_out.add(id(t))
                outs.append(t)
        position = {}  # id -> first place in the result (unbind can make thousands)
        for i, o in enumerate(flat_out):
            position.setdefault(id(o), i)
    for t in outs:
        old = rec._node_of.get(id(t))
        if old is not None:
            rec._superseded.add(old)
        if fns is None:
            nid = rec._new_tensor_node(t, "intermediate", t.detach())
        else:  # a logged call: its outputs are in the log's map already
            nid = rec._new_tensor_node(t, "intermediate", t.detach(), fn=fns.get(id(t), t.grad_fn), logged=True)
        add_out_edge(rec, op_id, nid, position.get(id(t)))
    return outs


def add_out_edge(rec, op_id: str, nid: str, index: int | None = None) -> None:
    """An op→tensor edge; `index` is the output's position (next free one when None)."""
    count = rec._n_outs.get(op_id, 0)
    rec._n_outs[op_id] = count + 1
    rec.trace.edges.append((op_id, nid, {"out": count if index is None else index}))


def after_call(rec, info: dict, flat_in: list, tensors_in: list, before: list, result, call_args):
    """The op of a call that ran, if it made new backward nodes or changed an input."""
    if isinstance(result, torch.Tensor):
        flat_out = [result]
    else:
        flat_out = [x for x in flatten(result, []) if isinstance(x, torch.Tensor)]
    op_of = rec._fns.op_of
    made = [t for t in flat_out if (fn := t.grad_fn) is not None and op_of(fn) is None]
    changed = [t for t, fn in before if (now := t.grad_fn) is not fn and now is not None]
    if not made and not changed:
        if info["op"] == "detach":
            note_detach(rec, tensors_in, result)
        return result
    add_op(rec, info, flat_in, before, made, changed, flat_out, call_args)
    return result


def refresh(rec, t: torch.Tensor) -> None:
    """Give a known tensor a new node if an op we recorded changed it without naming it.

    Writing through a view changes its base (and writing a base, its other views):
    PyTorch gives the tensor a new backward node, made by that op. The tensor's new
    version becomes one more output of the op, so what reads it next reads the new
    version.
    """
    nid = rec._node_of.get(id(t))
    if nid is None or t.grad_fn is None:
        return
    fn_then, ops_then = rec._fn_at.get(nid, (None, 0))
    if t.grad_fn is fn_then:
        return
    op_id = rec._fns.maker_of(t)
    if op_id is None or int(op_id[2:]) < ops_then:  # no op since the node was made changed it
        return
    rec._superseded.add(nid)
    add_out_edge(rec, op_id, rec._new_tensor_node(t, "intermediate", t.detach()))
