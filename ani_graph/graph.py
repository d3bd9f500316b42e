"""`TorchGraph`: a traced computation with every value and gradient, as a networkx graph.

>>> import torch
>>> g = TorchGraph(lambda x, a, c: torch.sin(a * x + c), [2, 3, 4])
>>> g.inputs
['x', 'a', 'c']
>>> round(float(g.grad("x")), 4) == round(3 * float(torch.cos(torch.tensor(10.0))), 4)
True
"""

from __future__ import annotations

import base64
import inspect
import sys

import networkx as nx
import torch

from .inputs import input_names, to_grad_outputs, to_input, to_outputs
from .summary import VALUE_LIMIT, keep
from .tracing import Recorder
from .tracing.naming import referenced_tensors
from .view import MAX_NODES, View, build_view


def _code_of(func):
    """The code object whose locals name the intermediates of `func`, if there is one."""
    if isinstance(func, torch.nn.Module):
        func = type(func).forward
    func = inspect.unwrap(getattr(func, "__func__", func))
    code = getattr(func, "__code__", None)
    if code is None and callable(func):
        code = getattr(getattr(type(func), "__call__", None), "__code__", None)
    return code


def _modules_used_by(func) -> list[tuple[str, torch.nn.Module]]:
    """Modules that `func` refers to (closure, globals, bound self), to name their parameters."""
    found = []
    if isinstance(func, torch.nn.Module):
        found.append(("", func))
    owner = getattr(func, "__self__", None)
    if isinstance(owner, torch.nn.Module):
        found.append(("", owner))
    try:
        refs = inspect.getclosurevars(func)
        candidates = {**refs.globals, **refs.nonlocals}
    except (TypeError, ValueError):
        candidates = {}
    found += [("", m) for m in candidates.values() if isinstance(m, torch.nn.Module)]
    return found


