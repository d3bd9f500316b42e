"""The stand-alone player: the same ES module, inlined into HTML that needs no network.

The drawing is plain inline SVG, so it shows before (and without) any script.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

STATIC = Path(__file__).parent / "static"
_EXPORT = "export default { render };"


def _script_safe(text: str) -> str:
    return text.replace("</", "<\\/")


def player_fragment(svg: str, frames: list[dict], interval_ms: int, frame: int = 0) -> str:
    """A `<div>` with the drawing, the player's CSS and a classic script that mounts it."""
    js = (STATIC / "player.js").read_text(encoding="utf-8")
    if _EXPORT not in js:  # the page relies on this exact last line
        raise RuntimeError("player.js must end with `export default { render };`")
    css = (STATIC / "player.css").read_text(encoding="utf-8")
    key = "ag" + uuid.uuid4().hex[:10]
    state = {"frames": frames, "frame": frame, "playing": False, "interval_ms": interval_ms}
    return f"""<div class="ag-standalone" id="{key}">
<style>{css}</style>
<div class="ag-static">{svg}</div>
<script type="application/json" id="{key}-state">{_script_safe(json.dumps(state, ensure_ascii=False))}</script>
<script>
(function () {{
{_script_safe(js.replace(_EXPORT, ""))}
  var host = document.getElementById("{key}");
  var state = JSON.parse(document.getElementById("{key}-state").textContent);
  var still = host.querySelector(".ag-static");
  state.svg = still.innerHTML;  // the drawing is on the page once, and shows without script
  var listeners = {{}};
  var model = {{
    get: function (k) {{ return state[k]; }},
    set: function (k, v) {{ state[k] = v; }},
    save_changes: function () {{}},
    on: function (name, cb) {{ (listeners[name] = listeners[name] || []).push(cb); }}
  }};
  mount(host, model);
  still.remove();
}})();
</script>
</div>"""


def standalone_page(svg: str, frames: list[dict], interval_ms: int, title: str = "ani-graph") -> str:
    """One self-contained HTML page."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body.ag-page {{ margin: 24px; font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; }}</style>
</head>
<body class="ag-page">
{player_fragment(svg, frames, interval_ms)}
</body>
</html>
"""
