"""A quiz question about one element of a tensor of more than 4 elements (∂out/∂W[1, 2]) marks that
element: its cell in the box's heatmap, and its number and cell in the box's inspect panel; the
marks go when the question is answered or revealed."""

import torch

from ani_graph import TorchGraph
from ani_graph.format import format_number

from .conftest import artifact

W = torch.tensor([[0.5, -1.0, 2.0, 0.25], [1.5, -0.5, 3.0, -2.0], [0.75, 1.25, -1.5, 0.1]])
X = torch.tensor([1.0, -2.0, 0.5, 3.0])


def test_the_element_asked_about_is_marked_in_the_drawing_and_the_panel(page, tmp_path):
    g = TorchGraph(lambda W, x: torch.tanh(W @ x).sum(), [W, X])
    anim = g.animate("backward", quiz=True, tensors="heatmap")
    questions = anim.quiz["questions"]
    i = next(i for i, q in enumerate(questions) if q["element"] is not None)
    q = questions[i]
    assert q["node"] == g.node_id("W") and q["element"] < W.numel()
    row, col = divmod(q["element"], W.shape[1])
    assert q["prompt"] == f"∂out/∂W[{row}, {col}]"
    page.goto(anim.save(tmp_path / "quiz.html").as_uri())
    page.wait_for_selector(".ag-player .ag-quiz")
    for _ in range(i):  # the questions before it, revealed
        page.locator("button[aria-label='Next step']").click()
        page.locator(".ag-quiz-reveal").click()
    page.locator("button[aria-label='Next step']").click()
    assert page.locator(".ag-quiz-prompt").inner_text() == q["prompt"] + " ="

    box = page.locator(f"svg.ag-graph .ag-node[data-node='{q['node']}']")
    assert box.get_attribute("data-asked-element") == str(q["element"])
    marked = box.evaluate(
        """(g) => [...g.querySelectorAll(".ag-heat")].map((grid) =>
             [...grid.querySelectorAll(".ag-cell")].findIndex((c) => c.classList.contains("ag-asked-cell")))"""
    )
    assert marked and all(k == q["element"] for k in marked)  # the value's grid, cell by cell in row-major order

    box.click()  # the panel: the value's table and heatmap mark the element
    panel = page.locator(".ag-inspect")
    cell = panel.locator(".ag-inspect-table td.ag-inspect-asked")
    assert cell.count() == 1 and cell.inner_text() == format_number(W[row, col].item())
    heat = panel.locator(".ag-heat").first.evaluate(
        "(grid) => [...grid.querySelectorAll('.ag-heat-cell')].findIndex((c) => c.classList.contains('ag-inspect-asked'))"
    )
    assert heat == q["element"]
    page.screenshot(path=artifact("quiz-element.png"))
    page.keyboard.press("Escape")

    page.locator(".ag-quiz-reveal").click()  # answered: the marks go
    assert box.get_attribute("data-asked-element") is None
    assert box.locator(".ag-asked-cell").count() == 0
    box.click()
    assert page.locator(".ag-inspect .ag-inspect-asked").count() == 0
