"""Short, honest text for tensor values: what a node badge or a caption shows.

>>> import torch
>>> format_tensor(torch.tensor(3.14159265))
'3.142'
>>> format_tensor(torch.tensor([1.0, 2.5]))
'[1, 2.5]'
>>> format_tensor(torch.ones(64, 8))
'64×8 · mean 1'
"""

from __future__ import annotations

import math

INLINE_MAX = 6  # tensors with at most this many elements are written out in full


def format_number(x: float, digits: int = 4) -> str:
    """One number with `digits` significant digits, without trailing zeros."""
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    return text


def format_shape(shape) -> str:
    """A shape as `3×4`; a scalar's shape as `scalar`."""
    shape = tuple(shape)
    return "×".join(str(s) for s in shape) if shape else "scalar"


def _nested(values, shape, digits):
    if not shape:
        return format_number(values[0], digits)
    step = len(values) // shape[0] if shape[0] else 0
    parts = [_nested(values[i * step : (i + 1) * step], shape[1:], digits) for i in range(shape[0])]
    return "[" + ", ".join(parts) + "]"


def format_tensor(t, max_chars: int = 40, digits: int = 4) -> str:
    """Text for a tensor, a number or None, at most about `max_chars` long.

    Scalars get 4 significant digits, small tensors are written out, and larger
    ones show their shape and mean.
    """
    if t is None:
        return ""
    if isinstance(t, (int, float)):
        return format_number(t, digits)
    if hasattr(t, "std") and not callable(t.std):  # a TensorSummary: only statistics were kept
        return f"{format_shape(t.shape)} · mean {format_number(t.mean, 2)}"[:max_chars]
    numel = t.numel()
    shape = tuple(t.shape)
    if t.dtype.is_complex:
        return f"{format_shape(shape)} complex"
    if numel <= INLINE_MAX:
        flat = [float(v) for v in t.detach().reshape(-1).tolist()]
        # a scalar gets `digits` significant digits; elements of a vector one fewer, to stay short
        for d in (digits,) if numel == 1 else (digits - 1, digits, 2):  # e-notation can make fewer digits longer
            text = _nested(flat, shape, d)
            if len(text) <= max_chars:
                return text
    if numel == 0:
        return f"{format_shape(shape)} (empty)"
    mean = float(t.detach().double().mean())
    text = f"{format_shape(shape)} · mean {format_number(mean, 2)}"
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"
