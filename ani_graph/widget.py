"""The notebook widget: an anywidget whose front end is `static/player.js` (with quiz.js and inspect.js).

The SVG, the frame list, the quiz's questions and the inspect panels' data cross to the
browser once; after that only `frame`, `playing`, `interval_ms` and, in a quiz, the
student's `quiz_results` are synced.
"""

from __future__ import annotations

import anywidget
import traitlets

from .page import player_source, player_styles


class PlayerWidget(anywidget.AnyWidget):
    _esm = player_source()
    _css = player_styles()

    svg = traitlets.Unicode("").tag(sync=True)
    frames: traitlets.List[dict] = traitlets.List([]).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    interval_ms = traitlets.Int(700).tag(sync=True)
    quiz = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    quiz_results: traitlets.List[dict] = traitlets.List([]).tag(sync=True)  # written by the browser
    inspect = traitlets.Dict({}).tag(sync=True)
