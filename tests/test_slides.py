"""GIF and MP4 files are slides a projector can show: drawing text at least 14 px, the lit step in view."""

from __future__ import annotations

import sys

import pytest
import torch
import torch.nn as nn
from PIL import Image

from ani_graph import TorchGraph, images, record
from ani_graph.examples import sin_example
from ani_graph.images import MIN_TEXT_PX, SLIDE, lit_box, min_font


@pytest.fixture(scope="module")
def lesson4_mlp():
    """Lesson 4's model, 1000 → 100 → 10 with a squared-error loss, recorded as the lesson does."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(1000, 100), nn.ReLU(), nn.Linear(100, 10))
    some_input, ideal_output = torch.randn(16, 1000), torch.randn(16, 10)
    with record() as rec:
        prediction = model(some_input)
        loss = (ideal_output - prediction).pow(2).sum()
    g = rec.graph(loss)
    model.zero_grad()
    ((ideal_output - model(some_input)) ** 2).sum().backward()
    assert torch.allclose(g.grad("0.weight"), model[0].weight.grad)
    return g.animate(direction="backward")


def test_lesson4_slides_have_drawing_text_at_least_14_px_and_show_the_lit_step(lesson4_mlp):
    anim = lesson4_mlp
    n = len(anim.frames)
    for i in (1, n // 2, n - 1):
        scene = anim._scene(i)
        image = anim.frame_image(i, SLIDE)
        assert image.size == SLIDE
        assert min_font(scene) * image.info["scale"] >= MIN_TEXT_PX
        scale, (x, y, w, h) = images.camera(scene, (SLIDE[0], SLIDE[1] - anim._slides[SLIDE].panel))
        assert scale == image.info["scale"] and w < scene.width  # too big for one slide: cropped
        x0, y0, x1, y1 = lit_box(scene)
        assert x <= x0 and x1 <= x + w and y <= y0 and y1 <= y + h  # the frame's step is in view


def test_a_small_graph_is_enlarged_to_fill_the_slide_and_not_cropped():
    anim = TorchGraph(sin_example, [2, 3, 4]).animate()
    image = anim.frame_image(-1, SLIDE)
    scene = anim._scene(len(anim.frames) - 1)
    assert not anim._slides[SLIDE].cropped
    assert min_font(scene) * image.info["scale"] >= 1.2 * MIN_TEXT_PX
    assert scene.width * image.info["scale"] == pytest.approx(SLIDE[0])  # as wide as the slide


def test_a_gif_is_one_slide_per_frame_at_the_default_size(tmp_path):
    anim = TorchGraph(sin_example, [2, 3, 4]).animate()
    with Image.open(anim.save(tmp_path / "sin.gif")) as gif:
        assert gif.size == SLIDE and gif.n_frames == len(anim.frames)
    with Image.open(anim.save(tmp_path / "small.gif", size=(640, 360))) as gif:
        assert gif.size == (640, 360)
    with pytest.raises(ValueError, match="whole pixels"):
        anim.save(tmp_path / "bad.gif", size=(1280,))


def test_an_mp4_is_written_with_ffmpeg(tmp_path):
    pytest.importorskip("imageio_ffmpeg")
    anim = TorchGraph(lambda a, b: a * b, [2, 3]).animate()
    data = anim.save(tmp_path / "product.mp4").read_bytes()
    assert data[4:8] == b"ftyp" and len(data) > 1000


def test_without_ffmpeg_saving_an_mp4_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(images.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    anim = TorchGraph(lambda a, b: a * b, [2, 3]).animate()
    with pytest.raises(RuntimeError, match="pip install imageio-ffmpeg"):
        anim.save(tmp_path / "product.mp4")
    assert not (tmp_path / "product.mp4").exists()
