"""Coverage masks for `raster.RasterPainter`: each scene shape as Pillow "L" masks at whole pixels.

A shape's coverage is drawn at `SUPER` times the resolution and box-filtered down
(antialiasing). Texts are FreeType glyphs of the DejaVu Sans files matplotlib ships,
placed as matplotlib's Agg places them: aligned by advance width, the line centred on a
box at least the font's typographic ascent and descent tall, each glyph at its fraction
of a pixel.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import struct
from pathlib import Path
from typing import Any, NamedTuple

from .escapes import visible
from .scene import Curve, Polygon, Rect, Text
from .style import CARD_COLOUR, rgb

SUPER = 4  # coverage is drawn at this many times the resolution, then averaged down
STRETCH_FROM = 24  # a rectangle this many pixels longer than its corners need is drawn short and stretched
HALO_PAD, HALO_ALPHA = 0.1, 0.85  # as render_mpl's text halo: pad in font sizes, the card colour's alpha
_FILES = {(False, False): "DejaVuSans.ttf", (True, False): "DejaVuSans-Bold.ttf",
          (False, True): "DejaVuSans-Oblique.ttf", (True, True): "DejaVuSans-BoldOblique.ttf"}  # fmt: skip


# ----- fonts ------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=8)
def font_file(bold: bool = False, italic: bool = False) -> str:
    """The DejaVu Sans file matplotlib draws with, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    for folder in spec.submodule_search_locations or [] if spec else []:
        path = Path(folder) / "mpl-data" / "fonts" / "ttf" / _FILES[bold, italic]
        if path.is_file():
            return str(path)
    from matplotlib import font_manager

    props = font_manager.FontProperties(
        family="DejaVu Sans", weight="bold" if bold else "normal", style="italic" if italic else "normal"
    )
    return str(font_manager.findfont(props))


@functools.lru_cache(maxsize=8)
def _typo_metrics(path: str) -> tuple[float, float]:
    """(ascent, descent) per font size, from the font's OS/2 table as matplotlib reads them."""
    data = Path(path).read_bytes()
    tables = {data[12 + 16 * i : 16 + 16 * i]: struct.unpack(">I", data[20 + 16 * i : 24 + 16 * i])[0]
              for i in range(struct.unpack(">H", data[4:6])[0])}  # fmt: skip
    if b"head" not in tables or b"OS/2" not in tables:  # not a TrueType file as DejaVu's: the ink alone decides
        return 0.0, 0.0
    units = struct.unpack(">H", data[tables[b"head"] + 18 : tables[b"head"] + 20])[0]
    ascent, descent = struct.unpack(">hh", data[tables[b"OS/2"] + 68 : tables[b"OS/2"] + 72])
    return ascent / units, -descent / units


@functools.lru_cache(maxsize=256)
def font(bold: bool, italic: bool, size: float) -> Any:
    """A Pillow FreeType font of `size` pixels (em), cached."""
    from PIL import ImageFont

    return ImageFont.truetype(font_file(bold, italic), size, layout_engine=ImageFont.Layout.BASIC)


# ----- coverage masks ---------------------------------------------------------------------------

Box = tuple[float, float, float, float]
Layer = tuple[Any, tuple[int, int], tuple[int, int, int], float]  # coverage, where it goes, colour, alpha


def _coverage(box: Box, paint) -> tuple[Any, tuple[int, int]]:
    """Coverage over `box` (pixels, x0 y0 x1 y1): `paint(draw, at, k)` draws in 255 at `SUPER`×,
    `at(x, y)` placing a pixel position and `k` scaling a length."""
    from PIL import Image, ImageDraw

    x0, y0 = math.floor(box[0]) - 1, math.floor(box[1]) - 1
    x1, y1 = math.ceil(box[2]) + 1, math.ceil(box[3]) + 1
    big = Image.new("L", ((x1 - x0) * SUPER, (y1 - y0) * SUPER), 0)

    def at(x: float, y: float) -> tuple[float, float]:
        return (x - x0) * SUPER, (y - y0) * SUPER

    paint(ImageDraw.Draw(big), at, SUPER)
    return big.reduce(SUPER), (x0, y0)


