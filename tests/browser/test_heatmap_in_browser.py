"""Heatmaps in a real browser: a gradient's cells appear in the stand-alone player when the backward
pass reaches them, in the colours of the real gradient; the drawing reads light and dark."""

from __future__ import annotations

import torch

from ani_graph import TorchGraph
from ani_graph.style import diverging, rgb

from .conftest import artifact


def weight_times_vector(W, x):
    y = W @ x
    return y.sum()


def two_layer(x, W1, b1, W2, b2, y):
    h = torch.relu(x @ W1 + b1)
    pred = h @ W2 + b2
    loss = ((pred - y) ** 2).mean()
    return loss


def css_rgb(colour: str) -> str:
    return "rgb({}, {}, {})".format(*rgb(colour))


def visible_cells(page, selector: str) -> int:
    return page.locator(selector).evaluate_all(
        "cells => cells.filter((c) => getComputedStyle(c).visibility === 'visible' && c.getBBox().width > 0).length"
    )


def test_a_gradient_heatmap_appears_when_the_backward_step_reaches_it(page, tmp_path):
    torch.manual_seed(1)
    W, x = torch.randn(4, 3), torch.randn(3)
    g = TorchGraph(weight_times_vector, [W, x])
    Wr = W.clone().requires_grad_(True)
    (dW,) = torch.autograd.grad(weight_times_vector(Wr, x), (Wr,))
    anim = g.animate("both", tensors="heatmap", interval_ms=80)
    page.goto(anim.save(tmp_path / "heat.html").as_uri())
    node = g.node_id("W")
    grad_cells = f"[data-node='{node}'] .ag-heat-grad .ag-cell"
    value_cells = f"[data-node='{node}'] .ag-heat-val .ag-cell"
    assert page.locator(grad_cells).count() == 12
    assert visible_cells(page, grad_cells) == 0  # frame 0: nothing of the gradient yet
    assert visible_cells(page, value_cells) == 12  # the inputs' values start the forward pass

    reached = next(i for i, f in enumerate(anim.frames) if "grad" in f["badges"].get(node, {}))
    slider = page.locator(".ag-player input[type=range]")
    slider.fill(str(reached - 1))
    assert visible_cells(page, grad_cells) == 0
    page.click("button[aria-label='Next step']")
    assert page.locator(".ag-player .ag-step").text_content() == anim.frames[reached]["caption"]
    assert visible_cells(page, grad_cells) == 12
    flat = dW.reshape(-1).tolist()
    limit = max(abs(v) for v in flat)
    fills = page.locator(grad_cells).evaluate_all("cells => cells.map((c) => getComputedStyle(c).fill)")
    assert fills == [css_rgb(diverging(v, limit)) for v in flat]
    # the step's highlight tints the badge, never the cells
    opacities = page.locator(grad_cells).evaluate_all("cs => cs.map((c) => getComputedStyle(c).fillOpacity)")
    assert set(opacities) == {"1"}
    page.wait_for_timeout(300)
    page.screenshot(path=artifact("heatmap-player-W-grad.png"))

    page.click("button[aria-label='Previous step']")  # stepping back hides it again
    assert visible_cells(page, grad_cells) == 0
    assert page.errors == []


def two_paths(a, b):
    c = a + b
    d = b + 1
    e = (c * d).sum()
    return e


def test_a_gradient_in_two_shares_shows_the_first_share_then_the_total(page, tmp_path):
    a, b = torch.tensor([1.0, -2.0, 0.5]), torch.tensor([-1.0, 0.5, 2.0])
    g = TorchGraph(two_paths, [a, b])
    bb = b.clone().requires_grad_(True)
    (total,) = torch.autograd.grad(two_paths(a, bb), bb)
    anim = g.animate(tensors="heatmap")
    page.goto(anim.save(tmp_path / "paths.html").as_uri())
    node = g.node_id("b")
    shown = f"[data-node='{node}'] .ag-heat-grad:not(.ag-empty) .ag-cell"
    first, second = [i for i, f in enumerate(anim.frames) if "grad" in f["badges"].get(node, {})]
    slider = page.locator(".ag-player input[type=range]")
    slider.fill(str(first))
    running = page.locator(f"[data-node='{node}'] .ag-heat-grad:not(.ag-empty)")
    assert running.count() == 1 and running.get_attribute("data-text") == anim.frames[first]["badges"][node]["grad"]
    assert visible_cells(page, shown) == 3
    slider.fill(str(second))
    fills = page.locator(shown).evaluate_all("cells => cells.map((c) => getComputedStyle(c).fill)")
    limit = total.abs().max().item()
    assert fills == [css_rgb(diverging(v, limit)) for v in total.tolist()]
    assert page.locator(f"[data-node='{node}'] .ag-heat-grad:not(.ag-empty)").get_attribute("data-text") is None
    slider.fill(str(first))  # and back
    assert running.get_attribute("data-text") == anim.frames[first]["badges"][node]["grad"]
    assert page.errors == []


def test_the_net_with_heatmaps_on_a_light_and_a_dark_page(browser, tmp_path):
    torch.manual_seed(0)
    inputs = [
        torch.randn(4, 3),
        torch.randn(3, 5),
        torch.randn(5),
        torch.randn(5, 2),
        torch.randn(2),
        torch.randn(4, 2),
    ]
    g = TorchGraph(two_layer, inputs)
    anim = g.animate("backward", tensors="heatmap")
    path = anim.save(tmp_path / "net.html")
    # the bare SVG on a page of its own, which follows the reader's colour scheme as a stand-alone page does
    page_css = "body { margin: 0; } @media (prefers-color-scheme: dark) { body { background: #111; } }"
    svg = g.to_svg(with_all=True, tensors="heatmap")
    (tmp_path / "net-svg.html").write_text(
        f'<!DOCTYPE html><html><head><style>{page_css}</style></head><body class="ag-page">{svg}</body></html>',
        encoding="utf-8",
    )
    elements = sum(g.value(n).numel() for n in ("x", "W1", "b1", "W2", "b2", "y"))
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
        pg = context.new_page()
        pg.goto(path.as_uri())
        pg.locator(".ag-player input[type=range]").fill(str(len(anim.frames) - 1))
        pg.wait_for_timeout(300)
        # every input's value and gradient is a grid; the drawing holds more (intermediates)
        assert visible_cells(pg, ".ag-player .ag-heat .ag-cell") >= 2 * elements
        card = pg.locator(".ag-player .ag-card").evaluate("e => getComputedStyle(e).fill")
        assert (card == "rgb(255, 255, 255)") == (scheme == "light")
        pg.screenshot(path=artifact(f"heatmap-net-player-{scheme}.png"))
        pg.goto((tmp_path / "net-svg.html").as_uri())
        assert visible_cells(pg, ".ag-heat .ag-cell") >= 2 * elements
        pg.screenshot(path=artifact(f"heatmap-net-svg-{scheme}.png"))
        context.close()
