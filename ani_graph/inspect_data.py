"""What the player's inspect panel shows for each box of the drawing, as plain JSON-ready data.

`inspect_payload(G, view, frames)` returns `{"palette": [...], "nodes": {box id: entry}}`.
Numbers are text, rounded as displayed (4 significant digits), so the page holds no
more digits than it shows. A tensor entry has `role` (its kind), `name`, `shape`, `dtype`
(left out for float32) and a `value` and `grad` block each (None without a gradient):

- `summary`: the badge text (`[3×5, mean 0.2]`);
- `table`: rows of number texts, when the tensor has 2 to `TABLE_MAX` elements;
- `heat`: for a 2-D tensor (or one above the table limit), a heatmap: `rows`, `cols`,
  `cells` (one letter per cell, row-major: `a` is `palette[0]`, see `cell_levels`; a string
  instead of a list of numbers keeps a page of a thousand heatmaps small and quick to pack),
  `limit` (the text of the scale's end)
  and `note` when the grid is a downsampled view (each cell the mean of a block).

The palette is `style.diverging` sampled at `2·LEVELS + 1` points from −limit to
+limit: the one colour scale of values and gradients, computed here, not in the page.

The page labels each box for screen readers from these ("tensor W1, 3 by 5", see
`spoken_shape`; "operation ×"). An op entry has `name` (the op), `label`, `rule` (the catalogue's local rule with the
graph's names), `after` (the first backward frame that reaches it, or None) and
`numbers` (per input, the rule with this graph's numbers: `∂p/∂x = w = 3`); a custom
`autograd.Function` without a rule also has `source`, its `backward` code.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda w, x: w * x, [3, 2])
>>> data = inspect_payload(g.nx, g.view(), g.frames())
>>> data["nodes"]["op0"]["numbers"], data["nodes"][g.node_id("w")]["value"]
(['∂out/∂w = x = 2', '∂out/∂x = w = 3'], {'summary': '3'})
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch

from . import captions as C
from . import style as S
from .format import format_number, format_numbers, format_tensor
from .frames import seeds
from .ops import info_of
from .style import math_to_text
from .view import View

TABLE_MAX = 100  # elements shown in full as a table
_FLOATS = (torch.float32, torch.float64)  # dtypes whose `tolist` gives Python floats as they are
HEAT_MAX = 64  # rows and columns of a heatmap; a larger tensor shows a downsampled view
LEVELS = 10  # palette steps on each side of 0
FIRST_LEVEL = "a"  # a heatmap's cells are one letter each: "a" the palette's first colour, "u" its last


def cell_levels(heat: dict) -> list[int]:
    """A heatmap's cells as indices into the palette, row-major (the page reads the letters the same way)."""
    return [ord(c) - ord(FIRST_LEVEL) for c in heat["cells"]]


def palette() -> list[str]:
    """The heatmap colours from −limit to +limit, `2·LEVELS + 1` of them, from `style.diverging`."""
    return list(_palette())


@functools.cache
def _palette() -> tuple[str, ...]:
    return tuple(S.diverging(k / LEVELS, 1.0) for k in range(-LEVELS, LEVELS + 1))


def _grid_shape(t: torch.Tensor) -> tuple[int, int]:
    """(rows, columns) of a tensor as 2-D rows: a vector is one row, higher dimensions stack their leading ones."""
    if t.dim() == 0:
        return 1, 1
    cols = t.shape[-1]
    return t.numel() // cols, cols


def _table(flat: list[float], cols: int) -> list[list[str]]:
    """Rows of number texts; a long vector (`cols` 0) wraps into rows of ten."""
    texts = format_numbers(flat)
    step = cols or 10
    return [texts[i : i + step] for i in range(0, len(texts), step)]


def _heat(t: torch.Tensor) -> dict:
    return _heats([t], *_grid_shape(t))[0]


BATCH_ELEMENTS = 1 << 22  # float64 elements stacked at most for one batch of heatmaps (32 MB)
BATCH_GRID = 1 << 14  # a larger tensor takes `_heat` alone: its own work outweighs a call's, and stacking copies it


