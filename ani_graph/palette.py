"""A GIF frame's palette: the frame's own most common colours, kept exact.

A slide has a few flat colours (the white page, the box fills, the text) covering almost
every pixel, and a few thousand antialiasing shades between them. `to_palette` keeps the
256 most common colours exactly and maps every other colour to the nearest of them, so a
fill never shifts (a palette shared by all frames once turned pale fills grey), and it is
several times faster than Pillow's adaptive median cut.

>>> from PIL import Image
>>> image = Image.new("RGB", (4, 2), (220, 235, 250))
>>> image.putpixel((0, 0), (30, 30, 30))
>>> frame = to_palette(image)
>>> frame.mode, frame.convert("RGB").getpixel((1, 1)), frame.convert("RGB").getpixel((0, 0))
('P', (220, 235, 250), (30, 30, 30))
"""

from __future__ import annotations

from typing import Any

MAX_COUNTED = 1 << 13  # a frame with more colours than this is left to Pillow's own quantizer


class _Lookup:
    """A table from every 24-bit colour to a palette index, allocated once and reused."""

    table: Any = None


def _packed_colours(colours):
    """(R, G, B) rows as one number each, R in the low byte (as `_packed_image` reads pixels)."""
    return colours[:, 0] | (colours[:, 1] << 8) | (colours[:, 2] << 16)


def _packed_image(image):
    """Every pixel of an RGB image as one number, R in the low byte."""
    import numpy as np

    flat = np.frombuffer(image.convert("RGBX").tobytes(), dtype="<u4") & 0xFFFFFF
    return flat.reshape(image.height, image.width)


def to_palette(image):
    """`image` (RGB) as a "P" image whose palette holds its 256 most common colours exactly."""
    import numpy as np
    from PIL import Image

    counted = image.getcolors(MAX_COUNTED)
    if counted is None:
        return image.convert("P", palette=Image.Palette.ADAPTIVE)
    counted.sort(key=lambda c: -c[0])
    colours = np.array([c for _, c in counted], dtype=np.int32)
    kept = colours[:256]
    # |c − k|² up to the term in c alone, which does not change the nearest k
    distance = (kept * kept).sum(axis=1)[None, :] - 2 * colours @ kept.T
    if _Lookup.table is None:
        _Lookup.table = np.zeros(1 << 24, dtype=np.uint8)
    table = _Lookup.table
    table[_packed_colours(colours)] = distance.argmin(axis=1).astype(np.uint8)
    frame = Image.fromarray(table[_packed_image(image)], "P")
    frame.putpalette(kept.astype(np.uint8).tobytes())
    return frame
