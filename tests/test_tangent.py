"""Forward mode: every tangent is torch.func.jvp's, the frames say so, and bad seeds get clear errors."""

import pytest
import torch
import torch.nn as nn
from torch.func import functional_call, jvp

from ani_graph import TorchGraph, record
from ani_graph.examples import Sigmoid, chain_rule, sin_example
from ani_graph.format import format_tensor


def t(v):
    return torch.tensor(v, dtype=torch.float32)


def test_every_tangent_of_sin_ax_plus_c_equals_torch_func_jvp():
    g = TorchGraph(sin_example, [2, 3, 4])
    found = g.tangents({"x": 1})
    x, a, c = t(2.0), t(3.0), t(4.0)
    # each tensor of the graph as a function of x alone, pushed along ẋ = 1 by torch.func.jvp
    pieces = {
        "x": lambda x: x,
        "v1": lambda x: a * x,
        "v2": lambda x: a * x + c,
        "y": lambda x: torch.sin(a * x + c),
    }
    assert set(pieces) <= set(found)  # unnamed tensors come by the names the drawing gives them
    for name, piece in pieces.items():
        _, expected = jvp(piece, (x,), (t(1.0),))
        assert torch.allclose(found[name], expected), (name, found[name], expected)
    assert float(found["a"]) == 0 and float(found["c"]) == 0  # not seeded: they stay put
    # the output tangent is the directional derivative, which reverse mode gets as ∇y · v
    assert torch.allclose(found["y"], g.grad("x") * 1)


def test_the_frames_show_the_tangents_with_numbers_and_the_pass_counts():
    g = TorchGraph(sin_example, [2, 3, 4])
    frames = g.animate("tangent", wrt={"x": 1}).frames
    assert {f["phase"] for f in frames} == {"tangent"}
    assert frames[0]["caption"] == "Forward mode starts from the seed tangents: ẋ = 1, ȧ = 0, ċ = 0"
    y = g.node_id("y")
    (sin_step,) = [f for f in frames if y in f["badges"]]
    dy = 3 * torch.cos(t(10.0))  # ẏ = cos(a·x + c) · a·ẋ
    assert sin_step["badges"][y] == {"value": format_tensor(torch.sin(t(10.0))), "tangent": format_tensor(dy)}
    cos10 = format_tensor(torch.cos(t(10.0)))
    assert sin_step["caption"] == f"ẏ = ∂y/∂v2·v̇2 = {cos10} · 3 = {format_tensor(dy)}"
    assert sin_step["rule"].startswith("sin: ∂y/∂v2 = cos(v2)")
    times = [f for f in frames if f["rule"].startswith("×")][0]
    assert times["caption"] == "v̇1 = ∂v1/∂a·ȧ + ∂v1/∂x·ẋ = 2 · 0 + 3 · 1 = 3"
    last = frames[-1]["caption"]
    assert last.startswith(f"ẏ = {format_tensor(dy)}: the derivative of y along the seed (ẋ = 1")
    assert "3 forward passes, one per input element, but 1 reverse pass" in last


def two_in_three_out(x, y):
    out = torch.stack([x * y, torch.sin(x), x + y * y])
    return out


def test_two_inputs_three_outputs_the_last_caption_counts_the_passes():
    g = TorchGraph(two_in_three_out, [1.0, 2.0], [[1.0, 1.0, 1.0]])
    anim = g.animate("tangent", wrt={"x": 1.0, "y": 0.5})
    _, expected = jvp(two_in_three_out, (t(1.0), t(2.0)), (t(1.0), t(0.5)))
    assert torch.allclose(g.tangents({"x": 1.0, "y": 0.5})["out"], expected)
    last = anim.frames[-1]["caption"]
    assert last.startswith(f"(out)˙ = {format_tensor(expected)}: J·v")
    assert "The full 3×2 Jacobian needs 2 forward passes, one per input element, or 3 reverse passes" in last
    assert "the gradient of one scalar output takes 1 reverse pass" in last
    assert anim.frames[-1]["nodes"] == [g.node_id("out")]


def test_vector_seeds_and_parameters_match_jvp_through_the_module():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    x0 = t([0.5, -1.0, 2.0])
    g = TorchGraph(lambda x: model(x).pow(2).sum(), [x0])
    seed_x, seed_w = t([1.0, 0.0, -2.0]), torch.randn(4, 3)
    found = g.tangents({"x": seed_x, "0.weight": seed_w})
    params = dict(model.named_parameters())

    def loss(x, w):
        return functional_call(model, {**params, "0.weight": w}, (x,)).pow(2).sum()

    _, expected = jvp(loss, (x0, params["0.weight"].detach()), (seed_x, seed_w))
    assert torch.allclose(found["out"], expected, rtol=1e-5, atol=1e-6)
    assert float(found["2.weight"].abs().sum()) == 0  # an unseeded parameter has tangent 0