def _box_shape(draw, at, k, kind: str, box: Box, radius: float, value: int) -> None:
    """A filled rounded rectangle or ellipse over `box` (pixels), in whole supersampled pixels."""
    (a, b), (c, d) = at(box[0], box[1]), at(box[2], box[3])
    xy = [round(a), round(b), round(c) - 1, round(d) - 1]
    if xy[2] < xy[0] or xy[3] < xy[1]:
        return
    if kind == "ellipse":
        draw.ellipse(xy, fill=value)
    elif radius > 0:
        draw.rounded_rectangle(xy, radius=round(radius * k), fill=value)
    else:
        draw.rectangle(xy, fill=value)


def _grow(box: Box, by: float) -> Box:
    return box[0] - by, box[1] - by, box[2] + by, box[3] + by


def _stretched(make, box: Box, keep: float) -> tuple[Any, tuple[int, int]]:
    """`make(box)` for a rectangle drawn by `_box_shape`, made for a box shorter by whole pixels along an
    axis where it is long (straight more than `keep` pixels in from both ends), its middle column or
    row then repeated: the same coverage, with a small supersampled drawing instead of a large one."""
    import numpy as np
    from PIL import Image

    dx, dy = (max(0, math.floor(hi - lo - 2 * keep)) for lo, hi in ((box[0], box[2]), (box[1], box[3])))
    dx, dy = (d if d >= STRETCH_FROM else 0 for d in (dx, dy))
    if not dx and not dy:
        return make(box)
    small, origin = make((box[0], box[1], box[2] - dx, box[3] - dy))
    mask = np.asarray(small)
    if dx:
        mx = mask.shape[1] // 2
        mask = np.concatenate([mask[:, :mx], np.repeat(mask[:, mx : mx + 1], dx + 1, axis=1), mask[:, mx + 1 :]], 1)
    if dy:
        my = mask.shape[0] // 2
        mask = np.concatenate([mask[:my], np.repeat(mask[my : my + 1], dy + 1, axis=0), mask[my + 1 :]], 0)
    return Image.fromarray(np.ascontiguousarray(mask), "L"), origin


def _filled(kind: str, box: Box, radius: float):
    def make(b: Box):
        return _coverage(b, lambda draw, at, k: _box_shape(draw, at, k, kind, b, radius, 255))

    return make(box) if kind == "ellipse" else _stretched(make, box, radius + 2)


def _ring(kind: str, box: Box, radius: float, width: float):
    """A stroke of `width` pixels centred on the outline of a rounded rectangle or ellipse."""

    def make(b: Box):
        def paint(draw, at, k):
            _box_shape(draw, at, k, kind, _grow(b, width / 2), radius + width / 2 if radius else 0.0, 255)
            _box_shape(draw, at, k, kind, _grow(b, -width / 2), max(radius - width / 2, 0.0), 0)

        return _coverage(_grow(b, width / 2), paint)

    return make(box) if kind == "ellipse" else _stretched(make, box, radius + width + 2)


def _dashes(points: list[tuple[float, float]], pattern: tuple[float, ...]) -> list[list[tuple[float, float]]]:
    """The pieces of a polyline that a dash pattern (on, off, … in pixels, from the start) draws."""
    pieces, piece, on, k, left = [], [points[0]], True, 0, pattern[0]
    for a, b in zip(points, points[1:]):
        length, done = math.dist(a, b), 0.0
        while length - done > left:
            done += left
            t = done / length
            cut = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
            if on:
                pieces.append([*piece, cut])
            piece, on, k = [cut], not on, (k + 1) % len(pattern)
            left = pattern[k]
        left -= length - done
        piece.append(b)
    return pieces + [piece] if on and len(piece) > 1 else pieces


