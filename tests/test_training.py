"""A whole training step inside `record()`: the user's own backward and optimizer step, recorded
as `rec.steps` and animated with an update phase. Every number is checked against a run of the
same loop without ani-graph."""

from __future__ import annotations

import pytest
import torch

from ani_graph import record
from ani_graph.examples import tiny_regression
from ani_graph.format import format_tensor
from ani_graph.update_frames import NUMBERS, shared_rate

STEPS = 3
OPTIMIZERS = {
    "sgd": lambda ps: torch.optim.SGD(ps, lr=0.1),
    "momentum": lambda ps: torch.optim.SGD(ps, lr=0.1, momentum=0.9),
    "adam": lambda ps: torch.optim.Adam(ps, lr=0.01),
}


def loop(model, opt, x, y, zero_grad=True, log=None):
    """The user's training loop, unchanged between the reference run and the recorded one."""
    for _ in range(STEPS):
        if zero_grad:
            opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        if log is not None:  # reference only: this step's own gradient, by torch
            own = torch.autograd.grad(loss, list(model.parameters()), retain_graph=True)
        loss.backward()
        if log is not None:
            params = dict(model.named_parameters())
            log.append({"loss": float(loss.detach()), "before": {n: p.detach().clone() for n, p in params.items()},
                        "grad": {n: p.grad.clone() for n, p in params.items()},
                        "own": dict(zip(params, own))})  # fmt: skip
        opt.step()
        if log is not None:
            log[-1]["after"] = {n: p.detach().clone() for n, p in model.named_parameters()}


def reference(optimizer: str, zero_grad: bool = True):
    model, x, y = tiny_regression()
    log: list[dict] = []
    loop(model, OPTIMIZERS[optimizer](model.parameters()), x, y, zero_grad, log)
    return model, log


def recorded(optimizer: str, zero_grad: bool = True):
    model, x, y = tiny_regression()
    opt = OPTIMIZERS[optimizer](model.parameters())
    with record() as rec:
        loop(model, opt, x, y, zero_grad)
    return model, rec


def update_frames(anim, step: int) -> dict[str, dict]:
    return {f["nodes"][0]: f for f in anim.frames if f["phase"] == "update" and f["step"] == step}


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_a_recorded_loop_leaves_parameters_and_grads_bit_for_bit_as_without_ani_graph(optimizer):
    ref_model, _ = reference(optimizer)
    model, rec = recorded(optimizer)
    for (name, p), (_, q) in zip(ref_model.named_parameters(), model.named_parameters()):
        assert torch.equal(p, q), name
        assert torch.equal(p.grad, q.grad), name


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_each_step_records_its_loss_gradients_and_updates_as_torch_computed_them(optimizer):
    _, log = reference(optimizer)
    _, rec = recorded(optimizer)
    assert len(rec.steps) == STEPS
    for step, real in zip(rec.steps, log):
        assert step.loss == real["loss"]
        assert set(step.updates) == {"0.weight", "0.bias", "2.weight", "2.bias"}
        for name, update in step.updates.items():
            assert torch.equal(update.before, real["before"][name])
            assert torch.equal(update.grad, real["grad"][name])
            assert torch.equal(update.after, real["after"][name])
            assert torch.equal(step.grads[name], real["grad"][name])
            assert torch.allclose(step.graph.grad(name), real["own"][name], rtol=1e-6, atol=1e-8)
            assert torch.equal(step.graph.value(name), real["before"][name])


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_the_animation_plays_forward_backward_and_update_with_the_real_numbers(optimizer):
    _, log = reference(optimizer)
    _, rec = recorded(optimizer)
    anim = rec.animate()
    assert [f["phase"] for f in anim.frames if f["phase"] == "update"] == ["update"] * 4 * STEPS
    assert {f["phase"] for f in anim.frames} == {"forward", "backward", "update"}
    assert [f["step"] for f in anim.frames] == sorted(f["step"] for f in anim.frames)
    graph = rec.steps[0].graph
    for k, real in enumerate(log):
        frames = update_frames(anim, k)
        f = frames[graph.node_id("0.weight")]
        before, after = real["before"]["0.weight"], real["after"]["0.weight"]
        assert format_tensor(after, NUMBERS) in f["caption"]
        assert f["badges"][graph.node_id("0.weight")]["value"] == format_tensor(after)
        plain = optimizer == "sgd" or (optimizer == "momentum" and k == 0)  # momentum's first step is plain SGD
        if plain:
            assert '"0.weight" ← "0.weight" − 0.1 · ∂' in f["caption"]
            assert format_tensor(before, NUMBERS) in f["caption"]
            assert format_tensor(real["grad"]["0.weight"], NUMBERS) in f["caption"]
        else:
            assert "optimizer's own step" in f["caption"]
            assert f'Δ"0.weight" = {format_tensor(after - before, NUMBERS)}' in f["caption"]


