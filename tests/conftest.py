"""Shared fixtures and the reference every gradient is checked against.

The example computations themselves live in `ani_graph.examples`; test modules import
them from there, never from one another. After every test of the suite (browser and
notebook tests too), `no_state_left_behind` checks that nothing of a trace is left.
"""

from __future__ import annotations

import pytest
import torch
from torch.nn.modules import module as _module

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule, sin_example
from ani_graph.tracing import active
from ani_graph.tracing.functions import PATCH
from ani_graph.tracing.naming import MODULE_HOOKS
from ani_graph.tracing.user_backward import PATCH as BACKWARD_PATCH


def autograd_grads(func, inputs, grad_outputs=None):
    """Reference gradients from plain `torch.autograd.grad`, one per input (None if unused).

    `inputs` and `grad_outputs` take the forms TorchGraph takes; a missing upstream
    gradient is 1, and an upstream gradient broadcasts to its output's shape. A plain
    function rather than a fixture, so hypothesis tests and helpers can call it too.
    """
    xs = [torch.as_tensor(v, dtype=torch.float32).clone().requires_grad_(True) for v in inputs]
    out = func(*xs)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    upstream = [
        torch.ones_like(o) if g is None else torch.as_tensor(g, dtype=o.dtype).expand_as(o)
        for o, g in zip(outs, grad_outputs or [None] * len(outs))
    ]
    return torch.autograd.grad(outs, xs, upstream, allow_unused=True)


@pytest.fixture
def sin_graph():
    """The headline example y = sin(a·x + c) at x = 2, a = 3, c = 4."""
    return TorchGraph(sin_example, [2, 3, 4])


@pytest.fixture
def chain_graph():
    """The chain-rule example c = a + b, d = b + 1, e = c·d at a = 2, b = 1."""
    return TorchGraph(chain_rule, [2, 1])


_ORIGINAL_APPLY = torch.autograd.function.Function.__dict__["apply"]
_ORIGINAL_BACKWARDS = {
    "Tensor.backward": (torch.Tensor, "backward", torch.Tensor.backward),
    "torch.autograd.backward": (torch.autograd, "backward", torch.autograd.backward),
    "torch.autograd.grad": (torch.autograd, "grad", torch.autograd.grad),
}
_GLOBAL_HOOKS = (
    "_global_forward_pre_hooks",
    "_global_forward_hooks",
    "_global_backward_pre_hooks",
    "_global_backward_hooks",
)


def _left_behind(grad_before: bool) -> list[str]:
    """What a test left changed that a trace must never leave: modes, patches, hooks, grad mode."""
    found = []
    if torch._C._len_torch_function_stack():
        found.append(f"{torch._C._len_torch_function_stack()} torch function mode(s) still active")
    if torch.autograd.function.Function.__dict__["apply"] is not _ORIGINAL_APPLY:
        found.append("torch.autograd.Function.apply is still patched")
    found += [f"{name} is still patched" for name, (owner, attr, fn) in _ORIGINAL_BACKWARDS.items()
              if getattr(owner, attr) is not fn]  # fmt: skip
    if torch.is_grad_enabled() != grad_before:
        found.append(f"grad mode changed from {grad_before} to {torch.is_grad_enabled()}")
    if torch.is_inference_mode_enabled():
        found.append("inference mode is still on")
    found += [
        f"{len(getattr(_module, name))} module hook(s) left in {name}"
        for name in _GLOBAL_HOOKS
        if getattr(_module, name)
    ]
    if active.recorders() or PATCH.users or MODULE_HOOKS.users or BACKWARD_PATCH.users:
        found.append("an ani-graph recording is still running")
    return found


def _clean_up(grad_before: bool) -> None:
    """Put everything back, so one broken test does not fail every test after it."""
    while torch._C._len_torch_function_stack():
        torch._C._pop_torch_function_stack()
    torch.autograd.function.Function.apply = _ORIGINAL_APPLY
    for owner, attr, fn in _ORIGINAL_BACKWARDS.values():
        setattr(owner, attr, fn)
    torch.set_grad_enabled(grad_before)
    for name in (*_GLOBAL_HOOKS, "_global_forward_hooks_always_called", "_global_forward_hooks_with_kwargs"):
        getattr(_module, name).clear()
    # ani-graph's own bookkeeping of what it installed (private: only this clean-up resets it)
    for shared in (PATCH, MODULE_HOOKS, BACKWARD_PATCH):
        shared._users, shared._state = 0, None
    for rec in active.recorders():
        active.remove(rec)


@pytest.fixture(autouse=True)
def no_state_left_behind():
    """Fail any test after which a function mode, the Function.apply patch, a global module
    hook or a changed grad mode is left behind."""
    grad_before = torch.is_grad_enabled()
    yield
    found = _left_behind(grad_before)
    if found:
        _clean_up(grad_before)
        pytest.fail("state left behind after the test: " + "; ".join(found), pytrace=False)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The lessons' website, built once per session with `scripts/build_site.py` (it executes
    every solution notebook, so only notebook tests should ask for it)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = tmp_path_factory.mktemp("site")
    subprocess.run([sys.executable, str(root / "scripts" / "build_site.py"), "--out", str(out)], check=True)
    return out
