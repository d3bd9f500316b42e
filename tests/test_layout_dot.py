"""`layout_dot.run_dot` reads `dot`'s positions off the laid-out graph's attributes: they must be
what graphviz itself writes out for the same text (its `json0` output, read independently here),
for nodes, edges with and without a label's room, and nested clusters, in any process."""

from __future__ import annotations

import json
import os
import sys

import pytest

from ani_graph.layout_dot import Cluster, dot_source, run_dot


def _source() -> str:
    nodes = {f"n{i}": (0.8 + 0.1 * (i % 3), 0.5) for i in range(7)}
    edges = [("n0", "n1", None), ("n1", "n2", ("0000", "11")), ("n2", "n3", None), ("n0", "n4", None)]
    edges += [("n4", "n5", ("00", "11")), ("n5", "n3", None), ("n3", "n6", None)]
    inner = Cluster("cluster_1", "00000", "11", ("n5",), ())
    outer = Cluster("cluster_0", "000", "11", ("n4",), (inner,))
    return dot_source(nodes, edges, [outer], "LR")


def _graphviz_json(source: str) -> dict:
    import pygraphviz

    return json.loads(pygraphviz.AGraph(string=source).draw(format="json0", prog="dot"))


def test_positions_are_graphviz_own():
    source = _source()
    out, data = run_dot(source), _graphviz_json(source)
    names = {o["_gvid"]: o["name"] for o in data["objects"]}
    assert out.centres == {o["name"]: o["pos"] for o in data["objects"] if "pos" in o}
    assert out.clusters == {o["name"]: o["bb"] for o in data["objects"] if "bb" in o}
    assert set(out.clusters) == {"cluster_0", "cluster_1"}
    splines = {(names[e["tail"]], names[e["head"]]): (e["pos"], e.get("lp")) for e in data["edges"]}
    assert out.splines == splines
    assert sum(lp is not None for _, lp in out.splines.values()) == 2  # the two edges with a label's room
    assert out.bb == tuple(float(v) for v in data["bb"].split(","))


def test_again_and_after_a_larger_graph_the_same():
    small, large = _source(), dot_source({f"n{i}": (1.0, 0.5) for i in range(40)}, [], [], "TB")
    first = run_dot(small)
    assert len(run_dot(large).centres) == 40
    assert run_dot(small) == first  # the scratch text was replaced, not appended to


@pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin", reason="needs fork")
def test_a_forked_child_lays_out_on_its_own():
    source = _source()
    here = run_dot(source)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its own scratch file, and the same positions; it never returns to pytest
        try:
            os.write(write, b"1" if run_dot(source) == here else b"0")
        finally:
            os._exit(0)
    os.close(write)
    assert run_dot(source) == here
    assert os.read(read, 1) == b"1"
    os.waitpid(pid, 0)
    os.close(read)
