"""The gradient check: autograd against finite differences, per tensor and per op, with real numbers."""

import pytest
import torch
import torch.nn as nn

from ani_graph import TorchGraph, record, trackable_function
from ani_graph.examples import Sigmoid, chain_rule, product, sin_example
from ani_graph.format import format_number, format_tensor

from .conftest import autograd_grads


@trackable_function
class ForgetfulSigmoid(Sigmoid):
    """The lesson's sigmoid with a backward that forgets the (1 − s) factor: the bug the check must find."""

    name = "$\\sigma$"

    @staticmethod
    def backward(ctx, grad_s):
        (s,) = ctx.saved_tensors
        return grad_s * s


def two_paths(x):
    y1 = torch.sqrt(x)
    y2 = torch.sqrt(x)
    return y1, y2


def doubling(x):
    y = x * 2
    while y.norm() < 1000:
        y = y * 2
    return y


def perceptron(x, w, b):
    return (w * x).sum() + b


def partials(x, y, z):
    return (x - 1) * (y - 2) ** 2 * (z - 3) ** 3 / torch.sqrt(x + y + z)


LESSONS = {
    "sin(a·x + c)": (sin_example, [2, 3, 4], None),
    "chain rule": (chain_rule, [2, 1], None),
    "product": (product, [2, 3], [2]),
    "custom sigmoid": (lambda x: Sigmoid.apply(x) * 2, [0.5], None),
    "two sqrt paths": (two_paths, [4.0], [4, 8]),
    "mean 3(x+2)²": (lambda x: (3 * (x + 2) ** 2).mean(), [[[1.0, 1.0], [1.0, 1.0]]], None),
    "doubling loop": (doubling, [[0.5, -0.25, 1.0]], [[0.1, 1.0, 0.0001]]),
    "ReLU at -10": (lambda x: torch.max(x, torch.tensor(0.0)), [-10.0], None),
    "ReLU at 100": (lambda x: torch.max(x, torch.tensor(0.0)), [100.0], None),
    "partial derivatives": (partials, [4.0, 5.0, 6.0], None),
    "perceptron": (perceptron, [[1.0, -2.0, 0.5], [0.3, 0.1, -0.7], 0.2], None),
    "2xᵀx": (lambda x: 2 * torch.dot(x, x), [[0.0, 1.0, 2.0, 3.0]], None),
    "two outputs": (lambda x: torch.stack([2 * x + torch.sin(x), 4 * x + torch.cos(x)]), [1.5], [[1.0, -1.0]]),
}


@pytest.mark.parametrize("example", list(LESSONS))
def test_every_lesson_example_passes_the_check(example):
    func, inputs, upstream = LESSONS[example]
    g = TorchGraph(func, inputs, upstream)
    report = g.check()
    assert report.ok, report
    assert report.wrong_ops == [] and report.not_differentiable == []
    assert [r.tensor for r in report.rows] == g.inputs
    for row, ref in zip(report.rows, autograd_grads(func, inputs, upstream)):
        assert row.ok is True and row.checked == ref.numel()
        assert torch.equal(row.autograd, g.grad(row.tensor))
        assert torch.allclose(row.numerical.float(), ref, rtol=1e-4, atol=1e-5), (row.tensor, row.numerical, ref)
        assert row.max_abs_error == pytest.approx(float((row.numerical - ref.double()).abs().max()), abs=1e-5)


