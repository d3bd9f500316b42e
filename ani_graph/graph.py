"""`TorchGraph`: a traced computation with every value and gradient, as a networkx graph.

It is the facade of the pipeline: it runs the trace once, then computes each stage
(view, layout, scene, frames) on first use and keeps it. Examples are in its docstrings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch

from .assemble import name_outputs, to_networkx
from .inputs import check_not_inference as _check_not_inference
from .inputs import input_names, to_grad_outputs, to_input, to_outputs
from .summary import VALUE_LIMIT, TensorSummary, check_value_limit
from .tracing import Recorder
from .tracing.naming import code_of, modules_used_by, referenced_tensors
from .view import MAX_NODES, View, build_view

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .animation import Animation
    from .layout import Layout
    from .scene import Scene, Show


class TorchGraph:
    """A PyTorch computation, run once forward and once backward, as a graph.

    Parameters
    ----------
    func : callable
        A function, lambda or `nn.Module` returning a tensor or a tuple/list of tensors.
    inputs : list
        One entry per positional argument of `func`: a number, nested list, numpy array
        or tensor. Each becomes a fresh float tensor that requires grad; integers become
        the default float dtype, and the caller's own tensors are never touched.
    grad_outputs : list, optional
        One upstream gradient per output (a number or anything that broadcasts to the
        output's shape). Default: 1 for a scalar output; required otherwise.
    value_limit : int, default 1_000_000
        Values and gradients with more elements are kept as a `TensorSummary`.

    Raises
    ------
    TypeError
        `func` is not callable, or an input, output or upstream gradient has a wrong type.
    ValueError
        A non-scalar output has no upstream gradient, one does not broadcast, or
        `value_limit` is not a positive int.

    Attributes
    ----------
    nx : networkx.DiGraph
        The graph itself: tensor and op nodes, and edges, with the attributes the README lists.

    Examples
    --------
    >>> import torch
    >>> g = TorchGraph(lambda a, b: a * b, [2, 3], [2])
    >>> float(g.grad("a")), float(g.grad("b"))
    (6.0, 4.0)
    """

    def __init__(
        self,
        func: Callable[..., Any],
        inputs: Sequence[Any],
        grad_outputs: Sequence[Any] | None = None,
        *,
        value_limit: int = VALUE_LIMIT,
    ) -> None:
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
        for prefix, module in modules_used_by(func):
            rec.add_root_module(module, prefix)
        rec.watch_locals_of(code_of(func))
        try:
            with torch.enable_grad():  # under a caller's `no_grad` PyTorch would build no graph to draw
                with rec:
                    result = func(*tensors)
                outputs = to_outputs(result)
                rec.name_from_locals(rec.final_locals())
                rec.name_from_locals(referenced_tensors(func))  # constants read from outside: a global W
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
        name_outputs(rec, out_ids, outputs)
        nodes = rec.trace.nodes
        out_names = [nodes[nid]["name"] for nid in out_ids]
        upstream = to_grad_outputs(grad_outputs, outputs, out_names)
        grads, shares = rec.backward(outputs, upstream, retain_graph=retain_graph)

        G, given = to_networkx(rec, out_ids, upstream, grads, shares)
        self.nx = G
        self._input_ids = list(rec.trace.inputs)
        self._output_ids = out_ids
        self._upstream = given
        self._calls = dict(rec.trace.calls)  # op id -> how to call it again (forward mode, check)
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
        """The node id of a tensor given its name (or its node id); KeyError names the known ones."""
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

    def value(self, name: str) -> torch.Tensor | TensorSummary:
        """A detached copy of a named tensor's value (a `TensorSummary` above the value limit).

        Raises
        ------
        KeyError
            No tensor has that name; the message lists the names there are.
        """
        return self.nx.nodes[self.node_id(name)]["value"].clone()

    def grad(self, name: str) -> torch.Tensor | TensorSummary | None:
        """d(Σ⟨grad_output, output⟩)/d(tensor) for a named tensor, or None where unused.

        Raises
        ------
        KeyError
            No tensor has that name.
        """
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

    def view(self, depth: int | None = None, max_nodes: int = MAX_NODES, extra: tuple = ()) -> View:
        """What the drawing shows: fold map, every box's texts and size (`depth`, `max_nodes` as in `plot`).

        `extra` lists (node, "value"|"grad"|"tangent", text) texts that frames show beyond the graph's own.
        """
        return self._stage(("view", depth, max_nodes, extra), lambda: build_view(self.nx, depth, max_nodes, extra))

    def layout(self, depth: int | None = None, max_nodes: int = MAX_NODES, extra: tuple = ()) -> Layout:
        """Where every box of the view goes (graphviz `dot`, run once per view; options as in `plot`)."""
        from .layout import compute_layout

        view = self.view(depth, max_nodes, extra)
        return self._stage(("layout", depth, max_nodes, extra), lambda: compute_layout(view))

    def scene(
        self,
        with_all: bool = False,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        show: Show | None = None,
        extra: tuple = (),
    ) -> Scene:
        """Every shape of the drawing (options as in `plot`); `show` (a `scene.Show`) overrides `with_all`."""
        from .scene import build_scene, show_all

        view = self.view(depth, max_nodes, extra)
        if show is None and with_all:
            show = show_all(view)
        return build_scene(view, self.layout(depth, max_nodes, extra), show)

    def frames(
        self,
        direction: str = "backward",
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        wrt: dict | None = None,
        check: bool = False,
    ) -> list[dict]:
        """The frame list `animate` plays (schema at the top of `ani_graph.frames`); ValueError on a bad `direction`.

        `wrt` seeds the "tangent" direction; `check` marks each final gradient ✓/✗ against finite differences.
        """
        from .check import mark_frames
        from .frames import build_frames
        from .tangent import seeded

        tangents = seeded(self.nx, self._calls, direction, wrt)
        frames = build_frames(self.nx, self.view(depth, max_nodes), direction, tangents)
        return mark_frames(frames, self.check(), self.nx) if check else frames

    # ----- forward mode and the gradient check -------------------------------------------------
    def tangents(self, wrt: dict) -> dict[str, torch.Tensor]:
        """Forward mode: every tensor's tangent (by name) when the inputs in `wrt` move along their seeds.

        >>> TorchGraph(lambda x, a: a * x, [2, 3]).tangents({"x": 1.0})["out"]
        tensor(3.)
        """
        from .tangent import forward_mode

        found = forward_mode(self.nx, self._calls, wrt).of
        return {self.nx.nodes[n]["name"] or n: t.clone() for n, t in found.items()}

    def check(self, max_elements: int = 64):
        """Every gradient against central finite differences in float64, and every op's backward
        against its forward (naming a wrong custom Function): a `check.CheckReport`.

        >>> TorchGraph(lambda x: x * x, [3.0]).check().ok
        True
        """
        from .check import check_graph

        return self._stage(("check", max_elements), lambda: check_graph(self.nx, self._calls, max_elements))

    # ----- drawing (renderers are loaded on first use) ----------------------------------------
    def plot(
        self,
        with_all: bool = False,
        ax: Axes | None = None,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        **style: Any,
    ) -> Axes:
        """Draw the graph with matplotlib and return the `Axes`.

        Parameters
        ----------
        with_all : bool, default False
            Also show every value, gradient and edge share.
        ax : matplotlib Axes, optional
            Default: the current figure, so `plt.figure(figsize=...)` before it works.
        depth : int, optional
            Fold modules nested deeper than `depth` into one box each.
        max_nodes : int, default 300
            Above this many boxes, or 48 along the longest path, modules fold on their own (a
            chain with no modules shows its ends, the middle elided); the drawing says so.

        Raises
        ------
        TypeError
            An unknown keyword option.
        """
        _no_style(style)
        from .render_mpl import plot_scene

        return plot_scene(self.scene(with_all, depth, max_nodes), ax)

    def to_svg(self, with_all: bool = False, depth: int | None = None, max_nodes: int = MAX_NODES, **style: Any) -> str:
        """The drawing as SVG text, with stable ids for every node and edge.

        Takes `with_all`, `depth` and `max_nodes` as `plot` does, and raises `TypeError` on
        an unknown keyword option.
        """
        _no_style(style)
        from .render_svg import scene_to_svg

        return scene_to_svg(self.scene(with_all, depth, max_nodes))

    def to_dot(self, depth: int | None = None, max_nodes: int = MAX_NODES) -> str:
        """The graphviz DOT source of the layout (ids and sizes; ani-graph draws all text itself)."""
        from .layout import to_dot

        return to_dot(self.view(depth, max_nodes))

    def animate(
        self,
        direction: str = "backward",
        *,
        interval_ms: int = 700,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        wrt: dict | None = None,
        check: bool = False,
    ) -> Animation:
        """Animate values flowing forward and/or gradients flowing backward, a step per frame.

        Parameters
        ----------
        direction : {"backward", "forward", "both", "tangent"}, default "backward"
            "both" plays the forward pass, then the backward pass. "tangent" animates forward
            mode: the seed tangents given by `wrt` travel forward with the values.
        interval_ms : int, default 700
            Milliseconds per frame while playing; at least 16.
        depth : int, optional
            Fold modules nested deeper than `depth` into one box each.
        max_nodes : int, default 300
            Above this many boxes, or 48 along the longest path, modules fold on their own (a
            chain with no modules shows its ends, the middle elided). A folded module
            animates as one step.
        wrt : dict, optional
            For "tangent": seed tangents by input (or parameter) name, e.g. ``{"x": 1.0}``;
            other inputs start at 0. A vector input takes a seed vector.
        check : bool, default False
            Mark each final gradient badge ✓ or ✗ against central finite differences
            (see `check`).

        Returns
        -------
        Animation
            At the end of a cell it shows as a widget: Play, Pause, step buttons, a slider
            and each step's chain-rule caption. The same output carries a stand-alone HTML
            player and a PNG, for front ends that cannot run widgets and notebooks viewed
            without a kernel. `.frames` is the frame list, `.frame` the one shown,
            `.to_html()` one page that loads nothing from the network, and `.save(path)`
            writes `.html` or `.gif`.

        Raises
        ------
        ValueError
            An unknown `direction`, or an `interval_ms` that is not a whole number ≥ 16.

        Examples
        --------
        >>> import torch
        >>> anim = TorchGraph(lambda x: torch.sin(x), [1.0]).animate("both")
        >>> anim.frames[0]["phase"], anim.frames[-1]["phase"]
        ('forward', 'backward')
        """
        from .animation import Animation

        return Animation(
            self, direction, interval_ms=interval_ms, depth=depth, max_nodes=max_nodes, wrt=wrt, check=check
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        """A bare `g` in a notebook: the SVG, plus a PNG for viewers that sanitise SVG."""
        from .bundle import drawing_bundle

        return drawing_bundle(self.scene(with_all=True), repr(self))


def _no_style(style: dict) -> None:
    if style:
        raise TypeError(f"unknown drawing option(s): {', '.join(sorted(style))}")