def test_plain_sgd_is_written_as_w_minus_lr_times_the_gradient_and_its_numbers_check_out():
    _, log = reference("sgd")
    _, rec = recorded("sgd")
    for step, real in zip(rec.steps, log):
        assert shared_rate(step.updates) == 0.1
        for name, u in step.updates.items():
            assert torch.equal(u.after, real["after"][name])
            assert torch.allclose(u.before - 0.1 * u.grad, real["after"][name])
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
    opt = torch.optim.SGD([w], lr=0.1)
    with record() as rec:
        loss = (w * w).sum()
        loss.backward()
        opt.step()
    (caption,) = [f["caption"] for f in rec.animate().frames if f["phase"] == "update"]
    # ∂loss/∂w = 2w = [2, −4]; w − 0.1 · [2, −4] = [0.8, −1.6]
    assert caption == "w ← w − 0.1 · ∂loss/∂w = [1, −2] − 0.1 · [2, −4] = [0.8, −1.6]"
    assert torch.equal(w.detach(), torch.tensor([1.0, -2.0]) - 0.1 * torch.tensor([2.0, -4.0]))


def test_adam_is_shown_as_the_effective_step():
    _, rec = recorded("adam")
    assert all(shared_rate(step.updates) is None for step in rec.steps)


def test_forgetting_zero_grad_shows_the_accumulated_gradients_and_says_so():
    ref_model, log = reference("sgd", zero_grad=False)
    model, rec = recorded("sgd", zero_grad=False)
    for p, q in zip(ref_model.parameters(), model.parameters()):
        assert torch.equal(p.grad, q.grad)
    anim = rec.animate()
    graph = rec.steps[0].graph
    assert rec.steps[0].carried == {}
    for k in (1, 2):
        step, real = rec.steps[k], log[k]
        assert step.carried.keys() == real["grad"].keys()
        for name in real["grad"]:
            assert torch.equal(step.grads[name], real["grad"][name])  # torch's accumulated .grad
            assert torch.equal(step.carried[name], log[k - 1]["grad"][name])
            assert torch.allclose(step.grads[name], log[k - 1]["grad"][name] + real["own"][name])
        nid = graph.node_id("0.weight")
        (f,) = [f for f in anim.frames if f["step"] == k and "zero_grad() was not called" in f["caption"]
                and f["nodes"] == [nid]]  # fmt: skip
        assert f["phase"] == "backward"
        assert f["badges"][nid]["grad"] == format_tensor(real["grad"]["0.weight"])
    assert not [f for f in anim.frames if f["step"] == 0 and "zero_grad" in f["caption"]]
    (update,) = [f for f in anim.frames if f["step"] == 1 and f["phase"] == "update" and f["nodes"] == [nid]]
    assert '"0.weight" ← "0.weight" − 0.1 · "0.weight".grad = ' in update["caption"]
    assert format_tensor(log[1]["grad"]["0.weight"], NUMBERS) in update["caption"]


def test_the_steps_share_one_drawing_and_the_loss_strip_marks_the_current_step():
    _, log = reference("momentum")
    _, rec = recorded("momentum")
    anim = rec.animate()
    ids = [set(s.graph.nx.nodes) for s in rec.steps]
    assert ids[0] == ids[1] == ids[2]
    svg = anim._svg()
    assert svg.count('class="ag-node ag-strip-mark"') == STEPS
    for k in range(STEPS):  # the strip's labels are the real losses
        assert f"{k + 1}: {format_tensor(log[k]['loss'])}" in svg
    starts = [i for i, f in enumerate(anim.frames) if f["caption"].startswith("Step ")]
    assert [anim.frames[i]["step"] for i in starts] == [0, 1, 2]
    assert anim.frames[starts[1]]["badges"]["step:1"] == {"value": "▲"}
    assert anim.frames[starts[1]]["badges"]["step:0"] == {"value": ""}
    # every step's first frame shows its inputs: the parameters as the last update left them
    nid = rec.steps[0].graph.node_id("0.bias")
    assert anim.frames[starts[1]]["badges"][nid]["value"] == format_tensor(log[0]["after"]["0.bias"])