def test_a_sigmoid_backward_missing_one_minus_s_is_reported_by_name():
    g = TorchGraph(lambda x: ForgetfulSigmoid.apply(x) * 2, [0.5])
    report = g.check()
    s = torch.sigmoid(torch.tensor(0.5, dtype=torch.float64))
    assert not report.ok
    (row,) = report.rows
    assert row.ok is False
    assert float(row.autograd) == pytest.approx(float(2 * s), rel=1e-6)  # what the wrong backward says
    assert float(row.numerical) == pytest.approx(float(2 * s * (1 - s)), rel=1e-6)  # what is true
    (culprit,) = report.wrong_ops
    assert (culprit.op, culprit.label, culprit.custom) == ("ForgetfulSigmoid", "$\\sigma$", True)
    assert [c.ok for c in report.ops] == [False, True]  # the × after it is fine
    text = repr(report)
    assert "✗ ForgetfulSigmoid (σ, op0): its backward disagrees with finite differences of its forward" in text
    assert "Check ForgetfulSigmoid.backward." in text
    error = format_number(float(2 * s - 2 * s * (1 - s)), 2)  # 2s²: what the missing factor costs
    assert text.splitlines()[2].split() == ["x", format_tensor(row.autograd), format_tensor(row.numerical), error, "✗"]


def test_the_check_changes_no_value_gradient_random_state_or_parameter():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Dropout(0.2), nn.Linear(4, 2))
    model.eval()
    g = TorchGraph(lambda x: model(x).pow(2).sum(), [[0.5, -1.0, 2.0]])
    before = {n: (a["value"].clone(), None if a.get("grad") is None else a["grad"].clone())
              for n, a in g.nx.nodes(data=True) if a["kind"] != "op"}  # fmt: skip
    params = {k: p.detach().clone() for k, p in model.named_parameters()}
    rng = torch.get_rng_state()
    report = g.check()
    assert report.ok, report
    assert {r.tensor for r in report.rows} == {"x", "0.weight", "0.bias", "3.weight", "3.bias"}
    for n, (value, grad) in before.items():
        assert torch.equal(g.nx.nodes[n]["value"], value)
        assert grad is None or torch.equal(g.nx.nodes[n]["grad"], grad)
    assert all(torch.equal(p, params[k]) and p.grad is None for k, p in model.named_parameters())
    assert torch.equal(torch.get_rng_state(), rng)


def test_relu_at_zero_and_max_with_ties_are_reported_as_not_differentiable():
    relu = TorchGraph(lambda x: torch.relu(x) * 3, [0.0]).check()
    (row,) = relu.rows
    assert row.ok is None and float(row.autograd) == 0 and float(row.numerical) == pytest.approx(1.5)
    assert relu.ok  # no derivative there is not a wrong derivative
    assert [c.op for c in relu.not_differentiable] == ["relu"]
    assert "x       0         1.5        1.5            not differentiable here" in repr(relu)
    assert "? x: one-sided derivatives differ (0 from the left, 3 from the right); autograd uses 0." in repr(relu)
    assert "? relu (ReLU, op0) is not differentiable at this point" in repr(relu)

    ties = TorchGraph(lambda a, b: torch.max(a, b), [2.0, 2.0]).check()
    assert [r.ok for r in ties.rows] == [None, None]
    assert [float(r.autograd) for r in ties.rows] == [0.5, 0.5]  # autograd splits a tie evenly
    assert [c.op for c in ties.not_differentiable] == ["max"]
    # away from the kink the same functions have derivatives, and they agree
    assert TorchGraph(lambda x: torch.relu(x) * 3, [0.25]).check().rows[0].ok is True
    assert [r.ok for r in TorchGraph(lambda a, b: torch.max(a, b), [2.0, 1.0]).check().rows] == [True, True]


def test_big_tensors_are_checked_on_an_even_sample():
    torch.manual_seed(0)
    w = torch.randn(50, 40)
    g = TorchGraph(lambda w, x: torch.tanh(w @ x).sum(), [w, torch.randn(40)])
    report = g.check(max_elements=16)
    row = report["w"]
    assert (row.checked, row.numel, row.ok) == (16, 2000, True)
    assert "✓ (16 of 2000 elements)" in repr(report)
    flat = g.grad("w").reshape(-1)
    assert torch.equal(row.autograd, flat[[round(i * 1999 / 15) for i in range(16)]].double())
    with pytest.raises(ValueError, match="max_elements must be a whole number ≥ 2"):
        g.check(max_elements=1)


