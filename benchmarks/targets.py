"""The rows of the performance issue (round two), each against plain PyTorch or its target.

    python benchmarks/targets.py [--repeats 3]

One torch thread (`torch.set_num_threads(1)`) for ani-graph and plain torch alike, CPU time
(`time.process_time`), the two sides alternating in every repeat, medians. `run.py --write`
puts this table into RESULTS.md.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def cpu(work) -> float:
    t = time.process_time()
    work()
    return time.process_time() - t


def transformer(layers: int):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, dropout=0.0)
    enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
    return enc, torch.randn(2, 10, 64)


def plain_step(enc, x0):
    """Plain forward and backward: `torch.autograd.grad` of the input and every parameter."""
    params = list(enc.parameters())

    def run():
        x = x0.clone().requires_grad_(True)
        torch.autograd.grad(enc(x).sum(), [x, *params])

    return run


def traced(enc, x0, built: bool = False):
    """`TorchGraph(...)`; with `built`, its networkx graph too (built on first use of `g.nx`)."""
    from ani_graph import TorchGraph

    def run():
        g = TorchGraph(lambda x: enc(x).sum(), [x0])
        if built:
            _ = g.nx

    return run


def chain(n: int):
    def f(x):
        for _ in range(n):
            x = x * 1.0001
        return x

    return f


def plain_chain(n: int):
    def run():
        x = torch.tensor(1.0, requires_grad=True)
        torch.autograd.grad(chain(n)(x), [x])

    return run


def paired(ani, plain, repeats: int) -> tuple[float, float]:
    """Medians of the two, alternating which runs first."""
    a, p = [], []
    for i in range(repeats):
        if i % 2:
            p.append(cpu(plain))
            a.append(cpu(ani))
        else:
            a.append(cpu(ani))
            p.append(cpu(plain))
    return statistics.median(a), statistics.median(p)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def rows(repeats: int) -> list[tuple[str, str, str, str]]:
    """(case, measured, plain torch or the measure it is held to, target) per row."""
    from bench_player import fan

    from ani_graph import TorchGraph
    from ani_graph.examples import sin_example

    out = []
    for layers in (6, 48):
        enc, x0 = transformer(layers)
        trace = traced(enc, x0)
        trace()  # warm-up, both sides
        plain_step(enc, x0)()
        a, p = paired(trace, plain_step(enc, x0), repeats * 3)
        b, q = paired(traced(enc, x0, built=True), plain_step(enc, x0), repeats * 3)
        out.append(
            (
                f"{layers}-layer transformer: `TorchGraph(...)` ÷ plain fwd+bwd",
                f"{a / p:.2f}×",
                f"{ms(a)} vs {ms(p)}; with `g.nx` built (first use): {b / q:.2f}×",
                "≤ 1.5×",
            )
        )
    enc, x0 = transformer(48)
    t = statistics.median(
        cpu(lambda: TorchGraph(lambda x: enc(x).sum(), [x0]).animate("both", depth=99).to_html())
        for _ in range(max(1, repeats // 2))
    )
    out.append(("48-layer, nothing folded (`depth=99`), trace → `to_html()`", ms(t), "", "≤ 1.0 s"))

    def chain_page():
        TorchGraph(chain(10_000), [1.0]).animate("both").to_html()

    a, p = paired(chain_page, plain_chain(10_000), repeats)
    out.append(("10,000-op chain, trace → `animate('both')` → `to_html()`", ms(a), f"plain torch {ms(p)}", "≤ 1.0 s"))

    big = fan(800)  # 7·800 + 5 = 5,605 nodes, wide rather than long
    svg = [""]
    t = cpu(lambda: svg.__setitem__(0, big.to_svg(max_nodes=10_000)))
    n = big.nx.number_of_nodes()
    out.append(
        (f"{n:,}-node graph, `to_svg(max_nodes=10000)`", f"{ms(t)}, {len(svg[0]) / 2**20:.1f} MB", "", "≤ 3 s, ≤ 2 MB")
    )

    g = fan(80)
    page = g.animate("both", max_nodes=2000).to_html()
    drawn = len(g.view(max_nodes=2000).boxes)
    out.append(
        (
            f"stand-alone HTML per drawn node ({drawn}-node page)",
            f"{len(page.encode()) / drawn / 1024:.2f} KB",
            "",
            "≤ 0.6 KB",
        )
    )

    g = TorchGraph(sin_example, [2, 3, 4])
    anim = g.animate("both")
    with tempfile.TemporaryDirectory() as tmp:
        t = cpu(lambda: anim.save(str(Path(tmp) / "lesson1.gif")))
    out.append(
        ("GIF export, lesson-1 graph, per frame", ms(t / len(anim.frames)), f"{len(anim.frames)} frames", "≤ 40 ms")
    )
    return out


def table(repeats: int = 3) -> str:
    torch.set_num_threads(1)
    lines = ["| case | ani-graph | beside it | target |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows(repeats)]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    print(table(parser.parse_args().repeats))
