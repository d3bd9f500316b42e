"""The tracer and TorchGraph: every value and gradient, checked against torch.autograd."""

import math
import sys

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ani_graph import TorchGraph, record, trackable_function
from ani_graph.examples import Sigmoid

from .conftest import autograd_grads


def ops_of(g):
    return [a for _, a in g.nx.nodes(data=True) if a["kind"] == "op"]


def node_named(g, name):
    return g.nx.nodes[g.node_id(name)]


# ----- 1. TorchGraph ------------------------------------------------------------------


def test_headline_example_values_and_gradients(sin_graph):
    g = sin_graph
    assert g.inputs == ["x", "a", "c"]
    assert g.outputs == ["y"]
    assert torch.allclose(g.value("y"), torch.sin(torch.tensor(10.0)))
    assert torch.allclose(g.grad("x"), 3 * torch.cos(torch.tensor(10.0)))
    assert torch.allclose(g.grad("a"), 2 * torch.cos(torch.tensor(10.0)))
    assert torch.allclose(g.grad("c"), torch.cos(torch.tensor(10.0)))


@pytest.mark.parametrize(
    "given",
    [
        2,
        2.0,
        [1.0, 2.0],
        [[1, 2], [3, 4]],
        np.array([1.5, 2.5]),
        np.array([1, 2], dtype=np.int64),
        torch.tensor([3.0, 4.0]),
    ],
    ids=["int", "float", "list", "nested", "numpy", "numpy-int", "tensor"],
)
def test_inputs_become_float_tensors_that_need_grad(given):
    g = TorchGraph(lambda x: (x * x).sum(), [given])
    value = g.value("x")
    assert value.is_floating_point()
    assert torch.equal(value, torch.as_tensor(np.asarray(given), dtype=value.dtype))
    assert torch.allclose(g.grad("x"), 2 * value)


def test_integer_tensor_is_converted_not_rejected():
    g = TorchGraph(lambda x: (3 * x).sum(), [torch.tensor([1, 2])])
    assert g.value("x").dtype == torch.get_default_dtype()
    assert g.grad("x").tolist() == [3.0, 3.0]


def test_callers_tensor_is_not_modified_or_given_grad():
    mine = torch.tensor([1.0, 2.0], requires_grad=True)
    before = mine.detach().clone()
    g = TorchGraph(lambda x: (x**2).sum(), [mine])
    assert mine.grad is None
    assert torch.equal(mine.detach(), before)
    assert g.grad("x").tolist() == [2.0, 4.0]


def test_several_outputs_each_with_its_own_upstream_gradient():
    def f(x):
        return torch.sqrt(x), torch.sqrt(x)

    g = TorchGraph(f, [4], [4, 8])
    (expected,) = autograd_grads(f, [4.0], [4.0, 8.0])
    assert g.outputs == ["out0", "out1"]
    assert torch.allclose(g.grad("x"), expected)
    assert float(g.grad("x")) == pytest.approx(4 / 4 + 8 / 4)  # d√x/dx = 1/(2√x) = 1/4
    assert float(g.grad("out0")) == 4 and float(g.grad("out1")) == 8


def test_non_scalar_output_takes_grad_outputs():
    def f(x):
        return x * torch.tensor([1.0, 2.0, 3.0])

    g = TorchGraph(f, [[1.0, 1.0, 1.0]], [[0.5, 1.0, 2.0]])
    assert g.grad("x").tolist() == [0.5, 2.0, 6.0]
    g2 = TorchGraph(f, [[1.0, 1.0, 1.0]], [2])  # broadcasts to the output's shape
    assert g2.grad("x").tolist() == [2.0, 4.0, 6.0]