class TorchGraph:
    """A PyTorch computation, run once forward and once backward, as a graph.

    `func` is any callable (function, lambda, `nn.Module`) returning a tensor or a
    tuple/list of tensors. `inputs` has one entry per positional argument; each
    becomes a fresh float tensor that requires grad. `grad_outputs` gives the
    upstream gradient of each output (default 1 for scalar outputs).

    >>> import torch
    >>> g = TorchGraph(lambda a, b: a * b, [2, 3], [2])
    >>> float(g.grad("a")), float(g.grad("b"))
    (6.0, 4.0)
    """

    def __init__(self, func, inputs, grad_outputs=None, *, value_limit: int = VALUE_LIMIT):
        if not callable(func):
            raise TypeError(f"func must be callable (a function, lambda or nn.Module), not {type(func).__name__}.")
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(
                f"inputs must be a list with one entry per argument of func; for a single argument write [{inputs!r}]."[
                    :200
                ]
            )
        names = input_names(func, len(inputs))
        tensors = [to_input(v, n) for v, n in zip(inputs, names)]
        if isinstance(value_limit, bool) or not isinstance(value_limit, int) or value_limit < 1:
            raise ValueError(f"value_limit must be a positive number of elements, not {value_limit!r}.")
        rec = Recorder(input_kind_for_unknown_leaves="param", value_limit=value_limit)
        for t, n in zip(tensors, names):
            rec.add_input(t, n)
        for prefix, module in _modules_used_by(func):
            rec.add_root_module(module, prefix)
        rec.watch_locals_of(_code_of(func))
        with rec:
            result = func(*tensors)
        outputs = to_outputs(result)
        rec.name_from_locals(rec.final_locals())
        rec.name_from_locals(referenced_tensors(func))  # constants read from outside: a global W
        self._finish(rec, outputs, grad_outputs, retain_graph=False)

    @classmethod
    def _from_recorder(cls, rec: Recorder, outputs, grad_outputs, local_vars: dict) -> TorchGraph:
        self = cls.__new__(cls)
        rec.name_from_locals(local_vars)
        self._finish(rec, outputs, grad_outputs, retain_graph=True)
        return self

    def _finish(self, rec: Recorder, outputs: list[torch.Tensor], grad_outputs, *, retain_graph: bool):
        out_ids = rec.set_outputs(outputs)
        nodes = rec.trace.nodes
        taken = {a["name"] for a in nodes.values() if a.get("name")}
        for i, nid in enumerate(out_ids):
            attrs = nodes[nid]
            if attrs["kind"] == "intermediate":
                attrs["kind"] = "output"
            if not attrs["name"]:
                base = "out" if len(out_ids) == 1 else f"out{i}"
                name, n = base, 1
                while name in taken:
                    name, n = f"{base}_{n}", n + 1
                attrs["name"] = attrs["label"] = name
                taken.add(name)
        out_names = [nodes[nid]["name"] for nid in out_ids]
        upstream = to_grad_outputs(grad_outputs, outputs, out_names)
        grads, shares = rec.backward(outputs, upstream, retain_graph=retain_graph)

        G = nx.DiGraph(module_types=dict(rec.trace.module_types))
        upstream_of = {nid: keep(g, rec.value_limit) for nid, g in zip(out_ids, upstream)}
        for nid, attrs in nodes.items():
            attrs = dict(attrs)
            if attrs["kind"] != "op":
                attrs["grad"] = grads.get(nid)
            if nid in upstream_of:  # the gradient fed into this output from outside (grad_outputs)
                attrs["upstream"] = upstream_of[nid]
            G.add_node(nid, **attrs)
        for u, v, attrs in rec.trace.edges:
            attrs = dict(attrs)
            if "arg" in attrs:  # the value an op read is that of the tensor version it read
                attrs["value"] = G.nodes[u]["value"]
                attrs["grad"] = shares.get((u, v))
            G.add_edge(u, v, **attrs)
        self.nx = G
        self._input_ids = list(rec.trace.inputs)
        self._output_ids = out_ids
        self._upstream = dict(zip(out_ids, upstream))
        self._by_name = {a["name"]: nid for nid, a in G.nodes(data=True) if a.get("name")}
        self._stages: dict = {}

    # ----- reading values ---------------------------------------------------------
    @property
    def inputs(self) -> list[str]:
        """Names of the input tensor nodes, in argument order."""
        return [self.nx.nodes[n]["name"] for n in self._input_ids]

    @property
    def outputs(self) -> list[str]:
        """Names of the output tensor nodes, in return order."""
        return [self.nx.nodes[n]["name"] for n in self._output_ids]

    def node_id(self, name: str) -> str:
        """The node id of a tensor given its name (or its node id)."""
        if name in self._by_name:
            return self._by_name[name]
        if name in self.nx and self.nx.nodes[name]["kind"] != "op":
            return name
        known = ", ".join(sorted(self._by_name)) or "none"
        raise KeyError(f"no tensor named {name!r} in this graph; named tensors: {known}")

    def value(self, name: str) -> torch.Tensor:
        """The value of a named tensor node (a detached copy), or a `TensorSummary` above the value limit."""
        return self.nx.nodes[self.node_id(name)]["value"].clone()

    def grad(self, name: str) -> torch.Tensor | None:
        """d(Σ⟨grad_output, output⟩)/d(tensor) for a named tensor node, or None if unused."""
        g = self.nx.nodes[self.node_id(name)]["grad"]
        return None if g is None else g.clone()

    def upstream(self, name: str) -> torch.Tensor:
        """The upstream gradient that was fed into a named output."""
        return self._upstream[self.node_id(name)].clone()

    def __repr__(self) -> str:
        ops = sum(1 for _, a in self.nx.nodes(data=True) if a["kind"] == "op")
        return (
            f"<TorchGraph inputs={self.inputs} outputs={self.outputs} "
            f"{ops} ops, {self.nx.number_of_nodes() - ops} tensors>"
        )

    # ----- the stages, each computed once per set of options -------------------------------
    def _stage(self, key: tuple, make):
        if key not in self._stages:
            self._stages[key] = make()
        return self._stages[key]

    def view(self, depth: int | None = None, max_nodes: int = MAX_NODES) -> View:
        """What the drawing shows: fold map, every box's texts and size, links and clusters."""
        return self._stage(("view", depth, max_nodes), lambda: build_view(self.nx, depth, max_nodes))

    def layout(self, depth: int | None = None, max_nodes: int = MAX_NODES):
        """Where every box of the view goes (graphviz `dot`, run once per view)."""
        from .layout import compute_layout

        view = self.view(depth, max_nodes)
        return self._stage(("layout", depth, max_nodes), lambda: compute_layout(view))

    def scene(self, with_all: bool = False, depth: int | None = None, max_nodes: int = MAX_NODES, show=None):
        """Every shape of the drawing; `show` (a `scene.Show`) overrides `with_all`."""
        from .scene import build_scene, show_all

        view = self.view(depth, max_nodes)
        if show is None and with_all:
            show = show_all(view)
        return build_scene(view, self.layout(depth, max_nodes), show)

    def frames(self, direction: str = "backward", depth: int | None = None, max_nodes: int = MAX_NODES) -> list[dict]:
        """The teaching schedule for `direction` (see `ani_graph.frames` for the schema)."""
        from .frames import build_frames

        return build_frames(self.nx, self.view(depth, max_nodes), direction)

    # ----- drawing (renderers are loaded on first use) ----------------------------------------
    def plot(self, with_all: bool = False, ax=None, depth: int | None = None, max_nodes: int = MAX_NODES, **style):
        """Draw with matplotlib into `ax` or the current figure; returns the Axes."""
        _no_style(style)
        from .render_mpl import plot_scene

        return plot_scene(self.scene(with_all, depth, max_nodes), ax)

    def to_svg(self, with_all: bool = False, depth: int | None = None, max_nodes: int = MAX_NODES, **style) -> str:
        """The drawing as SVG text, with stable ids for every node and edge."""
        _no_style(style)
        from .render_svg import scene_to_svg

        return scene_to_svg(self.scene(with_all, depth, max_nodes))

    def to_dot(self, depth: int | None = None, max_nodes: int = MAX_NODES) -> str:
        """The graphviz DOT source of the layout (ids and sizes; ani-graph draws all text itself)."""
        from .layout import to_dot

        return to_dot(self.view(depth, max_nodes))

    def animate(self, direction: str = "backward", **options):
        """An `Animation` of values flowing forward and/or gradients flowing backward."""
        from .animation import Animation

        return Animation(self, direction=direction, **options)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """A bare `g` in a notebook: the SVG, plus a PNG for viewers that sanitise SVG."""
        from .render_mpl import scene_to_png
        from .render_svg import scene_to_svg

        scene = self.scene(with_all=True)
        return {
            "image/svg+xml": scene_to_svg(scene),
            "image/png": base64.b64encode(scene_to_png(scene)).decode("ascii"),
            "text/plain": repr(self),
        }


