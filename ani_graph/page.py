"""The stand-alone player: the same ES module, inlined into HTML that needs no network.

The drawing is plain inline SVG, so it shows before (and without) any script.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

STATIC = Path(__file__).parent / "static"
_EXPORT = "export default { render };"


# Inside an inline <script>, `</script>` or `<!--` in the data would end or derail the
# script, and U+2028/U+2029 end a line in older JavaScript: JSON can spell all of them as
# \u escapes, which JSON.parse reads back as the same characters.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def script_json(data) -> str:
    """`data` as JSON that is safe inside an inline `<script>` and encodable as UTF-8.

    >>> script_json({"name": "</script><!--<script>"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u003cscript\\\\u003e"}'
    """
    text = json.dumps(data, ensure_ascii=False)
    text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)  # no UTF-8 file can hold one
    return text.translate(str.maketrans(_SCRIPT_ESCAPES))


def _script_safe(js: str) -> str:
    """Our own player code, inlined: only `</` could end its script early."""
    return js.replace("</", "<\\/")


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
<script type="application/json" id="{key}-state">{script_json(state)}</script>
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
