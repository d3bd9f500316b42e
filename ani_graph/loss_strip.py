"""The loss-curve strip under a training animation: the loss of every step, the current one marked.

`with_loss_strip(scene, losses, texts)` returns the scene made `style.STRIP_HEIGHT` taller,
with the curve drawn in the new space. Each step's marker is the value badge of a node
`step:<k>` (see `marker_key`), so the player moves it with the badge texts the frames
carry, as it does every number: no script of its own, and the matplotlib renderer draws
it the same way.

>>> from ani_graph.scene import Group, Rect, Scene
>>> scene = Scene(300, 100, (Group("card", (Rect(0, 0, 300, 100, "#fff"),)),))
>>> taller = with_loss_strip(scene, [0.5, 0.25], {"step:1": {"value": "▲"}})
>>> taller.height > scene.height, sorted(g.key for g in taller.groups if g.role == "node")
(True, ['step:0', 'step:1'])
"""

from __future__ import annotations

import math
from dataclasses import replace

from . import style as S
from .format import format_number
from .scene import Curve, Ellipse, Group, Rect, Scene, Text, dom_id

_LEFT = 96.0  # room for the strip's title
_TOP, _BOTTOM = 10.0, 30.0  # the curve's band inside the strip: labels and markers go under it


def marker_key(step: int) -> str:
    """The node id whose value badge marks step `step` (0-based) on the strip."""
    return f"step:{step}"


def _points(losses: list[float], x0: float, x1: float, y0: float, y1: float) -> list[tuple[float, float]]:
    finite = [v for v in losses if math.isfinite(v)]
    low, high = (min(finite), max(finite)) if finite else (0.0, 1.0)
    span = (high - low) or 1.0
    n = len(losses)
    xs = [(x0 + x1) / 2] if n == 1 else [x0 + (x1 - x0) * i / (n - 1) for i in range(n)]
    ys = [(y0 + y1) / 2 if not math.isfinite(v) or high == low else y1 - (y1 - y0) * (v - low) / span for v in losses]
    return list(zip(xs, ys))


def _curve(points: list[tuple[float, float]]) -> Curve:
    """Straight segments between the points, as the cubic Bézier the renderers draw."""
    path = [points[0]]
    for a, b in zip(points, points[1:]):
        path += [a, b, b]
    return Curve(tuple(path), S.STRIP_COLOUR, 1.5, cls="ag-strip-line")


def with_loss_strip(scene: Scene, losses: list[float], texts: dict) -> Scene:
    """`scene` with the loss strip under it; `texts` gives the markers' badge texts (`{"step:k": {"value": …}}`)."""
    top = scene.height
    height = top + S.STRIP_HEIGHT
    x0, x1 = S.MARGIN + _LEFT, scene.width - S.MARGIN - 36.0
    points = _points(losses, x0, max(x1, x0 + 1.0), top + _TOP, top + S.STRIP_HEIGHT - _BOTTOM - 8.0)
    groups = list(scene.groups)
    if groups and groups[0].role == "card":  # the card grows to hold the strip
        groups[0] = Group("card", (Rect(0.0, 0.0, scene.width, height, S.CARD_COLOUR, rx=8.0, cls="ag-card"),))
    title = Text(S.MARGIN, top + S.STRIP_HEIGHT / 2 - 6, "loss", S.FONT_SIZE, S.TEXT_COLOUR, bold=True)
    sub = Text(S.MARGIN, top + S.STRIP_HEIGHT / 2 + 8, "per step", S.SMALL_FONT, S.TEXT_COLOUR, opacity=0.75)
    items: list[object] = [title, sub]
    if len(points) > 1:
        items.append(_curve(points))
    for k, ((x, y), loss) in enumerate(zip(points, losses)):
        items.append(Ellipse(x, y, 3.0, 3.0, S.STRIP_COLOUR, S.STRIP_COLOUR, 1.0, "ag-strip-dot"))
        label = f"{k + 1}: {format_number(loss)}"
        items.append(Text(x, top + S.STRIP_HEIGHT - _BOTTOM + 4, label, S.SMALL_FONT, S.TEXT_COLOUR, "middle"))
    groups.append(Group("note", tuple(items), "ag-strip"))
    for k, (x, _) in enumerate(points):
        key = marker_key(k)
        text = texts.get(key, {}).get("value", "")
        mark = Text(x, top + S.STRIP_HEIGHT - 12, text, S.FONT_SIZE, S.VALUE_COLOUR, "middle", cls="ag-val", node=key)
        badge = Group("badge", (mark,), "ag-badge ag-badge-val", hidden=not text)
        groups.append(Group("node", (badge,), "ag-node ag-strip-mark", key=key, dom_id=f"ag-n-{dom_id(key)}"))
    return replace(scene, height=height, groups=tuple(groups))
