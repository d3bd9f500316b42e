"""Keeping each tensor node's value: shared while it can be, copied before it would change.

A node's value shares storage with the live tensor (no copy), so recording a big
model's activations costs no extra memory. Before an in-place op writes to a storage,
the values recorded on it get their own copy, so every node keeps the value it had when
it was made; so do the values of tensors that outlive the recording (`copy_now`). A tensor
with more elements than the value limit keeps only a `TensorSummary`.

>>> nodes = {}
>>> values = ValueKeeper(nodes, limit=10)
>>> y = torch.zeros(2)
>>> nodes["t0"] = {"value": values.keep("t0", y, y.detach())}
>>> values.copy_before_write([y])  # what the recorder does before `y.add_(1)`
>>> _ = y.add_(1)
>>> nodes["t0"]["value"].tolist(), y.tolist()
([0.0, 0.0], [1.0, 1.0])
"""

from __future__ import annotations

import torch

from ..summary import TensorSummary, keep


def storage_key(t: torch.Tensor) -> int | None:
    """An id of the memory a tensor's values live in, shared by its views; None if it has none."""
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # sparse, meta and other storage-less tensors
        return None


class ValueKeeper:
    """The values of the tensor nodes in `nodes`, kept without copies until a write needs one."""

    def __init__(self, nodes: dict[str, dict], limit: int):
        self._nodes = nodes
        self._limit = limit
        self._sharing: dict[int | None, list[str]] = {}  # storage -> node ids whose value lives there
        # False once nothing more is recorded (`TorchGraph` builds its graph after the block): no write
        # can reach a value then, so none is tracked (reading a storage gives each tensor one more object)
        self.sharing = True

    def keep(self, nid: str, t: torch.Tensor | None, value):
        """The value to store for node `nid`, made from tensor `t` (None for a Python number)."""
        if value.layout != torch.strided or value.is_meta:  # sparse: a dense copy; meta: an error
            return keep(value, self._limit)
        if value.numel() > self._limit:
            return TensorSummary.of(value)  # too large to keep: statistics only
        if t is not None and self.sharing:
            key = storage_key(t)
            if key is None:
                return value.clone()
            self._sharing.setdefault(key, []).append(nid)
        return value

    def copy_before_write(self, tensors: list[torch.Tensor]) -> None:
        """An in-place op may overwrite recorded values: give them their own copy first."""
        for t in tensors:
            for nid in self._sharing.pop(storage_key(t), []):
                attrs = self._nodes[nid]
                attrs["value"] = attrs["value"].clone()

    def copy_now(self, nids: set[str]) -> None:
        """Give these nodes their own copy now: their tensors outlive the recording (parameters,
        the caller's tensors), and a later optimizer step must not change what the graph shows."""
        for key, shared in list(self._sharing.items()):
            kept = []
            for nid in shared:
                if nid in nids:
                    attrs = self._nodes[nid]
                    attrs["value"] = attrs["value"].clone()
                else:
                    kept.append(nid)
            self._sharing[key] = kept
