"""How render_svg writes shapes compactly, checked against the scene it draws: arrowheads as
markers, badge tints and keys as one symbol, paints as role defaults, no empty slots in a still."""

import math
import re
import xml.etree.ElementTree as ET

import torch

from ani_graph import TorchGraph
from ani_graph.examples import sin_example
from ani_graph.render_svg import scene_to_svg
from ani_graph.scene import Polygon, Rect
from ani_graph.svg_text import _f

SVG = "{http://www.w3.org/2000/svg}"


def end_of_path(d: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """The last point of our path data (an absolute M, then relative c triples and l steps), and the one before."""
    tokens = re.findall(r"[Mcl]|-?(?:\d+\.?\d*|\.\d+)", d)
    point, before, command, numbers = (0.0, 0.0), (0.0, 0.0), "", []
    for t in [*tokens, "end"]:
        if t in ("M", "c", "l", "end"):
            pairs = list(zip(numbers[::2], numbers[1::2], strict=True))
            if command == "M":
                point = pairs[0]
            for k in range(2, len(pairs), 3) if command == "c" else range(len(pairs)) if command == "l" else ():
                before, point = point, (point[0] + pairs[k][0], point[1] + pairs[k][1])
            command, numbers = t, []
        else:
            numbers.append(float(t))
    return before, point


def test_arrowheads_are_markers_placed_where_the_scene_put_them():
    g = TorchGraph(sin_example, [2, 3, 4])
    scene = g.scene(with_all=True)
    svg = scene_to_svg(scene)
    root = ET.fromstring(svg)
    drawn = {(e.get("data-src"), e.get("data-dst")): e for e in root.iter(f"{SVG}g") if e.get("data-src")}
    assert not [p for p in drawn.values() for q in p if "ag-arrow" in (q.get("class") or "")]  # no head per edge
    for edge in scene.edges():
        (tip, a, b) = next(i for i in edge.items if isinstance(i, Polygon)).points
        base = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
        u = ((tip[0] - base[0]) / 7.0, (tip[1] - base[1]) / 7.0)
        path = drawn[(edge.src, edge.dst)].find(f"{SVG}path")
        assert "ag-bare" not in path.get("class")
        before, end = end_of_path(path.get("d"))
        # the line stops 3 short of the tip on the head's axis, where the marker's refX puts the head
        assert math.dist(end, (tip[0] - 3 * u[0], tip[1] - 3 * u[1])) < 0.15
        heading = math.atan2(end[1] - before[1], end[0] - before[0])
        assert abs(heading - math.atan2(u[1], u[0])) < math.radians(2)
    markers = root.findall(f"{SVG}defs/{SVG}marker")
    assert {m.get("refX") for m in markers} == {"4"} and len(markers) == 4  # plain, and lit forward/back/tangent
    assert re.search(r"\.ag-graph \.ag-path:not\(\.ag-bare\) \{ marker-end: url\(#ag-m[0-9a-f]+\)", svg)
    for flow in ("fwd", "back", "tan"):  # a lit edge's head takes its phase's colour
        assert re.search(
            rf"\.ag-flow-{flow} \.ag-path:not\(\.ag-bare\) \{{ marker-end: url\(#ag-m[0-9a-f]+{flow}\)", svg
        )


def test_a_badge_is_one_use_of_a_symbol_as_wide_as_its_tint():
    torch.manual_seed(0)
    g = TorchGraph(lambda W, x: torch.tanh(W @ x).sum(), [torch.randn(3, 4), torch.randn(4)])
    for tensors in ("text", "heatmap"):
        scene = g.scene(with_all=True, tensors=tensors)
        root = ET.fromstring(scene_to_svg(scene))
        symbols = {s.get("id"): s for s in root.iter(f"{SVG}symbol")}
        tints = [i for n in scene.nodes() for b in n.items if getattr(b, "role", "") == "badge" for i in b.items[:1]]
        uses = list(root.iter(f"{SVG}use"))
        assert tints and len(uses) == len(tints)
        for tint, use in zip(tints, uses, strict=True):
            assert isinstance(tint, Rect)
            assert (use.get("x"), use.get("y"), use.get("width")) == (_f(tint.x), _f(tint.y), _f(tint.w))
            rect = symbols[use.get("href")[1:]].find(f"{SVG}rect")
            assert (rect.get("width"), rect.get("height")) == ("100%", _f(tint.h))
        assert len(symbols) < len(uses)  # badges of one height share their symbol


def test_a_still_drawing_has_no_empty_slots_but_the_players_drawing_keeps_them():
    g = TorchGraph(sin_example, [2, 3, 4])
    assert 'class="ag-empty' not in g.to_svg() and " ag-empty" not in g.to_svg().split("</style>")[1]
    assert 'class="ag-badge' not in g.to_svg() and 'class="ag-badge' in g.to_svg(with_all=True)
    scene = g.scene()  # names only: every badge an empty slot
    assert scene_to_svg(scene).count("ag-empty") > 0


def test_shapes_with_their_roles_default_paint_carry_no_paint():
    svg = TorchGraph(sin_example, [2, 3, 4]).to_svg(with_all=True)
    ops = re.findall(r'<ellipse class="ag-shape"[^>]*>', svg)
    assert len(ops) == 3 and not any("fill=" in e or "stroke=" in e for e in ops)
    assert re.search(r":where\(\.ag-d[0-9a-f]{8} \.ag-node\.ag-op > \.ag-shape\) \{ fill:#[0-9A-F]{6};stroke:", svg)
