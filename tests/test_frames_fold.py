"""The frames of a folded drawing, built over its boxes (`frames_fold`), show autograd's numbers.

A long chain hides its middle; a module net folds its modules. Whatever the fast schedule
skips (captions of hidden ops, running sums nobody sees), every number it does show must be
the real one: each value badge the forward value PyTorch computes, each gradient badge what
`torch.autograd.grad` gives, each gradient that arrives in shares its running sum and then
autograd's total. And the frame list is the one folding the whole schedule gives.
"""

from __future__ import annotations

import networkx as nx
import pytest
import torch
import torch.nn as nn

from ani_graph import TorchGraph
from ani_graph.format import format_tensor
from ani_graph.frames import state_at
from ani_graph.view import ELIDED
from ani_graph.walk import topological_order
from tests.conftest import autograd_grads
from tests.test_perf_shapes import fold_everything_afterwards

STEPS = 400
FACTORS = [1.0 + 0.5 * ((k % 7) - 3) / 100 for k in range(STEPS)]  # not all alike, so every step shows


def varied_chain(x):
    for c in FACTORS:
        x = torch.sin(x) * c
    return x


def chain_values(x0: float) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Every tensor of `varied_chain` in the order it is made, and autograd's gradient of the output for each."""
    x = torch.tensor(x0, requires_grad=True)
    made = [x]
    for c in FACTORS:
        made.append(torch.sin(made[-1]))
        made.append(made[-1] * c)
    return made, list(torch.autograd.grad(made[-1], made))


def test_the_topological_order_is_networkx_own():
    g = TorchGraph(varied_chain, [0.3])
    assert topological_order(g.nx) == list(nx.topological_sort(g.nx))
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    g = TorchGraph(lambda x: (net(x) ** 2).sum(), [torch.randn(2, 3)])
    assert topological_order(g.nx) == list(nx.topological_sort(g.nx))


@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
def test_a_long_chain_drawn_as_its_ends_shows_the_values_and_gradients_of_autograd(direction):
    g = TorchGraph(varied_chain, [0.3])
    view = g.view()
    assert ELIDED in view.boxes  # the middle is hidden
    frames = g.frames(direction)
    assert frames == fold_everything_afterwards(g.nx, view, direction)
    shown = [b for b in view.boxes if b in g.nx and g.nx.nodes[b]["kind"] != "op"]
    made, grads = chain_values(0.3)
    # the recorded tensors, in the order they were made (each constant is a tensor of its own)
    tensors = [n for n in g.nx if g.nx.nodes[n]["kind"] in ("input", "intermediate", "output")]
    assert len(tensors) == len(made)
    real = dict(zip(tensors, zip(made, grads)))
    final = state_at(frames, len(frames) - 1)["badges"]
    for n in shown:
        if n not in real:  # a constant: its box shows its value in the title
            continue
        value, grad = real[n]
        if direction != "backward" or frames[0]["badges"].get(n, {}).get("value"):
            assert final[n]["value"] == format_tensor(value.detach()), n
        if direction != "forward":
            assert final[n]["grad"] == format_tensor(grad), n
    # no frame names a node hidden in the middle: only the boxes drawn
    for f in frames:
        assert set(f["nodes"]) <= set(view.boxes)
        assert all(tuple(e) in view.links for e in f["edges"])
        assert set(f["badges"]) <= set(view.boxes)
    middle = [f for f in frames if ELIDED in f["nodes"]]
    assert len(middle) == {"forward": 1, "backward": 1, "both": 2}[direction]  # one step per pass
    assert all("hidden middle" in f["caption"] and f["rule"] == "" for f in middle)


class Twice(nn.Module):
    """Reads its input in three places, so its gradient arrives in shares inside the folded box."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 3)

    def forward(self, x):
        return torch.tanh(self.lin(x)) * x + x.sin()


def test_a_gradient_that_arrives_from_a_folded_module_in_shares_sums_to_autograd_total():
    torch.manual_seed(0)
    block = nn.Sequential(Twice())

    def f(x, w):
        return (block(x) * w).sum() + (x * w).sum()  # x also feeds ops drawn on their own

    x0, w0 = torch.randn(2, 3), torch.randn(2, 3)
    g = TorchGraph(f, [x0, w0])
    view = g.view(depth=0)
    assert "m:0" in view.boxes and g.node_id("x") in view.boxes  # the block folded, x drawn beside it
    for direction in ("backward", "both"):
        frames = g.frames(direction, depth=0)
        assert frames == fold_everything_afterwards(g.nx, view, direction)
        gx, gw = autograd_grads(f, [x0, w0])
        x, w = g.node_id("x"), g.node_id("w")
        final = state_at(frames, len(frames) - 1)["badges"]
        assert final[x]["grad"] == format_tensor(gx) and final[w]["grad"] == format_tensor(gw)
        # x gets shares from the folded box and from the ops drawn beside it: the caption of the
        # later arrival adds them up, and the last badge is autograd's total
        arrivals = [f for f in frames if f["badges"].get(x, {}).get("grad")]
        assert len(arrivals) >= 2
        shares = [d["grad"] for _, _, d in g.nx.out_edges(x, data=True)]
        assert torch.allclose(sum(shares), gx, atol=1e-6)
