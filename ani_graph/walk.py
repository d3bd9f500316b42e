"""Walking a graph in plain dicts: its topological order, and the order it was recorded in.

Every stage after the trace walks the whole graph at least once. networkx builds a view
object per lookup (`G.nodes[n]`, `G.out_degree(n)`, `G.in_edges(op)`), which costs more
than the work itself on a graph of 30,000 nodes; these walks read the plain dicts
networkx hands out (`G.adjacency()`, `G.nodes(data=True)`, `G.in_edges(data=True)`) once.

>>> import torch
>>> from ani_graph import TorchGraph
>>> g = TorchGraph(lambda x: torch.sin(2 * x), [1.0])
>>> import networkx as nx
>>> topological_order(g.nx) == list(nx.topological_sort(g.nx))
True
"""

from __future__ import annotations

import networkx as nx


def topological_order(G) -> list[str]:
    """The nodes in the order `networkx.topological_sort` gives (generation by generation, each
    in the graph's own order), in plain dicts; `networkx.NetworkXUnfeasible` on a cycle."""
    succ = dict(G.adjacency())
    indegree = dict.fromkeys(succ, 0)
    for nbrs in succ.values():
        for v in nbrs:
            indegree[v] += 1
    layer = [n for n, d in indegree.items() if d == 0]
    order: list[str] = []
    while layer:
        order += layer
        following = []
        for n in layer:
            for v in succ[n]:
                indegree[v] -= 1
                if indegree[v] == 0:
                    following.append(v)
        layer = following
    if len(order) != len(succ):
        raise nx.NetworkXUnfeasible("the graph has a cycle, so it has no topological order.")
    return order


def recorded_order(G) -> list[str] | None:
    """The nodes in the graph's own order (the order they were recorded) when every edge points
    forward in it, else None. It follows the program: a constant sits next to the op that reads it."""
    nodes = list(G)
    position = {n: i for i, n in enumerate(nodes)}
    for u, nbrs in G.adjacency():
        at = position[u]
        for v in nbrs:
            if position[v] <= at:
                return None
    return nodes


def operands_of(G) -> dict[str, list[str]]:
    """Op -> the tensors it reads, in argument order (as `captions.operands` gives them), for every op."""
    ins: dict[str, list[tuple[int, str]]] = {}
    for u, v, d in G.in_edges(data=True):
        ins.setdefault(v, []).append((d.get("arg", 0), u))
    found = {}
    for n, a in G.nodes(data=True):
        if a["kind"] == "op":
            pairs = ins.get(n, [])
            found[n] = [u for _, u in sorted(pairs, key=_first)] if len(pairs) > 1 else [u for _, u in pairs]
    return found


def _first(pair: tuple[int, str]) -> int:
    return pair[0]
