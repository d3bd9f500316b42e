"""The exercise checker: real answers from real computations, blanks, precision as promised."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ani_graph import TorchGraph
from ani_graph.examples import sin_example
from ani_graph.exercises import check, verdict


def lesson_one_exercise():
    """∂y/∂x of y = a·sin(b·x) + c at a=5, b=4, c=7, x=2, from autograd."""
    x = torch.tensor(2.0, requires_grad=True)
    y = 5 * torch.sin(4 * x) + 7
    (dy_dx,) = torch.autograd.grad(y, x)
    return dy_dx


@pytest.mark.parametrize("blank", [None, ..., [..., ...], [1.0, None]])
def test_blank_answers_are_not_attempted_yet(blank, capsys):
    assert verdict(blank, [1.0, 2.0]).status == "blank"
    check(blank, [1.0, 2.0], name="ex 1")
    assert capsys.readouterr().out == "⏳ ex 1: not attempted yet\n"


def test_numbers_lists_arrays_and_tensors_all_compare_by_value():
    g = TorchGraph(sin_example, [2, 3, 4])
    want = g.grad("x")
    closed_form = 3 * math.cos(10)
    for answer in (closed_form, [closed_form], np.float64(closed_form), torch.tensor(closed_form)):
        assert verdict(answer, want), answer
    grads = [g.grad(n) for n in ("x", "a", "c")]
    by_hand = [3 * math.cos(10), 2 * math.cos(10), math.cos(10)]
    assert verdict(grads, torch.stack(grads))  # a list of tensors
    assert verdict(np.array(by_hand), grads)
    assert verdict(torch.tensor(by_hand, requires_grad=True), grads)  # a tensor that needs grad is fine


def test_a_wrong_answer_fails_with_the_hint(capsys):
    want = lesson_one_exercise()
    check(want.item() + 0.5, want, name="ex 1", hint="Differentiate sin first.")
    assert capsys.readouterr().out == "❌ ex 1: not yet. Differentiate sin first.\n"
    assert verdict(-want, want).status == "fail"


def test_calculator_precision_accepts_three_significant_digits():
    want = TorchGraph(sin_example, [2, 3, 4]).grad("x")  # 3·cos(10) = −2.5172…
    exact = 3 * math.cos(10)
    rounded = float(f"{exact:.3g}")  # −2.52
    cut = math.trunc(exact * 100) / 100  # −2.51: cut off, not rounded
    assert verdict(rounded, want, digits=3) and verdict(cut, want, digits=3)
    assert not verdict(rounded + 0.02, want, digits=3)  # off in the third digit
    assert not verdict(float(f"{exact:.2g}"), want, digits=3)  # only two digits: −2.5
    assert not verdict(rounded, want)  # the default tolerance is much tighter than 3 digits
    assert verdict(rounded, want, digits=3).message.endswith("(to 3 significant digits)")
    assert verdict(20 * math.cos(8), lesson_one_exercise())  # lesson 1's exercise, by the closed form


def test_significant_digits_scale_with_each_element():
    want = torch.tensor([12345.0, 0.012345])
    assert verdict([12300.0, 0.0123], want, digits=3)
    assert not verdict([12300.0, 0.0133], want, digits=3)
    assert verdict([0.0, 1.0], [0.0, 1.0], digits=3)  # an exact zero needs a zero (within atol)
    assert not verdict([0.01, 1.0], [0.0, 1.0], digits=3)


def test_shapes_must_agree_but_a_scalar_in_a_list_is_fine():
    x = torch.arange(4.0, requires_grad=True)
    (2 * torch.dot(x, x)).backward()
    assert verdict((4 * torch.arange(4.0)).tolist(), x.grad)
    result = verdict([0.0, 4.0, 8.0], x.grad)
    assert result.status == "fail" and "shape (3,)" in result.message and "(4,)" in result.message
    assert verdict([[0.0, 4.0], [8.0, 12.0]], x.grad).status == "fail"
    assert verdict(torch.tensor([2.0]), 2.0) and verdict(2.0, [2.0])


@pytest.mark.parametrize("answer", ["2.0", {"x": 2.0}, [1.0, [2.0, 3.0]], float("nan")])
def test_malformed_answers_fail_with_a_message_and_never_raise(answer, capsys):
    check(answer, [2.0], name="ex")
    out = capsys.readouterr().out
    assert out.startswith("❌ ex:"), out


def test_bad_digits_is_a_clear_error():
    with pytest.raises(ValueError, match="significant digits"):
        verdict(1.0, 1.0, digits=0)
