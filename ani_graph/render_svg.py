"""Our own SVG, written from the scene: stable ids for the player, no script, every text escaped.

Contract with the animation player (`static/player.js`):
- root `<svg class="ag-graph">`; colours are CSS custom properties `--ag-*`;
- node `<g class="ag-node ag-{kind}" id="ag-n-{id}" data-node="{node id}">`, its shape
  has class `ag-shape`;
- tensor nodes hold badges `<g class="ag-badge ag-badge-val">` (and `ag-badge-grad`)
  with `<text class="ag-val">` / `<text class="ag-grad">`; an empty badge also has class
  `ag-empty`;
- edge `<g class="ag-edge" id="ag-e-{u}-{v}" data-src data-dst>` with `<path class="ag-path">`;
  a tensor→op edge also holds `<text class="ag-egrad">`.
"""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape, quoteattr

from .layout import MAX_NODES
from .scene import CAPTION_HEIGHT, Scene, build_scene
from .style import (
    CARD_COLOUR,
    CLUSTER_FILL,
    CLUSTER_STROKE,
    EDGE_COLOUR,
    FONT_FAMILY,
    FONT_SIZE,
    GRAD_COLOUR,
    LINE_HEIGHT,
    TEXT_COLOUR,
    VALUE_COLOUR,
)

CSS = f"""
.ag-graph {{ --ag-text: {TEXT_COLOUR}; --ag-edge: {EDGE_COLOUR}; --ag-card: {CARD_COLOUR};
  --ag-val: {VALUE_COLOUR}; --ag-grad: {GRAD_COLOUR}; --ag-cluster: {CLUSTER_FILL};
  --ag-cluster-stroke: {CLUSTER_STROKE}; font-family: {FONT_FAMILY}; font-size: {FONT_SIZE}px; }}
.ag-graph .ag-card {{ fill: var(--ag-card); }}
.ag-graph text {{ fill: var(--ag-text); dominant-baseline: central; }}
.ag-graph .ag-title {{ font-weight: 600; }}
.ag-graph .ag-op .ag-title {{ font-size: {FONT_SIZE + 2}px; font-weight: 700; }}
.ag-graph .ag-path {{ fill: none; stroke: var(--ag-edge); stroke-width: 1.3; }}
.ag-graph .ag-arrow {{ fill: var(--ag-edge); }}
.ag-graph .ag-val {{ fill: var(--ag-val); }}
.ag-graph .ag-grad, .ag-graph .ag-egrad {{ fill: var(--ag-grad); }}
.ag-graph .ag-egrad {{ font-size: {FONT_SIZE - 1}px; paint-order: stroke; stroke: var(--ag-card); stroke-width: 3px; }}
.ag-graph .ag-key {{ font-size: {FONT_SIZE - 1}px; opacity: 0.75; }}
.ag-graph .ag-empty {{ visibility: hidden; }}
.ag-graph .ag-cluster rect {{ fill: var(--ag-cluster); stroke: var(--ag-cluster-stroke); stroke-dasharray: 4 3; }}
.ag-graph .ag-cluster text {{ font-size: {FONT_SIZE - 1}px; opacity: 0.8; }}
.ag-graph .ag-note {{ font-style: italic; opacity: 0.85; }}
"""


ZOOM = 1.25  # drawn a little larger than the layout's points, to read well on a projector


def _f(x: float) -> str:
    return f"{x:.1f}"


def _path_d(points, tip) -> str:
    if not points:
        return ""
    d = [f"M{_f(points[0][0])},{_f(points[0][1])}"]
    for i in range(1, len(points) - 2, 3):
        (x1, y1), (x2, y2), (x3, y3) = points[i : i + 3]
        d.append(f"C{_f(x1)},{_f(y1)} {_f(x2)},{_f(y2)} {_f(x3)},{_f(y3)}")
    return " ".join(d)


def arrow_polygon(points, tip, size: float = 7.0):
    """Three corners of the arrowhead from the last curve point to the tip."""
    if tip is None or not points:
        return None
    (x0, y0), (x1, y1) = points[-1], tip
    dx, dy = x1 - x0, y1 - y0
    length = max((dx * dx + dy * dy) ** 0.5, 1e-6)
    ux, uy = dx / length, dy / length
    back = (x1 - ux * size, y1 - uy * size)
    return [
        (x1, y1),
        (back[0] - uy * size * 0.45, back[1] + ux * size * 0.45),
        (back[0] + uy * size * 0.45, back[1] - ux * size * 0.45),
    ]


def row_centres(node) -> list[float]:
    """Vertical centres of a node's text rows (title, value, gradient)."""
    rows = 1 + node.value_row + node.grad_row
    top = node.y - rows * LINE_HEIGHT / 2
    return [top + LINE_HEIGHT * (i + 0.5) for i in range(rows)]