def test_construction_runs_forward_once_and_backward_once():
    calls = {"forward": 0, "backward": 0}

    class Double(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return 2 * x

        @staticmethod
        def backward(ctx, grad):
            calls["backward"] += 1
            return 2 * grad

    def f(x):
        calls["forward"] += 1
        return Double.apply(x).sum()

    g = TorchGraph(f, [[1.0, 2.0]])
    assert calls == {"forward": 1, "backward": 1}
    assert g.grad("x").tolist() == [2.0, 2.0]


# ----- 2. the bipartite graph ---------------------------------------------------------------------


def test_graph_is_bipartite_with_documented_attributes():
    g = TorchGraph(lambda x, a, c: torch.sin(a * x + c), [2, 3, 4])
    for u, v, attrs in g.nx.edges(data=True):
        ku, kv = g.nx.nodes[u]["kind"], g.nx.nodes[v]["kind"]
        assert (ku == "op") != (kv == "op"), (u, v)
        if kv == "op":
            assert {"arg", "value", "grad"} <= set(attrs)
        else:
            assert "out" in attrs
    for _, a in g.nx.nodes(data=True):
        if a["kind"] == "op":
            assert {"op", "label", "module", "backward"} <= set(a)
        else:
            assert a["kind"] in {"input", "param", "constant", "intermediate", "output"}
            assert {"name", "label", "value", "grad", "shape", "requires_grad"} <= set(a)


OP_CASES = [
    ("add", "+", lambda x, y: x + y),
    ("sub", "−", lambda x, y: x - y),
    ("mul", "×", lambda x, y: x * y),
    ("div", "÷", lambda x, y: x / y),
    ("neg", "−", lambda x, y: -x),
    ("pow", "^", lambda x, y: x**y),
    ("sqrt", "√", lambda x, y: torch.sqrt(x)),
    ("exp", "exp", lambda x, y: torch.exp(x)),
    ("log", "log", lambda x, y: torch.log(x)),
    ("sin", "sin", lambda x, y: torch.sin(x)),
    ("cos", "cos", lambda x, y: x.cos()),
    ("tanh", "tanh", lambda x, y: torch.tanh(x)),
    ("sigmoid", "σ", lambda x, y: torch.sigmoid(x)),
    ("relu", "ReLU", lambda x, y: F.relu(x)),
    ("maximum", "max", lambda x, y: torch.maximum(x, y)),
    ("max", "max", lambda x, y: torch.max(x, y)),
    ("min", "min", lambda x, y: torch.min(x, y)),
    ("abs", "|·|", lambda x, y: torch.abs(x)),
    ("clamp", "clamp", lambda x, y: torch.clamp(x, 0.5, 1.5)),
    ("sum", "Σ", lambda x, y: x.sum()),
    ("mean", "mean", lambda x, y: torch.mean(x)),
    ("dot", "·", lambda x, y: torch.dot(x, y)),
    ("matmul", "@", lambda x, y: x @ y),
    ("select", "[0]", lambda x, y: x[0]),
    ("slice", "[1:]", lambda x, y: x[1:]),
    ("slice", "[:, 1]", lambda x, y: x.view(2, 2)[:, 1]),
    ("view", "view", lambda x, y: x.view(2, 2)),
    ("reshape", "reshape", lambda x, y: x.reshape(4, 1)),
    ("transpose", "ᵀ", lambda x, y: x.view(2, 2).transpose(0, 1)),
    ("transpose", "ᵀ", lambda x, y: x.view(2, 2).T @ y.view(2, 2)),
    ("setitem", "[·]=", lambda x, y: _overwrite(x, y)),
    ("cat", "cat", lambda x, y: torch.cat([x, y])),
    ("stack", "stack", lambda x, y: torch.stack([x, y])),
]


def _overwrite(x, y):
    z = x * 1
    z[0] = y[1] * 3
    return z


@pytest.mark.parametrize("op,label,fn", OP_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(OP_CASES)])
def test_op_names_labels_and_gradients(op, label, fn):
    x0, y0 = [0.5, 1.0, 2.0, 3.0], [2.0, 0.75, 1.0, 0.5]
    go = torch.linspace(0.5, 2.0, fn(torch.tensor(x0), torch.tensor(y0)).numel()).reshape(
        fn(torch.tensor(x0), torch.tensor(y0)).shape
    )
    g = TorchGraph(fn, [x0, y0], [go])
    found = [a for a in ops_of(g) if a["op"] == op]
    assert found, [a["op"] for a in ops_of(g)]
    assert found[-1]["label"] == label
    expected = autograd_grads(fn, [x0, y0], [go])
    for name, ref in zip(["x", "y"], expected):
        got = g.grad(name)
        if ref is None:
            assert got is None
        else:
            assert torch.allclose(got, ref), (name, got, ref)


