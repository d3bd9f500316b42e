"""The stand-alone player in a real browser: it steps, plays, answers the keyboard, logs no error."""

import torch

from ani_graph import TorchGraph

from .conftest import artifact


def chain_rule(a, b):
    c = a + b
    d = b + 1
    e = c * d
    return e


def test_standalone_page_steps_plays_and_shows_no_errors(page, tmp_path):
    g = TorchGraph(chain_rule, [2, 1])
    anim = g.animate(direction="both", interval_ms=60)
    path = anim.save(tmp_path / "chain.html")
    page.goto(path.as_uri())

    caption = page.locator(".ag-player .ag-step")
    slider = page.locator(".ag-player input[type=range]")
    assert caption.text_content() == anim.frames[0]["caption"]
    assert page.locator("svg.ag-graph").count() == 1

    page.click("button[aria-label='Next step']")
    assert slider.input_value() == "1"
    assert caption.text_content() == anim.frames[1]["caption"]
    op = anim.frames[1]["nodes"][0]
    assert "ag-lit" in page.locator(f"[data-node='{op}']").get_attribute("class")

    # the slider jumps; the badge of e shows its value, then its gradient
    e = g.node_id("e")
    last = len(anim.frames) - 1
    slider.fill(str(last))
    assert caption.text_content() == anim.frames[last]["caption"]
    rule = anim.frames[last]["rule"]
    assert page.locator(".ag-player .ag-rule").text_content() == rule
    assert page.locator(f"[data-node='{e}'] .ag-val").text_content() == "6"
    assert page.locator(f"[data-node='{g.node_id('b')}'] .ag-grad").text_content() == "5"
    assert page.locator(f"[data-node='{g.node_id('b')}'] .ag-badge-grad").get_attribute("class").count("ag-empty") == 0

    page.click("button[aria-label='Previous step']")
    assert slider.input_value() == str(last - 1)
    slider.fill("0")
    assert "ag-empty" in page.locator(f"[data-node='{e}'] .ag-badge-val").get_attribute("class")

    # keyboard: arrows step, space plays
    page.locator(".ag-player").focus()
    page.keyboard.press("ArrowRight")
    assert slider.input_value() == "1"
    page.keyboard.press("ArrowLeft")
    assert slider.input_value() == "0"
    page.keyboard.press(" ")
    assert page.locator("button[aria-label='Pause']").count() == 1
    page.wait_for_function(
        "(v) => document.querySelector('.ag-player input[type=range]').value === String(v)", arg=last, timeout=10_000
    )
    assert page.locator("button[aria-label='Play']").count() == 1  # stops at the end

    page.click("button[aria-label='Play']")  # from the end, Play starts over
    page.wait_for_timeout(30)
    page.screenshot(path=artifact("standalone-player.png"))
    assert page.errors == []


def test_static_drawing_shows_without_javascript(browser, tmp_path):
    anim = TorchGraph(chain_rule, [2, 1]).animate()
    path = anim.save(tmp_path / "chain.html")
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(path.as_uri())
    assert pg.locator("svg.ag-graph").is_visible()
    assert pg.locator(".ag-node").count() == TorchGraph(chain_rule, [2, 1]).nx.number_of_nodes()
    context.close()


def test_large_tensors_step_without_errors(page, tmp_path):
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(20, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    anim = TorchGraph(lambda x: mlp(x).pow(2).mean(), [torch.randn(4, 20)]).animate(direction="both")
    page.goto(anim.save(tmp_path / "mlp.html").as_uri())
    for _ in range(len(anim.frames)):
        page.click("button[aria-label='Next step']")
    assert page.locator(".ag-player .ag-step").text_content() == anim.frames[-1]["caption"]
    assert page.errors == []


def test_the_step_highlights_what_it_wrote_and_the_drawing_is_enlarged(page, tmp_path):
    g = TorchGraph(chain_rule, [2, 1])
    anim = g.animate(direction="backward")
    page.goto(anim.save(tmp_path / "chain.html").as_uri())
    slider = page.locator(".ag-player input[type=range]")
    b = g.node_id("b")
    second = max(i for i, f in enumerate(anim.frames) if b in f["badges"])
    slider.fill(str(second))
    assert "(second path) → 5" in page.locator(".ag-player .ag-step").text_content()
    fresh = page.locator(".ag-fresh")
    assert fresh.count() == 2  # b's gradient badge and the share on its edge
    assert "ag-fresh" in page.locator(f"[data-node='{b}'] .ag-badge-grad").get_attribute("class")
    page.wait_for_timeout(300)  # let the fade-in finish before the picture
    page.screenshot(path=artifact("standalone-second-path.png"))
    slider.fill("0")
    assert page.locator(f"[data-node='{b}'] .ag-badge-grad.ag-fresh").count() == 0
    # a small graph is drawn larger than its natural size, for a projector
    svg = page.locator("svg.ag-graph")
    assert svg.bounding_box()["width"] > 1.3 * float(svg.get_attribute("width"))
    assert page.errors == []


def test_a_drawing_wider_than_the_page_scrolls_to_follow_the_lit_step(page, tmp_path):
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    anim = TorchGraph(lambda x: mlp(x).pow(2).mean(), [[0.5, -1.0, 2.0]]).animate(direction="both")
    page.set_viewport_size({"width": 900, "height": 700})
    page.goto(anim.save(tmp_path / "wide.html").as_uri())
    stage = page.locator(".ag-player .ag-stage")
    assert stage.evaluate("s => s.scrollWidth > s.clientWidth")  # this drawing does not fit
    assert stage.evaluate("s => s.scrollLeft") == 0
    last_forward = max(i for i, f in enumerate(anim.frames) if f["phase"] == "forward")
    page.locator(".ag-player input[type=range]").fill(str(last_forward))  # the output, far right
    page.wait_for_function("() => document.querySelector('.ag-stage').scrollLeft > 0", timeout=5_000)
    page.wait_for_timeout(600)  # the smooth scroll settles
    out = page.locator(f"g.ag-node[data-node='{anim.frames[last_forward]['nodes'][-1]}']").bounding_box()
    view = stage.bounding_box()
    assert view["x"] <= out["x"] and out["x"] + out["width"] <= view["x"] + view["width"]
    page.locator(".ag-player input[type=range]").fill("0")  # and back to the inputs, far left
    page.wait_for_function("() => document.querySelector('.ag-stage').scrollLeft < 50", timeout=5_000)
    assert page.errors == []


def test_two_html_fallbacks_on_one_page_play_independently(page, tmp_path):
    """The text/html part of the display bundle, as in an exported notebook or a front end without widgets."""
    first = TorchGraph(chain_rule, [2, 1]).animate()
    second = TorchGraph(lambda x: torch.sin(x) * x, [0.5]).animate(direction="both")
    body = "".join(a._repr_mimebundle_()["text/html"] for a in (first, second))
    path = tmp_path / "exported.html"
    path.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
    page.goto(path.as_uri())
    players = page.locator(".ag-player")
    assert players.count() == 2
    players.nth(1).locator("button[aria-label='Next step']").click()
    assert players.nth(1).locator("input[type=range]").input_value() == "1"
    assert players.nth(0).locator("input[type=range]").input_value() == "0"
    assert players.nth(1).locator(".ag-step").text_content() == second.frames[1]["caption"]
    assert page.errors == []
