"""Slides for GIF and MP4 files drawn with Pillow alone: the matplotlib drawing, without matplotlib.

Importing matplotlib costs more than drawing a whole GIF, so a slide whose texts are all
plain (no mathtext) is rasterised here. Each shape's coverage is drawn once at `SUPER`
times the resolution and box-filtered down (antialiasing); texts are FreeType glyphs of
the same DejaVu Sans files, placed as matplotlib places them (ink width for alignment,
the font's typographic ascent and descent for the vertical centre). A frame is then the
page's white with every shape's colour pasted through its cached coverage, in
matplotlib's drawing order. Frames equal `render_mpl.scene_to_image`'s up to
antialiasing shades and glyph hinting (`tests/test_gif_frames.py` bounds the difference).

>>> import torch
>>> from ani_graph import TorchGraph
>>> scene = TorchGraph(lambda a, b: a * b, [2, 3]).animate()._scene(1)
>>> painter = RasterPainter()
>>> image = painter.image(scene, 1.5)
>>> painter.can_draw(scene), image.size == (round(scene.width * 1.5), round(scene.height * 1.5))
(True, True)
"""

from __future__ import annotations

import math
from typing import Any

from .draw_order import leaves
from .raster_shapes import Grid, alpha_table, geometry_key, layers, paints, to_rgb
from .scene import Scene, Text
from .style import is_math


