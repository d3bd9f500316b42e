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
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .format import texts_kept
from .frames import state_at
from .gcpause import paused_gc
from .heatmap import check_tensors
from .view import MAX_NODES

if TYPE_CHECKING:
    from PIL.Image import Image

    from .widget import PlayerWidget


class Animation:
    """Values flowing forward and/or gradients flowing backward through a TorchGraph.

    In a notebook it displays as the stand-alone HTML player (Play, Pause, Previous/Next
    step, a slider, the caption, zoom), with a PNG poster in the same output. That output
    plays without a kernel, so it survives saving and reopening the notebook (a widget
    would show "model not found" there). Setting `frame` from Python redraws every
    output of the animation; `widget` gives a live view that also reports back where
    the student is.

    Attributes
    ----------
    frames : list of dict
        One plain dict per step: `phase`, `caption`, `rule`, `nodes`, `edges` lit, and
        the badge texts (schema at the top of `ani_graph.frames`).
    frame : int
        The frame shown; setting it moves every view of this animation.
    """

    def __init__(
        self,
        graph: Any,  # a TorchGraph (not imported here: graph.py imports this module)
        direction: str = "backward",
        interval_ms: int = 700,
        depth: int | None = None,
        max_nodes: int = MAX_NODES,
        wrt: dict | None = None,
        check: bool = False,
        tensors: str = "text",
        quiz: bool = False,
        tolerance: float = 1e-2,
        seed: int = 0,
    ) -> None:
        if not isinstance(interval_ms, int) or isinstance(interval_ms, bool) or interval_ms < 16:
            raise ValueError(f"interval_ms must be a whole number of milliseconds, at least 16, not {interval_ms!r}.")
        check_tensors(tensors)
        if quiz and direction == "tangent":
            raise ValueError("a quiz asks for gradients or values: use direction 'backward', 'forward' or 'both'.")
        self.graph = graph
        self.direction = direction
        self.interval_ms = interval_ms
        texts: dict = {}  # every tensor written once for the frames, the quiz, the drawing and the panels
        with texts_kept(texts):
            self.frames: list[dict] = graph.frames(direction, depth=depth, max_nodes=max_nodes, wrt=wrt, check=check)
        # tangents and ✓ marks are texts the graph does not hold: the boxes make room for them
        extra = _badge_texts(self.frames) if direction == "tangent" or check else ()
        self._start({"depth": depth, "max_nodes": max_nodes, "extra": extra, "tensors": tensors}, texts)
        with texts_kept(texts):
            self.quiz = _quiz(self, tolerance, seed) if quiz else None

    quiz: dict | None  # the questions of a quiz (`_quiz`), None when not asking

    def _start(self, view: dict, texts: dict | None = None) -> None:
        """The state every animation starts with, drawn with the view options `view` (`texts`: the
        tensor texts written so far, see `format.texts_kept`)."""
        self._view = view
        self._texts: dict = {} if texts is None else texts
        self._frame = 0
        self._widget: PlayerWidget | None = None
        self._svg_cache: str | None = None
        self._slides: dict = {}  # slide size -> images.Slides
        self._poster: str | None = None  # base64 PNG, made on first display
        self._display_id: str | None = None  # shared by every output of this animation, for updates
        self.quiz = None
        self._inspect: dict | None = None

    # ----- the current frame ------------------------------------------------------------------
    @property
    def frame(self) -> int:
        """The frame shown; setting it moves every view of this animation.

        Read back, it is where the live `widget` is (the HTML player in the notebook
        output cannot tell the kernel), else the frame last set.
        """
        return self._widget.frame if self._widget is not None else self._frame

    @frame.setter
    def frame(self, index: int) -> None:
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
        asks = f", a quiz of {len(self.quiz['questions'])} questions" if self.quiz is not None else ""
        return f"<Animation {self.direction}: {len(self.frames)} frames{asks}, frame {self.frame}>"

    # ----- quiz and inspect panels ------------------------------------------------------------
    @property
    def results(self) -> list[dict]:
        """A quiz's answers so far, from the live `widget`: one dict per question answered.

        Each has `step` (the frame the question revealed), `node` (the tensor's name),
        `prompt`, `answer` (the numbers typed last, or None when revealed unanswered),
        `correct` and `tries`. The stand-alone player (a bare `anim`, `to_html`) keeps its
        score on the page only, so this reads the widget; without one it is empty.
        """
        if self._widget is None:
            return []
        return [dict(r) for r in self._widget.quiz_results]

    def inspect_data(self) -> dict:
        """What each box's inspect panel shows (see `ani_graph.inspect_data`), computed once."""
        if self._inspect is None:
            from .inspect_data import inspect_payload

            with texts_kept(self._texts):
                self._inspect = inspect_payload(self.graph.nx, self.graph.view(**self._view), self.frames)
        return self._inspect

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

            with texts_kept(self._texts):
                self._svg_cache = scene_to_svg(self._scene(len(self.frames) - 1, lights=False))
        return self._svg_cache

    @property
    def widget(self) -> PlayerWidget:
        """A live anywidget view (created on first use): Python and the browser share `frame` and `playing`.

        Show it (`anim.widget` at the end of a cell) for two-way use. Its output needs the
        kernel that made it: after the notebook is reopened it reads "model not found"
        until the cell runs again. A bare `anim` does not depend on the kernel.
        """
        if self._widget is None:
            from .widget import PlayerWidget

            self._widget = PlayerWidget(
                svg=self._svg(),
                frames=self.frames,
                frame=self._frame,
                interval_ms=self.interval_ms,
                quiz=self.quiz,
                inspect=self.inspect_data(),
            )
        return self._widget

    def to_html(self) -> str:
        """One self-contained HTML page that plays the animation and loads nothing from the network.

        Returns
        -------
        str
            The page: the drawing as inline SVG, the player's script and CSS, the frames.

        Examples
        --------
        >>> import torch
        >>> from ani_graph import TorchGraph
        >>> page = TorchGraph(lambda x: torch.sin(x), [1.0]).animate().to_html()
        >>> page.startswith("<!DOCTYPE html>"), 'src="http' in page
        (True, False)
        """
        from .page import standalone_page

        title = "ani-graph: " + ", ".join(self.graph.outputs)
        with paused_gc():  # the drawing, the panels and the page make many objects and no cycles
            return standalone_page(
                self._svg(), self.frames, self.interval_ms, html.escape(title), self.quiz, self.inspect_data()
            )

    def frame_image(self, index: int, size: tuple[int, int] | None = None) -> Image:
        """One frame as a Pillow image.

        With `size` (e.g. `(1280, 720)`), a slide of that many pixels: the drawing, with its
        text at least `images.MIN_TEXT_PX` tall (cropped to what the frame lights when the
        graph is too big for that), above the caption. Without it, the whole drawing with the
        caption in a panel below.

        Raises
        ------
        IndexError
            `index` is outside the frame list (negative indexes count from the end).
        """
        import io

        from PIL import Image

        from . import images

        index = range(len(self.frames))[index]
        if size is not None:
            return self._slides_of(size).image(self._scene(index), index)
        from .render_mpl import scene_to_png

        drawing = Image.open(io.BytesIO(scene_to_png(self._scene(index)))).convert("RGB")
        return images.poster_image(drawing, self.frames[index])

    def _slides_of(self, size: tuple[int, int]):
        """The `images.Slides` of this animation at `size`, made once."""
        from . import images

        size = _check_size(size)
        if size not in self._slides:
            self._slides[size] = images.Slides(self.frames, size, self._scene(0, lights=False))
        return self._slides[size]

    def poster_png(self, index: int | None = None) -> bytes:
        """A PNG of frame `index` (default: the last one, everything filled in); IndexError out of range."""
        import io

        buf = io.BytesIO()
        self.frame_image(-1 if index is None else index).save(buf, format="PNG", optimize=True)
        return buf.getvalue()

    def save(self, path: str | os.PathLike[str], fps: float | None = None, size: tuple[int, int] = (1280, 720)) -> Path:
        """Write the animation to a file, choosing the format by its suffix.

        Parameters
        ----------
        path : str or path-like
            Ending in `.html` (the page `to_html` returns), `.gif` or `.mp4` (one slide of
            `size` pixels per frame). An `.mp4` needs ffmpeg: a program on PATH, or the
            `imageio-ffmpeg` package.
        fps : float, optional
            Frames per second of a GIF or MP4; default: one frame per `interval_ms`.
        size : (int, int), default (1280, 720)
            Slide size in pixels for `.gif` and `.mp4`.

        Returns
        -------
        pathlib.Path
            The path written.

        Raises
        ------
        ValueError
            Any other suffix.
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if not path.parent.is_dir():
            raise FileNotFoundError(f"cannot save to {str(path)!r}: the folder {str(path.parent)!r} does not exist; "
                                    "create it first (Path(folder).mkdir(parents=True)) or pick another path.")  # fmt: skip
        if suffix in (".html", ".htm"):
            path.write_text(self.to_html(), encoding="utf-8")
        elif suffix in (".gif", ".mp4"):
            from . import images

            if suffix == ".mp4":
                images.ffmpeg_executable()  # a clear error before any frame is drawn
            slides = self._slides_of(size).stream((i, self._scene(i)) for i in range(len(self.frames)))
            save = images.save_gif if suffix == ".gif" else images.save_mp4
            save(slides, path, fps or 1000 / self.interval_ms)
        else:
            raise ValueError(
                f"cannot save an animation as {suffix or 'a file without a suffix'!r}: use .html, .gif or .mp4."
            )
        return path

    # ----- notebook display ------------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        """The HTML player (it plays without a kernel), a PNG poster, and a line of text."""
        from .page import player_fragment

        if self._poster is None:
            self._poster = base64.b64encode(self.poster_png()).decode("ascii")
        data = {
            "text/html": player_fragment(
                self._svg(), self.frames, self.interval_ms, self.frame, quiz=self.quiz, inspect=self.inspect_data()
            ),
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


def _quiz(anim: Animation, tolerance, seed) -> dict:
    """The quiz the player asks: its tolerance and questions (see `ani_graph.quiz`)."""
    from .quiz import ZERO_FLOOR, build_questions, check_tolerance

    tolerance = check_tolerance(tolerance)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int (it picks which element a large tensor's question asks), not {seed!r}.")
    names = anim.graph.view(**anim._view).names
    questions = build_questions(anim.graph.nx, anim.frames, names, anim.direction, seed)
    return {"tolerance": tolerance, "floor": ZERO_FLOOR, "questions": questions}


def _badge_texts(frames: list[dict]) -> tuple:
    """Every (node, which, text) badge text the frames show."""
    return tuple(sorted({(n, w, t) for f in frames for n, texts in f["badges"].items() for w, t in texts.items()}))


def _check_size(size) -> tuple[int, int]:
    """A slide size in pixels, checked: two whole numbers, each at least 200."""
    ok = isinstance(size, (tuple, list)) and len(size) == 2
    if not ok or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 200 for v in size):
        raise ValueError(
            f"size must be (width, height) in whole pixels, each at least 200, e.g. (1280, 720); not {size!r}."
        )
    return int(size[0]), int(size[1])
