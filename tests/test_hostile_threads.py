"""Threads: a recording sees only its own thread's work, and traces in two threads at once
stay independent. Every test starts real threads and makes them overlap for certain
(barriers and events inside the traced code), and checks each gradient against autograd.
"""

from __future__ import annotations

import os
import threading

import torch

from ani_graph import TorchGraph, record, trackable_function
from ani_graph.tracing import active
from ani_graph.tracing.functions import PATCH
from ani_graph.tracing.naming import MODULE_HOOKS

WAIT = 60  # seconds: a barrier that times out fails the test instead of hanging it


def scale_function(name: str, k: float):
    """A custom Function multiplying by `k`, labelled `name`."""
    return trackable_function(
        type(
            name,
            (torch.autograd.Function,),
            {
                "name": name,
                "forward": staticmethod(lambda ctx, x: x * k),
                "backward": staticmethod(lambda ctx, g: g * k),
            },
        )
    )


def run_threads(*targets):
    """Run each target in its own thread; re-raise the first error in the test's thread."""
    results, errors = [None] * len(targets), []

    def wrap(i, target):
        try:
            results[i] = target()
        except BaseException as err:  # noqa: BLE001 - handed to the test thread
            errors.append(err)

    threads = [threading.Thread(target=wrap, args=(i, t)) for i, t in enumerate(targets)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT * 2)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


def ops(g) -> list[str]:
    return [a["op"] for _, a in g.nx.nodes(data=True) if a["kind"] == "op"]


def test_two_traces_at_once_keep_their_own_custom_functions():
    Double, Triple = scale_function("Double", 2.0), scale_function("Triple", 3.0)
    meet = threading.Barrier(2, timeout=WAIT)

    def twice(op):
        def f(x):
            meet.wait()  # both traces are recording now
            y = op.apply(x)
            meet.wait()
            y = op.apply(y) + x
            meet.wait()
            return y

        return lambda: TorchGraph(f, [1.5])

    g2, g3 = run_threads(twice(Double), twice(Triple))
    assert ops(g2) == ["Double", "Double", "add"] and ops(g3) == ["Triple", "Triple", "add"]
    assert float(g2.grad("x")) == 2 * 2 + 1 and float(g3.grad("x")) == 3 * 3 + 1
    assert torch.autograd.function.Function.__dict__["apply"] is not None
    assert PATCH.users == 0 and MODULE_HOOKS.users == 0


def test_a_recording_ignores_ops_modules_and_functions_of_other_threads():
    Double = scale_function("Double", 2.0)
    layer = torch.nn.Linear(2, 2)
    started, done = threading.Event(), threading.Event()

    def other():
        assert started.wait(WAIT)
        for _ in range(3):  # plain ops, a module and a custom Function, all while recording
            h = layer(torch.ones(2, requires_grad=True))
            Double.apply(h).sum().backward()
        done.set()

    def main():
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        with record() as rec:
            y = w * 3
            started.set()
            assert done.wait(WAIT)
            loss = (y * y).sum()
        return rec.graph(loss), w

    _, (g, w) = run_threads(other, main)
    assert ops(g) == ["mul", "mul", "sum"]
    assert all(a.get("module") is None for _, a in g.nx.nodes(data=True) if a["kind"] == "op")
    (expected,) = torch.autograd.grad((w * 3 * (w * 3)).sum(), w)
    assert torch.equal(g.grad("w"), expected)


def test_module_attribution_stays_with_each_thread():
    meet = threading.Barrier(2, timeout=WAIT)

    class Meeting(torch.nn.Module):
        """Waits for the other thread inside its forward, so both are inside modules at once."""

        def __init__(self):
            super().__init__()
            self.inner = torch.nn.Linear(2, 2)

        def forward(self, x):
            meet.wait()
            y = self.inner(x)
            meet.wait()
            return torch.tanh(y)

    def traced(model, prefix):
        wrapper = torch.nn.Sequential()
        wrapper.add_module(prefix, model)
        return lambda: (TorchGraph(wrapper, [[0.5, -1.0]], [[1.0, 1.0]]), wrapper)

    (ga, ma), (gb, mb) = run_threads(traced(Meeting(), "left"), traced(Meeting(), "right"))
    assert {a["module"] for _, a in ga.nx.nodes(data=True) if a["kind"] == "op"} == {"left", "left.inner"}
    assert {a["module"] for _, a in gb.nx.nodes(data=True) if a["kind"] == "op"} == {"right", "right.inner"}
    for g, model, prefix in ((ga, ma, "left"), (gb, mb, "right")):
        x = torch.tensor([0.5, -1.0], requires_grad=True)
        inner = getattr(model, prefix).inner
        expected = torch.autograd.grad(torch.tanh(inner(x)).sum(), [x, inner.weight])
        assert torch.allclose(g.grad("input"), expected[0])
        assert torch.allclose(g.grad(f"{prefix}.inner.weight"), expected[1])


