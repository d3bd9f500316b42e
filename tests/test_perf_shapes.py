"""The shortcuts of the performance work change no result: they only skip work.

- the page-shaped layout lays out a candidate only when its guessed size could win; the
  choice is the one that laying out every candidate makes;
- frames of folded ops are built without the texts that folding drops; the frame list is
  the one that folding the whole unfolded schedule gives;
- the collector pause leaves the collector as it found it.
"""

from __future__ import annotations

import gc

import networkx as nx
import pytest
import torch
import torch.nn as nn

from ani_graph import TorchGraph
from ani_graph import frames as F
from ani_graph import layout as L
from ani_graph import style as S
from ani_graph.examples import sin_example
from ani_graph.gcpause import paused_gc

PAGE = (S.PAGE_WIDTH, S.PAGE_HEIGHT)


def two_layer(x, W1, b1, W2, b2, y):
    h = torch.relu(x @ W1 + b1)
    pred = h @ W2 + b2
    return ((pred - y) ** 2).mean() + (h**2).mean()


def net_inputs():
    torch.manual_seed(0)
    return [torch.randn(4, 3), torch.randn(3, 5), torch.zeros(5), torch.randn(5, 2), torch.zeros(2), torch.randn(4, 2)]


def conv_stack():
    torch.manual_seed(0)
    blocks = [nn.Sequential(nn.Conv2d(2, 2, 3, padding=1), nn.ReLU()) for _ in range(8)]
    net = nn.Sequential(*blocks)
    return lambda x: net(x).mean(), [torch.randn(1, 2, 6, 6)]


def long_chain(x):
    for _ in range(300):
        x = x * 1.001
    return x


def every_candidate(view):
    """The choice `compute_layout` makes when it lays out every candidate (no guessing)."""
    full = L._dot(view)
    best, best_scale = full, L.page_scale(view, full, PAGE)
    if best_scale >= 1.0 or len(view.boxes) < 4:
        return best
    lean = L._dot(view, lean=True)
    options = [lean]
    for rows in range(2, L.MAX_ROWS + 1):
        if lean.width / rows < PAGE[0] / 4:
            break
        options.append(L.wrap_rows(view, lean, rows))
    options.append(L._dot(view, rankdir="TB", lean=True))
    for lay in options:
        if lay is None:
            continue
        scale = L.page_scale(view, lay, PAGE)
        if scale > best_scale * 1.05:
            best, best_scale = lay, scale
        if best_scale >= 1.0:
            break
    return best


@pytest.mark.parametrize("case", ["net", "conv", "sin"])
def test_guessing_candidates_picks_what_laying_out_all_of_them_picks(case):
    func, inputs = {
        "net": (two_layer, net_inputs()),
        "conv": conv_stack(),
        "sin": (sin_example, [2, 3, 4]),
    }[case]
    view = TorchGraph(func, inputs).view()
    chosen, reference = L.compute_layout(view), every_candidate(view)
    assert (chosen.rows, chosen.direction) == (reference.rows, reference.direction)
    assert chosen.centres == reference.centres
    assert chosen.splines == reference.splines
    assert chosen.clusters == reference.clusters


def test_dot_text_keeps_every_box_its_size_and_every_link_a_curve():
    g = TorchGraph(conv_stack()[0], conv_stack()[1])
    view = g.view(depth=99)
    lay = L._dot(view)
    assert sorted(lay.centres) == sorted(view.boxes) and sorted(lay.splines) == sorted(view.links)
    # boxes never overlap, and each module frame holds its boxes
    placed = [(lay.centres[b], view.boxes[b]) for b in view.boxes]
    for i, ((xa, ya), a) in enumerate(placed):
        for (xb, yb), b in placed[i + 1 :]:
            assert abs(xa - xb) * 2 >= a.width + b.width - 0.5 or abs(ya - yb) * 2 >= a.height + b.height - 0.5
    for b, box in view.boxes.items():
        if box.cluster is not None:
            x0, y0, x1, y1 = lay.clusters[box.cluster]
            (x, y) = lay.centres[b]
            assert x0 <= x - box.width / 2 and x + box.width / 2 <= x1 and y0 <= y - box.height / 2 <= y1


