"""The tracer's fast path: requests kept per function, one backward-node walk, shape questions left alone."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ani_graph import TorchGraph, ops
from ani_graph import graph as graph_module
from ani_graph.tracing import recorder as recorder_module
from ani_graph.tracing.grad_fns import BackwardNodes, boundary_edges
from ani_graph.tracing.intercept import describe_call, request_of, writes

from .conftest import autograd_grads


def test_a_request_that_its_arguments_cannot_change_is_kept_and_follows_the_catalogue(monkeypatch):
    x = torch.ones(2)
    first = request_of(torch.mul, (x, x), {})
    assert request_of(torch.mul, (x, 2.0), {}) is first  # the same dict: nothing per call
    assert {k: v for k, v in first.items() if k != "fn"} == describe_call(torch.mul, (x, x), {})
    assert first["fn"] is torch.mul
    changed = dataclasses.replace(ops.OPS["mul"], label="⊗")
    monkeypatch.setitem(ops.OPS, "mul", changed)  # a changed catalogue entry is read again
    assert request_of(torch.mul, (x, x), {})["label"] == "⊗"


def test_requests_that_depend_on_the_arguments_are_made_per_call():
    x = torch.ones(3)
    assert request_of(torch.Tensor.__getitem__, (x, 0), {})["label"] == "[0]"
    assert request_of(torch.Tensor.__getitem__, (x, slice(1, None)), {})["label"] == "[1:]"
    assert request_of(torch.add, (x, x), {})["op"] == "add"
    assert request_of(torch.add, (x, x), {"alpha": 2})["op"] == "add_alpha"
    assert request_of(torch.add, (x, x), {"alpha": 1})["skip"] == ("alpha",)
    assert request_of(torch.Tensor.dim, (x,), {}) is None
    assert request_of(torch.Tensor.size, (x, 0), {}) is None


def test_the_walk_hands_each_edge_to_the_tensor_it_reaches_once():
    x = torch.tensor(0.7, requires_grad=True)
    h = x.sin()
    y = h * x
    made_by = {(id(h.grad_fn), h.output_nr): "h"}
    seen: dict = {}
    found = list(boundary_edges([y.grad_fn], seen, "op1", made_by, lambda v: "x" if v is x else None))
    assert [(type(fn).__name__, edges) for fn, edges in found] == [("MulBackward0", [(0, "h"), (1, "x")])]
    assert seen == {id(y.grad_fn): "op1"}
    assert list(boundary_edges([y.grad_fn], seen, "op2", made_by, lambda v: "x")) == []  # walked already
    book = BackwardNodes()
    book.add_tensor("h", h.grad_fn, h.output_nr)
    names, boundary = book.claim("op1", [y.grad_fn], {id(x): "x"})
    assert names == ["MulBackward0"] and [(i, t) for _, i, t in boundary] == [(0, "h"), (1, "x")]
    names, boundary = book.claim("op0", [h.grad_fn], {id(x): "x"})
    assert names == ["SinBackward0"] and [(i, t) for _, i, t in boundary] == [(0, "x")]


def test_shape_questions_make_no_op_and_the_gradients_are_autograds():
    def f(x):
        n = x.size(0) + x.dim() + x.numel()
        return (x * n).sin().sum()

    g = TorchGraph(f, [[0.5, 1.5]])
    assert [a["op"] for _, a in g.nx.nodes(data=True) if a["kind"] == "op"] == ["mul", "sin", "sum"]
    (want,) = autograd_grads(f, [[0.5, 1.5]])
    torch.testing.assert_close(g.grad("x"), want)


def test_buffers_come_back_and_modules_without_buffers_cost_no_copy():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2))
    before = model[1].running_mean.clone(), int(model[1].num_batches_tracked)
    g = TorchGraph(lambda x: model(x).sum(), [torch.randn(4, 2)])
    assert torch.equal(model[1].running_mean, before[0]) and int(model[1].num_batches_tracked) == before[1]
    rec_snapshot = g._pending[0]._snapshot
    kept = {type(m).__name__: k for m, k in rec_snapshot._buffers.values()}
    assert kept["Linear"] == {} and kept["Sequential"] == {}
    assert set(kept["BatchNorm1d"]) == {"running_mean", "running_var", "num_batches_tracked"}


def test_one_predicate_tells_a_call_that_may_write_to_its_operands():
    x = torch.ones(2)
    assert not writes(request_of(torch.mul, (x, x), {}), {})
    assert writes(request_of(torch.Tensor.mul_, (x, x), {}), {})
    assert writes(request_of(torch.mul, (x, x), {}), {"out": x})
    assert writes(request_of(torch.nn.functional.relu, (x,), {}), {"inplace": True})
    assert not writes(request_of(torch.nn.functional.relu, (x,), {}), {"inplace": False})
    assert writes({"op": "Sigmoid", "custom": True}, {})  # a custom Function may `mark_dirty` its input


def test_the_logs_backward_node_map_is_built_once_and_claims_as_the_eager_one(monkeypatch):
    calls = []
    real = recorder_module.made_by_of
    monkeypatch.setattr(recorder_module, "made_by_of", lambda log: calls.append(len(log)) or real(log))

    def f(x, w):
        h = x * w
        return (h * h + h.sin() + w).sum()

    x, w = torch.tensor([0.5, -1.0]), torch.tensor([2.0, 0.3])
    g = TorchGraph(f, [x, w])
    assert calls == [6]  # the deferred backward built it (x·w, h·h, sin, +, +, sum)
    edges = sorted((u, v) for u, v in g.nx.edges)
    assert calls == [6]  # the replay took the same map
    monkeypatch.setattr(graph_module.Recorder, "deferrable", lambda self, outputs: False)
    eager = TorchGraph(f, [x, w])
    assert sorted((u, v) for u, v in eager.nx.edges) == edges
    found = autograd_grads(f, [x, w])
    for name, want in zip(["x", "w"], found):
        assert torch.allclose(g.grad(name), want)


def test_input_names_read_once_per_code_keep_no_defaults_and_follow_the_defaults_count():
    from ani_graph.inputs import _PARAMETERS, input_names

    def make(default):
        def f(x, a=default):
            return x * a

        return f

    big = torch.ones(3)
    assert input_names(make(big), 2) == ["x", "a"]
    assert input_names(make(2.0), 1) == ["x"]  # same code, same count of defaults: read from the cache
    kept = [p for params in _PARAMETERS.values() for p in params]
    assert all(p.default is p.empty or p.default is None for p in kept)  # no tensor held by the cache

    def g(x, a):
        return x * a

    with pytest.raises(TypeError, match=r"2 positional argument\(s\) \(x, a\)"):
        input_names(g, 1)
