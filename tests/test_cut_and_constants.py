"""What the drawing says about tensors outside the gradient's path: a `detach()` is a cut, and constants
read from outside the function carry the name the code gives them."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import torch

from ani_graph import TorchGraph
from ani_graph.frames import state_at

from .conftest import autograd_grads as grads


def with_detach(x):
    u = (x * x).detach()
    z = u * x
    return z


def test_a_detached_edge_is_drawn_as_a_dashed_cut_into_a_detach_op():
    g = TorchGraph(with_detach, [[0.0, 1.0, 2.0, 3.0]], [torch.ones(4)])
    u = g.node_id("u")
    (cut,) = g.nx.predecessors(u)
    (source,) = g.nx.predecessors(cut)
    assert g.nx.nodes[cut]["label"] == "detach" and g.nx.edges[source, cut]["cut"]
    assert g.view().links[(source, cut)].cut
    svg = g.to_svg()
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    edges = {(e.get("data-src"), e.get("data-dst")): e for e in root.iter(f"{ns}g") if "ag-edge" in e.get("class", "")}
    # a path's own paint, beyond its role's default, is a class with a rule in the SVG's <style>
    rules = dict(re.findall(r":where\(\.ag-graph \.(p[0-9a-f]+)\) \{ ([^}]*) \}", svg))

    def dashed(edge) -> bool:
        path = edge.find(f"{ns}path")
        own = [rules[c] for c in path.get("class").split() if c in rules]
        return bool(path.get("stroke-dasharray")) or any("stroke-dasharray:" in r for r in own)

    assert dashed(edges[(source, cut)])
    assert not any(dashed(e) for k, e in edges.items() if k != (source, cut))
    assert ">detach</text>" in g.to_svg()
    (gx,) = grads(with_detach, [[0.0, 1.0, 2.0, 3.0]])
    assert torch.equal(g.grad("x"), gx) and gx.tolist() == [0.0, 1.0, 4.0, 9.0]  # u is held fixed


def test_the_animation_says_where_the_gradient_stops():
    g = TorchGraph(with_detach, [[0.0, 1.0, 2.0, 3.0]], [torch.ones(4)])
    frames = g.frames("both")
    assert "u = detach(v1) → [0, 1, 4, 9]" in [f["caption"] for f in frames]
    stop = next(f for f in frames if f["phase"] == "backward" and "detach" in f["rule"])
    assert stop["caption"] == "u = detach(v1) is a constant: no gradient flows back from u to v1"
    assert stop["badges"] == {} and stop["edge_badges"] == []
    (v1,) = g.nx.predecessors(stop["nodes"][0] if stop["nodes"][0].startswith("op") else stop["nodes"][1])
    assert g.nx.nodes[v1]["grad"] is None  # nothing reached v1
    assert "grad" not in state_at(frames, len(frames) - 1)["badges"][v1]


def test_a_detach_whose_result_is_never_used_leaves_nothing_behind():
    def f(x):
        y = x * 2
        print_me = y.detach()  # noqa: F841
        return y

    g = TorchGraph(f, [1.0])
    assert [a["op"] for _, a in g.nx.nodes(data=True) if a["kind"] == "op"] == ["mul"]


W = torch.tensor([[1.0, 2.0], [0.0, -1.0], [3.0, 0.5]])


def linear_map(x):
    y = W @ x
    return y


def test_a_constant_read_from_outside_the_function_takes_its_name():
    g = TorchGraph(linear_map, [[0.5, -2.0]], [[1.0, -1.0, 2.0]])
    w = g.node_id("W")
    assert g.nx.nodes[w]["kind"] == "constant" and torch.equal(g.nx.nodes[w]["value"], W)
    assert "y = W @ x → [−3.5, 2, 0.5]" in [f["caption"] for f in g.frames("forward")]
    (gx,) = grads(linear_map, [[0.5, -2.0]], [[1.0, -1.0, 2.0]])
    assert torch.allclose(g.grad("x"), gx) and gx.tolist() == [7.0, 4.0]


def test_a_local_name_wins_over_a_global_one():
    def f(x):
        M = W
        y = M @ x
        return y

    g = TorchGraph(f, [[0.5, -2.0]], [[1.0, 1.0, 1.0]])
    assert "M" in {a.get("name") for _, a in g.nx.nodes(data=True)}
