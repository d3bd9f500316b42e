"""A recorded training loop in a real browser: the animation plays its forward, backward and update
phases, with the loss strip's marker moving, on the stand-alone page and in JupyterLab."""

import time

import torch

from ani_graph import record
from ani_graph.examples import tiny_regression

from .conftest import JupyterServer, artifact, cell_errors, need_browser, panel_table, run_all_cells, write_notebook


def recorded_loop(steps: int = 3):
    model, x, y = tiny_regression()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    with record() as rec:
        for _ in range(steps):
            opt.zero_grad()
            loss = torch.nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
    return model, rec


def test_a_training_animation_plays_on_the_standalone_page(page, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 720})
    model, rec = recorded_loop()
    anim = rec.animate(interval_ms=40)
    page.goto(anim.save(tmp_path / "training.html").as_uri())
    player = page.locator(".ag-player")
    caption, slider = player.locator(".ag-step"), player.locator("input[type=range]")
    assert caption.text_content() == anim.frames[0]["caption"]
    assert page.locator("[data-node='step:0'] .ag-val").text_content() == "▲"

    # the second step's first update: its phase, colour, caption and the parameter's new value
    k = next(i for i, f in enumerate(anim.frames) if f["phase"] == "update" and f["step"] == 1)
    slider.fill(str(k))
    f = anim.frames[k]
    (nid,) = f["nodes"]
    assert caption.text_content() == f["caption"]
    assert player.locator(".ag-phase").text_content() == "update: parameters"
    assert "ag-update" in player.get_attribute("class")
    glow = page.locator(f"[data-node='{nid}'] .ag-shape").evaluate("e => getComputedStyle(e).stroke")
    assert glow == "rgb(213, 94, 0)"  # style.PHASE_COLOURS["update"]
    assert page.locator(f"[data-node='{nid}'] .ag-val").text_content() == f["badges"][nid]["value"]
    assert page.locator("[data-node='step:1'] .ag-val").text_content() == "▲"
    assert "ag-empty" in page.locator("[data-node='step:0'] .ag-badge-val").get_attribute("class")
    page.wait_for_timeout(300)
    page.screenshot(path=artifact("standalone-training-update.png"))

    # Play runs to the end: the last step marked, the last parameter as the optimizer left it
    slider.fill("0")
    player.locator("button[aria-label='Play']").click()
    page.wait_for_function(
        "(v) => document.querySelector('.ag-player input[type=range]').value === String(v)",
        arg=len(anim.frames) - 1,
        timeout=20_000,
    )
    assert page.locator("[data-node='step:2'] .ag-val").text_content() == "▲"
    last = anim.frames[-1]
    (nid,) = last["nodes"]
    assert page.locator(f"[data-node='{nid}'] .ag-val").text_content() == last["badges"][nid]["value"]
    page.wait_for_timeout(300)
    page.screenshot(path=artifact("standalone-training-last.png"))
    assert page.errors == []


CELLS = [
    "import torch\nfrom ani_graph import record\nfrom ani_graph.examples import tiny_regression",
    "model, x, y = tiny_regression()\nopt = torch.optim.Adam(model.parameters(), lr=0.01)\n"
    "with record() as rec:\n    for _ in range(2):\n        opt.zero_grad()\n"
    "        loss = torch.nn.functional.mse_loss(model(x), y)\n        loss.backward()\n        opt.step()\n"
    "anim = rec.animate(interval_ms=60)\nanim",
]


def test_a_training_animation_plays_in_jupyterlab(page, tmp_path):
    need_browser()
    page.set_viewport_size({"width": 1280, "height": 720})
    write_notebook(tmp_path / "training.ipynb", CELLS)
    server = JupyterServer("lab", tmp_path)
    try:
        page.goto(server.url("training.ipynb"))
        run_all_cells(page)
        assert cell_errors(page) == []
        player = page.locator(".jp-OutputArea-output .ag-player").first
        player.wait_for(timeout=30_000)
        player.scroll_into_view_if_needed()
        slider = player.locator("input[type=range]")
        player.locator("button[aria-label='Play']").click()
        last = int(slider.get_attribute("max"))
        seen = set()
        deadline = time.time() + 60  # poll through the locator: JupyterLab may re-render the view
        while int(slider.input_value()) < last and time.time() < deadline:
            seen.add(player.locator(".ag-phase").inner_text())
            page.wait_for_timeout(50)
        assert int(slider.input_value()) == last
        seen.add(player.locator(".ag-phase").inner_text())
        assert {"forward: values", "backward: gradients", "update: parameters"} <= seen
        assert "the optimizer's own step" in player.locator(".ag-step").inner_text()  # Adam
        assert player.locator("[data-node='step:1'] .ag-val").text_content() == "▲"
        page.wait_for_timeout(300)
        page.screenshot(path=artifact("lab-training.png"))
        assert not [e for e in page.errors if "player" in e or "ag-" in e or "render" in e]
    finally:
        server.stop()


def test_a_parameters_panel_shows_the_step_being_played(page, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 720})
    _, rec = recorded_loop()
    anim = rec.animate()
    page.goto(anim.save(tmp_path / "training.html").as_uri())
    slider = page.locator(".ag-player input[type=range]")
    nid = rec.steps[0].graph.node_id("0.weight")
    for k in (0, 2):  # the last backward frame of step k: its value and its gradient both shown
        last = max(i for i, f in enumerate(anim.frames) if f["phase"] == "backward" and f["step"] == k)
        slider.fill(str(last))
        page.locator(f'.ag-node[data-node="{nid}"]').click()
        dialog = page.get_by_role("dialog")
        graph = rec.steps[k].graph
        for which, want in ((0, graph.value("0.weight")), (1, graph.grad("0.weight"))):
            assert torch.allclose(panel_table(dialog, which), want, rtol=5e-4, atol=1e-6)  # 4 significant digits
        page.screenshot(path=artifact(f"training-panel-step{k + 1}.png"))
        page.keyboard.press("Escape")
    assert not torch.allclose(rec.steps[0].graph.value("0.weight"), rec.steps[2].graph.value("0.weight"))
    assert page.errors == []