def _badge(kind: str, node, cy: float, text: str, shown: bool) -> str:
    cls = f"ag-badge ag-badge-{kind}" + ("" if shown else " ag-empty")
    key, colour = ("=", "var(--ag-val)") if kind == "val" else ("∂", "var(--ag-grad)")
    left = node.x - node.w / 2 + 4
    return (
        f'<g class="{cls}"><rect class="ag-{kind}-bg" x="{_f(left)}" y="{_f(cy - LINE_HEIGHT / 2 + 1)}" '
        f'width="{_f(node.w - 8)}" height="{_f(LINE_HEIGHT - 2)}" rx="3" fill="{colour}" fill-opacity="0.08"/>'
        f'<text class="ag-key" x="{_f(left + 4)}" y="{_f(cy)}">{key}</text>'
        f'<text class="ag-{kind}" data-node={quoteattr(node.id)} x="{_f(left + 15)}" y="{_f(cy)}">{escape(text)}</text></g>'
    )


def scene_to_svg(scene: Scene) -> str:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="ag-graph" viewBox="0 0 {_f(scene.width)} {_f(scene.height)}" '
        f'width="{_f(scene.width * ZOOM)}" height="{_f(scene.height * ZOOM)}" role="img">',
        f"<style>{CSS}</style>",
        f'<rect class="ag-card" x="0" y="0" width="{_f(scene.width)}" height="{_f(scene.height)}" rx="8"/>',
    ]
    for c in sorted(scene.clusters, key=lambda c: c.module.count(".")):
        out.append(
            f'<g class="ag-cluster" data-module={quoteattr(c.module)}><rect x="{_f(c.x0)}" y="{_f(c.y0)}" '
            f'width="{_f(c.x1 - c.x0)}" height="{_f(c.y1 - c.y0)}" rx="6"/>'
            f'<text x="{_f(c.x0 + 6)}" y="{_f(c.y0 + 8)}">{escape(c.module)}</text></g>'
        )
    for e in scene.edges:
        parts = [f'<path class="ag-path" d="{_path_d(e.points, e.tip)}"/>']
        arrow = arrow_polygon(e.points, e.tip)
        if arrow:
            parts.append('<path class="ag-arrow" d="M' + " L".join(f"{_f(x)},{_f(y)}" for x, y in arrow) + ' Z"/>')
        if e.label_pos is not None:
            cls = "ag-egrad" + ("" if e.show_grad else " ag-empty")
            parts.append(
                f'<text class="{cls}" x="{_f(e.label_pos[0])}" y="{_f(e.label_pos[1])}" text-anchor="middle">{escape(e.grad)}</text>'
            )
        lit = " ag-lit" if e.lit else ""
        out.append(
            f'<g class="ag-edge{lit}" id="ag-e-{e.dom_id}" data-src={quoteattr(e.src)} data-dst={quoteattr(e.dst)}>{"".join(parts)}</g>'
        )
    for n in scene.nodes:
        lit = " ag-lit" if n.lit else ""
        head = f'<g class="ag-node ag-{n.kind}{lit}" id="ag-n-{n.dom_id}" data-node={quoteattr(n.id)}>'
        body = []
        if n.kind == "op":
            body.append(
                f'<ellipse class="ag-shape" cx="{_f(n.x)}" cy="{_f(n.y)}" rx="{_f(n.w / 2)}" ry="{_f(n.h / 2)}" '
                f'fill="{n.fill}" stroke="{n.stroke}" stroke-width="1.6"/>'
            )
            body.append(
                f'<text class="ag-title" x="{_f(n.x)}" y="{_f(n.y)}" text-anchor="middle">{escape(n.title)}</text>'
            )
        else:
            dash = ' stroke-dasharray="5 3"' if n.kind in ("module", "elided") else ""
            body.append(
                f'<rect class="ag-shape" x="{_f(n.x - n.w / 2)}" y="{_f(n.y - n.h / 2)}" width="{_f(n.w)}" '
                f'height="{_f(n.h)}" rx="6" fill="{n.fill}" stroke="{n.stroke}" stroke-width="1.6"{dash}/>'
            )
            rows = row_centres(n)
            body.append(
                f'<text class="ag-title" x="{_f(n.x)}" y="{_f(rows[0])}" text-anchor="middle">{escape(n.title)}</text>'
            )
            if n.value_row:
                body.append(_badge("val", n, rows[1], n.value, n.show_value))
            if n.grad_row:
                body.append(_badge("grad", n, rows[2], n.grad, n.show_grad))
        out.append(head + "".join(body) + "</g>")
    if scene.caption:
        out.append(
            f'<text class="ag-note" x="{_f(14)}" y="{_f(scene.height - CAPTION_HEIGHT / 2 - 4)}">{escape(scene.caption)}</text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def to_svg(graph, with_all: bool = False, depth=None, max_nodes=MAX_NODES, **style) -> str:
    """The drawing of a TorchGraph as SVG text."""
    if style:
        raise TypeError(f"unknown drawing option(s): {', '.join(sorted(style))}")
    return scene_to_svg(build_scene(graph, with_all=with_all, depth=depth, max_nodes=max_nodes))


def mimebundle(graph) -> dict:
    """What a notebook shows for a bare `g`: the SVG plus a PNG for viewers that sanitise SVG."""
    from .render_mpl import scene_to_png

    scene = build_scene(graph, with_all=True)
    return {
        "image/svg+xml": scene_to_svg(scene),
        "image/png": base64.b64encode(scene_to_png(scene)).decode("ascii"),
        "text/plain": repr(graph),
    }
