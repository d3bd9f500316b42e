"""`g.plot()` reads on a dark notebook as on a light one: no white card, a transparent figure, and every
text on a filled shape or a halo of its own."""

from __future__ import annotations

import io

import matplotlib
import pytest
import torch.nn as nn
from PIL import Image

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule
from ani_graph.scene import Ellipse, Group, Rect, Text
from ani_graph.style import CARD_COLOUR

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def test_plot_draws_no_card_on_a_transparent_figure():
    plt.close("all")
    ax = TorchGraph(chain_rule, [2, 1]).plot(with_all=True)
    fig = ax.figure
    assert fig.patch.get_alpha() == 0
    card = [p for p in ax.patches if matplotlib.colors.to_hex(p.get_facecolor()).upper() == CARD_COLOUR]
    assert card == []
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor=fig.get_facecolor())  # as a notebook's inline backend saves it
    image = Image.open(buf).convert("RGBA")
    assert image.getpixel((2, 2))[3] == 0 and image.getpixel((image.width - 3, image.height - 3))[3] == 0
    plt.close("all")


def test_a_notebook_is_not_told_to_put_a_light_box_behind_the_plot():
    inline = pytest.importorskip("matplotlib_inline.backend_inline")
    plt.close("all")
    ax = TorchGraph(chain_rule, [2, 1]).plot(with_all=True)
    # a transparent figure with dark tick labels gets "needs_background: light", a white box in dark themes
    assert inline._fetch_figure_metadata(ax.figure) is None
    plt.close("all")


def _shapes(group, found):
    for item in group.items:
        if isinstance(item, Group):
            _shapes(item, found)
        elif isinstance(item, Rect) and item.fill != "none" and item.fill_opacity >= 0.5:
            found.append((item.x, item.y, item.x + item.w, item.y + item.h))
        elif isinstance(item, Ellipse):
            found.append((item.cx - item.rx, item.cy - item.ry, item.cx + item.rx, item.cy + item.ry))
    return found


def _texts(group, found):
    for item in group.items:
        if isinstance(item, Group):
            _texts(item, found)
        elif isinstance(item, Text) and not item.hidden:
            found.append(item)
    return found


def test_without_the_card_every_text_sits_on_a_filled_shape_or_a_halo():
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    g = TorchGraph(lambda x: model(x).sum(), [[0.5, -1.0, 2.0]])
    scenes = (g.scene(with_all=True), g.scene(with_all=True, max_nodes=6), g.scene(with_all=True, tensors="heatmap"))
    for scene in scenes:  # open clusters; folded, with a note; heatmaps, with their key
        groups = [grp for grp in scene.groups if grp.role != "card"]
        shapes = [s for grp in groups for s in _shapes(grp, [])]
        texts = [t for grp in groups for t in _texts(grp, [])]
        assert texts
        for t in texts:
            on_shape = any(x0 <= t.x <= x1 and y0 <= t.y <= y1 for x0, y0, x1, y1 in shapes)
            assert t.halo or on_shape, f"{t.text!r} would sit on the page's own background"
    folded = g.scene(max_nodes=6)
    assert folded.note  # the folded scene does carry its note, on a halo
    assert all(t.halo for grp in folded.groups if grp.role == "note" for t in _texts(grp, []))
