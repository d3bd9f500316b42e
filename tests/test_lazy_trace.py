"""The lazy tracer builds the same graph as the eager one, from its log, when first asked.

`TorchGraph` records with `Recorder(lazy=True)`: the forward only logs calls, the backward
runs from the log, and nodes, edges and attributes are built on first use of `g.nx`. The
eager recorder (`lazy=False`, what `record()` uses) is the reference: every node id,
edge, attribute, value and gradient, and the SVG, must come out the same.
"""

from __future__ import annotations

import functools

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from ani_graph import TorchGraph
from ani_graph import graph as graph_module
from ani_graph.examples import Sigmoid, sin_example, two_layer, two_layer_inputs
from ani_graph.summary import TensorSummary
from ani_graph.tracing import Recorder

from .conftest import autograd_grads
from .test_shares import assert_sum_rule


def _in_place_view(x):
    y = x * 2
    v = y[0]
    v.mul_(3)
    w = torch.sin(x) * 1
    w.add_(1)
    return (y.sum() + v.sum()) * w.sum()


def _custom(x):
    return Sigmoid.apply(x) * x


def _cut(x):
    a = x * 3
    return a * a.detach() + x


def _chain(x):
    for _ in range(60):
        x = x * 1.0001
    return x


def _fan_out(x, w):
    h = x * w
    return (h * h + h.sin() + w).sum()


def _dropout_in_place(x):
    torch.manual_seed(0)
    y = x * 2
    F.dropout(y, 0.5, True, True)  # changes y in place, though no `inplace=` keyword says so
    return (y * x).sum()


def _grown_list(x):
    parts = [x * 2]
    s = torch.stack(parts)  # the list it read grows before the graph is built
    parts.append(x * 3)
    return s.sum() * torch.stack(parts).sum()


def _keywords(x, w):
    h = F.layer_norm(x * w, [x.shape[-1]], weight=w, eps=1e-5)  # a list operand and keywords
    if h.dim() == 2 and h.size(0) == x.size(0):  # shape questions: no op
        h = F.dropout(h, p=0.5, training=False)
    h = torch.add(h, x, alpha=2) + torch.sub(h, w, alpha=1)  # alpha=1 is a plain −
    return torch.cat([h[0], h[1:].flatten()], dim=0).pow(2).sum()


def _transformer():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
    return lambda x: enc(x).sum(), [torch.randn(2, 3, 8)]


def _batch_norm():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Tanh())
    return lambda x: model(x).pow(2).sum(), [torch.randn(5, 3)]


CASES = {
    "sin": lambda: (sin_example, [0.5, 2.0, 1.0]),
    "mlp": lambda: (two_layer, two_layer_inputs()),
    "transformer": _transformer,
    "in place and views": lambda: (_in_place_view, [[1.0, 2.0, 3.0]]),
    "custom Function": lambda: (_custom, [0.3]),
    "detach": lambda: (_cut, [2.0]),
    "chain": lambda: (_chain, [1.0]),
    "fan-out": lambda: (_fan_out, [[1.0, 2.0], [0.5, -1.0]]),
    "dropout in place": lambda: (_dropout_in_place, [[1.0, 2.0, 3.0, 4.0]]),
    "batch norm": _batch_norm,
    "a list that grows": lambda: (_grown_list, [[1.0, 2.0]]),
    "keywords and shape questions": lambda: (_keywords, [[[1.0, 2.0, 4.0], [0.5, -1.0, 3.0]], [0.5, 2.0, -1.0]]),
}


