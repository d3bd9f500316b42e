"""The page's JSON data, packed: frames as rows under one list of field names.

`pack(data)` gives `{"strings": [...], "fields": [...] or None, "data": ...}`: when every frame has
the same keys in the same order, `data["frames"]` is a list of rows of those `fields`. In `data` a
string `"§12"` stands for `strings[12]`; only the data's own strings that start with "§" go
through that table (so none is misread), and most pages have none. Repeated strings are not
gathered in the table: the block is deflated, and deflate already sends a repeat as a short
back-reference (a table made the deflated block larger, and took longer to build than the rest).
`unpack` (and the page's script, `UNPACK_JS`) give the data back exactly.

A page holds `encode(data)`: the packed data's JSON, deflated (zlib) and in base64, as one JSON
string; the page's script (`agRead`) inflates it with the browser's `DecompressionStream`, and
`unpack` takes that string too.

>>> data = {"frames": [{"phase": "forward", "caption": "§"}, {"phase": "forward", "caption": "b"}]}
>>> unpack(pack(data)) == data, unpack(json.loads(encode(data))) == data
(True, True)
>>> pack(data)["strings"], pack(data)["data"]["frames"][0]
(['§'], ['forward', '§0'])
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from typing import Any

MARK = "§"
# zlib's default level: within 2% of level 9's size on pages of 5 to 565 nodes, in a third to a
# half of its time (level 9 searches much longer for matches in repetitive data such as frames)
LEVEL = 6
# above this many bytes of JSON (a page of a thousand heatmaps: their cells are most of it), zlib's
# fastest level: about 14% larger, in a third of level 6's time, which there is a tenth of the page's
FAST_ABOVE, FAST_LEVEL = 1 << 20, 1
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def compact_json(data: Any) -> str:
    """JSON without spaces, with any lone surrogate (which no UTF-8 text can hold) as a `\\u` escape."""
    return _utf8_safe(json.dumps(data, ensure_ascii=False, separators=(",", ":")))[0]


def _utf8_safe(text: str) -> tuple[str, bytes]:
    """`text` with each lone surrogate as a `\\u` escape, and its UTF-8 bytes (encoding finds a
    surrogate in a fraction of the time a search does, so the search runs only when there is one)."""
    try:
        return text, text.encode("utf-8")
    except UnicodeEncodeError:
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
        return text, text.encode("utf-8")


def encode(data: dict) -> str:
    """`pack(data)` as a page holds it: a JSON string of the deflated JSON, in base64 (no `<`, `&` or
    line break can occur in it, so it is inert inside an inline `<script>`)."""
    packed = _packed_json(data)
    raw = zlib.compress(packed, FAST_LEVEL if len(packed) > FAST_ABOVE else LEVEL)
    return '"' + base64.b64encode(raw).decode("ascii") + '"'


def _packed_json(data: dict) -> bytes:
    """`compact_json(pack(data))` in UTF-8, written without walking the data when no string holds the mark."""
    body, fields = _rows(data)
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if MARK in text:  # perhaps a string that starts with the mark: the walk puts those through the table
        return _utf8_safe(compact_json(_pack_rows(body, fields)))[1]
    return _utf8_safe('{"strings":[],"fields":' + compact_json(fields) + ',"data":' + text + "}")[1]


def _marked(value: Any, table: dict[str, int]) -> None:
    """Every string of `value` that starts with the mark, into `table` (string -> index)."""
    if isinstance(value, str):
        if value.startswith(MARK) and value not in table:
            table[value] = len(table)
    elif isinstance(value, list | tuple):
        for v in value:
            _marked(v, table)
    elif isinstance(value, dict):
        for v in value.values():
            _marked(v, table)


def _swap(value: Any, swap) -> Any:
    if isinstance(value, str):
        return swap(value)
    if isinstance(value, list | tuple):
        return [_swap(v, swap) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, swap) for k, v in value.items()}
    return value


def _fields(frames: Any) -> list[str] | None:
    if not isinstance(frames, list) or not frames or not all(isinstance(f, dict) for f in frames):
        return None
    keys = list(frames[0])
    return keys if all(list(f) == keys for f in frames) else None


def _rows(data: dict) -> tuple[dict, list[str] | None]:
    """`data` with its frames as rows when they share their keys, and those keys (or None)."""
    fields = _fields(data.get("frames"))
    if fields is not None:
        data = {**data, "frames": [[f[k] for k in fields] for f in data["frames"]]}
    return data, fields


def _pack_rows(body: dict, fields: list[str] | None) -> dict:
    table: dict[str, int] = {}
    if MARK in json.dumps(body, ensure_ascii=False):  # else no string can start with it: no walk
        _marked(body, table)
    if table:
        body = _swap(body, lambda s: f"{MARK}{table[s]}" if s in table else s)
    return {"strings": list(table), "fields": fields, "data": body}


def pack(data: dict) -> dict:
    """`data` (a dict, perhaps with a list of `frames`): frames as rows, strings that start with the mark in a table."""
    return _pack_rows(*_rows(data))


def unpack(packed: dict | str) -> dict:
    """The data `pack` was given (from `pack`'s dict, or from the string `encode` wrote)."""
    if isinstance(packed, str):
        return unpack(json.loads(zlib.decompress(base64.b64decode(packed)).decode("utf-8")))
    strings, fields = packed["strings"], packed["fields"]
    data = _swap(packed["data"], lambda s: strings[int(s[len(MARK) :])] if s.startswith(MARK) else s)
    if fields is not None:
        data["frames"] = [dict(zip(fields, row, strict=True)) for row in data["frames"]]
    return data


# The same in the page's script: plain objects built with defineProperty, so that a key
# such as "__proto__" stays an own key, as JSON.parse leaves it (so data without a table is
# used as parsed).
UNPACK_JS = """function agUnpack(p) {
  var T = p.strings, F = p.fields;
  function put(o, k, v) { Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true }); }
  function back(x) {
    if (typeof x === "string") return x.charAt(0) === "\\u00a7" ? T[+x.slice(1)] : x;
    if (Array.isArray(x)) return x.map(back);
    if (x && typeof x === "object") { var o = {}; Object.keys(x).forEach(function (k) { put(o, k, back(x[k])); }); return o; }
    return x;
  }
  var data = T.length ? back(p.data) : p.data;
  if (F) data.frames = data.frames.map(function (r) { var f = {}; F.forEach(function (k, i) { put(f, k, r[i]); }); return f; });
  return data;
}
// a data block of the page (payload.encode): base64 of deflated JSON, inflated by the browser
function agRead(block) {
  var bytes = Uint8Array.from(atob(JSON.parse(block.textContent)), function (c) { return c.charCodeAt(0); });
  var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
  return new Response(stream).text().then(function (text) { return agUnpack(JSON.parse(text)); });
}"""