def test_linear_is_one_op_with_its_backward_nodes():
    layer = nn.Linear(3, 2)
    g = TorchGraph(lambda x: layer(x).sum(), [torch.ones(4, 5, 3)])
    linear = [a for a in ops_of(g) if a["op"] == "linear"]
    assert len(linear) == 1
    assert {"AddmmBackward0", "TBackward0"} <= set(linear[0]["backward"])
    assert any(b.startswith("View") or b.startswith("Unsafe") for b in linear[0]["backward"])
    x = torch.ones(4, 5, 3, requires_grad=True)
    gx, gw, gb = torch.autograd.grad(layer(x).sum(), [x, layer.weight, layer.bias])
    assert torch.allclose(g.grad("x"), gx)
    assert torch.allclose(g.grad("weight"), gw)
    assert torch.allclose(g.grad("bias"), gb)


# ----- 3. constants -----------------------------------------------------------------------------------


def test_python_number_shows_as_constant_node():
    g = TorchGraph(lambda x: 2 * x, [5])
    constants = [a for _, a in g.nx.nodes(data=True) if a["kind"] == "constant"]
    assert [float(a["value"]) for a in constants] == [2.0]
    assert constants[0]["label"] == "2"
    assert float(g.grad("x")) == 2.0


def test_reflected_ops_keep_the_written_order():
    g = TorchGraph(lambda x: 10 - x, [3])
    (sub,) = [n for n, a in g.nx.nodes(data=True) if a.get("op") == "sub"]
    by_arg = {a["arg"]: g.nx.nodes[u] for u, _, a in g.nx.in_edges(sub, data=True)}
    assert float(by_arg[0]["value"]) == 10.0 and by_arg[1]["name"] == "x"
    assert float(g.value("out")) == 7.0 and float(g.grad("x")) == -1.0


def test_detached_and_no_grad_results_are_constants_cut_from_the_graph():
    def f(x):
        u = (x * x).detach()
        with torch.no_grad():
            w = x * 3
        z = u * x + w
        return z

    g = TorchGraph(f, [2.0])
    u, w = node_named(g, "u"), node_named(g, "w")
    assert u["kind"] == "constant" and float(u["value"]) == 4.0
    assert w["kind"] == "constant" and float(w["value"]) == 6.0
    assert g.nx.in_degree(g.node_id("w")) == 0
    (cut,) = g.nx.predecessors(g.node_id("u"))  # detach() shows where it cut: an op with no backward
    (source,) = g.nx.predecessors(cut)
    assert g.nx.nodes[cut]["op"] == "detach" and g.nx.nodes[cut]["backward"] == []
    assert g.nx.edges[source, cut]["cut"] and g.nx.edges[source, cut]["grad"] is None
    assert float(g.grad("x")) == 4.0  # only through z = u·x, with u held fixed


# ----- 4. names -------------------------------------------------------------------------------------


def test_intermediates_take_local_variable_names(chain_graph):
    g = chain_graph
    assert [float(g.value(n)) for n in "cde"] == [3.0, 2.0, 6.0]
    assert g.outputs == ["e"]
    assert float(g.grad("a")) == 2.0  # ∂e/∂a = d
    assert float(g.grad("b")) == 5.0  # ∂e/∂b = d + c, two paths
    assert float(g.grad("c")) == 2.0 and float(g.grad("d")) == 3.0


def test_ambiguous_local_names_are_not_used():
    def f(x):
        y = x * 2
        z = y  # the same tensor under two names
        return z + 1

    g = TorchGraph(f, [1.0])
    names = {a.get("name") for _, a in g.nx.nodes(data=True)}
    assert "y" not in names and "z" not in names


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(2, 3)
        self.act = nn.Tanh()
        self.layer2 = nn.Linear(3, 1)

    def forward(self, x):
        hidden = self.act(self.layer1(x))
        return self.layer2(hidden)


def test_module_parameters_take_qualified_names_through_a_lambda():
    torch.manual_seed(0)
    model = TwoLayer()
    g = TorchGraph(lambda x: model(x).sum(), [[1.0, -1.0]])
    params = {a["name"] for _, a in g.nx.nodes(data=True) if a["kind"] == "param"}
    assert params == {"layer1.weight", "layer1.bias", "layer2.weight", "layer2.bias"}
    modules = [a["module"] for a in ops_of(g)]
    assert modules[:3] == ["layer1", "act", "layer2"]
    x = torch.tensor([1.0, -1.0], requires_grad=True)
    expected = torch.autograd.grad(model(x).sum(), [x, model.layer1.weight, model.layer2.bias])
    assert torch.allclose(g.grad("x"), expected[0])
    assert torch.allclose(g.grad("layer1.weight"), expected[1])
    assert torch.allclose(g.grad("layer2.bias"), expected[2])
    assert model.layer1.weight.grad is None