def test_recorded_code_can_be_checked_and_summaries_cannot():
    w = torch.tensor([1.0, -2.0], requires_grad=True)
    with record() as rec:
        loss = (torch.sin(w) * w).sum()
    report = rec.graph(loss).check()
    assert report.ok and report["w"].ok
    assert torch.allclose(report["w"].numerical.float(), torch.sin(w) + w * torch.cos(w))
    g = TorchGraph(lambda x: (x * 2).sum(), [torch.ones(30)], value_limit=10)
    with pytest.raises(ValueError, match="kept only a summary .* rebuild it with a larger value_limit="):
        g.check()


def test_animate_check_marks_each_final_gradient_badge():
    g = TorchGraph(chain_rule, [2, 1])
    frames = g.animate(check=True).frames
    b = g.node_id("b")
    texts = [f["badges"][b]["grad"] for f in frames if "grad" in f["badges"].get(b, {})]
    assert texts == ["3", "5 ✓"]  # the first path's share is not the gradient yet; the total is checked
    (done,) = [f for f in frames if f["badges"].get(b, {}).get("grad") == "5 ✓"]
    assert done["caption"].endswith("→ 5 ✓ finite differences agree: 5")

    bad = TorchGraph(lambda x: ForgetfulSigmoid.apply(x) * 2, [0.5]).animate(check=True)
    x = bad.graph.node_id("x")
    (final,) = [f["badges"][x]["grad"] for f in bad.frames if "grad" in f["badges"].get(x, {})]
    assert final == f"{format_tensor(bad.graph.grad('x'))} ✗"
    s = torch.sigmoid(torch.tensor(0.5))
    (step,) = [f for f in bad.frames if f["badges"].get(x, {}).get("grad") == final]
    assert step["caption"].endswith(
        f"✗ finite differences give {format_tensor(2 * s * (1 - s))}; ForgetfulSigmoid's backward disagrees with its forward"
    )
    # the drawing makes room for the mark
    box = bad.graph.view(extra=bad._view["extra"]).boxes[x]
    assert box.width >= len("= " + final) * 11 * 0.62


def test_a_random_op_is_named_and_the_gradients_through_it_are_not_judged():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 8), nn.Dropout(0.5), nn.Linear(8, 1))  # training mode: dropout draws
    g = TorchGraph(lambda x: model(x).sum(), [[0.5, -1.0, 2.0]])
    report = g.check()
    assert report.random == ["dropout (op1)"]
    assert {r.tensor: r.ok for r in report.rows} == {
        "x": None,
        "0.weight": None,
        "0.bias": None,
        "2.weight": True,
        "2.bias": True,
    }
    # after the dropout the check uses the recorded draw, so the last layer's gradient is really checked
    (linear,) = g.nx.successors(g.node_id("2.weight"))
    (h,) = [u for u in g.nx.predecessors(linear) if g.nx.nodes[u]["kind"] == "intermediate"]  # dropout's output
    assert torch.allclose(report["2.weight"].numerical.float(), g.value(h).reshape(1, 8))  # ∂L/∂W = hᵀ
    assert "? dropout (op1) gives other numbers each time it runs (it is random)" in repr(report)
    frames = g.animate("tangent", wrt={"x": [1.0, 0.0, 0.0]}).frames
    assert any("dropout is random, and this tangent comes from a new draw" in f["rule"] for f in frames)


def test_a_long_graph_still_names_a_wrong_custom_function():
    def long_chain(x):
        for i in range(160):  # 320 ops: more than the check replays one by one
            x = torch.sin(x) * 1.01
            if i == 80:
                x = ForgetfulSigmoid.apply(x)
        return x

    report = TorchGraph(long_chain, [0.3]).check()
    assert report.skipped and report.intermediates == []
    assert [c.op for c in report.ops] == ["ForgetfulSigmoid"]  # only the hand-written backward is checked alone
    assert report.rows[0].ok is False and not report.ok
    assert "Intermediate tensors and built-in ops were not checked one by one" in repr(report)
