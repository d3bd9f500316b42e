"""Quiz mode: every expected answer is autograd's own number, every hint carries the step's real numbers."""

from __future__ import annotations

import json
import math
import re

import pytest
import torch

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule, product, two_layer, two_layer_inputs
from ani_graph.payload import unpack
from ani_graph.quiz import ZERO_FLOOR, is_right, parse_answer
from ani_graph.widget import PlayerWidget


def sin_reference() -> dict[str, float]:
    """∂y/∂(every tensor) of y = sin(a·x + c) at x=2, a=3, c=4, by torch.autograd.grad."""
    x, a, c = (torch.tensor(v, requires_grad=True) for v in (2.0, 3.0, 4.0))
    v1 = a * x
    v2 = v1 + c
    y = torch.sin(v2)
    grads = torch.autograd.grad(y, [v2, v1, c, a, x])
    return dict(zip(["v2", "v1", "c", "a", "x"], (float(g) for g in grads)))


def test_each_backward_question_expects_autograds_gradient(sin_graph):
    quiz = sin_graph.quiz()
    reference = sin_reference()
    questions = quiz.quiz["questions"]
    assert [q["name"] for q in questions] == ["v2", "v1", "c", "a", "x"]
    for q in questions:
        assert q["prompt"] == f"∂y/∂{q['name']}"
        assert q["answer"] == pytest.approx([reference[q["name"]]], rel=1e-6)
        # the question stands before the frame whose badge reveals that gradient
        assert q["node"] in quiz.frames[q["frame"]]["badges"]
    assert questions[0]["answer"][0] == pytest.approx(math.cos(10.0), rel=1e-6)
    assert questions[0]["shown"] == "−0.8391"


def test_a_wrong_answer_gets_the_ops_hint_with_the_steps_numbers(sin_graph):
    first = sin_graph.quiz().quiz["questions"][0]  # ∂y/∂v2, through sin
    assert first["hint"].startswith("the derivative of sin is cos: ∂y/∂v2 = ∂y/∂y · cos(v2)")
    assert "v2 = 10" in first["hint"]  # a·x + c = 3·2 + 4
    g = TorchGraph(lambda w, x: w * x, [3, 2])  # p = w·x, as in the issue
    hint = g.quiz().quiz["questions"][-1]["hint"]
    assert hint.startswith("× swaps its inputs: ∂out/∂x = ∂out/∂out · w")
    assert "w = 3" in hint


def test_hint_numbers_are_the_graphs_upstream_gradient_and_operand():
    g = TorchGraph(product, [2, 3], [2])  # y = a·b with ∂L/∂y = 2
    hints = {q["name"]: q["hint"] for q in g.quiz().quiz["questions"]}
    assert set(hints) == {"a", "b"}
    assert "∂L/∂y = 2" in hints["a"] and "b = 3" in hints["a"]
    assert "∂L/∂y = 2" in hints["b"] and "a = 2" in hints["b"]


def test_a_tensor_reached_twice_is_asked_for_its_running_total():
    g = TorchGraph(chain_rule, [2, 1])  # b reaches e through c = a + b and d = b + 1
    asked = [q for q in g.quiz().quiz["questions"] if q["name"] == "b"]
    assert [q["prompt"] for q in asked] == ["∂e/∂b", "∂e/∂b (total so far)"]
    a, b = (torch.tensor(v, requires_grad=True) for v in (2.0, 1.0))
    (total,) = torch.autograd.grad((a + b) * (b + 1), [b])
    via_c = torch.autograd.grad((a + b) * (b.detach() + 1), [b])[0]  # one path at a time
    via_d = torch.autograd.grad((a + b.detach()) * (b + 1), [b])[0]
    assert asked[0]["answer"][0] in (pytest.approx(float(via_c)), pytest.approx(float(via_d)))
    assert asked[1]["answer"] == pytest.approx([float(total)])
    first = asked[0]["answer"][0]
    assert asked[1]["hint"].endswith(f"then add what arrived before, {first:g}")


def test_a_square_written_x_times_x_hints_at_both_factors():
    g = TorchGraph(lambda x: x * x, [0.5])
    (q,) = g.quiz().quiz["questions"]
    x = torch.tensor(0.5, requires_grad=True)
    assert q["answer"] == [float(torch.autograd.grad(x * x, x)[0])]
    assert "∂out/∂out · (x + x)" in q["hint"] and "x = 0.5" in q["hint"]


