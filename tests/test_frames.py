"""The frame schedule: plain data, with captions whose numbers are autograd's."""

import json

import pytest
import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule
from ani_graph.examples import product as func_mult
from ani_graph.format import format_tensor
from ani_graph.frames import FIELDS, state_at

from .conftest import autograd_grads as grads


def number(text: str) -> float:
    """A number as a badge writes it (with the real minus sign)."""
    return float(text.replace("−", "-"))


def test_every_frame_is_plain_json_with_the_documented_keys():
    frames = TorchGraph(chain_rule, [2, 1]).animate(direction="both").frames
    json.dumps(frames)
    for f in frames:
        assert set(f) == set(FIELDS)
        assert f["phase"] in ("forward", "backward")
        assert isinstance(f["caption"], str) and isinstance(f["rule"], str)
        assert all(isinstance(e, list) and len(e) == 2 for e in f["edges"])
        assert all(isinstance(e, list) and len(e) == 3 for e in f["edge_badges"])


def test_multiplication_caption_states_the_swap_with_numbers():
    anim = TorchGraph(func_mult, [2, 3], [2]).animate(direction="backward")
    captions = [f["caption"] for f in anim.frames]
    assert captions[0] == "Backward pass starts: L = 2·y, so ∂L/∂y = 2"  # the upstream gradient defines L
    assert captions[1].startswith("∂L/∂a = ∂L/∂y · ∂y/∂a = 2 · 3 = 6")
    assert captions[2].startswith("∂L/∂b = ∂L/∂y · ∂y/∂b = 2 · 2 = 4")
    assert "swap" in anim.frames[1]["rule"]
    a = torch.tensor(2.0, requires_grad=True)
    b = torch.tensor(3.0, requires_grad=True)
    ga, gb = torch.autograd.grad(a * b, [a, b], torch.tensor(2.0))
    assert format_tensor(ga) == "6" and format_tensor(gb) == "4"


def test_forward_lights_ops_in_topological_order_and_fills_values():
    g = TorchGraph(chain_rule, [2, 1])
    frames = g.frames("forward")
    assert frames[0]["caption"].startswith("Forward pass starts")
    assert {g.nx.nodes[n]["name"] for n in frames[0]["badges"]} >= {"a", "b"}
    ops_in_order = [f["nodes"][0] for f in frames[1:]]
    position = {n: i for i, n in enumerate(ops_in_order)}
    for op in ops_in_order:
        for u in g.nx.predecessors(op):
            for producer in g.nx.predecessors(u):
                assert position[producer] < position[op]
    last = state_at(frames, len(frames) - 1)["badges"]
    assert last[g.node_id("e")]["value"] == "6"
    assert "c = a + b = 2 + 1 = 3" in [f["caption"] for f in frames]


def test_branch_accumulation_is_a_visible_sum():
    g = TorchGraph(chain_rule, [2, 1])
    frames = g.frames("backward")
    b = g.node_id("b")
    arrivals = [f for f in frames if b in f["badges"] and "grad" in f["badges"][b]]
    assert len(arrivals) == 2
    assert "(second path) → 5" in arrivals[1]["caption"]
    assert "+=" in arrivals[1]["caption"]
    assert arrivals[1]["badges"][b]["grad"] == format_tensor(g.grad("b")) == "5"
    # the two edge shares shown are the per-path contributions, which sum to ∂e/∂b
    shares = [number(t) for f in arrivals for _, _, t in f["edge_badges"]]
    assert sorted(shares) == [2.0, 3.0]


def test_backward_captions_name_the_local_rule():
    g = TorchGraph(lambda x: torch.sin(x), [0.5])
    step = g.frames()[1]
    caption = step["caption"]
    assert step["rule"] == "sin: ∂out/∂x = cos(x)"
    x = torch.tensor(0.5, requires_grad=True)
    (ref,) = torch.autograd.grad(torch.sin(x), [x])
    assert f"= {format_tensor(ref)}" in caption

    g = TorchGraph(lambda x, y: torch.maximum(x, y), [3.0, 1.0])
    rules = " ".join(f["rule"] for f in g.frames())
    assert "switch" in rules
    assert format_tensor(g.grad("x")) == "1" and format_tensor(g.grad("y")) == "0"


