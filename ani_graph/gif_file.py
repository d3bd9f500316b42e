"""GIF files written from RGB frames of one size, each frame after the first storing only what changed.

The frames share one palette (`palette.shared_palette`: the colours that cover most pixels
in some frame, exact), counted and looked up only where a frame differs from the one
before. Each later frame stores the rectangle around its changed pixels, with every
pixel that kept its colour transparent (palette index 255, which the palette leaves
free), so it shows the frame before through. Pillow encodes each rectangle (LZW); this
module writes the file around them.

A frame may say where it can differ from the frame before it, so only there are the two
compared: a slide of `images.Slides.stream` carries the boxes drawn again with the pixels
they held before (`info["before"]`), one of `Slides.image` its number and the boxes drawn
again since the slide before (`info["slide"]`, `info["since"]`); any other frame is
compared whole with the frame before.

>>> from PIL import Image
>>> import io
>>> frames = [Image.new("RGB", (8, 4), (220, 235, 250)) for _ in range(2)]
>>> frames[1].putpixel((5, 2), (30, 30, 30))
>>> out = io.BytesIO()
>>> write_gif(frames, out, duration_ms=500)
>>> gif = Image.open(out)
>>> gif.n_frames, gif.convert("RGB").getpixel((5, 2)), (gif.seek(1), gif.convert("RGB").getpixel((5, 2)))[1]
(2, (220, 235, 250), (30, 30, 30))
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from typing import IO, Any

BAND = 16  # rows per band when finding the changed areas of a frame
CLEAR = 255  # the palette index that leaves the pixel of the frame before (transparent)

Box = tuple[int, int, int, int]


def packed(image: Any) -> Any:
    """The pixels of an RGB image as one number each (R in the low byte), an array of rows."""
    import numpy as np

    flat = np.frombuffer(image.tobytes("raw", "RGBX"), dtype="<u4") & 0xFFFFFF
    return flat.reshape(image.height, image.width)


def _before(image: Any, before: Any) -> list[tuple[Box, Any]]:
    """The boxes where `image` may differ from the frame before it, each with the pixels it held there:
    as its slide kept them (`Slides.stream`), else cut from `before` where its slide says it drew again
    (`Slides.image`), else all of it."""
    own = image.info.get("before")
    if own is not None:
        return own
    since, previous = image.info.get("since"), before.info.get("slide")
    width, height = image.size
    if since is None or previous is None or since[0] != previous:
        return [((0, 0, width, height), before)]
    inside = [(max(a, 0), max(b, 0), min(c, width), min(d, height)) for a, b, c, d in since[1]]
    return [(box, before.crop(box)) for box in inside if box[0] < box[2] and box[1] < box[3]]


def changed_boxes(image: Any, before: list[tuple[Box, Any]], band: int = BAND) -> list[Box]:
    """Boxes (x0, y0, x1, y1) covering every pixel where `image` differs from what `before` says each box
    held (outside those boxes nothing changed): per band of `band` rows from the first changed row, the
    box around its changed pixels."""
    from PIL import ImageChops

    diffs = []  # (box's corner, its difference, the box of the changes in it)
    for (x0, y0, x1, y1), old in before:
        now = image if (x0, y0, x1, y1) == (0, 0, *image.size) else image.crop((x0, y0, x1, y1))
        diff = ImageChops.difference(now, old)
        box = diff.getbbox()
        if box is not None:
            diffs.append(((x0, y0), diff, (box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0)))
    out: list[Box] = []
    for top in range(min((w[1] for *_, w in diffs), default=0), max((w[3] for *_, w in diffs), default=0), band):
        found = []
        for (x0, y0), diff, (a, b, c, d) in diffs:
            b, d = max(b, top), min(d, top + band)
            box = diff.crop((a - x0, b - y0, c - x0, d - y0)).getbbox() if b < d else None
            if box is not None:
                found.append((box[0] + a, box[1] + b, box[2] + a, box[3] + b))
        if found:
            out.append((min(f[0] for f in found), min(f[1] for f in found),
                        max(f[2] for f in found), max(f[3] for f in found)))  # fmt: skip
    return out


def _change(image: Any, before: Any) -> tuple[list[Box], Any]:
    """The boxes where a frame differs from the frame before, and their pixels one after the other as an
    RGB image one pixel tall (None when nothing changed)."""
    from PIL import Image

    if image.size != before.size:
        raise ValueError(f"the frames of a GIF must have one size: {before.size} is followed by {image.size}")
    boxes = changed_boxes(image, _before(image, before))
    data = b"".join(image.crop(box).tobytes() for box in boxes)
    return boxes, Image.frombytes("RGB", (len(data) // 3, 1), data) if data else None


def _indexes(image: Any, table: Any, rows: int = 32) -> Any:
    """The palette index of every pixel of `image`, looked up `rows` rows at a time (small buffers, reused)."""
    import numpy as np

    out = np.empty((image.height, image.width), dtype=np.uint8)
    for top in range(0, image.height, rows):
        part = image.crop((0, top, image.width, min(top + rows, image.height)))
        out[top : top + part.height] = table[packed(part)]
    return out


def _header(size: tuple[int, int], palette: bytes, loop: int) -> bytes:
    """GIF89a, the screen, the global palette (256 entries), and the looping extension."""
    table = palette.ljust(768, b"\0")
    screen = b"GIF89a" + struct.pack("<HHBBB", size[0], size[1], 0x80 | 7, 0, 0)
    return screen + table + b"!\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loop) + b"\0"


def _encoded(index: Any, offset: tuple[int, int], duration_ms: int, clear: bool) -> bytes:
    """One frame's control extension, descriptor and LZW data (Pillow's encoder) for the index rows."""
    from PIL import GifImagePlugin, Image

    params: dict[str, Any] = {"duration": duration_ms} | ({"transparency": CLEAR} if clear else {})
    return b"".join(GifImagePlugin.getdata(Image.fromarray(index, "P"), offset, **params))


def _rectangle(index: Any, boxes: list[Box], values: Any) -> tuple[Any, tuple[int, int]] | None:
    """Frame indexes `values` (one box after the other) written into `index`, and the rectangle around
    the boxes as the GIF stores it: the new index where it changed, `CLEAR` elsewhere (None: no change)."""
    import numpy as np

    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    rows, at, changed = np.full((y1 - y0, x1 - x0), CLEAR, dtype=np.uint8), 0, False
    for a, b, c, d in boxes:
        new = values[at : at + (c - a) * (d - b)].reshape(d - b, c - a)
        at += new.size
        differs = new != index[b:d, a:c]
        changed = changed or bool(differs.any())
        rows[b - y0 : d - y0, a - x0 : c - x0] = np.where(differs, new, CLEAR)
        index[b:d, a:c] = new
    return (rows, (x0, y0)) if changed else None


def write_gif(images: Iterable, out: IO[bytes], duration_ms: int, loop: int = 0) -> None:
    """RGB images of one size as a looping GIF written to `out`; a frame equal to the one before
    lengthens that one's time instead. The images are read one after the other and only the
    frame before each is kept."""
    from .palette import shared_palette

    frames = iter(images)
    first = next(frames, None)
    if first is None:
        raise ValueError("a GIF needs at least one frame")
    if "before" in first.info:  # a slide drawn on one canvas (`Slides.stream`): the next one draws over it
        first = first.copy()
    changes, before = [], first
    for image in frames:
        changes.append(_change(image, before))
        before = image
    del before
    palette, table = shared_palette([[first], *([strip] for _, strip in changes if strip is not None)])
    index = _indexes(first, table)
    out.write(_header(first.size, palette, loop))
    blocks = [[index.copy(), (0, 0), duration_ms, False]]
    for boxes, strip in changes:
        rectangle = None if strip is None else _rectangle(index, boxes, table[packed(strip)[0]])
        if rectangle is None:
            blocks[-1][2] += duration_ms  # nothing changed: the frame before stays longer
        else:
            out.write(_encoded(*blocks[-1]))
            blocks[-1] = [*rectangle, duration_ms, True]
    out.write(_encoded(*blocks[-1]) + b";")
