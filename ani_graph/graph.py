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
import functools
import inspect
import sys
import warnings

import networkx as nx
import torch

from .inputs import input_names, to_grad_outputs, to_input, to_outputs
from .summary import VALUE_LIMIT, check_value_limit, keep
from .tracing import Recorder
from .view import MAX_NODES, View, build_view


def _unwrap(func):
    """The function behind a `functools.partial` (and partials of partials)."""
    while isinstance(func, functools.partial):
        func = func.func
    return func


def _code_of(func):
    """The code object whose locals name the intermediates of `func`, if there is one."""
    try:  # only names depend on it: an exotic callable (a scripted module) just goes without
        func = _unwrap(func)
        if isinstance(func, torch.nn.Module):
            func = type(func).forward
        func = inspect.unwrap(getattr(func, "__func__", func))
        code = getattr(func, "__code__", None)
        if code is None and callable(func):
            code = getattr(getattr(type(func), "__call__", None), "__code__", None)
    except Exception:
        return None
    return code


def _modules_used_by(func) -> list[tuple[str, torch.nn.Module]]:
    """Modules that `func` refers to (closure, globals, bound self, a partial's arguments), to name their parameters."""
    bound = []
    while isinstance(func, functools.partial):
        bound += [*func.args, *func.keywords.values()]
        func = func.func
    found = [("", m) for m in bound if isinstance(m, torch.nn.Module)]
    if isinstance(func, torch.nn.Module):
        found.append(("", func))
    owner = getattr(func, "__self__", None)
    if isinstance(owner, torch.nn.Module):
        found.append(("", owner))
    try:
        refs = inspect.getclosurevars(func)
        candidates = {**refs.globals, **refs.nonlocals}
    except Exception:  # not a plain Python function: its modules are named when they run
        candidates = {}
    found += [("", m) for m in candidates.values() if isinstance(m, torch.nn.Module)]
    return found


