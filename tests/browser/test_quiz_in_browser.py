"""Quiz mode in a real browser: the stand-alone page opened from a file (no kernel, no network),
done with the keyboard only, and the live widget in JupyterLab 4, whose answers reach the kernel."""

from __future__ import annotations

import pytest

from ani_graph import TorchGraph
from ani_graph.examples import sin_example

from .conftest import JupyterServer, artifact, cell_errors, need_browser, run_all_cells, write_notebook
from .test_widget_in_jupyter import run_code


def typed(numbers: list[float]) -> str:
    return ", ".join(f"{v:.6g}" for v in numbers)


@pytest.fixture
def sin_quiz_page(tmp_path):
    quiz = TorchGraph(sin_example, [2, 3, 4]).quiz()
    path = tmp_path / "sin-quiz.html"
    quiz.save(path)
    return quiz, path


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_whole_quiz_by_keyboard_on_a_page_opened_from_a_file(browser, sin_quiz_page, scheme):
    quiz, path = sin_quiz_page
    questions = quiz.quiz["questions"]
    context = browser.new_context(viewport={"width": 1280, "height": 720}, color_scheme=scheme)
    page = context.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri())
        status, answer = page.get_by_role("status"), page.get_by_label("Your answer")
        assert "5 questions" in status.inner_text()
        page.keyboard.press("Tab")  # the player
        page.keyboard.press("ArrowRight")  # would reveal ∂y/∂v2: the player asks first
        assert answer.is_visible() and answer.evaluate("e => e === document.activeElement")
        assert page.locator(".ag-quiz-prompt").inner_text() == "∂y/∂v2 ="
        assert "within 1% (relative)" in page.locator(".ag-quiz-ask").inner_text()
        assert page.locator(".ag-slider").input_value() == "0"  # the gradient is not shown yet
        page.keyboard.type("0.5")
        page.keyboard.press("Enter")
        hint = status.inner_text()
        assert "Not quite" in hint and "cos(v2)" in hint and "v2 = 10" in hint
        page.screenshot(path=artifact(f"quiz-hint-{scheme}.png"))
        page.keyboard.press("Control+A")
        page.keyboard.type("-0.8391")  # −0.8391 is right to within 1%
        page.keyboard.press("Enter")
        assert status.inner_text() == "✓ Right: ∂y/∂v2 = −0.8391."
        assert page.locator(".ag-slider").input_value() == str(questions[0]["frame"])
        assert page.locator(".ag-step").inner_text().startswith("∂y/∂v2 =")
        page.screenshot(path=artifact(f"quiz-right-{scheme}.png"))
        for q in questions[1:]:  # focus came back to the player: arrows step on, each question asks
            page.keyboard.press("ArrowRight")
            assert page.locator(".ag-quiz-prompt").inner_text() == q["prompt"] + " ="
            page.keyboard.type(typed(q["answer"]))
            page.keyboard.press("Enter")
            assert status.inner_text().startswith("✓ Right")
        assert page.locator(".ag-quiz-score").inner_text() == "4 of 5 right first time"
        page.screenshot(path=artifact(f"quiz-score-{scheme}.png"))
        assert errors == []
        assert all(url.startswith(("file:", "data:")) for url in requests), requests
    finally:
        context.close()


def test_reveal_and_a_second_wrong_answer_show_the_answer_and_play_the_step(page, sin_quiz_page):
    quiz, path = sin_quiz_page
    page.goto(path.as_uri())
    status = page.get_by_role("status")
    page.get_by_role("button", name="Next step").click()
    page.get_by_role("button", name="Reveal").click()
    assert status.inner_text() == "Revealed: ∂y/∂v2 = −0.8391."
    assert page.locator(".ag-slider").input_value() == str(quiz.quiz["questions"][0]["frame"])
    page.get_by_role("button", name="Play").click()  # playing stops at the next question and asks
    answer = page.get_by_label("Your answer")
    answer.wait_for()
    assert page.locator(".ag-quiz-prompt").inner_text() == "∂y/∂v1 ="
    assert page.get_by_role("button", name="Play").is_visible()  # paused while asking
    for wrong in ("3", "4"):
        answer.fill(wrong)
        answer.press("Enter")
    assert status.inner_text() == "The answer is ∂y/∂v1 = −0.8391."
    assert page.locator(".ag-slider").input_value() == str(quiz.quiz["questions"][1]["frame"])
    assert page.errors == []


CELLS = [
    "from ani_graph import TorchGraph\nfrom ani_graph.examples import sin_example",
    "quiz = TorchGraph(sin_example, [2, 3, 4]).quiz()\nquiz.widget",
]


def test_the_widget_quiz_in_jupyterlab_reports_each_answer_to_the_kernel(page, tmp_path):
    need_browser()
    write_notebook(tmp_path / "quiz.ipynb", CELLS)
    server = JupyterServer("lab", tmp_path)
    questions = TorchGraph(sin_example, [2, 3, 4]).quiz().quiz["questions"]
    try:
        page.goto(server.url("quiz.ipynb"))
        run_all_cells(page)
        assert cell_errors(page) == []
        player = page.locator(".jp-OutputArea-output .ag-player").first
        player.wait_for(timeout=30_000)
        player.get_by_role("button", name="Next step").click()
        answer = player.get_by_label("Your answer")
        answer.fill("1")  # wrong: a hint
        answer.press("Enter")
        assert "cos(v2)" in player.get_by_role("status").inner_text()
        answer.fill("")
        page.keyboard.type("-0.8391")  # key by key: digits and − are not the notebook's shortcuts here
        answer.press("Enter")
        assert player.get_by_role("status").inner_text().startswith("✓ Right")
        assert page.locator(".jp-Notebook .jp-CodeCell").count() == 2  # no cell became markdown or was added
        for q in questions[1:]:
            player.get_by_role("button", name="Next step").click()
            answer.fill(typed(q["answer"]).replace("-", "−"))  # the real minus sign reads too
            answer.press("Enter")
        assert player.locator(".ag-quiz-score").inner_text() == "4 of 5 right first time"
        player.scroll_into_view_if_needed()
        page.screenshot(path=artifact("quiz-lab.png"))
        expected = [
            {"step": q["frame"], "node": q["name"], "correct": True, "tries": 2 if i == 0 else 1}
            for i, q in enumerate(questions)
        ]
        check = (
            "got = [{k: r[k] for k in ('step', 'node', 'correct', 'tries')} for r in quiz.results]\n"
            f"assert got == {expected!r}, got\n"
            "assert abs(quiz.results[0]['answer'][0] + 0.8391) < 1e-9, quiz.results[0]"
        )
        page.wait_for_timeout(300)  # the last answer crosses to the kernel
        assert run_code(page, check) == "ok"
        assert run_code(page, "assert quiz.results == [{}]") == "error"  # the check can fail
    finally:
        server.stop()
