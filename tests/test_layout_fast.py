"""The layouts placed without one `dot` run over the whole graph: a chain by rank, a fan of copies.

Structure only (speed is measured in `benchmarks/targets.py`): boxes do not overlap, every
arrow runs from its tail box to its head box, a chain reads in rank order, the copies of a
branch are drawn alike, and every other graph still goes through `dot` unchanged.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from ani_graph import TorchGraph, layout
from ani_graph.examples import sin_example
from ani_graph.layout import compute_layout
from ani_graph.layout_fan import fan_of
from ani_graph.layout_fast import CHAIN_FROM, chain_of, fast_layout
from ani_graph.layout_parts import ONE_SHAPE_ABOVE

pytestmark = pytest.mark.filterwarnings("ignore")


def scaled_chain(steps: int):
    def f(x):
        for _ in range(steps):
            x = x * 1.5
        return x

    return f


def sin_chain(x, w):
    for _ in range(11):
        x = torch.sin(x) * 1.5
    return x * w


def shared_weight(x, w):
    for _ in range(11):
        x = torch.sin(x) * w
    return x


def fan(branches: int, odd: bool = False) -> TorchGraph:
    """`branches` parallel sin·2 paths from one input into one stack; with `odd`, one path has a cos more."""

    def f(x):
        parts = [torch.sin(x[i]) * 2 for i in range(branches)]
        if odd:
            parts[-1] = torch.cos(parts[-1])
        return torch.stack(parts).sum()

    return TorchGraph(f, [torch.linspace(-1, 1, branches)])


def rect(view, lay, box):
    (x, y), b = lay.centres[box], view.boxes[box]
    return x - b.width / 2, y - b.height / 2, x + b.width / 2, y + b.height / 2


def inside(p, r, slack=2.0) -> bool:
    return r[0] - slack <= p[0] <= r[2] + slack and r[1] - slack <= p[1] <= r[3] + slack


def on_edge(p, r, slack=2.0) -> bool:
    """`p` lies on the outline of the rectangle `r` (within `slack`)."""
    near_x = min(abs(p[0] - r[0]), abs(p[0] - r[2])) <= slack
    near_y = min(abs(p[1] - r[1]), abs(p[1] - r[3])) <= slack
    return inside(p, r, slack) and (near_x or near_y)


def assert_well_drawn(view, lay):
    assert sorted(lay.centres) == sorted(view.boxes)
    assert sorted(lay.splines) == sorted(view.links)
    rects = {b: rect(view, lay, b) for b in view.boxes}
    for a, b in itertools.combinations(rects, 2):
        ra, rb = rects[a], rects[b]
        assert ra[2] <= rb[0] or rb[2] <= ra[0] or ra[3] <= rb[1] or rb[3] <= ra[1], (a, b)
    for r in rects.values():
        assert r[0] >= 0 and r[1] >= 0 and r[2] <= lay.width + 0.5 and r[3] <= lay.height + 0.5
    for (u, v), s in lay.splines.items():
        assert len(s.points) % 3 == 1
        assert on_edge(s.points[0], rects[u]), (u, v, s.points[0], rects[u])
        assert s.tip is not None and on_edge(s.tip, rects[v]), (u, v, s.tip, rects[v])


@pytest.mark.parametrize(
    "make", [lambda: TorchGraph(scaled_chain(20), [1.0]), lambda: TorchGraph(sin_chain, [1.0, 1.5])]
)
def test_a_chain_is_placed_by_rank_without_dot(make):
    view = make().view()
    assert len(view.boxes) >= CHAIN_FROM
    chain = chain_of(view)
    assert chain is not None
    spine, feeders = chain
    # the spine is the real path from the input to the output, each box linked from the one before
    assert view.boxes[spine[0]].kind == "input" and view.boxes[spine[-1]].kind == "output"
    assert all((a, b) in view.links for a, b in zip(spine, spine[1:]))
    lay = compute_layout(view)
    assert lay == fast_layout(view)
    assert_well_drawn(view, lay)
    # rank order: down the rows, and left to right inside a row
    order = [(round(lay.centres[b][1] // (lay.height / lay.rows)), lay.centres[b][0]) for b in spine]
    assert order == sorted(order)
    assert lay.rows > 1  # too wide for the page in one row: wrapped, like the dot layout
    for op, fs in feeders.items():  # a feeder sits before its op, in the same row
        for f in fs:
            assert view.boxes[op].kind == "op"
            assert lay.centres[f][0] < lay.centres[op][0]
            assert abs(lay.centres[f][1] - lay.centres[op][1]) < lay.height / lay.rows


@pytest.mark.parametrize("steps", [60, 1000])
def test_a_long_chain_shows_its_two_ends_as_a_chain_through_the_hidden_middle(steps):
    g = TorchGraph(scaled_chain(steps), [1.0])
    view = g.view()
    hidden = view.boxes["elided"]
    # the ends as the program ran: the input, then the first ops with their constants; the output last
    spine, feeders = chain_of(view)
    assert spine[0] == g.node_id("x") and spine[-1] == g.node_id("out") and "elided" in spine
    assert hidden.members and all(view.owner[n] == "elided" for n in hidden.members)
    assert len(hidden.members) == g.nx.number_of_nodes() - (len(view.boxes) - 1)
    # every constant drawn feeds an op drawn beside it: none points into the hidden middle
    for b, box in view.boxes.items():
        if box.kind == "constant":
            assert any(u == b and view.boxes[v].kind == "op" for u, v in view.links)
    assert sum(len(f) for f in feeders.values()) == sum(box.kind == "constant" for box in view.boxes.values())
    lay = compute_layout(view)
    assert lay == fast_layout(view)
    assert_well_drawn(view, lay)


def test_a_chain_of_one_row_when_it_fits_the_page():
    view = TorchGraph(scaled_chain(20), [1.0]).view()
    lay = compute_layout(view, page=(1e5, 1e4))
    assert lay.rows == 1
    ys = {lay.centres[b][1] for b in chain_of(view)[0]}
    assert len(ys) == 1  # the spine on one straight line
    assert_well_drawn(view, lay)


def test_identical_branches_are_copies_of_one_laid_out_branch():
    g = fan(50)
    view = g.view(max_nodes=1000)
    assert len(view.boxes) > ONE_SHAPE_ABOVE
    found = fan_of(view)
    assert found is not None
    source, sink, branches = found
    assert len(branches) == 50
    assert view.boxes[source].kind == "input" and view.boxes[sink].title == "stack"
    lay = compute_layout(view)
    assert_well_drawn(view, lay)

    def relative(branch):
        boxes, fed = branch
        x0, y0 = lay.centres[boxes[0]]
        shape = [(lay.centres[b][0] - x0, lay.centres[b][1] - y0) for b in boxes]
        shape += [(lay.centres[f][0] - x0, lay.centres[f][1] - y0) for b in boxes for f in fed[b]]
        return [(round(x, 6), round(y, 6)) for x, y in shape]

    assert all(relative(b) == relative(branches[0]) for b in branches)
    heads = [lay.centres[b[0][0]] for b in branches]
    assert len({round(x, 6) for x, _ in heads}) == 1  # stacked in one column, in order
    assert [y for _, y in heads] == sorted(y for _, y in heads)
    # the rest of the graph around the stack: the source before it, the sink after it
    assert lay.centres[source][0] < min(x for x, _ in heads)
    assert lay.centres[sink][0] > max(lay.centres[b[0][-1]][0] for b in branches)


def test_branches_that_differ_are_not_a_fan():
    view = fan(50, odd=True).view(max_nodes=1000)
    assert fan_of(view) is None
    assert fast_layout(view) is None


@pytest.mark.parametrize(
    "make",
    [
        lambda: TorchGraph(sin_example, [2, 3, 4]),  # small: dot's drawing is the reference
        lambda: fan(20),  # a fan under ONE_SHAPE_ABOVE: the page-shaped dot layout
        lambda: TorchGraph(shared_weight, [1.0, 1.5]),  # one weight feeding every op: not a chain
    ],
)
def test_other_graphs_still_go_through_dot(make, monkeypatch):
    view = make().view()
    assert fast_layout(view) is None
    lay = compute_layout(view)
    monkeypatch.setattr(layout, "fast_layout", lambda *args: None)  # the layout without the hook
    assert compute_layout(view) == lay


def test_module_frames_keep_the_dot_layout():
    torch.manual_seed(0)
    net = torch.nn.Sequential(*[torch.nn.Linear(2, 2) for _ in range(12)])
    view = TorchGraph(lambda x: net(x).sum(), [torch.ones(2)]).view(depth=99, max_nodes=1000)
    assert view.clusters
    assert fast_layout(view) is None
    assert compute_layout(view).clusters  # the frames come from dot
