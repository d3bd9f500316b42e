"""Repeated module blocks laid out once (`layout_runs`, `layout_blocks`): structure only.

The copies of a block are drawn with the same relative coordinates, nothing overlaps, every
arrow runs from its tail box to its head box, every frame sits inside its parent's and
holds its boxes, and graphs whose frames are not a clean run still go through `dot`.
Speed is measured in `benchmarks/targets.py`.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from ani_graph import TorchGraph, layout
from ani_graph.layout import compute_layout
from ani_graph.layout_blocks import blocks_layout
from ani_graph.layout_parts import ONE_SHAPE_ABOVE
from ani_graph.layout_runs import runs_of

from .test_layout_fast import on_edge, rect

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def encoder_view():
    """A 10-layer transformer encoder unfolded: 323 boxes in 130 nested frames."""
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 10, enable_nested_tensor=False)
    return TorchGraph(lambda x: enc(x).sum(), [torch.randn(2, 3, 16)]).view(depth=99)


def stack(blocks: int, odd: bool = False, skip: bool = False) -> TorchGraph:
    """`blocks` Linear→Tanh→Linear blocks in a row; `odd`: the last has a ReLU in place of the Tanh;
    `skip`: the first block's output is also added to the last block's."""
    torch.manual_seed(0)
    net = nn.Sequential(*[nn.Sequential(nn.Linear(3, 3), nn.Tanh(), nn.Linear(3, 3)) for _ in range(blocks)])
    if odd:
        net[-1][1] = nn.ReLU()

    def f(x):
        first = net[0](x)
        y = first
        for block in net[1:]:
            y = block(y)
        return (y + first).sum() if skip else y.sum()

    return TorchGraph(f, [torch.ones(3)])


def assert_well_drawn(view, lay):
    """Every box and arrow placed, no two boxes overlap, all inside the drawing (dot's numbers are
    rounded: half a point of slack), every arrow from its tail's outline to its head's."""
    assert sorted(lay.centres) == sorted(view.boxes)
    assert sorted(lay.splines) == sorted(view.links)
    rects = sorted((rect(view, lay, b), b) for b in view.boxes)
    for i, (ra, a) in enumerate(rects):  # sorted by left side: only the ones starting before `a` ends
        for rb, b in rects[i + 1 :]:
            if rb[0] >= ra[2]:
                break
            assert ra[3] <= rb[1] or rb[3] <= ra[1], (a, b)
        assert ra[0] >= -0.5 and ra[1] >= -0.5 and ra[2] <= lay.width + 0.5 and ra[3] <= lay.height + 0.5
    for (u, v), s in lay.splines.items():
        assert len(s.points) % 3 == 1
        assert on_edge(s.points[0], rect(view, lay, u)), (u, v, s.points[0])
        assert s.tip is not None and on_edge(s.tip, rect(view, lay, v)), (u, v, s.tip)


def inside(inner, outer, slack=0.01) -> bool:
    return all(outer[i] - slack <= inner[i] for i in (0, 1)) and all(inner[i] <= outer[i] + slack for i in (2, 3))


def box_rect(view, lay, b):
    (x, y), box = lay.centres[b], view.boxes[b]
    return (x - box.width / 2, y - box.height / 2, x + box.width / 2, y + box.height / 2)


def test_a_deep_encoder_is_drawn_from_one_laid_out_layer(encoder_view, monkeypatch):
    view = encoder_view
    assert len(view.boxes) > ONE_SHAPE_ABOVE
    (run,) = runs_of(view)
    assert run.parent == "layers" and run.copies == tuple(f"layers.{i}" for i in range(10))
    lay = compute_layout(view)
    assert lay == blocks_layout(view, lean=True) and lay.rows == 1
    assert_well_drawn(view, lay)
    # every frame inside its parent's, every box inside its own frame
    assert sorted(lay.clusters) == sorted(view.clusters)
    for path, parent in view.clusters.items():
        if parent is not None:
            assert inside(lay.clusters[path], lay.clusters[parent]), path
    for b, box in view.boxes.items():
        if box.cluster is not None:
            assert inside(box_rect(view, lay, b), lay.clusters[box.cluster]), b
    # the copies side by side along the flow, in order, each with the same relative coordinates
    corners = [lay.clusters[c][:2] for c in run.copies]
    assert [x for x, _ in corners] == sorted(x for x, _ in corners) and len({y for _, y in corners}) == 1

    def relative(k: int) -> dict:
        x0, y0 = corners[k]
        shape = {
            s: (round(lay.centres[b][0] - x0, 6), round(lay.centres[b][1] - y0, 6)) for b, s in run.slots[k].items()
        }
        cut = len(run.copies[k])
        for path, (a, b, c, d) in lay.clusters.items():
            if path == run.copies[k] or path.startswith(run.copies[k] + "."):
                shape[path[cut:]] = tuple(round(v, 6) for v in (a - x0, b - y0, c - x0, d - y0))
        return shape

    assert all(relative(k) == relative(0) for k in range(1, 10))
    # the copies' frames do not overlap
    frames = [lay.clusters[c] for c in run.copies]
    assert all(a[2] < b[0] for a, b in zip(frames, frames[1:]))
    monkeypatch.setattr(layout, "blocks_layout", lambda *args, **kw: None)  # without the hook: one `dot` run
    assert sorted(compute_layout(view).clusters) == sorted(lay.clusters)


def test_arrows_between_copies_leave_the_exit_and_reach_the_entries(encoder_view):
    view = encoder_view
    (run,) = runs_of(view)
    lay = blocks_layout(view)
    by_slot = [{s: b for b, s in names.items()} for names in run.slots]
    for k in range(1, len(run.copies)):
        exit_box = by_slot[k - 1][run.exit]
        for e in run.entries:
            s = lay.splines[(exit_box, by_slot[k][e])]
            xs = [p[0] for p in s.points]
            assert xs[0] == pytest.approx(lay.centres[exit_box][0] + view.boxes[exit_box].width / 2, abs=2)
            # leaves the copy before and comes into this one: never back behind where it started
            assert min(xs) >= xs[0] - 1 and s.tip[0] > lay.clusters[run.copies[k]][0]


@pytest.mark.parametrize("kind", ["odd", "skip"])
def test_blocks_that_are_not_a_clean_run_go_to_dot(kind):
    view = stack(6, **{kind: True}).view(depth=99)
    runs = runs_of(view)
    if kind == "odd":  # five alike and one not: the five are still a run
        assert [len(r.copies) for r in runs] == [5]
    else:  # the first block feeds the last: no copy is fed only by the one before
        assert runs == []
        assert blocks_layout(view) is None


def test_a_clean_stack_is_one_run_whatever_its_size():
    view = stack(6).view(depth=99)
    (run,) = runs_of(view)
    assert run.copies == tuple(str(i) for i in range(6))
    assert view.boxes[run.source].kind == "input"
    lay = blocks_layout(view)
    assert lay is not None
    assert_well_drawn(view, lay)


def test_two_runs_of_different_blocks_each_drawn_from_its_own_copy():
    torch.manual_seed(0)
    first = nn.Sequential(*[nn.Sequential(nn.Linear(3, 3), nn.Tanh()) for _ in range(4)])
    second = nn.Sequential(*[nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3)) for _ in range(5)])
    net = nn.Sequential(first, nn.Sigmoid(), second)
    view = TorchGraph(lambda x: net(x).sum(), [torch.ones(3)]).view(depth=99)
    runs = runs_of(view)
    assert sorted((r.parent, len(r.copies)) for r in runs) == [("0", 4), ("2", 5)]
    lay = blocks_layout(view)
    assert lay is not None
    assert_well_drawn(view, lay)
    for path, parent in view.clusters.items():
        if parent is not None:
            assert inside(lay.clusters[path], lay.clusters[parent]), path
    for run in runs:  # each run's copies alike, side by side, inside the run's frame
        corners = [lay.clusters[c][:2] for c in run.copies]
        assert len({y for _, y in corners}) == 1
        assert [x for x, _ in corners] == sorted(x for x, _ in corners)
        for names in run.slots[1:]:
            for (b, s), (b0, s0) in zip(names.items(), run.slots[0].items()):
                assert s == s0
                dx = lay.centres[b][0] - lay.centres[b0][0]
                assert dx == pytest.approx(lay.clusters[run.copies[run.slots.index(names)]][0] - corners[0][0])
                assert lay.centres[b][1] == pytest.approx(lay.centres[b0][1])
    assert lay.clusters["0"][2] < lay.clusters["2"][0]  # the first run before the second
