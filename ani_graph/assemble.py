"""From a finished recording to the public graph: outputs named, gradients attached.

`name_outputs` gives every output a name (`out`, `out0`, …) and its kind; `to_networkx`
builds the bipartite `networkx.DiGraph` of the design's contract from the trace, the
gradients and the per-edge shares. Both are plain functions of the recorder's data.
"""

from __future__ import annotations

import warnings

import networkx as nx
import torch

from .summary import keep
from .walk import plain


def name_outputs(rec, out_ids: list[str], outputs: list[torch.Tensor]) -> None:
    """Mark the output nodes `output` and name the unnamed ones `out` / `out0`, `out1`, …"""
    nodes = rec.trace.nodes
    taken = {a["name"] for a in nodes.values() if a.get("name")}
    for i, (nid, t) in enumerate(zip(out_ids, outputs)):
        attrs = nodes[nid]
        if attrs["kind"] == "intermediate":
            attrs["kind"] = "output"
        elif attrs["kind"] == "input" and nid not in rec.trace.inputs and t.grad_fn is not None:
            warnings.warn(
                f"output {i} was made by operations ani-graph could not see (TorchScript, or code that ran "
                "before the recording began), so the drawing does not show how it was computed.",
                stacklevel=4,
            )
        if not attrs["name"]:
            base = "out" if len(out_ids) == 1 else f"out{i}"
            name, n = base, 1
            while name in taken:
                name, n = f"{base}_{n}", n + 1
            attrs["name"] = attrs["label"] = name
            taken.add(name)


def to_networkx(
    rec, out_ids: list[str], upstream: list, grads: dict, shares: dict, *, own: bool = False
) -> tuple[nx.DiGraph, dict]:
    """The graph of the contract, and each output's upstream gradient (summed for a tensor returned twice).

    With `own`, the graph takes the trace's attribute dicts as they are (the recording is not used
    again); otherwise it gets copies, as `add_nodes_from` would make.
    """
    given: dict[str, torch.Tensor | None] = {}  # output node -> its upstream gradient
    for nid, g in zip(out_ids, upstream):  # a tensor returned twice gets both upstream gradients
        given[nid] = g if given.get(nid) is None else (given[nid] if g is None else given[nid] + g)
    # the trace's own dicts get the gradients; a copied graph keeps what they held when it was built
    # (a later graph of the same recording overwrites them in its trace, never in this graph)
    nodes = rec.trace.nodes
    if own:  # assembled once: every tensor node and input edge still holds the None gradient it was made with
        for nid, g in grads.items():
            nodes[nid]["grad"] = g
    else:
        for nid, attrs in nodes.items():
            if attrs["kind"] != "op":
                attrs["grad"] = grads.get(nid)
    for u, v, attrs in rec.trace.edges:
        if "arg" in attrs:  # the value an op read is that of the tensor version it read
            attrs["value"] = nodes[u]["value"]
            if not own:
                attrs["grad"] = shares.get((u, v))
    G = _digraph(nodes, rec.trace.edges, own)
    if own:
        succ = plain(G)[1]
        for (u, v), g in shares.items():
            edge = succ[u].get(v) if u in succ else None
            if edge is not None and "arg" in edge:
                edge["grad"] = g
    G.graph["module_types"] = dict(rec.trace.module_types)
    for nid, g in given.items():  # the gradient fed into this output from outside (grad_outputs)
        G.nodes[nid]["upstream"] = keep(g, rec.value_limit)
    return G, given


def _digraph(nodes: dict[str, dict], edges: list[tuple[str, str, dict]], own: bool) -> nx.DiGraph:
    """`DiGraph` with these nodes and edges, in this order: what `add_nodes_from` and `add_edges_from`
    build, filled in one pass (on 30,000 nodes their per-item checks and copies cost most of the build)."""
    G: nx.DiGraph = nx.DiGraph()
    # networkx's own stores (stable since 2.0; the stubs leave them out): node -> attrs, and the adjacency
    node, succ, pred = G._node, G._succ, G._pred  # type: ignore[attr-defined]
    node.update(nodes if own else {nid: attrs.copy() for nid, attrs in nodes.items()})
    succ.update({nid: {} for nid in nodes})
    pred.update({nid: {} for nid in nodes})
    try:
        for u, v, attrs in edges:
            out = succ[u]
            if v in out:  # the same edge twice: networkx merges its attributes into the first
                out[v].update(attrs)
            else:
                out[v] = pred[v][u] = attrs if own else attrs.copy()
    except KeyError:  # an edge to a node the trace does not hold (the recorder makes none): networkx adds it
        G = nx.DiGraph()
        G.add_nodes_from(nodes.items())
        G.add_edges_from(edges)
    return G
