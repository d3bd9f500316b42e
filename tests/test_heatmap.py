"""`tensors="heatmap"`: a tensor of 2 to 64 elements is drawn as a grid with one cell per element,
each cell coloured `style.diverging(element, largest magnitude)` of the real value or gradient."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from ani_graph import TorchGraph  # noqa: E402
from ani_graph.examples import sin_example  # noqa: E402
from ani_graph.heatmap import grid_shape  # noqa: E402
from ani_graph.scene import Group, Rect, Text  # noqa: E402
from ani_graph.style import diverging, rgb  # noqa: E402


def two_layer(x, W1, b1, W2, b2, y):
    h = torch.relu(x @ W1 + b1)
    pred = h @ W2 + b2
    loss = ((pred - y) ** 2).mean()
    return loss


def net_inputs():
    torch.manual_seed(0)
    return [torch.randn(4, 3), torch.randn(3, 5), torch.randn(5), torch.randn(5, 2), torch.randn(2), torch.randn(4, 2)]


def weight_times_vector(W, x):
    y = W @ x
    return y.sum()


def reference_grads(func, inputs):
    xs = [t.clone().requires_grad_(True) for t in inputs]
    return torch.autograd.grad(func(*xs), xs)


def badge(scene, node: str, which: str) -> Group:
    group = next(g for g in scene.nodes() if g.key == node)
    return next(b for b in group.items if isinstance(b, Group) and f"ag-badge-{which}" in b.cls.split())


def cells(scene, node: str, which: str) -> list[Rect]:
    """The cells of a node's value (`val`) or gradient (`grad`) heatmap that shows, in the scene's order."""
    heats = [g for g in badge(scene, node, which).items if isinstance(g, Group) and g.role == "heat" and not g.hidden]
    return [r for h in heats for r in h.items if isinstance(r, Rect) and r.cls == "ag-cell"]


def expected_colours(t: torch.Tensor) -> list[str]:
    flat = t.detach().double().reshape(-1).tolist()
    limit = max(abs(v) for v in flat)
    return [diverging(v, limit) for v in flat]


# ----- one cell per element, coloured by the real numbers ---------------------------------------------


def test_every_tensor_of_the_net_has_one_cell_per_element_coloured_by_its_value_and_its_autograd_gradient():
    inputs = net_inputs()
    g = TorchGraph(two_layer, inputs)
    scene = g.scene(with_all=True, tensors="heatmap")
    reference = dict(zip(["x", "W1", "b1", "W2", "b2", "y"], reference_grads(two_layer, inputs)))
    for name, grad in reference.items():
        node = g.node_id(name)
        value = g.value(name)
        assert torch.equal(value, inputs[list(reference).index(name)])
        assert len(cells(scene, node, "val")) == value.numel()
        assert [c.fill for c in cells(scene, node, "val")] == expected_colours(value)
        assert len(cells(scene, node, "grad")) == grad.numel()
        assert [c.fill for c in cells(scene, node, "grad")] == expected_colours(grad)


def test_a_4x3_weight_is_a_4_by_3_grid_in_row_major_order():
    torch.manual_seed(1)
    W, x = torch.randn(4, 3), torch.randn(3)
    g = TorchGraph(weight_times_vector, [W, x])
    (dW, _) = reference_grads(weight_times_vector, [W, x])
    assert torch.allclose(dW, torch.ones(4, 1) * x)  # ∂Σ(Wx)/∂W = 1 xᵀ, a closed form
    grid = cells(g.scene(with_all=True, tensors="heatmap"), g.node_id("W"), "grad")
    xs = sorted({round(c.x, 3) for c in grid})
    ys = sorted({round(c.y, 3) for c in grid})
    assert (len(ys), len(xs)) == (4, 3)
    for i, c in enumerate(grid):  # element (r, k) sits in row r, column k
        assert (ys.index(round(c.y, 3)), xs.index(round(c.x, 3))) == divmod(i, 3)
        assert c.fill == expected_colours(dW)[i]
    # each column of ∂/∂W is one element of x: the same colour all the way down
    assert all(len({c.fill for c in grid[k::3]}) == 1 for k in range(3))


@pytest.mark.parametrize(
    ("shape", "rows_cols"),
    [((2,), (1, 2)), ((16,), (1, 16)), ((40,), (3, 16)), ((5, 1), (5, 1)), ((2, 32), (4, 16)), ((2, 3, 4), (6, 4))],
)
def test_grids_keep_the_shape_where_it_reads_and_wrap_long_rows(shape, rows_cols):
    count = torch.zeros(shape).numel()
    assert grid_shape(shape, count) == rows_cols
    g = TorchGraph(lambda t: (t * t).sum(), [torch.linspace(-1, 2, count).reshape(shape)])
    scene = g.scene(with_all=True, tensors="heatmap")
    grid = cells(scene, g.node_id("t"), "val")
    assert len(grid) == count
    assert len({round(c.y, 3) for c in grid}) == rows_cols[0]
    assert [c.fill for c in grid] == expected_colours(g.value("t"))
    (dt,) = reference_grads(lambda t: (t * t).sum(), [g.value("t")])
    assert [c.fill for c in cells(scene, g.node_id("t"), "grad")] == expected_colours(dt)


def test_scalars_and_tensors_above_64_elements_keep_their_text():
    g = TorchGraph(lambda big, s: (big * s).sum(), [torch.ones(65), 2.0])
    scene = g.scene(with_all=True, tensors="heatmap")
    for name in ("big", "s"):
        assert cells(scene, g.node_id(name), "val") == []
        text = next(t for t in badge(scene, g.node_id(name), "val").items if isinstance(t, Text) and t.cls == "ag-val")
        assert not text.hidden and text.text
    g64 = TorchGraph(lambda t: t.sum(), [torch.ones(64)])
    assert len(cells(g64.scene(with_all=True, tensors="heatmap"), g64.node_id("t"), "val")) == 64


def test_the_range_is_written_beside_the_grid_and_a_key_explains_the_colours():
    g = TorchGraph(weight_times_vector, [torch.tensor([[-1.5, 0.0, 2.0]] * 4), torch.ones(3)])
    scene = g.scene(with_all=True, tensors="heatmap")
    (grid,) = [gr for gr in badge(scene, g.node_id("W"), "val").items if isinstance(gr, Group) and gr.role == "heat"]
    assert [t.text for t in grid.items if isinstance(t, Text)] == ["−1.5 … 2"]
    legend = next(gr for gr in scene.groups if gr.role == "legend")
    steps = [r.fill for r in legend.items if isinstance(r, Rect) and r.cls == "ag-cell"]
    assert steps[0] == diverging(-1.0, 1.0) and steps[-1] == diverging(1.0, 1.0) and diverging(0.0, 1.0) in steps
    assert not any(gr.role == "legend" for gr in g.scene(with_all=True).groups)
    assert not any(gr.role == "legend" for gr in g.scene(tensors="heatmap").groups)  # no numbers shown, no key


def test_text_stays_the_default():
    g = TorchGraph(weight_times_vector, [torch.ones(4, 3), torch.ones(3)])
    assert cells(g.scene(with_all=True), g.node_id("W"), "val") == []
    assert 'class="ag-cell"' not in g.to_svg(with_all=True)


# ----- the option in plot, to_svg and animate --------------------------------------------------------


def test_to_svg_draws_one_rect_per_element_in_the_real_colours():
    torch.manual_seed(2)
    inputs = [torch.randn(4, 3), torch.randn(3)]
    g = TorchGraph(weight_times_vector, inputs)
    svg = g.to_svg(with_all=True, tensors="heatmap")
    dW, dx = reference_grads(weight_times_vector, inputs)
    y = g.value("y")
    elements = 2 * (12 + 3 + 4)  # W, x, y: value and gradient
    assert svg.count('class="ag-cell"') == elements + 9  # and the key's nine steps
    for colour in expected_colours(dW) + expected_colours(dx) + expected_colours(y):
        assert f'fill="{colour}"' in svg


def test_plot_draws_the_same_cells_as_patches():
    torch.manual_seed(3)
    inputs = [torch.randn(4, 3), torch.randn(3)]
    g = TorchGraph(weight_times_vector, inputs)
    dW, _ = reference_grads(weight_times_vector, inputs)
    plt.figure()
    ax = g.plot(with_all=True, tensors="heatmap")
    faces = {matplotlib.colors.to_hex(p.get_facecolor()).upper() for p in ax.patches}
    plt.close("all")
    assert set(expected_colours(dW)) <= faces and set(expected_colours(g.value("W"))) <= faces


def test_the_picture_of_a_frame_shows_each_cell_in_its_colour():
    """The pixels of the PNG/GIF renderer at each cell's centre are the cell's colour."""
    from ani_graph.render_mpl import scene_to_image

    torch.manual_seed(4)
    inputs = [torch.randn(4, 3), torch.randn(3)]
    g = TorchGraph(weight_times_vector, inputs)
    dW, _ = reference_grads(weight_times_vector, inputs)
    anim = g.animate(tensors="heatmap")
    scene = anim._scene(len(anim.frames) - 1)
    image = scene_to_image(scene, 3.0)
    for cell, colour in zip(cells(scene, g.node_id("W"), "grad"), expected_colours(dW)):
        pixel = image.getpixel((round((cell.x + cell.w / 2) * 3), round((cell.y + cell.h / 2) * 3)))
        assert max(abs(a - b) for a, b in zip(pixel, rgb(colour))) <= 2
    slide = anim.frame_image(len(anim.frames) - 1, size=(1280, 720))
    assert slide.size == (1280, 720)


def test_a_gradient_grid_sits_in_its_badge_and_stays_hidden_until_the_backward_pass_reaches_it():
    torch.manual_seed(5)
    g = TorchGraph(weight_times_vector, [torch.randn(4, 3), torch.randn(3)])
    anim = g.animate("both", tensors="heatmap")
    W = g.node_id("W")
    reached = next(i for i, f in enumerate(anim.frames) if "grad" in f["badges"].get(W, {}))
    before, after = anim._scene(reached - 1), anim._scene(reached)
    assert badge(before, W, "grad").hidden and len(cells(before, W, "grad")) == 12
    assert not badge(after, W, "grad").hidden
    assert not badge(before, W, "val").hidden  # the value arrived in the forward pass


def two_paths(a, b):
    c = a + b
    d = b + 1
    e = (c * d).sum()
    return e


def test_a_gradient_that_arrives_in_two_shares_shows_the_running_sum_then_the_total():
    a, b = torch.tensor([1.0, -2.0, 0.5]), torch.tensor([-1.0, 0.5, 2.0])
    g = TorchGraph(two_paths, [a, b])
    bb = b.clone().requires_grad_(True)
    c, d = a + bb, bb + 1
    (via_c,) = torch.autograd.grad((c * d).sum(), c, retain_graph=True)  # ∂e/∂c = d, and ∂c/∂b = 1
    (via_d,) = torch.autograd.grad((c * d).sum(), d, retain_graph=True)  # ∂e/∂d = c, and ∂d/∂b = 1
    (total,) = torch.autograd.grad((c * d).sum(), bb)
    assert torch.allclose(total, via_c + via_d)
    anim = g.animate(tensors="heatmap")
    node = g.node_id("b")
    arrivals = [i for i, f in enumerate(anim.frames) if "grad" in f["badges"].get(node, {})]
    assert len(arrivals) == 2
    first = [c.fill for c in cells(anim._scene(arrivals[0]), node, "grad")]
    assert first in (expected_colours(via_c), expected_colours(via_d))  # one path's share, not the total
    assert first != expected_colours(total)
    assert [c.fill for c in cells(anim._scene(arrivals[1]), node, "grad")] == expected_colours(total)
    # each grid says which badge text it stands for, as the player needs
    steps = [gr.key for gr in badge(anim._scene(arrivals[0]), node, "grad").items if getattr(gr, "role", "") == "heat"]
    assert steps == [anim.frames[arrivals[0]]["badges"][node]["grad"], ""]


def test_the_gradient_check_marks_the_range_of_a_gradient_grid():
    g = TorchGraph(weight_times_vector, [torch.ones(4, 3), torch.tensor([1.0, -2.0, 0.5])])
    anim = g.animate(check=True, tensors="heatmap")
    node = g.node_id("W")
    last = anim._scene(len(anim.frames) - 1)
    (grid,) = [gr for gr in badge(last, node, "grad").items if isinstance(gr, Group) and gr.role == "heat"]
    assert [t.text for t in grid.items if isinstance(t, Text)] == ["−2 … 1 ✓"]  # ∂/∂W = 1 xᵀ: x's range


def test_the_stages_are_cached_per_tensors_option():
    g = TorchGraph(weight_times_vector, [torch.ones(4, 3), torch.ones(3)])
    assert g.view() is g.view() and g.view(tensors="heatmap") is g.view(tensors="heatmap")
    assert g.view() is not g.view(tensors="heatmap")
    assert g.view(tensors="heatmap").boxes[g.node_id("W")].height > g.view().boxes[g.node_id("W")].height


@pytest.mark.parametrize("bad", ["heat", "Heatmap", None, 1, ("heatmap",)])
def test_a_bad_tensors_option_raises_and_lists_the_choices(bad):
    g = TorchGraph(sin_example, [2, 3, 4])
    for call in (g.plot, g.to_svg, g.animate):
        with pytest.raises(ValueError, match="tensors must be 'text' or 'heatmap'"):
            call(tensors=bad)
    plt.close("all")
