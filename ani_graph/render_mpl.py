"""The same scene drawn with matplotlib: `g.plot()`, PNG pictures and GIF frames.

matplotlib is imported here only, so `import ani_graph` stays light.
"""

from __future__ import annotations

import io

from .layout import MAX_NODES
from .render_svg import arrow_polygon, row_centres
from .scene import CAPTION_HEIGHT, Scene, build_scene
from .style import (
    CARD_COLOUR,
    CLUSTER_FILL,
    CLUSTER_STROKE,
    EDGE_COLOUR,
    FONT_SIZE,
    GRAD_COLOUR,
    LINE_HEIGHT,
    TEXT_COLOUR,
    VALUE_COLOUR,
    is_math,
)

FONT = "DejaVu Sans"


def _plain(text: str) -> str:
    """Text that matplotlib must not read as mathtext."""
    return text.replace("$", r"\$")


def _text(ax, x, y, text, size, ha="left", colour=TEXT_COLOUR, zorder=4, **kw):
    return ax.text(x, y, text, fontsize=size, ha=ha, va="center", color=colour, zorder=zorder, family=FONT, **kw)


def draw_scene(scene: Scene, ax, scale: float | None = None):
    """Draw a scene into an Axes whose data units are the scene's points."""
    from matplotlib.patches import Ellipse, FancyBboxPatch, PathPatch, Polygon, Rectangle
    from matplotlib.path import Path

    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    if scale is None:  # font points per scene point, from the size the Axes really has
        fig = ax.figure
        bbox = ax.get_position()
        w_pt = bbox.width * fig.get_figwidth() * 72
        h_pt = bbox.height * fig.get_figheight() * 72
        scale = min(w_pt / scene.width, h_pt / scene.height)
    fs = FONT_SIZE * scale

    ax.add_patch(Rectangle((0, 0), scene.width, scene.height, facecolor=CARD_COLOUR, edgecolor="none", zorder=0))
    for c in sorted(scene.clusters, key=lambda c: c.module.count(".")):
        ax.add_patch(
            FancyBboxPatch((c.x0, c.y0), c.x1 - c.x0, c.y1 - c.y0, boxstyle="round,pad=0,rounding_size=6",
                           facecolor=CLUSTER_FILL, edgecolor=CLUSTER_STROKE, linestyle=(0, (4, 3)), linewidth=scale, zorder=1)
        )  # fmt: skip
        _text(ax, c.x0 + 6, c.y0 + 8, _plain(c.module), fs * 0.9, alpha=0.8, zorder=1.5)
    glow = GRAD_COLOUR if scene.phase == "backward" else VALUE_COLOUR  # what a lit edge is carrying
    for e in scene.edges:
        colour, width, style = (glow, 2.8, (0, (4, 2.5))) if e.lit else (EDGE_COLOUR, 1.3, "solid")
        if len(e.points) >= 4:
            codes = [Path.MOVETO] + [Path.CURVE4] * (len(e.points) - 1 - (len(e.points) - 1) % 3)
            verts = e.points[: len(codes)]
            path = Path(verts, codes)
            ax.add_patch(
                PathPatch(path, facecolor="none", edgecolor=colour, linewidth=width * scale, linestyle=style, zorder=2)
            )
        arrow = arrow_polygon(e.points, e.tip)
        if arrow:
            ax.add_patch(Polygon(arrow, closed=True, facecolor=colour, edgecolor="none", zorder=2))
        if e.show_grad and e.label_pos is not None:
            _text(ax, *e.label_pos, _plain(e.grad), fs * 0.9, ha="center", colour=GRAD_COLOUR, zorder=5,
                    bbox={"boxstyle": "round,pad=0.1", "facecolor": CARD_COLOUR, "edgecolor": "none", "alpha": 0.85})  # fmt: skip
    for n in scene.nodes:
        lw = (2.8 if n.lit else 1.6) * scale
        if n.kind == "op":
            ax.add_patch(Ellipse((n.x, n.y), n.w, n.h, facecolor=n.fill, edgecolor=n.stroke, linewidth=lw, zorder=3))
            label = n.math if n.math and is_math(n.math) else _plain(n.title)
            _text(ax, n.x, n.y, label, fs * 1.15, ha="center", fontweight="bold")
            continue
        dashed = (0, (5, 3)) if n.kind in ("module", "elided") else "solid"
        ax.add_patch(
            FancyBboxPatch((n.x - n.w / 2, n.y - n.h / 2), n.w, n.h, boxstyle="round,pad=0,rounding_size=6",
                           facecolor=n.fill, edgecolor=n.stroke, linewidth=lw, linestyle=dashed, zorder=3)
        )  # fmt: skip
        rows = row_centres(n)
        _text(ax, n.x, rows[0], _plain(n.title), fs, ha="center", fontweight="bold")
        left = n.x - n.w / 2 + 4
        for show, text, key, colour, row in (
            (n.show_value, n.value, "=", VALUE_COLOUR, 1),
            (n.show_grad, n.grad, "∂", GRAD_COLOUR, 2),
        ):
            if not show:
                continue
            cy = rows[row]
            ax.add_patch(
                Rectangle(
                    (left, cy - LINE_HEIGHT / 2 + 1),
                    n.w - 8,
                    LINE_HEIGHT - 2,
                    facecolor=colour,
                    alpha=0.08,
                    edgecolor="none",
                    zorder=3.5,
                )
            )
            _text(ax, left + 4, cy, key, fs * 0.9, alpha=0.75)
            _text(ax, left + 15, cy, _plain(text), fs, colour=colour)
    if scene.caption:
        _text(ax, 14, scene.height - CAPTION_HEIGHT / 2 - 4, _plain(scene.caption), fs, style="italic", alpha=0.85)
    return ax


def plot(graph, with_all: bool = False, ax=None, depth=None, max_nodes=MAX_NODES, **style):
    """Draw a TorchGraph into `ax`, or into the current figure; returns the Axes."""
    if style:
        raise TypeError(f"unknown drawing option(s): {', '.join(sorted(style))}")
    if ax is not None and not hasattr(ax, "add_patch"):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. from plt.subplots()), not {type(ax).__name__}.")
    scene = build_scene(graph, with_all=with_all, depth=depth, max_nodes=max_nodes)
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.gcf()
        if (
            not fig.axes
            and fig.get_size_inches().tolist() == list(plt.rcParams["figure.figsize"])
            and not plt.get_fignums()[:-1]
        ):
            # a fresh default figure: give it the drawing's proportions
            width = min(14.0, max(4.0, scene.width / 72))
            fig.set_size_inches(width, max(1.5, width * scene.height / scene.width))
        ax = fig.axes[0] if len(fig.axes) == 1 and not fig.axes[0].has_data() else fig.add_subplot(111)
    draw_scene(scene, ax)
    return ax


def scene_to_figure(scene: Scene, zoom: float = 1.0):
    """A stand-alone matplotlib Figure (no pyplot) at the scene's natural size."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(scene.width / 72 * zoom, scene.height / 72 * zoom))
    ax = fig.add_axes((0, 0, 1, 1))
    draw_scene(scene, ax, scale=zoom)
    return fig


def scene_to_png(scene: Scene, dpi: int = 110) -> bytes:
    """PNG bytes of a scene, at most about 1600 pixels wide."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    zoom = min(1.0, 1600 / (scene.width / 72 * dpi))
    fig = scene_to_figure(scene, zoom)
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