def test_every_gradient_shown_in_the_last_frame_is_autograds():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    g = TorchGraph(lambda x: mlp(x).sum(), [[0.5, -1.0, 2.0]])
    frames = g.frames("both")
    final = state_at(frames, len(frames) - 1)["badges"]
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


def test_folded_module_animates_as_one_step():
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 32, batch_first=True, dropout=0.0)
    enc = nn.TransformerEncoder(layer, 3, enable_nested_tensor=False)
    g = TorchGraph(lambda x: enc(x).sum(), [torch.randn(1, 3, 16)])
    folded = g.frames("forward", depth=1)
    boxes = [f for f in folded if any(n.startswith("m:") for n in f["nodes"])]
    assert len(boxes) == 3  # one step per layer
    ops = sum(1 for _, a in g.nx.nodes(data=True) if a["kind"] == "op")
    assert len(folded) < (1 + ops) / 5  # unfolded, forward has a frame per op


def test_build_frames_rejects_an_unknown_direction_naming_the_choices():
    with pytest.raises(ValueError, match="'forward', 'backward', 'both'.*'up'"):
        TorchGraph(func_mult, [2, 3]).frames("up")


def test_first_forward_frame_shows_inputs_and_constants_by_value():
    g = TorchGraph(chain_rule, [2, 1])
    first = g.frames("forward")[0]
    assert first["caption"] == "Forward pass starts from the inputs: a = 2, b = 1, the constant 1"
    assert sorted(first["badges"].values(), key=str) == sorted(
        [{"value": "2"}, {"value": "1"}, {"value": "1"}], key=str
    )


def test_labels_are_deltas_a_frame_names_only_what_it_changes():
    g = TorchGraph(chain_rule, [2, 1])
    frames = g.frames("both")
    forward = [f for f in frames if f["phase"] == "forward"][1:]
    for f in forward:  # an op frame writes the value of its output only
        op = f["nodes"][0]
        assert set(f["badges"]) == set(g.nx.successors(op))
        assert all(set(t) == {"value"} for t in f["badges"].values())
    arrivals = [f for f in frames if f["phase"] == "backward"][1:]
    for f in arrivals:  # a gradient arrival writes one gradient and one edge share
        assert len(f["badges"]) == 1 and len(f["edge_badges"]) == 1
    # so the whole list is linear in the graph: one text per value and per arrival
    texts = sum(len(t) for f in frames for t in f["badges"].values())
    tensors = sum(1 for _, a in g.nx.nodes(data=True) if a["kind"] != "op")
    assert texts == tensors + 1 + len(arrivals)  # values, the upstream gradient, each arrival


def test_state_at_accumulates_deltas_and_takes_lights_from_its_frame():
    g = TorchGraph(chain_rule, [2, 1])
    frames = g.frames("forward")
    s = state_at(frames, 2)
    assert s["caption"] == frames[2]["caption"] and s["nodes"] == frames[2]["nodes"]
    assert set(s["badges"]) == set(frames[0]["badges"]) | set(frames[1]["badges"]) | set(frames[2]["badges"])


def test_operand_used_twice_reads_like_the_code_and_sums_both_shares():
    g = TorchGraph(lambda x: x * x, [3.0])
    frames = g.frames("both")
    assert frames[1]["caption"] == "out = x × x = 3 × 3 = 9"
    (ref,) = grads(lambda x: x * x, [3.0])
    assert ref.item() == 6
    step = frames[-1]["caption"]
    assert step.startswith("∂out/∂x = ∂out/∂out · ∂out/∂x = 1 · 6 = 6")
    assert "both operands" in step


