"""The arrows of a drawing whose middle is hidden come from the edges at its drawn nodes only
(`walk.around`), and are the arrows a walk over every edge of the graph finds.

Each link is checked against the graph itself: the edges between two different boxes,
grouped by their pair of boxes in the graph's order.
"""

from __future__ import annotations

import torch

from ani_graph import TorchGraph
from ani_graph.view import ELIDED, _links
from ani_graph.walk import around


def long_with_fan_in(x, w):
    """400 steps that all read `w`, and `x` read again at the end: hidden ops feed drawn ones
    and a drawn input feeds an op at the far end."""
    y = x
    for _ in range(400):
        y = torch.sin(y * w)
    return (y + x).sum()


def _graph():
    x = torch.tensor([0.3, -0.2])
    return TorchGraph(long_with_fan_in, [x, torch.tensor(1.1)])


def test_links_of_a_hidden_middle_are_every_crossing_edge():
    g = _graph()
    view = g.view()
    G, owner = g.nx, view.owner
    assert ELIDED in set(owner.values())  # the middle is hidden
    crossing: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for u, v in G.edges:  # every edge of the graph, in its order
        if owner[u] != owner[v]:
            crossing.setdefault((owner[u], owner[v]), []).append((u, v))
    assert list(view.links) == list(crossing)
    assert {k: list(link.members) for k, link in view.links.items()} == crossing
    assert any(u == ELIDED for u, _ in crossing) and any(v == ELIDED for _, v in crossing)
    assert view.links == _links(G, owner)  # the walk over every edge gives the same links


def test_around_reads_the_nodes_and_their_predecessors_in_the_graph_order():
    G = _graph().nx
    nodes = list(G)
    drawn = nodes[-3:] + nodes[:2]
    found = [u for u, _ in around(G, drawn)]
    wanted = {*drawn, *(u for n in drawn for u in G.predecessors(n))}
    assert found == [n for n in nodes if n in wanted]
    assert all(dict(around(G, drawn))[u] is G.succ[u]._atlas for u in found)
    assert [u for u, _ in around(G, nodes)] == nodes  # not few: the whole walk
