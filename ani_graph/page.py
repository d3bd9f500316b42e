"""The stand-alone player: the same ES module, inlined into HTML that needs no network.

The drawing shows before (and without) any script. On a page of its own it is inline SVG.
In a notebook output it is an `<img>` of the same SVG: JupyterLab and Notebook 7 strip
inline SVG (and every script) from the HTML of a notebook they do not trust, such as an
executed one that was downloaded, but keep the image, so the student still sees the
drawing there, with a line saying how to make it play.
"""

from __future__ import annotations

import base64
import os
import re
import uuid
from pathlib import Path

from .payload import UNPACK_JS, compact_json, encode

STATIC = Path(__file__).parent / "static"
_EXPORT = "export default { render };"
# one scope, player.js last (with the export); a page without a quiz leaves quiz.js and quiz.css out
SCRIPTS = ("quiz.js", "inspect.js", "player.js")
STYLES = ("player.css", "inspect.css", "quiz.css")


# Inside an inline <script>, `</script>` or `<!--` in the data would end or derail the
# script, and U+2028/U+2029 end a line in older JavaScript: JSON can spell all of them as
# \u escapes, which JSON.parse reads back as the same characters.
_SCRIPT_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def script_json(data) -> str:
    """`data` as JSON that is safe inside an inline `<script>` and encodable as UTF-8.

    >>> script_json({"name": "</script><!--<script>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003c!--\\\\u003cscript\\\\u003e"}'
    """
    text = compact_json(data)  # no spaces, and no lone surrogate (no UTF-8 file can hold one)
    for char, escape in _SCRIPT_ESCAPES.items():  # str.replace per character: far faster than translate
        if char in text:
            text = text.replace(char, escape)
    return text


def _script_safe(js: str) -> str:
    """Our own player code, inlined: only `</` could end its script early."""
    return js.replace("</", "<\\/")


_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)


def compact_source(name: str, text: str) -> str:
    """A file of the player as pages carry it: without its comments' own lines, indentation and blank
    lines (our files keep no template literal or string across lines, so no text changes).

    >>> compact_source("a.js", "// why\\nfunction f() {\\n  return 1; // one\\n}\\n")
    'function f() {\\nreturn 1; // one\\n}'
    """
    if name.endswith(".css"):
        text = _CSS_COMMENT.sub("", text)
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not (name.endswith(".js") and line.startswith("//")))


def _read_static(name: str) -> str:
    """A file of the player, compacted, read once per change of the file (the package is read-only
    in use, but an editable install may change it between calls)."""
    path = _PATHS.get(name) or _PATHS.setdefault(name, os.fspath(STATIC / name))  # a str: `os.stat` is quick
    stamp = os.stat(path).st_mtime_ns
    cached = _STATIC_CACHE.get(name)
    if cached is None or cached[0] != stamp:
        cached = _STATIC_CACHE[name] = (stamp, compact_source(name, Path(path).read_text(encoding="utf-8")))
    return cached[1]


_STATIC_CACHE: dict[str, tuple[int, str]] = {}
_PATHS: dict[str, str] = {}


def _still(svg: str, inline: bool) -> str:
    if inline:
        return f'<div class="ag-still">{svg}</div>'
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (
        f'<img class="ag-still" alt="the computation graph" style="max-width: 100%; height: auto" '
        f'src="data:image/svg+xml;base64,{data}">\n'
        '<p class="ag-still-note">A still picture: run this cell, or trust the notebook, to step through it.</p>'
    )


def _data_block(cls: str, data: dict) -> str:
    """A JSON block of the page, packed (`payload.pack`: frames as rows) and deflated."""
    return f'<script type="application/json" class="{cls}">{encode(data)}</script>'


def _static(names, quiz: bool) -> list[str]:
    return [_read_static(n) for n in names if quiz or not n.startswith("quiz.")]


def player_source(quiz: bool = True) -> str:
    """The player's ES module: quiz.js (unless `quiz` is False) and inspect.js, then player.js, which calls them."""
    *parts, js = _static(SCRIPTS, quiz)
    if _EXPORT not in js:  # the page relies on this exact last line
        raise RuntimeError("player.js must end with `export default { render };`")
    return "\n".join([*parts, js])


