"""Animation frames drawn with matplotlib, the figure built once and changed per frame.

Frames of one animation share their layout: between two frames only colours, line
widths, badge texts and what is hidden change. `FramePainter` keeps one figure and the
artist of every scene shape, and for a new frame replaces only the artists whose shape
differs. Only the pixels around those shapes are drawn again (blitting): the figure's
background and every artist that reaches into that area, clipped to it, in drawing
order. Each artist's z-order carries its place in the scene, so a replaced artist is
drawn exactly where a freshly built figure draws it, and the pixels equal
`render_mpl.scene_to_image`'s.

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

from dataclasses import fields
from typing import Any

from .draw_order import Leaf, leaves
from .scene import Scene

__all__ = ["FramePainter", "Leaf", "leaves"]

_STEP = 1e-7  # z-order added per shape: keeps the scene's order within one z level (gaps are ≥ 0.2)


class _Adder:
    """The Axes as the shape builders see it: a patch is added without growing the data limits
    (the painter sets the limits itself), which is most of the cost of `Axes.add_patch`."""

    def __init__(self, ax: Any) -> None:
        self.ax = ax
        self.text = ax.text

    def add_patch(self, patch: Any) -> Any:
        return self.ax.add_artist(patch)


def _extent(artist: Any, renderer: Any) -> Any:
    """The pixels an artist may touch: its extent, widened for line width, halo and antialiasing."""
    box = artist.get_window_extent(renderer)
    if hasattr(artist, "get_fontsize"):
        return box.padded(artist.get_fontsize() * 0.5 + 4)
    return box.padded(artist.get_linewidth() + 4)


_COLOURS = {"fill", "stroke", "colour", "opacity", "fill_opacity", "cls", "node"}  # fields that leave a shape's extent


def _shape_key(item: Any) -> tuple:
    """What decides the pixels a shape may touch: its type and every field but its colours."""
    return (type(item), *(getattr(item, f.name) for f in fields(item) if f.name not in _COLOURS))


def _pixel_box(box: Any, size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) in whole pixels (y up) around `box`, inside the canvas."""
    x0, y0 = max(0, int(box.x0) - 1), max(0, int(box.y0) - 1)
    return x0, y0, max(x0, min(size[0], int(box.x1) + 2)), max(y0, min(size[1], int(box.y1) + 2))


def _merged(boxes: list[Any], size: tuple[int, int]) -> list[Any]:
    """The boxes in whole pixels, overlapping ones joined into one."""
    from matplotlib.transforms import Bbox

    out: list[Any] = []
    for box in boxes:
        x0, y0, x1, y1 = _pixel_box(box, size)
        if x1 <= x0 or y1 <= y0:
            continue
        box = Bbox([[x0, y0], [x1, y1]])
        while any(box.overlaps(other) for other in out):
            box = Bbox.union([box, *(other for other in out if box.overlaps(other))])
            out = [other for other in out if not box.overlaps(other)]
        out.append(box)
    return out


class FramePainter:
    """One matplotlib figure reused for every frame of an animation drawn at one scale.

    `built` counts artists made, `replaced` those made again for a later frame.
    """

    def __init__(self) -> None:
        self._key: tuple = ()
        self._leaves: list[Leaf] = []
        self._artists: list[Any] = []
        self._extents: list[Any] = []
        self._known: dict[tuple, Any] = {}  # shape key -> extent, for the figure drawn now
        self._window: tuple = ()  # the window the canvas holds, () when it must be drawn whole
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
        self._leaves, self._artists, self._window, self._known = [], [], (), {}

    def _make(self, index: int, leaf: Leaf, scale: float) -> Any:
        from .render_mpl import _DRAW

        item, z, hidden = leaf
        if hidden:
            return None
        artist = _DRAW[type(item)](_Adder(self._ax), item, scale, z)
        if artist is not None:
            artist.set_zorder(artist.get_zorder() + index * _STEP)
        self.built += 1
        return artist

    def _update(self, scene: Scene, scale: float) -> list[int]:
        """Make the artists match `scene`; the indexes of those replaced, with the old ones' extents
        kept in `self._dirty`."""
        new = leaves(scene)
        if len(new) != len(self._leaves) or not self._artists:  # another structure: start again
            if self._artists:
                self._fresh(self._key[1])
            self._artists = [self._make(i, leaf, scale) for i, leaf in enumerate(new)]
            self._leaves, self._window = new, ()
            return []
        changed = [i for i, (old, leaf) in enumerate(zip(self._leaves, new)) if old != leaf]
        for i in changed:
            if self._artists[i] is not None:
                self._artists[i].remove()
                if self._window:
                    self._dirty.append(self._extents[i])
            self._artists[i] = self._make(i, new[i], scale)
            self.replaced += 1
        self._leaves = new
        return changed

    def _draw_whole(self, window: tuple) -> None:
        canvas = self._fig.canvas
        canvas.draw()
        self._window, self._known = window, {}
        self._extents = [self._extent_of(i) for i in range(len(self._artists))]

    def _extent_of(self, index: int) -> Any:
        """The padded extent of artist `index`, remembered by shape (a new colour leaves it as it was)."""
        artist = self._artists[index]
        if artist is None:
            return None
        key = _shape_key(self._leaves[index][0])
        if key not in self._known:
            self._known[key] = _extent(artist, self._fig.canvas.get_renderer())
        return self._known[key]

    def _draw_part(self, changed: list[int]) -> None:
        """Draw again only the pixels around the replaced artists, old and new.

        Each dirty box is cleared to the page's white and every artist reaching into it is
        drawn whole, in order; the pixels those artists paint outside the box are put back.
        """
        import numpy as np
        from matplotlib.transforms import Bbox

        renderer = self._fig.canvas.get_renderer()
        for i in changed:
            self._extents[i] = self._extent_of(i)
            if self._extents[i] is not None:
                self._dirty.append(self._extents[i])
        order = sorted((a.get_zorder(), i) for i, a in enumerate(self._artists) if a is not None)
        size = self._fig.canvas.get_width_height()
        pixels = np.asarray(self._fig.canvas.buffer_rgba())
        page = np.round(np.array(self._fig.patch.get_facecolor()) * 255).astype(np.uint8)
        for clip in _merged(self._dirty, size):
            touched = [i for _, i in order if self._extents[i].overlaps(clip)]
            reach = _pixel_box(Bbox.union([clip, *(self._extents[i] for i in touched)]), size)
            rows, cols = slice(size[1] - reach[3], size[1] - reach[1]), slice(reach[0], reach[2])
            kept = pixels[rows, cols].copy()
            x0, y0, x1, y1 = _pixel_box(clip, size)
            inner = (slice(reach[3] - y1, reach[3] - y0), slice(x0 - reach[0], x1 - reach[0]))
            pixels[rows, cols][inner] = page
            for i in touched:
                self._artists[i].draw(renderer)
            kept[inner] = pixels[rows, cols][inner]
            pixels[rows, cols] = kept

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
        self._dirty: list[Any] = []
        changed = self._update(scene, scale)
        if self._window != (x, y, w, h):  # a new figure, structure or window: draw it all
            self._ax.set_xlim(x, x + w)
            self._ax.set_ylim(y + h, y)
            self._draw_whole((x, y, w, h))
        elif changed and self._fig.patch.get_facecolor()[3] == 1:  # an opaque page: blit
            self._draw_part(changed)
        elif changed:
            self._draw_whole((x, y, w, h))
        canvas = self._fig.canvas
        return Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
