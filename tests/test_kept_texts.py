"""Work done once per animation gives what doing it each time gives: an op's rule fields, a float32
table read without a float64 copy, heatmaps of a tensor that needs a gradient."""

from __future__ import annotations

import torch

from ani_graph import TorchGraph
from ani_graph.captions import rule_fields
from ani_graph.examples import two_layer, two_layer_inputs
from ani_graph.format import format_numbers, texts_kept
from ani_graph.inspect_data import _block, heat_maps
from ani_graph.view import display_names


def test_rule_fields_kept_in_a_block_equal_fresh_ones_and_are_found_once():
    G = TorchGraph(two_layer, two_layer_inputs()).nx
    names = display_names(G)
    ops = [n for n, a in G.nodes(data=True) if a["kind"] == "op"]
    fresh = {op: rule_fields(G, op, names, "L") for op in ops}
    assert rule_fields(G, ops[0], names, "L") is not fresh[ops[0]]  # outside a block: made each time
    with texts_kept({}):
        kept = {op: rule_fields(G, op, names, "L") for op in ops}
        assert all(rule_fields(G, op, names, "L") is kept[op] for op in ops)
        assert rule_fields(G, ops[0], names, "y") == {**fresh[ops[0]], "L": "y", "g": f"∂y/∂{fresh[ops[0]]['y']}"}
    assert kept == fresh


def test_a_float32_table_holds_the_float64_values_of_its_elements():
    t = torch.randn(4, 5) * torch.logspace(-8, 8, 5)
    table = _block(t)["table"]
    want = format_numbers(t.double().reshape(-1).tolist())
    assert [v for row in table for v in row] == want
    assert [float(v.replace("−", "-")) for v in want] == [float(f"{x:.4g}") for x in t.double().reshape(-1).tolist()]


def test_heatmaps_of_tensors_that_need_a_gradient_match_their_detached_copies():
    ts = [torch.randn(3, 70, requires_grad=True) for _ in range(3)] + [torch.randn(2, 4, requires_grad=True)]
    assert heat_maps(ts) == heat_maps([t.detach().clone() for t in ts])
    assert all(not t.grad_fn for t in ts)  # read, not differentiated through
