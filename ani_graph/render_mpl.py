"""The scene drawn with matplotlib: `g.plot()`, PNG pictures and GIF frames.

Each scene shape becomes one patch or text; sizes in the scene are points of the
drawing, and `scale` turns them into the points of the figure. matplotlib is imported
here only, so `import ani_graph` stays light.
"""

from __future__ import annotations

import functools
import io
import warnings
from collections.abc import Callable
from typing import Any

from .draw_order import Z
from .escapes import visible
from .scene import Curve, Ellipse, Group, Polygon, Rect, Scene, Text
from .style import CARD_COLOUR, is_math

FONT = "DejaVu Sans"


def _plain(text: str) -> str:
    """Text that matplotlib must not read as mathtext."""
    return visible(text).replace("$", r"\$")


@functools.lru_cache(maxsize=512)
def _math_error(label: str) -> str | None:
    """Why matplotlib cannot typeset `label` as mathtext, or None when it can."""
    from matplotlib.mathtext import MathTextParser

    try:
        MathTextParser("path").parse(label)
    except Exception as err:  # ValueError for bad syntax; anything else is as fatal at draw time
        return str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
    return None


def _label(t: Text) -> str:
    """The text matplotlib draws: the mathtext label if it parses, else plain text (with a warning)."""
    if not (t.math and is_math(t.math)):
        return _plain(t.text)
    error = _math_error(t.math)
    if error is None:
        return t.math
    warnings.warn(f"label {t.math!r} is not valid mathtext ({error}); it is drawn as plain text.", stacklevel=2)
    return _plain(t.text)


def _linestyle(dash, width):
    # matplotlib scales dashes by the line width; the scene gives them in points
    return (0, tuple(d / max(width, 1e-6) for d in dash)) if dash else "solid"


def _rect(ax, r: Rect, scale, z):
    from matplotlib.patches import FancyBboxPatch

    style = f"round,pad=0,rounding_size={r.rx}" if r.rx else "square,pad=0"
    edge = "none" if r.stroke == "none" else r.stroke
    patch = FancyBboxPatch((r.x, r.y), r.w, r.h, boxstyle=style, facecolor=r.fill, edgecolor=edge, alpha=None,
                           linewidth=r.stroke_width * scale, linestyle=_linestyle(r.dash, r.stroke_width), zorder=z)  # fmt: skip
    if r.fill_opacity != 1:
        patch.set_facecolor((*_rgb01(r.fill), r.fill_opacity))
    return ax.add_patch(patch)


def _rgb01(colour: str):
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def _ellipse(ax, e: Ellipse, scale, z):
    from matplotlib.patches import Ellipse as Patch

    return ax.add_patch(
        Patch((e.cx, e.cy), 2 * e.rx, 2 * e.ry, facecolor=e.fill, edgecolor=e.stroke,
              linewidth=e.stroke_width * scale, zorder=z)
    )  # fmt: skip


def _text(ax, t: Text, scale, z):
    if t.hidden:
        return None
    text = _label(t)
    kw = {}
    if t.halo:
        kw["bbox"] = {"boxstyle": "round,pad=0.1", "facecolor": CARD_COLOUR, "edgecolor": "none", "alpha": 0.85}
    return ax.text(t.x, t.y, text, fontsize=t.size * scale, ha="center" if t.anchor == "middle" else "left", va="center",
            color=t.colour, alpha=t.opacity, family=FONT, fontweight="bold" if t.bold else "normal",
            style="italic" if t.italic else "normal", zorder=z + 0.5, **kw)  # fmt: skip


def _curve(ax, c: Curve, scale, z):
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path

    if len(c.points) < 4:
        return None
    n = len(c.points) - 1 - (len(c.points) - 1) % 3
    path = Path(c.points[: n + 1], [Path.MOVETO] + [Path.CURVE4] * n)
    return ax.add_patch(PathPatch(path, facecolor="none", edgecolor=c.stroke, linewidth=c.width * scale,
                           linestyle=_linestyle(c.dash, c.width), zorder=z))  # fmt: skip


