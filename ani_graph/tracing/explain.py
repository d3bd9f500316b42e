"""PyTorch's errors, reworded to name the user's tensor and say what to write instead.

When backward fails because a tensor saved for backward was changed in place later,
PyTorch names only a backward node ("output 0 of ExpBackward0"). `explain` finds the op
that made that node in the trace (in one pass over it: a 10,000-op loop answers at
once) and adds which tensor it was, under the name the user knows, which in-place op
changed it, and what to write instead. It also explains reentrant checkpoints, which
`torch.autograd.grad` refuses. `leaf_in_place` adds a hint to PyTorch's refusal of an
in-place op on a leaf, and `backward_in_func` is the error for a `backward()` call
inside the function `TorchGraph` draws.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .trace import Trace

_INPLACE_ERROR = "modified by an inplace operation"
_NAMED = re.compile(r"output (\d+) of (\w+),")
_LEAF_ERROR = "leaf Variable that requires grad is being used in an in-place operation"
_REENTRANT = "use_reentrant=True"
_REENTRANT_HINT = (
    "ani-graph: torch.utils.checkpoint with use_reentrant=True cannot be differentiated by "
    "torch.autograd.grad, which ani-graph uses to show every gradient. Pass use_reentrant=False "
    "to checkpoint (PyTorch recommends it too); the values and gradients are the same."
)


def explain(err: RuntimeError, trace: Trace, latest: Callable[[str], str]) -> RuntimeError:
    """PyTorch's error, plus which of the user's tensors and ops it means.

    `latest(node_id)` gives the node of the same tensor's last version, whose name the
    user knows. Any other error, or one the trace cannot place, comes back unchanged.

    >>> trace = Trace(
    ...     nodes={
    ...         "op0": {"kind": "op", "op": "exp", "backward": ["ExpBackward0"]},
    ...         "t1": {"kind": "intermediate", "name": "y"},
    ...         "op1": {"kind": "op", "op": "add", "backward": ["AddBackward0"], "inplace": True},
    ...     },
    ...     edges=[("op0", "t1", {"out": 0}), ("t1", "op1", {"arg": 0})],
    ... )
    >>> err = RuntimeError("... output 0 of ExpBackward0, is at version 1 ... modified by an inplace operation")
    >>> print(str(explain(err, trace, lambda nid: nid)).splitlines()[-1][:72])
    ani-graph: the output `y` of exp was changed by an in-place add_ after e
    >>> explain(RuntimeError("something else"), trace, lambda nid: nid).args
    ('something else',)
    """
    text = str(err)
    if _REENTRANT in text:
        return type(err)(text + "\n\n" + _REENTRANT_HINT)
    if _INPLACE_ERROR not in text:
        return err
    ops = [(op_id, attrs) for op_id, attrs in trace.nodes.items() if attrs.get("kind") == "op"]
    named = _NAMED.search(text)  # "output 0 of SigmoidBackward0" (or "of Sigmoid,")
    kinds = {b for _, attrs in ops for b in attrs["backward"]}  # a few class names, checked once each
    meant = {b for b in kinds if (named.group(2) in (b, _short(b)) if named else _names_node(text, b))}
    candidates = [(op_id, attrs["op"]) for op_id, attrs in ops if not meant.isdisjoint(attrs["backward"])]
    if not candidates:
        return err
    out_edges: dict[str, list] = {}  # one pass over the edges: the search stays linear in the graph
    for u, v, _ in trace.edges:
        out_edges.setdefault(u, []).append(v)
    changed: list = []
    unchanged: list = []
    for op_id, op in candidates:
        for tensor in out_edges.get(op_id, ()):
            later = [w for w in out_edges.get(tensor, ()) if trace.nodes[w].get("inplace")]
            # an output that an in-place op changed later is the one PyTorch means
            (changed if later else unchanged).append((op, tensor, later))
    hints = [_hint(trace, op, tensor, later, latest) for op, tensor, later in (changed or unchanged)[:3]]
    if not hints:
        return err
    return type(err)(text + "\n\n" + "\n".join(hints))


def _hint(trace: Trace, op: str, tensor: str, later: list[str], latest: Callable[[str], str]) -> str:
    """What to tell the user about one output of the op whose saved tensor was changed."""
    nodes = trace.nodes
    # the name the user knows is the one the tensor had at the end
    name = nodes[tensor]["name"] or nodes[latest(tensor)]["name"]
    what = f" by an in-place {nodes[later[0]]['op']}_" if later else ""
    which, var, it = (f"`{name}` ", name, f"`{name}`") if name else ("", "y", "it")
    return (
        f"ani-graph: the output {which}of {op} was changed{what} after "
        f"{op} saved it for backward. Use the out-of-place form "
        f"(`{var} = {var} + 1` rather than `{var}.add_(1)`), or clone {it} first."
    )


def _short(backward_name: str) -> str:
    """`ExpBackward0` as PyTorch sometimes writes it in messages: `Exp`."""
    return re.sub(r"Backward\d*$", "", backward_name)


def _names_node(message: str, backward_name: str) -> bool:
    """Does PyTorch's message mention this backward node ("of ExpBackward0" or "of Exp,")?"""
    return f"of {backward_name}" in message or f"of {_short(backward_name)}," in message


def leaf_in_place(err: RuntimeError, leaves: list[str | None]) -> RuntimeError | None:
    """PyTorch's refusal of an in-place op on a leaf, with what to write instead; None for other errors.

    `leaves` are the names of the leaf tensors that need grad among the op's arguments.

    >>> print(leaf_in_place(RuntimeError("a leaf Variable that requires grad is being used in an in-place "
    ...     "operation."), ["x"]).args[0].splitlines()[-1][:60])
    ani-graph: `x` is a leaf tensor that requires grad (as every
    """
    text = str(err)
    if _LEAF_ERROR not in text or "ani-graph:" in text:
        return None
    name = next((n for n in leaves if n), "the tensor")
    return type(err)(
        f"{text}\n\nani-graph: `{name}` is a leaf tensor that requires grad (as every input of "
        "TorchGraph is, so that it can show its gradient), and PyTorch refuses in-place ops on those. "
        f"Write `{name} = {name} + 1` rather than `{name}.add_(1)`, or start with `{name} = {name}.clone()`; "
        "to update a parameter, do it under `with torch.no_grad():`."
    )


def backward_in_func() -> RuntimeError:
    """The error for a `backward()` call inside the function `TorchGraph` draws."""
    return RuntimeError(
        "func calls backward(), but TorchGraph runs the backward pass itself (and a second one "
        "would fail or leave .grad behind). Return the loss from func instead; to draw a "
        "training step that calls backward() and optimizer.step(), wrap it in "
        "`with ani_graph.record() as rec:`."
    )
