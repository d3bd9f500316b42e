"""Each edge's share of a gradient: what one op sends back to one tensor, checked against autograd.

A tensor read by one op alone gets its share without a hook (it is its whole gradient);
these tests hold the shares to closed forms and to the sum rule (a tensor's gradient is
the sum of its readers' shares, plus the upstream gradient of an output) in the cases
where that shortcut must not be taken: several readers, outputs read again, a user's
hook, in-place writes through a view.
"""

import math

import pytest
import torch
import torch.nn as nn

from ani_graph import TorchGraph
from ani_graph.tracing import Recorder
from ani_graph.tracing import recorder as recorder_module

from .conftest import autograd_grads


def share(g, tensor, op_name):
    """The share on the edge from tensor `tensor` (a name) into the op called `op_name`."""
    u = g.node_id(tensor)
    found = [a["grad"] for _, v, a in g.nx.out_edges(u, data=True) if g.nx.nodes[v]["op"] == op_name]
    assert len(found) == 1, found
    return found[0]


def assert_sum_rule(g):
    """Every current tensor's gradient is the sum of the shares of the ops that read it (+ upstream)."""
    for u, a in g.nx.nodes(data=True):
        if a["kind"] == "op" or a["grad"] is None:
            continue
        parts = [e["grad"] for _, _, e in g.nx.out_edges(u, data=True) if e.get("grad") is not None]
        if "upstream" in a and a["upstream"] is not None:
            parts.append(a["upstream"].expand_as(a["grad"]))
        assert parts, u
        total = parts[0]
        for p in parts[1:]:
            total = total + p
        torch.testing.assert_close(total, a["grad"], msg=f"node {u}")


def test_one_reader_share_is_the_gradient_along_a_chain():
    def f(x):
        a = x * 1.5
        b = a.sin()
        return b * b

    g = TorchGraph(f, [0.7])
    x = torch.tensor(0.7)
    a, b = x * 1.5, torch.sin(x * 1.5)
    torch.testing.assert_close(share(g, "b", "mul"), 2 * b)  # b * b: one edge, both factors
    torch.testing.assert_close(share(g, "a", "sin"), 2 * b * torch.cos(a))
    torch.testing.assert_close(share(g, "x", "mul"), 2 * b * torch.cos(a) * 1.5)
    ref = autograd_grads(f, [0.7])
    torch.testing.assert_close(g.grad("x"), ref[0])
    assert_sum_rule(g)


def test_a_tensor_read_by_two_ops_gets_two_shares():
    def f(x):
        a = x * 2
        b = x.sin()
        return a * b

    g = TorchGraph(f, [0.3])
    x = torch.tensor(0.3)
    torch.testing.assert_close(share(g, "x", "sin"), 2 * x * torch.cos(x))
    torch.testing.assert_close(share(g, "x", "mul")[()], 2 * torch.sin(x))
    assert_sum_rule(g)


def test_an_output_read_again_keeps_its_own_share_apart_from_its_upstream():
    def f(x):
        y = x.sin()
        z = y * 3
        return y, z

    g = TorchGraph(f, [0.4], [2.0, 5.0])
    y = math.sin(0.4)
    assert math.isclose(float(share(g, "y", "mul")), 15.0, rel_tol=1e-6)  # what z = 3·y sends back: 3 · 5
    assert math.isclose(float(g.grad("y")), 2.0 + 15.0, rel_tol=1e-6)
    assert math.isclose(float(share(g, "x", "sin")), 17.0 * math.cos(0.4), rel_tol=1e-6)
    assert math.isclose(float(g.value("y")), y, rel_tol=1e-6)
    assert_sum_rule(g)


def test_a_users_hook_changes_the_gradient_not_the_share_the_op_sent():
    def f(x):
        h = x * 3
        h.register_hook(lambda grad: grad * 2)
        return h.sin()

    g = TorchGraph(f, [0.5])
    h = torch.tensor(1.5)
    torch.testing.assert_close(share(g, "h", "sin"), torch.cos(h))  # before the hook doubled it
    torch.testing.assert_close(g.grad("x"), autograd_grads(f, [0.5])[0])  # the hook counts in x's gradient


def _in_place_through_a_view(x):
    y = x * 1.0
    v = y[0]
    v.mul_(3)
    return (y * x).sum() + v


def _in_place(x):
    y = x * 2
    y.add_(x.sin())
    return (y * y).sum()


def _fan_out(x):
    a = x.tanh()
    return (a * 2 + a.sin() - a).sum()


@pytest.mark.parametrize("func", [_in_place_through_a_view, _in_place, _fan_out])
def test_shares_without_hooks_are_the_shares_the_hooks_catch(func, monkeypatch):
    fast = TorchGraph(func, [[1.0, 2.0]])
    torch.testing.assert_close(fast.grad("x"), autograd_grads(func, [[1.0, 2.0]])[0])
    # the eager backward, with a hook on every edge
    monkeypatch.setattr(recorder_module, "one_reader", lambda rec, outputs, wanted: {})
    monkeypatch.setattr(Recorder, "deferrable", lambda self, outputs: False)
    hooked = TorchGraph(func, [[1.0, 2.0]])
    for u, v, a in hooked.nx.edges(data=True):
        if a.get("grad") is None:
            assert fast.nx.edges[u, v].get("grad") is None, (u, v)
        else:
            torch.testing.assert_close(fast.nx.edges[u, v]["grad"], a["grad"], msg=f"edge {u}->{v}")


def test_a_small_model_keeps_the_sum_rule_in_every_tensor():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    x = torch.randn(5, 3)
    g = TorchGraph(lambda x: model(x).pow(2).mean(), [x])
    assert_sum_rule(g)
    loss = model(x).pow(2).mean()
    ref = torch.autograd.grad(loss, list(model.parameters()))
    torch.testing.assert_close(g.grad("0.weight"), ref[0])
    torch.testing.assert_close(g.grad("2.bias"), ref[3])
