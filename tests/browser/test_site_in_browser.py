"""The lessons' website in a real browser from file://: the index lists six lessons, lesson 1
opens, its first animation steps both ways with the buttons, a quiz accepts a right answer,
every picture loads, nothing is logged as an error and no request leaves the machine."""

from __future__ import annotations

import pytest

from ani_graph import TorchGraph

from .conftest import artifact

LOCAL = ("file:", "data:", "blob:", "about:")


def watch(page) -> list[str]:
    """Every request of the page that would leave the machine."""
    leaving: list[str] = []
    page.on("request", lambda r: leaving.append(r.url) if not r.url.startswith(LOCAL) else None)
    return leaving


def pictures(page) -> list[list]:
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=30_000)
    return page.evaluate("Array.from(document.images).map(i => [i.alt, i.naturalWidth])")


@pytest.mark.notebook
def test_index_opens_lesson_one_whose_first_animation_steps_both_ways(built_site, page):
    leaving = watch(page)
    page.goto((built_site / "index.html").as_uri())
    links = page.locator("ol.lessons a")
    assert links.count() == 6
    assert [links.nth(i).inner_text().split(" ·")[0] for i in range(6)] == [f"Lesson {n}" for n in range(1, 7)]
    page.screenshot(path=artifact("site-index.png"))

    links.first.click()
    page.wait_for_load_state()
    assert page.url.endswith("01_computation_graph.html")
    player = page.locator(".ag-player").first
    player.wait_for(timeout=15_000)
    player.scroll_into_view_if_needed()
    slider = player.locator("input[type=range]")
    caption = player.locator(".ag-caption")
    start, first_caption = int(slider.input_value()), caption.inner_text()
    player.locator("button[aria-label='Next step']").click()
    player.locator("button[aria-label='Next step']").click()
    assert int(slider.input_value()) == start + 2 and caption.inner_text() != first_caption
    page.wait_for_timeout(600)  # let the step's highlight settle for the picture
    page.screenshot(path=artifact("site-lesson1-stepped.png"))
    player.locator("button[aria-label='Previous step']").click()
    assert int(slider.input_value()) == start + 1

    shown = pictures(page)
    assert shown and all(width > 0 for _, width in shown), shown
    assert page.errors == []
    assert leaving == []


@pytest.mark.notebook
@pytest.mark.parametrize("name", ["02_chain_rule", "04_training_step", "06_vector_jacobian_product"])
def test_other_lessons_show_every_picture_and_player_offline(built_site, page, name):
    leaving = watch(page)
    page.goto((built_site / f"{name}.html").as_uri())
    players = page.locator(".ag-player")
    players.first.wait_for(timeout=15_000)
    assert players.count() == page.locator(".ag-standalone").count()
    shown = pictures(page)
    assert all(width > 0 for _, width in shown), shown
    players.last.scroll_into_view_if_needed()
    players.last.locator("button[aria-label='Next step']").click()
    page.wait_for_timeout(600)
    page.screenshot(path=artifact(f"site-{name}.png"))
    assert page.errors == []
    assert leaving == []


@pytest.mark.notebook
def test_a_quiz_on_the_site_accepts_a_right_answer(built_site, page):
    def mul(a, b):  # lesson 1's product, quizzed at a = −2, b = 5 with upstream gradient 3
        p = a * b
        return p

    first = TorchGraph(mul, [-2, 5], [3]).quiz().quiz["questions"][0]
    leaving = watch(page)
    page.goto((built_site / "01_computation_graph.html").as_uri())
    quiz = page.locator(".ag-player:has(.ag-quiz)").first
    quiz.wait_for(timeout=15_000)
    quiz.scroll_into_view_if_needed()
    ask = quiz.locator(".ag-quiz-ask")
    for _ in range(4):  # step on until the player stops to ask
        if ask.is_visible():
            break
        quiz.locator("button[aria-label='Next step']").click()
    assert quiz.locator(".ag-quiz-prompt").inner_text() == first["prompt"] + " ="
    answer = quiz.locator(".ag-quiz-input")
    answer.fill(", ".join(f"{v:.6g}" for v in first["answer"]))
    answer.press("Enter")
    assert quiz.locator(".ag-quiz-status").inner_text().startswith("✓ Right")
    page.screenshot(path=artifact("site-lesson1-quiz.png"))
    assert page.errors == []
    assert leaving == []