def test_an_output_that_feeds_another_op_starts_from_its_own_upstream_gradient():
    def two_outputs(x):
        y = x * 2
        z = y * 3
        return y, z

    g = TorchGraph(two_outputs, [1.0], [1.0, 1.0])
    frames = g.frames("backward")
    assert frames[0]["caption"] == "Backward pass starts: L = y + z, so ∂L/∂y = 1, ∂L/∂z = 1"
    assert frames[1]["caption"].startswith("∂L/∂y += ∂L/∂z · ∂z/∂y = 1 · 3 = 3 (second path) → 4")
    (ref,) = grads(two_outputs, [1.0], [1.0, 1.0])
    final = state_at(frames, len(frames) - 1)["badges"]
    assert final[g.node_id("y")]["grad"] == format_tensor(g.grad("y")) == "4"
    assert final[g.node_id("x")]["grad"] == format_tensor(ref) == "8"


def test_small_elementwise_steps_are_written_out_element_by_element():
    g = TorchGraph(lambda x: torch.tanh(x), [[0.5, -1.0]], [[2.0, 1.0]])
    step = g.frames()[1]["caption"]
    x = torch.tensor([0.5, -1.0], requires_grad=True)
    (ref,) = torch.autograd.grad(torch.tanh(x), [x], torch.tensor([2.0, 1.0]))
    local = 1 - torch.tanh(x.detach()) ** 2
    assert step == f"∂L/∂x = ∂L/∂out ⊙ ∂out/∂x = [2, 1] ⊙ {format_tensor(local)} = {format_tensor(ref)}"


def test_matrix_steps_write_the_product_that_gives_the_gradient():
    g = TorchGraph(lambda W, x: W @ x, [torch.ones(2, 3), [1.0, 2.0, 3.0]], [[1.0, -1.0]])
    captions = [f["caption"] for f in g.frames()]
    W = torch.ones(2, 3, requires_grad=True)
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    gW, gx = torch.autograd.grad(W @ x, [W, x], torch.tensor([1.0, -1.0]))
    assert captions[0] == "Backward pass starts: L = Σ([1, −1] ⊙ out), so ∂L/∂out = [1, −1]"
    assert f"∂L/∂W = ∂L/∂out @ xᵀ = {format_tensor(gW)}" in captions
    assert f"∂L/∂x = Wᵀ @ ∂L/∂out = {format_tensor(gx)}" in captions
    assert not any(": [" in c for c in captions)


def test_edge_shares_of_a_branching_tensor_sum_to_its_gradient():
    def branches(x):
        return torch.sin(x) * x + torch.exp(x)

    g = TorchGraph(branches, [0.7])
    frames = g.frames()
    x = g.node_id("x")
    shares = [number(t) for f in frames for u, _, t in f["edge_badges"] if u == x]
    assert len(shares) == 3
    (ref,) = grads(branches, [0.7])
    assert sum(shares) == pytest.approx(ref.item(), rel=1e-3)
    assert state_at(frames, len(frames) - 1)["badges"][x]["grad"] == format_tensor(ref)
    assert "(third path)" in frames[-1]["caption"] or any("(third path)" in f["caption"] for f in frames)


@settings(max_examples=25, deadline=None)
@given(
    a=st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
    b=st.floats(-3, 3, allow_nan=False).filter(lambda v: abs(v) > 1e-3),
    up=st.floats(0.1, 4),
)
def test_final_badges_are_autograds_gradients_for_any_numbers(a, b, up):
    g = TorchGraph(chain_rule, [a, b], [up])
    frames = g.frames("both")
    final = state_at(frames, len(frames) - 1)["badges"]
    ga, gb = grads(chain_rule, [a, b], [up])
    assert final[g.node_id("a")]["grad"] == format_tensor(ga)
    assert final[g.node_id("b")]["grad"] == format_tensor(gb)
