"""The architecture, measured: imports, sizes, optional drawing libraries and the frame schema.

DESIGN.md states these as properties of the package; each test here measures one and,
when it fails, names every offender (module, file:line, length, frame and field).
"""

from __future__ import annotations

import ast
import html
import json
import re
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import networkx as nx
import pytest
import torch
import torch.nn as nn

from ani_graph import TorchGraph, record
from ani_graph.examples import Sigmoid, chain_rule, product, sin_example, tiny_regression

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ani_graph"
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 400


def where(path: Path, line: int | None = None, base: Path = ROOT) -> str:
    shown = path.relative_to(base).as_posix()
    return shown if line is None else f"{shown}:{line}"


# ----- the import graph --------------------------------------------------------------------------


def module_name(path: Path, package_dir: Path) -> str:
    parts = path.relative_to(package_dir.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, package_dir: Path, known: set[str]) -> list[tuple[str, int]]:
    """The modules of `known` that `path` imports, with the line of each import.

    Every import statement counts, at top level or inside a function, relative or
    absolute. `from X import name` points at the module `X.name` when there is one,
    else at `X` itself.
    """
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        found += [(t, node.lineno) for t in dict.fromkeys(targets) if t in known]
    return found


def import_graph(package_dir: Path) -> nx.DiGraph:
    """Modules of the package as nodes; an edge per importing module pair, with the lines."""
    paths = {module_name(p, package_dir): p for p in sorted(package_dir.rglob("*.py"))}
    G = nx.DiGraph()
    G.add_nodes_from(paths)
    for name, path in paths.items():
        for target, line in imported_modules(path, package_dir, set(paths)):
            if not G.has_edge(name, target):
                G.add_edge(name, target, at=[])
            G.edges[name, target]["at"].append(where(path, line, base=package_dir.parent))
    return G


def import_cycles(G: nx.DiGraph) -> list[list[str]]:
    """Every elementary cycle, each rotated to start at its smallest module, sorted."""
    cycles = []
    for cycle in nx.simple_cycles(G):
        i = cycle.index(min(cycle))
        cycles.append(cycle[i:] + cycle[:i])
    return sorted(cycles)


def describe_cycle(G: nx.DiGraph, cycle: list[str]) -> str:
    steps = [cycle[0]]
    for u, v in zip(cycle, cycle[1:] + cycle[:1]):
        steps.append(f"{v} ({', '.join(G.edges[u, v]['at'])})")
    return " → ".join(steps)


def test_no_import_cycles_inside_the_package():
    G = import_graph(PACKAGE)
    cycles = import_cycles(G)
    assert not cycles, "import cycles inside ani_graph (each step names the import's file:line):\n" + "\n".join(
        "  " + describe_cycle(G, c) for c in cycles
    )


def test_the_cycle_finder_sees_relative_absolute_and_function_level_imports(tmp_path):
    pkg = tmp_path / "pkg"
    sources = {
        "__init__.py": "from .a import f\n",
        "a.py": "from .b import g\n\ndef f():\n    return g()\n",
        "b.py": "def g():\n    from . import a  # only when g runs\n    return a\n",
        "c.py": "import pkg.d\n",
        "d.py": "def h():\n    from pkg import c\n",
        "e.py": "from . import a\nimport os\n",
    }
    pkg.mkdir()
    for file, text in sources.items():
        (pkg / file).write_text(text)
    G = import_graph(pkg)
    assert import_cycles(G) == [["pkg.a", "pkg.b"], ["pkg.c", "pkg.d"]]
    assert G.edges["pkg.b", "pkg.a"]["at"] == ["pkg/b.py:2"]
    assert set(G.successors("pkg.e")) == {"pkg.a"}  # `from . import a` is the module a, not the package
    assert describe_cycle(G, ["pkg.a", "pkg.b"]) == "pkg.a → pkg.b (pkg/a.py:1) → pkg.a (pkg/b.py:2)"


def test_examples_import_only_torch_and_the_custom_function_decorator():
    path = PACKAGE / "examples.py"
    offenders = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:  # `from .custom import ...`, `from . import x`
            names = [f"ani_graph.{node.module}"] if node.module else [f"ani_graph.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        else:
            continue
        offenders += [
            f"{where(path, node.lineno)} imports {n}"
            for n in names
            if n not in ("__future__", "torch", "ani_graph.custom") and not n.startswith("torch.")
        ]
    assert not offenders, "ani_graph.examples may import torch and ani_graph.custom only:\n  " + "\n  ".join(offenders)


# ----- sizes -------------------------------------------------------------------------------------


def functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, def line, length in lines) of every def, methods and nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + node.name
            yield name, node.lineno, node.end_lineno - node.lineno + 1
            yield from functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, prefix + node.name + ".")
        else:
            yield from functions(node, prefix)


def test_no_function_is_longer_than_sixty_lines():
    offenders = [
        f"{where(path, line)} {name}: {length} lines"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name, line, length in functions(ast.parse(path.read_text(encoding="utf-8")))
        if length > MAX_FUNCTION_LINES
    ]
    assert not offenders, f"functions longer than {MAX_FUNCTION_LINES} lines:\n  " + "\n  ".join(offenders)


