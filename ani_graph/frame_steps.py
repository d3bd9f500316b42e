"""The frames one op makes, forward and backward, and the pieces around them.

`frames.build_frames` strings these steps together for a drawing that shows every node;
`frames_fold.folded_frames` for a folded one, where it builds them only for the ops drawn
on their own. The frame schema is documented in `ani_graph.frames`.
"""

from __future__ import annotations

from collections.abc import Callable

from . import captions as C
from .format import format_tensor
from .walk import cached, plain


def frame(phase, caption, rule="", nodes=(), edges=(), badges=None, edge_badges=()) -> dict:
    """One frame, with every field of the schema."""
    return {
        "phase": phase,
        "caption": caption,
        "rule": rule,
        "nodes": list(nodes),
        "edges": [list(e) for e in edges],
        "badges": badges or {},
        "edge_badges": [list(e) for e in edge_badges],
    }


def everything(n: str) -> bool:
    """`shown` for a drawing that folds nothing."""
    return True


def forward_step(G, op, names, shown: Callable[[str], bool]) -> dict:
    """The forward frame of `op`: its operands in, its results out with their values. An op that is
    not `shown` on its own gets no caption, and only the values of the results drawn are sent."""
    outs = list(G.successors(op))
    edges = [[u, op] for u in C.operands(G, op)] + [[op, o] for o in outs]
    badges = {o: {"value": format_tensor(G.nodes[o]["value"])} for o in outs if shown(o)}
    caption = C.forward_caption(G, op, names) if shown(op) else ""
    return frame("forward", caption, "", [op, *outs], edges, badges)


def upstream_of(G, o):
    """The gradient fed into output `o` from outside: its total minus what its own consumers sent."""
    if "upstream" in G.nodes[o]:  # recorded by the tracer for every output
        return G.nodes[o]["upstream"]
    total = G.nodes[o]["grad"]
    shares = [d["grad"] for _, _, d in G.out_edges(o, data=True) if d.get("grad") is not None]
    if total is None or not shares:
        return total
    try:
        return total - sum(shares)
    except TypeError:  # summaries of huge tensors cannot be subtracted
        return None


def plus(total, share):
    """A running sum of gradient shares, None once it cannot be added (summaries of huge tensors)."""
    try:
        return share if total is None else total + share
    except TypeError:  # summaries of huge tensors cannot be added
        return None


def seeds(G) -> tuple[list[str], dict]:
    """The outputs the backward pass starts from, and the upstream gradient each is fed
    (found once per graph: the frames and the inspect panels both ask)."""
    outputs, upstream = cached(G, "seeds", lambda: _seeds(G))
    return list(outputs), dict(upstream)


def _seeds(G) -> tuple[list[str], dict]:
    nodes, succ, _ = plain(G)
    outputs = [
        n
        for n, a in nodes.items()
        if a["kind"] == "output" or (not succ[n] and a["kind"] != "op" and a["grad"] is not None)
    ]
    upstream = {o: upstream_of(G, o) for o in outputs}
    return outputs, {o: g for o, g in upstream.items() if g is not None}


def backward_start(G, names):
    """The first backward frame, the upstream gradients, and the symbol of the scalar differentiated."""
    outputs, upstream = seeds(G)
    scalar, definition = C.differentiated(G, upstream, names)
    badges = {o: {"grad": format_tensor(g)} for o, g in upstream.items()}
    caption = C.backward_start(G, upstream, names, scalar, definition)
    return frame("backward", caption, nodes=outputs, badges=badges), upstream, scalar


def shares_into(G, u) -> int:
    """How many gradient shares tensor `u` receives: with the last one its badge shows autograd's total."""
    return sum(1 for d in G.adj[u].values() if d.get("grad") is not None)


class Running:
    """The gradient each tensor has received so far, summed in arrival order as the backward frames go.

    A sum no frame shows is not added up: a share that arrives unseen waits (`wait`) until
    a frame needs the total (`now`), and the last share is replaced by autograd's own
    total, so a tensor whose sums are never shown costs no addition at all.
    """

    def __init__(self, G, upstream: dict) -> None:
        self.G = G
        self.upstream = upstream  # the upstream gradient was the first arrival
        self.total: dict[str, object] = dict(upstream)
        self.counted: dict[str, int] = {}  # shares taken into `total` (or past it, for the last)
        self.waiting: dict[str, list] = {}

    def wait(self, u: str, share) -> None:
        """A share arrives at `u` in a frame that shows no total."""
        if u in self.waiting:
            self.waiting[u].append(share)
        else:
            self.waiting[u] = [share]

    def now(self, u: str, share) -> tuple[object, int]:
        """A share arrives at `u` in a frame that shows it: (the total so far, which arrival this is);
        with the last share the total is autograd's own."""
        waiting = self.waiting.pop(u, [])
        waiting.append(share)
        count = self.counted.get(u, 0) + len(waiting)
        self.counted[u] = count
        if count == shares_into(self.G, u):
            total = self.G.nodes[u]["grad"]
        else:
            total = self.total.get(u)
            for s in waiting:
                total = plus(total, s)
        self.total[u] = total
        return total, count + (u in self.upstream)


def backward_steps(G, op, names, scalar: str, running: Running, shown: Callable[[str], bool]) -> list[dict]:
    """The backward frames of `op`: one per share of a gradient it sends back (or the cut of a
    `detach`). An op not `shown` on its own gets no caption or rule, and only the texts of the
    tensors drawn on their own are sent."""
    told = shown(op)  # a folded op's caption and rule are replaced by its box's
    if G.nodes[op]["op"] == "detach":  # the cut: say why no gradient goes on from here
        (u,) = C.operands(G, op)
        cut = C.rule_text(G, op, names, scalar) if told else ""
        return [frame("backward", C.cut_caption(G, op, names) if told else "", cut, [op, u], [[u, op]])]
    frames = []
    links, attrs = G._pred[op], G._node  # networkx's own dicts (see `walk.plain`)
    rule: str | None = None  # the same for every share: written once
    for u in C.operands(G, op):
        share = links[u].get("grad")
        if share is None or not attrs[u]["requires_grad"]:
            continue
        total, arrival = running.now(u, share)
        caption = C.arrival_caption(G, u, op, share, total, arrival, names, scalar) if told else ""
        badges = {u: {"grad": format_tensor(total) if total is not None else "…"}} if shown(u) else {}
        edge_badges = [[u, op, format_tensor(share)]] if told and shown(u) else []
        if rule is None:
            rule = C.rule_text(G, op, names, scalar) if told else ""
        frames.append(frame("backward", caption, rule, [op, u], [[u, op]], badges, edge_badges))
    return frames


def onto_boxes(f: dict, owner: dict[str, str], G) -> dict:
    """One frame in terms of the drawing's boxes: tensors hidden in a box are not lit on their own."""
    shown = lambda n: owner[n] == n  # noqa: E731
    lit = sorted({owner[n] for n in f["nodes"] if shown(n) or G.nodes[n]["kind"] == "op"})
    edges = []
    for u, v in f["edges"]:
        e = [owner[u], owner[v]]
        if e[0] != e[1] and e not in edges:
            edges.append(e)
    badges = {n: t for n, t in f["badges"].items() if shown(n)}
    edge_badges = [e for e in f["edge_badges"] if shown(e[0]) and shown(e[1])]
    return {**f, "nodes": lit, "edges": edges, "badges": badges, "edge_badges": edge_badges}
