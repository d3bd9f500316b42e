"""Hostile names in a real browser: wherever user text enters the page (SVG text and
attributes, the frames' JSON inside an inline script, the title, the captions the
player writes), the player still mounts, runs no injected code, and shows the text
literally."""

from __future__ import annotations

import pytest
import torch

from ani_graph import record, trackable_function
from ani_graph.escapes import visible

from .conftest import artifact

INJECTIONS = [
    "<!--<script>",
    "</script><script>__pwned=1</script>",
    '<img src=x onerror="__pwned=1">',
    "\"'><svg onload=__pwned=1>",
    "</title><script>__pwned=1</script>",
    "</style><style>*{display:none}</style>",
    "]]><![CDATA[&amp;&lt;",
    "${__pwned=1}`{1}`",  # one `$` only: two would make the label mathtext, by design
    "line\u2028para\u2029end",
    "nul\x00bell\x07",
    "lone\ud800surrogate",
]


class Holder(torch.nn.Module):
    def __init__(self, name: str):
        super().__init__()
        self.add_module(name, torch.nn.Linear(2, 2))
        self.child_name = name

    def forward(self, x):
        return getattr(self, self.child_name)(x)


def hostile_graph(text: str):
    """`text` as a module name, a Function's label and rule, and the output's variable name."""
    Odd = trackable_function(
        type(
            "Odd",
            (torch.autograd.Function,),
            {
                "name": text,
                "rule": text,
                "forward": staticmethod(lambda ctx, x: x * 2),
                "backward": staticmethod(lambda ctx, g: g * 2),
            },
        )
    )
    model = Holder(text)
    scope = {"torch": torch, "record": record, "Odd": Odd, "model": model}
    code = "with record() as rec:\n    globals()[NAME] = Odd.apply(model(torch.ones(2, requires_grad=True))).sum()\n"
    scope["NAME"] = text
    exec(code, scope)
    return scope["rec"].graph(scope[text])


@pytest.mark.parametrize("text", INJECTIONS, ids=range(len(INJECTIONS)))
def test_hostile_names_show_literally_and_run_nothing(page, tmp_path, text):
    g = hostile_graph(text)
    shown = visible(text)
    assert g.outputs == [shown]
    anim = g.animate("both", interval_ms=60)
    path = anim.save(tmp_path / "hostile.html")
    page.on("dialog", lambda d: (page.errors.append("dialog: " + d.message), d.dismiss()))
    page.goto(path.as_uri())

    assert page.locator(".ag-player").count() == 1  # the player mounted
    assert page.locator(".ag-static").count() == 0  # and replaced the still drawing
    assert page.evaluate("window.__pwned") is None
    assert page.title() == "ani-graph: " + shown
    assert page.locator("svg.ag-graph").is_visible()

    # the Function's label, drawn in its op box as written (escapes for the invisible; a long one shortened)
    op = next(n for n, a in g.nx.nodes(data=True) if a.get("custom"))
    label = g.nx.nodes[op]["label"]
    assert label == shown or (label.endswith("…") and shown.startswith(label[:-1]))
    assert page.locator(f"[data-node='{op}'] text").first.text_content() == label
    clusters = "(m) => [...document.querySelectorAll('[data-module]')].filter(e => e.dataset.module === m).length"
    assert page.evaluate(clusters, shown) == 1

    # step to the frame that states the Function's rule: the player writes it as text
    index = next(i for i, f in enumerate(anim.frames) if f["rule"].endswith(shown))
    page.locator(".ag-player input[type=range]").fill(str(index))
    assert page.locator(".ag-player .ag-rule").text_content() == anim.frames[index]["rule"]
    assert page.locator(".ag-player .ag-step").text_content() == anim.frames[index]["caption"]
    assert shown in anim.frames[index]["rule"]
    forward = next(i for i, f in enumerate(anim.frames) if f["phase"] == "forward" and label in f["caption"])
    page.locator(".ag-player input[type=range]").fill(str(forward))
    assert page.locator(".ag-player .ag-step").text_content() == anim.frames[forward]["caption"]

    page.click("button[aria-label='Play']")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []
    page.screenshot(path=artifact(f"hostile-page-{INJECTIONS.index(text)}.png"))


def test_notebook_fragment_with_hostile_names_mounts_inside_a_page(page):
    # the text/html output of a notebook cell is the fragment alone, inside someone else's page
    g = hostile_graph("</script><script>__pwned=1</script><!--")
    html = g.animate()._repr_mimebundle_()["text/html"]
    page.set_content(f"<!DOCTYPE html><html><body><p>before</p>{html}<p id='after'>after</p></body></html>")
    assert page.locator(".ag-player").count() == 1
    assert page.locator("#after").text_content() == "after"  # the rest of the page is intact
    assert page.evaluate("window.__pwned") is None
    assert page.errors == []