def test_no_module_is_longer_than_four_hundred_lines():
    offenders = [
        f"{where(path)}: {n} lines"
        for path in sorted(PACKAGE.rglob("*.py"))
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    ]
    assert not offenders, f"modules longer than {MAX_MODULE_LINES} lines:\n  " + "\n  ".join(offenders)


# ----- optional libraries ------------------------------------------------------------------------


def run_python(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter that imports this checkout's ani_graph."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


def test_the_readme_module_map_names_every_module():
    """README's "Layout" section is the module map: a module it does not name is a map gone stale."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Layout") :]
    section = section[: section.find("\n## ", 1) if "\n## " in section[1:] else len(section)]
    unnamed = [
        where(path)
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py"
        and f"`{path.name}`" not in section
        and f"{path.parent.name}/{path.name}" not in section
    ]
    assert not unnamed, f"README.md's Layout section does not name: {', '.join(unnamed)}"


def test_importing_the_package_loads_no_drawing_or_widget_library():
    code = (
        "import sys, torch, ani_graph\n"
        "heavy = [m for m in ('matplotlib', 'pygraphviz', 'anywidget', 'ipywidgets') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = run_python(code)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


NO_GRAPHVIZ = """
    import json, sys, traceback
    from pathlib import Path
    sys.modules["pygraphviz"] = None  # any `import pygraphviz` now raises ImportError
    import torch
    import torch.nn as nn
    from ani_graph import TorchGraph
    from ani_graph.examples import chain_rule

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))

    def mlp(x):
        return model(x).sum()

    def failure(err):
        inside = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).parent.name == "ani_graph"]
        calls = " → ".join(f"ani_graph/{Path(f.filename).name}:{f.lineno} {f.name}" for f in inside)
        return f"{type(err).__name__}: {err}" + (f", via {calls}" if calls else "")

    report = {}
    for example, func, inputs, params in [
        ("chain_rule", chain_rule, [2.0, 1.0], {}),
        ("mlp", mlp, [[0.5, -1.0, 2.0]], dict(model.named_parameters())),
    ]:
        try:
            g = TorchGraph(func, inputs)
            xs = [torch.tensor(v, requires_grad=True) for v in inputs]
            wrt = {**dict(zip(g.inputs, xs)), **params}
            refs = torch.autograd.grad(func(*xs), list(wrt.values()))
            wrong = [n for n, ref in zip(wrt, refs) if not torch.allclose(g.grad(n), ref)]
            report[f"{example}-gradients"] = f"differ from torch.autograd.grad for {wrong}" if wrong else None
        except Exception as err:
            report[f"{example}-gradients"] = failure(err)
            continue
        for direction in ("forward", "backward", "both"):
            try:
                frames = g.animate(direction=direction).frames
                report[f"{example}-{direction}"] = None if frames else "no frames"
            except Exception as err:
                report[f"{example}-{direction}"] = failure(err)
    print(json.dumps(report))
