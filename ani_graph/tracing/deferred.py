"""Gradients of a lazy recording, computed from its log before any node exists.

One `torch.autograd.grad` gives every logged tensor's gradient (`log_gradients`). An edge's
share is the part of a tensor's gradient that one op sends back. When one op alone reads
a tensor, its share is the whole gradient, so no hook is needed. Readers are counted from
the log, where each call lists its operands. Only ops that read a tensor with more than one
reader get hooks on the backward nodes that hand it a gradient. The same goes for outputs,
which get a gradient from outside, and for tensors with hooks of the user's. Those backward
nodes are found by the walk `grad_fns.BackwardNodes.claim` uses (`grad_fns.boundary_edges`),
for those ops only.

Everything is keyed by tensor identity and log entry. `by_node` maps it onto node ids and op
ids once the log has been replayed into a trace.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..summary import keep
from .backward import _autograd_grads, _share_hook
from .grad_fns import boundary_edges


def made_by_of(log: list) -> dict[tuple[int, int], int]:
    """`(id(grad_fn), output_nr)` -> id(tensor) for every tensor the log made (the log keeps the nodes
    alive). The first tensor met keeps the key, as the eager recorder's `BackwardNodes` does.
    Built once per log: `log_gradients` walks it, and the replay claims backward nodes with it."""
    made_by: dict[tuple[int, int], int] = {}
    for entry in log:
        for t, fn in zip(entry[3], entry[4]):
            if fn is not None:
                made_by.setdefault((id(fn), t.output_nr), id(t))
    return made_by


def log_gradients(
    log: list,
    made_by: dict[tuple[int, int], int],
    inputs: list[torch.Tensor],
    outputs: list[torch.Tensor],
    grad_outputs: list,
    *,
    retain_graph: bool,
    explain: Callable[[RuntimeError], RuntimeError],
) -> tuple[dict, dict]:
    """Every logged tensor's gradient, and the shares the hooked ops sent back.

    `made_by` is `made_by_of(log)`. Returns `(grads, shares)`: id(tensor) -> gradient (or None),
    and (id(tensor), log entry) -> that call's contribution to the tensor's gradient.
    """
    readers: dict[int, list[int]] = {}  # id(tensor) -> the log entries that read it
    targets: dict[int, torch.Tensor] = {id(t): t for t in inputs if t.requires_grad}
    tensor = torch.Tensor
    for i, entry in enumerate(log):
        for x in entry[1]:
            if isinstance(x, tensor) and x.requires_grad:
                by = readers.get(id(x))
                if by is None:
                    readers[id(x)] = [i]
                    targets.setdefault(id(x), x)
                elif by[-1] != i:
                    by.append(i)
        for t, fn in zip(entry[3], entry[4]):
            if fn is not None:
                targets.setdefault(id(t), t)
    for t in outputs:
        if t.requires_grad:
            targets.setdefault(id(t), t)
    hooked = {tid for tid, by in readers.items() if len(by) > 1}
    hooked.update(id(t) for t in outputs)
    hooked.update(tid for tid, t in targets.items() if t._backward_hooks)
    shares: dict[tuple[int, int], torch.Tensor] = {}
    handles: list = []
    try:
        claimed: dict[int, int] = {}  # id(backward node) -> the log entry that made it
        for i in sorted({i for tid in hooked for i in readers.get(tid, ())}):
            for fn, edges in boundary_edges(log[i][4], claimed, i, made_by, id):
                pairs = [(index, tid) for index, tid in edges if tid in hooked]
                if pairs:
                    handles.append(fn.register_hook(_share_hook(i, pairs, shares)))
        found = _autograd_grads(outputs, grad_outputs, list(targets.values()), retain_graph, explain)
    finally:
        for h in handles:
            h.remove()
    grads = dict(zip(targets, found))
    for tid, by in readers.items():
        g = grads.get(tid)
        if g is not None and tid not in hooked:  # one reader: its share is the whole gradient
            shares[(tid, by[0])] = g
    return grads, shares


def by_node(rec, found: tuple[dict, dict]) -> tuple[dict, dict]:
    """`log_gradients`' results keyed as `backward.gradients` keys them, once the log is replayed."""
    grads_by_id, shares_by_id = found
    limit = rec.value_limit
    grads = {}
    for nid, t in rec._gradient_targets():
        g = grads_by_id.get(id(t))
        grads[nid] = None if g is None else keep(g.detach() if g.requires_grad else g, limit)
    node_of, ops = rec._node_of, rec.entry_ops
    shares = {}
    for (tid, i), g in shares_by_id.items():
        op_id, nid = ops[i], node_of.get(tid)
        if op_id is not None and nid is not None:
            shares[(nid, op_id)] = keep(g.detach() if g.requires_grad else g, limit)
    return grads, shares
