"""Runs of repeated module blocks: the layers of a transformer, found in a view.

A **run** is a row of sibling module frames (the copies) with the same inside: the same
kinds of boxes in the same order, the same ops, the same sub-frames and the same links
between them, each copy fed only by the one before it (the first one by a single box
outside, the source), through one box of the copy before (its exit), and feeding only
the copy after it (the last one feeds anything outside). `runs_of` finds them;
`layout_blocks` lays one copy out and places the others.

>>> import torch
>>> from ani_graph import TorchGraph
>>> torch.manual_seed(0)
<torch._C.Generator object at ...>
>>> net = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()) for _ in range(4)])
>>> view = TorchGraph(lambda x: net(x).sum(), [torch.ones(2)]).view(depth=99)
>>> [(run.parent, run.copies) for run in runs_of(view)]
[(None, ('0', '1', '2', '3'))]
"""

from __future__ import annotations

from dataclasses import dataclass

from .layout_parts import adjacency
from .view import View

MIN_COPIES = 3  # fewer copies than this: `dot` lays them out at little cost


@dataclass(frozen=True)
class Run:
    """Copies of one module block, in the order data flows through them."""

    parent: str | None  # the frame the copies sit in (None: the top level)
    copies: tuple[str, ...]  # the copies' module paths, in flow order
    slots: tuple[dict[str, str], ...]  # per copy: box -> its slot (`s0`, `s1`, … in the view's order)
    source: str  # the box outside that feeds the first copy
    exit: str  # the slot whose box feeds the next copy (and, in the last copy, the rest)
    entries: tuple[str, ...]  # the slots the box before a copy links into


def inside(view: View) -> dict[str, list[str]]:
    """Module path -> the boxes drawn inside its frame (at any depth), in the view's order."""
    found: dict[str, list[str]] = {p: [] for p in view.clusters}
    for b, box in view.boxes.items():
        c = box.cluster
        while c is not None:
            found[c].append(b)
            c = view.clusters[c]
    return found


def _shape(view: View, path: str, boxes: list[str], outs: dict[str, list[str]]) -> tuple:
    """What must match for two frames to be copies: each box's kind, rows and sub-frame, each op's
    label, and the links inside, by position in the view's order."""
    cut = len(path)
    where = {b: i for i, b in enumerate(boxes)}
    kinds = []
    for b in boxes:
        box = view.boxes[b]
        own = box.title if box.kind == "op" else box.title[cut:] if box.kind == "module" else ""
        kinds.append((box.kind, (box.cluster or "")[cut:], own, box.value_row, box.grad_row, box.tangent_row))
    inner = sorted((where[u], where[v]) for u in boxes for v in outs[u] if v in where)
    return tuple(kinds), tuple(inner)


def _candidates(view: View, found: dict[str, list[str]], outs) -> list[tuple[str | None, list[str]]]:
    """(parent, copies in the view's order) of every group of sibling frames with the same shape."""
    groups: dict[tuple, list[str]] = {}
    for path, parent in view.clusters.items():
        if found[path]:
            groups.setdefault((parent, _shape(view, path, found[path], outs)), []).append(path)
    first = {b: i for i, b in enumerate(view.boxes)}
    out = []
    for (parent, _), paths in groups.items():
        if len(paths) >= MIN_COPIES:
            out.append((parent, sorted(paths, key=lambda p: first[found[p][0]])))
    return out


def _chained(view: View, parent, paths: list[str], found, ins, outs) -> Run | None:
    """The run of these copies when each feeds only the next, through one exit box; else None."""
    slots = [{b: f"s{i}" for i, b in enumerate(found[p])} for p in paths]
    copy_of = {b: k for k, names in enumerate(slots) for b in names}
    feeders: list[set[str]] = []
    entries: list[set[str]] = []
    exits: set[str] = set()
    for k, names in enumerate(slots):
        into = {(u, names[v]) for v in names for u in ins[v] if copy_of.get(u) != k}
        feeders.append({u for u, _ in into})
        entries.append({s for _, s in into})
        for u in names:
            for v in outs[u]:
                if copy_of.get(v) != k:
                    exits.add(names[u])
                    if k + 1 < len(paths) and copy_of.get(v) != k + 1:
                        return None  # a copy feeds something other than the next copy
    if len(exits) != 1 or any(len(f) != 1 for f in feeders) or any(e != entries[0] for e in entries):
        return None
    exit = next(iter(exits))
    by_slot = [{s: b for b, s in names.items()} for names in slots]
    source = next(iter(feeders[0]))
    if source in copy_of or any(feeders[k] != {by_slot[k - 1][exit]} for k in range(1, len(paths))):
        return None
    last = by_slot[-1][exit]
    if any(copy_of.get(v) is not None for v in outs[last]):
        return None
    return Run(parent, tuple(paths), tuple(slots), source, exit, tuple(sorted(entries[0])))


def runs_of(view: View) -> list[Run]:
    """The runs of repeated blocks in the view, largest first, none inside another's copies."""
    if not view.clusters:
        return []
    ins, outs = adjacency(view)
    found = inside(view)
    runs = []
    for parent, paths in _candidates(view, found, outs):
        run = _chained(view, parent, paths, found, ins, outs)
        if run is not None:
            runs.append(run)
    runs.sort(key=lambda r: -sum(len(s) for s in r.slots))
    kept: list[Run] = []
    taken: set[str] = set()
    for run in runs:
        boxes = {b for names in run.slots for b in names} | {run.source}
        if not boxes & taken:
            kept.append(run)
            taken |= boxes - {run.source}
    return kept
