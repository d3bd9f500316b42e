"""The lessons' exercise checker: one function every check cell calls.

`check(answer, expected)` prints ✅ when the answer matches, ❌ with a hint when it does not,
and "⏳ not attempted yet" while the exercise is still blank (`...` or `None`), so a check
cell never crashes on a blank exercise. Answers may be numbers, (nested) lists, NumPy arrays
or tensors, in any mix. `verdict` gives the same judgement as a value, for tests.

>>> check(2.0, 2.0, name="two")
✅ two: correct
>>> check(..., 2.0, name="two")
⏳ two: not attempted yet
>>> check(-2.52, -2.5172, digits=3)  # "a calculator is fine": 3 significant digits
✅ answer: correct (to 3 significant digits)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

__all__ = ["Verdict", "check", "verdict"]


@dataclass(frozen=True)
class Verdict:
    """What `check` decided: ``status`` is "pass", "fail" or "blank"; ``message`` is what it prints."""

    status: str
    message: str

    def __bool__(self) -> bool:
        return self.status == "pass"

    def __str__(self) -> str:
        return self.message


def _is_blank(answer: Any) -> bool:
    if answer is None or answer is Ellipsis:
        return True
    if isinstance(answer, (list, tuple)):
        return len(answer) == 0 or any(_is_blank(a) for a in answer)
    return False


def _as_array(value: Any) -> np.ndarray:
    """Numbers, lists (also of tensors), arrays and tensors as one float64 array."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().to(torch.float64).numpy()
    if isinstance(value, (list, tuple)):
        parts = [_as_array(v) for v in value]
        if len({p.shape for p in parts}) > 1:
            raise ValueError("its entries have different shapes")
        return np.stack(parts) if parts else np.zeros(0)
    if isinstance(value, (str, bytes, dict, set)):
        raise TypeError(f"it is a {type(value).__name__}, not a number")
    array = np.asarray(value)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"it is a {type(value).__name__}, not a number")
    return array.astype(np.float64)


def _tolerance(want: np.ndarray, digits: int | None, rtol: float, atol: float) -> np.ndarray:
    """Per element: one unit in the last promised significant digit, or rtol/atol."""
    if digits is None:
        return atol + rtol * np.abs(want)
    with np.errstate(divide="ignore"):
        exponent = np.floor(np.log10(np.abs(want)))
    unit = np.where(np.isfinite(exponent), 10.0 ** (exponent - digits + 1), atol)
    return np.maximum(unit, atol)


def verdict(
    answer: Any,
    expected: Any,
    *,
    digits: int | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    name: str = "answer",
    hint: str = "",
) -> Verdict:
    """Judge an exercise answer against the expected value, without printing.

    Parameters
    ----------
    answer : number, list, numpy array, tensor, ``...`` or None
        What the student wrote; ``...`` or None (also inside a list) means "not attempted yet".
    expected : number, list, numpy array or tensor
        The right value, computed by the check cell (never typed in by hand).
    digits : int, optional
        Accept the answer when it agrees to this many significant digits (one unit in the
        last digit, so rounding and cutting off both pass); for "a calculator is fine".
    rtol, atol : float
        Relative and absolute tolerance when `digits` is not given.
    name, hint : str
        The exercise's name in the message, and what to say when the answer is not right yet.

    Returns
    -------
    Verdict
        ``status`` "pass", "fail" or "blank" and the message `check` prints.
    """
    if digits is not None and (not isinstance(digits, int) or digits < 1):
        raise ValueError(f"digits must be a whole number of significant digits (1 or more), not {digits!r}")
    if _is_blank(answer):
        return Verdict("blank", f"⏳ {name}: not attempted yet")
    want = _as_array(expected)
    advice = f" {hint}" if hint else ""
    try:
        got = _as_array(answer)
    except (TypeError, ValueError) as err:
        return Verdict("fail", f"❌ {name}: not a number or a list of numbers ({err}).{advice}")
    if got.shape != want.shape:
        if got.size != want.size or np.squeeze(got).shape != np.squeeze(want).shape:
            return Verdict("fail", f"❌ {name}: shape {got.shape}, but the answer has shape {want.shape}.{advice}")
        got = got.reshape(want.shape)
    if not np.all(np.isfinite(got)):
        return Verdict("fail", f"❌ {name}: it contains nan or inf.{advice}")
    right = bool(np.all(np.abs(got - want) <= _tolerance(want, digits, rtol, atol)))
    if right:
        to = f" (to {digits} significant digits)" if digits is not None else ""
        return Verdict("pass", f"✅ {name}: correct{to}")
    return Verdict("fail", f"❌ {name}: not yet.{advice}")


def check(
    answer: Any,
    expected: Any,
    *,
    digits: int | None = None,
    rtol: float = 1e-4,
    atol: float = 1e-6,
    name: str = "answer",
    hint: str = "",
) -> None:
    """Print whether an exercise answer is right: ✅, ❌ with the hint, or ⏳ not attempted yet.

    Takes the same arguments as `verdict`; never raises for a blank or malformed answer.
    """
    print(verdict(answer, expected, digits=digits, rtol=rtol, atol=atol, name=name, hint=hint).message)
