"""A careless or hostile user: grad mode switched off, in-place tricks, odd outputs, bad
arguments, state a trace must not change. Each case gives a right picture (every
gradient compared with autograd) or a clear error that says what to do.
"""

from __future__ import annotations

import functools
import time

import pytest
import torch

from ani_graph import TorchGraph, record
from ani_graph.frames import state_at
from ani_graph.tracing import explain as explain_module


def ops(g) -> list[str]:
    return [a["op"] for _, a in g.nx.nodes(data=True) if a["kind"] == "op"]


def producer(g, nid):
    """The op node that made tensor node `nid`."""
    (op,) = g.nx.predecessors(nid)
    return op


# ----- grad mode ------------------------------------------------------------------------------------


@pytest.mark.parametrize("off", [torch.no_grad, lambda: torch.set_grad_enabled(False)])
def test_torchgraph_inside_no_grad_still_records_and_leaves_grad_mode_off(off):
    with off():
        g = TorchGraph(lambda x, a: torch.sin(a * x), [2.0, 3.0])
        assert not torch.is_grad_enabled()
    assert ops(g) == ["mul", "sin"]
    x, a = torch.tensor(2.0, requires_grad=True), torch.tensor(3.0, requires_grad=True)
    expected = torch.autograd.grad(torch.sin(a * x), [x, a])
    assert torch.allclose(g.grad("x"), expected[0]) and torch.allclose(g.grad("a"), expected[1])


def test_torchgraph_and_record_under_inference_mode_say_what_to_do():
    with torch.inference_mode():
        with pytest.raises(RuntimeError, match="inference_mode.*outside"):
            TorchGraph(lambda x: x * 2, [1.0])
        with pytest.raises(RuntimeError, match="inference_mode.*outside"):
            with record():
                pass


def test_record_under_no_grad_says_grad_was_off_not_that_the_output_is_foreign():
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with torch.no_grad():
        with record() as rec:
            loss = (w * 2).sum()
    with pytest.raises(ValueError, match="gradients switched off.*no_grad"):
        rec.graph(loss)


# ----- in-place changes the recorder does not see directly --------------------------------------------


def test_reading_a_tensor_after_an_in_place_change_through_its_view_reads_the_new_version():
    def f(x):
        y = x * 2
        v = y[0:1]
        v.mul_(5)  # changes y too
        z = y * 3
        return z.sum()

    g = TorchGraph(f, [[1.0, 2.0]])
    z = g.node_id("z")
    y_read = next(u for u in g.nx.predecessors(producer(g, z)) if g.nx.nodes[u]["kind"] != "constant")
    assert g.nx.nodes[y_read]["value"].tolist() == [10.0, 4.0]  # y after the write, not before
    assert g.nx.nodes[y_read]["name"] == "y"
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y0 = y.detach().clone().requires_grad_(True)
    y1 = y0.clone()
    y1[0:1].mul_(5)
    (z_grad,) = torch.autograd.grad((y1 * 3).sum(), y0)
    assert torch.allclose(g.grad("x"), 2 * z_grad)
    old_y = next(u for u in g.nx.predecessors(producer(g, y_read)) if g.nx.nodes[u]["value"].tolist() == [2.0, 4.0])
    assert torch.allclose(g.grad(old_y), z_grad)  # [15, 3]: 5·3 where the view was scaled, 3 elsewhere
    # the caption names the output the gradient came back through: the new y, not the view
    assert any(f["caption"].endswith("⊙ ∂y/∂v1 = [15, 3]") for f in g.frames("backward"))
    # every edge a gradient flows through shows its share, and the shares add up to the total
    for n, a in g.nx.nodes(data=True):
        if a["kind"] != "op" and a["grad"] is not None and g.nx.out_degree(n):
            shares = [d["grad"] for _, _, d in g.nx.out_edges(n, data=True) if d["grad"] is not None]
            assert shares and torch.allclose(sum(shares), a["grad"]), n


def test_reading_an_old_view_after_its_base_changed_reads_the_new_values():
    def f(x):
        y = x * 1
        v = y[1:]
        y.mul_(4)
        return (v * v).sum()

    g = TorchGraph(f, [[1.0, 2.0, 3.0]])
    square = [n for n, a in g.nx.nodes(data=True) if a["kind"] == "op" and a["op"] == "mul" and g.nx.in_degree(n) == 1]
    (read,) = g.nx.predecessors(square[-1])
    assert g.nx.nodes[read]["value"].tolist() == [8.0, 12.0]
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (expected,) = torch.autograd.grad(((x * 4)[1:] ** 2).sum(), x)
    assert torch.allclose(g.grad("x"), expected)


