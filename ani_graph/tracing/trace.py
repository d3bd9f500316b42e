"""`Trace`: what a recording produced, as plain data.

Node and edge attribute dicts in the order they were made, the ids of the input and
output tensor nodes, the class name of every module met, and how to call each op again
(`replay.OpCall`, for forward mode and the gradient check). Nothing here runs torch;
`graph.py` turns a `Trace` into the public `networkx.DiGraph`.

>>> t = Trace()
>>> t.nodes["t0"] = {"kind": "input", "name": "x"}
>>> t.inputs.append("t0")
>>> t.inputs, t.edges
(['t0'], [])
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Trace:
    """What a recording produced: attribute dicts keyed by node id, and edges."""

    nodes: dict[str, dict] = field(default_factory=dict)
    edges: list[tuple[str, str, dict]] = field(default_factory=list)
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    module_types: dict[str, str] = field(default_factory=dict)  # module path -> class name
    calls: dict[str, object] = field(default_factory=dict)  # op id -> its replay.OpCall