def test_small_tensors_are_answered_whole_and_large_ones_one_seeded_element():
    g = TorchGraph(two_layer, two_layer_inputs())
    xs = [t.clone().requires_grad_(True) for t in two_layer_inputs()]
    reference = dict(zip(["x", "W1", "b1", "W2", "b2", "y"], torch.autograd.grad(two_layer(*xs), xs)))
    quiz = g.quiz(seed=3)
    asked = {q["name"]: q for q in quiz.quiz["questions"]}
    b2 = asked["b2"]  # 2 elements: both, comma-separated
    assert b2["element"] is None and b2["answer"] == pytest.approx(reference["b2"].tolist(), rel=1e-5)
    W1 = asked["W1"]  # 15 elements: one of them
    flat = reference["W1"].reshape(-1)
    assert W1["answer"] == pytest.approx([float(flat[W1["element"]])], rel=1e-5, abs=1e-7)
    row, col = divmod(W1["element"], 5)
    assert W1["prompt"] == f"∂loss/∂W1[{row}, {col}]"
    # the same seed asks the same elements; the choice is the seed's
    assert g.quiz(seed=3).quiz["questions"] == quiz.quiz["questions"]
    picks = {tuple(q["element"] for q in g.quiz(seed=s).quiz["questions"]) for s in range(6)}
    assert len(picks) > 1


def test_forward_questions_ask_for_each_ops_value(sin_graph):
    quiz = sin_graph.quiz("forward")
    asked = {q["name"]: q for q in quiz.quiz["questions"]}
    assert asked["v1"]["answer"] == [6.0] and asked["v2"]["answer"] == [10.0]
    assert asked["y"]["answer"] == pytest.approx([math.sin(10.0)], rel=1e-6)
    assert asked["v1"]["hint"] == "v1 = a × x, with a = 3, x = 2"
    assert [q["name"] for q in sin_graph.quiz("both").quiz["questions"]] == ["v1", "v2", "y", "v2", "v1", "c", "a", "x"]


def test_answers_are_right_within_a_relative_tolerance_with_a_floor_at_zero():
    assert parse_answer("−0.8391") == [-0.8391]
    assert parse_answer(" [1, -2.5e-1] ") == [1.0, -0.25]
    assert parse_answer("") is None and parse_answer("1, x") is None
    expected = [math.cos(10.0)]
    assert is_right([-0.8391], expected) and is_right([-0.84], expected)
    assert not is_right([-0.83], expected) and not is_right([0.8391], expected)
    assert is_right([-0.83], expected, tolerance=0.05)
    # near 0 the tolerance is relative to the floor: typing 0 for 1e-9 is right, 0.1 for 0 is not
    assert is_right([0.0], [1e-9]) and is_right([ZERO_FLOOR * 1e-3], [0.0]) and not is_right([0.1], [0.0])
    assert not is_right([1.0], [1.0, 2.0]) and not is_right(None, [1.0])


def test_animate_with_quiz_is_the_same_quiz_and_bad_options_say_what_to_do(sin_graph):
    assert sin_graph.animate(quiz=True, tolerance=0.05).quiz == sin_graph.quiz(tolerance=0.05).quiz
    assert sin_graph.quiz(tolerance=0.05).quiz["tolerance"] == 0.05
    assert sin_graph.animate().quiz is None
    with pytest.raises(ValueError, match="tolerance"):
        sin_graph.quiz(tolerance=2)
    with pytest.raises(ValueError, match="'backward', 'forward' or 'both'"):
        sin_graph.quiz("tangent")
    with pytest.raises(TypeError, match="seed"):
        sin_graph.quiz(seed="a")
    assert "a quiz of 5 questions" in repr(sin_graph.quiz())


def test_the_page_carries_the_quiz_and_the_widget_syncs_results_back(sin_graph):
    quiz = sin_graph.quiz()
    page = quiz.to_html()
    state = unpack(json.loads(re.search(r'class="ag-state">(.*?)</script>', page, re.S).group(1)))
    assert state["quiz"] == json.loads(json.dumps(quiz.quiz)) and "∂y/∂v2" in json.dumps(state, ensure_ascii=False)
    assert 'src="http' not in page and "fetch(" not in page and "XMLHttpRequest" not in page
    assert quiz.results == []  # no widget: the stand-alone page keeps its score to itself
    widget = quiz.widget
    assert isinstance(widget, PlayerWidget) and widget.quiz == quiz.quiz
    assert "quiz_results" in widget.keys and "inspect" in widget.keys
    answer = {"step": 1, "node": "v2", "prompt": "∂y/∂v2", "answer": [-0.84], "correct": True, "tries": 1}
    widget.quiz_results = [answer]  # what the browser writes
    assert quiz.results == [answer]
