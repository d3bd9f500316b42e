"""The deferred build fills networkx's stores in one pass: the graph must be the one its API builds.

`assemble._digraph` writes nodes and edges straight into a new `DiGraph`; `add_nodes_from` and
`add_edges_from` are the reference (same node order, edge order, adjacency in both directions,
attributes, and a repeated edge merged into the first). The one-pass replay of a one-result call
(`op_nodes.add_single_op`) is checked against the eager recorder in `test_lazy_trace.py`.
"""

from __future__ import annotations

import networkx as nx
import pytest
import torch

from ani_graph import TorchGraph
from ani_graph.assemble import _digraph
from ani_graph.tracing import Recorder
from ani_graph.view import owner_module, owner_modules


def _by_api(nodes, edges):
    G = nx.DiGraph()
    G.add_nodes_from(nodes.items())
    G.add_edges_from(edges)
    return G


def _same_graph(a: nx.DiGraph, b: nx.DiGraph) -> None:
    assert list(a.nodes(data=True)) == list(b.nodes(data=True))
    assert list(a.edges(data=True)) == list(b.edges(data=True))
    for n in b:
        assert list(a.succ[n]) == list(b.succ[n])
        assert list(a.pred[n]) == list(b.pred[n])
        assert a.pred[n].keys() == b.pred[n].keys()


@pytest.mark.parametrize("own", [False, True])
def test_one_pass_graph_is_the_api_graph(own):
    nodes = {n: {"kind": "op" if n.startswith("op") else "intermediate", "k": n} for n in ["t0", "op0", "t1", "t2"]}
    edges = [("t0", "op0", {"arg": 0}), ("t2", "op0", {"arg": 1}), ("op0", "t1", {"out": 0}), ("t2", "op0", {"x": 3})]
    reference = _by_api({n: dict(a) for n, a in nodes.items()}, [(u, v, dict(a)) for u, v, a in edges])
    G = _digraph(nodes, edges, own)
    _same_graph(G, reference)
    assert G.edges["t2", "op0"] == {"arg": 1, "x": 3}  # the repeated edge merged into the first
    assert G.succ["t2"]["op0"] is G.pred["op0"]["t2"]  # one attribute dict per edge, as networkx keeps it
    assert (G.nodes["t0"] is nodes["t0"]) == own  # copies unless the graph owns the trace's dicts
    G.add_edge("t1", "t0", w=1)  # still an ordinary graph
    assert list(G.pred["t0"]) == ["t1"] and nx.is_directed_acyclic_graph(G) is False


def test_an_edge_to_an_unknown_node_is_added_as_networkx_adds_it():
    nodes = {"t0": {"kind": "input"}}
    edges = [("t0", "op9", {"arg": 0})]
    _same_graph(_digraph(nodes, edges, False), _by_api(nodes, edges))


def test_the_graph_of_a_recording_is_the_api_graph():
    """A recording's trace (a chain, a fan-out, an op reading one tensor twice) gives the same graph both ways."""

    def chain(x):
        for _ in range(30):
            x = x * 1.1
        h = torch.sin(x)
        return h * h + x

    rec = Recorder(lazy=True)
    x = torch.tensor(0.5, requires_grad=True)
    rec.add_input(x, "x")
    with rec:
        y = chain(x)
    rec.materialize()
    rec.set_outputs([y])
    nodes, edges = rec.trace.nodes, rec.trace.edges
    _same_graph(_digraph(nodes, edges, False), _by_api(nodes, edges))
    g = TorchGraph(chain, [0.5])
    leaf = torch.tensor(0.5, requires_grad=True)
    (expected,) = torch.autograd.grad(chain(leaf), [leaf])
    assert torch.allclose(g.grad("x"), expected)


def _owner_by_api(G, n):
    """What a node's module was before `view.owner_modules`: read through networkx's views."""
    a = G.nodes[n]
    if a["kind"] == "op":
        return a["module"]
    if a["kind"] == "intermediate":
        preds = list(G.predecessors(n))
        return G.nodes[preds[0]]["module"] if preds else None
    if a["kind"] in ("param", "constant"):
        mods = {G.nodes[s]["module"] for s in G.successors(n)}
        return mods.pop() if len(mods) == 1 else None
    return None


def test_every_nodes_module_in_one_pass_is_the_one_read_node_by_node():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    g = TorchGraph(lambda x: net(x).sum() * 2, [torch.randn(2, 3)])
    found = owner_modules(g.nx)
    assert found == {n: _owner_by_api(g.nx, n) for n in g.nx}
    assert found == {n: owner_module(g.nx, n) for n in g.nx}
    ops = {a["module"] for _, a in g.nx.nodes(data=True) if a["kind"] == "op" and a["module"]}
    assert {m for m in found.values() if m} == ops and {"0", "2"} <= ops  # both Linear layers are there
