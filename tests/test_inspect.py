"""The inspect panels' data: tables equal the graph's tensors to the digits shown, heatmaps have one
cell per element on style.diverging's scale, op panels carry the rule with the graph's numbers."""

from __future__ import annotations

import torch

from ani_graph import TorchGraph, trackable_function
from ani_graph import style as S
from ani_graph.examples import Sigmoid, two_layer, two_layer_inputs
from ani_graph.inspect_data import HEAT_MAX, LEVELS, cell_levels, spoken_shape


def panel(g, name):
    return g.animate().inspect_data()["nodes"][g.node_id(name)]


def numbers(table) -> torch.Tensor:
    return torch.tensor([[float(v.replace("−", "-")) for v in row] for row in table])


def test_a_matrix_panel_tables_value_and_gradient_to_four_significant_digits():
    g = TorchGraph(two_layer, two_layer_inputs())
    xs = [t.clone().requires_grad_(True) for t in two_layer_inputs()]
    grad_W1 = torch.autograd.grad(two_layer(*xs), xs)[1]
    W1 = panel(g, "W1")
    assert (W1["name"], W1["shape"], W1["role"], "dtype" in W1) == ("W1", [3, 5], "input", False)  # float32
    assert spoken_shape(W1["shape"]) == "3 by 5"  # the page's label: "tensor W1, 3 by 5"
    for block, want in ((W1["value"], two_layer_inputs()[1]), (W1["grad"], grad_W1)):
        shown = numbers(block["table"])
        assert shown.shape == want.shape
        assert torch.allclose(shown, want, rtol=5e-4, atol=1e-8)
        assert block["heat"]["rows"] * block["heat"]["cols"] == want.numel() == len(block["heat"]["cells"])


def test_heatmap_cells_follow_the_one_diverging_scale():
    g = TorchGraph(lambda w: (w * 1).sum(), [[[-2.0, -1.0, 0.0], [0.4, 1.0, 2.0]]])
    heat = panel(g, "w")["value"]["heat"]
    data = g.animate().inspect_data()
    palette = data["palette"]
    assert len(palette) == 2 * LEVELS + 1
    assert palette[0] == S.DIVERGING_NEGATIVE and palette[LEVELS] == S.DIVERGING_ZERO
    assert palette[-1] == S.DIVERGING_POSITIVE
    assert palette == [S.diverging(k / LEVELS, 1.0) for k in range(-LEVELS, LEVELS + 1)]
    colours = [palette[i] for i in cell_levels(heat)]
    # −2 and 2 are the ends of the scale (limit 2), 0 its middle; the palette has a step every 0.1·limit
    assert colours == [S.diverging(v, 2.0) for v in (-2.0, -1.0, 0.0, 0.4, 1.0, 2.0)]
    assert heat["limit"] == "2"


def test_above_the_limits_a_summary_and_a_downsampled_heatmap():
    big = torch.arange(100 * 200, dtype=torch.float32).reshape(100, 200) - 10_000
    g = TorchGraph(lambda m: (m * 2).sum(), [big])
    value = panel(g, "m")["value"]
    assert "table" not in value and value["summary"].startswith("[100×200, mean")
    heat = value["heat"]
    assert (heat["rows"], heat["cols"]) == (HEAT_MAX, HEAT_MAX) and len(heat["cells"]) == HEAT_MAX**2
    assert "downsampled from 100×200" in heat["note"]
    # the first row is the most negative and the last the most positive, as in the tensor
    assert cell_levels(heat)[0] < LEVELS < cell_levels(heat)[-1]


def test_a_vector_of_up_to_100_elements_is_a_table_in_rows_of_ten():
    g = TorchGraph(lambda v: (v * v).sum(), [torch.linspace(-1, 1, 25)])
    value = panel(g, "v")["value"]
    assert [len(r) for r in value["table"]] == [10, 10, 5]
    flat = [float(x.replace("−", "-")) for row in value["table"] for x in row]
    assert torch.allclose(torch.tensor(flat), torch.linspace(-1, 1, 25), rtol=5e-4, atol=1e-6)
    assert "heat" not in value
    assert spoken_shape([25]) == "25 values" and spoken_shape([]) == "a scalar"


