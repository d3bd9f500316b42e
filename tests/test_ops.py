"""The op catalogue is the one place an op is described: one entry changes drawing and captions."""

import torch

from ani_graph import TorchGraph, ops
from ani_graph.ops import OpInfo


def lse(a, b):
    y = torch.logaddexp(a, b)
    return y


def test_an_op_without_an_entry_is_drawn_under_its_own_name():
    g = TorchGraph(lse, [1.0, 2.0])
    assert "logaddexp" not in ops.OPS
    assert ">logaddexp</text>" in g.to_svg()
    frames = g.frames("both")
    assert "y = logaddexp(a, b)" in frames[1]["caption"]
    assert frames[-1]["rule"] == "logaddexp: the local derivative of logaddexp"


def test_adding_one_entry_draws_and_captions_a_new_op(monkeypatch):
    rule = "∂ log(eᵘ + eᵛ)/∂u = eᵘ/(eᵘ + eᵛ)"
    monkeypatch.setitem(ops.OPS, "logaddexp", OpInfo("⊕", rule, "infix", elementwise=True))
    a, b = torch.tensor([1.0, 0.0], requires_grad=True), torch.tensor([2.0, 0.0], requires_grad=True)
    ga, gb = torch.autograd.grad(torch.logaddexp(a, b), [a, b], torch.tensor([3.0, 1.0]))

    g = TorchGraph(lse, [[1.0, 0.0], [2.0, 0.0]], [[3.0, 1.0]])
    assert ">⊕</text>" in g.to_svg()  # the op node's label
    assert g.nx.nodes["op0"]["label"] == "⊕"
    frames = g.frames("both")
    assert frames[1]["caption"].startswith("y = a ⊕ b → ")  # written infix, as the entry says
    backward = [f for f in frames if f["phase"] == "backward"][1:]
    assert {f["rule"] for f in backward} == {f"⊕: {rule}"}
    # elementwise: the step is written out as upstream ⊙ local = share, with autograd's numbers
    by_input = {f["nodes"][1]: f for f in backward}
    share_a = by_input[g.node_id("a")]["edge_badges"][0][2]
    assert by_input[g.node_id("a")]["caption"].endswith(f"[3, 1] ⊙ {fmt(ga / torch.tensor([3.0, 1.0]))} = {share_a}")
    assert torch.allclose(g.grad("a"), ga) and torch.allclose(g.grad("b"), gb)


def fmt(t):
    from ani_graph.format import format_tensor

    return format_tensor(t)


def test_numbers_become_constants_only_for_ops_whose_entry_says_so(monkeypatch):
    def f(x):
        y = torch.pow(x, 2)
        return y

    kinds = sorted(a["kind"] for _, a in TorchGraph(f, [3.0]).nx.nodes(data=True))
    assert kinds.count("constant") == 1  # pow takes numbers: the exponent 2 is drawn
    monkeypatch.setitem(ops.OPS, "pow", OpInfo("^", "∂(aⁿ)/∂a = n·aⁿ⁻¹", "infix"))
    kinds = sorted(a["kind"] for _, a in TorchGraph(f, [3.0]).nx.nodes(data=True))
    assert kinds.count("constant") == 0


def test_custom_function_rule_comes_from_its_class():
    from ani_graph import trackable_function

    @trackable_function
    class Cube(torch.autograd.Function):
        name = "cube"
        rule = "d u³/du = 3u²"

        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * grad

    g = TorchGraph(lambda x: Cube.apply(x), [2.0])
    frame = g.frames()[1]
    assert frame["rule"] == "cube: d u³/du = 3u²"
    assert frame["caption"].endswith("= 1 · 12 = 12")
    x = torch.tensor(2.0, requires_grad=True)
    assert float(g.grad("x")) == float(torch.autograd.grad(x**3, x)[0]) == 12.0


def test_caption_forms_read_like_the_code():
    assert ops.lookup("add").write(["a", "b"], "+") == "a + b"
    assert ops.lookup("neg").write(["u"], "−") == "−u"
    assert ops.lookup("slice").write(["x"], "[1:]") == "x[1:]"
    assert ops.lookup("transpose").write(["W"], "ᵀ") == "Wᵀ"
    assert ops.lookup("sin").write(["u"], "sin") == "sin(u)"
    assert ops.property_op("T") == "transpose" and ops.property_op("shape") is None
    assert ops.index_op((slice(1, 2), slice(None, None, 3), None)) == ("slice", "[a:b]")  # too long to show
