"""Walking a graph in plain dicts: its topological order, and the two ends of the program that made it.

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

from collections.abc import Callable
from typing import TypeVar

import networkx as nx

T = TypeVar("T")


def cached(G, key: str, make: Callable[[], T]) -> T:
    """`make()`, kept in the graph's own cache (`G.__networkx_cache__`, which networkx empties
    whenever a node or an edge is added or removed; like networkx's own entries there, one
    computed from attributes must be cleared by whoever changes them)."""
    cache = getattr(G, "__networkx_cache__", None)
    if cache is None:  # networkx before 3.3
        return make()
    key = "ani_graph." + key
    if key not in cache:
        cache[key] = make()
    return cache[key]


def topological_order(G) -> list[str]:
    """The nodes in the order `networkx.topological_sort` gives (generation by generation, each
    in the graph's own order), in plain dicts; `networkx.NetworkXUnfeasible` on a cycle.

    The view and the frames both walk it: it is computed once per graph (`cached`).
    """
    return list(cached(G, "topological_order", lambda: tuple(_topological_order(G))))


def _topological_order(G) -> list[str]:
    nodes, succ, pred = plain(G)
    indegree = {n: len(p) for n, p in pred.items()}
    order = [n for n, d in indegree.items() if d == 0]
    for n in order:  # a queue: each generation is appended after the one before, as networkx lists them
        for v in succ[n]:
            d = indegree[v] - 1
            indegree[v] = d
            if d == 0:
                order.append(v)
    if len(order) != len(nodes):
        raise nx.NetworkXUnfeasible("the graph has a cycle, so it has no topological order.")
    return order


def program_ends(G, keep: int) -> tuple[list[str], list[str]] | None:
    """The first and the last `keep` nodes in the graph's own order (the order the program made
    them), when they are a beginning and an end of the graph: every node among the first has
    its inputs among them, every node among the last its consumers. Else None."""
    nodes = list(G)
    head, tail = nodes[:keep], nodes[-keep:]
    first, last = set(head), set(tail)
    pred, succ = G.pred, G.succ
    if all(u in first for n in head for u in pred[n]) and all(v in last for n in tail for v in succ[n]):
        return head, tail
    return None


def plain(G) -> tuple[dict[str, dict], dict[str, dict], dict[str, dict]]:
    """(node attributes, links out, links in) of a `networkx.DiGraph`: networkx's own dicts
    (`G._node`, `G._succ`, `G._pred`, the data structure its subclassing guide describes),
    read without a view object per lookup. Read only: changing them would corrupt the graph."""
    return G._node, G._succ, G._pred


def around(G, nodes: list[str]):
    """(node, its successors' dict) of `nodes` and of their predecessors, in the graph's own order,
    as `G.adjacency()` would give them; when they are not few, simply `G.adjacency()`."""
    succ, pred = G._succ, G._pred
    ends = set(nodes).union(*(pred[n] for n in nodes))
    if len(ends) * 8 > len(succ):  # not few: the whole walk costs about as much
        return G.adjacency()
    return ((u, succ[u]) for u in succ if u in ends)  # a set lookup per node, not a walk of its edges
