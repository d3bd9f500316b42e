"""ani-graph against torchviz on the same models, interleaved in one run.

    python benchmarks/run.py [--repeats 5] [--models sin,mlp,...] [--write]

For every model it times each ani-graph stage (trace, layout, SVG, frames, HTML) and
torchviz's `make_dot` plus a dot render to SVG through pygraphviz, alternating the two
so that machine noise hits both alike, and reports medians and the ratio. Peak memory
is measured in a fresh subprocess per measurement (max RSS over the baseline after
imports and model creation). Times are CPU time (`time.process_time`) with one torch
thread, because the machines this runs on are shared. `targets.py` adds the rows of the
performance issue, and `AB.md` (written by hand from `ab.py`'s output) the comparison with
the commit before the architecture refactor. `--write` puts it all into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn

HERE = Path(__file__).resolve().parent


# ----- the models -------------------------------------------------------------------------------


def model_sin():
    def func(x, a, c):
        y = torch.sin(a * x + c)
        return y

    return func, [2.0, 3.0, 4.0], None


def model_mlp():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10))
    x, target = torch.randn(8, 1000), torch.randn(8, 10)

    def loss_of(x):
        return (net(x) - target).pow(2).sum()

    return loss_of, [x], None


def model_cnn():
    torch.manual_seed(0)
    blocks = [nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU()) for _ in range(30)]
    net = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), *blocks)
    x = torch.randn(2, 1, 16, 16)
    return (lambda x: net(x).mean()), [x], None


def _transformer(layers):
    def make():
        torch.manual_seed(0)
        layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, dropout=0.0)
        enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        x = torch.randn(2, 10, 64)
        return (lambda x: enc(x).sum()), [x], None

    return make


def model_chain():
    def chain(x):
        for _ in range(10_000):
            x = x * 1.0001
        return x

    return chain, [1.0], None


MODELS = {
    "sin": model_sin,
    "mlp": model_mlp,
    "cnn30": model_cnn,
    "transformer6": _transformer(6),
    "transformer48": _transformer(48),
    "chain10k": model_chain,
}


# ----- the two contenders ----------------------------------------------------------------------


def run_ani(make):
    """Times of each stage of `TorchGraph(...).animate(direction="both").to_html()`.

    The stages partition that pipeline: the layout is computed once (and cached), the SVG
    and the frames reuse it, and the page reuses the frames.
    """
    from ani_graph import TorchGraph

    func, inputs, go = make()
    times = {}

    def timed(name, work):
        t = time.process_time()
        result = work()
        times[name] = time.process_time() - t
        return result

    def trace():
        g = TorchGraph(func, inputs, go)
        _ = g.nx  # built on first use (the lazy tracer): counted with the trace, as before it
        return g

    g = timed("trace", trace)
    timed("layout", g.layout)
    timed("svg", lambda: g.to_svg())
    anim = timed("frames", lambda: g.animate(direction="both"))
    page = timed("html", anim.to_html)
    times["total"] = sum(times.values())
    return times, len(page.encode()), g.nx.number_of_nodes()


def unfolded_pipeline(make, rounds: int) -> float:
    from ani_graph import TorchGraph

    func, inputs, go = make()
    times = []
    for _ in range(rounds):
        t = time.process_time()
        TorchGraph(func, inputs, go).animate(direction="both", depth=99).to_html()
        times.append(time.process_time() - t)
    return statistics.median(times)


def run_torchviz(make):
    import pygraphviz
    from torchviz import make_dot

    func, inputs, go = make()
    t = time.process_time()
    xs = [torch.as_tensor(v, dtype=torch.float32).clone().requires_grad_(True) for v in inputs]
    y = func(*xs)
    try:
        make_dot(y)
    except RecursionError:  # torchviz walks the graph recursively
        return None, None
    # torchviz writes labels that start with a newline for unnamed tensors, and the
    # graphviz bundled in pygraphviz 2.0.4 segfaults on those; a leading space avoids it.
    source = make_dot(y).source.replace('[label="\n', '[label=" \n')
    svg = pygraphviz.AGraph(string=source).draw(format="svg", prog="dot")
    return time.process_time() - t, len(svg)


# ----- peak memory, each in its own process -------------------------------------------------------

_MEMORY_SNIPPET = """
import ctypes, json, sys, threading, time, torch
sys.path.insert(0, {here!r})
from run import MODELS
from ani_graph import TorchGraph

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
def in_use():
    m = libc.mallinfo2()
    return m.uordblks + m.hblkhd  # bytes handed out by malloc, including mmapped blocks

