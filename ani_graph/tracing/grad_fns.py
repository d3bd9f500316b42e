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

import torch


class BackwardNodes:
    """The backward nodes met while recording, by the op that made them and the tensor they make."""

    def __init__(self):
        self._op_of: dict[int, str] = {}  # id(backward node) -> the op that made it
        self._tensor_of: dict[tuple[int, int], str] = {}  # (id(grad_fn), output_nr) -> tensor node id
        self._keep: list = []  # alive while recording, so ids are not reused

    def add_tensor(self, nid: str, fn, output_nr: int) -> None:
        """Tensor node `nid` is output `output_nr` of backward node `fn` (its tensor's grad_fn now)."""
        self._tensor_of[(id(fn), output_nr)] = nid
        self._keep.append(fn)

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

    def claim(self, op_id: str, starts: list, node_of: dict[int, str]) -> tuple[list[str], list]:
        """The class names of the backward nodes op `op_id` made from its outputs' `grad_fn`s
        (`starts`), and its boundaries."""
        names, boundary = [], []
        op_of, tensor_of, keep = self._op_of, self._tensor_of, self._keep
        stack = list(starts)
        while stack:  # iterative: one op can make a chain of backward nodes
            fn = stack.pop()
            if fn is None or id(fn) in op_of:
                continue
            op_of[id(fn)] = op_id
            keep.append(fn)
            names.append(type(fn).__name__)
            for index, (nxt, nr) in enumerate(fn.next_functions):
                if nxt is None:
                    continue
                target = tensor_of.get((id(nxt), nr))  # the output of a recorded tensor's grad_fn
                if target is None:
                    if type(nxt).__name__ != "AccumulateGrad":
                        stack.append(nxt)
                        continue
                    target = node_of.get(id(nxt.variable))  # a leaf's AccumulateGrad
                    if target is None:
                        continue
                boundary.append((fn, index, target))
        return names, boundary
