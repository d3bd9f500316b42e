"""GIF frames drawn with one reused matplotlib figure (redrawing only what changed) look like frames
drawn afresh, pixel for pixel; slides drawn with Pillow (no matplotlib, for drawings without
mathtext) look like matplotlib's up to antialiasing shades; and the GIF's palettes keep the
drawing's own colours exact."""

from __future__ import annotations

import io
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

from ani_graph import TorchGraph, record, trackable_function
from ani_graph.examples import sin_example, tiny_regression
from ani_graph.gif_file import write_gif
from ani_graph.images import SLIDE, Slides, camera, save_gif
from ani_graph.mpl_frames import FramePainter
from ani_graph.raster import RasterPainter
from ani_graph.render_mpl import scene_to_image
from ani_graph.style import CARD_COLOUR, CLUSTER_FILL, KIND_COLOURS, rgb


def lesson_one():
    return TorchGraph(sin_example, [2, 3, 4]).animate("both")


def heatmap():
    g = TorchGraph(lambda W, x: torch.tanh(W @ x).sum(), [torch.linspace(-1, 1, 6).reshape(2, 3), torch.ones(3)])
    return g.animate("both", tensors="heatmap")


def training():
    model, x, y = tiny_regression()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with record() as rec:
        for _ in range(2):
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(x), y).backward()
            opt.step()
    return rec.animate()


def pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


@pytest.mark.parametrize("make", [lesson_one, heatmap, training], ids=["lesson1", "heatmap", "training"])
def test_a_reused_figure_draws_every_frame_as_a_fresh_figure_does(make):
    anim = make()
    painter = FramePainter()
    area = (SLIDE[0], SLIDE[1] - 160)
    for index in range(len(anim.frames)):
        scene = anim._scene(index)
        scale, window = camera(scene, area)
        reused, fresh = pixels(painter.image(scene, scale, window)), pixels(scene_to_image(scene, scale, window))
        assert reused.shape == fresh.shape
        diff = np.abs(reused - fresh)
        assert diff.max() == 0, f"frame {index}: {(diff > 0).sum()} pixels differ, by up to {diff.max()}"
    assert painter.replaced < painter.built  # later frames rebuilt only part of the drawing


def test_slides_use_the_reused_figure_and_equal_slides_drawn_afresh():
    anim = lesson_one()
    slides = Slides(anim.frames, SLIDE, anim._scene(0, lights=False))
    first = [pixels(slides.image(anim._scene(i), i)) for i in range(len(anim.frames))]
    again = Slides(anim.frames, SLIDE, anim._scene(0, lights=False))
    last = len(anim.frames) - 1
    diff = np.abs(first[last] - pixels(again.image(anim._scene(last), last)))  # drawn after frames 0..n-2, and afresh
    assert diff.max() == 0


def colour_share(image: Image.Image, colour: tuple[int, int, int]) -> float:
    return float((pixels(image) == colour).all(axis=-1).mean())


def gif_frames(slides: list) -> list:
    """The slides written as a GIF (one shared palette) and read back, as RGB images."""
    out = io.BytesIO()
    write_gif(iter(slides), out, 700)
    with Image.open(out) as gif:
        frames = []
        for k in range(gif.n_frames):
            gif.seek(k)
            frames.append(gif.convert("RGB"))
        return frames


def test_the_gif_palette_keeps_fills_exact_and_other_shades_close():
    anim = heatmap()
    image = anim.frame_image(len(anim.frames) - 1, SLIDE)
    (mapped,) = gif_frames([image.copy()])
    original, back = pixels(image), pixels(mapped)
    counts = image.getcolors(1 << 16)
    cut = sorted(counts, reverse=True)[254][0]  # colours more common than the 255th (ties may go either way)
    for _, colour in (c for c in counts if c[0] > cut):  # every fill is among them: it comes back exact
        same = (original == colour).all(axis=-1)
        assert (back[same] == colour).all()
    fills = [CARD_COLOUR, CLUSTER_FILL] + [fill for _, fill in KIND_COLOURS.values()]
    shown = [fill for fill in fills if colour_share(image, rgb(fill)) > 0.001]  # a box's fill, not a stray shade
    assert len(shown) >= 3  # the card, and pale node fills such as the input's
    for fill in shown:  # a pale fill keeps its colour (it never turns grey)
        assert colour_share(mapped, rgb(fill)) >= colour_share(image, rgb(fill))
    assert np.abs(back - original).mean() < 0.1