func, inputs, go = MODELS[{model!r}]()
# warm up both ways once, so one-time library initialisation is charged to neither
torch.ones(2, requires_grad=True).sum().backward()
TorchGraph(lambda x: (x * 2).sum(), [[1.0, 2.0]])
peak, done = [0], [False]
def sample():
    while not done[0]:
        peak[0] = max(peak[0], in_use())
        time.sleep(0.0005)
sys.setswitchinterval(5e-4)
base = in_use()
thread = threading.Thread(target=sample); thread.start()
if {mode!r} == "plain":
    xs = [torch.as_tensor(v, dtype=torch.float32).clone().requires_grad_(True) for v in inputs]
    y = func(*xs)
    y.backward()
else:
    g = TorchGraph(func, inputs, go)
peak[0] = max(peak[0], in_use())
done[0] = True; thread.join()
print(json.dumps((peak[0] - base) / 2**20))
"""


def peak_memory_mb(model: str, mode: str) -> float:
    code = _MEMORY_SNIPPET.format(here=str(HERE), model=model, mode=mode)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_cost() -> float:
    code = "import time, torch; t = time.perf_counter(); import ani_graph; print(time.perf_counter() - t)"
    runs = [
        float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
        for _ in range(5)
    ]
    return statistics.median(runs)


# ----- the run ---------------------------------------------------------------------------------------


def bounds() -> str:
    """What bounds the targets not reached, with the profiles (kept by hand in BOUNDS.md)."""
    path = HERE / "BOUNDS.md"
    return path.read_text().strip() if path.exists() else ""


NOTES = """## Hot spots found with a profiler, and what fixing them bought

Profiled with pyinstrument on the 6-layer transformer (`TorchGraph` construction):

- Naming intermediates after `func`'s local variables first used `sys.setprofile`, which
  called back into Python on every function call during the forward pass: about 60% of
  the trace. Reading the locals from `func`'s own frame once it returns instead took the
  trace from 28 ms to 11 ms (2.5×), and no longer disturbs a profiler the user runs.
- Every op output was copied (`clone`) to keep its value. Values now share storage with
  the live tensors and are copied only just before an in-place op would overwrite them,
  which keeps peak memory near a plain forward and backward.
- The first `TorchGraph` in a process took ~0.3 s and 12 MB more than it should: handing
  `torch.autograd.grad` an explicit upstream tensor makes torch import sympy for a shape
  check. An upstream gradient of 1 on a one-element output now goes in as `None`, as in a
  plain `loss.backward()`: the first call takes 2 ms.
- Graph size: deep graphs fold their modules (node budget `max_nodes`, and a length budget
  of 48 boxes along the longest path), so layout and page size stay small on the 48-layer
  transformer.

Round two (cProfile and pyinstrument, one torch thread):

- The page-shaped layout ran `dot` up to 23 times per drawing (one row with and without
  labels, every wrap into 2–6 rows at one run per row, top to bottom): 17 runs on the MLP,
  which made its `to_svg()` 3.5× slower than before the refactor. A candidate is now laid
  out only when a guess of its size, read off the one-row drawing, could win (the guesses
  were within 8% for wrapped rows; `tests/test_perf_shapes.py` checks the choice equals
  laying out every candidate), and above 300 boxes, where every shape is far too small to
  read, the one row is laid out once. `dot` gets one DOT text and answers in `json0`,
  parsed once, instead of a pygraphviz call per node and edge attribute; the layouts are
  identical to the old ones on every benchmark model.
- Frames: the 10k chain scheduled 20,000 captions, rules and badge texts and then folded
  all but 28 frames away (`format_tensor` ran 100,000 times). A folded op's frames are now
  built without them; the frame lists are identical (tested). Chain frames 4.1 s → 1.7 s
  and the folded 48-layer transformer's 455 ms → 83 ms in the same session.
- Python's cyclic collector walked the growing graph again and again while a big trace or
  stage built hundreds of thousands of small objects (none garbage): 40% of the chain's
  trace. It is paused while tracing and building a stage (`ani_graph/gcpause.py`).
- Fixed costs per page: the player's JS and CSS were read from disk on every `to_html()`,
  and the state JSON was escaped with `str.translate` (0.6 ms for a small page); both fixed.