def test_a_custom_function_that_changes_its_input_in_place_keeps_the_value_it_read():
    class DoubleInPlace(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    def f(x):
        y = x * 1
        z = DoubleInPlace.apply(y)
        return (z * z).sum()

    g = TorchGraph(f, [[1.0, 2.0]])
    op = next(n for n, a in g.nx.nodes(data=True) if a.get("op") == "DoubleInPlace")
    (read,) = g.nx.predecessors(op)
    (made,) = g.nx.successors(op)
    assert g.nx.nodes[read]["value"].tolist() == [1.0, 2.0]  # before the op, not after
    assert g.nx.nodes[made]["value"].tolist() == [2.0, 4.0]
    assert g.grad("x").tolist() == [8.0, 16.0]  # d(Σ(2x)²)/dx = 8x


# ----- outputs ------------------------------------------------------------------------------------


def test_a_tensor_returned_twice_gets_both_upstream_gradients():
    def f(x):
        y = x * 3
        return y, y

    g = TorchGraph(f, [2.0])
    x = torch.tensor(2.0, requires_grad=True)
    y = x * 3
    (expected,) = torch.autograd.grad([y, y], x, [torch.tensor(1.0), torch.tensor(1.0)])
    assert float(g.grad("x")) == float(expected) == 6.0
    assert float(g.upstream("y")) == 2.0
    frames = g.frames("backward")
    assert frames[0]["badges"][g.node_id("y")]["grad"] == "2"
    assert state_at(frames, len(frames) - 1)["badges"][g.node_id("x")]["grad"] == "6"


def test_an_integer_output_needs_no_upstream_gradient():
    def f(x):
        return (x * x).sum(), x.argmax(dim=1)

    g = TorchGraph(f, [[[1.0, 5.0], [7.0, 2.0]]])
    assert g.upstream("out1") is None and g.value("out1").tolist() == [1, 0]
    x = torch.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    (expected,) = torch.autograd.grad((x * x).sum(), x)
    assert torch.equal(g.grad("x"), expected)
    g.animate("both").to_html()  # the integer output simply shows no gradient
    with pytest.raises(KeyError, match="not an output"):
        g.upstream("x")


# ----- captions of ops with extra numbers -------------------------------------------------------------


@pytest.mark.parametrize(
    "func, written, rule, grads",
    [
        (lambda x, y: torch.add(x, y, alpha=2), "out = x + 2·y = 1 + 2·3 = 7", "∂out/∂y = 2", (1.0, 2.0)),
        (lambda x, y: torch.sub(x, y, alpha=2), "out = x − 2·y = 1 − 2·3 = −5", "∂out/∂y = −2", (1.0, -2.0)),
        (lambda x, y: x.add(y, alpha=1), "out = x + y = 1 + 3 = 4", "∂out/∂x = 1", (1.0, 1.0)),
        (lambda x, y: torch.rsub(x, y), "out = y − x = 3 − 1 = 2", "∂out/∂x = −1", (-1.0, 1.0)),
    ],
)
def test_alpha_and_reflected_ops_read_as_what_they_compute(func, written, rule, grads):
    g = TorchGraph(func, [1.0, 3.0])
    forward = g.frames("forward")
    assert forward[1]["caption"] == written
    backward = g.frames("backward")
    assert any(rule in f["rule"] for f in backward)
    x, y = torch.tensor(1.0, requires_grad=True), torch.tensor(3.0, requires_grad=True)
    expected = torch.autograd.grad(func(x, y), [x, y])
    assert (float(g.grad("x")), float(g.grad("y"))) == grads == tuple(float(e) for e in expected)


# ----- the in-place error, explained in linear time ------------------------------------------------


def _loop_ending_in_an_in_place_error(n):
    def f(x):
        for _ in range(n):
            x = torch.sigmoid(x)  # sigmoid saves its output for backward
        x.add_(1)
        return x.sum()

    return f


def test_the_in_place_error_of_a_10000_op_loop_is_explained_at_once(monkeypatch):
    spent = []
    real = explain_module.explain

    def timed(*args):
        start = time.process_time()  # CPU time: other work on a shared machine does not count
        try:
            return real(*args)
        finally:
            spent.append(time.process_time() - start)

    monkeypatch.setattr("ani_graph.tracing.recorder.explain", timed)
    with pytest.raises(RuntimeError) as info:
        TorchGraph(_loop_ending_in_an_in_place_error(10_000), [[0.5, 1.0]])
    text = str(info.value)
    assert "modified by an inplace operation" in text  # PyTorch's own message comes first
    assert "the output of sigmoid was changed by an in-place add_" in text
    assert text.count("ani-graph:") == 1  # the one tensor that was changed, not every sigmoid
    assert spent and spent[0] < 5.0  # linear: well under 1 s; the quadratic search took 30 to 75 s


def test_a_10000_step_in_place_loop_traces_with_the_right_gradient():
    def f(x):
        y = x * 2
        for _ in range(10_000):
            y.mul_(1.0001)
        return y.sum()

    g = TorchGraph(f, [[1.0, 3.0]])
    x = torch.tensor([1.0, 3.0], requires_grad=True)
    (expected,) = torch.autograd.grad(f(x), x)
    assert torch.allclose(g.grad("x"), expected)
    assert ops(g).count("mul") == 10_001


def test_an_in_place_op_on_an_input_says_what_to_write_instead():
    def f(x):
        x.add_(1)
        return x

    with pytest.raises(RuntimeError) as info:
        TorchGraph(f, [1.0])
    text = str(info.value)
    assert "leaf Variable" in text and "`x` is a leaf tensor" in text and "x = x + 1" in text


def test_checkpoint_with_use_reentrant_says_to_pass_false():
    from torch.utils.checkpoint import checkpoint

    with pytest.raises(RuntimeError, match="use_reentrant=False"):
        TorchGraph(lambda x: checkpoint(lambda u: (u * 2).sin(), x, use_reentrant=True), [1.0])
    g = TorchGraph(lambda x: checkpoint(lambda u: (u * 2).sin(), x, use_reentrant=False), [1.0])
    assert float(g.grad("x")) == pytest.approx(2 * torch.cos(torch.tensor(2.0)).item())


@pytest.mark.parametrize("call", [lambda y: y.backward(), lambda y: torch.autograd.backward([y])])
def test_backward_inside_func_is_a_clear_error_and_leaves_no_grad(call):
    w = torch.nn.Parameter(torch.tensor(2.0))

    def f(x):
        y = (x * w).sum()
        call(y)
        return y

    with pytest.raises(RuntimeError, match="func calls backward.*record"):
        TorchGraph(f, [1.0])
    assert w.grad is None


def test_backward_inside_record_is_the_users_own_step():
    w = torch.tensor(2.0, requires_grad=True)
    with record() as rec:
        loss = w * w
        loss.backward(retain_graph=True)
    assert float(w.grad) == 4.0
    assert float(rec.graph(loss).grad("w")) == 4.0


# ----- state a trace must not change --------------------------------------------------------------------


def test_torchgraph_leaves_batchnorm_statistics_and_the_rng_as_they_were():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.BatchNorm1d(2), torch.nn.Dropout(0.5))
    buffers = {k: v.clone() for k, v in model.state_dict().items() if "running" in k or "num_batches" in k}
    rng = torch.get_rng_state()
    x = [[1.0, 2.0], [3.0, 5.0]]
    g = TorchGraph(model, [x], [torch.ones(2, 2)])
    assert all(torch.equal(model.state_dict()[k], v) for k, v in buffers.items())
    assert torch.equal(torch.get_rng_state(), rng)
    torch.set_rng_state(rng)  # the same forward, by hand, draws the same dropout mask
    xt = torch.tensor(x, requires_grad=True)
    (expected,) = torch.autograd.grad(model(xt).sum(), xt)
    assert torch.allclose(g.grad("input"), expected)


