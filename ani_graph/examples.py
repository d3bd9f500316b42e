"""The worked examples of the lessons, in one place for the tests, scripts and docs.

ani-graph names each intermediate tensor after the local variable of `func` that holds
it, so the local names here are part of each example: `y`, `c`, `d` and `e` appear in
the drawings and in the captions ("∂L/∂y = ...").

>>> from ani_graph import TorchGraph
>>> TorchGraph(chain_rule, [2, 1]).outputs
['e']
"""

from __future__ import annotations

import torch

from .custom import trackable_function


def sin_example(x, a, c):
    """The headline example, y = sin(a·x + c).

    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(sin_example, [2, 3, 4])
    >>> g.inputs, g.outputs
    (['x', 'a', 'c'], ['y'])
    >>> round(g.grad("x").item(), 4)  # ∂y/∂x = a·cos(a·x + c) = 3·cos(10)
    -2.5172
    """
    y = torch.sin(a * x + c)
    return y


def chain_rule(a, b):
    """The chain rule with a branch: b reaches e along two paths, so its gradient is a sum.

    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(chain_rule, [2, 1])
    >>> [g.value(name).item() for name in "cde"]
    [3.0, 2.0, 6.0]
    >>> g.grad("a").item(), g.grad("b").item()  # ∂e/∂a = d; ∂e/∂b = d + c
    (2.0, 5.0)
    """
    c = a + b
    d = b + 1
    e = c * d
    return e


def product(a, b):
    """A single multiplication: each input's gradient is the upstream gradient times the other input.

    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(product, [2, 3], [2])  # upstream gradient ∂L/∂y = 2
    >>> g.grad("a").item(), g.grad("b").item()  # 2·b and 2·a: the inputs swap
    (6.0, 4.0)
    """
    y = a * b
    return y


@trackable_function
class Sigmoid(torch.autograd.Function):
    """σ(x) = 1 / (1 + e⁻ˣ) with a hand-written backward: σ'(x) = σ(x)·(1 − σ(x)).

    Forward saves its output, because that is all backward needs. It is drawn as σ.

    >>> x = torch.tensor(0.5, requires_grad=True)
    >>> Sigmoid.apply(x).backward()
    >>> torch.allclose(x.grad, torch.sigmoid(x) * (1 - torch.sigmoid(x)))
    True
    """

    name = r"$\sigma$"
    rule = "σ'({a}) = σ({a})·(1 − σ({a})) = {y}·(1 − {y})"  # filled with the graph's names

    @staticmethod
    def forward(ctx, x):
        s = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(s)
        return s

    @staticmethod
    def backward(ctx, grad_s):
        (s,) = ctx.saved_tensors
        return grad_s * s * (1 - s)


def tiny_regression(seed: int = 0) -> tuple[torch.nn.Module, torch.Tensor, torch.Tensor]:
    """A 2-layer MLP (2 → 3 → 1, tanh) and four points to fit, the same for the same `seed`:
    the training loop of the lessons and tests (parameters `0.weight`, `0.bias`, `2.weight`, `2.bias`).

    >>> model, x, y = tiny_regression()
    >>> [name for name, _ in model.named_parameters()], tuple(x.shape), tuple(y.shape)
    (['0.weight', '0.bias', '2.weight', '2.bias'], (4, 2), (4, 1))
    """
    gen = torch.Generator().manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Tanh(), torch.nn.Linear(3, 1))
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.rand(p.shape, generator=gen) - 0.5)
    x = torch.rand(4, 2, generator=gen) * 2 - 1
    y = (x[:, :1] * 0.5 - x[:, 1:] * x[:, 1:]).detach()
    return model, x, y


def two_layer(x, W1, b1, W2, b2, y):
    """A two-layer net with a squared-error loss: x @ W1 + b1 → ReLU → @ W2 + b2 → mean of squares.

    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(two_layer, two_layer_inputs())
    >>> tuple(g.value("W1").shape), tuple(g.grad("W2").shape)
    ((3, 5), (5, 2))
    """
    h = torch.relu(x @ W1 + b1)
    pred = h @ W2 + b2
    loss = ((pred - y) ** 2).mean()
    return loss


def two_layer_inputs() -> list[torch.Tensor]:
    """`two_layer`'s inputs: a batch of 4 with 3 features, 5 hidden units, 2 outputs (seeded)."""
    gen = torch.Generator().manual_seed(0)
    shapes = [(4, 3), (3, 5), (5,), (5, 2), (2,), (4, 2)]
    return [torch.randn(*s, generator=gen) for s in shapes]
