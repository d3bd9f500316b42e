"""Backward nodes: which op made each one, and which recorded tensor each one's output is.

An op's backward nodes are the new ones reachable from its outputs' `grad_fn` before
reaching a recorded tensor. Where they reach one, they hand it a gradient: a boundary
(backward node, index into its `next_functions`, tensor node id) that `backward` hooks
to catch that edge's share.

>>> x = torch.tensor(2.0, requires_grad=True)
>>> y = x.sin() * 3
>>> book = BackwardNodes()
>>> names, boundary = book.claim("op0", [y.grad_fn], {id(x): "t0"})
>>> names, [(i, t) for _, i, t in boundary], book.op_of(y.grad_fn)
(['MulBackward0', 'SinBackward0'], [(0, 't0')], 'op0')
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch


def boundary_edges(
    starts: list, seen: dict, mark: object, made_by: dict, leaf_of: Callable[[torch.Tensor], Any], resolve=None
):
    """Walk back from `starts` over backward nodes not in `seen`; per node, the edges that reach a tensor.

    Each node walked is put in `seen` (as `mark`) and yielded as `(node, [(index, target)])`:
    `index` into its `next_functions`, `target` the recorded tensor that edge hands a gradient
    to. An edge reaches a recorded tensor when `made_by` maps `(id(grad_fn), output_nr)` to it,
    or when it reaches a leaf's `AccumulateGrad` whose variable `leaf_of` knows (None: it does
    not, and the edge is dropped); any other edge leads to a node the walk goes on into.
    `resolve`, when given, turns what `made_by` holds into the target (None: not recorded).
    """
    stack = [fn for fn in starts if fn is not None]
    while stack:  # iterative: one op can make a chain of backward nodes
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen[id(fn)] = mark
        edges = []
        for index, (nxt, nr) in enumerate(fn.next_functions):
            if nxt is None:
                continue
            target = edge_target(nxt, nr, made_by, leaf_of, resolve)
            if target is WALK:
                stack.append(nxt)
            elif target is not None:
                edges.append((index, target))
        yield fn, edges


WALK = object()  # `edge_target` of an edge into a backward node of the op's own: the walk goes on into it


def edge_target(nxt, nr: int, made_by: dict, leaf_of: Callable[[torch.Tensor], Any], resolve=None):
    """Where the edge into output `nr` of backward node `nxt` hands its gradient, as `boundary_edges`
    reads it: a recorded tensor, None (a leaf `leaf_of` does not know: dropped), or `WALK`."""
    target = made_by.get((id(nxt), nr))  # the output of a recorded tensor's grad_fn
    if target is not None and resolve is not None:
        target = resolve(target)
    if target is not None:
        return target
    if type(nxt).__name__ != "AccumulateGrad":
        return WALK
    return leaf_of(nxt.variable)


class BackwardNodes:
    """The backward nodes met while recording, by the op that made them and the tensor they make.

    `made_by` maps `(id(grad_fn), output_nr)` to the node id of the tensor that output is, or,
    for the tensors of a lazy log (`adopt`), to `id(tensor)`: the map `deferred.made_by_of` built
    once for the backward, read through the recorder's `node_of` (no write in a log moves it).
    """

    def __init__(self):
        self._op_of: dict[int, str] = {}  # id(backward node) -> the op that made it
        self.made_by: dict[tuple[int, int], Any] = {}  # (id(grad_fn), output_nr) -> the tensor's key
        self._keep: list = []  # alive while recording, so ids are not reused

    def add_tensor(self, key: Any, fn, output_nr: int) -> None:
        """The tensor under `key` is output `output_nr` of backward node `fn` (its tensor's grad_fn now)."""
        self.made_by[(id(fn), output_nr)] = key
        self._keep.append(fn)

    def adopt(self, log_made_by: dict) -> None:
        """Take a lazy log's map (`deferred.made_by_of`) as this one; the entries here keep theirs."""
        log_made_by.update(self.made_by)
        self.made_by = log_made_by

    def pin(self, node_of: dict[int, str]) -> None:
        """Turn the adopted entries into node ids now (before recording goes on eagerly, when a
        write may give a logged tensor a new node)."""
        self.made_by = {
            key: nid for key, v in self.made_by.items() if (nid := v if type(v) is str else node_of.get(v)) is not None
        }

    def op_of(self, fn) -> str | None:
        """The op that made backward node `fn`, if we recorded it."""
        return self._op_of.get(id(fn))

    def maker_of(self, t: torch.Tensor) -> str | None:
        """The recorded op that gave `t` its grad_fn, looking through a regenerated view node or two."""
        fn, op_id = t.grad_fn, None
        for _ in range(8):
            op_id = self._op_of.get(id(fn))
            if op_id is not None or fn is None or not fn.next_functions or fn.next_functions[0][0] is None:
                break
            fn = fn.next_functions[0][0]
        return op_id

    def claim_one(self, op_id: str, fn, node_of: dict[int, str]) -> tuple[list[str], list]:
        """`claim` of an op that made one backward node, `fn`, whose every edge hands its gradient
        to a recorded tensor (or to nothing): the common op, without the walk. Anything else: `claim`."""
        if fn is None or id(fn) in self._op_of:
            return self.claim(op_id, [fn], node_of)
        made_by, boundary = self.made_by, []
        leaf_of, resolve = _readers(node_of)
        for index, (nxt, nr) in enumerate(fn.next_functions):
            if nxt is None:
                continue
            target = edge_target(nxt, nr, made_by, leaf_of, resolve)
            if target is WALK:  # a backward node of the op's own
                return self.claim(op_id, [fn], node_of)
            if target is not None:
                boundary.append((fn, index, target))
        self._op_of[id(fn)] = op_id
        self._keep.append(fn)
        return [type(fn).__name__], boundary

    def claim(self, op_id: str, starts: list, node_of: dict[int, str]) -> tuple[list[str], list]:
        """The class names of the backward nodes op `op_id` made from its outputs' `grad_fn`s
        (`starts`), and its boundaries (backward node, index, tensor node id)."""
        names: list[str] = []
        boundary: list[tuple[Any, int, str]] = []
        keep = self._keep
        for fn, edges in boundary_edges(starts, self._op_of, op_id, self.made_by, *_readers(node_of)):
            keep.append(fn)
            names.append(type(fn).__name__)
            boundary.extend((fn, index, target) for index, target in edges)
        return names, boundary


def _readers(node_of: dict[int, str]):
    """`leaf_of` and `resolve` for `edge_target` over a recorder's `node_of`: a leaf by its tensor, and
    a `made_by` entry that is a node id already or, adopted from a lazy log, an id(tensor)."""
    return (lambda v: node_of.get(id(v))), (lambda v: v if type(v) is str else node_of.get(v))