def test_in_place_ops_indexing_and_several_uses_match_jvp():
    def f(x):
        y = x * 2
        y.add_(1)
        y[0] = x[1] * x[1]
        z = torch.cat([y, x.flip(0)]).max()
        return z + (y * x).sum()

    x0, seed = t([1.0, 2.0, 3.0]), t([0.3, -1.0, 2.0])
    g = TorchGraph(f, [x0])
    _, expected = jvp(f, (x0,), (seed,))
    assert torch.allclose(g.tangents({"x": seed})["out"], expected)


def test_a_custom_function_without_jvp_borrows_its_backward_and_says_so():
    g = TorchGraph(lambda x: Sigmoid.apply(x) * 2, [0.5])
    anim = g.animate("tangent", wrt={"x": 1.0})
    s = torch.sigmoid(t(0.5))
    assert torch.allclose(g.tangents({"x": 1.0})["out"], 2 * s * (1 - s))
    (step,) = [f for f in anim.frames if "σ" in f["rule"]]
    assert "Sigmoid has no jvp, so its tangent is J·v with J from its backward" in step["rule"]


def test_recorded_code_animates_in_forward_mode_too():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    with record() as rec:
        loss = (torch.exp(x) * x).sum()
    g = rec.graph(loss)
    _, expected = jvp(lambda v: (torch.exp(v) * v).sum(), (x.detach(),), (t([1.0, 1.0]),))
    assert torch.allclose(g.tangents({"x": [1.0, 1.0]})["loss"], expected)
    assert x.grad is None


def test_a_folded_module_carries_values_and_tangents_in_one_step():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    g = TorchGraph(lambda x: model(x).sum(), [[0.5, -1.0, 2.0]])
    frames = g.animate("tangent", wrt={"x": [1.0, 0.0, 0.0]}, depth=0).frames
    assert any(f["caption"] == "0: values and tangents pass through the folded module in one step" for f in frames)


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        (
            {},
            ValueError,
            r"needs wrt=, the seed tangent .* e\.g\. wrt=\{'x': 1\.0\} \(inputs and parameters: x, a, c\)",
        ),
        ({"wrt": {"z": 1.0}}, ValueError, r"wrt names 'z', which is not a tensor of this graph: .*\(x, a, c\)"),
        ({"wrt": {"y": 1.0}}, ValueError, r"wrt names 'y', which is computed by the function: a seed goes on an input"),
        ({"wrt": {"x": [1.0, 0.0]}}, ValueError, r"x has shape \[\] but its seed wrt\['x'\] has shape \[2\]"),
        ({"wrt": {"x": "fast"}}, TypeError, r"wrt\['x'\] must be a number, a list of numbers or a tensor"),
        ({"wrt": {"x": float("nan")}}, ValueError, r"not finite"),
        ({"wrt": [("x", 1.0)]}, TypeError, r"wrt must be a dict from input names to seed tangents"),
    ],
)
def test_bad_seeds_say_what_to_pass(options, error, message):
    g = TorchGraph(sin_example, [2, 3, 4])
    with pytest.raises(error, match=message):
        g.animate("tangent", **options)


def test_a_vector_input_needs_a_seed_vector_and_wrt_belongs_to_forward_mode():
    g = TorchGraph(lambda x: (x * x).sum(), [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"give one tangent per element of x, e\.g\. \[1, 0, 0\]"):
        g.animate("tangent", wrt={"x": 1.0})
    with pytest.raises(ValueError, match="use it with direction='tangent', not 'backward'"):
        TorchGraph(chain_rule, [2, 1]).animate("backward", wrt={"a": 1.0})


def test_the_tangent_drawing_has_a_tangent_row_in_place_of_the_gradient_row():
    g = TorchGraph(sin_example, [2, 3, 4])
    anim = g.animate("tangent", wrt={"x": 1})
    svg = anim._svg()
    tensors = sum(1 for _, a in g.nx.nodes(data=True) if a["kind"] != "op")
    assert svg.count('class="ag-badge ag-badge-tan') == tensors
    assert 'class="ag-badge ag-badge-grad' not in svg and 'class="ag-egrad' not in svg  # no gradients or shares
    # each box is wide enough for the longest tangent it will show
    view = g.view(extra=anim._view["extra"])
    y = view.boxes[g.node_id("y")]
    assert y.tangent_row and not y.grad_row
    assert y.width >= len("= " + format_tensor(3 * torch.cos(t(10.0)))) * 11 * 0.62
    # the static drawing of the same graph is unchanged: gradients, no tangents
    assert 'class="ag-badge ag-badge-tan' not in g.to_svg(with_all=True)
