"""A long chain's page in a real browser: the two ends and the hidden middle step through every
frame, and the gradient that reaches the input is autograd's."""

import torch

from ani_graph import TorchGraph
from ani_graph.format import format_tensor
from ani_graph.view import ELIDED

from .conftest import artifact

STEPS = 2000


def long_chain(x):
    for _ in range(STEPS):
        x = x * 1.0001
    return x


def test_a_long_chain_page_steps_through_its_ends_and_its_hidden_middle(page, tmp_path):
    g = TorchGraph(long_chain, [1.0])
    anim = g.animate("both")
    path = anim.save(tmp_path / "long-chain.html")
    page.goto(path.as_uri())
    slider = page.locator(".ag-player input[type=range]")
    caption = page.locator(".ag-player .ag-step")
    middle = [i for i, f in enumerate(anim.frames) if ELIDED in f["nodes"]]
    assert len(middle) == 2  # one step through the hidden middle each way
    for i in range(len(anim.frames)):
        slider.fill(str(i))
        assert caption.text_content() == anim.frames[i]["caption"]
    slider.fill(str(middle[0]))
    assert "ag-lit" in page.locator(f"[data-node='{ELIDED}']").get_attribute("class")
    slider.fill(str(len(anim.frames) - 1))
    x = torch.tensor(1.0, requires_grad=True)
    (grad,) = torch.autograd.grad(long_chain(x), [x])
    assert page.locator(f"[data-node='{g.node_id('x')}'] .ag-grad").text_content() == format_tensor(grad)
    page.screenshot(path=artifact("long-chain-page.png"))
    assert page.errors == []
