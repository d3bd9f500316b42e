"""The frame schedule and the Animation object, checked against autograd's numbers."""

import base64
import json
import re

import pytest
import torch
import torch.nn as nn

from ani_graph import TorchGraph
from ani_graph.format import format_tensor
from ani_graph.frames import build_frames, state_at


def func_mult(a, b):
    y = a * b
    return y


def chain_rule(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def test_every_frame_is_plain_json_with_the_documented_keys():
    frames = TorchGraph(chain_rule, [2, 1]).animate(direction="both").frames
    json.dumps(frames)
    for f in frames:
        assert {"caption", "nodes_lit", "edges_lit", "labels", "phase"} <= set(f)


def test_multiplication_caption_states_the_swap_with_numbers():
    anim = TorchGraph(func_mult, [2, 3], [2]).animate(direction="backward")
    captions = [f["caption"] for f in anim.frames]
    assert captions[0].startswith("Backward pass starts") and "∂L/∂y = 2" in captions[0]
    assert captions[1].startswith("∂L/∂a = ∂L/∂y · ∂y/∂a = 2 · 3 = 6")
    assert captions[2].startswith("∂L/∂b = ∂L/∂y · ∂y/∂b = 2 · 2 = 4")
    assert "swap" in captions[1]
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    ga, gb = torch.autograd.grad(a * b, [a, b], torch.tensor(2.0))
    assert format_tensor(ga) == "6" and format_tensor(gb) == "4"


def test_forward_lights_ops_in_topological_order_and_fills_values():
    g = TorchGraph(chain_rule, [2, 1])
    frames = build_frames(g, "forward")
    assert frames[0]["caption"].startswith("Forward pass starts")
    assert {g.nx.nodes[n]["name"] for n in frames[0]["labels"]} >= {"a", "b"}
    ops_in_order = [f["nodes_lit"][0] for f in frames[1:]]
    position = {n: i for i, n in enumerate(ops_in_order)}
    for op in ops_in_order:
        for u in g.nx.predecessors(op):
            for producer in g.nx.predecessors(u):
                assert position[producer] < position[op]
    last = state_at(frames, len(frames) - 1)["labels"]
    assert last[g.node_id("e")]["value"] == "6"
    assert "c = a + b = 2 + 1 = 3" in [f["caption"] for f in frames]


def test_branch_accumulation_is_a_visible_sum():
    g = TorchGraph(chain_rule, [2, 1])
    frames = build_frames(g, "backward")
    b = g.node_id("b")
    arrivals = [f for f in frames if b in f["labels"] and "grad" in f["labels"][b]]
    assert len(arrivals) == 2
    assert "(second path) → 5" in arrivals[1]["caption"]
    assert "+=" in arrivals[1]["caption"]
    assert arrivals[1]["labels"][b]["grad"] == format_tensor(g.grad("b")) == "5"
    # the two edge shares shown are the per-path contributions, which sum to ∂e/∂b
    shares = [float(t) for f in arrivals for t in f["edge_labels"].values()]
    assert sorted(shares) == [2.0, 3.0]


def test_backward_captions_name_the_local_rule():
    g = TorchGraph(lambda x: torch.sin(x), [0.5])
    caption = build_frames(g)[1]["caption"]
    assert "d sin(u)/du = cos(u)" in caption
    x = torch.tensor(0.5, requires_grad=True)
    (ref,) = torch.autograd.grad(torch.sin(x), [x])
    assert f"= {format_tensor(ref)}" in caption

    g = TorchGraph(lambda x, y: torch.maximum(x, y), [3.0, 1.0])
    captions = " ".join(f["caption"] for f in build_frames(g))
    assert "switch" in captions
    assert format_tensor(g.grad("x")) == "1" and format_tensor(g.grad("y")) == "0"


def test_every_gradient_shown_in_the_last_frame_is_autograds():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    g = TorchGraph(lambda x: mlp(x).sum(), [[0.5, -1.0, 2.0]])
    frames = build_frames(g, "both")
    final = state_at(frames, len(frames) - 1)["labels"]
    x = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
    params = dict(mlp.named_parameters())
    refs = torch.autograd.grad(mlp(x).sum(), [x, *params.values()])
    for name, ref in zip(["x", *params], refs):
        assert final[g.node_id(name)]["grad"] == format_tensor(ref), name


def test_direction_both_is_forward_then_backward():
    frames = TorchGraph(chain_rule, [2, 1]).animate(direction="both").frames
    phases = [f["phase"] for f in frames]
    assert phases == sorted(phases, key=lambda p: p != "forward")
    assert phases[0] == "forward" and phases[-1] == "backward"


def test_bad_direction_names_the_choices():
    with pytest.raises(ValueError, match="'forward', 'backward', 'both'"):
        TorchGraph(func_mult, [2, 3]).animate(direction="sideways")


def test_frame_is_settable_and_validated():
    anim = TorchGraph(func_mult, [2, 3], [2]).animate()
    anim.frame = 2
    assert anim.frame == 2
    assert anim.widget.frame == 2
    anim.frame = 1
    assert anim.widget.frame == 1
    with pytest.raises(IndexError, match="0 to 2"):
        anim.frame = 3
    with pytest.raises(TypeError):
        anim.frame = "2"
    with pytest.raises(ValueError, match="interval_ms"):
        TorchGraph(func_mult, [2, 3]).animate(interval_ms=0)


def test_widget_holds_the_svg_and_frames_once():
    anim = TorchGraph(func_mult, [2, 3], [2]).animate(interval_ms=600)
    w = anim.widget
    assert w.svg.startswith("<svg") and w.frames == anim.frames
    assert w.interval_ms == 600 and w.playing is False
    assert "export default" in w._esm


def test_mimebundle_has_widget_html_fallback_and_png_poster():
    anim = TorchGraph(func_mult, [2, 3], [2]).animate()
    bundle = anim._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert (
        "<svg" in bundle["text/html"] and "Play" not in bundle["text/html"].split("<script>")[0].split("</style>")[-1]
    )
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"


def test_to_html_is_self_contained_and_shows_the_drawing_without_script():
    anim = TorchGraph(chain_rule, [2, 1]).animate(direction="both")
    page = anim.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "fetch(" not in page
    body_before_script = page.split("<script")[0]
    assert "<svg" in body_before_script  # visible before any script runs
    state = json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S).group(1))
    assert state["frames"] == anim.frames


