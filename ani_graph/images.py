"""Frames as pictures: slides for GIF and MP4 files, and the poster under a notebook output.

A slide is one frame laid out for a projector (1280×720 by default): the drawing above,
the frame's caption and rule in a panel below. The drawing is scaled so that its
smallest text is at least `MIN_TEXT_PX` pixels tall; a graph too big for the slide at
that scale is cropped to the part the frame lights (the camera follows the step), and
a small map of the whole graph in the panel shows where that part is.

>>> import torch
>>> from ani_graph import TorchGraph
>>> anim = TorchGraph(lambda a, b: a * b, [2, 3]).animate()
>>> image = anim.frame_image(1, size=SLIDE)
>>> image.size, image.info["scale"] * min_font(anim._scene(1)) >= MIN_TEXT_PX
((1280, 720), True)
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .raster import RasterPainter
from .raster_shapes import font_file
from .style import PHASE_COLOURS, TEXT_COLOUR, rgb

SLIDE = (1280, 720)  # a classroom projector
MIN_TEXT_PX = 14  # the smallest drawing text on a slide, in pixels
MAX_SCALE = 2.5  # a small graph is enlarged at most this much (pixels per point of the drawing)
STEP_PX, RULE_PX = 26, 19  # caption and rule text on a slide
MAP_WIDTH = 260  # the map of the whole graph beside a cropped slide's caption
_SERIAL = itertools.count(1)  # numbers the slides drawn in this process
RULE_COLOUR = (87, 96, 106)


# ----- text in a panel ------------------------------------------------------------------------------


def _font(bold: bool, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(font_file(bold), size)


def _words(text: str) -> list[str]:
    """The text's words, where a bracketed group (`[10×100, mean 0.25]`) counts as one word.

    >>> _words("∂L/∂W = [10×100, mean 0.25] (second path)")
    ['∂L/∂W', '=', '[10×100, mean 0.25]', '(second path)']
    """
    words: list[str] = []
    depth = 0
    for word in text.split(" "):
        if depth > 0:
            words[-1] += " " + word
        else:
            words.append(word)
        depth = max(0, depth + sum(word.count(c) for c in "[(") - sum(word.count(c) for c in "])"))
    return words


def _wrap(draw, text: str, font, width: float) -> list[str]:
    lines, line = [], ""
    for word in _words(text):
        candidate = f"{line} {word}" if line else word
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line] if line else lines


def _rows(frame: dict, width: float, big, small) -> list[tuple[str, Any]]:
    """The panel's lines: the step in bold, then the rule, wrapped to `width` pixels."""
    from PIL import Image, ImageDraw

    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    rows = [(t, big) for t in _wrap(measure, frame["caption"], big, width)]
    return rows + ([(t, small) for t in _wrap(measure, frame["rule"], small, width)] if frame["rule"] else [])


def _line_height(font: Any, scale: float = 1.0) -> int:
    return font.getbbox("Ag∂")[3] + round(6 * scale)