"""
NO_GRAPHVIZ_CASES = [f"{e}-{c}" for e in ("chain_rule", "mlp") for c in ("gradients", "forward", "backward", "both")]


@pytest.fixture(scope="module")
def without_pygraphviz():
    """What works in a child interpreter where pygraphviz cannot be imported: case → failure or None."""
    out = run_python(NO_GRAPHVIZ)
    assert out.returncode == 0 and out.stdout.strip(), out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("case", NO_GRAPHVIZ_CASES)
def test_graph_and_frames_need_no_pygraphviz(without_pygraphviz, case):
    assert case in without_pygraphviz, f"{case} did not run: {without_pygraphviz}"
    if without_pygraphviz[case] is not None:
        pytest.fail(f"with pygraphviz unimportable, {case}: {without_pygraphviz[case]}")


# ----- the frame schema --------------------------------------------------------------------------


def mlp_graph():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    return TorchGraph(lambda x: model(x).sum(), [[0.5, -1.0, 2.0]])


FRAME_EXAMPLES = {
    "chain_rule": lambda: TorchGraph(chain_rule, [2, 1]),
    "product": lambda: TorchGraph(product, [2, 3], [2]),
    "sin": lambda: TorchGraph(sin_example, [2, 3, 4]),
    "sigmoid": lambda: TorchGraph(lambda x: Sigmoid.apply(x) * 2, [0.5]),
    "mlp": mlp_graph,
}
TANGENT_SEEDS = {"chain_rule": {"b": 1.0}, "product": {"a": 1.0}, "sin": {"x": 1.0}, "sigmoid": {"x": 1.0},
                 "mlp": {"x": [1.0, 0.0, 0.0]}}  # fmt: skip
FIELDS = ("phase", "caption", "rule", "nodes", "edges")
BANNED = ("->", "  —  ")  # pairs are [u, v] lists, and the rule is a field of its own


def strings_in(value, path: str):
    """(path, text) for every string in a JSON-like value, dict keys included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings_in(k, f"{path} key")
            yield from strings_in(v, f"{path}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from strings_in(v, f"{path}[{i}]")


def frame_problems(frame, drawn: set[str]) -> list[tuple[str, str]]:
    """What is wrong with one frame: (the problem, an example of it) pairs.

    The problem is phrased without the frame's own texts, so frames that share it are
    reported together.
    """
    if not isinstance(frame, dict):
        return [(f"is a {type(frame).__name__}, not a dict", repr(frame)[:80])]
    problems = [(f"lacks the field {f!r}", f"it has {sorted(frame)}") for f in FIELDS if f not in frame]
    try:
        json.dumps(frame, allow_nan=False)
    except (TypeError, ValueError) as err:
        problems.append(("is not JSON", str(err)))
    if "phase" in frame and frame["phase"] not in ("forward", "backward", "tangent", "update"):
        problems.append(("phase is not 'forward', 'backward', 'tangent' or 'update'", repr(frame["phase"])))
    for field in ("caption", "rule"):
        if field in frame and not isinstance(frame[field], str):
            problems.append((f"{field} is not a str", repr(frame[field])[:80]))
    nodes, edges = frame.get("nodes", []), frame.get("edges", [])
    if not isinstance(nodes, list):
        problems.append(("nodes is not a list", repr(nodes)[:80]))
    else:
        problems += [
            ("nodes names a node that is not in the drawing", repr(n))
            for n in nodes
            if not isinstance(n, str) or n not in drawn
        ]
    if not isinstance(edges, list):
        problems.append(("edges is not a list", repr(edges)[:80]))
    else:
        problems += [("edges holds something that is not a [u, v] list", repr(e)) for e in edges
                     if not (isinstance(e, list) and len(e) == 2)]  # fmt: skip
    for path, text in strings_in(frame, "frame"):
        problems += [(f"{path} contains {b!r}", repr(text[:80])) for b in BANNED if b in text]
    return problems


@pytest.mark.parametrize("direction", ["forward", "backward", "both", "tangent"])
@pytest.mark.parametrize("example", list(FRAME_EXAMPLES))
def test_every_frame_is_a_plain_json_dict_in_the_documented_schema(example, direction):
    seeds = {"wrt": TANGENT_SEEDS[example]} if direction == "tangent" else {}
    anim = FRAME_EXAMPLES[example]().animate(direction=direction, **seeds)
    drawn = {html.unescape(n) for n in re.findall(r'data-node="([^"]*)"', anim.to_html())}
    assert drawn, "the drawing has no [data-node] elements"
    assert isinstance(anim.frames, list) and anim.frames, anim.frames
    seen = defaultdict(list)  # problem → [(frame index, example)]
    for i, frame in enumerate(anim.frames):
        for problem, instance in frame_problems(frame, drawn):
            seen[problem].append((i, instance))
    if seen:
        lines = [f"  {problem}: frames {frame_list(found)} (e.g. {found[0][1]})" for problem, found in seen.items()]
        pytest.fail(f"{example}, {direction} ({len(anim.frames)} frames):\n" + "\n".join(lines))


def test_training_frames_follow_the_documented_schema_too():
    model, x, y = tiny_regression()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with record() as rec:
        for _ in range(2):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    anim = rec.animate()
    drawn = {html.unescape(n) for n in re.findall(r'data-node="([^"]*)"', anim.to_html())}
    problems = [(i, p) for i, f in enumerate(anim.frames) for p in frame_problems(f, drawn)]
    assert problems == []
    assert all(isinstance(f["step"], int) for f in anim.frames)


def frame_list(found: list[tuple[int, str]]) -> str:
    shown = ", ".join(str(i) for i, _ in found[:10])
    return shown + (f", … ({len(found)} in all)" if len(found) > 10 else "")


def test_the_frame_checker_accepts_the_documented_schema_and_names_each_departure():
    good = {
        "phase": "backward",
        "caption": "∂L/∂a = ∂L/∂y · ∂y/∂a = 2 · 3 = 6",
        "rule": "×: ∂(a·b)/∂a = b",
        "nodes": ["op0"],
        "edges": [["a", "op0"]],
        "labels": {"a": {"grad": "6"}},
    }
    assert frame_problems(good, {"a", "op0"}) == []
    old = {"phase": "backward", "caption": "step  —  rule", "nodes_lit": ["op0"], "edge_labels": {"a->op0": "6"}}
    assert [p for p, _ in frame_problems(old, {"a", "op0"})] == [
        "lacks the field 'rule'",
        "lacks the field 'nodes'",
        "lacks the field 'edges'",
        "frame['caption'] contains '  —  '",
        "frame['edge_labels'] key contains '->'",
    ]
    bad = {**good, "phase": "sideways", "nodes": ["ghost"], "edges": [["a", "op0", "x"]], "value": float("nan")}
    assert [p for p, _ in frame_problems(bad, {"a", "op0"})] == [
        "is not JSON",
        "phase is not 'forward', 'backward', 'tangent' or 'update'",
        "nodes names a node that is not in the drawing",
        "edges holds something that is not a [u, v] list",
    ]