def _same(a, b) -> bool:
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, TensorSummary):
        return repr(a) == repr(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _same_call(a, b) -> bool:
    if a is None or b is None:
        return a is b
    fa, fb = a.fn, b.fn
    if isinstance(fa, functools.partial) and isinstance(fb, functools.partial):  # a custom Function's apply
        fa, fb = (fa.func, fa.args, fa.keywords), (fb.func, fb.args, fb.keywords)
    return fa == fb and (a.args, a.kwargs, a.slots, a.inplace) == (b.args, b.kwargs, b.slots, b.inplace)


def _eager(monkeypatch):
    def eager(*args, **kwargs):
        return Recorder(*args, **{**kwargs, "lazy": False})  # TorchGraph passes lazy=True itself

    monkeypatch.setattr(graph_module, "Recorder", eager)


@pytest.mark.parametrize("case", list(CASES))
def test_the_lazy_graph_is_the_eager_graph(case, monkeypatch):
    func, inputs = CASES[case]()
    lazy = TorchGraph(func, inputs)
    with monkeypatch.context() as m:
        _eager(m)
        eager = TorchGraph(func, inputs)
    assert list(lazy.nx.nodes) == list(eager.nx.nodes)
    assert list(lazy.nx.edges) == list(eager.nx.edges)
    for n in eager.nx.nodes:
        assert _same(dict(lazy.nx.nodes[n]), dict(eager.nx.nodes[n])), n
    for u, v in eager.nx.edges:
        assert _same(dict(lazy.nx.edges[u, v]), dict(eager.nx.edges[u, v])), (u, v)
    assert lazy.nx.graph == eager.nx.graph
    assert lazy._calls.keys() == eager._calls.keys()  # how each op is called again (forward mode, the check)
    for op, call in eager._calls.items():
        assert _same_call(lazy._calls[op], call), op
    assert lazy.to_svg() == eager.to_svg()


@pytest.mark.parametrize(
    "case", ["sin", "mlp", "transformer", "fan-out", "chain", "batch norm", "keywords and shape questions"]
)
def test_the_lazy_graph_holds_autograd_gradients_and_the_sum_rule(case):
    func, inputs = CASES[case]()
    g = TorchGraph(func, inputs)
    for name, want in zip(g.inputs, autograd_grads(func, inputs)):
        torch.testing.assert_close(g.grad(name), want)
    assert_sum_rule(g)


def test_the_graph_is_built_on_first_use_and_then_kept():
    g = TorchGraph(_fan_out, [[1.0, 2.0], [0.5, -1.0]])
    assert "nx" not in vars(g)  # nothing built yet: the constructor ran forward and backward only
    G = g.nx
    assert g.nx is G and "nx" in vars(g)
    x, w = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0])
    torch.testing.assert_close(g.grad("w"), autograd_grads(_fan_out, [x, w])[1])
    g.nx = G.copy()  # still a plain, assignable attribute
    assert g.nx is not G


def test_a_leaf_changed_after_the_trace_keeps_its_value_in_the_drawing():
    model = nn.Linear(2, 1)
    before = model.weight.detach().clone()
    g = TorchGraph(lambda x: model(x).sum(), [[1.0, 2.0]])
    with torch.no_grad():
        model.weight.add_(10.0)  # an optimizer step, before the graph is built
    torch.testing.assert_close(g.value("weight"), before)


def test_an_error_in_the_upstream_gradient_names_the_output():
    with pytest.raises(ValueError, match="output 'y' has shape"):
        TorchGraph(lambda x: (y := x * 2), [[1.0, 2.0]])  # noqa: F841


def test_a_module_that_raised_is_left_when_the_one_around_it_ends():
    class Fails(nn.Module):
        def forward(self, x):
            x = x * 2
            raise RuntimeError("no")

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = Fails()

        def forward(self, x):
            try:
                self.inner(x)
            except RuntimeError:
                pass
            return x.sin()

    outer = Outer()
    g = TorchGraph(lambda x: outer(x) * 3, [1.0])
    ops = [a for _, a in g.nx.nodes(data=True) if a["kind"] == "op"]
    assert [a["op"] for a in ops] == ["mul", "sin", "mul"]
    assert ops[-1]["module"] is None  # after `outer` ended: outside every module again
