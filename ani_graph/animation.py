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
from pathlib import Path

from .frames import state_at
from .style import PHASE_COLOURS, rgb
from .view import MAX_NODES


class Animation:
    """Values flowing forward and/or gradients flowing backward through a TorchGraph.

    Displays as a widget (Play, Pause, Previous/Next step, a slider, the caption), with
    a stand-alone HTML player and a PNG poster in the same output for front ends that
    cannot run widgets.
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

    # ----- the current frame ------------------------------------------------------------------
    @property
    def frame(self) -> int:
        """The frame shown; setting it moves every view of this animation."""
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
        """The drawing at frame 0, unlit (the player lights it): what shows before any script runs."""
        if self._svg_cache is None:
            from .render_svg import scene_to_svg

            self._svg_cache = scene_to_svg(self._scene(0, lights=False))
        return self._svg_cache

    @property
    def widget(self):
        """The ipywidgets/anywidget view (created on first use)."""
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
        if not path.parent.is_dir():
            raise FileNotFoundError(f"cannot save to {str(path)!r}: the folder {str(path.parent)!r} does not exist; "
                                    "create it first (Path(folder).mkdir(parents=True)) or pick another path.")  # fmt: skip
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
        from .page import player_fragment

        data = {
            "text/html": player_fragment(self._svg(), self.frames, self.interval_ms, self.frame),
            "image/png": base64.b64encode(self.poster_png()).decode("ascii"),
            "text/plain": repr(self),
        }
        try:
            widget_bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        except Exception:  # no widget support in this front end: the HTML player still plays
            widget_bundle = None
        if isinstance(widget_bundle, tuple):
            widget_bundle = widget_bundle[0]
        if widget_bundle:
            data.update({k: v for k, v in widget_bundle.items() if k != "text/plain"})
        return data


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