def _no_style(style: dict) -> None:
    if style:
        raise TypeError(f"unknown drawing option(s): {', '.join(sorted(style))}")


class Recording:
    """What `record()` returns: call `.graph(outputs)` after the `with` block."""

    def __init__(self, value_limit: int = VALUE_LIMIT):
        self._recorder = Recorder(input_kind_for_unknown_leaves="input", value_limit=value_limit)
        self._frame = None
        self._locals: dict | None = None

    def __enter__(self) -> Recording:
        if self._locals is not None:
            raise RuntimeError("this recording has already ended; start a new one with `with record() as rec:`")
        self._frame = sys._getframe(1)
        self._recorder.__enter__()
        return self

    def __exit__(self, *exc):
        try:
            return self._recorder.__exit__(*exc)
        finally:
            self._locals = dict(self._frame.f_locals) if self._frame is not None else {}
            self._frame = None

    def graph(self, outputs, grad_outputs=None) -> TorchGraph:
        """A `TorchGraph` of what was recorded, with gradients of `outputs`."""
        if self._locals is None:
            raise RuntimeError("call rec.graph(...) after the `with record() as rec:` block has ended.")
        outputs = to_outputs(outputs)
        for i, t in enumerate(outputs):
            if not self._recorder.knows(t):
                raise ValueError(
                    f"output {i} was not computed inside the `with record()` block; pass a tensor "
                    "that the recorded code produced (e.g. the loss)."
                )
        return TorchGraph._from_recorder(self._recorder, outputs, grad_outputs, self._locals)


def record(value_limit: int = VALUE_LIMIT) -> Recording:
    """Record code you already have, then draw it.

    >>> import torch
    >>> w = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> with record() as rec:
    ...     loss = (w * w).sum()
    >>> g = rec.graph(loss)
    >>> g.grad("w").tolist()
    [2.0, 4.0]
    """
    return Recording(value_limit)