def test_record_keeps_what_the_users_own_code_changed():
    model = torch.nn.BatchNorm1d(2)
    with record() as rec:
        out = model(torch.tensor([[1.0, 2.0], [3.0, 6.0]], requires_grad=True)).pow(2).sum()
    rec.graph(out)
    assert model.running_mean.tolist() == pytest.approx([0.2, 0.4])  # as plain PyTorch leaves it
    assert int(model.num_batches_tracked) == 1


def test_nothing_is_left_after_an_error_deep_in_the_trace():
    w = torch.nn.Parameter(torch.ones(2))

    def f(x):
        y = torch.exp(x * w)
        y.add_(1)
        return y.sum()

    with pytest.raises(RuntimeError):
        TorchGraph(f, [[1.0, 2.0]])
    assert w.grad is None
    # the autouse fixture checks modes, the Function.apply patch, module hooks and grad mode


# ----- arguments ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, error, pattern",
    [
        (lambda: TorchGraph(lambda x: x, [1.0], value_limit="10"), TypeError, "value_limit must be a whole number"),
        (lambda: TorchGraph(lambda x: x, [1.0], value_limit=0), ValueError, "value_limit must be a whole number"),
        (lambda: record(value_limit=0), ValueError, "value_limit must be a whole number"),
        (lambda: record(value_limit="10"), TypeError, "value_limit must be a whole number"),
        (lambda: record(value_limit=True), TypeError, "value_limit must be a whole number"),
        (lambda: TorchGraph(lambda x: x * 2, [10**400]), ValueError, "too large for a floating-point"),
        (lambda: TorchGraph(lambda x: x * 2, [1.0], [10**400]), ValueError, "too large for a floating-point"),
        (lambda: TorchGraph(lambda x: x * 2, [torch.ones(2, device="meta")]), TypeError, "meta tensor"),
        (lambda: TorchGraph(lambda x: x.sum(), [torch.eye(2).to_sparse()]), TypeError, "to_dense"),
        (lambda: TorchGraph(_kw_only, [1.0]), TypeError, r"keyword-only argument\(s\) k.*lambda x, k"),
        (lambda: TorchGraph(functools.partial(_two, x=1.0), [2.0]), TypeError, "keyword-only argument.*y"),
        (lambda: TorchGraph(lambda: torch.ones(1), [1.0]), TypeError, "takes no positional arguments"),
    ],
)
def test_bad_arguments_get_clear_errors_before_any_work(make, error, pattern):
    with pytest.raises(error, match=pattern):
        make()


