"""Shared fixtures and the reference every gradient is checked against.

The example computations themselves live in `ani_graph.examples`; test modules import
them from there, never from one another.
"""

from __future__ import annotations

import pytest
import torch

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule, sin_example


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
