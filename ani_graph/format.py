"""Short, honest text for tensor values: what a node badge or a caption shows.

>>> import torch
>>> format_tensor(torch.tensor(3.14159265))
'3.142'
>>> format_tensor(torch.tensor([1.0, 2.5]))
'[1, 2.5]'
>>> format_tensor(torch.tensor([-0.5, 2.0]))
'[−0.5, 2]'
>>> format_tensor(torch.ones(64, 8))
'[64×8, mean 1]'

Negative numbers take the real minus sign (−), which reads as a sign, not as a hyphen,
and larger tensors are written as a bracketed summary so that `[10×100, mean −4.5]` cannot
be read as arithmetic.
"""

from __future__ import annotations

import math

INLINE_MAX = 6  # tensors with at most this many elements are written out in full
MINUS = "\u2212"  # the minus sign: a hyphen next to · or × reads like a dash


def format_number(x: float, digits: int = 4) -> str:
    """One number with `digits` significant digits, without trailing zeros, and a real minus sign.

    >>> format_number(-0.000123456), format_number(2.0), format_number(1e-9)
    ('−0.0001235', '2', '1e−9')
    """
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else MINUS + "inf"
    if x == 0:
        return "0"
    text = f"{x:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}e{int(exponent)}"
    return text.replace("-", MINUS)


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


def summary_text(shape, mean: float, max_chars: int = 40) -> str:
    """A tensor too large to write out, as its shape and mean in brackets: `[16×10, mean −0.06]`.

    A vector's shape is one number, so it is written as a count (`[100 values, mean 2]`), which
    cannot be mistaken for a list of two numbers.
    """
    size = f"{shape[0]} values" if len(tuple(shape)) == 1 else format_shape(shape)
    text = f"[{size}, mean {format_number(mean, 2)}]"
    return text if len(text) <= max_chars else text[: max_chars - 2] + "…]"


def format_tensor(t, max_chars: int = 40, digits: int = 4) -> str:
    """Text for a tensor, a number or None, at most about `max_chars` long.

    Scalars get 4 significant digits, small tensors are written out, and larger
    ones show their shape and mean in brackets.
    """
    if t is None:
        return ""
    if isinstance(t, (int, float)):
        return format_number(t, digits)
    if hasattr(t, "std") and not callable(t.std):  # a TensorSummary: only statistics were kept
        return summary_text(t.shape, t.mean, max_chars)
    numel = t.numel()
    shape = tuple(t.shape)
    if t.dtype.is_complex:
        return f"{format_shape(shape)} complex"
    if numel <= INLINE_MAX:
        # one element: `item` skips the detach/reshape/tolist round trip (a fixed cost per text)
        flat = [float(t.item())] if numel == 1 else [float(v) for v in t.detach().reshape(-1).tolist()]
        # a scalar gets `digits` significant digits; elements of a vector one fewer, to stay short
        for d in (digits,) if numel == 1 else (digits - 1, digits, 2):  # e-notation can make fewer digits longer
            text = _nested(flat, shape, d)
            if len(text) <= max_chars:
                return text
    if numel == 0:
        return f"{format_shape(shape)} (empty)"
    return summary_text(shape, float(t.detach().double().mean()), max_chars)
