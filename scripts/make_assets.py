"""`make assets`: the pictures in assets/, drawn by ani-graph itself from the lesson examples."""

from pathlib import Path

import torch
import torch.nn as nn

from ani_graph import TorchGraph
from ani_graph.examples import Sigmoid, chain_rule, sin_example
from ani_graph.render_mpl import scene_to_png

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def add_example(a, b):
    s = a + b
    return s


def mul_example(a, b):
    p = a * b
    return p


def branch_example(x):
    return torch.sqrt(x), torch.sqrt(x)


def max_example(a, b):
    m = torch.max(a, b)
    return m


def sigmoid_example(x):
    s = Sigmoid.apply(x)
    return s


def mlp_example():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    target = torch.tensor([1.0])
    return lambda x: (model(x) - target).pow(2).sum(), [[0.5, -1.0, 2.0]]


EXAMPLES = {
    "sin": (sin_example, [2, 3, 4], None),
    "add": (add_example, [2, 3], [5]),
    "mul": (mul_example, [2, 3], [5]),
    "branch": (branch_example, [4], [4, 8]),
    "max": (max_example, [3, 1], None),
    "sigmoid": (sigmoid_example, [0.5], None),
    "chain_rule": (chain_rule, [2, 1], None),
    "mlp": (*mlp_example(), None),
}


def main():
    ASSETS.mkdir(exist_ok=True)
    for name, (func, inputs, grad_outputs) in EXAMPLES.items():
        g = TorchGraph(func, inputs, grad_outputs)
        path = ASSETS / f"{name}.png"
        path.write_bytes(scene_to_png(g.scene(with_all=True), dpi=130))
        print(path.relative_to(ASSETS.parent), f"{path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
