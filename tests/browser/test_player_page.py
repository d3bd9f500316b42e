"""The stand-alone player in a real browser: it steps, plays, answers the keyboard, logs no error."""

import pytest
import torch

from ani_graph import TorchGraph
from ani_graph.style import ZOOM

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
    # a small graph is drawn larger than its natural size (style.ZOOM px a point), for a projector
    svg = page.locator("svg.ag-graph")
    natural = g.scene().width * ZOOM
    assert svg.bounding_box()["width"] > 1.3 * natural
    assert page.errors == []


def view_box(page) -> list[float]:
    return [float(v) for v in page.locator(".ag-player svg.ag-graph").get_attribute("viewBox").split()]


def inside(inner: dict, outer: dict, slack: float = 1.0) -> bool:
    return (
        inner["x"] >= outer["x"] - slack
        and inner["y"] >= outer["y"] - slack
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + slack
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + slack
    )


def test_zoom_pan_and_fit_with_buttons_keys_wheel_and_drag_and_the_view_follows_the_lit_step(page, tmp_path):
    torch.manual_seed(0)
    mlp = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    g = TorchGraph(lambda x: mlp(x).pow(2).mean(), [[0.5, -1.0, 2.0]])
    anim = g.animate(direction="both")
    page.set_viewport_size({"width": 900, "height": 700})
    page.goto(anim.save(tmp_path / "wide.html").as_uri())
    player, stage = page.locator(".ag-player"), page.locator(".ag-player .ag-stage")
    full = [0.0, 0.0, round(g.scene().width, 1), round(g.scene().height, 1)]
    assert [round(v, 1) for v in view_box(page)] == full  # at first the whole drawing shows
    assert stage.evaluate("s => s.scrollWidth <= s.clientWidth && s.scrollHeight <= s.clientHeight")

    page.click("button[aria-label='Zoom in']")
    page.wait_for_timeout(400)  # the zoom glides
    assert view_box(page)[2] == pytest.approx(full[2] / 1.5, rel=0.01)
    assert "ag-zoomed" in player.get_attribute("class")
    # step to the output, far right: the view follows it
    last_forward = max(i for i, f in enumerate(anim.frames) if f["phase"] == "forward")
    page.locator(".ag-player input[type=range]").fill(str(last_forward))
    page.wait_for_timeout(500)
    out = page.locator(f"g.ag-node[data-node='{anim.frames[last_forward]['nodes'][-1]}']")
    assert inside(out.bounding_box(), stage.bounding_box())
    page.locator(".ag-player input[type=range]").fill("0")  # back to the inputs: it zooms out to show them all
    page.wait_for_timeout(500)
    for n in anim.frames[0]["nodes"]:
        assert inside(page.locator(f"g.ag-node[data-node='{n}']").bounding_box(), stage.bounding_box())

    # a drag moves the zoomed drawing with the pointer
    page.click("button[aria-label='Fit']")
    page.click("button[aria-label='Zoom in']")
    page.click("button[aria-label='Zoom in']")
    page.wait_for_timeout(400)
    before = view_box(page)
    box = stage.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 - 120, box["y"] + box["height"] / 2, steps=6)
    page.mouse.up()
    moved = view_box(page)
    assert moved[0] - before[0] == pytest.approx(120 * before[2] / box["width"], rel=0.05)
    page.click("button[aria-label='Fit']")
    page.wait_for_timeout(400)
    assert [round(v, 1) for v in view_box(page)] == full

    # keys, with the player focused: + zooms in, - out, 0 fits; the wheel zooms only with Ctrl
    player.focus()
    page.keyboard.press("+")
    page.wait_for_timeout(400)
    assert view_box(page)[2] < full[2] - 1
    page.keyboard.press("0")
    page.wait_for_timeout(400)
    assert [round(v, 1) for v in view_box(page)] == full
    page.mouse.move(box["x"] + 100, box["y"] + 50)
    page.mouse.wheel(0, -300)
    page.wait_for_timeout(200)
    assert [round(v, 1) for v in view_box(page)] == full  # a plain wheel scrolls the page instead
    page.keyboard.down("Control")
    page.mouse.wheel(0, -300)
    page.keyboard.up("Control")
    page.wait_for_timeout(200)
    zoomed = view_box(page)
    assert zoomed[2] < full[2] - 1
    page.keyboard.press("-")
    page.wait_for_timeout(400)
    assert view_box(page)[2] > zoomed[2]
    page.screenshot(path=artifact("after-p5-zoomed-standalone.png"))
    assert page.errors == []


def broken_words(page) -> list[str]:
    """Words of the step caption that the browser split over two lines."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.ag-player .ag-step .ag-word')]
            .filter(w => new Set([...w.getClientRects()].map(r => Math.round(r.top))).size > 1)
            .map(w => w.textContent)"""
    )


def test_captions_wrap_between_words_never_inside_a_fraction(page, tmp_path):
    anim = TorchGraph(chain_rule, [2, 1]).animate()
    page.goto(anim.save(tmp_path / "chain.html").as_uri())
    slider, step = page.locator(".ag-player input[type=range]"), page.locator(".ag-player .ag-step")
    wrapped = 0
    for width in range(360, 900, 20):
        page.set_viewport_size({"width": width, "height": 700})
        for k, f in enumerate(anim.frames):
            slider.fill(str(k))
            assert step.text_content() == f["caption"]  # the words are the frame's caption, unchanged
            assert broken_words(page) == [], (width, f["caption"])
            lines = step.evaluate("e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)")
            wrapped += lines > 1.5
    assert wrapped > 10  # the check saw captions that did wrap
    assert page.locator(".ag-player .ag-step .ag-word", has_text="∂e/∂b").count() >= 1
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
