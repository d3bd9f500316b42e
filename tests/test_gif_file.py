"""The GIF writer (`gif_file.py`): every frame reads back as the slide it was given, a slide's own account
of what it drew again finds the same changes as comparing whole frames, frames equal to the one before
lengthen it, and long rectangles' masks drawn short and stretched equal masks drawn whole."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image

from ani_graph import TorchGraph
from ani_graph import raster_shapes as rs
from ani_graph.examples import sin_example
from ani_graph.gif_file import changed_boxes, write_gif
from ani_graph.images import SLIDE, Slides


def pixels(image) -> np.ndarray:
    return np.asarray(image.convert("RGB"), dtype=np.int16)


def lesson_slides() -> list:
    anim = TorchGraph(sin_example, [2, 3, 4]).animate("both")
    slides = Slides(anim.frames, SLIDE, anim._scene(0, lights=False))
    return [slides.image(anim._scene(i), i) for i in range(len(anim.frames))]


def read_back(data: bytes) -> list[tuple[np.ndarray, int]]:
    with Image.open(io.BytesIO(data)) as gif:
        out = []
        for k in range(gif.n_frames):
            gif.seek(k)
            out.append((pixels(gif), gif.info["duration"]))
        return out


def test_slides_streamed_on_one_canvas_equal_slides_drawn_one_by_one(tmp_path):
    anim = TorchGraph(sin_example, [2, 3, 4]).animate("both")
    path = anim.save(tmp_path / "lesson1.gif")  # the slides are one canvas drawn on again, never copied
    frames = read_back(path.read_bytes())
    out = io.BytesIO()
    write_gif(lesson_slides(), out, anim.interval_ms)  # slides copied one by one
    assert path.read_bytes() == out.getvalue()
    assert len(frames) == len(anim.frames)


def test_each_frame_reads_back_as_its_slide_and_stores_only_a_rectangle():
    slides = lesson_slides()
    out = io.BytesIO()
    write_gif(iter(slides), out, 700)  # a generator is read once, in turn
    frames = read_back(out.getvalue())
    assert len(frames) == len(slides)
    for (frame, duration), slide in zip(frames, slides):
        original, back = pixels(slide), frame
        assert duration == 700
        assert np.abs(back - original).mean() < 0.1
        counts = slide.getcolors(1 << 16)
        for count, colour in counts:
            if count > 0.0005 * slide.width * slide.height:  # a fill keeps its colour exactly
                same = (original == colour).all(axis=-1)
                assert (back[same] == colour).all()
    with Image.open(io.BytesIO(out.getvalue())) as gif:
        gif.seek(1)
        x0, y0, x1, y1 = gif.tile[0][1]
        assert (x1 - x0) * (y1 - y0) < 0.6 * SLIDE[0] * SLIDE[1]  # frame 2 stores the rectangle that changed


def test_the_slides_account_of_what_changed_finds_what_comparing_whole_frames_finds():
    slides = lesson_slides()
    for before, image in zip(slides, slides[1:]):
        since = image.info["since"]
        assert since[0] == before.info["slide"]
        hinted = changed_boxes(image, [(box, before.crop(box)) for box in since[1]])
        whole = changed_boxes(image, [((0, 0, *image.size), before)])
        assert hinted == whole and hinted
        differs = (pixels(image) != pixels(before)).any(axis=-1)
        covered = np.zeros_like(differs)
        for x0, y0, x1, y1 in hinted:
            covered[y0:y1, x0:x1] = True
        assert not (differs & ~covered).any()  # every changed pixel is in a box


def test_plain_images_without_an_account_are_compared_whole_and_repeats_lengthen_a_frame():
    red = Image.new("RGB", (40, 20), (200, 30, 30))
    blue = red.copy()
    blue.paste((20, 40, 220), (5, 5, 15, 12))
    out = io.BytesIO()
    write_gif([red, red.copy(), blue, blue.copy(), blue.copy()], out, 100)
    frames = read_back(out.getvalue())
    assert [d for _, d in frames] == [200, 300]
    assert (frames[0][0] == (200, 30, 30)).all()
    assert (frames[1][0] == pixels(blue)).all()


def test_frames_of_two_sizes_are_refused():
    with pytest.raises(ValueError, match="one size"):
        write_gif([Image.new("RGB", (8, 8)), Image.new("RGB", (9, 8))], io.BytesIO(), 100)
    with pytest.raises(ValueError, match="at least one frame"):
        write_gif([], io.BytesIO(), 100)


def direct_fill(box, radius):
    return rs._coverage(box, lambda draw, at, k: rs._box_shape(draw, at, k, "rect", box, radius, 255))


def direct_ring(box, radius, width):
    def paint(draw, at, k):
        rs._box_shape(draw, at, k, "rect", rs._grow(box, width / 2), radius + width / 2 if radius else 0.0, 255)
        rs._box_shape(draw, at, k, "rect", rs._grow(box, -width / 2), max(radius - width / 2, 0.0), 0)

    return rs._coverage(rs._grow(box, width / 2), paint)


def test_long_rectangles_drawn_short_and_stretched_equal_rectangles_drawn_whole():
    rng = random.Random(15)
    stretched = 0
    for _ in range(120):
        x0, y0 = rng.uniform(0, 40), rng.uniform(0, 40)
        box = (x0, y0, x0 + rng.uniform(1, 500), y0 + rng.uniform(1, 300))
        radius, width = rng.choice([0.0, rng.uniform(0, 24)]), rng.uniform(0.5, 6)
        for made, direct in ((rs._filled("rect", box, radius), direct_fill(box, radius)),
                             (rs._ring("rect", box, radius, width), direct_ring(box, radius, width))):  # fmt: skip
            assert made[1] == direct[1]
            assert (np.asarray(made[0]) == np.asarray(direct[0])).all(), (box, radius, width)
        stretched += box[2] - box[0] - 2 * (radius + 2) >= rs.STRETCH_FROM
    assert stretched > 30  # most cases took the short way