def test_a_saved_gif_reads_back_as_its_slides(tmp_path):
    anim = lesson_one()
    path = anim.save(tmp_path / "lesson1.gif")
    slides = [anim.frame_image(i, SLIDE) for i in range(len(anim.frames))]
    with Image.open(path) as gif:
        assert gif.n_frames == len(slides)
        for index, slide in enumerate(slides):
            gif.seek(index)
            diff = np.abs(pixels(gif) - pixels(slide))
            assert diff.mean() < 0.1 and (diff == 0).mean() > 0.99


def test_save_gif_takes_rgba_and_rgb_images(tmp_path):
    images = [Image.new("RGBA", (8, 4), (255, 0, 0, 255)), Image.new("RGB", (8, 4), (0, 0, 255))]
    save_gif(images, tmp_path / "two.gif", 2)
    with Image.open(tmp_path / "two.gif") as gif:
        gif.seek(1)
        assert gif.convert("RGB").getpixel((3, 2)) == (0, 0, 255)


# ----- slides drawn with Pillow (no matplotlib) ------------------------------------------------------


@pytest.mark.parametrize("make", [lesson_one, heatmap, training], ids=["lesson1", "heatmap", "training"])
def test_pillow_slides_look_like_matplotlibs_drawing_up_to_antialiasing(make):
    """The Pillow path places every shape and glyph where matplotlib does: only edge shades differ."""
    anim = make()
    painter = RasterPainter()
    area = (SLIDE[0], SLIDE[1] - 160)
    for index in range(len(anim.frames)):
        scene = anim._scene(index)
        assert RasterPainter.can_draw(scene)
        scale, window = camera(scene, area)
        ours, theirs = pixels(painter.image(scene, scale, window)), pixels(scene_to_image(scene, scale, window))
        assert ours.shape == theirs.shape
        diff = np.abs(ours - theirs).max(axis=-1)
        assert diff.mean() < 2.5, f"frame {index}: mean difference {diff.mean():.2f}"
        assert (diff > 96).mean() < 0.005, (
            f"frame {index}: {(diff > 96).sum()} pixels far off"
        )  # a shifted glyph or shape


@pytest.mark.parametrize("make", [lesson_one, training], ids=["lesson1", "training"])
def test_pillow_frames_drawn_in_turn_equal_frames_drawn_afresh(make):
    anim = make()
    painter = RasterPainter()
    area = (SLIDE[0], SLIDE[1] - 160)
    for index in range(len(anim.frames)):
        scene = anim._scene(index)
        scale, window = camera(scene, area)
        reused = pixels(painter.image(scene, scale, window))  # only the changed areas composed again
        assert (reused == pixels(RasterPainter().image(scene, scale, window))).all(), f"frame {index}"


def test_a_mathtext_label_is_drawn_by_matplotlib_on_a_slide():
    Sig = trackable_function(
        type(
            "Sig",
            (torch.autograd.Function,),
            {
                "name": "$\\sigma^2$",
                "forward": staticmethod(lambda ctx, x: x.sigmoid()),
                "backward": staticmethod(lambda ctx, g: g),
            },
        )
    )
    anim = TorchGraph(lambda x: Sig.apply(x) * 2, [0.5]).animate("both")
    assert not RasterPainter.can_draw(anim._scene(0))
    slides = Slides(anim.frames, SLIDE, anim._scene(0, lights=False))
    slides.image(anim._scene(1), 1)
    assert isinstance(slides._painter(anim._scene(1)), FramePainter)
    assert not RasterPainter.can_draw(anim._scene(1))


def test_saving_a_gif_of_plain_labels_never_imports_matplotlib(tmp_path):
    script = f"""
import sys
import torch
from ani_graph import TorchGraph
from ani_graph.examples import sin_example
anim = TorchGraph(sin_example, [2, 3, 4]).animate("both")
anim.save({str(tmp_path / "sin.gif")!r})
print("matplotlib" in sys.modules)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    with Image.open(tmp_path / "sin.gif") as gif:
        assert gif.n_frames == len(lesson_one().frames)


def test_the_shared_gif_palette_keeps_every_frames_fills_exact():
    anim = heatmap()
    slides = [anim.frame_image(i, SLIDE).copy() for i in range(len(anim.frames))]
    frames = gif_frames(slides)
    assert len(frames) == len(slides)
    for slide, frame in zip(slides, frames):
        original, back = pixels(slide), pixels(frame)
        for count, colour in slide.getcolors(1 << 16):
            if count > 0.0005 * slide.width * slide.height:  # a fill (a heatmap cell, a box), not an edge shade
                same = (original == colour).all(axis=-1)
                assert (back[same] == colour).all(), f"{colour} ({count} pixels) is not kept exact"
        assert np.abs(back - original).mean() < 0.1