def test_module_as_func_names_its_forward_locals():
    torch.manual_seed(0)
    model = TwoLayer()
    g = TorchGraph(model, [[0.5, 0.25]])
    assert g.inputs == ["x"]
    assert node_named(g, "hidden")["kind"] == "intermediate"
    assert g.outputs == ["out"]


# ----- 5. custom Functions ------------------------------------------------------------------------------


class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return scale * x**3

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ctx.scale * 3 * x**2, None


def test_decorated_function_is_labelled_and_correct():
    g = TorchGraph(lambda x: Sigmoid.apply(x), [0.3])
    (op,) = ops_of(g)
    assert op["op"] == "Sigmoid" and op["label"] == "$\\sigma$"
    s = 1 / (1 + math.exp(-0.3))
    assert float(g.value("out")) == pytest.approx(s, rel=1e-6)
    assert float(g.grad("x")) == pytest.approx(s * (1 - s), rel=1e-6)


def test_undecorated_function_shows_under_its_class_name():
    g = TorchGraph(lambda x: Cube.apply(x, 2.0).sum(), [[1.0, 2.0]])
    cube = [a for a in ops_of(g) if a["op"] == "Cube"]
    assert len(cube) == 1 and cube[0]["label"] == "Cube"
    assert g.grad("x").tolist() == [6.0, 24.0]  # 2·3x²


def test_trackable_function_rejects_non_functions():
    with pytest.raises(TypeError, match="torch.autograd.Function"):
        trackable_function(int)


# ----- 6. record() ----------------------------------------------------------------------------------------


def test_record_a_training_step():
    torch.manual_seed(1)
    model = TwoLayer()
    some_input = torch.tensor([[0.2, -0.4], [1.0, 0.5]])
    ideal_output = torch.tensor([[1.0], [0.0]])
    with record() as rec:
        prediction = model(some_input)
        loss = (ideal_output - prediction).pow(2).sum()
    g = rec.graph(loss)
    assert g.outputs == ["loss"]
    assert node_named(g, "prediction")["kind"] == "intermediate"
    assert node_named(g, "some_input")["kind"] == "constant"
    expected = torch.autograd.grad(loss, list(model.parameters()), retain_graph=True)
    for (name, _), ref in zip(model.named_parameters(), expected):
        assert torch.allclose(g.grad(name), ref), name
    assert all(p.grad is None for p in model.parameters())
    loss.backward()  # the user's own backward still works afterwards, with the same result
    for p, ref in zip(model.parameters(), expected):
        assert torch.allclose(p.grad, ref)


def test_record_graph_needs_a_recorded_output():
    outside = torch.tensor(1.0, requires_grad=True) * 2
    with record() as rec:
        pass
    with pytest.raises(ValueError, match="not computed inside"):
        rec.graph(outside)


# ----- 7. no side effects -------------------------------------------------------------------------------------


def _global_state():
    from torch.nn.modules import module as m

    return (
        torch._C._len_torch_function_stack(),
        len(m._global_forward_pre_hooks),
        len(m._global_forward_hooks),
        torch.autograd.function.Function.__dict__["apply"],
        sys.getprofile(),
    )


def test_no_mode_hook_or_patch_is_left_after_success():
    before = _global_state()
    model = TwoLayer()
    TorchGraph(lambda x: Sigmoid.apply(model(x)).sum(), [[1.0, 2.0]])
    assert _global_state() == before


def test_no_mode_hook_or_patch_is_left_after_an_error():
    before = _global_state()
    model = TwoLayer()

    def broken(x):
        model(x)
        raise ZeroDivisionError("user bug")

    with pytest.raises(ZeroDivisionError, match="user bug"):
        TorchGraph(broken, [[1.0, 2.0]])
    assert _global_state() == before


