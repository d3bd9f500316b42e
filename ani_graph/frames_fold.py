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
from .walk import operands_of


class _Steps:
    """The frame list, where consecutive frames of one folded box in one phase merge into one step."""

    def __init__(self) -> None:
        self.frames: list[dict] = []
        self._open: tuple[str, str] | None = None  # (box, phase) of the last frame, when it is a box's step
        self._nodes: set[str] = set()
        self._edges: set[tuple[str, str]] = set()

    def add(self, f: dict) -> None:
        """A frame of an op drawn on its own."""
        self._close()
        self.frames.append(f)

    def folded(self, phase: str, box: str, nodes, edges, badges: dict) -> None:
        """A frame of an op hidden in `box`: a new step, or more of the step before."""
        if self._open != (box, phase):
            self._close()
            self.frames.append(frame(phase, C.folded_caption(box, phase)))
            self._open = (box, phase)
        f = self.frames[-1]
        self._nodes.update(nodes)
        for e in edges:
            if e not in self._edges:
                self._edges.add(e)
                f["edges"].append(list(e))
        f["badges"].update(badges)

    def _close(self) -> None:
        if self._open is not None:
            self.frames[-1]["nodes"] = sorted(self._nodes)
            self._open, self._nodes, self._edges = None, set(), set()

    def done(self) -> list[dict]:
        self._close()
        return self.frames


def _forward(G, order, names, owner, steps: _Steps, operands) -> None:
    nodes, succ = G.nodes, G.adj
    shown = lambda n: owner[n] == n  # noqa: E731
    fed = {v for _, nbrs in G.adjacency() for v in nbrs}
    sources = [n for n in order if n not in fed and nodes[n]["kind"] != "op"]
    values = {n: {"value": format_tensor(nodes[n]["value"])} for n in sources if shown(n)}
    steps.add(frame("forward", C.forward_start(G, sources, names), nodes=sorted(values), badges=values))
    for op in order:
        if nodes[op]["kind"] != "op":
            continue
        box = owner[op]
        if box == op:
            steps.add(onto_boxes(forward_step(G, op, names, shown), owner, G))
            continue
        outs = list(succ[op])
        ends = [(owner[u], box) for u in operands[op]] + [(box, owner[o]) for o in outs]
        drawn = [o for o in outs if owner[o] == o]
        badges = {o: {"value": format_tensor(nodes[o]["value"])} for o in drawn}
        steps.folded("forward", box, [box, *drawn], [e for e in ends if e[0] != e[1]], badges)


def _backward(G, order, names, owner, steps: _Steps, operands, values: bool) -> None:
    nodes, succ = G.nodes, G.adj
    shown = lambda n: owner[n] == n  # noqa: E731
    first, upstream, scalar = backward_start(G, names)
    first = onto_boxes(first, owner, G)
    if values:  # the drawing starts with every value shown, so the gradients have context
        badges = {
            n: {"value": format_tensor(a["value"])} for n, a in G.nodes(data=True) if a["kind"] != "op" and shown(n)
        }
        for n, texts in first["badges"].items():
            badges.setdefault(n, {}).update(texts)
        first["badges"] = badges
    steps.add(first)
    running = Running(G, upstream)
    for op in reversed(order):
        a = nodes[op]
        if a["kind"] != "op":
            continue
        box = owner[op]
        if box == op:
            for f in backward_steps(G, op, names, scalar, running, shown):
                steps.add(onto_boxes(f, owner, G))
        elif a["op"] == "detach":
            (u,) = operands[op]
            steps.folded(
                "backward", box, [box, u] if shown(u) else [box], [(owner[u], box)] if owner[u] != box else [], {}
            )
        else:
            for u in operands[op]:
                share = succ[u][op].get("grad")
                if share is None or not nodes[u]["requires_grad"]:
                    continue
                last = running.arrive(u)
                badges = {}
                if shown(u):  # a tensor drawn on its own shows its running sum
                    total = running.now(u, share, last)
                    badges[u] = {"grad": format_tensor(total) if total is not None else "…"}
                else:
                    running.wait(u, share, last)
                edges = [(owner[u], box)] if owner[u] != box else []
                steps.folded("backward", box, [box, *badges], edges, badges)


def folded_frames(G, order: list[str], names, owner: dict[str, str], direction: str) -> list[dict]:
    """The frames of `direction` ("forward", "backward" or "both") of a graph drawn with the fold map `owner`."""
    steps, operands = _Steps(), operands_of(G)
    if direction in ("forward", "both"):
        _forward(G, order, names, owner, steps, operands)
    if direction in ("backward", "both"):
        _backward(G, order, names, owner, steps, operands, values=direction == "backward")
    return steps.done()