def _stroke(paths: list[list[tuple[float, float]]], width: float):
    """Polylines (pixels) stroked `width` pixels wide."""
    xs = [x for p in paths for x, _ in p]
    ys = [y for p in paths for _, y in p]
    box = _grow((min(xs), min(ys), max(xs), max(ys)), width)

    def paint(draw, at, k):
        for path in paths:
            draw.line([at(x, y) for x, y in path], fill=255, width=max(1, round(width * k)))
            for a, b, c in zip(path, path[1:], path[2:]):  # a round join where the line turns (Pillow's own is slow)
                turn = math.atan2(c[1] - b[1], c[0] - b[0]) - math.atan2(b[1] - a[1], b[0] - a[0])
                if abs(math.remainder(turn, math.tau)) > 0.3:
                    (x, y), r = at(*b), width * k / 2
                    draw.ellipse([x - r, y - r, x + r, y + r], fill=255)

    return _coverage(box, paint)


def _bezier(points, step: float = 3.0) -> list[tuple[float, float]]:
    """Cubic Bézier segments (1 + 3k control points, pixels) as a polyline of about `step`-pixel pieces."""
    out = [points[0]]
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i : i + 4]
        n = max(2, math.ceil((math.dist(p0, p1) + math.dist(p1, p2) + math.dist(p2, p3)) / step))
        for j in range(1, n + 1):
            t = j / n
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def _round_rect_outline(box: Box, r: float) -> list[tuple[float, float]]:
    """A rounded rectangle's outline (pixels) as a closed polyline, from the top edge's start, clockwise."""
    x0, y0, x1, y1 = box
    r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
    corners = ((x1 - r, y0 + r, -90), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180))
    out = [(x0 + r, y0)]
    for cx, cy, start in corners:
        out += [(cx + r * math.cos(math.radians(start + a)), cy + r * math.sin(math.radians(start + a)))
                for a in range(0, 91, 10)]  # fmt: skip
    return out + [(x0 + r, y0)]


class Grid(NamedTuple):
    """Scene points to pixels: `sx`, `sy` pixels per point, less the window's fraction of a pixel `fx`, `fy`
    (masks are drawn on this grid and pasted at whole pixels)."""

    sx: float
    sy: float
    fx: float
    fy: float

    def at(self, x: float, y: float) -> tuple[float, float]:
        return x * self.sx - self.fx, y * self.sy - self.fy


# ----- shapes -----------------------------------------------------------------------------------


def _glyphs(s: str, f: Any, phase: tuple[float, float]) -> tuple[Any, int, int] | None:
    """The ink of `s` with its pen at `phase` (fractions of a pixel): a mask and its top left from
    the pen's pixel (baseline at 0), or None when nothing shows."""
    from PIL import Image, ImageDraw

    left, top, right, bottom = f.getbbox(s, anchor="ls")
    big = Image.new("L", (right - left + 6, bottom - top + 6), 0)
    ImageDraw.Draw(big).text((3 - left + phase[0], 3 - top + phase[1]), s, font=f, fill=255, anchor="ls")
    ink = big.getbbox()
    return None if ink is None else (big.crop(ink), left - 3 + ink[0], top - 3 + ink[1])


