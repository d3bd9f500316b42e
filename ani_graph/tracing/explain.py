"""Turning PyTorch's in-place error into a message that names the user's tensor.

When backward fails because a tensor saved for backward was changed in place later,
PyTorch names only a backward node ("output 0 of ExpBackward0"). `explain` finds the op
that made that node in the trace and adds which tensor it was, under the name the user
knows, which in-place op changed it, and what to write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .trace import Trace

_INPLACE_ERROR = "modified by an inplace operation"


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
    if _INPLACE_ERROR not in text:
        return err
    hints = []
    for op_id, attrs in trace.nodes.items():
        if attrs.get("kind") != "op" or not any(_names_node(text, b) for b in attrs["backward"]):
            continue
        hints += [_hint(trace, attrs["op"], v, latest) for u, v, _ in trace.edges if u == op_id]
    if not hints:
        return err
    return type(err)(text + "\n\n" + "\n".join(hints[:3]))


def _hint(trace: Trace, op: str, tensor: str, latest: Callable[[str], str]) -> str:
    """What to tell the user about one output of the op whose saved tensor was changed."""
    nodes = trace.nodes
    # the name the user knows is the one the tensor had at the end
    name = nodes[tensor]["name"] or nodes[latest(tensor)]["name"] or tensor
    later = [nodes[w]["op"] for x, w, _ in trace.edges if x == tensor and nodes[w].get("inplace")]
    what = f" by an in-place {later[0]}_" if later else ""
    return (
        f"ani-graph: the output `{name}` of {op} was changed{what} after "
        f"{op} saved it for backward. Use the out-of-place form "
        f"(`{name} = {name} + 1` rather than `{name}.add_(1)`), or clone `{name}` first."
    )


def _names_node(message: str, backward_name: str) -> bool:
    """Does PyTorch's message mention this backward node ("of ExpBackward0" or "of Exp,")?"""
    short = re.sub(r"Backward\d*$", "", backward_name)
    return f"of {backward_name}" in message or f"of {short}," in message