def test_many_threads_tracing_at_once_all_get_autograds_gradients():
    n = 6
    meet = threading.Barrier(n, timeout=WAIT)
    functions = [scale_function(f"Scale{i}", float(i + 1)) for i in range(n)]

    def job(i):
        def f(x):
            meet.wait()
            return (functions[i].apply(torch.sin(x)) * x).sum()

        return lambda: TorchGraph(f, [[0.3, 1.1]])

    graphs = run_threads(*(job(i) for i in range(n)))
    for i, g in enumerate(graphs):
        assert ops(g) == ["sin", f"Scale{i}", "mul", "sum"]
        x = torch.tensor([0.3, 1.1], requires_grad=True)
        (expected,) = torch.autograd.grad(((i + 1) * torch.sin(x) * x).sum(), x)
        assert torch.allclose(g.grad("x"), expected)


def test_recordings_ended_out_of_order_leave_nothing_behind():
    original = torch.autograd.function.Function.__dict__["apply"]
    Double = scale_function("Double", 2.0)
    outer, inner = record(), record()
    w = torch.tensor(1.0, requires_grad=True)
    outer.__enter__()
    inner.__enter__()
    y = Double.apply(w)
    outer.__exit__(None, None, None)  # the outer block ends first
    z = Double.apply(y)  # still recorded by the inner one only
    inner.__exit__(None, None, None)
    assert torch.autograd.function.Function.__dict__["apply"] is original
    assert torch._C._len_torch_function_stack() == 0 and active.recorders() == ()
    assert ops(outer.graph(y)) == ["Double"]
    g = inner.graph(z)
    assert ops(g) == ["Double", "Double"] and float(g.grad("w")) == 4.0


def test_recordings_in_two_threads_ending_in_either_order_leave_nothing_behind():
    original = torch.autograd.function.Function.__dict__["apply"]
    Double = scale_function("Double", 2.0)
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()

    def first():
        w = torch.tensor(1.0, requires_grad=True)
        with record() as rec:
            y = Double.apply(w)
            first_in.set()
            assert second_in.wait(WAIT)
        first_out.set()  # ends while the second thread still records
        return rec.graph(y)

    def second():
        assert first_in.wait(WAIT)
        w = torch.tensor(1.0, requires_grad=True)
        with record() as rec:
            second_in.set()
            assert first_out.wait(WAIT)
            y = Double.apply(Double.apply(w))  # the patch is still there for this thread
        return rec.graph(y)

    g1, g2 = run_threads(first, second)
    assert ops(g1) == ["Double"] and ops(g2) == ["Double", "Double"]
    assert float(g1.grad("w")) == 2.0 and float(g2.grad("w")) == 4.0
    assert torch.autograd.function.Function.__dict__["apply"] is original
    assert PATCH.users == 0 and MODULE_HOOKS.users == 0


def test_drawing_in_several_threads_at_once_keeps_stderr():
    before = os.fstat(2)
    meet = threading.Barrier(4, timeout=WAIT)

    def draw(k):
        def job():
            g = TorchGraph(lambda x: torch.sin(x * k).sum(), [[1.0, 2.0]])
            meet.wait()
            for depth in (None, 0):
                g.layout(depth=depth)
            return g.to_svg(), g.animate("both").to_html()

        return job

    results = run_threads(*(draw(k) for k in range(1, 5)))
    after = os.fstat(2)
    assert (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)  # fd 2 was not left on /dev/null
    assert all(svg.startswith("<svg") and "<!DOCTYPE html>" in page for svg, page in results)


def test_an_error_in_one_threads_trace_does_not_disturb_the_other():
    meet = threading.Barrier(2, timeout=WAIT)

    def broken(x):
        meet.wait()
        raise ZeroDivisionError("user bug")

    def fine(x):
        meet.wait()
        return (x * x).sum()

    def expect_error():
        try:
            TorchGraph(broken, [1.0])
        except ZeroDivisionError:
            return "raised"

    outcome, g = run_threads(expect_error, lambda: TorchGraph(fine, [[1.0, 3.0]]))
    assert outcome == "raised" and g.grad("x").tolist() == [2.0, 6.0]
    assert PATCH.users == 0 and MODULE_HOOKS.users == 0


def test_dropout_in_two_traces_at_once_keeps_each_mask_consistent():
    meet = threading.Barrier(2, timeout=WAIT)

    def job():
        def f(x):
            meet.wait()
            return torch.nn.functional.dropout(x, 0.5, training=True).sum()

        return TorchGraph(f, [torch.ones(64)])

    for g in run_threads(job, job):
        (op,) = [n for n, a in g.nx.nodes(data=True) if a.get("op") == "dropout"]
        (kept,) = g.nx.successors(op)
        # d(Σ dropout(x))/dx is the mask times 2, and so is dropout(ones): each trace drew one mask
        assert torch.equal(g.grad("x"), g.nx.nodes[kept]["value"])
        assert set(g.grad("x").tolist()) <= {0.0, 2.0}