"""


def ab_section() -> str:
    path = HERE / "AB.md"
    return path.read_text().strip() if path.exists() else ""


def player_table() -> str:
    try:
        from bench_player import table
    except ImportError as err:
        return f"(skipped: {err})"
    try:
        return (
            "`python benchmarks/bench_player.py`: a step timed from the click to the end of style and layout.\n\n"
            + table()
        )
    except RuntimeError as err:
        return f"(skipped: {err})"


def fmt(seconds):
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--write", action="store_true", help="write benchmarks/RESULTS.md")
    args = parser.parse_args()
    names = args.models.split(",")
    torch.set_num_threads(1)  # both sides: with two threads on a shared machine ratios swing wildly

    samples = {m: {"ani": [], "viz": []} for m in names}
    sizes, nodes, svg_sizes = {}, {}, {}
    for _ in range(args.repeats):
        for m in names:  # interleaved: each model, ani-graph then torchviz, every round
            times, size, n = run_ani(MODELS[m])
            samples[m]["ani"].append(times)
            sizes[m], nodes[m] = size, n
            viz, svg_sizes[m] = run_torchviz(MODELS[m])
            samples[m]["viz"].append(viz)

    rows = []
    for m in names:
        ani = samples[m]["ani"]
        med = {k: statistics.median(t[k] for t in ani) for k in ani[0]}
        viz = None if None in samples[m]["viz"] else statistics.median(samples[m]["viz"])
        mem_plain = peak_memory_mb(m, "plain")
        mem_ani = peak_memory_mb(m, "ani")
        rows.append((m, nodes[m], med, viz, mem_ani, mem_plain, sizes[m]))

    header = (
        "| model | nodes | trace | layout | svg | frames | html | total | torchviz | ratio | "
        "peak MB (ani / plain fwd+bwd) | html KB |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    for m, n, med, viz, mem_ani, mem_plain, size in rows:
        viz_text = "RecursionError" if viz is None else fmt(viz)
        ratio = "–" if viz is None else f"{med['total'] / viz:.2f}×"
        html_kb = f"{size / 1024:.0f}"
        cells = [m, n, *(fmt(med[k]) for k in ("trace", "layout", "svg", "frames", "html", "total"))]
        cells += [viz_text, ratio, f"{mem_ani:.1f} / {mem_plain:.1f}", html_kb]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    table = "\n".join(lines)
    imp = import_cost()
    summary = f"`import ani_graph` after `import torch`: median {imp * 1000:.0f} ms over 5 fresh processes."
    if "transformer48" in names:
        unfolded = unfolded_pipeline(MODELS["transformer48"], rounds=3)
        summary += (
            f"\n\nThe 48-layer transformer with nothing folded (`animate(direction='both', depth=99)`), "
            f"trace to page: median {unfolded:.2f} s over 3 runs."
        )
    from targets import table as targets_table

    targets = targets_table(max(3, args.repeats))
    print(table)
    print(summary)
    print(targets)
    if args.write:
        command = "python benchmarks/run.py " + " ".join(sys.argv[1:])
        text = (
            "# Benchmark results\n\n"
            f"Made with `make bench` (`{command.strip()}`), {args.repeats} interleaved rounds, medians.\n"
            f"Machine: {platform.machine()}, shared with other work, {torch.get_num_threads()} torch thread(s), "
            f"Python {platform.python_version()}, torch {torch.__version__}.\n\n"
            "Stages partition `TorchGraph(...).animate(direction='both').to_html()`: trace = forward and "
            "backward with recording, and the networkx graph built from the recording (`g.nx`), layout = graphviz dot (once, cached), svg = our SVG writer, frames = "
            "the schedule, html = the page. torchviz = forward + `make_dot` + a pygraphviz dot render to SVG, "
            "on the same model. ratio = ani-graph total / torchviz (below 1 is faster).\n\n"
            f"{table}\n\n{summary}\n\n## The rows of the performance issue (round two)\n\n"
            f"`python benchmarks/targets.py` (also run by `make bench`), one torch thread, CPU time, medians.\n\n"
            f"{targets}\n\n{bounds()}\n\n## The player in Chromium\n\n{player_table()}\n\n{NOTES}\n\n{ab_section()}"
        )
        (HERE / "RESULTS.md").write_text(text)
        print(f"wrote {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