def test_save_chooses_the_writer_by_suffix(tmp_path):
    anim = TorchGraph(func_mult, [2, 3], [2]).animate()
    html = anim.save(tmp_path / "backprop.html")
    assert html.read_text().startswith("<!DOCTYPE html>")
    gif = anim.save(tmp_path / "backprop.gif")
    from PIL import Image

    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == len(anim.frames)
    with pytest.raises(ValueError, match=".html or .gif"):
        anim.save(tmp_path / "backprop.mov")


def test_folded_module_animates_as_one_step():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    g = TorchGraph(lambda x: enc(x).sum(), [torch.randn(1, 3, 16)])
    folded = build_frames(g, "forward", depth=1)
    boxes = [f for f in folded if any(n.startswith("m:") for n in f["nodes_lit"])]
    assert len(boxes) == 3  # one step per layer
    ops = sum(1 for _, a in g.nx.nodes(data=True) if a["kind"] == "op")
    assert len(folded) < (1 + ops) / 5  # unfolded, forward has a frame per op


def test_html_is_the_drawing_once_plus_small_frame_deltas():
    def chain(n):
        def f(x):
            for _ in range(n):
                x = x * 1.5
            return x

        return TorchGraph(f, [1.0]).animate(direction="both")

    overheads = []
    for anim in (chain(10), chain(40)):
        page = anim.to_html()
        svg = anim._svg()
        assert page.count(svg) == 1
        frames_json = json.dumps(anim.frames, ensure_ascii=False)
        assert len(frames_json) / len(anim.frames) < 400  # a frame is a small delta
        overheads.append(len(page.encode()) - len(svg.encode()) - len(frames_json.encode()))
    assert abs(overheads[1] - overheads[0]) < 200  # the rest is the player, whatever the size