def test_the_op_panel_states_its_rule_and_this_graphs_numbers_after_the_backward_pass_reaches_it():
    def func(w, x):
        p = w * x
        return p

    g = TorchGraph(func, [3, 2])
    anim = g.animate()
    (op,) = [n for n, a in g.nx.nodes(data=True) if a["kind"] == "op"]
    entry = anim.inspect_data()["nodes"][op]
    assert entry["rule"] == "×: ∂p/∂w = x, ∂p/∂x = w: the inputs swap"
    w, x = torch.tensor(3.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    dw, dx = torch.autograd.grad(w * x, [w, x])
    assert entry["numbers"] == [f"∂p/∂w = x = {dw:g}", f"∂p/∂x = w = {dx:g}"]  # ∂p/∂x = w = 3
    assert op in anim.frames[entry["after"]]["nodes"] and anim.frames[entry["after"]]["phase"] == "backward"
    assert all(op not in f["nodes"] for f in anim.frames[: entry["after"]])


def test_a_custom_function_shows_its_rule_or_else_its_backward_source():
    assert "source" not in panel(TorchGraph(lambda x: Sigmoid.apply(x), [0.5]), "x")  # a tensor: no source
    g = TorchGraph(lambda x: Sigmoid.apply(x), [0.5])
    (op,) = [n for n, a in g.nx.nodes(data=True) if a["kind"] == "op"]
    entry = g.animate().inspect_data()["nodes"][op]
    assert entry["rule"].startswith("σ: σ'(x) = σ(x)·(1 − σ(x))") and "source" not in entry

    @trackable_function
    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x**2  # <b>not markup</b>

    g = TorchGraph(lambda x: Cube.apply(x), [2.0])
    (op,) = [n for n, a in g.nx.nodes(data=True) if a["kind"] == "op"]
    entry = g.animate().inspect_data()["nodes"][op]
    assert entry["source"].startswith("@staticmethod\ndef backward(ctx, grad):")
    assert "return grad * 3 * x**2  # <b>not markup</b>" in entry["source"]  # the page shows it as text
    x = torch.tensor(2.0, requires_grad=True)
    assert entry["numbers"] == [f"∂out/∂x = {float(torch.autograd.grad(Cube.apply(x), x)[0]):g}"]


def test_constants_have_no_gradient_block_and_folded_modules_no_panel():
    g = TorchGraph(lambda x: x * 2, [1.5])
    constant = [n for n, a in g.nx.nodes(data=True) if a["kind"] == "constant"][0]
    entry = g.animate().inspect_data()["nodes"][constant]
    assert entry["grad"] is None and entry["value"] == {"summary": "2"}
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    folded = TorchGraph(net, [torch.ones(2, 3)], [torch.ones(2, 1)]).animate(depth=0)
    boxes = set(folded.inspect_data()["nodes"])
    assert not any(n.startswith("m:") for n in boxes)
    assert all(n in folded.graph.nx for n in boxes)


def reference_levels(grid: torch.Tensor) -> list[int]:
    """The palette index of each cell, worked out in torch: round(v / limit · LEVELS), nan-safe."""
    limit = grid.abs().max()
    if not (limit > 0 and limit == limit):
        return [LEVELS] * grid.numel()
    return (torch.nan_to_num(grid / limit * LEVELS).round().clamp(-LEVELS, LEVELS).long() + LEVELS).flatten().tolist()


def test_heatmap_cells_are_the_rounded_share_of_the_limit_even_at_halves_and_non_finite_values():
    gen = torch.Generator().manual_seed(0)
    halves = torch.arange(-20, 21, dtype=torch.float64).reshape(41, 1) / 20 * 1.7  # k·limit/20: exact halves of a level
    cases = [
        halves.reshape(1, 41),
        torch.randn(7, 9, generator=gen),
        torch.randn(5, 6, generator=gen, dtype=torch.float64) * 1e-30,
        torch.tensor([[float("inf"), 1.0], [2.0, -float("inf")]]),
        torch.tensor([[float("nan"), 1.0], [2.0, -3.0]]),
        torch.zeros(3, 4),
        torch.randint(-5, 6, (4, 8), generator=gen).float() * 0.25,
    ]
    for value in cases:
        g = TorchGraph(lambda w: (w * 2).sum(), [value])
        heat = g.animate().inspect_data()["nodes"][g.node_id("w")]["value"]["heat"]
        assert (heat["rows"], heat["cols"]) == tuple(value.shape)
        assert cell_levels(heat) == reference_levels(value.double())


def test_heatmaps_made_in_batches_have_the_cells_limits_and_notes_of_each_tensor_alone():
    from torch.nn.functional import adaptive_avg_pool2d

    from ani_graph.inspect_data import heat_maps

    gen = torch.Generator().manual_seed(1)
    big = [torch.randn(20, 130, generator=gen) * (k + 1) for k in range(3)]  # pooled: a note each
    small = [torch.randn(4, 6, generator=gen, dtype=torch.float64) for _ in range(3)]
    odd = [torch.zeros(4, 6), torch.tensor([[float("nan")] * 6] * 4), torch.full((4, 6), float("inf"))]
    tensors = [*big, *small, *odd, torch.randn(3, 7, generator=gen).neg(), torch.randn(300, generator=gen)]
    heats = heat_maps(tensors)
    for t, heat in zip(tensors, heats, strict=True):
        grid = t.double().reshape(-1, t.shape[-1])
        if grid.shape[0] > HEAT_MAX or grid.shape[1] > HEAT_MAX:
            grid = adaptive_avg_pool2d(grid[None], (min(grid.shape[0], HEAT_MAX), min(grid.shape[1], HEAT_MAX)))[0]
            assert heat["note"].startswith("downsampled from " + "×".join(map(str, t.shape)))
        else:
            assert "note" not in heat
        assert (heat["rows"], heat["cols"]) == tuple(grid.shape)
        assert cell_levels(heat) == reference_levels(grid)
        limit = grid.abs().max().item()
        assert heat["limit"] == ("nan" if limit != limit else "inf" if limit == float("inf") else heat["limit"])
        if 0 < limit < float("inf"):
            assert abs(float(heat["limit"].replace("−", "-")) - limit) <= 5e-4 * limit
