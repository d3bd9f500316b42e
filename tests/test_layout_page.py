"""The drawing is shaped for a page: one row when it fits, else rows (or top to bottom) that
show it whole at full size on a 1280×720 screen; the labels such a drawing leaves out are
only those that repeat their box, and the ones it keeps carry autograd's shares."""

from __future__ import annotations

import torch

from ani_graph import TorchGraph
from ani_graph.examples import sin_example
from ani_graph.format import format_tensor
from ani_graph.layout import compute_layout, labelled, page_scale
from ani_graph.scene import show_all
from ani_graph.style import PAGE_HEIGHT, PAGE_WIDTH

PAGE = (PAGE_WIDTH, PAGE_HEIGHT)


def two_layer(x, W1, b1, W2, b2, y):
    """The net of issue 10: x@W1+b1 → ReLU → @W2+b2 → MSE."""
    h = torch.relu(x @ W1 + b1)
    pred = h @ W2 + b2
    loss = ((pred - y) ** 2).mean()
    return loss


def two_layer_with_penalty(x, W1, b1, W2, b2, y):
    h = torch.relu(x @ W1 + b1)
    pred = h @ W2 + b2
    loss = ((pred - y) ** 2).mean() + (h**2).mean()  # h feeds two ops: its gradient has two shares
    return loss


def net_inputs():
    torch.manual_seed(0)
    return [torch.randn(4, 3), torch.randn(3, 5), torch.zeros(5), torch.randn(5, 2), torch.zeros(2), torch.randn(4, 2)]


def overlapping(scene) -> list[tuple[str, str]]:
    nodes = scene.nodes()
    found = []
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            (ax, ay, aw, ah), (bx, by, bw, bh) = a.bounds, b.bounds
            if abs(ax - bx) * 2 < aw + bw and abs(ay - by) * 2 < ah + bh:
                found.append((a.key, b.key))
    return found


def test_a_drawing_that_fits_the_page_stays_one_row_with_every_share_labelled():
    g = TorchGraph(sin_example, [2, 3, 4])
    lay = g.layout()
    assert (lay.rows, lay.direction) == (1, "LR")
    assert page_scale(g.view(), lay, PAGE) == 1.0
    assert all(lay.splines[k].label_pos is not None for k, link in g.view().links.items() if link.grad)


def test_a_long_net_wraps_into_rows_that_show_whole_at_full_size():
    g = TorchGraph(two_layer, net_inputs())
    view, lay = g.view(), g.layout()
    assert lay.direction == "LR" and lay.rows >= 2
    assert page_scale(view, lay, PAGE) == 1.0  # whole, at 1 px a point: node text at its full 11 px
    assert overlapping(g.scene(with_all=True)) == []
    assert sorted(lay.splines) == sorted(view.links)
    # rows stack: the output's row is below the inputs' row, and the arrows between rows turn back
    x, loss = lay.centres[g.node_id("x")], lay.centres[g.node_id("loss")]
    assert loss[1] > x[1] + 100
    for (u, v), spline in lay.splines.items():
        (xu, yu), (xv, yv) = lay.centres[u], lay.centres[v]
        if abs(yv - yu) < 100:
            continue
        start, tip = spline.points[0], spline.tip
        assert start[0] == xu + view.boxes[u].width / 2 and start[1] == yu  # leaves from the right side
        # and arrives at the left side of a tensor, or the top of an op its operands enter from the left
        left = (xv - view.boxes[v].width / 2, yv)
        top = (xv, yv - view.boxes[v].height / 2)
        assert tip in (left, top), (u, v)
        assert len(spline.points) % 3 == 1


