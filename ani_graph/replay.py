"""Calling the recorded ops again: at other values, in another dtype, or with dual numbers.

While it records, the tracer keeps for each op node an `OpCall`: the torch function it
called (or the custom Function's `apply`), its arguments with every tensor taken out (a
`Slot` marks where each one went) and the node id of the tensor each slot held. Nothing
here keeps a tensor alive.

`OpCall.run` puts tensors back into the slots and calls the op; `Replay` does that for a
whole graph in topological order. Forward mode (`tangent.py`) and the gradient check
(`check.py`) use it to evaluate ops away from the recorded point. A replay never writes
to a value of the graph: in-place ops run on copies, and random ops (dropout) draw the
same numbers at every call without moving the global random state.

>>> import torch
>>> call = OpCall.capture(torch.mul, (torch.ones(1), 3.0), {}, ("t0",))
>>> call.slots, call.run([torch.tensor([2.0])])
(('t0',), [tensor([6.])])
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import networkx as nx
import torch


@dataclass(frozen=True)
class Slot:
    """Where the `index`-th tensor argument of a call goes."""

    index: int


def _strip(obj, count: list[int]):
    """`obj` with every tensor replaced by a `Slot`, numbered in the tracer's flattening order."""
    if isinstance(obj, torch.Tensor):
        count[0] += 1
        return Slot(count[0] - 1)
    if isinstance(obj, (list, tuple)):
        before = count[0]
        items = [_strip(x, count) for x in obj]
        if count[0] == before:
            return obj  # no tensor inside: keep it as it is (a torch.Size, a named tuple)
        return items if isinstance(obj, list) else tuple(items)
    return obj


_SLOTS = tuple(Slot(i) for i in range(8))


def _strip_flat(args) -> tuple[tuple, int] | None:
    """`_strip` of a flat argument tuple (no list or tuple inside) and its tensor count; else None."""
    items, n = [], 0
    for a in args:
        if isinstance(a, torch.Tensor):
            items.append(_SLOTS[n] if n < 8 else Slot(n))
            n += 1
        elif isinstance(a, (list, tuple)):
            return None
        else:
            items.append(a)
    return (tuple(items) if n else tuple(args)), n


def _fill(obj, tensors: Sequence[torch.Tensor]):
    if isinstance(obj, Slot):
        return tensors[obj.index]
    if isinstance(obj, (list, tuple)) and any(isinstance(x, (Slot, list, tuple)) for x in obj):
        items = [_fill(x, tensors) for x in obj]
        return items if isinstance(obj, list) else tuple(items)
    return obj


def _tensors_in(obj) -> list[torch.Tensor]:
    """Tensors in nested lists/tuples, in order."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for x in obj for t in _tensors_in(x)]
    return []


@dataclass(frozen=True)
class OpCall:
    """How one op was called: `fn(*args, **kwargs)` with `Slot`s where its tensors were."""

    fn: Callable
    args: tuple
    kwargs: dict = field(default_factory=dict)
    slots: tuple[str, ...] = ()  # the node id each slot's tensor had when the op read it
    inplace: bool = False

    @classmethod
    def capture(cls, fn, args, kwargs, slots, inplace: bool = False) -> OpCall | None:
        """The call with its tensors taken out; None when there is no function to call again."""
        if fn is None:
            return None
        flat = _strip_flat(args) if not kwargs else None
        stripped_kwargs: dict = {}
        if flat is not None:  # the common call: tensors and plain values, nothing nested
            stripped_args, count = flat
        else:
            counter = [0]
            stripped_args = _strip(tuple(args), counter)
            stripped_kwargs = {k: _strip(v, counter) for k, v in kwargs.items()}
            count = counter[0]
        if count != len(slots):
            return None  # tensors hidden where the tracer does not look (a dict): cannot replay
        # what the frozen dataclass's `__init__` sets, set at once (one per op: 10,000 on a long chain)
        call = object.__new__(cls)
        call.__dict__.update(fn=fn, args=stripped_args, kwargs=stripped_kwargs, slots=tuple(slots), inplace=inplace)
        return call

    def run(self, tensors: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Call the op with `tensors` in its slots; returns its tensor results, in order.

        An in-place op writes to copies, and its result is the copy it wrote to.
        """
        if self.inplace:
            tensors = [t.clone() for t in tensors]
        result = self.fn(*_fill(self.args, tensors), **{k: _fill(v, tensors) for k, v in self.kwargs.items()})
        outs = _tensors_in(result)
        return outs if outs or not tensors else [tensors[0]]  # `x[i] = v` returns None and changes x


class ReplayError(ValueError):
    """The graph cannot be evaluated again (no recorded call, or values kept only as summaries)."""


