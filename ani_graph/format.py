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

import functools
import math
import re
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

_T = TypeVar("_T")

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


_SEP = "\x1f"  # between the numbers of one `format_numbers` pass (no number's text holds it)
_NEGATIVE_ZERO = re.compile(_SEP + "-0(?=" + _SEP + ")")


def format_numbers(values: list[float], digits: int = 4) -> list[str]:
    """`format_number` of each of `values` (floats), the same texts, made in one formatting pass.

    A table of a hundred numbers costs about as much as a few calls of `format_number`.

    >>> format_numbers([-0.000123456, 2.0, 1e-9, -0.0, float("-inf"), 1.5e20])
    ['−0.0001235', '2', '1e−9', '0', '−inf', '1.5e20']
    """
    if not values:
        return []
    text = _SEP + (f"%.{digits}g{_SEP}" * len(values)) % tuple(values)
    if "-0" + _SEP in text:  # −0.0 is written as 0, as format_number does
        text = _NEGATIVE_ZERO.sub(_SEP + "0", text)
    if "e" in text:  # %g writes two or more exponent digits with a sign: e+05 -> e5, e-09 -> e-9
        text = text.replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")
    return text.replace("-", MINUS).split(_SEP)[1:-1]


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


_KEPT: ContextVar[dict | None] = ContextVar("ani_graph_kept_texts", default=None)


@contextmanager
def texts_kept(store: dict) -> Iterator[dict]:
    """Within the block, `format_tensor` writes each tensor once (and `kept` each text): its texts
    are kept in `store`.

    One animation keeps one store for its frames, its drawing and its inspect panels, which
    write the same values and gradients many times over. A tensor is known by identity (the
    store holds it, so its id is not reused); one changed in place within the block would keep
    its old text, so the block must not change tensors.
    """
    token = _KEPT.set(store)
    try:
        yield store
    finally:
        _KEPT.reset(token)


def kept(key: tuple, owner: object, make: Callable[[], _T]) -> _T:
    """`make()`, written once per `texts_kept` block for `key` and `owner` (an object the text is
    made from, such as the view's names, known by identity); outside a block, every time."""
    store = _KEPT.get()
    if store is None:
        return make()
    hit = store.get(key)
    if hit is None or hit[0] is not owner:
        hit = store[key] = (owner, make())
    return hit[1]


def format_tensor(t, max_chars: int = 40, digits: int = 4) -> str:
    """Text for a tensor, a number or None, at most about `max_chars` long.

    Scalars get 4 significant digits, small tensors are written out, and larger
    ones show their shape and mean in brackets.
    """
    if t is None:
        return ""
    if isinstance(t, (int, float)):
        return format_number(t, exact_digits(t, digits))
    store = _KEPT.get()
    if store is None:
        return _format_tensor(t, max_chars, digits)
    key = (id(t), max_chars, digits)
    hit = store.get(key)
    if hit is None or hit[0] is not t:
        hit = store[key] = (t, _format_tensor(t, max_chars, digits))
    return hit[1]


def exact_digits(x: float, digits: int = 4, dtype=None) -> int:
    """`digits`, or up to two more when that many significant digits write `x` exactly.

    A number typed in a program, such as the 1.0001 of `x * 1.0001`, should not read as 1:
    when `digits + 1` or `digits + 2` significant digits give back the same number (in
    `dtype`'s precision: float32 when torch keeps it so), those are used.

    >>> import torch
    >>> exact_digits(1.0001), exact_digits(0.9092974268256817), exact_digits(2.5)
    (5, 4, 4)
    >>> exact_digits(float(torch.tensor(100.25)), 4, torch.float32)
    5
    """
    if isinstance(x, bool):
        return digits
    single = dtype is not None and _is_single(dtype)
    key = (x, digits, single)
    found = _EXACT.get(key)  # the values of a drawing come back in its frames, captions and panels
    if found is None:
        found = _exact_digits(x, digits, single)
        if len(_EXACT) < 4096:
            _EXACT[key] = found
    return found


_EXACT: dict[tuple[float, int, bool], int] = {}  # (x, digits, single) -> digits; −0.0 and 0.0 give the same


def _exact_digits(x: float, digits: int, single: bool) -> int:
    if not math.isfinite(x) or f"{x:.{digits}g}" == f"{x:.17g}":
        return digits
    for more in (digits + 1, digits + 2):
        back = float(f"{x:.{more}g}")
        if (_single(back) if single else back) == x:
            return more
    return digits


@functools.cache
def _is_single(dtype) -> bool:
    return str(dtype) in ("torch.float32", "float32")


def _single(x: float) -> float:
    """`x` rounded to the nearest float32, as a Python float."""
    try:
        return struct.unpack("f", struct.pack("f", x))[0]
    except OverflowError:
        return math.inf if x > 0 else -math.inf


def _format_tensor(t, max_chars: int, digits: int) -> str:
    if hasattr(t, "std") and not callable(t.std):  # a TensorSummary: only statistics were kept
        return summary_text(t.shape, t.mean, max_chars)
    numel = t.numel()
    shape = tuple(t.shape)
    if t.dtype.is_complex:
        return f"{format_shape(shape)} complex"
    if numel <= INLINE_MAX:
        # one element: `item` skips the detach/reshape/tolist round trip (a fixed cost per text)
        flat = [float(t.item())] if numel == 1 else [float(v) for v in t.detach().reshape(-1).tolist()]
        # a scalar gets `digits` significant digits (up to two more when they write it exactly);
        # elements of a vector one fewer, to stay short
        scalar = (exact_digits(flat[0], digits, t.dtype),) if numel == 1 else (digits - 1, digits, 2)
        for d in scalar:  # e-notation can make fewer digits longer
            text = _nested(flat, shape, d)
            if len(text) <= max_chars:
                return text
    if numel == 0:
        return f"{format_shape(shape)} (empty)"
    return summary_text(shape, _kept_mean(t, numel), max_chars)


def _kept_mean(t, numel: int) -> float:
    """`_mean`, computed once per `texts_kept` block for tensors that view the same memory alike.

    An edge's gradient share is often the very memory of the gradient its tensor holds (one
    consumer: the share is the total), as another tensor object: the same place, shape, strides,
    dtype, version and sign bit mean the same numbers. The store keeps the tensor, so the place is not reused.
    """
    store = _KEPT.get()
    if store is None:
        return _mean(t, numel)
    try:
        key = ("mean", t.data_ptr(), t.shape, t.stride(), t.dtype, t.device, t._version, t.is_neg())
    except RuntimeError:  # no storage or no version counter (an inference tensor): not kept
        return _mean(t, numel)
    hit = store.get(key)
    if hit is None:
        hit = store[key] = (t, _mean(t, numel))
    return hit[1]


def _mean(t, numel: int) -> float:
    """The mean summed in float64, as `t.double().mean()` sums it (the same number), without the copy.

    On the CPU, torch's `mean` is its `sum` divided by the count; the sum alone skips a second
    dispatch (a third of the cost of a small tensor's mean), and the division is the same IEEE one.
    """
    import torch  # loaded already (the tensor is one): a lookup in `sys.modules`

    if t.requires_grad:
        t = t.detach()
    if not (t.dtype is torch.float32 or t.dtype is torch.float64) or t.device.type != "cpu":  # half's: not sum / count
        return float(t.mean(dtype=torch.float64))
    return t.sum(dtype=torch.float64).item() / numel
