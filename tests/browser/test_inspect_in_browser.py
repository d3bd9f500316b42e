"""Click to inspect, in a real browser: the two-layer net's W1 in full (tables equal to the graph's
tensors to 4 significant digits, one heatmap cell per element), Esc and focus, the keyboard, an op's
rule with the graph's numbers; on a page from a file and in JupyterLab 4."""

from __future__ import annotations

import torch

from ani_graph import TorchGraph
from ani_graph import style as S
from ani_graph.examples import two_layer, two_layer_inputs
from ani_graph.inspect_data import LEVELS

from .conftest import JupyterServer, artifact, cell_errors, need_browser, panel_table, run_all_cells, write_notebook


def heat_colours(want: torch.Tensor) -> list[str]:
    """The cells' colours, as the browser reports them, of a heatmap of `want` (the tensor itself)."""
    levels = (want / want.abs().max() * LEVELS).round().flatten().tolist()
    return ["rgb({}, {}, {})".format(*S.rgb(S.diverging(k / LEVELS, 1.0))) for k in levels]


def check_W1_dialog(page, g, node_id: str, scope) -> None:
    dialog = scope.get_by_role("dialog")
    assert dialog.is_visible() and dialog.evaluate("e => e.contains(document.activeElement)")
    assert dialog.locator("h3").inner_text() == "W1"
    assert "shape 3×5" in dialog.inner_text() and "float32" in dialog.inner_text()
    for which, want in ((0, g.value("W1")), (1, g.grad("W1"))):
        shown = panel_table(dialog, which)
        assert shown.shape == want.shape
        assert torch.allclose(shown, want, rtol=5e-4, atol=1e-8)  # 4 significant digits
    heats = dialog.locator(".ag-heat")
    assert heats.count() == 2
    assert [heats.nth(i).locator(".ag-heat-cell").count() for i in (0, 1)] == [15, 15]
    for i, want in enumerate((g.value("W1"), g.grad("W1"))):  # each cell the colour of its element
        shown = (
            heats.nth(i).locator(".ag-heat-cell").evaluate_all("cs => cs.map(c => getComputedStyle(c).backgroundColor)")
        )
        assert shown == heat_colours(want)
    assert dialog.locator(".ag-heat-legend").count() == 2
    page.keyboard.press("Escape")
    assert not dialog.is_visible()
    assert page.evaluate("document.activeElement.getAttribute('data-node')") == node_id


def test_w1_of_the_two_layer_net_in_full_by_mouse_and_by_keyboard(browser, tmp_path):
    g = TorchGraph(two_layer, two_layer_inputs())
    path = tmp_path / "net.html"
    g.animate().save(path)
    w1 = g.node_id("W1")
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme=scheme)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
        try:
            page.goto(path.as_uri())
            page.locator(".ag-player").press("End")  # after the backward pass: every gradient is there
            node = page.locator(f'.ag-node[data-node="{w1}"]')
            assert node.get_attribute("aria-label") == "tensor W1, 3 by 5"
            assert node.get_attribute("tabindex") == "0"
            node.click()
            page.screenshot(path=artifact(f"inspect-W1-{scheme}.png"))
            check_W1_dialog(page, g, w1, page)
            # the keyboard alone: Tab through the boxes to W1, Enter opens it
            page.locator(".ag-player").focus()
            for _ in range(40):
                page.keyboard.press("Tab")
                if page.evaluate("document.activeElement.getAttribute('data-node')") == w1:
                    break
            page.keyboard.press("Enter")
            check_W1_dialog(page, g, w1, page)
            assert errors == []
        finally:
            context.close()


def test_the_op_panel_of_p_equals_w_times_x_shows_the_rule_with_the_graphs_numbers(page, tmp_path):
    def func(w, x):
        p = w * x
        return p

    g = TorchGraph(func, [3, 2])
    (op,) = [n for n, a in g.nx.nodes(data=True) if a["kind"] == "op"]
    path = tmp_path / "p.html"
    g.animate().save(path)
    page.goto(path.as_uri())
    page.locator(f'.ag-node[data-node="{op}"]').click()  # before the backward pass reaches it
    dialog = page.get_by_role("dialog")
    assert "∂p/∂x = w" in dialog.inner_text() and "shown once the backward pass reaches it" in dialog.inner_text()
    page.keyboard.press("Escape")
    page.locator(".ag-player").press("End")
    page.locator(f'.ag-node[data-node="{op}"]').click()
    numbers = dialog.locator(".ag-inspect-numbers li").all_inner_texts()
    assert f"∂p/∂x = w = {g.value('w').item():g}" in numbers  # ∂p/∂x = w = 3
    assert f"∂p/∂w = x = {g.value('x').item():g}" in numbers
    page.screenshot(path=artifact("inspect-op.png"))
    assert page.errors == []


def test_inspect_in_jupyterlab_in_the_html_player_and_the_widget_in_the_dark_theme(page, tmp_path):
    need_browser()
    cells = [
        "from ani_graph import TorchGraph\nfrom ani_graph.examples import two_layer, two_layer_inputs\n"
        "g = TorchGraph(two_layer, two_layer_inputs())\nanim = g.animate()\nanim.frame = len(anim.frames) - 1\nanim",
        "anim.widget",
    ]
    write_notebook(tmp_path / "inspect.ipynb", cells)
    server = JupyterServer("lab", tmp_path)
    g = TorchGraph(two_layer, two_layer_inputs())
    w1 = g.node_id("W1")
    try:
        page.goto(server.url("inspect.ipynb"))
        run_all_cells(page)
        assert cell_errors(page) == []
        players = page.locator(".jp-OutputArea-output .ag-player")
        players.nth(1).wait_for(timeout=30_000)
        for i in (0, 1):  # the HTML player, then the widget
            player = players.nth(i)
            player.scroll_into_view_if_needed()
            player.locator(f'.ag-node[data-node="{w1}"]').click()
            check_W1_dialog(page, g, w1, player)
        page.evaluate("window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
        page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=30_000)
        players.nth(1).locator(f'.ag-node[data-node="{w1}"]').click()
        page.wait_for_timeout(300)
        page.screenshot(path=artifact("inspect-lab-dark.png"))
    finally:
        server.stop()