def test_rec_graph_of_a_loss_whose_backward_ran_is_that_steps_graph():
    w = torch.tensor(2.0, requires_grad=True)
    with record() as rec:
        loss = w * w * w
        loss.backward()
    g = rec.graph(loss)
    assert g is rec.steps[0].graph
    x = torch.tensor(2.0, requires_grad=True)
    (expected,) = torch.autograd.grad(x * x * x, [x])
    assert float(g.grad("w")) == float(w.grad) == float(expected) == 12.0


def test_autograd_grad_inside_the_block_is_a_step_too_and_returns_what_torch_returns():
    w = torch.nn.Parameter(torch.tensor([0.5, -1.0]))
    with record() as rec:
        loss = (w.sin() * 3).sum()
        (g,) = torch.autograd.grad(loss, [w])
        with torch.no_grad():
            w -= 0.1 * g
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    (expected,) = torch.autograd.grad((x.sin() * 3).sum(), [x])
    assert torch.equal(g, expected) and w.grad is None
    (step,) = rec.steps
    assert torch.equal(step.grads["w"], expected)
    assert torch.equal(step.updates["w"].after, torch.tensor([0.5, -1.0]) - 0.1 * expected)


def test_a_backward_of_something_computed_before_the_block_passes_through():
    w = torch.tensor(3.0, requires_grad=True)
    outside = w * w
    with record() as rec:
        outside.backward()
    assert float(w.grad) == 6.0 and rec.steps == []


def test_rec_animate_explains_what_is_missing():
    w = torch.tensor(3.0, requires_grad=True)
    with record() as rec:
        loss = w * w
        with pytest.raises(RuntimeError, match="after the `with record"):
            rec.animate()
    with pytest.raises(ValueError, match="no training step was recorded.*rec.graph\\(loss\\).animate"):
        rec.animate()
    assert float(rec.graph(loss).grad("w")) == 6.0


def test_steps_of_different_shapes_are_refused_with_a_way_out():
    w = torch.tensor(3.0, requires_grad=True)
    with record() as rec:
        (w * w).backward()
        (w * w + w).backward()
    assert len(rec.steps) == 2
    with pytest.raises(ValueError, match=r"step 2 .*rec.steps\[1\].graph.animate"):
        rec.animate()


def test_an_error_inside_the_block_still_removes_every_patch():
    original = torch.Tensor.backward
    w = torch.tensor(3.0, requires_grad=True)
    with pytest.raises(ZeroDivisionError):
        with record():
            (w * w).backward()
            assert torch.Tensor.backward is not original
            raise ZeroDivisionError("the user's code fails")
    assert torch.Tensor.backward is original and float(w.grad) == 6.0


def test_another_threads_backward_during_a_recording_is_left_alone():
    import threading

    w = torch.tensor(3.0, requires_grad=True)
    other = torch.tensor(2.0, requires_grad=True)
    done = []

    def elsewhere():
        (other * other * other).backward()
        done.append(float(other.grad))

    with record() as rec:
        loss = w * w
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
        loss.backward()
    x = torch.tensor(2.0, requires_grad=True)
    (expected,) = torch.autograd.grad(x**3, [x])
    assert done == [float(expected)] and len(rec.steps) == 1 and float(w.grad) == 6.0


def test_a_step_is_a_frozen_record():
    import dataclasses

    _, rec = recorded("sgd")
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.steps[0].loss = 0.0  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.steps[0].updates["0.weight"].after = torch.zeros(1)  # type: ignore[misc]


def panel_numbers(entry: dict, which: str) -> torch.Tensor:
    """The numbers of an inspect panel's table (`which`: "value" or "grad")."""
    rows = [[float(v.replace("−", "-")) for v in row] for row in entry[which]["table"]]
    return torch.tensor(rows)


def test_each_steps_inspect_panels_show_that_steps_parameters_and_gradients():
    _, log = reference("momentum")
    _, rec = recorded("momentum")
    data = rec.animate().inspect_data()
    assert len(data["steps"]) == STEPS and data["nodes"] == data["steps"][0]
    for k in range(STEPS):
        for name in ("0.weight", "2.weight"):
            entry = data["steps"][k][rec.steps[k].graph.node_id(name)]
            before, grad = log[k]["before"][name], log[k]["grad"][name]  # torch's own, without ani-graph
            value_shown = panel_numbers(entry, "value").reshape(before.shape)
            grad_shown = panel_numbers(entry, "grad").reshape(grad.shape)
            assert torch.allclose(value_shown, before, rtol=5e-4, atol=1e-6)  # 4 significant digits
            assert torch.allclose(grad_shown, grad, rtol=5e-4, atol=1e-6)
    # and the steps differ: a panel of step 3 is not step 1's
    w = rec.steps[0].graph.node_id("0.weight")
    assert data["steps"][2][w]["value"] != data["steps"][0][w]["value"]
