"""User text made visible: characters that would hide, break or reorder a drawing become escapes.

Names reach the drawing from module paths, class names and a custom Function's `name`,
and any string can be one. Control characters (NUL makes SVG invalid XML), lone
surrogates (no UTF-8 file can hold them), line and paragraph separators, the two XML
non-characters and the bidirectional overrides (which reorder the text around them)
are written as the escape Python would print, so the drawing shows them and stays valid.

>>> visible("a\\x00b"), visible("\\nmod"), visible("x\\u202ey"), visible("σ(x) · 2")
('a\\\\x00b', '\\\\nmod', 'x\\\\u202ey', 'σ(x) · 2')
"""

from __future__ import annotations

import re

_HIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]")
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    c = match.group()
    if c in _SHORT:
        return _SHORT[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def visible(text: str) -> str:
    """`text` with every character that would not show, or would break a page, as an escape."""
    return _HIDDEN.sub(_escape, text)