class Replay:
    """The ops of a graph, callable again in topological order.

    `values` maps tensor node ids to tensors; `run_op` reads an op's operands there and
    writes its outputs back.

    >>> import torch
    >>> from ani_graph import TorchGraph
    >>> g = TorchGraph(lambda a, b: a * b + a, [2, 3])
    >>> replay = Replay(g.nx, g._calls)
    >>> values = replay.values()
    >>> values[g.node_id("a")] = torch.tensor(5.0)
    >>> with replay.isolated():
    ...     replay.evaluate(values, replay.ops)
    >>> float(values[g.node_id("out")])
    20.0
    """

    def __init__(self, G: nx.DiGraph, calls: dict):
        self.G = G
        self.calls = calls
        self.ops = [n for n in nx.topological_sort(G) if G.nodes[n]["kind"] == "op"]
        missing = [op for op in self.ops if calls.get(op) is None]
        if missing:
            names = ", ".join(f"{G.nodes[op]['op']} ({op})" for op in missing[:5])
            raise ReplayError(
                f"ani-graph cannot call {names} again, so it cannot evaluate this graph away from the recorded "
                "point. Pass tensors to these ops directly (not inside a dict), or leave them out of the function."
            )
        summarised = [a.get("name") or n for n, a in G.nodes(data=True) if a["kind"] != "op" and _is_summary(a)]
        if summarised:
            raise ReplayError(
                f"{', '.join(map(str, summarised[:5]))} kept only a summary of its values (more elements than "
                "value_limit), so the graph cannot be evaluated again; rebuild it with a larger value_limit=."
            )
        self._rng: torch.Tensor | None = None

    @contextlib.contextmanager
    def isolated(self) -> Iterator[None]:
        """Replays inside leave the global random state as it was, and random ops repeat their draws."""
        with torch.random.fork_rng(devices=[]):
            self._rng = torch.get_rng_state()
            try:
                yield
            finally:
                self._rng = None

    def values(self, dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
        """Every tensor node's recorded value (floating ones cast to `dtype`), as fresh tensors."""
        values = {}
        for n, a in self.G.nodes(data=True):
            if a["kind"] != "op":
                v = a["value"].detach()
                values[n] = v.to(dtype, copy=True) if dtype is not None and v.is_floating_point() else v.clone()
        return values

    def outputs_of(self, op: str) -> list[tuple[str, int]]:
        """(tensor node, index among the op's tensor results) for each output node of `op`."""
        return [(o, d.get("out", 0)) for _, o, d in self.G.out_edges(op, data=True)]

    def run_op(self, op: str, values: dict[str, torch.Tensor], inputs: Sequence[torch.Tensor] | None = None):
        """Call `op` on its operands' entries in `values` (or on `inputs`); returns {output node: tensor}."""
        call = self.calls[op]
        if self._rng is not None:
            torch.set_rng_state(self._rng)
        outs = call.run([values[s] for s in call.slots] if inputs is None else inputs)
        return {o: outs[i] for o, i in self.outputs_of(op) if i < len(outs)}

    def evaluate(self, values: dict[str, torch.Tensor], ops: Sequence[str]) -> None:
        """Run `ops` in order, writing each output into `values`."""
        for op in ops:
            values.update(self.run_op(op, values))

    def unrepeatable(self, recorded: dict[str, torch.Tensor]) -> list[str]:
        """The ops that give other numbers when called again at their recorded operands (random ones: dropout).

        `recorded` holds the graph's values (in any floating dtype); call inside `isolated()`.
        """
        found = []
        saved, self._rng = self._rng, None  # a draw of its own: the recorded one may be the same state
        try:
            for op in self.ops:
                torch.manual_seed(20_261_128)  # any fixed seed other than the recording's
                if self._differs(op, recorded):
                    found.append(op)
        finally:
            self._rng = saved
        return found

    def _differs(self, op: str, recorded: dict[str, torch.Tensor]) -> bool:
        """Does `op`, called again at its recorded operands, give other numbers than it recorded?"""
        for o, out in self.run_op(op, recorded).items():
            value = self.G.nodes[o]["value"]
            if not out.is_floating_point():
                same = torch.equal(out, value)
            else:
                scale = float(value.abs().max()) if value.numel() else 0.0
                same = torch.allclose(out.double(), value.double(), rtol=1e-3, atol=1e-5 * (1 + scale))
            if not same:
                return True
        return False

    def downstream(self, node: str) -> list[str]:
        """The ops that depend on tensor `node`, in topological order."""
        after = nx.descendants(self.G, node)
        return [op for op in self.ops if op in after]


def _is_summary(attrs: dict) -> bool:
    value = attrs.get("value")
    return value is not None and not isinstance(value, torch.Tensor)
