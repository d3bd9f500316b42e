"""The drawing half of `TorchGraph`: its stages (view, layout, scene, frames), forward mode,
the gradient check, and the pictures and animations made from them.

`Drawing` is a mixin: it reads only `self.nx` (the graph), `self._calls` (how to call each op
again) and `self._stages` (the stage cache), which `TorchGraph` sets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx
import torch

from .gcpause import paused_gc
from .heatmap import check_tensors
from .view import MAX_NODES, View, build_view

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .animation import Animation
    from .layout import Layout
    from .scene import Scene, Show


class Drawing:
    """Stages and pictures of a traced graph (mixed into `TorchGraph`; not used alone)."""

    nx: nx.DiGraph
    _calls: dict
    _stages: dict

    # ----- the stages, each computed once per set of options -------------------------------
    def _stage(self, key: tuple, make):
        if key not in self._stages:
            with paused_gc():  # a stage makes many objects and no garbage cycles
                self._stages[key] = make()
        return self._stages[key]

    def view(
        self, depth: int | None = None, max_nodes: int = MAX_NODES, extra: tuple = (), tensors: str = "text"
    ) -> View:
        """What the drawing shows: fold map, every box's texts and size (options as in `plot`).

        `extra` lists (node, "value"|"grad"|"tangent", text) texts that frames show beyond the graph's own.
        """
        key = ("view", depth, max_nodes, extra, tensors)
        return self._stage(key, lambda: build_view(self.nx, depth, max_nodes, extra, tensors))

    def layout(
        self, depth: int | None = None, max_nodes: int = MAX_NODES, extra: tuple = (), tensors: str = "text"
    ) -> Layout:
        """Where every box of the view goes (graphviz `dot`, run once per view; options as in `plot`)."""
        from .layout import compute_layout

        view = self.view(depth, max_nodes, extra, tensors)
        return self._stage(("layout", depth, max_nodes, extra, tensors), lambda: compute_layout(view))

    def scene(
        self,
        with_all: bool = False,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        show: Show | None = None,
        extra: tuple = (),
        tensors: str = "text",
    ) -> Scene:
        """Every shape of the drawing (options as in `plot`); `show` (a `scene.Show`) overrides `with_all`."""
        from .scene import build_scene, show_all

        view = self.view(depth, max_nodes, extra, tensors)
        if show is None and with_all:
            show = show_all(view)
        return build_scene(view, self.layout(depth, max_nodes, extra, tensors), show)

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
        with paused_gc():
            frames = build_frames(self.nx, self.view(depth, max_nodes), direction, tangents)
        return mark_frames(frames, self.check(), self.nx) if check else frames

    # ----- forward mode and the gradient check -------------------------------------------------
    def tangents(self, wrt: dict) -> dict[str, torch.Tensor]:
        """Forward mode: every tensor's tangent when the inputs in `wrt` move along their seeds, by the
        name the drawing gives it (`x`, `v1`, `out`).

        >>> from ani_graph import TorchGraph
        >>> TorchGraph(lambda x, a: a * x, [2, 3]).tangents({"x": 1.0})["out"]
        tensor(3.)
        """
        from .tangent import forward_mode
        from .view import display_names

        found = forward_mode(self.nx, self._calls, wrt).of
        names = display_names(self.nx)  # the names the drawing and the captions use: x, v1, out
        out: dict[str, torch.Tensor] = {}
        for n, t in found.items():
            key = names.get(n, n)
            out[n if key in out else key] = t.clone()  # two constants of one value: the second by node id
        return out

    def check(self, max_elements: int = 64):
        """Every gradient against central finite differences in float64, and every op's backward
        against its forward (naming a wrong custom Function): a `check.CheckReport`.

        >>> from ani_graph import TorchGraph
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
        tensors: str = "text",
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
        tensors : {"text", "heatmap"}, default "text"
            "heatmap" draws a value or gradient of 2 to 64 elements as a small grid of cells
            coloured by `style.diverging` (0 white, negative blue, positive orange, each grid
            scaled to its own largest magnitude) with its range beside it, and a key under
            the drawing. Scalars and larger tensors keep their text.

        Raises
        ------
        TypeError
            An unknown keyword option.
        ValueError
            A `tensors` other than "text" or "heatmap".

        Examples
        --------
        >>> import torch
        >>> from ani_graph import TorchGraph
        >>> g = TorchGraph(lambda W, x: (W @ x).sum(), [torch.ones(4, 3), torch.ones(3)])
        >>> ax = g.plot(with_all=True, tensors="heatmap")
        """
        _no_style(style)
        check_tensors(tensors)
        from .render_mpl import plot_scene

        return plot_scene(self.scene(with_all, depth, max_nodes, tensors=tensors), ax)

    def to_svg(
        self,
        with_all: bool = False,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        tensors: str = "text",
        **style: Any,
    ) -> str:
        """The drawing as SVG text; `data-node` (and `data-src`, `data-dst`) name every node and edge.

        Takes `with_all`, `depth`, `max_nodes` and `tensors` as `plot` does, and raises
        `TypeError` on an unknown keyword option, `ValueError` on a bad `tensors`.
        """
        _no_style(style)
        check_tensors(tensors)
        from .render_svg import scene_to_svg

        return scene_to_svg(self.scene(with_all, depth, max_nodes, tensors=tensors), placeholders=False)

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
        tensors: str = "text",
        quiz: bool = False,
        tolerance: float = 1e-2,
        seed: int = 0,
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
            Above this many boxes, or 48 along the longest path, modules fold on their own (a chain
            with no modules shows its ends, the middle elided). A folded module animates as one step.
        wrt : dict, optional
            For "tangent": seed tangents by input (or parameter) name, e.g. ``{"x": 1.0}``; other
            inputs start at 0. A vector input takes a seed vector.
        check : bool, default False
            Mark each final gradient badge ✓ or ✗ against central finite differences (`check`).
        tensors : {"text", "heatmap"}, default "text"
            "heatmap": small tensors as grids, as in `plot`; a gradient's grid shows when the pass reaches it.
        quiz, tolerance, seed
            ``quiz=True`` asks for each number before revealing it, as `quiz` does.

        Returns
        -------
        Animation
            Shows as a stand-alone HTML player that works in a saved notebook without a kernel;
            `.widget` is the live widget, `.frames` the frame list, `.frame` the one shown,
            `.to_html()` a page that loads nothing, `.save(path)` writes `.html` or `.gif`.

        Raises
        ------
        ValueError
            An unknown `direction` or `tensors`, or an `interval_ms` that is not a whole number ≥ 16.

        Examples
        --------
        >>> from ani_graph import TorchGraph
        >>> anim = TorchGraph(lambda x: x.sin(), [1.0]).animate("both")
        >>> anim.frames[0]["phase"], anim.frames[-1]["phase"]
        ('forward', 'backward')
        """
        from .animation import Animation

        return Animation(self, direction, interval_ms, depth, max_nodes, wrt, check, tensors, quiz, tolerance, seed)

    def quiz(
        self,
        direction: str = "backward",
        *,
        tolerance: float = 1e-2,
        seed: int = 0,
        interval_ms: int = 700,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
    ) -> Animation:
        """An animation in quiz mode: predict each gradient (or value) before the player reveals it.

        Before each step that reveals a number the player stops and asks for it: type it
        (a tensor of up to 4 elements comma-separated; a larger one is asked for one element,
        chosen at random from `seed`) and press Enter. A right answer plays the step; a wrong
        one gets a hint from the op's rule with this step's numbers; a second wrong answer,
        or Reveal, shows the answer. The end shows the score ("5 of 7 right first time").

        Parameters
        ----------
        direction : {"backward", "forward", "both"}, default "backward"
            Ask for gradients going backward, values going forward, or both.
        tolerance : float, default 1e-2
            Relative tolerance: right when |answer − expected| ≤ tolerance·max(|expected|, 0.001).
        seed : int, default 0
            Picks the element asked for in tensors of more than 4 elements (the same every time).
        interval_ms, depth, max_nodes
            As in `animate`.

        Returns
        -------
        Animation
            Plays as the stand-alone player (score on the page only) or, as `.widget`, the live
            widget, whose answers `.results` reads back: one dict per question with `step`,
            `node`, `answer`, `correct` and `tries`.

        Raises
        ------
        ValueError
            direction "tangent" or an unknown one, or a tolerance outside (0, 1).

        Examples
        --------
        >>> from ani_graph import TorchGraph
        >>> from ani_graph.examples import sin_example
        >>> quiz = TorchGraph(sin_example, [2, 3, 4]).quiz()
        >>> [q["prompt"] for q in quiz.quiz["questions"]]
        ['∂y/∂v2', '∂y/∂v1', '∂y/∂c', '∂y/∂a', '∂y/∂x']
        """
        return self.animate(
            direction, interval_ms=interval_ms, depth=depth, max_nodes=max_nodes, quiz=True, tolerance=tolerance,
            seed=seed,
        )  # fmt: skip


def _no_style(style: dict) -> None:
    if style:
        raise TypeError(f"unknown drawing option(s): {', '.join(sorted(style))}")
