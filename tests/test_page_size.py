"""The stand-alone page's size per drawn node and the big drawing's size (issue 15's HTML and SVG
rows): sizes, not times."""

import pytest
import torch

from ani_graph import TorchGraph


def fan(branches: int) -> TorchGraph:
    """benchmarks/bench_player.py's wide graph: `branches` parallel sin·2 paths from one input, summed."""

    def f(x):
        return torch.stack([torch.sin(x[i]) * 2 for i in range(branches)]).sum()

    return TorchGraph(f, [torch.linspace(-1, 1, branches)])


@pytest.fixture(scope="module")
def fan_page():
    g = fan(80)
    page = g.animate("both", max_nodes=2000).to_html()
    drawn = len(g.view(max_nodes=2000).boxes)
    assert drawn == 565  # the page: 7 nodes per branch and 5 more
    return len(page.encode()) / drawn / 1024


def test_the_565_node_page_is_at_most_0_6_kb_per_node(fan_page):
    assert fan_page <= 0.6  # 1.49 KB per node before paints became classes, 1.09 before role defaults and deflate


def test_a_still_drawing_of_the_fan_is_at_most_2_mb_for_5605_nodes():
    # fan(800) is the 5,605-node drawing; fan(200) has the same boxes and edges per node
    g = fan(200)
    svg = g.to_svg(max_nodes=10_000)
    per_node = len(svg.encode()) / g.nx.number_of_nodes()
    assert per_node * 5605 <= 2 * 2**20
