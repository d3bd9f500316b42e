"""Animation frames drawn with matplotlib, the figure built once and changed per frame.

Frames of one animation share their layout: between two frames only colours, line
widths, badge texts and what is hidden change. `FramePainter` keeps one figure and the
artist of every scene shape, and for a new frame replaces only the artists whose shape
differs, then redraws the canvas. Each artist's z-order carries its place in the scene,
so a replaced artist is drawn exactly where a freshly built figure draws it, and the
pixels equal `render_mpl.scene_to_image`'s.

>>> import torch
>>> from ani_graph import TorchGraph
>>> anim = TorchGraph(lambda a, b: a * b, [2, 3]).animate()
>>> painter = FramePainter()
>>> first = painter.image(anim._scene(0), 1.5)
>>> second = painter.image(anim._scene(1), 1.5)
>>> painter.replaced < painter.built, first.size == second.size
(True, True)
"""

from __future__ import annotations

from typing import Any

from .render_mpl import _DRAW, _Z
from .scene import Group, Scene, Text

_STEP = 1e-7  # z-order added per shape: keeps the scene's order within one z level (gaps are ≥ 0.2)

Leaf = tuple[Any, float, bool]  # a shape, its z level, whether it is hidden


def leaves(scene: Scene) -> list[Leaf]:
    """Every shape of the scene in drawing order, with its z level (as `render_mpl` gives it) and visibility."""
    out: list[Leaf] = []

    def walk(g: Group, z: float | None, hidden: bool) -> None:
        level = _Z.get(g.role, 3) if z is None else _Z.get(g.role, z)
        for item in g.items:
            if isinstance(item, Group):
                walk(item, level, hidden or item.hidden)
            else:
                out.append((item, level, hidden or (isinstance(item, Text) and item.hidden)))

    for g in scene.groups:
        walk(g, None, g.hidden)
    return out


class FramePainter:
    """One matplotlib figure reused for every frame of an animation drawn at one scale.

    `built` counts artists made, `replaced` those made again for a later frame.
    """

    def __init__(self) -> None:
        self._key: tuple = ()
        self._leaves: list[Leaf] = []
        self._artists: list[Any] = []
        self._fig: Any = None
        self._ax: Any = None
        self.built = 0
        self.replaced = 0

    def _fresh(self, px: tuple[int, int]) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self._fig = Figure(figsize=(px[0] / 72, px[1] / 72), dpi=72)
        FigureCanvasAgg(self._fig)
        self._ax = self._fig.add_axes((0, 0, 1, 1))
        self._ax.axis("off")
        self._leaves, self._artists = [], []

    def _make(self, index: int, leaf: Leaf, scale: float) -> Any:
        item, z, hidden = leaf
        if hidden:
            return None
        artist = _DRAW[type(item)](self._ax, item, scale, z)
        if artist is not None:
            artist.set_zorder(artist.get_zorder() + index * _STEP)
        self.built += 1
        return artist

    def _update(self, scene: Scene, scale: float) -> None:
        new = leaves(scene)
        if len(new) != len(self._leaves) or not self._artists:  # another structure: start again
            if self._artists:
                self._fresh(self._key[1])
            self._artists = [self._make(i, leaf, scale) for i, leaf in enumerate(new)]
            self._leaves = new
            return
        for i, (old, leaf) in enumerate(zip(self._leaves, new)):
            if old != leaf:
                if self._artists[i] is not None:
                    self._artists[i].remove()
                self._artists[i] = self._make(i, leaf, scale)
                self.replaced += 1
        self._leaves = new

    def image(self, scene: Scene, scale: float, window: tuple[float, float, float, float] | None = None):
        """A Pillow image of `scene` at `scale` pixels per point, showing `window` (x, y, w, h) or all of it.

        The same pixels as `render_mpl.scene_to_image(scene, scale, window)`.
        """
        from PIL import Image

        x, y, w, h = window or (0.0, 0.0, scene.width, scene.height)
        px = (max(1, round(w * scale)), max(1, round(h * scale)))
        key = (scale, px)
        if key != self._key:
            self._key = key
            self._fresh(px)
        self._update(scene, scale)
        self._ax.set_xlim(x, x + w)
        self._ax.set_ylim(y + h, y)
        canvas = self._fig.canvas
        canvas.draw()
        return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
