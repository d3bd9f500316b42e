"""What moves when the player steps: only the few boxes a step lights and the badges it writes get
the arrival motion (class `ag-motion`: the glow's transition, the text's fade-in), a crowd lit by one
frame appears at once (drawn in the crowd's own layers, the boxes untouched), and a box lit in two
frames in a row is left alone between them. The lit boxes, edges and fresh badges are still exactly
the frame's."""

import json

import torch

from ani_graph import TorchGraph
from ani_graph.examples import sin_example

STATE_JS = """() => {
  const ids = (sel) => [...document.querySelectorAll(sel)].map((g) =>
    g.classList.contains("ag-node") ? g.getAttribute("data-node") :
    g.classList.contains("ag-edge") ? g.getAttribute("data-src") + "->" + g.getAttribute("data-dst") :
    (g.closest(".ag-node") || g.closest(".ag-edge")).getAttribute("data-node") || "edge").sort();
  const shape = document.querySelector("svg.ag-graph .ag-node.ag-lit .ag-shape");
  // a crowd's boxes are lit by the outlines in its ring layer, while that layer shows
  const crowd = [...document.querySelectorAll("svg.ag-graph .ag-crowd-ring")]
    .filter((l) => getComputedStyle(l).opacity !== "0")
    .flatMap((l) => [...l.children].map((c) => c.getAttribute("data-for")));
  const own = "svg.ag-graph .ag-node.ag-lit, svg.ag-graph .ag-edge.ag-lit";
  return { lit: [...ids(own), ...crowd].sort(), crowd: crowd.sort(), motion: ids("svg.ag-graph .ag-lit.ag-motion"),
    fresh: ids("svg.ag-graph .ag-fresh"), freshMotion: ids("svg.ag-graph .ag-fresh.ag-motion"),
    glow: shape ? getComputedStyle(shape).transitionProperty : "" };
}"""

MARK_JS = """(id) => { const g = document.querySelector(`[data-node="${id}"]`); g.__mark = (g.__mark || 0) + 1;
  new MutationObserver((records) => { g.__changes = (g.__changes || 0) + records.length; })
    .observe(g, { attributes: true, attributeFilter: ["class"] }); }"""


def fan(branches: int) -> TorchGraph:
    def f(x):
        return torch.stack([torch.sin(x[i]) * 2 for i in range(branches)]).sum()

    return TorchGraph(f, [torch.linspace(-1, 1, branches)])


def frame_ids(frame) -> list[str]:
    return sorted([*frame["nodes"], *(f"{u}->{v}" for u, v in frame["edges"])])


def test_a_step_moves_its_own_few_boxes_and_a_crowd_appears_at_once(page, tmp_path):
    g = fan(40)
    anim = g.animate(direction="both")
    frames = anim.frames
    path = anim.save(tmp_path / "fan.html")
    page.goto(path.as_uri())
    page.wait_for_selector(".ag-player")
    slider = page.locator(".ag-player input[type=range]")

    # frame 0 lights every input and constant at once: all lit, none of them moving
    slider.fill("0")
    crowd = frame_ids(frames[0])
    assert len(crowd) > 24
    state = page.evaluate(STATE_JS)
    assert state["lit"] == state["crowd"] == crowd and state["motion"] == []
    assert page.locator("svg.ag-graph .ag-node.ag-lit").count() == 0  # no box itself was touched

    # the next step lights two boxes and two edges: exactly those, and all of them move in
    page.locator("button[aria-label='Next step']").click()
    state = page.evaluate(STATE_JS)
    assert state["lit"] == frame_ids(frames[1]) == state["motion"]
    assert "stroke-width" in state["glow"] and "filter" in state["glow"]
    written = sorted(frames[1]["badges"])
    assert state["fresh"] == written == state["freshMotion"]

    # backward: the stack op stays lit from one frame to the next; its classes are not touched
    stay = [k for k in range(1, len(frames) - 1) if set(frames[k]["nodes"]) & set(frames[k + 1]["nodes"])]
    k = next(k for k in stay if frames[k]["phase"] == frames[k + 1]["phase"] == "backward")
    both = sorted(set(frames[k]["nodes"]) & set(frames[k + 1]["nodes"]))[0]
    slider.fill(str(k))
    page.evaluate(MARK_JS, both)
    page.locator("button[aria-label='Next step']").click()
    assert page.evaluate(f"() => document.querySelector('[data-node={json.dumps(both)}]').__changes || 0") == 0
    state = page.evaluate(STATE_JS)
    assert state["lit"] == frame_ids(frames[k + 1])
    assert both in state["lit"] and both in state["motion"]  # it keeps the motion class it came in with
    # a node that is not lit has no glow transition: leaving the lit set is instant
    off = page.evaluate(
        """() => getComputedStyle(document.querySelector("svg.ag-graph .ag-node:not(.ag-lit) .ag-shape"))
        .transitionProperty"""
    )
    assert "filter" not in off


def test_the_quiz_dims_the_caption_through_its_own_class(page, tmp_path):
    path = TorchGraph(sin_example, [2, 3, 4]).quiz().save(tmp_path / "quiz.html")
    page.goto(path.as_uri())
    page.wait_for_selector(".ag-player .ag-quiz")
    caption = page.locator(".ag-player .ag-caption")
    assert float(caption.evaluate("(e) => getComputedStyle(e).opacity")) == 1
    page.locator("button[aria-label='Next step']").click()  # would reveal a gradient: the quiz asks first
    assert page.locator(".ag-quiz-ask").is_visible()
    assert "ag-asking" in caption.get_attribute("class")
    assert "ag-asking" in page.locator(".ag-player").first.get_attribute("class")
    assert float(caption.evaluate("(e) => getComputedStyle(e).opacity")) < 1
