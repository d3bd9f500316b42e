"""Repeated module blocks laid out once: the layers of a transformer, each drawn the same.

`dot` takes time that grows much faster than the graph, and 48 transformer layers unfolded
(1,500 boxes in nested frames) took seconds. `blocks_layout` finds the runs of repeated
blocks (`layout_runs.runs_of`), lays ONE copy of each out with `dot` (its nested frames
too, each box as large as its largest copy, with a small stub before it where the arrows
come in and one after it where they leave), places the copies side by side along the
flow, and lays the rest of the graph out with `dot` around one placeholder box per run,
inside the run's parent frame. An arrow from one copy to the next leaves through the
copy's exit stub and comes in through the next copy's entry stub, joined by a short
curve. Every copy of a block is drawn with the same relative coordinates.

It returns the `Layout` that `layout.compute_layout` returns, or None when the view has
no run (then `dot` lays out the whole graph, as before).

>>> import torch
>>> from ani_graph import TorchGraph
>>> torch.manual_seed(0)
<torch._C.Generator object at ...>
>>> net = torch.nn.Sequential(*[torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Tanh()) for _ in range(4)])
>>> view = TorchGraph(lambda x: net(x).sum(), [torch.ones(2)]).view(depth=99)
>>> lay = blocks_layout(view)
>>> sorted(lay.centres) == sorted(view.boxes), sorted(lay.clusters) == sorted(view.clusters)
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass

from . import style as S
from .layout_dot import Cluster, dot_source, run_dot
from .layout_parts import (
    LABEL_RESERVE_MAX,
    RANKSEP,
    Layout,
    Spline,
    fit_ends,
    label_room,
    labelled,
    line_to,
    point_of,
    shifted,
    spline_of,
)
from .layout_runs import Run, runs_of
from .view import View

STUB = 0.02  # inches: the points where arrows enter and leave a copy
GAP = 3 * RANKSEP  # points between two copies: room for the curve from one to the next
IN, OUT = "stub_in", "stub_out"


@dataclass(frozen=True)
class Block:
    """One copy laid out: slot and stub centres, slot splines, frames, all relative to its corner."""

    width: float
    height: float
    centres: dict[str, tuple[float, float]]
    sizes: dict[str, tuple[float, float]]  # slot -> (width, height) in points
    splines: dict[tuple[str, str], Spline]  # slot links, and (IN, entry) and (exit, OUT)
    frames: dict[str, tuple[float, float, float, float]]  # path inside the copy ("" itself) -> box


def _room(view: View, keys, with_label) -> tuple[str, str] | None:
    """The label room `dot` keeps on an edge standing for the links `keys`: the longest of theirs."""
    grads = [view.links[k].grad for k in keys if k in with_label]
    if not grads:
        return None
    return "0" * min(LABEL_RESERVE_MAX, max(len(g) for g in grads) + 2), str(S.FONT_SIZE - 1)


def _frames_tree(members: dict[str, list[str]], parents: dict[str, str | None], label: dict[str, int], names):
    """The `dot` clusters of frames holding `members` (frame -> node ids), nested, outermost first."""
    children: dict[str | None, list[str]] = {}
    for path in parents:
        children.setdefault(parents[path], []).append(path)

    def make(path: str) -> Cluster:
        kids = tuple(make(c) for c in children.get(path, []))
        return Cluster(names[path], "0" * label[path], str(S.FONT_SIZE - 1), tuple(members.get(path, [])), kids)

    return [make(p) for p in children.get(None, [])]


def _read_frames(out, height: float, names: dict[str, str]) -> dict[str, tuple[float, float, float, float]]:
    found = {}
    for path, name in names.items():
        if (b := out.clusters.get(name)) is not None:
            x0, y0, x1, y1 = (float(v) for v in b.split(","))
            found[path] = (x0, height - y1, x1, height - y0)
    return found


def _copy_frames(view: View, run: Run):
    """(frame inside a copy -> its parent, -> its longest title, slot -> its frame) over all copies."""
    first = run.copies[0]
    rel = {"": None} | {p[len(first) :]: None for p in view.clusters if p.startswith(first + ".")}
    parents: dict[str, str | None] = {r: (None if r == "" else r.rsplit(".", 1)[0]) for r in rel}
    label = {r: max(len(c) + len(r) for c in run.copies) for r in rel}
    where = {s: (view.boxes[b].cluster or "")[len(first) :] for b, s in run.slots[0].items()}
    return parents, label, where


def one_block(view: View, run: Run, with_label) -> Block:
    """One copy of the run laid out by `dot`, every slot as large as its largest copy."""
    sizes: dict[str, tuple[float, float]] = {}
    links: dict[tuple[str, str], list[tuple[str, str]]] = {}
    by_slot = [{s: b for b, s in names.items()} for names in run.slots]
    for k, names in enumerate(run.slots):
        for box, slot in names.items():
            w, h = sizes.get(slot, (0.0, 0.0))
            sizes[slot] = (max(w, view.boxes[box].width), max(h, view.boxes[box].height))
        for u, v in view.links:
            if u in names and v in names:
                links.setdefault((names[u], names[v]), []).append((u, v))
        feeder = run.source if k == 0 else by_slot[k - 1][run.exit]
        for e in run.entries:
            links.setdefault((IN, e), []).append((feeder, by_slot[k][e]))
    nodes = {s: (w / 72, h / 72) for s, (w, h) in sizes.items()} | {IN: (STUB, STUB), OUT: (STUB, STUB)}
    edges = [(u, v, _room(view, keys, with_label)) for (u, v), keys in links.items()] + [(run.exit, OUT, None)]
    parents, label, where = _copy_frames(view, run)
    names = {r: f"cluster_{i}" for i, r in enumerate(parents)}
    members: dict[str, list[str]] = {}
    for slot, r in where.items():
        members.setdefault(r, []).append(slot)
    out = run_dot(dot_source(nodes, edges, _frames_tree(members, parents, label, names), "LR"))
    height = out.bb[3]
    centres = {n: point_of(text, height) for n, text in out.centres.items()}
    splines = {(u, v): spline_of(*out.splines[(u, v)], height) for u, v, _ in edges}
    return Block(out.bb[2], height, centres, sizes, splines, _read_frames(out, height, names))


def _unit(a, b, default=(1.0, 0.0)) -> tuple[float, float]:
    length = ((b[0] - a[0]) ** 2 + (b[1] - a[1]) ** 2) ** 0.5
    return default if length < 1e-6 else ((b[0] - a[0]) / length, (b[1] - a[1]) / length)


def bridge(start, leave, end, arrive, tip: bool = False) -> list[tuple[float, float]]:
    """Control points of a smooth curve from `start`, leaving along the unit vector `leave`, to `end`,
    arriving along `arrive`; with `tip`, it stops an arrowhead short of `end`."""
    stop = (end[0] - arrive[0] * S.ARROW_SIZE, end[1] - arrive[1] * S.ARROW_SIZE) if tip else end
    reach = max((stop[0] - start[0]) / 2, 4.0)  # as far as half the way across: no loops
    a = (start[0] + leave[0] * reach, start[1] + leave[1] * reach)
    b = (stop[0] - arrive[0] * reach, stop[1] - arrive[1] * reach)
    return [start, a, b, stop]


def _finish(s: Spline):
    """Where a spline ends (its tip) and the way it arrives."""
    end = s.tip or s.points[-1]
    return end, _unit(s.points[-2] if s.tip is None else s.points[-1], end)


def _onto(start: list[tuple[float, float]], leave, into: Spline) -> Spline:
    """The curve `start` (points, the last one leaving along `leave`), then a smooth curve onto `into`
    where it has left its stub behind (a rank's gap on), then the rest of `into`: `dot`'s route
    without the part near the stub."""
    points = into.points
    i = next((i for i in range(3, len(points), 3) if points[i][0] - points[0][0] >= RANKSEP), len(points) - 1)
    end = points[i]
    arrive = _unit(start[-1], end) if i == len(points) - 1 else _unit(points[i - 1], end)  # at the end: along the chord
    return Spline(tuple(start) + tuple(bridge(start[-1], leave, end, arrive)[1:]) + points[i + 1 :], into.tip,
                  into.label_pos)  # fmt: skip


def _after(s: Spline) -> tuple[list[tuple[float, float]], tuple[float, float]]:
    """(the points of `s` up to its tip, the way it leaves there)."""
    points = list(s.points)
    end, way = _finish(s)
    if s.tip is not None:
        line_to(points, s.tip)
    return points, way


def _port(block: Block, stub: str) -> str:
    """The corner or side of a run's placeholder where the entry (or exit) `stub` of its copies is."""
    y = block.centres[stub][1] / block.height
    side = "w" if stub == IN else "e"
    return f"n{side}" if y < 1 / 3 else f"s{side}" if y > 2 / 3 else side


def _rest(view: View, runs: list[Run], blocks: list[Block], with_label) -> tuple:
    """(layout of the boxes outside the runs, run index -> its placeholder's centre): `dot` over the
    rest, each run one placeholder box as large as its copies side by side, in the run's frame."""
    inner = {b for run in runs for names in run.slots for b in names}
    ids = {b: f"n{i}" for i, b in enumerate(b for b in view.boxes if b not in inner)}
    nodes = {ids[b]: (view.boxes[b].width / 72, view.boxes[b].height / 72) for b in ids}
    edges = [(ids[u], ids[v], _room(view, [(u, v)], with_label)) for u, v in view.links if u in ids and v in ids]
    members: dict[str, list[str]] = {}
    for b, i in ids.items():
        if (c := view.boxes[b].cluster) is not None:
            members.setdefault(c, []).append(i)
    for r, (run, block) in enumerate(zip(runs, blocks)):
        nodes[f"run{r}"] = (block.width / 72, block.height / 72)  # one copy wide: stretched after `dot`
        edges.append((ids[run.source], f"run{r}:{_port(block, IN)}", None))
        last = {s: b for b, s in run.slots[-1].items()}[run.exit]
        tail = f"run{r}:{_port(block, OUT)}"
        edges += [(tail, ids[v], _room(view, [(last, v)], with_label)) for u, v in view.links if u == last]
        if run.parent is not None:
            members.setdefault(run.parent, []).append(f"run{r}")
    used = set()
    for c in members:
        while c is not None and c not in used:
            used.add(c)
            c = view.clusters[c]
    parents = {p: view.clusters[p] for p in view.clusters if p in used}
    names = {p: f"cluster_{i}" for i, p in enumerate(parents)}
    out = run_dot(dot_source(nodes, edges, _frames_tree(members, parents, {p: len(p) for p in parents}, names), "LR"))
    height = out.bb[3]
    centres = {b: point_of(out.centres[i], height) for b, i in ids.items()}
    splines = {(u, v): spline_of(*out.splines[(ids[u], ids[v])], height) for u, v in view.links if {u, v} <= ids.keys()}
    places = [point_of(out.centres[f"run{r}"], height) for r in range(len(runs))]
    lay = Layout(out.bb[2], height, centres, splines, _read_frames(out, height, names), 1, "LR")
    for r in sorted(range(len(runs)), key=lambda r: -places[r][0]):  # rightmost first: each stretch moves the later
        left, right = places[r][0] - blocks[r].width / 2, places[r][0] + blocks[r].width / 2
        more = (len(runs[r].copies) - 1) * (blocks[r].width + GAP)
        lay = _stretched(lay, left, right, more)
        places = [(_stretch(x, left, right, more), y) for x, y in places]
    return lay, places


def _stretch(x: float, left: float, right: float, more: float) -> float:
    """`x` after the band from `left` to `right` is made `more` wider (what lies beyond moves along)."""
    if x <= left:
        return x
    return x + more if x >= right else left + (x - left) * (right - left + more) / (right - left)


def _stretched(lay: Layout, left: float, right: float, more: float) -> Layout:
    """The layout with the band from `left` to `right` made `more` wider: `dot` laid each run out as one
    copy wide (its numbers lose digits far out), the run's placeholder is made as wide as all copies."""

    def p(q):
        return None if q is None else (_stretch(q[0], left, right, more), q[1])

    centres = {b: p(c) for b, c in lay.centres.items()}
    splines = {k: Spline(tuple(p(q) for q in s.points), p(s.tip), p(s.label_pos)) for k, s in lay.splines.items()}
    frames = {k: (_stretch(x0, left, right, more), y0, _stretch(x1, left, right, more), y1)
              for k, (x0, y0, x1, y1) in lay.clusters.items()}  # fmt: skip
    return Layout(lay.width + more, lay.height, centres, splines, frames, 1, "LR")


class _Placed:
    """The drawing being put together: centres, splines and frames of the rest, then of the copies."""

    def __init__(self, view: View, rest: Layout, with_label) -> None:
        self.view, self.with_label = view, with_label
        self.centres = dict(rest.centres)
        self.splines = dict(rest.splines)
        self.frames = dict(rest.clusters)

    def end(self, block: Block, slot: str, box: str, dx: float, dy: float):
        """(slot centre, slot size, box) of a slot in a copy, for `fit_ends`; None for a stub."""
        if slot in (IN, OUT):
            return None
        return block.centres[slot], block.sizes[slot], self.view.boxes[box]

    def copy(self, block: Block, path: str, names: dict[str, str], dx: float, dy: float) -> dict[str, Spline]:
        """Place one copy with its corner at (`dx`, `dy`); its stub splines (keyed by slot), placed."""
        by_slot = {s: b for b, s in names.items()}
        for box, slot in names.items():
            cx, cy = block.centres[slot]
            self.centres[box] = (cx + dx, cy + dy)
        for r, (x0, y0, x1, y1) in block.frames.items():
            self.frames[path + r] = (x0 + dx, y0 + dy, x1 + dx, y1 + dy)
        stubs = {}
        for (su, sv), s in block.splines.items():
            u, v = by_slot.get(su, su), by_slot.get(sv, sv)
            fitted = shifted(fit_ends(s, self.end(block, su, u, dx, dy), self.end(block, sv, v, dx, dy)), dx, dy)
            if su == IN:
                stubs[sv] = fitted
            elif sv == OUT:
                stubs[OUT] = fitted
            else:
                self.splines[(u, v)] = fitted
        return stubs

    def run(self, run: Run, block: Block, place: tuple[float, float]) -> None:
        """Every copy of the run side by side in the placeholder centred at `place`, and the arrows between."""
        n = len(run.copies)
        left, top = place[0] - (n * block.width + (n - 1) * GAP) / 2, place[1] - block.height / 2
        boxes = self.view.boxes
        before: Spline | None = None
        feeder = run.source
        for k, (path, names) in enumerate(zip(run.copies, run.slots)):
            stubs = self.copy(block, path, names, left + k * (block.width + GAP), top)
            by_slot = {s: b for b, s in names.items()}
            for e in run.entries:
                into = stubs[e]
                if before is None:  # from the source, outside: out of its right side
                    x, y = self.centres[feeder]
                    self.splines[(feeder, by_slot[e])] = _onto([(x + boxes[feeder].width / 2, y)], (1.0, 0.0), into)
                else:  # from the copy before: out through its exit stub
                    self.splines[(feeder, by_slot[e])] = _onto(*_after(before), into)
            before, feeder = stubs[OUT], by_slot[run.exit]
        assert before is not None
        for u, v in self.view.links:
            if u == feeder:  # out of the last copy, into the rest: level into the head's left side
                x, y = self.centres[v]
                tip = (x - boxes[v].width / 2, y)
                points, way = _after(before)
                points += bridge(points[-1], way, tip, (1.0, 0.0), tip=True)[1:]
                where = None
                if (u, v) in self.with_label:
                    where = (tip[0] - label_room(self.view.links[(u, v)].grad) / 2 - 4, y - S.FONT_SIZE * 0.7)
                self.splines[(u, v)] = Spline(tuple(points), tip, where)


def blocks_layout(view: View, lean: bool = True) -> Layout | None:
    """The view laid out with each run of repeated blocks drawn from one laid-out copy, or None
    when it has no run. `lean`: only the links whose share differs from their tail's gradient
    keep room for a label (see `layout_parts.labelled`)."""
    runs = runs_of(view)
    if not runs:
        return None
    with_label = labelled(view, lean)
    blocks = [one_block(view, run, with_label) for run in runs]
    rest, places = _rest(view, runs, blocks, with_label)
    placed = _Placed(view, rest, with_label)
    for run, block, place in zip(runs, blocks, places):
        placed.run(run, block, place)
    frames = {p: placed.frames[p] for p in view.clusters if p in placed.frames}  # outermost first
    return Layout(rest.width, rest.height, placed.centres, placed.splines, frames, 1, "LR")
