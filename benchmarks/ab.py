"""A/B: one git commit against the working tree, on the models of `run.py`, interleaved.

    python benchmarks/ab.py --base 5c4a92a [--after HEAD] [--rounds 4] [--repeats 3] [--models sin,mlp]

The base commit is unpacked with `git archive` into a temporary directory; so is `--after`
when given (default: the working tree as it is), so edits made while it runs count for neither. Every round
runs, for each model, one fresh Python process per side, the two sides in alternating
order, so that load from other work on the machine falls on both alike. Each process
imports ani-graph from its side, sets `torch.set_num_threads(1)`, warms up once (one
graph through every stage, so imports and first-call costs are charged to neither side)
and then times, `--repeats` times each, with CPU time (`time.process_time`):

- trace: `TorchGraph(func, inputs)` and its networkx graph `g.nx`. Since the lazy tracer,
  the constructor records and computes the gradients and `g.nx` is built on first use;
  before it, the constructor built everything. Reading `g.nx` counts the same work on
  both sides;
- draw:  `to_svg()` of a fresh graph whose `g.nx` is built (view, layout, scene and the SVG writer);
- anim:  `animate("both").to_html()` of another such graph (its own layout).

The table reports the median over all rounds and repeats, and the ratio after/before.
CPU time is not wall time: it leaves out waiting for a core, but on a shared machine
caches and memory bandwidth are shared too, so differences under ~10-20% are noise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

_SNIPPET = """
import json, sys, time
import torch
torch.set_num_threads(1)
sys.path.insert(0, {bench!r})
from run import MODELS
from ani_graph import TorchGraph
make = MODELS[{model!r}]
func, inputs, go = make()

def cpu(work):
    t = time.process_time()
    work()
    return time.process_time() - t

TorchGraph(func, inputs, go).animate(direction="both").to_html()  # warm-up
TorchGraph(func, inputs, go).to_svg()
out = {{"trace": [], "draw": [], "anim": []}}
for _ in range({repeats}):
    out["trace"].append(cpu(lambda: TorchGraph(func, inputs, go).nx))
    g = TorchGraph(func, inputs, go)
    g.nx  # built (a graph may build its networkx graph on first use): draw times only the drawing
    out["draw"].append(cpu(lambda: g.to_svg()))
    g = TorchGraph(func, inputs, go)
    g.nx
    out["anim"].append(cpu(lambda: g.animate(direction="both").to_html()))
print(json.dumps(out))
"""


def run_side(root: Path, model: str, repeats: int) -> dict:
    """One fresh process importing ani-graph from `root`: the CPU times of each stage."""
    code = _SNIPPET.format(bench=str(HERE), model=model, repeats=repeats)
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root)
    if out.returncode != 0:
        raise RuntimeError(f"{model} at {root.name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def unpack(rev: str, into: Path) -> Path:
    """The tree of commit `rev`, unpacked into `into`."""
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def fmt(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def measure(base: Path, after: Path, models: list[str], rounds: int, repeats: int) -> dict:
    """{model: {side: {stage: [times]}}}, the sides alternating which goes first."""
    found: dict = {m: {"before": {}, "after": {}} for m in models}
    for r in range(rounds):
        for m in models:
            sides = [("before", base), ("after", after)]
            for side, root in sides if r % 2 == 0 else reversed(sides):
                for stage, times in run_side(root, m, repeats).items():
                    found[m][side].setdefault(stage, []).extend(times)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr)
        print(f"after round {r + 1}:\n{table(found)}\n", file=sys.stderr, flush=True)  # a long run can be cut short
    return found


def table(found: dict) -> str:
    lines = [
        "| model | trace before → after | draw before → after | anim before → after |",
        "|---|---|---|---|",
    ]
    for m, sides in found.items():
        cells = [m]
        for stage in ("trace", "draw", "anim"):
            b = statistics.median(sides["before"][stage])
            a = statistics.median(sides["after"][stage])
            cells.append(f"{fmt(b)} → {fmt(a)} ({a / b:.2f}×)")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="5c4a92a", help="the commit to compare against")
    parser.add_argument("--after", default=None, help="the commit to measure (default: the working tree)")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="sin,mlp,cnn30,transformer6,transformer48,chain10k")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = unpack(args.base, Path(tmp) / "before")
        after = ROOT if args.after is None else unpack(args.after, Path(tmp) / "after")
        found = measure(base, after, args.models.split(","), args.rounds, args.repeats)
    print(table(found))


if __name__ == "__main__":
    main()