def _kw_only(x, *, k):
    return x * k


def _two(x, y):
    return x * y


def test_partials_name_their_remaining_arguments():
    g = TorchGraph(functools.partial(_two, y=3.0), [2.0])
    assert g.inputs == ["x"] and float(g.grad("x")) == 3.0
    g = TorchGraph(functools.partial(_two, torch.tensor(2.0)), [5.0])
    assert g.inputs == ["y"] and float(g.grad("y")) == 2.0


def test_value_limit_of_one_summarises_everything_and_still_animates():
    g = TorchGraph(lambda x: (x * 2).sin().sum(), [[1.0, 2.0, 3.0]], value_limit=1)
    assert g.value("x").shape == torch.Size([3])  # a TensorSummary: statistics only
    for direction in ("forward", "backward", "both"):
        assert g.frames(direction)
    g.animate("both").to_html()
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (expected,) = torch.autograd.grad((x * 2).sin().sum(), x)
    assert g.grad("x").mean == pytest.approx(float(expected.mean()))


def test_save_to_a_missing_folder_names_the_folder(tmp_path):
    anim = TorchGraph(lambda x: x * 3, [1.0]).animate()
    with pytest.raises(FileNotFoundError, match="does not exist; create it first"):
        anim.save(tmp_path / "no" / "such" / "page.html")


def test_a_sparse_intermediate_is_shown_by_its_values():
    g = TorchGraph(lambda x: (x.to_sparse() * 2).to_dense().sum(), [[1.0, 0.0, 3.0]])
    values = [a["value"] for _, a in g.nx.nodes(data=True) if a["kind"] != "op"]
    assert all(v.layout == torch.strided for v in values)
    assert any(v.tolist() == [2.0, 0.0, 6.0] for v in values)
    x = torch.tensor([1.0, 0.0, 3.0], requires_grad=True)
    (expected,) = torch.autograd.grad((x.to_sparse() * 2).to_dense().sum(), x)
    assert torch.equal(g.grad("x"), expected)
    assert "[2, 0, 6]" in g.to_svg(with_all=True)


def test_an_optimizer_step_after_the_trace_does_not_change_what_the_graph_shows():
    torch.manual_seed(1)
    model = torch.nn.Linear(2, 1)
    before = model.weight.detach().clone()
    g = TorchGraph(lambda x: model(x).sum(), [[1.0, 2.0]])
    w = torch.tensor([3.0, 4.0], requires_grad=True)
    with record() as rec:
        loss = (w * w).sum()
    g2 = rec.graph(loss)
    with torch.no_grad():  # what optimizer.step() does to the parameters afterwards
        model.weight.sub_(1.0)
        w.sub_(1.0)
    assert torch.equal(g.value("weight"), before)
    assert g2.value("w").tolist() == [3.0, 4.0] and g2.grad("w").tolist() == [6.0, 8.0]
    assert "[3, 4]" in g2.to_svg(with_all=True)


def test_a_name_shared_by_an_input_and_a_parameter_is_never_answered_silently():
    layer = torch.nn.Linear(2, 1)
    g = TorchGraph(lambda weight: layer(weight).sum(), [[1.0, 2.0]])
    with pytest.raises(KeyError, match="'weight' names 2 tensors.*t0 \\(input\\).*node id"):
        g.grad("weight")
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    expected = torch.autograd.grad(layer(x).sum(), [x, layer.weight])
    (param,) = [n for n, a in g.nx.nodes(data=True) if a["kind"] == "param" and a["name"] == "weight"]
    assert torch.equal(g.grad(g.node_id("t0")), expected[0]) and torch.equal(g.grad(param), expected[1])