class RasterPainter:
    """Draws scenes as matplotlib's Agg does, with Pillow; each shape's coverage is made once and reused."""

    def __init__(self) -> None:
        self._masks: dict[tuple, list] = {}
        self._faded: dict[tuple[int, float], Any] = {}  # (id of a cached mask, alpha) -> the mask times alpha
        self._page: Any = None  # the last frame drawn
        self._last: list[tuple] = []  # its layers, per shape
        self._order: list[int] = []  # the shapes in matplotlib's drawing order
        self._under = 0  # how many shapes at the start of that order lie under all others (the card)
        self._back: Any = None  # the whole page's white with those drawn on it (None: not kept)
        self._origin = (0, 0)  # the window's top left, in pixels of the whole drawing
        self._items: dict[tuple, tuple] = {}  # (shape, scale, grid) -> its layers
        self.drawn: list[tuple[int, int, int, int]] | None = None  # the last call's areas drawn again, None: all

    @staticmethod
    def can_draw(scene: Scene) -> bool:
        """Whether every text shows as plain text (mathtext needs matplotlib)."""
        return not any(
            isinstance(item, Text) and not hidden and item.math and is_math(item.math)
            for item, _, hidden in leaves(scene)
        )

    def _shape(self, item: Any, scale: float, grid: Grid) -> list:
        key = (geometry_key(item), scale, grid)
        if key not in self._masks:
            if len(self._masks) > 20_000:
                self._masks.clear()
                self._faded.clear()
                self._items.clear()
            self._masks[key] = layers(item, scale, grid)
        return self._masks[key]

    def _fade(self, mask: Any, alpha: float) -> Any:
        key = (id(mask), alpha)
        if key not in self._faded:
            self._faded[key] = mask.point(alpha_table(alpha))
        return self._faded[key]

    def _painted(self, item: Any, scale: float, grid: Grid) -> tuple:
        """A shape's layers as (mask, box in pixels of the whole drawing, colour), cached by the shape."""
        key = (item, scale, grid)
        if key not in self._items:
            out = []
            for (mask, (mx, my)), (colour, alpha) in zip(self._shape(item, scale, grid), paints(item)):
                if alpha > 0:
                    box = (mx, my, mx + mask.width, my + mask.height)
                    out.append((self._fade(mask, alpha) if alpha < 1 else mask, box, to_rgb(colour)))
            self._items[key] = tuple(out)
        return self._items[key]

    def _placed(self, scene: Scene, scale: float, grid: Grid) -> list[tuple]:
        """Per shape in scene order: its layers (`_painted`), () when hidden."""
        return [() if hidden else self._painted(item, scale, grid) for item, _, hidden in leaves(scene)]

    def _compose(self, region: tuple[int, int, int, int], shapes: list[int] | None = None) -> Any:
        """The pixels of `region` (x0, y0, x1, y1): the page (`_back`, else white) with every layer of the
        other shapes (or of `shapes`, on white) that reaches in pasted in order."""
        from PIL import Image

        x0, y0, x1, y1 = (
            region[0] + self._origin[0],
            region[1] + self._origin[1],
            region[2] + self._origin[0],
            region[3] + self._origin[1],
        )
        if shapes is None and self._back is not None:
            base, shapes = self._back.crop(region), self._order[self._under :]
        else:
            base = Image.new("RGB", (x1 - x0, y1 - y0), "white")
        for i in self._order if shapes is None else shapes:
            for mask, box, colour in self._last[i]:
                a, b, c, d = max(box[0], x0), max(box[1], y0), min(box[2], x1), min(box[3], y1)
                if a < c and b < d:
                    part = mask if (a, b, c, d) == box else mask.crop((a - box[0], b - box[1], c - box[0], d - box[1]))
                    base.paste(colour, (a - x0, b - y0, c - x0, d - y0), part)
        return base

    def _start(self, scene: Scene, size: tuple[int, int]) -> None:
        """Compose the whole page anew: the drawing order, the page under everything (the card) kept."""
        shapes = leaves(scene)
        self._order = sorted(range(len(shapes)), key=lambda i: (shapes[i][1] + 0.5 * isinstance(shapes[i][0], Text), i))
        self._under = next((n for n, i in enumerate(self._order) if shapes[i][1] > 0 or isinstance(shapes[i][0], Text)),
                           len(self._order))  # fmt: skip
        self._back = None
        self._back = self._compose((0, 0, *size), self._order[: self._under])
        self._page, self.drawn = self._compose((0, 0, *size)), None

    def image(self, scene: Scene, scale: float, window: tuple[float, float, float, float] | None = None):
        """A Pillow RGB image of `scene` at `scale` pixels per point, showing `window` (x, y, w, h) or all of it.

        After the first frame only the areas of shapes that changed are composed again, in the same
        image: it is valid until the next call (copy it to keep it). `drawn` then lists those areas
        (x0, y0, x1, y1), or is None when the whole image was composed."""
        x, y, w, h = window or (0.0, 0.0, scene.width, scene.height)
        px = (max(1, round(w * scale)), max(1, round(h * scale)))
        sx, sy = px[0] / w, px[1] / h  # as matplotlib maps the window onto the figure
        ox, oy = math.floor(x * sx), math.floor(y * sy)
        placed = self._placed(scene, scale, Grid(sx, sy, x * sx - ox, y * sy - oy))
        old, self._last = self._last, placed
        moved, self._origin = self._origin != (ox, oy), (ox, oy)
        if self._page is None or self._page.size != px or len(old) != len(placed) or moved:
            self._start(scene, px)
            return self._page
        if any(not _same(old[i], placed[i]) for i in self._order[: self._under]):
            self._back, self._under = None, 0  # the card changed: compose on white
        dirty = [
            box for a, b in zip(old, placed) if not _same(a, b) for box in (*(t[1] for t in a), *(t[1] for t in b))
        ]
        self.drawn = _merged([(a - ox, b - oy, c - ox, d - oy) for a, b, c, d in dirty], px)
        for region in self.drawn:
            self._page.paste(self._compose(region), region[:2])
        return self._page


def _same(a: tuple, b: tuple) -> bool:
    """Whether two shapes' layers are the same masks, in the same places and colours."""
    return a is b or len(a) == len(b) and all(p[0] is q[0] and p[1:] == q[1:] for p, q in zip(a, b))


def _merged(boxes: list[tuple[int, int, int, int]], size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The boxes inside the page, overlapping ones joined."""
    out: list[tuple[int, int, int, int]] = []
    for box in boxes:
        box = (max(box[0], 0), max(box[1], 0), min(box[2], size[0]), min(box[3], size[1]))
        if box[0] >= box[2] or box[1] >= box[3]:
            continue
        while True:
            hit = [o for o in out if o[0] < box[2] and box[0] < o[2] and o[1] < box[3] and box[1] < o[3]]
            if not hit:
                break
            out = [o for o in out if o not in hit]
            box = (min(o[0] for o in [box, *hit]), min(o[1] for o in [box, *hit]),
                   max(o[2] for o in [box, *hit]), max(o[3] for o in [box, *hit]))  # fmt: skip
        out.append(box)
    return out
