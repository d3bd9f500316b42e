"""`TorchGraph`: a traced computation with every value and gradient, as a networkx graph.

It is the facade of the pipeline: it runs the trace once, then computes each stage
(view, layout, scene, frames) on first use and keeps it. Examples are in its docstrings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch

from .assemble import name_outputs, to_networkx
from .drawing import Drawing
from .gcpause import paused_gc
from .inputs import check_not_inference as _check_not_inference
from .inputs import input_names, to_grad_outputs, to_input, to_outputs
from .summary import VALUE_LIMIT, TensorSummary, check_value_limit
from .tracing import Recorder
from .tracing.naming import code_of, modules_used_by, referenced_tensors

# attributes `_build` sets: the graph, and what `_assemble` reads off the recording with it
_BUILT = frozenset({"nx", "_input_ids", "_output_ids", "_upstream", "_calls", "_by_name"})


class TorchGraph(Drawing):
    """A PyTorch computation, run once forward and once backward, as a graph.

    Parameters
    ----------
    func : callable
        A function, lambda or `nn.Module` returning a tensor or a tuple/list of tensors.
    inputs : list
        One entry per positional argument of `func`: a number, nested list, numpy array
        or tensor. Each becomes a fresh float tensor that requires grad; integers become
        the default float dtype, and the caller's own tensors are never touched.
    grad_outputs : list, optional
        One upstream gradient per output (a number or anything that broadcasts to the
        output's shape). Default: 1 for a scalar output; required otherwise.
    value_limit : int, default 1_000_000
        Values and gradients with more elements are kept as a `TensorSummary`.

    Raises
    ------
    TypeError
        `func` is not callable, or an input, output or upstream gradient has a wrong type.
    ValueError
        A non-scalar output has no upstream gradient, one does not broadcast, or
        `value_limit` is not a positive int.

    Attributes
    ----------
    nx : networkx.DiGraph
        The graph itself: tensor and op nodes, and edges, with the attributes the README lists.
        The constructor runs the forward and the backward; the graph is built from that
        recording the first time it is used (its values are those of the run).

    Examples
    --------
    >>> import torch
    >>> g = TorchGraph(lambda a, b: a * b, [2, 3], [2])
    >>> float(g.grad("a")), float(g.grad("b"))
    (6.0, 4.0)
    """

    def __init__(
        self,
        func: Callable[..., Any],
        inputs: Sequence[Any],
        grad_outputs: Sequence[Any] | None = None,
        *,
        value_limit: int = VALUE_LIMIT,
    ) -> None:
        value_limit = check_value_limit(value_limit)
        _check_not_inference("TorchGraph(...)")
        if not callable(func):
            raise TypeError(f"func must be callable (a function, lambda or nn.Module), not {type(func).__name__}.")
        if isinstance(func, type):
            raise TypeError(
                f"func is the class {func.__name__}, not a function or a module; pass an instance, "
                f"e.g. TorchGraph({func.__name__}(...), inputs), or a function."
            )
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(
                f"inputs must be a list with one entry per argument of func; for a single argument write [{inputs!r}]."[
                    :200
                ]
            )
        names = input_names(func, len(inputs))
        tensors = [to_input(v, n) for v, n in zip(inputs, names)]
        # module buffers and the RNG go back as they were: building a graph has no side effects
        rec = Recorder(
            input_kind_for_unknown_leaves="param",
            value_limit=value_limit,
            restore_state=True,
            allow_backward=False,
            lazy=True,
        )
        for t, n in zip(tensors, names):
            rec.add_input(t, n)
        for prefix, module in modules_used_by(func):
            rec.add_root_module(module, prefix)
        rec.watch_locals_of(code_of(func))
        try:
            # under a caller's `no_grad` PyTorch would build no graph to draw; the collector
            # would only walk the growing graph again and again (`gcpause`)
            with torch.enable_grad(), paused_gc():
                with rec:
                    result = func(*tensors)
                outputs = to_outputs(result)
                rec.name_from_locals(rec.final_locals())
                rec.name_from_locals(referenced_tensors(func))  # constants read from outside: a global W
                self._finish(rec, outputs, grad_outputs, retain_graph=False)
        finally:
            rec.restore_state()

    @classmethod
    def _from_recorder(cls, rec: Recorder, outputs, grad_outputs, local_vars: dict) -> TorchGraph:
        self = cls.__new__(cls)
        rec.name_from_locals(local_vars)
        self._finish(rec, outputs, grad_outputs, retain_graph=True)
        return self

    def _finish(self, rec: Recorder, outputs: list[torch.Tensor], grad_outputs, *, retain_graph: bool):
        self._stages: dict = {}
        self._pending: tuple | None = None
        if rec.deferrable(outputs):
            try:  # the names only word an error, which the eager path below raises again with the right ones
                upstream = to_grad_outputs(grad_outputs, outputs, [f"output {i}" for i in range(len(outputs))])
            except (TypeError, ValueError):
                pass
            else:
                # the backward now, while the caller's tensors are as the function left them;
                # the graph itself when something first asks for it (`_build`)
                found = rec.log_gradients(
                    outputs, upstream, retain_graph=retain_graph, explain=lambda err: self._explain(rec, outputs, err)
                )
                self._pending = (rec, outputs, upstream, found)
                return
        rec.materialize()
        out_ids = self._name_outputs(rec, outputs)
        out_names = [rec.trace.nodes[nid]["name"] for nid in out_ids]
        upstream = to_grad_outputs(grad_outputs, outputs, out_names)
        grads, shares = rec.backward(outputs, upstream, retain_graph=retain_graph)
        self._assemble(rec, out_ids, upstream, grads, shares)

    @staticmethod
    def _name_outputs(rec: Recorder, outputs: list[torch.Tensor]) -> list[str]:
        out_ids = rec.set_outputs(outputs)
        name_outputs(rec, out_ids, outputs)
        return out_ids

    def _explain(self, rec: Recorder, outputs: list[torch.Tensor], err: RuntimeError) -> RuntimeError:
        """An autograd error of the deferred backward, worded as the eager path words it."""
        from .tracing.explain import explain

        rec.materialize()
        self._name_outputs(rec, outputs)
        return explain(err, rec.trace, rec._latest_version)

    def _build(self) -> None:
        """The graph of a deferred recording: nodes and edges from the log, gradients attached."""
        assert self._pending is not None
        rec, outputs, upstream, found = self._pending
        with paused_gc():  # many small objects, none of them garbage (`gcpause`)
            rec._values.sharing = False  # the recording is over: no write can reach a value any more
            rec.materialize()
            out_ids = self._name_outputs(rec, outputs)
            grads, shares = rec.gradients_by_node(found)
            self._assemble(rec, out_ids, upstream, grads, shares, own=True)  # the recording ends here
        self._pending = None

    def __getattr__(self, name: str) -> Any:
        # the graph and what comes with it are built on first use (`_build`)
        if name in _BUILT and self.__dict__.get("_pending") is not None:
            self._build()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _assemble(
        self, rec: Recorder, out_ids: list[str], upstream: list, grads: dict, shares: dict, own: bool = False
    ) -> None:
        G, given = to_networkx(rec, out_ids, upstream, grads, shares, own=own)
        self.nx = G
        self._input_ids = list(rec.trace.inputs)
        self._output_ids = out_ids
        self._upstream = given
        self._calls = dict(rec.trace.calls)  # op id -> how to call it again (forward mode, check)
        self._by_name: dict[str, list[str]] = {}  # a parameter may share its name with an input
        for nid, a in G.nodes(data=True):
            if a.get("name") and a["kind"] != "op":
                self._by_name.setdefault(a["name"], []).append(nid)

    # ----- reading values ---------------------------------------------------------
    @property
    def inputs(self) -> list[str]:
        """Names of the input tensor nodes, in argument order."""
        return [self.nx.nodes[n]["name"] for n in self._input_ids]

    @property
    def outputs(self) -> list[str]:
        """Names of the output tensor nodes, in return order."""
        return [self.nx.nodes[n]["name"] for n in self._output_ids]

    def node_id(self, name: str) -> str:
        """The node id of a tensor given its name (or its node id); KeyError names the known ones."""
        if not isinstance(name, str):
            raise TypeError(f"a tensor is named by a string such as {(self.inputs or ['x'])[0]!r}, not {name!r}.")
        if name in self._by_name:
            found = self._by_name[name]
            if len(found) > 1:
                which = ", ".join(f"{nid} ({self.nx.nodes[nid]['kind']})" for nid in found)
                raise KeyError(f"{name!r} names {len(found)} tensors in this graph: {which}; pass the node id instead.")
            return found[0]
        if name in self.nx and self.nx.nodes[name]["kind"] != "op":
            return name
        known = ", ".join(sorted(self._by_name)) or "none"
        raise KeyError(f"no tensor named {name!r} in this graph; named tensors: {known}")

    def value(self, name: str) -> torch.Tensor | TensorSummary:
        """A detached copy of a named tensor's value (a `TensorSummary` above the value limit).

        Raises
        ------
        KeyError
            No tensor has that name; the message lists the names there are.
        """
        return self.nx.nodes[self.node_id(name)]["value"].clone()

    def grad(self, name: str) -> torch.Tensor | TensorSummary | None:
        """d(Σ⟨grad_output, output⟩)/d(tensor) for a named tensor, or None where unused.

        Raises
        ------
        KeyError
            No tensor has that name.
        """
        g = self.nx.nodes[self.node_id(name)]["grad"]
        return None if g is None else g.clone()

    def upstream(self, name: str) -> torch.Tensor | None:
        """The upstream gradient that was fed into a named output (None for one that carries no gradient)."""
        nid = self.node_id(name)
        if nid not in self._upstream:
            raise KeyError(f"{name!r} is not an output of this graph; its outputs are {', '.join(self.outputs)}.")
        g = self._upstream[nid]
        return None if g is None else g.clone()

    def __repr__(self) -> str:
        ops = sum(1 for _, a in self.nx.nodes(data=True) if a["kind"] == "op")
        return (
            f"<TorchGraph inputs={self.inputs} outputs={self.outputs} "
            f"{ops} ops, {self.nx.number_of_nodes() - ops} tensors>"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        """A bare `g` in a notebook: the SVG, plus a PNG for viewers that sanitise SVG."""
        from .bundle import drawing_bundle

        return drawing_bundle(self.scene(with_all=True), repr(self))
