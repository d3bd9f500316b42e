"""The schedule of a folded drawing, built over its boxes: fold first, then schedule.

When modules fold into boxes, or the middle of a long graph is hidden (`view.choose_fold`),
the ops inside one box animate as one step: consecutive frames of the same box and phase
merge, with that box's caption. The frames are the ones the whole graph's schedule gives
once mapped onto the boxes (`frames._fold_frames`, which `tests/test_perf_shapes.py`
compares them with), but only the ops drawn on their own get a caption; the ops hidden
in a box are walked in plain dicts, write no text of a tensor that is not drawn, and add
up no running gradient sum that no frame shows. A 10,000-op chain drawn as its two ends
costs about what its 48 drawn boxes cost, plus a short loop per hidden op.
"""

from __future__ import annotations

from . import captions as C
from .format import format_tensor
from .frame_steps import Running, backward_start, backward_steps, forward_step, frame, onto_boxes
from .walk import plain


class _Steps:
    """The frame list, where consecutive frames of one folded box in one phase merge into one step.

    `box` and `phase` name the step open at the end of the list (None when the last frame is an
    op's own): a hidden op that lights nothing outside its box only needs `open` when they differ.
    """

    def __init__(self) -> None:
        self.frames: list[dict] = []
        self.box: str | None = None
        self.phase: str | None = None
        self._nodes: set[str] = set()
        self._edges: set[tuple[str, str]] = set()

    def add(self, f: dict) -> None:
        """A frame of an op drawn on its own."""
        self._close()
        self.frames.append(f)

    def open(self, phase: str, box: str) -> None:
        """Make the last frame the step of `box` in `phase`: the one open, or a new one."""
        if self.box != box or self.phase != phase:
            self._close()
            self.frames.append(frame(phase, C.folded_caption(box, phase)))
            self.box, self.phase, self._nodes = box, phase, {box}

    def folded(self, phase: str, box: str, nodes, edges, badges: dict) -> None:
        """A frame of an op hidden in `box`, lighting `nodes` and `edges`, with `badges`."""
        self.open(phase, box)
        f = self.frames[-1]
        self._nodes.update(nodes)
        for e in edges:
            if e not in self._edges:
                self._edges.add(e)
                f["edges"].append(list(e))
        f["badges"].update(badges)

    def _close(self) -> None:
        if self.box is not None:
            self.frames[-1]["nodes"] = sorted(self._nodes)
            self.box, self.phase, self._nodes, self._edges = None, None, set(), set()

    def done(self) -> list[dict]:
        self._close()
        return self.frames


def _forward(G, ops, sources, names, owner, steps: _Steps, crossing: set[str]) -> None:
    attrs, succ, _ = plain(G)
    shown = lambda n: owner[n] == n  # noqa: E731
    values = {n: {"value": format_tensor(attrs[n]["value"])} for n in sources if shown(n)}
    steps.add(frame("forward", C.forward_start(G, sources, names), nodes=sorted(values), badges=values))
    for op in ops:
        box = owner[op]
        if box == op:
            steps.add(onto_boxes(forward_step(G, op, names, shown), owner, G))
            continue
        if op not in crossing:  # nothing outside its box lights up
            if steps.box != box or steps.phase != "forward":
                steps.open("forward", box)
            continue
        outs = succ[op]
        ends = [(owner[u], box) for u in C.operands(G, op)] + [(box, owner[o]) for o in outs]
        drawn = [o for o in outs if owner[o] == o]
        badges = {o: {"value": format_tensor(attrs[o]["value"])} for o in drawn}
        steps.folded("forward", box, drawn, [e for e in ends if e[0] != e[1]], badges)


def _backward_hidden(G, op, box, owner, steps: _Steps, running: Running) -> None:
    """The backward frames of an op hidden in `box` that reads from outside it."""
    attrs = plain(G)[0]
    for u in C.operands(G, op):  # in argument order, as the frames of the whole graph go
        share = G.edges[u, op].get("grad")
        if share is None or not attrs[u]["requires_grad"]:
            continue
        badges = {}
        if owner[u] == u:  # a tensor drawn on its own shows its running sum
            total, _ = running.now(u, share)
            badges[u] = {"grad": format_tensor(total) if total is not None else "…"}
        else:
            running.wait(u, share)
        steps.folded("backward", box, list(badges), [(owner[u], box)] if owner[u] != box else [], badges)


def _backward(G, ops, names, owner, steps: _Steps, values: bool, crossing: set[str]) -> None:
    attrs, succ, pred = plain(G)
    shown = lambda n: owner[n] == n  # noqa: E731
    first, upstream, scalar = backward_start(G, names)
    first = onto_boxes(first, owner, G)
    if values:  # the drawing starts with every value shown, so the gradients have context
        drawn = (n for n, a in attrs.items() if a["kind"] != "op" and shown(n))
        badges = {n: {"value": format_tensor(attrs[n]["value"])} for n in drawn}
        for n, texts in first["badges"].items():
            badges.setdefault(n, {}).update(texts)
        first["badges"] = badges
    steps.add(first)
    running = Running(G, upstream)
    # only a tensor with a link between two boxes is ever added up in a frame (`Running.now`):
    # the ops it feeds that stay inside their box keep its shares waiting, no other op does
    feeds = {v for u in crossing for v in succ[u]}
    for op in reversed(ops):
        box = owner[op]
        if box == op:
            for f in backward_steps(G, op, names, scalar, running, shown):
                steps.add(onto_boxes(f, owner, G))
        elif attrs[op]["op"] == "detach":
            (u,) = C.operands(G, op)
            steps.folded("backward", box, [u] if shown(u) else [], [(owner[u], box)] if owner[u] != box else [], {})
        elif op in crossing:
            _backward_hidden(G, op, box, owner, steps, running)
        else:  # every share stays in the box: no frame shows a sum
            opening = steps.box != box or steps.phase != "backward"
            if not opening and op not in feeds:
                continue  # nothing to light, nothing to keep
            sent = False
            for u, d in pred[op].items():
                share = d.get("grad")
                if share is not None and attrs[u]["requires_grad"]:
                    sent = True
                    if u in crossing:
                        running.wait(u, share)
            if sent and opening:
                steps.open("backward", box)


def folded_frames(G, order: list[str], names, owner: dict[str, str], links: dict, direction: str) -> list[dict]:
    """The frames of `direction` ("forward", "backward" or "both") of a graph drawn with the fold map
    `owner` and the view's `links` between boxes."""
    attrs, _, pred = plain(G)
    ops, sources = [], []  # the sources in topological order: the first generation, in the graph's own order
    for n in order:
        if attrs[n]["kind"] == "op":
            ops.append(n)
        elif not pred[n]:
            sources.append(n)
    crossing = {n for link in links.values() for edge in link.members for n in edge}  # on a link between boxes
    steps = _Steps()
    if direction in ("forward", "both"):
        _forward(G, ops, sources, names, owner, steps, crossing)
    if direction in ("backward", "both"):
        _backward(G, ops, names, owner, steps, direction == "backward", crossing)
    return steps.done()
