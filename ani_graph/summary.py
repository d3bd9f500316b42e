"""What the graph keeps of a tensor above the size limit: its shape and statistics.

Values and gradients larger than `VALUE_LIMIT` elements are summarised rather than kept,
so a graph of a big model does not hold every activation alive. Raise the limit per
graph with `TorchGraph(..., value_limit=n)`.

>>> import torch
>>> s = TensorSummary.of(torch.ones(1000, 2000))
>>> s.shape, s.mean
(torch.Size([1000, 2000]), 1.0)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import torch

VALUE_LIMIT = 1_000_000  # elements kept in full per tensor (4 MB of float32)


@dataclass(frozen=True)
class TensorSummary:
    """Shape, dtype and statistics of a tensor that was too large to keep."""

    shape: torch.Size
    dtype: torch.dtype
    mean: float
    std: float
    min: float
    max: float

    @classmethod
    def of(cls, t: torch.Tensor) -> TensorSummary:
        d = t.detach().double()
        return cls(
            t.shape, t.dtype, float(d.mean()), float(d.std()) if t.numel() > 1 else 0.0, float(d.min()), float(d.max())
        )

    def numel(self) -> int:
        return self.shape.numel()

    def clone(self) -> TensorSummary:
        return self  # immutable

    def __repr__(self) -> str:
        return (
            f"TensorSummary(shape={tuple(self.shape)}, mean={self.mean:.4g}, std={self.std:.4g}, "
            f"min={self.min:.4g}, max={self.max:.4g}; above the value limit, pass value_limit= to keep it)"
        )


def keep(t, limit: int):
    """The tensor itself (dense), or its summary when it has more than `limit` elements."""
    if t is None or isinstance(t, TensorSummary):
        return t
    if t.is_meta:
        raise TypeError(
            f"a meta tensor of shape {tuple(t.shape)} appeared in the computation; it has no values to show. "
            "Create tensors on a real device (the default, cpu)."
        )
    if t.layout != torch.strided:  # sparse and other layouts are shown by their values
        t = t.to_dense()
    return t if t.numel() <= limit else TensorSummary.of(t)


def check_value_limit(value_limit) -> int:
    """`value_limit` if it is a whole number ≥ 1, else a clear error (checked before any work).

    >>> check_value_limit(10)
    10
    >>> check_value_limit("10")
    Traceback (most recent call last):
    ...
    TypeError: value_limit must be a whole number of elements ≥ 1 (default 1000000), not '10'.
    """
    if isinstance(value_limit, bool) or not isinstance(value_limit, numbers.Integral):
        raise TypeError(
            f"value_limit must be a whole number of elements ≥ 1 (default {VALUE_LIMIT}), not {value_limit!r}."
        )
    if value_limit < 1:
        raise ValueError(
            f"value_limit must be a whole number of elements ≥ 1 (default {VALUE_LIMIT}), not {value_limit!r}."
        )
    return int(value_limit)