def fold_everything_afterwards(G, view, direction):
    """The schedule built without the fold map, then folded: what frames were before the shortcut."""
    order = list(nx.topological_sort(G))
    if direction == "forward":
        frames = F._forward_frames(G, order, view.names)
    elif direction == "both":
        frames = F._forward_frames(G, order, view.names) + F._backward_frames(G, order, view.names)
    else:
        frames = F._backward_frames(G, order, view.names)
        badges = {n: {"value": F.format_tensor(a["value"])} for n, a in G.nodes(data=True) if a["kind"] != "op"}
        for n, texts in frames[0]["badges"].items():
            badges[n].update(texts)
        frames[0]["badges"] = badges
    return F._fold_frames(frames, view.owner, G)


@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
@pytest.mark.parametrize("case", ["conv1", "chain", "net"])
def test_folding_first_gives_the_frames_folding_afterwards_gives(case, direction):
    if case == "conv1":
        g, depth = TorchGraph(*conv_stack()), 1
    elif case == "chain":
        g, depth = TorchGraph(long_chain, [1.0]), None  # the middle is elided
    else:  # a module net, its top module folded into one box
        torch.manual_seed(0)
        net = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
        g, depth = TorchGraph(lambda x: net(x).sum() * 2, [torch.randn(2, 3)]), 0
    view = g.view(depth)
    assert any(box != n for n, box in view.owner.items())  # something is folded
    assert g.frames(direction, depth=depth) == fold_everything_afterwards(g.nx, view, direction)


def test_the_collector_pause_nests_and_restores():
    assert gc.isenabled()
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_a_wrapped_drawing_is_the_one_row_drawing_cut_into_rows():
    """Each row keeps the places its boxes, arrows and frames had in the one-row drawing,
    moved together; the rows stack without overlapping."""
    view = TorchGraph(two_layer, net_inputs()).view()
    one_row = L._dot(view, lean=True)
    lay = L.wrap_rows(view, one_row, 2)
    assert lay is not None and lay.rows == 2
    row = L.row_of_boxes(view, one_row, 2)
    spans = []
    for r in (0, 1):
        boxes = [b for b, i in row.items() if i == r]
        shifts = {
            (round(lay.centres[b][0] - one_row.centres[b][0], 6), round(lay.centres[b][1] - one_row.centres[b][1], 6))
            for b in boxes
        }
        assert len(shifts) == 1, shifts  # one move for the whole row
        (dx, dy) = shifts.pop()
        for (u, v), s in one_row.splines.items():
            if u in boxes and v in boxes:
                moved = [c for x, y in s.points for c in (x + dx, y + dy)]
                assert [c for p in lay.splines[(u, v)].points for c in p] == pytest.approx(moved)
        tops = [lay.centres[b][1] - view.boxes[b].height / 2 for b in boxes]
        bottoms = [lay.centres[b][1] + view.boxes[b].height / 2 for b in boxes]
        spans.append((min(tops), max(bottoms)))
    assert spans[0][1] < spans[1][0]
    assert sorted(lay.splines) == sorted(view.links)


@pytest.mark.parametrize("case", ["net", "conv"])
def test_a_drawing_too_long_for_one_row_needs_one_dot_run_per_shape(case, monkeypatch):
    """Rows are cut from the one-row drawing, and the drawing with every label is not laid out
    when even its longest path is wider than the page."""
    func, inputs = {"net": (two_layer, net_inputs()), "conv": conv_stack()}[case]
    view = TorchGraph(func, inputs).view()
    runs = []
    real = L.run_dot
    monkeypatch.setattr(L, "run_dot", lambda *a, **k: runs.append(1) or real(*a, **k))
    lay = L.compute_layout(view)
    assert L.page_scale(view, lay, PAGE) < 1.0 or lay.rows > 1 or lay.direction == "TB"
    assert len(runs) <= 2  # the one row (with or without labels), and top to bottom at most
    assert len(runs) == 1 or lay.direction == "TB" or L.labelled(view, True) != L.labelled(view, False)