def _check_not_inference(what: str) -> None:
    """Inference mode makes tensors that can never have a gradient: say so before running anything."""
    if torch.is_inference_mode_enabled():
        raise RuntimeError(
            f"{what} cannot run under torch.inference_mode(): tensors made there never have gradients, so "
            "there would be nothing to draw. Call it outside the inference_mode block."
        )


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
        value_limit = check_value_limit(value_limit)
        _check_not_inference("TorchGraph(...)")
        if not callable(func):
            raise TypeError(f"func must be callable (a function, lambda or nn.Module), not {type(func).__name__}.")
        if isinstance(func, type):
            raise TypeError(
                f"func is the class {func.__name__}, not a function or a module; pass an instance, "
                f"e.g. TorchGraph({func.__name__}(...), inputs), or a function."
            )
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(
                f"inputs must be a list with one entry per argument of func; for a single argument write [{inputs!r}]."[
                    :200
                ]
            )
        names = input_names(func, len(inputs))
        tensors = [to_input(v, n) for v, n in zip(inputs, names)]
        # module buffers and the RNG go back as they were: building a graph has no side effects
        rec = Recorder(
            input_kind_for_unknown_leaves="param", value_limit=value_limit, restore_state=True, allow_backward=False
        )
        for t, n in zip(tensors, names):
            rec.add_input(t, n)
        for prefix, module in _modules_used_by(func):
            rec.add_root_module(module, prefix)
        rec.watch_locals_of(_code_of(func))
        try:
            with torch.enable_grad():  # under a caller's `no_grad` PyTorch would build no graph to draw
                with rec:
                    result = func(*tensors)
                outputs = to_outputs(result)
                rec.name_from_locals(rec.final_locals())
                self._finish(rec, outputs, grad_outputs, retain_graph=False)
        finally:
            rec.restore_state()

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
        for i, (nid, t) in enumerate(zip(out_ids, outputs)):
            attrs = nodes[nid]
            if attrs["kind"] == "intermediate":
                attrs["kind"] = "output"
            elif attrs["kind"] == "input" and nid not in rec.trace.inputs and t.grad_fn is not None:
                warnings.warn(
                    f"output {i} was made by operations ani-graph could not see (TorchScript, or code that ran "
                    "before the recording began), so the drawing does not show how it was computed.",
                    stacklevel=3,
                )
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
        given: dict[str, torch.Tensor | None] = {}  # output node -> its upstream gradient
        for nid, g in zip(out_ids, upstream):  # a tensor returned twice gets both upstream gradients
            given[nid] = g if given.get(nid) is None else (given[nid] if g is None else given[nid] + g)
        for nid, attrs in nodes.items():
            attrs = dict(attrs)
            if attrs["kind"] != "op":
                attrs["grad"] = grads.get(nid)
            if nid in given:  # the gradient fed into this output from outside (grad_outputs)
                attrs["upstream"] = keep(given[nid], rec.value_limit)
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
        self._upstream = given
        self._by_name: dict[str, list[str]] = {}  # a parameter may share its name with an input
        for nid, a in G.nodes(data=True):
            if a.get("name") and a["kind"] != "op":
                self._by_name.setdefault(a["name"], []).append(nid)
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
        if not isinstance(name, str):
            raise TypeError(f"a tensor is named by a string such as {(self.inputs or ['x'])[0]!r}, not {name!r}.")
        if name in self._by_name:
            found = self._by_name[name]
            if len(found) > 1:
                which = ", ".join(f"{nid} ({self.nx.nodes[nid]['kind']})" for nid in found)
                raise KeyError(f"{name!r} names {len(found)} tensors in this graph: {which}; pass the node id instead.")
            return found[0]
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

    def upstream(self, name: str) -> torch.Tensor | None:
        """The upstream gradient that was fed into a named output (None for one that carries no gradient)."""
        nid = self.node_id(name)
        if nid not in self._upstream:
            raise KeyError(f"{name!r} is not an output of this graph; its outputs are {', '.join(self.outputs)}.")
        g = self._upstream[nid]
        return None if g is None else g.clone()

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
        self._grad_was_off = False

    def __enter__(self) -> Recording:
        if self._locals is not None:
            raise RuntimeError("this recording has already ended; start a new one with `with record() as rec:`")
        if self._frame is not None:
            raise RuntimeError("this recording is already running; start a new one with `with record() as rec:`")
        _check_not_inference("record()")
        self._grad_was_off = not torch.is_grad_enabled()
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
        _check_not_inference("rec.graph(...)")
        outputs = to_outputs(outputs)
        for i, t in enumerate(outputs):
            if self._recorder.knows(t):
                continue
            if self._grad_was_off:
                raise ValueError(
                    "the `with record()` block ran with gradients switched off (inside torch.no_grad() or "
                    "set_grad_enabled(False)), so PyTorch built no graph to draw. Start the recording outside "
                    "no_grad, or wrap the code inside it in `with torch.enable_grad():`."
                )
            raise ValueError(
                f"output {i} was not computed inside the `with record()` block; pass a tensor "
                "that the recorded code produced (e.g. the loss)."
            )
        with torch.enable_grad():
            return TorchGraph._from_recorder(self._recorder, outputs, grad_outputs, self._locals)


def record(value_limit: int = VALUE_LIMIT) -> Recording:
    """Record code you already have, then draw it.

    Unlike `TorchGraph`, the code in the block is yours: what it changes (BatchNorm
    statistics, the RNG, an optimizer step) stays changed, as it would without ani-graph.

    >>> import torch
    >>> w = torch.tensor([1.0, 2.0], requires_grad=True)
    >>> with record() as rec:
    ...     loss = (w * w).sum()
    >>> g = rec.graph(loss)
    >>> g.grad("w").tolist()
    [2.0, 4.0]
    """
    return Recording(check_value_limit(value_limit))
