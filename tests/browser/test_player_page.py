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

    caption = page.locator(".ag-player .ag-caption")
    slider = page.locator(".ag-player input[type=range]")
    assert caption.text_content() == anim.frames[0]["caption"]
    assert page.locator("svg.ag-graph").count() == 1

    page.click("button[aria-label='Next step']")
    assert slider.input_value() == "1"
    assert caption.text_content() == anim.frames[1]["caption"]
    op = anim.frames[1]["nodes_lit"][0]
    assert "ag-lit" in page.locator(f"[data-node='{op}']").get_attribute("class")

    # the slider jumps; the badge of e shows its value, then its gradient
    e = g.node_id("e")
    last = len(anim.frames) - 1
    slider.fill(str(last))
    assert caption.text_content() == anim.frames[last]["caption"]
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
    assert page.locator(".ag-player .ag-caption").text_content() == anim.frames[-1]["caption"]
    assert page.errors == []