def player_styles(quiz: bool = True) -> str:
    """The player's CSS, with the inspect panel's and (unless `quiz` is False) the quiz's."""
    return "\n".join(_static(STYLES, quiz))


def _inline_script(quiz: bool) -> str:
    """The player's module as the fragment's classic script holds it (made once per change of the files)."""
    js = player_source(quiz)
    key = (quiz, *(_STATIC_CACHE[n][0] for n in SCRIPTS if quiz or not n.startswith("quiz.")))
    if key not in _INLINE_CACHE:
        _INLINE_CACHE.clear()  # a file changed (an editable install): the old scripts are stale
        _INLINE_CACHE[key] = _script_safe(js.replace(_EXPORT, UNPACK_JS))
    return _INLINE_CACHE[key]


_INLINE_CACHE: dict[tuple, str] = {}


def player_fragment(
    svg: str,
    frames: list[dict],
    interval_ms: int,
    frame: int = 0,
    inline: bool = False,
    quiz: dict | None = None,
    inspect: dict | None = None,
) -> str:
    """A `<div>` with the drawing, the player's CSS and a classic script that mounts it.

    The script finds its own `<div>` (it may run before the output is on the page), inflates the data
    blocks (`payload.encode`), reads the drawing back from the still picture, mounts the player (with
    `quiz` and `inspect` data) and removes the picture.

    >>> before_script = player_fragment("<svg></svg>", [], 700).split("<script")[0]
    >>> before_script.count("<img"), before_script.count("<svg")
    (1, 0)
    """
    js, css, key = _inline_script(quiz is not None), player_styles(quiz is not None), "ag" + uuid.uuid4().hex[:10]
    state = {"frames": frames, "frame": frame, "playing": False, "interval_ms": interval_ms}
    if quiz is not None:
        state.update(quiz=quiz, quiz_results=[])
    # the inspect panels' data is a block of its own
    panels = _data_block("ag-inspect", inspect) + "\n" if inspect else ""
    return f"""<div class="ag-standalone" id="{key}">
<style>{css}</style>
{_still(svg, inline)}
{_data_block("ag-state", state)}
{panels}<script>
(function () {{
{js}
  var me = document.currentScript;
  var host = (me && me.parentNode) || document.getElementById("{key}");
  var blocks = [host.querySelector("script.ag-state"), host.querySelector("script.ag-inspect")];
  Promise.all(blocks.map(function (b) {{ return b ? agRead(b) : null; }})).then(function (data) {{
    var state = data[0];
    state.inspect = data[1];
    var still = host.querySelector(".ag-still");
    if (still.tagName === "IMG") {{  // the drawing is in the output once: read it back from the picture
      var src = still.getAttribute("src");
      var bytes = Uint8Array.from(atob(src.slice(src.indexOf(",") + 1)), function (c) {{ return c.charCodeAt(0); }});
      state.svg = new TextDecoder().decode(bytes);
    }} else {{
      state.svg = still.innerHTML;
    }}
    var listeners = {{}};
    var model = {{
      get: function (k) {{ return state[k]; }},
      set: function (k, v) {{ state[k] = v; }},
      save_changes: function () {{}},
      on: function (name, cb) {{ (listeners[name] = listeners[name] || []).push(cb); }}
    }};
    host.querySelectorAll(".ag-still, .ag-still-note").forEach(function (e) {{ e.remove(); }});
    mount(host, model);
  }});
}})();
</script>
</div>"""


def standalone_page(
    svg: str,
    frames: list[dict],
    interval_ms: int,
    title: str = "ani-graph",
    quiz: dict | None = None,
    inspect: dict | None = None,
) -> str:
    """One self-contained HTML page (with a quiz when `quiz` is given, inspect panels from `inspect`)."""
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body.ag-page {{ margin: 24px; font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; }}</style>
</head>
<body class="ag-page">
{player_fragment(svg, frames, interval_ms, inline=True, quiz=quiz, inspect=inspect)}
</body>
</html>
"""
