"""`Animation`: what `g.animate()` returns. It knows its frames, shows itself and saves itself.

>>> import torch
>>> from ani_graph import TorchGraph
>>> anim = TorchGraph(lambda a, b: a * b, [2, 3], [2]).animate()
>>> anim.frames[1]["caption"]
'∂L/∂a = ∂L/∂out · ∂out/∂a = 2 · 3 = 6'
"""

from __future__ import annotations

import base64
import html
import uuid
from pathlib import Path

from .frames import state_at
from .style import PHASE_COLOURS, rgb
from .view import MAX_NODES


class Animation:
    """Values flowing forward and/or gradients flowing backward through a TorchGraph.

    In a notebook it displays as the stand-alone HTML player (Play, Pause, Previous/Next
    step, a slider, the caption, zoom), with a PNG poster in the same output. That output
    plays without a kernel, so it survives saving and reopening the notebook (a widget
    would show "model not found" there). Setting `frame` from Python redraws every
    output of the animation; `widget` gives a live view that also reports back where
    the student is.
    """

    def __init__(
        self, graph, direction: str = "backward", interval_ms: int = 700, depth=None, max_nodes: int = MAX_NODES
    ):
        if not isinstance(interval_ms, int) or isinstance(interval_ms, bool) or interval_ms < 16:
            raise ValueError(f"interval_ms must be a whole number of milliseconds, at least 16, not {interval_ms!r}.")
        self.graph = graph
        self.direction = direction
        self.interval_ms = interval_ms
        self._view = {"depth": depth, "max_nodes": max_nodes}
        self.frames: list[dict] = graph.frames(direction, depth=depth, max_nodes=max_nodes)
        self._frame = 0
        self._widget = None
        self._svg_cache = None
        self._poster = None  # base64 PNG, made on first display
        self._display_id = None  # shared by every output of this animation, for updates

    # ----- the current frame ------------------------------------------------------------------
    @property
    def frame(self) -> int:
        """The frame shown; setting it moves every view of this animation.

        Read back, it is where the live `widget` is (the HTML player in the notebook
        output cannot tell the kernel), else the frame last set.
        """
        return self._widget.frame if self._widget is not None else self._frame

    @frame.setter
    def frame(self, index: int):
        if isinstance(index, bool) or not isinstance(index, int):
            raise TypeError(f"frame must be an int, not {type(index).__name__}.")
        if not -len(self.frames) <= index < len(self.frames):
            raise IndexError(
                f"frame {index} is out of range: this animation has {len(self.frames)} frames (0 to {len(self.frames) - 1})."
            )
        index %= len(self.frames)
        self._frame = index
        if self._widget is not None:
            self._widget.frame = index
        if self._display_id is not None:  # the notebook outputs start again from this frame
            from IPython.display import update_display

            update_display(self._repr_mimebundle_(), raw=True, display_id=self._display_id)

    def __len__(self) -> int:
        return len(self.frames)

    def __repr__(self) -> str:
        return f"<Animation {self.direction}: {len(self.frames)} frames, frame {self.frame}>"

    # ----- drawing ------------------------------------------------------------------------------
    def _scene(self, index: int, lights: bool = True):
        from .scene import Show

        state = state_at(self.frames, index)
        show = Show(
            texts=state["badges"],
            edge_texts=state["edge_badges"],
            nodes=frozenset(state["nodes"]) if lights else frozenset(),
            edges=frozenset(map(tuple, state["edges"])) if lights else frozenset(),
            phase=state["phase"],
        )
        return self.graph.scene(show=show, **self._view)

    def _svg(self) -> str:
        """The drawing at the last frame, every number in place, unlit: what shows before (or
        without) any script. The player sets each text for the frame it shows."""
        if self._svg_cache is None:
            from .render_svg import scene_to_svg

            self._svg_cache = scene_to_svg(self._scene(len(self.frames) - 1, lights=False))
        return self._svg_cache

    @property
    def widget(self):
        """A live anywidget view (created on first use): Python and the browser share `frame` and `playing`.

        Show it (`anim.widget` at the end of a cell) for two-way use. Its output needs the
        kernel that made it: after the notebook is reopened it reads "model not found"
        until the cell runs again. A bare `anim` does not depend on the kernel.
        """
        if self._widget is None:
            from .widget import PlayerWidget

            self._widget = PlayerWidget(
                svg=self._svg(), frames=self.frames, frame=self._frame, interval_ms=self.interval_ms
            )
        return self._widget

    def to_html(self) -> str:
        """One self-contained HTML page that plays the animation offline."""
        from .page import standalone_page

        title = "ani-graph: " + ", ".join(self.graph.outputs)
        return standalone_page(self._svg(), self.frames, self.interval_ms, title=html.escape(title))

    def frame_image(self, index: int):
        """One frame as a Pillow image: the matplotlib drawing, with the caption in a panel below."""
        import io

        from PIL import Image

        from .render_mpl import scene_to_png

        index = range(len(self.frames))[index]
        drawing = Image.open(io.BytesIO(scene_to_png(self._scene(index)))).convert("RGB")
        return _with_caption(drawing, self.frames[index])

    def poster_png(self, index: int | None = None) -> bytes:
        """A PNG of one frame (the last one by default: everything filled in)."""
        import io

        buf = io.BytesIO()
        self.frame_image(-1 if index is None else index).save(buf, format="PNG", optimize=True)
        return buf.getvalue()

    def save(self, path, fps: float | None = None) -> Path:
        """Write `.html` (the stand-alone page) or `.gif` (one image per frame)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in (".html", ".htm"):
            path.write_text(self.to_html(), encoding="utf-8")
        elif suffix == ".gif":
            self._save_gif(path, fps or 1000 / self.interval_ms)
        else:
            raise ValueError(f"cannot save an animation as {suffix or 'a file without a suffix'!r}: use .html or .gif.")
        return path

    def _save_gif(self, path: Path, fps: float):
        images = [self.frame_image(i) for i in range(len(self.frames))]
        size = (max(i.width for i in images), max(i.height for i in images))
        images = [_pad(i, size) for i in images]
        images[0].save(path, save_all=True, append_images=images[1:], duration=int(1000 / fps), loop=0, optimize=True)

    # ----- notebook display ------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        """The HTML player (it plays without a kernel), a PNG poster, and a line of text."""
        from .page import player_fragment

        if self._poster is None:
            self._poster = base64.b64encode(self.poster_png()).decode("ascii")
        data = {
            "text/html": player_fragment(self._svg(), self.frames, self.interval_ms, self.frame),
            "image/png": self._poster,
            "text/plain": repr(self),
        }
        return {k: v for k, v in data.items() if (not include or k in include) and not (exclude and k in exclude)}

    def _ipython_display_(self):
        """Show the player with a display id, so setting `frame` later redraws this output."""
        from IPython.display import display

        if self._display_id is None:
            self._display_id = "ani-graph-" + uuid.uuid4().hex
        display(self._repr_mimebundle_(), raw=True, display_id=self._display_id)


# ----- caption panels for images (GIF frames and the poster) ------------------------------------


def _font(bold: bool, size: int):
    from matplotlib import font_manager
    from PIL import ImageFont

    props = font_manager.FontProperties(family="DejaVu Sans", weight="bold" if bold else "normal")
    return ImageFont.truetype(font_manager.findfont(props), size)


def _wrap(draw, text: str, font, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return lines + [line] if line else lines


def _with_caption(drawing, frame: dict):
    """The drawing above a panel with the frame's step (bold) and the op's rule, wrapped to fit."""
    from PIL import Image, ImageDraw

    step, rule = frame["caption"], frame["rule"]
    width = max(drawing.width, 560)
    scale = max(1.0, width / 700)
    big, small = _font(True, round(17 * scale)), _font(False, round(13 * scale))
    pad = round(12 * scale)
    measure = ImageDraw.Draw(drawing)
    rows = [(t, big) for t in _wrap(measure, step, big, width - 3 * pad)]
    rows += [(t, small) for t in _wrap(measure, rule, small, width - 3 * pad)] if rule else []
    heights = [f.getbbox("Ag∂")[3] + round(5 * scale) for _, f in rows]
    panel = sum(heights) + 2 * pad
    image = Image.new("RGB", (width, drawing.height + panel), "white")
    image.paste(drawing, (0, 0))
    colour = rgb(PHASE_COLOURS.get(frame["phase"], PHASE_COLOURS["forward"]))
    tint = tuple(round(255 - 0.08 * (255 - c)) for c in colour)
    draw = ImageDraw.Draw(image)
    top = drawing.height
    draw.rectangle([pad, top, width - pad, top + panel - pad // 2], fill=tint)
    draw.rectangle([pad, top, pad + round(4 * scale), top + panel - pad // 2], fill=colour)
    y = top + pad // 2 + 2
    for (text, font), h in zip(rows, heights):
        draw.text((2 * pad, y), text, font=font, fill=(31, 35, 40) if font is big else (87, 96, 106))
        y += h
    return image


def _pad(image, size):
    """The image on a white canvas of `size` (GIF frames must share one size; stretching would blur text)."""
    if image.size == size:
        return image
    from PIL import Image

    canvas = Image.new("RGB", size, "white")
    canvas.paste(image, (0, 0))
    return canvas
