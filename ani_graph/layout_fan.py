"""A fan: many branches of the same structure between one box and another, laid out once.

`fan_of` finds a box whose every link out starts a branch (a row of boxes, each linked from
the one before, plus the constants and weights that feed only it), all branches with the
same kinds of boxes in the same order and all ending in the same box (a `stack`, a sum).
`fan_layout` lays one branch out with `dot`, each box as large as the largest of its copies,
stacks the copies under each other, and lays the rest of the graph out with `dot` around
one placeholder box as large as the stack. Every copy of a branch is drawn the same.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x: torch.stack([torch.sin(x[i]) * 2 for i in range(5)]).sum(), [torch.ones(5)])
>>> source, sink, branches = fan_of(g.view())
>>> len(branches), [g.view().boxes[b].title for b in (source, sink)]
(5, ['x (5)', 'stack'])
"""

from __future__ import annotations

from .layout_dot import dot_source, run_dot
from .layout_parts import (
    LABEL_RESERVE_MAX,
    NODESEP,
    Layout,
    Spline,
    adjacency,
    fit_ends,
    label_room,
    labelled,
    point_of,
    shifted,
    spline_of,
    straight,
)
from .style import FONT_SIZE
from .view import View

MIN_BRANCHES = 3
Branch = tuple[list[str], dict[str, list[str]]]  # (its boxes in order, box -> the boxes that feed only it)
Fan = tuple[str, str, list[Branch]]  # (where the branches start, where they end, the branches)


def fan_of(view: View) -> Fan | None:
    """(source, sink, branches) of the widest fan in the view, or None when there is none."""
    ins, outs = adjacency(view)
    sources = {b for b in view.boxes if not ins[b]}
    feeders = {b for b in sources if len(outs[b]) == 1}
    mains = {b: [u for u in into if u not in feeders] for b, into in ins.items()}  # once: a sink has many
    best: Fan | None = None
    for s in view.boxes:
        if len(outs[s]) >= max(MIN_BRANCHES, len(best[2]) + 1 if best else 0):
            found = [_branch(h, s, ins, outs, feeders, mains) for h in outs[s]]
            if any(f is None for f in found):
                continue
            ends = {f[2] for f in found if f is not None}
            kinds = {_kinds(view, f[0], f[1]) for f in found if f is not None}
            if len(ends) == 1 and len(kinds) == 1:
                best = (s, ends.pop(), [(f[0], f[1]) for f in found if f is not None])
    return best


def _branch(head: str, source: str, ins, outs, feeders: set[str], mains: dict[str, list[str]]):
    """(boxes, feeders, the box it ends in) of the branch from `source` through `head`, or None
    (`mains`: what links into each box but its feeders)."""
    boxes: list[str] = []
    fed: dict[str, list[str]] = {}
    prev, box = source, head
    while True:
        if mains[box] != [prev]:  # more than the box before links in: the branches meet here
            return (boxes, fed, box) if boxes and box != source else None
        boxes.append(box)
        fed[box] = [u for u in ins[box] if u in feeders]
        if len(outs[box]) != 1:
            return None
        prev, box = box, outs[box][0]


def _kinds(view: View, boxes: list[str], fed: dict[str, list[str]]) -> tuple:
    return tuple((view.boxes[b].kind, tuple(view.boxes[f].kind for f in fed[b])) for b in boxes)


def _slots(branch: Branch) -> dict[str, str]:
    """Box -> its slot name in the one laid-out branch: `b3` the fourth box, `f3_0` its first feeder."""
    boxes, fed = branch
    names = {b: f"b{p}" for p, b in enumerate(boxes)}
    names.update({f: f"f{p}_{j}" for p, b in enumerate(boxes) for j, f in enumerate(fed[b])})
    return names


def _links(branch: Branch) -> list[tuple[str, str]]:
    """The links inside a branch: each box from the one before, each feeder into its box."""
    boxes, fed = branch
    return [(f, b) for b in boxes for f in fed[b]] + list(zip(boxes, boxes[1:]))


def _room(view: View, keys, with_label) -> tuple[str, str] | None:
    """The label room `dot` keeps on an edge standing for the links `keys`: the longest of theirs."""
    grads = [view.links[k].grad for k in keys if k in with_label]
    if not grads:
        return None
    return "0" * min(LABEL_RESERVE_MAX, max(len(g) for g in grads) + 2), str(FONT_SIZE - 1)