def _polygon(ax, p: Polygon, scale, z):
    from matplotlib.patches import Polygon as Patch

    return ax.add_patch(Patch(p.points, closed=True, facecolor=p.fill, edgecolor="none", zorder=z))


_Z = Z  # z levels by group role (`draw_order`)


def _group(ax, g: Group, scale, z=None):
    if g.hidden:
        return
    z = _Z.get(g.role, 3) if z is None else _Z.get(g.role, z)
    for item in g.items:
        if isinstance(item, Group):
            _group(ax, item, scale, z)
        else:
            _DRAW[type(item)](ax, item, scale, z)


_DRAW: dict[type, Callable[..., Any]] = {Rect: _rect, Ellipse: _ellipse, Text: _text, Curve: _curve, Polygon: _polygon}


def _scale_of(ax, scene: Scene) -> float:
    """Figure points per scene point, from the size the Axes really has."""
    fig = ax.figure
    bbox = ax.get_position()
    w_pt = bbox.width * fig.get_figwidth() * 72
    h_pt = bbox.height * fig.get_figheight() * 72
    return min(w_pt / scene.width, h_pt / scene.height)


def draw_scene(scene: Scene, ax, scale: float | None = None, card: bool = True):
    """Draw a scene into an Axes whose data units are the scene's points.

    `card=False` leaves out the white card behind the drawing: every text then sits on a
    filled box or a halo of its own, so it reads on a light page and on a dark one alike.
    """
    ax.set_xlim(0, scene.width)
    ax.set_ylim(scene.height, 0)
    ax.set_aspect("equal")
    ax.axis("off")
    scale = _scale_of(ax, scene) if scale is None else scale
    for g in scene.groups:
        if card or g.role != "card":
            _group(ax, g, scale)
    return ax


def figure_size(scene: Scene) -> tuple[float, float]:
    """Inches for a fresh figure with the drawing's proportions, 4 to 14 inches wide."""
    width = min(14.0, max(4.0, scene.width / 72))
    return width, max(1.5, width * scene.height / scene.width)


def plot_scene(scene: Scene, ax=None):
    """Draw into `ax`, or into pyplot's current figure (sized to the drawing when it is fresh).

    The drawing has no card behind it, and a figure made here has a transparent background,
    so `g.plot()` reads on a notebook's light theme and on its dark theme.
    """
    if ax is not None and not hasattr(ax, "add_patch"):
        raise TypeError(f"ax must be a matplotlib Axes (e.g. from plt.subplots()), not {type(ax).__name__}.")
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.gcf()
        fresh = not fig.axes and fig.get_size_inches().tolist() == list(plt.rcParams["figure.figsize"])
        if fresh and not plt.get_fignums()[:-1]:
            fig.set_size_inches(*figure_size(scene))
        if not fig.axes:  # the figure is ours: let the page's own background show through
            fig.patch.set_alpha(0.0)
        ax = fig.axes[0] if len(fig.axes) == 1 and not fig.axes[0].has_data() else fig.add_subplot(111)
    # No tick labels at all: a notebook puts a white box behind a transparent figure whose
    # (hidden) tick labels are dark, thinking they need it.
    ax.set_xticks([])
    ax.set_yticks([])
    return draw_scene(scene, ax, card=False)


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


def scene_to_image(scene: Scene, scale: float, window: tuple[float, float, float, float] | None = None):
    """A Pillow image of a scene at `scale` pixels per point, showing `window` (x, y, w, h) of it or all of it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    x, y, w, h = window or (0.0, 0.0, scene.width, scene.height)
    fig = Figure(figsize=(max(1, round(w * scale)) / 72, max(1, round(h * scale)) / 72), dpi=72)
    ax = fig.add_axes((0, 0, 1, 1))
    draw_scene(scene, ax, scale=scale)
    ax.set_aspect("auto")  # the figure already has the window's proportions
    ax.set_xlim(x, x + w)
    ax.set_ylim(y + h, y)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