def test_users_backward_afterwards_gives_what_it_gives_without_ani_graph():
    torch.manual_seed(0)
    model = TwoLayer()
    x = torch.tensor([[0.3, 0.7]])
    TorchGraph(lambda x: model(x).sum(), [x])
    model(x).sum().backward()
    with_ani = [p.grad.clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    model(x).sum().backward()
    assert all(torch.equal(a, p.grad) for a, p in zip(with_ani, model.parameters()))


def test_func_runs_once_and_the_rng_is_left_as_it_was():
    def f(x):
        noise = torch.rand(3)
        return (x * noise).sum()

    torch.manual_seed(123)
    g = TorchGraph(f, [[1.0, 1.0, 1.0]])
    after_graph = torch.rand(3)
    torch.manual_seed(123)
    plain_noise = torch.rand(3)
    assert torch.allclose(g.grad("x"), plain_noise)  # func drew its noise once, from the caller's state
    assert torch.equal(after_graph, plain_noise)  # and the caller's next draw is as if no graph was built


# ----- 8. robustness --------------------------------------------------------------------------------------------


def test_a_10000_op_chain_traces():
    def chain(x):
        for _ in range(10_000):
            x = x * 1.0001
        return x

    g = TorchGraph(chain, [1.0])
    assert sum(1 for a in ops_of(g)) == 10_000
    assert float(g.grad("x")) == pytest.approx(1.0001**10_000, rel=1e-3)


def test_rejected_in_place_op_still_raises_pytorchs_error_naming_op_and_tensor():
    def f(x):
        y = torch.exp(x)  # exp saves its result for backward
        y.add_(1)
        return y.sum()

    with pytest.raises(RuntimeError) as info:
        TorchGraph(f, [[1.0, 2.0]])
    text = str(info.value)
    assert "modified by an inplace operation" in text
    assert "Exp" in text and "`y`" in text and "add_" in text


def test_accepted_in_place_op_gives_correct_gradients():
    def f(x):
        y = x * 2
        y.add_(1)
        z = y * y
        return z.sum()

    g = TorchGraph(f, [[1.0, 2.0]])
    (ref,) = autograd_grads(f, [[1.0, 2.0]])
    assert torch.allclose(g.grad("x"), ref)


# ----- 9. bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "func,inputs,grad_outputs,error,pattern",
    [
        (lambda x: 3.0, [1], None, TypeError, "needs a tensor"),
        (lambda x: [x * 2, "no"], [1], None, TypeError, "output 1"),
        (lambda x: x * 2, ["abc"], None, TypeError, "input 'x' is str"),
        (lambda x: x * 2, [None], None, TypeError, "input 'x' is NoneType"),
        (lambda x, y: x * y, [1], None, TypeError, r"2 positional argument\(s\) \(x, y\) but inputs has 1"),
        (lambda x: x * 2, [1, 2], None, TypeError, "but inputs has 2"),
        (lambda x: x * 2, 5, None, TypeError, "inputs must be a list"),
        (lambda x: (x, x), [1], [1], ValueError, "grad_outputs has 1 entries but func returned 2"),
        (lambda x: x * 2, [[1.0, 2.0]], [[1.0, 2.0, 3.0]], ValueError, "does not broadcast"),
        (lambda x: x * 2, [[1.0, 2.0]], None, ValueError, "grad_outputs"),
        (lambda x: x * 2, [1 + 2j], None, TypeError, "complex"),
        (lambda x: x * 2, [torch.tensor([1 + 1j])], None, TypeError, "complex"),
        (lambda x: x * 2, [np.array([1 + 1j])], None, TypeError, "complex"),
        (lambda x: x * 2, [[1.0, [2.0, 3.0]]], None, TypeError, "cannot become a tensor"),
    ],
)
def test_bad_input_gets_a_clear_error(func, inputs, grad_outputs, error, pattern):
    with pytest.raises(error, match=pattern):
        TorchGraph(func, inputs, grad_outputs)


def test_not_callable_func_is_a_type_error():
    with pytest.raises(TypeError, match="callable"):
        TorchGraph(3, [1])


def test_unknown_name_lists_the_known_ones():
    g = TorchGraph(lambda x: x * 2, [1])
    with pytest.raises(KeyError, match="named tensors: out, x"):
        g.value("nope")


