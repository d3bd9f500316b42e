"""The frame schedule and the Animation object, checked against autograd's numbers."""

import base64
import json
import re

import pytest
import torch

from ani_graph import TorchGraph
from ani_graph.examples import chain_rule
from ani_graph.examples import product as func_mult
from ani_graph.format import format_tensor
from ani_graph.payload import encode, unpack


def test_frame_is_settable_and_validated():
    anim = TorchGraph(func_mult, [2, 3], [2]).animate()
    anim.frame = 2
    assert anim.frame == 2
    assert anim.widget.frame == 2
    anim.frame = 1
    assert anim.widget.frame == 1
    with pytest.raises(IndexError, match="0 to 2"):
        anim.frame = 3
    with pytest.raises(TypeError):
        anim.frame = "2"
    with pytest.raises(ValueError, match="interval_ms"):
        TorchGraph(func_mult, [2, 3]).animate(interval_ms=0)


def test_widget_holds_the_svg_and_frames_once():
    anim = TorchGraph(func_mult, [2, 3], [2]).animate(interval_ms=600)
    w = anim.widget
    assert w.svg.startswith("<svg") and w.frames == anim.frames
    assert w.interval_ms == 600 and w.playing is False
    assert "export default" in w._esm


def test_the_notebook_output_is_the_html_player_and_a_poster_with_no_widget_model_to_lose():
    # a notebook reopened without its kernel has no widget models: nothing shown may need one
    anim = TorchGraph(func_mult, [2, 3], [2]).animate()
    bundle = anim._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/png", "text/plain"}
    before_script = bundle["text/html"].split("<script")[0]
    # the drawing is an image: JupyterLab keeps it when it strips an untrusted notebook's SVG and scripts
    assert "<svg" not in before_script
    src = re.search(r'<img class="ag-still"[^>]* src="data:image/svg\+xml;base64,([^"]+)"', before_script).group(1)
    still = base64.b64decode(src).decode("utf-8")
    assert still == anim._svg() and still.count('class="ag-node') == 4
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"
    assert set(anim._repr_mimebundle_(include={"text/plain"})) == {"text/plain"}


def test_the_still_drawing_shows_every_value_and_gradient():
    g = TorchGraph(func_mult, [2, 3], [2])
    svg = g.animate()._svg()
    a, b = torch.tensor(2.0, requires_grad=True), torch.tensor(3.0, requires_grad=True)
    ga, gb = torch.autograd.grad(a * b, [a, b], torch.tensor(2.0))
    grads = re.findall(r'class="ag-grad"[^>]*>([^<]*)<', svg)
    assert sorted(grads) == sorted([format_tensor(ga), format_tensor(gb), "2"])


def test_setting_frame_redraws_every_notebook_output_of_the_animation():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    InteractiveShell.instance()
    anim = TorchGraph(func_mult, [2, 3], [2]).animate()
    with capture_output() as shown:
        anim._ipython_display_()
        anim._ipython_display_()  # the same animation twice: both outputs follow
        anim.frame = 2
    first, second, update = shown.outputs
    assert first.transient["display_id"] == second.transient["display_id"] == update.transient["display_id"]
    assert update.update and not first.update
    state = re.search(r'<script type="application/json" class="ag-state">(.*?)</script>', update.data["text/html"])
    assert unpack(json.loads(state.group(1)))["frame"] == 2
    assert anim.frame == 2


def test_to_html_is_self_contained_and_shows_the_drawing_without_script():
    anim = TorchGraph(chain_rule, [2, 1]).animate(direction="both")
    page = anim.to_html()
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "fetch(" not in page
    body_before_script = page.split("<script")[0]
    assert "<svg" in body_before_script  # visible before any script runs
    state = unpack(json.loads(re.search(r'<script type="application/json"[^>]*>(.*?)</script>', page, re.S).group(1)))
    assert state["frames"] == anim.frames


def test_save_chooses_the_writer_by_suffix(tmp_path):
    anim = TorchGraph(func_mult, [2, 3], [2]).animate()
    html = anim.save(tmp_path / "backprop.html")
    assert html.read_text().startswith("<!DOCTYPE html>")
    gif = anim.save(tmp_path / "backprop.gif")
    from PIL import Image

    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == len(anim.frames)
    with pytest.raises(ValueError, match=r"\.html, \.gif or \.mp4"):
        anim.save(tmp_path / "backprop.mov")


def test_image_frames_carry_the_caption_in_a_panel_coloured_by_phase():
    from ani_graph.style import PHASE_COLOURS, rgb

    anim = TorchGraph(func_mult, [2, 3], [2]).animate(direction="both")
    images = [anim.frame_image(i) for i in range(len(anim.frames))]
    for image, f in zip(images, anim.frames):
        bar = max(  # the panel's left bar: the most saturated pixel in the strip under the drawing
            (image.getpixel((x, image.height - 12)) for x in range(0, 40)), key=lambda c: max(c) - min(c)
        )
        assert bar == rgb(PHASE_COLOURS[f["phase"]])
    # one panel per frame; its height follows the text, so long captions wrap instead of being cut
    width = images[0].width
    assert all(i.width == width for i in images)
    with pytest.raises(IndexError):
        anim.frame_image(len(anim.frames))


def test_html_is_the_drawing_once_plus_small_frame_deltas():
    def chain(n):
        def f(x):
            for _ in range(n):
                x = x * 1.5
            return x

        return TorchGraph(f, [1.0]).animate(direction="both")

    overheads = []
    for anim in (chain(10), chain(40)):
        page = anim.to_html()
        svg = anim._svg()
        assert page.count(svg) == 1
        # the packed state block, as the page holds it
        frames_json = re.search(r'class="ag-state">(.*?)</script>', page, re.S).group(1)
        assert len(frames_json) / len(anim.frames) < 400  # a frame is a small delta
        # the inspect panels' data is one JSON block, a small entry per box
        panels = encode(anim.inspect_data())
        assert page.count(panels) == 1
        assert len(panels.encode()) / len(anim.inspect_data()["nodes"]) < 300
        overheads.append(len(page.encode()) - len(svg.encode()) - len(frames_json.encode()) - len(panels.encode()))
    assert abs(overheads[1] - overheads[0]) < 200  # the rest is the player, whatever the size