def _draw_panel(image, box: tuple[int, int, int, int], frame: dict, rows, pad: int, bar: int) -> None:
    """A tinted panel in the phase's colour with an accent bar, holding `rows`."""
    from PIL import ImageDraw

    x0, y0, x1, y1 = box
    colour = rgb(PHASE_COLOURS.get(frame["phase"], PHASE_COLOURS["forward"]))
    tint = tuple(round(255 - 0.08 * (255 - c)) for c in colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle([x0, y0, x1, y1], fill=tint)
    draw.rectangle([x0, y0, x0 + bar, y1], fill=colour)
    y = y0 + pad // 2 + 2
    for text, font in rows:
        bold = font is rows[0][1]
        draw.text((x0 + pad + bar, y), text, font=font, fill=rgb(TEXT_COLOUR) if bold else RULE_COLOUR)
        y += _line_height(font, font.size / 17)


# ----- the poster: the whole drawing with the caption below ------------------------------------------


def poster_image(drawing, frame: dict):
    """The drawing (a Pillow image) above a panel with the frame's step and rule, wrapped to fit."""
    from PIL import Image

    width = max(drawing.width, 560)
    scale = max(1.0, width / 700)
    big, small = _font(True, round(17 * scale)), _font(False, round(13 * scale))
    pad = round(12 * scale)
    rows = _rows(frame, width - 3 * pad, big, small)
    panel = sum(_line_height(f, scale) for _, f in rows) + 2 * pad
    image = Image.new("RGB", (width, drawing.height + panel), "white")
    image.paste(drawing, (0, 0))
    box = (pad, drawing.height, width - pad, drawing.height + panel - pad // 2)
    _draw_panel(image, box, frame, rows, pad, round(4 * scale))
    return image


# ----- slides -----------------------------------------------------------------------------------------


def min_font(scene) -> float:
    """The smallest text size of a scene that shows, in points of the drawing."""
    from .scene import Group, Text

    sizes, stack = [], list(scene.groups)
    while stack:
        item = stack.pop()
        if isinstance(item, Group):
            stack.extend(item.items)
        elif isinstance(item, Text) and not item.hidden:
            sizes.append(item.size)
    return min(sizes, default=10.0)


def lit_box(scene) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) around what a scene lights: the frame's nodes and edges."""
    xs, ys = [], []
    for g in scene.groups:
        if "ag-lit" not in g.cls.split():
            continue
        if g.bounds is not None:
            cx, cy, w, h = g.bounds
            xs += [cx - w / 2, cx + w / 2]
            ys += [cy - h / 2, cy + h / 2]
        for item in g.items:
            for x, y in getattr(item, "points", ()):
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _axis(length: float, window: float, low: float, high: float) -> float:
    """Where a window of `window` points starts along an axis of the drawing, to show low..high."""
    if length <= window:
        return (length - window) / 2  # the whole axis fits: centred
    centre = (low + high) / 2
    return min(max(centre - window / 2, 0.0), length - window)


def camera(scene, area: tuple[int, int]) -> tuple[float, tuple[float, float, float, float]]:
    """(scale, window): pixels per point, and the part of the drawing (x, y, w, h) a slide area shows."""
    fit = min(area[0] / scene.width, area[1] / scene.height)
    scale = min(max(fit, MIN_TEXT_PX / min_font(scene)), MAX_SCALE)
    w, h = area[0] / scale, area[1] / scale
    x0, y0, x1, y1 = lit_box(scene) or (0.0, 0.0, scene.width, scene.height)
    return scale, (_axis(scene.width, w, x0, x1), _axis(scene.height, h, y0, y1), w, h)


def _frame_painter() -> Any:
    from .mpl_frames import FramePainter  # matplotlib's: imported only for a drawing with mathtext

    return FramePainter()


class Slides:
    """The slides of one animation at one size: one panel height for every frame, so the drawing
    never jumps, and one map of the whole graph, drawn once."""

    def __init__(self, frames: list[dict], size: tuple[int, int], overview):
        self.frames, self.size, self.overview = frames, size, overview
        self.big, self.small, self.pad = _font(True, STEP_PX), _font(False, RULE_PX), 16
        self._thumb = None
        self._wrapped: dict[tuple[int, int], list] = {}
        self._painters: dict[bool, Any] = {}  # Pillow's for plain texts, matplotlib's for mathtext
        self._canvas: Any = None  # the last slide drawn, drawn on again for the next
        self._drew: Any = None  # the painter that drew it
        self._serial = 0  # its number (`.info["slide"]`)
        width, height = size
        self.panel = self._panel(width - 2 * self.pad - 6)
        scale, window = camera(overview, (width, height - self.panel))
        self.cropped = window[2] < overview.width - 0.5 or window[3] < overview.height - 0.5
        if self.cropped:  # the caption shares the panel with the map: it may need more lines
            self.panel = self._panel(self.text_width)

    @property
    def text_width(self) -> int:
        return self.size[0] - 2 * self.pad - 6 - (MAP_WIDTH + self.pad if self.cropped else 0)

    def _rows(self, index: int, text_width: int) -> list[tuple[str, Any]]:
        """Frame `index`'s panel lines, wrapped once per width."""
        if (index, text_width) not in self._wrapped:
            self._wrapped[index, text_width] = _rows(self.frames[index], text_width, self.big, self.small)
        return self._wrapped[index, text_width]

    def _panel(self, text_width: int) -> int:
        rows = (self._rows(i, text_width) for i in range(len(self.frames)))
        tallest = max(sum(_line_height(font, font.size / 17) for _, font in r) for r in rows)
        return min(tallest + 2 * self.pad, self.size[1] * 2 // 5)

    def _map(self, window, colour):
        """The whole drawing, small, with the slide's window outlined."""
        from PIL import ImageDraw

        box = (MAP_WIDTH, self.panel - 2 * self.pad)
        scale = min(box[0] / self.overview.width, box[1] / self.overview.height)
        if self._thumb is None:
            painter = RasterPainter() if RasterPainter.can_draw(self.overview) else _frame_painter()
            self._thumb = painter.image(self.overview, scale)
        thumb = self._thumb.copy()
        x, y, w, h = (v * scale for v in window)
        draw = ImageDraw.Draw(thumb)
        draw.rectangle([0, 0, thumb.width - 1, thumb.height - 1], outline=RULE_COLOUR, width=1)
        draw.rectangle([x, y, x + w, y + h], outline=colour, width=3)
        return thumb

    def _painter(self, scene) -> Any:
        """Who draws `scene`: Pillow (no matplotlib import) unless a text is mathtext, then one reused
        matplotlib figure that draws again only what changes."""
        plain = RasterPainter.can_draw(scene)
        if plain not in self._painters:
            self._painters[plain] = RasterPainter() if plain else _frame_painter()
        return self._painters[plain]

    def _draw(self, scene, index: int, keep: bool) -> tuple[float, list | None]:
        """Draw frame `index` (as `scene`) on the canvas, only what changed when the painter says what it drew
        again. Returns the drawing's scale and the boxes drawn again (None: a new canvas, nothing before),
        each with the pixels it held before when `keep` (else None)."""
        from PIL import Image

        frame = self.frames[index]
        width, height = self.size
        area = (width, height - self.panel)
        scale, window = camera(scene, area)
        painter = self._painter(scene)
        drawing = painter.image(scene, scale, window)
        drawn = getattr(painter, "drawn", None) if painter is self._drew and self._canvas is not None else None
        if drawing.size != area:
            drawing, drawn = drawing.resize(area), None
        old, self._drew = self._canvas, painter
        if drawn is None:
            self._canvas = Image.new("RGB", self.size, "white")
            self._canvas.paste(drawing, (0, 0))
            boxes = None if old is None else [((0, 0, width, height), old if keep else None)]
        else:
            boxes = [(box, old.crop(box) if keep else None) for box in [*drawn, (0, area[1], width, height)]]
            for box in drawn:
                self._canvas.paste(drawing.crop(box), box[:2])
        _draw_panel(self._canvas, (0, area[1], width - 1, height - 1), frame, self._rows(index, self.text_width),
                    self.pad, 6)  # fmt: skip
        if self.cropped:
            thumb = self._map(window, rgb(PHASE_COLOURS.get(frame["phase"], PHASE_COLOURS["forward"])))
            top = height - self.panel + (self.panel - thumb.height) // 2
            self._canvas.paste(thumb, (width - self.pad - thumb.width, top))
        return scale, boxes

    def image(self, scene, index: int):
        """Frame `index` (drawn as `scene`) as a slide; `.info["scale"]` holds the drawing's pixels per point.

        One canvas is kept and only what changed is drawn on it again; `.info["slide"]` numbers the
        slide and `.info["since"]` holds the number of the slide this object drew before and the
        boxes drawn again since (None: all of it), which `gif_file.write_gif` compares."""
        scale, boxes = self._draw(scene, index, keep=False)
        image = self._canvas.copy()
        image.info.pop("before", None)
        since = None if boxes is None else (self._serial, [box for box, _ in boxes])
        image.info.update(scale=scale, slide=next(_SERIAL), since=since)
        self._serial = image.info["slide"]
        return image

    def stream(self, scenes: Iterable[tuple[int, Any]]) -> Iterator:
        """The slides of `scenes` ((index, scene) pairs) for a file: each is the canvas itself, valid until
        the next is drawn (no copy). `.info["before"]` lists the boxes drawn again, each with the pixels it
        held before (None for the first slide), which `gif_file.write_gif` compares."""
        for index, scene in scenes:
            scale, boxes = self._draw(scene, index, keep=True)
            self._serial = 0  # the next `image` compares its slide whole
            self._canvas.info.update(scale=scale, before=boxes, slide=None, since=None)
            yield self._canvas


# ----- files ------------------------------------------------------------------------------------------


def save_gif(images: Iterable, path: Path, fps: float) -> None:
    """Images of one size as a looping GIF. The frames share one palette: the colours that cover most
    pixels in some frame, exact (`palette.shared_palette`), so every frame's fills keep their colour and
    each frame after the first stores only what changed (`gif_file.write_gif`). `images` may be a
    generator: each is read once, in turn."""
    from .gif_file import write_gif

    with open(path, "wb") as out:
        write_gif((image if image.mode == "RGB" else image.convert("RGB") for image in images), out, int(1000 / fps))


def ffmpeg_executable() -> str:
    """The ffmpeg program: matplotlib's setting, one on PATH, or the one the imageio-ffmpeg package ships."""
    import matplotlib

    configured = matplotlib.rcParams.get("animation.ffmpeg_path", "ffmpeg")
    found = shutil.which(configured) or shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg
    except ImportError:
        raise RuntimeError(
            "saving an .mp4 needs ffmpeg, and none was found: install it with `pip install imageio-ffmpeg` "
            "(or `pip install ani-graph[video]`), or put an ffmpeg program on PATH; .gif and .html need nothing."
        ) from None
    return imageio_ffmpeg.get_ffmpeg_exe()


def save_mp4(images: Iterable, path: Path, fps: float) -> None:
    """Images of one size as an H.264 MP4 that browsers and presentation programs play; `images` may be
    a generator (each frame goes to ffmpeg as it comes)."""
    exe = ffmpeg_executable()
    frames = iter(images)
    first = next(frames, None)
    if first is None:
        raise ValueError("an MP4 needs at least one frame")
    width, height = first.size
    command = [exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}",
               "-framerate", f"{fps:g}", "-i", "-", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-r", "25",
               "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", str(path)]  # fmt: skip
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as run:
        assert run.stdin is not None and run.stderr is not None
        try:
            for image in itertools.chain([first], frames):
                if image.size != (width, height):
                    raise ValueError(f"the frames of an MP4 must have one size: {(width, height)}, then {image.size}")
                run.stdin.write(image.convert("RGB").tobytes())
            run.stdin.close()
        except BrokenPipeError:
            pass  # ffmpeg stopped early: its message says why
        error = run.stderr.read()
    if run.returncode != 0:
        raise RuntimeError(f"ffmpeg could not write {path}: {error.decode(errors='replace')[-500:]}")