def test_a_wrapped_drawing_drops_only_labels_that_repeat_their_box_and_keeps_autograds_shares():
    inputs = net_inputs()
    g = TorchGraph(two_layer_with_penalty, inputs)
    assert g.layout().rows >= 2
    view, lay = g.view(), g.layout()
    kept = {k for k, s in lay.splines.items() if s.label_pos is not None}
    assert kept == labelled(view, lean=True)
    assert kept == {k for k, link in view.links.items() if link.grad and link.grad != view.boxes[k[0]].grad}
    # h feeds @ and ^: its two shares are labelled, and they are autograd's
    h = g.node_id("h")
    shares = {k: view.links[k].grad for k in kept if k[0] == h}
    assert len(shares) == 2
    x, W1, b1, W2, b2, y = (t.clone().requires_grad_(True) for t in inputs)
    hh = torch.relu(x @ W1 + b1)
    (through_square,) = torch.autograd.grad((hh**2).mean(), [hh], retain_graph=True)
    (through_matmul,) = torch.autograd.grad((((hh @ W2 + b2) - y) ** 2).mean(), [hh])
    assert sorted(shares.values()) == sorted([format_tensor(through_square), format_tensor(through_matmul)])
    edge_texts = g.scene(with_all=True).edges()
    shown = {(e.src, e.dst) for e in edge_texts if any(getattr(t, "cls", "") == "ag-egrad" for t in e.items)}
    assert shown == kept


def test_a_fan_in_goes_top_to_bottom_when_that_shows_it_larger():
    def total(a, b, c, d, e, f, g, h):
        s = torch.stack([a, b, c, d, e, f, g, h]).sum()
        return s

    g = TorchGraph(total, [1, 2, 3, 4, 5, 6, 7, 8])
    lay = g.layout()
    assert lay.direction == "TB"
    ys = {g.node_id(n): lay.centres[g.node_id(n)][1] for n in "abcdefgh"}
    assert len({round(v) for v in ys.values()}) == 1  # the eight inputs side by side, above the sum
    assert lay.centres[g.node_id("s")][1] > max(ys.values())
    assert page_scale(g.view(), lay, PAGE) == 1.0
    assert overlapping(g.scene(with_all=True)) == []


def test_the_layout_for_another_page_is_chosen_for_that_page():
    view = TorchGraph(sin_example, [2, 3, 4]).view()
    narrow = compute_layout(view, page=(300, 2000))
    assert narrow.rows > 1 and narrow.width <= 300
    assert page_scale(view, narrow, (300, 2000)) == 1.0
    assert show_all(view).texts  # the same view draws in any of its layouts


def _stack_sum(a, b, c, d, e, f, g, h):
    return torch.stack([a, b, c, d, e, f, g, h]).sum()


def _encoder(layers: int):
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, dropout=0.0)
    enc = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
    return lambda x: enc(x).sum(), [torch.randn(2, 3, 16)]


def test_when_the_guesses_pick_top_to_bottom_it_is_the_only_dot_run_and_the_same_drawing(monkeypatch):
    import ani_graph.layout as layout_module

    runs = []
    real_run = layout_module.run_dot
    monkeypatch.setattr(layout_module, "run_dot", lambda source: runs.append(source) or real_run(source))
    cases = {
        "fan-in": (_stack_sum, [1, 2, 3, 4, 5, 6, 7, 8]),
        "six layers": _encoder(6),
        "sin": (sin_example, [2, 3, 4]),
        "two-layer net": (two_layer, net_inputs()),
    }
    for name, (func, inputs) in cases.items():
        view = TorchGraph(func, inputs).view()
        runs.clear()
        chosen = compute_layout(view)
        quick_runs = len(runs)
        with monkeypatch.context() as m:  # every candidate tried as before, no top-to-bottom first
            m.setattr(layout_module, "_top_down_first", lambda *a: None)
            runs.clear()
            reference = compute_layout(view)
        assert (chosen.direction, chosen.rows) == (reference.direction, reference.rows), name
        assert chosen.centres == reference.centres and chosen.splines == reference.splines, name
        if chosen.direction == "TB":
            assert quick_runs == 1 and len(runs) >= 2, name
        else:
            assert quick_runs == len(runs), name
    assert {name: compute_layout(TorchGraph(*cases[name]).view()).direction for name in cases} == {
        "fan-in": "TB",
        "six layers": "TB",
        "sin": "LR",
        "two-layer net": "LR",
    }