def _text_layers(t: Text, scale: float, grid: Grid) -> list:
    """The halo (if any) and the glyphs of a text, placed as matplotlib places them: aligned by
    advance width, centred on the line's box (at least the font's ascent and descent tall)."""
    s, size = visible(t.text), t.size * scale
    f = font(t.bold, t.italic, size)
    if not s:
        return []
    _, top, width, bottom = f.getbbox(s, anchor="ls")
    typo_ascent, typo_descent = _typo_metrics(font_file(t.bold, t.italic))
    ascent, descent = max(-top, typo_ascent * size), max(bottom, typo_descent * size)
    x, y = grid.at(t.x, t.y)
    pen = x - (width / 2 if t.anchor == "middle" else 0.0)
    baseline = y + (ascent - descent) / 2
    ix, iy = math.floor(pen), math.floor(baseline)
    glyphs = _glyphs(s, f, (pen - ix, baseline - iy))
    if glyphs is None:
        return []
    out = []
    if t.halo:
        pad = HALO_PAD * size
        out.append(
            _filled("rect", (pen - pad, baseline - ascent - pad, pen + width + pad, baseline + descent + pad), pad)
        )
    mask, x0, y0 = glyphs
    return out + [(mask, (ix + x0, iy + y0))]


def layers(item: Any, scale: float, grid: Grid) -> list:
    """The coverage masks of one shape, each with its place in pixels (absolute, window at 0)."""
    if isinstance(item, Text):
        return _text_layers(item, scale, grid)
    if isinstance(item, Polygon):
        points = [grid.at(x, y) for x, y in item.points]
        box = (
            min(x for x, _ in points),
            min(y for _, y in points),
            max(x for x, _ in points),
            max(y for _, y in points),
        )
        return [_coverage(box, lambda draw, at, k: draw.polygon([at(x, y) for x, y in points], fill=255))]
    if isinstance(item, Curve):
        if len(item.points) < 4:
            return []
        n = len(item.points) - 1 - (len(item.points) - 1) % 3
        line = _bezier([grid.at(x, y) for x, y in item.points[: n + 1]])
        dash = tuple(d * scale for d in item.dash) if item.dash else None
        return [_stroke(_dashes(line, dash) if dash else [line], item.width * scale)]
    if isinstance(item, Rect):
        box = (*grid.at(item.x, item.y), *grid.at(item.x + item.w, item.y + item.h))
        kind, radius, width = "rect", item.rx * grid.sx, item.stroke_width * scale
    else:
        box = (*grid.at(item.cx - item.rx, item.cy - item.ry), *grid.at(item.cx + item.rx, item.cy + item.ry))
        kind, radius, width = "ellipse", 0.0, item.stroke_width * scale
    out = [_filled(kind, box, radius)] if item.fill != "none" else []
    if item.stroke == "none" or width <= 0:
        return out
    if isinstance(item, Rect) and item.dash:
        outline = _round_rect_outline(box, radius)
        return out + [_stroke(_dashes(outline, tuple(d * scale for d in item.dash)), width)]
    return out + [_ring(kind, box, radius, width)]


def paints(item: Any) -> list[tuple[str, float]]:
    """The colour and alpha of each of `layers(item)`, in the same order."""
    if isinstance(item, Text):
        return ([(CARD_COLOUR, HALO_ALPHA)] if item.halo else []) + [(item.colour, item.opacity)]
    if isinstance(item, Polygon):
        return [(item.fill, 1.0)]
    if isinstance(item, Curve):
        return [(item.stroke, 1.0)]
    fill = [(item.fill, getattr(item, "fill_opacity", 1.0))] if item.fill != "none" else []
    return fill + ([(item.stroke, 1.0)] if item.stroke != "none" else [])


def to_rgb(colour: str) -> tuple[int, int, int]:
    if len(colour) == 7 and colour.startswith("#"):
        return rgb(colour)
    from PIL import ImageColor

    return ImageColor.getrgb(colour)[:3]


@functools.lru_cache(maxsize=64)
def alpha_table(alpha: float) -> list[int]:
    return [round(v * alpha) for v in range(256)]


def geometry_key(item: Any) -> tuple:
    """What decides a shape's coverage: all but its colours (and whether it has a fill and a stroke)."""
    colours = {"fill", "stroke", "colour", "opacity", "fill_opacity", "cls", "node"}
    extra = (getattr(item, "fill", "") == "none", getattr(item, "stroke", "") == "none")
    return (type(item), extra, *(v for k, v in vars(item).items() if k not in colours))
