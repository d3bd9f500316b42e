"""GIF palettes that keep the drawing's own colours exact.

A slide has a few flat colours (the white page, the box fills, the text) covering almost
every pixel, and a few thousand antialiasing shades between them. `to_palette` keeps one
image's 256 most common colours exactly and maps every other colour to the nearest of them,
so a fill never shifts (Pillow's adaptive median cut, shared by all frames, once turned pale
fills grey). `to_shared_palette` gives all frames of a GIF one such palette: the colours
that cover most pixels in some frame (so each frame's fills are exact), looked up only
where a frame differs from the one before; with one palette the GIF stores only the
pixels that changed.

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


def _changed(image, before, band: int) -> list[tuple[int, int, int, int]]:
    """Boxes (x0, y0, x1, y1) covering every pixel of `image` that differs from `before`: per band of
    rows inside the box of all changes, the span of its changed columns."""
    from PIL import ImageChops

    diff = ImageChops.difference(image, before)
    whole = diff.getbbox()
    if whole is None:
        return []
    out = []
    for top in range(whole[1], whole[3], band):
        box = diff.crop((whole[0], top, whole[2], min(top + band, whole[3]))).getbbox()
        if box is not None:
            out.append((whole[0] + box[0], top + box[1], whole[0] + box[2], top + box[3]))
    return out


def to_shared_palette(images: list, band: int = 16) -> list:
    """The frames (RGB, one size) as "P" images sharing one `shared_palette`. Only the first frame is
    counted and looked up whole; each later one only where it differs from the one before."""
    from PIL import Image

    boxes = [[(0, 0, *images[0].size)]] + [_changed(a, b, band) for a, b in zip(images[1:], images)]
    crops = [[image.crop(box) for box in bs] for image, bs in zip(images, boxes)]
    palette, table = shared_palette(crops)
    out: list = []
    index = table[_packed_image(images[0])]
    for changes, parts in zip(boxes, crops):
        if out:
            index = index.copy()
            for (x0, y0, x1, y1), part in zip(changes, parts):
                index[y0:y1, x0:x1] = table[_packed_image(part)]
        frame = Image.fromarray(index, "P")
        frame.putpalette(palette)
        out.append(frame)
    return out
