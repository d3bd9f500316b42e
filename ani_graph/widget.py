"""The notebook widget: an anywidget whose front end is `static/player.js`.

The SVG and the frame list cross to the browser once; after that only `frame`,
`playing` and `interval_ms` are synced.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

STATIC = Path(__file__).parent / "static"


class PlayerWidget(anywidget.AnyWidget):
    _esm = (STATIC / "player.js").read_text(encoding="utf-8")
    _css = (STATIC / "player.css").read_text(encoding="utf-8")

    svg = traitlets.Unicode("").tag(sync=True)
    frames: traitlets.List[dict] = traitlets.List([]).tag(sync=True)
    frame = traitlets.Int(0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    interval_ms = traitlets.Int(700).tag(sync=True)