def test_values_before_an_in_place_change_are_kept():
    def f(x):
        y = x * 2
        view = y[:1]
        view.mul_(10)  # writes into y's storage through a view
        y.add_(1)
        return y.sum()

    g = TorchGraph(f, [[1.0, 2.0]])
    values = [a["value"].tolist() for _, a in g.nx.nodes(data=True) if a["kind"] in ("intermediate", "output")]
    assert values[0] == [2.0, 4.0]  # y as first computed
    assert [20.0] in values and [21.0, 5.0] in values
    (ref,) = autograd_grads(f, [[1.0, 2.0]])
    assert torch.allclose(g.grad("x"), ref)


def test_relu_inplace_keeps_the_value_it_read():
    def f(x):
        y = x * 1
        z = F.relu(y, inplace=True)
        return z.sum()

    g = TorchGraph(f, [[-1.0, 2.0]])
    values = [a["value"].tolist() for _, a in g.nx.nodes(data=True) if a["kind"] in ("intermediate", "output")]
    assert values[0] == [-1.0, 2.0]
    assert g.grad("x").tolist() == [0.0, 1.0]


def test_works_under_a_profiler_and_leaves_it_running():
    import cProfile

    def f(a, b):
        c = a * b
        return c + 1

    profiler = cProfile.Profile()
    profiler.enable()
    try:
        g = TorchGraph(f, [2, 3])
        active = sys.getprofile()
    finally:
        profiler.disable()
    assert active is not None  # the profiler was not replaced
    assert float(g.value("c")) == 6.0 and float(g.grad("a")) == 3.0


def test_nested_modules_of_one_class_name_the_outermost_forward():
    inner = nn.Sequential(nn.Linear(2, 2), nn.Tanh())
    outer = nn.Sequential(inner, nn.Linear(2, 1))
    g = TorchGraph(outer, [[1.0, 2.0]])
    assert g.inputs == ["input"] and g.outputs == ["out"]
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (ref,) = torch.autograd.grad(outer(x).sum(), [x])
    assert torch.allclose(g.grad("input"), ref)


def test_tensors_above_the_value_limit_keep_only_a_summary():
    from ani_graph.summary import TensorSummary

    def f(w):
        h = w * 2
        return h.sum()

    big = torch.ones(100, 50)
    g = TorchGraph(f, [big], value_limit=1000)
    summary = g.value("h")
    assert isinstance(summary, TensorSummary)
    assert tuple(summary.shape) == (100, 50) and summary.mean == 2.0 and summary.max == 2.0
    assert isinstance(g.grad("w"), TensorSummary) and g.grad("w").mean == 2.0
    assert "[100×50, mean 2]" in g.to_svg(with_all=True)
    raised = TorchGraph(f, [big], value_limit=10_000)  # the user raises the limit: full values
    assert torch.equal(raised.value("h"), big * 2)
    assert torch.equal(raised.grad("w"), torch.full((100, 50), 2.0))
    with pytest.raises(ValueError, match="value_limit"):
        TorchGraph(f, [big], value_limit=0)


def test_outputs_record_their_upstream_gradient():
    def f(y):
        z = 3 * y
        return y, z  # y is an output and also feeds z

    g = TorchGraph(f, [2.0], [1.0, 1.0])
    y = g.nx.nodes[g.node_id("y")]
    assert float(y["upstream"]) == 1.0 and float(y["grad"]) == 4.0  # 1 from outside, 3 through z
    assert float(g.nx.nodes[g.node_id("z")]["upstream"]) == 1.0
    assert "upstream" not in g.nx.nodes[next(iter(g.nx.predecessors(g.node_id("z"))))]  # ops carry none


def test_the_recorder_and_its_tensors_are_freed_when_the_trace_ends(monkeypatch):
    # a reference cycle (recorder -> mode -> bound method -> recorder) would keep every
    # recorded tensor alive until a full garbage collection; nothing may wait for one
    import gc
    import weakref

    from ani_graph.tracing import recorder as recorder_module

    made = []
    original = recorder_module.Recorder.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        made.append(weakref.ref(self))

    monkeypatch.setattr(recorder_module.Recorder, "__init__", init)
    gc.disable()
    try:
        g = TorchGraph(lambda x: (x * 2).sin().sum(), [[1.0, 2.0]])
        assert g.nx is not None  # the graph is built from the recording on first use; then the recording goes
        assert made and made[0]() is None
    finally:
        gc.enable()
    assert g.grad("x").tolist() == (2 * torch.cos(2 * torch.tensor([1.0, 2.0]))).tolist()
