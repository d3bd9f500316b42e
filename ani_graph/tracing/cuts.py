"""`detach()` drawn as a cut: the recorder notes which tensor a detached result came from,
and when something reads that result, adds a `detach` op whose input edge is marked `cut`.
"""

from __future__ import annotations

import torch


def note_detach(rec, tensors_in: list, result) -> None:
    """Remember which recorded tensor `result = t.detach()` was cut from, until something reads it."""
    if len(tensors_in) == 1 and isinstance(result, torch.Tensor) and tensors_in[0].requires_grad:
        source = rec._node_of.get(id(tensors_in[0]))
        if source is not None:
            rec._keep.append(result)  # its id must stay unique while we record
            rec._detached[id(result)] = source


def add_cut(rec, source: str, constant: str) -> None:
    """A `detach` op from the tensor that was cut to the constant made from it; its input edge is `cut`."""
    op_id = f"op{rec._n_ops}"
    rec._n_ops += 1
    rec.trace.nodes[op_id] = {
        "kind": "op",
        "op": "detach",
        "label": "detach",
        "module": rec._modules.current(),
        "backward": [],
        "inplace": False,
    }
    rec.trace.edges.append((source, op_id, {"arg": 0, "grad": None, "cut": True}))
    rec.trace.edges.append((op_id, constant, {"out": 0}))