def heat_maps(tensors: list) -> list[dict]:
    """`_heat` of each tensor, the same dicts, computed a batch of equal grids at a time.

    A page of a thousand heatmaps mostly shows a few shapes (a layer's weights, its activations):
    tensors whose grids have one shape are stacked, pooled and turned into letters with one
    torch call and a few numpy ones per batch instead of per tensor; the arithmetic per cell is
    the same, so the cells are too. Others (large, not on the CPU, complex) take `_heat` one by one.
    """
    out: list = [None] * len(tensors)
    groups: dict[tuple, list[int]] = {}
    for i, t in enumerate(tensors):
        if t.device.type == "cpu" and not t.dtype.is_complex and 0 < t.numel() <= BATCH_GRID:
            groups.setdefault((_grid_shape(t), tuple(t.shape), t.dtype), []).append(i)  # the shape: the note
        else:
            out[i] = _heat(t)
    for ((rows, cols), _, _), members in groups.items():
        step = max(1, BATCH_ELEMENTS // (rows * cols))
        for k in range(0, len(members), step):
            batch = members[k : k + step]
            for i, heat in zip(batch, _heats([tensors[i] for i in batch], rows, cols), strict=True):
                out[i] = heat
    return out


def _heats(tensors: list, rows: int, cols: int) -> list[dict]:
    """The heatmaps of tensors of one shape (as `rows`×`cols` grids), stacked: each grid pooled to at
    most `HEAT_MAX` × `HEAT_MAX` (with a note saying so), then one letter per cell (`cell_levels`).

    A grid's limit is its largest magnitude; a nan makes the limit nan and every cell the middle
    of the scale, an infinite limit puts its finite cells at 0 and ±inf at the ends."""
    plain = [t.detach() if t.requires_grad else t for t in tensors]  # `_block`'s are plain already
    if len(plain) == 1:
        grid = plain[0].reshape(1, rows, cols).double()
    else:  # one shape (`heat_maps` groups them so): one stack, one reshape, one conversion
        grid = torch.stack(plain).reshape(len(plain), rows, cols).double()
    note = ""
    if rows > HEAT_MAX or cols > HEAT_MAX:
        note = f"downsampled from {'×'.join(map(str, tensors[0].shape))}: each cell is the mean of a block"
        grid = torch.nn.functional.adaptive_avg_pool2d(grid, (min(rows, HEAT_MAX), min(cols, HEAT_MAX)))
    n, r, c = grid.shape
    grids = grid.cpu().resolve_neg().numpy()  # numpy: ~1 µs per step on small grids
    limits = np.abs(grids).max(axis=(1, 2))
    middle = ord(FIRST_LEVEL) + LEVELS
    normal = (limits > 0) & (limits < math.inf)
    letters = np.round(grids / np.where(normal, limits, 1.0)[:, None, None] * LEVELS) + middle
    if not normal.all():
        for odd in np.flatnonzero(~normal):
            if limits[odd] == math.inf:  # inf / inf is nan, which counts as 0, as do finite cells / inf
                with np.errstate(invalid="ignore"):
                    letters[odd] = (
                        np.nan_to_num(grids[odd] / limits[odd] * LEVELS).round().clip(-LEVELS, LEVELS) + middle
                    )
            else:  # all zero, or a nan
                letters[odd] = middle
    text = letters.astype(np.uint8).tobytes().decode("ascii")
    heats = []
    for k in range(n):
        heat = {
            "rows": r,
            "cols": c,
            "cells": text[k * r * c : (k + 1) * r * c],
            "limit": format_number(float(limits[k])),
        }
        heats.append({**heat, "note": note} if note else heat)
    return heats


def _block(t, summary: str = "", heats: list | None = None) -> dict | None:
    """A value's or gradient's panel; `summary` is its badge text when the caller has it already.

    With `heats`, a heatmap the panel shows is left out and (the block, the tensor) appended to
    `heats` instead, for `heat_maps` to make with the others."""
    if t is None:
        return None
    block: dict = {"summary": summary or format_tensor(t)}
    if not isinstance(t, torch.Tensor) or t.dtype.is_complex or t.numel() == 0:
        return block  # a summary of a huge tensor: statistics only
    if t.requires_grad:  # a graph's values and gradients mostly are not: no alias to make
        t = t.detach()
    count = t.numel()
    if 1 < count <= TABLE_MAX:  # one number is its summary
        # float32's and float64's own `tolist` gives the same Python floats, without a float64 copy
        flat = (t if t.dtype in _FLOATS else t.double()).reshape(-1).tolist()
        block["table"] = _table(flat, 0 if t.dim() == 1 and count > 10 else _grid_shape(t)[1])
    if (t.dim() == 2 and count > 1) or count > TABLE_MAX:
        if heats is None:
            block["heat"] = _heat(t)
        else:
            heats.append((block, t))
    return block


def spoken_shape(shape) -> str:
    """A shape as a screen reader should say it: `4 by 3`, `5 values`, `a scalar`."""
    shape = tuple(shape)
    if not shape:
        return "a scalar"
    if len(shape) == 1:
        return f"{shape[0]} values"
    return " by ".join(map(str, shape))


def tensor_entry(G, n, name: str, texts: tuple[str, str] = ("", ""), heats: list | None = None) -> dict:
    """A tensor's panel; the page says it as `tensor {name}, {spoken_shape(shape)}` (dtype float32 unless given).

    `texts` are the value's and gradient's badge texts when the caller has them (a view's box);
    `heats` collects its heatmaps for `heat_maps`, as `_block` does."""
    attrs = G.nodes[n]
    value = attrs["value"]
    dtype = str(getattr(value, "dtype", "")).replace("torch.", "")
    shape = list(attrs.get("shape") or getattr(value, "shape", ()))
    entry = {
        "role": attrs["kind"],
        "name": name,
        "shape": shape,
        "value": _block(value, texts[0], heats),
        "grad": _block(attrs.get("grad"), texts[1], heats),
    }
    return entry if dtype == "float32" else {**entry, "dtype": dtype}


def _local(G, u, op, share) -> str | None:
    """The local derivative's number, where one can be read off: share / upstream."""
    outs = G._succ[op]  # networkx's own dict (`walk.plain`): no view object per lookup
    g_out = G._node[next(iter(outs))]["grad"] if len(outs) == 1 else None
    if not isinstance(share, torch.Tensor) or not isinstance(g_out, torch.Tensor):
        return None
    if g_out.numel() == 1 and float(g_out) != 0 and share.numel() <= C.SMALL:
        return format_tensor(share / float(g_out))
    if share.shape == g_out.shape and share.numel() <= C.SMALL and bool((g_out != 0).all()):
        return format_tensor(share / g_out)
    return None


def op_numbers(G, op, names, scalar: str) -> list[str]:
    """Per input that gets a gradient: the op's rule for it, with this graph's numbers."""
    info = info_of(G.nodes[op])
    fields = C.rule_fields(G, op, names, scalar)
    lines = []
    for u in dict.fromkeys(C.operands(G, op)):
        share = G.edges[u, op].get("grad")
        if share is None or not G.nodes[u].get("requires_grad"):
            continue
        arg = G.edges[u, op].get("arg", 0)
        part = info.part(fields, arg)
        local = _local(G, u, op, share) if arg >= len(info.grads) else None
        gets = f"∂{scalar}/∂{C.symbol(G, u, names)} gets {format_tensor(share)}"
        if part is None and local is None:
            lines.append(f"{gets} through it")
        elif part is None:
            lines.append(f"∂{fields['y']}/∂{C.symbol(G, u, names)} = {local}")
        elif local is not None and not part.endswith(f"= {local}"):
            lines.append(f"{part} = {local}")
        else:
            lines.append(f"{part}, so {gets}")
    return lines


def op_entry(G, op, names, scalar: str, after: int | None) -> dict:
    attrs = G.nodes[op]
    """An op's panel (the page tells it from a tensor's by its `rule`)."""
    entry = {"name": attrs["op"], "label": math_to_text(attrs["label"]), "rule": C.rule_text(G, op, names, scalar),
             "after": after, "numbers": op_numbers(G, op, names, scalar)}  # fmt: skip
    if attrs.get("source"):
        entry["source"] = attrs["source"]
    if attrs.get("module"):
        entry["module"] = attrs["module"]
    return entry


def inspect_payload(G, view: View, frames: list[dict], step: int | None = None) -> dict:
    """Every box's inspect panel (tensors and ops shown on their own; folded modules have none).

    With `step`, `G` is that training step's graph and an op's gradient numbers count as reached
    from that step's own first backward frame (frames carry a `step` field, see `update_frames`).
    """
    names = view.names
    _, upstream = seeds(G)
    scalar, _ = C.differentiated(G, upstream, names) if upstream else ("L", "")
    reached: dict[str, int] = {}
    for k, f in enumerate(frames):
        if f["phase"] == "backward" and (step is None or f.get("step") == step):
            for n in f["nodes"]:
                reached.setdefault(n, k)
    nodes = {}
    heats: list[tuple[dict, torch.Tensor]] = []  # (block, tensor): made together, `heat_maps`
    for n in view.boxes:  # in the graph's order
        if n not in G:  # a folded module, the hidden middle
            continue
        attrs = G.nodes[n]
        if attrs["kind"] == "op":
            nodes[n] = op_entry(G, n, names, scalar, reached.get(n))
        else:
            box = view.boxes.get(n)  # the view has its badge texts already (not a constant's)
            nodes[n] = tensor_entry(G, n, names[n], (box.value, box.grad) if box is not None else ("", ""), heats)
    for (block, _), heat in zip(heats, heat_maps([t for _, t in heats]), strict=True):
        block["heat"] = heat  # the block's last key, as `_block` puts it
    return {"palette": palette(), "nodes": nodes}
