"""GIF palettes that keep the drawing's own colours exact.

A slide has a few flat colours (the white page, the box fills, the text) covering almost
every pixel, and a few thousand antialiasing shades between them. `shared_palette` gives
all frames of a GIF one palette: the 255 colours that cover most pixels in some frame, kept
exactly (so each frame's fills never shift, where Pillow's adaptive median cut once turned
pale fills grey), and a table mapping every other colour to the nearest of them. With one
palette the GIF stores only the pixels that changed (`gif_file`).

>>> from PIL import Image
>>> image = Image.new("RGB", (4, 2), (220, 235, 250))
>>> image.putpixel((0, 0), (30, 30, 30))
>>> palette, table = shared_palette([[image]])
>>> palette[:6] == bytes([220, 235, 250, 30, 30, 30]), int(table[30 | 30 << 8 | 30 << 16])
(True, 1)
"""

from __future__ import annotations

from typing import Any

MAX_COUNTED = 1 << 13  # colours counted at first per image (Pillow sizes its table by the limit)


class _Lookup:
    """A table from every 24-bit colour to a palette index, allocated once and reused."""

    table: Any = None


def _counts(images: list) -> tuple[Any, Any]:
    """(colours, pixels of each) over some RGB images together, colours packed with R in the low byte."""
    import numpy as np

    size = [image.width * image.height for image in images]  # a small limit first: Pillow sizes its table by it
    counted = [c for im, n in zip(images, size) for c in im.getcolors(min(n, MAX_COUNTED)) or im.getcolors(n)]
    n = np.array([c for c, _ in counted], dtype=np.int64)
    rgb = np.array([c for _, c in counted], dtype=np.int64).reshape(-1, 3)
    colours, where = np.unique(rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16), return_inverse=True)
    return colours, np.bincount(where.reshape(-1), weights=n).astype(np.int64)


def shared_palette(parts: list[list]) -> tuple[bytes, Any]:
    """One palette for frames given as the parts (RGB images) each adds: the 255 colours that cover most
    pixels in some frame's parts, kept exact (so every frame's fills are), and a table from each colour
    to its nearest entry. (Index 255 stays free: the GIF writer marks unchanged pixels with it.)"""
    import numpy as np

    counted = [_counts(images) for images in parts if images]
    colours = np.concatenate([c for c, _ in counted])
    pixels = np.concatenate([n for _, n in counted])
    order = np.lexsort((-pixels, colours))  # by colour, the largest count first
    first = np.ones(len(order), dtype=bool)
    first[1:] = colours[order][1:] != colours[order][:-1]
    best = order[first]
    ranked = colours[best][np.argsort(-pixels[best], kind="stable")]
    unpacked = np.stack([ranked & 0xFF, (ranked >> 8) & 0xFF, ranked >> 16], axis=1)
    kept = unpacked[:255]
    # |c - k|² less |c|², per c, in integers: a float product would go to BLAS, whose threads spin on a busy machine
    distance = (kept * kept).sum(axis=1)[None, :] - 2 * unpacked @ kept.T
    if _Lookup.table is None:
        _Lookup.table = np.zeros(1 << 24, dtype=np.uint8)
    _Lookup.table[ranked] = distance.argmin(axis=1).astype(np.uint8)
    return kept.astype(np.uint8).tobytes(), _Lookup.table