def _one_branch(view: View, fan: Fan, with_label) -> tuple[float, float, dict, dict, dict]:
    """(width, height, slot -> centre, slot link -> spline, slot -> size in inches) of one branch
    laid out by `dot`, each slot as large as its largest copy."""
    _, _, branches = fan
    slots = [_slots(b) for b in branches]
    size: dict[str, tuple[float, float]] = {}
    links: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for branch, names in zip(branches, slots):
        for box, slot in names.items():
            w, h = size.get(slot, (0.0, 0.0))
            size[slot] = (max(w, view.boxes[box].width / 72), max(h, view.boxes[box].height / 72))
        for u, v in _links(branch):
            links.setdefault((names[u], names[v]), []).append((u, v))
    edges = [(u, v, _room(view, keys, with_label)) for (u, v), keys in links.items()]
    out = run_dot(dot_source(size, edges, [], "LR"))
    height = out.bb[3]
    centres = {slot: point_of(text, height) for slot, text in out.centres.items()}
    splines = {key: spline_of(*out.splines[key], height) for key in links}
    return out.bb[2], height, centres, splines, size


def _points(inches: tuple[float, float]) -> tuple[float, float]:
    return inches[0] * 72, inches[1] * 72


def _rest(view: View, fan: Fan, stack: tuple[float, float], with_label) -> Layout:
    """The boxes outside the branches laid out by `dot`, the stack of branches as one box `stack` large."""
    source, sink, branches = fan
    inside = {b for names in map(_slots, branches) for b in names}
    ids = {b: f"n{i}" for i, b in enumerate(b for b in view.boxes if b not in inside)}
    nodes = {ids[b]: (view.boxes[b].width / 72, view.boxes[b].height / 72) for b in ids}
    nodes["stack"] = (stack[0] / 72, stack[1] / 72)
    edges = [(ids[u], ids[v], _room(view, [(u, v)], with_label)) for u, v in view.links if u in ids and v in ids]
    edges.append((ids[source], "stack", _room(view, [(source, b[0][0]) for b in branches], with_label)))
    edges.append(("stack", ids[sink], _room(view, [(b[0][-1], sink) for b in branches], with_label)))
    out = run_dot(dot_source(nodes, edges, [], "LR"))
    height = out.bb[3]
    centres = {b: point_of(out.centres[i], height) for b, i in ids.items()}
    centres["stack"] = point_of(out.centres["stack"], height)
    splines = {
        (u, v): spline_of(*out.splines[(ids[u], ids[v])], height) for u, v in view.links if u in ids and v in ids
    }
    return Layout(out.bb[2], height, centres, splines, {}, 1, "LR")


def fan_layout(view: View, fan: Fan) -> Layout:
    """The fan's branches as copies of one laid-out branch, stacked, with the rest of the graph around."""
    source, sink, branches = fan
    with_label = labelled(view, True)
    width, height, slot_at, slot_splines, size = _one_branch(view, fan, with_label)
    tall = len(branches) * height + (len(branches) - 1) * NODESEP
    rest = _rest(view, fan, (width, tall), with_label)
    cx, cy = rest.centres.pop("stack")
    centres, splines = dict(rest.centres), dict(rest.splines)
    for i, branch in enumerate(branches):
        dx, dy = cx - width / 2, cy - tall / 2 + i * (height + NODESEP)
        names = _slots(branch)
        centres.update({b: (slot_at[s][0] + dx, slot_at[s][1] + dy) for b, s in names.items()})
        for u, v in _links(branch):
            su, sv = names[u], names[v]
            tail = (slot_at[su], _points(size[su]), view.boxes[u])
            fitted = fit_ends(slot_splines[(su, sv)], tail, (slot_at[sv], _points(size[sv]), view.boxes[v]))
            splines[(u, v)] = shifted(fitted, dx, dy)
    for boxes, _ in branches:
        splines[(source, boxes[0])] = _into(view, centres, (source, boxes[0]), with_label, at_head=True)
        splines[(boxes[-1], sink)] = _into(view, centres, (boxes[-1], sink), with_label, at_head=False)
    return Layout(rest.width, rest.height, centres, splines, {}, 1, "LR")


def _into(view: View, centres: dict, key: tuple[str, str], with_label, at_head: bool) -> Spline:
    """A straight arrow between the stack and the rest: right side of the tail to the left side of
    the head, its label next to the branch's end of it (`at_head`: the branch is the head)."""
    (u, v), (xu, yu), (xv, yv) = key, centres[key[0]], centres[key[1]]
    start, tip = (xu + view.boxes[u].width / 2, yu), (xv - view.boxes[v].width / 2, yv)
    where = None
    if key in with_label:
        room = label_room(view.links[key].grad)
        x = tip[0] - room / 2 - 4 if at_head else start[0] + room / 2 + 4
        where = (x, (yv if at_head else yu) - FONT_SIZE * 0.7)
    return straight(start, tip, where)
