"""The static drawing: layout, scene, SVG and matplotlib, checked on structure and geometry."""

import html
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

from ani_graph import TorchGraph, trackable_function  # noqa: E402
from ani_graph import style as S  # noqa: E402
from ani_graph.examples import Sigmoid, sin_example  # noqa: E402
from ani_graph.format import format_tensor  # noqa: E402
from ani_graph.scene import Show  # noqa: E402
from ani_graph.view import text_width  # noqa: E402

SVG = "{http://www.w3.org/2000/svg}"


def sin_graph():
    return TorchGraph(sin_example, [2, 3, 4])


def svg_tree(svg: str):
    return ET.fromstring(svg)


def groups(root, cls):
    return [g for g in root.iter(f"{SVG}g") if cls in (g.get("class") or "").split()]


def texts(el, cls):
    return [t for t in el.iter(f"{SVG}text") if cls in (t.get("class") or "").split()]


# ----- layout -------------------------------------------------------------------------------


def test_layout_runs_once_and_is_cached():
    g = sin_graph()
    assert g.layout() is g.layout()
    assert g.view() is g.view()


def test_inputs_are_left_of_outputs():
    g = sin_graph()
    lay = g.layout()
    xs = {g.nx.nodes[n].get("name"): lay.centres[n][0] for n in g.nx if g.nx.nodes[n]["kind"] != "op"}
    assert max(xs["x"], xs["a"]) < xs["y"]


def test_nothing_moves_between_plain_with_all_and_animation_states():
    g = sin_graph()
    plain = g.scene()
    full = g.scene(with_all=True)
    frame = g.scene(show=Show(nodes=frozenset({"op0"}), edges=frozenset({("t0", "op0")}), phase="backward"))
    for a, b, c in zip(plain.nodes(), full.nodes(), frame.nodes()):
        assert a.key == b.key == c.key
        assert a.bounds == b.bounds == c.bounds


def boxes_overlap(a, b) -> bool:
    (ax, ay, aw, ah), (bx, by, bw, bh) = a.bounds, b.bounds
    return abs(ax - bx) * 2 < aw + bw and abs(ay - by) * 2 < ah + bh


def test_no_two_nodes_overlap_and_every_label_fits_its_box():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    for g in [sin_graph(), TorchGraph(lambda x: mlp(x).pow(2).sum(), [[0.5, -1.0, 2.0]])]:
        nodes = g.scene(with_all=True).nodes()
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                assert not boxes_overlap(a, b), (a.key, b.key)
            box = g.view().boxes[a.key]
            for text in (box.title, box.value and "= " + box.value, box.grad and "∂ " + box.grad):
                if text:
                    assert len(text) * 11 * 0.62 <= a.bounds[2], (a.key, text)


def test_lit_things_take_the_colour_of_their_phase_in_both_renderers():
    from ani_graph.style import PHASE_COLOURS

    g = sin_graph()
    show = Show(nodes=frozenset({"op0"}), edges=frozenset({("t0", "op0")}), phase="backward")
    scene = g.scene(show=show)
    op = next(n for n in scene.nodes() if n.key == "op0")
    edge = next(e for e in scene.edges() if (e.src, e.dst) == ("t0", "op0"))
    assert op.items[0].stroke == edge.items[0].stroke == PHASE_COLOURS["backward"]
    assert "ag-lit" in op.cls and "ag-flow-back" in edge.cls
    fig, ax = plt.subplots()
    from ani_graph.render_mpl import draw_scene

    draw_scene(scene, ax)
    strokes = {matplotlib.colors.to_hex(p.get_edgecolor()).upper() for p in ax.patches}
    assert PHASE_COLOURS["backward"].upper() in strokes
    plt.close(fig)


def test_label_starting_with_a_newline_does_not_crash_graphviz():
    # pygraphviz 2.0.4's graphviz segfaults on a label that starts with a newline; run it
    # in a child process so a crash fails this test instead of killing the run.
    code = """
import torch
from ani_graph import TorchGraph, trackable_function
@trackable_function
class Odd(torch.autograd.Function):
    name = "\\nodd"
    @staticmethod
    def forward(ctx, x):
        return x * 2
    @staticmethod
    def backward(ctx, g):
        return g * 2
g = TorchGraph(lambda x: Odd.apply(x), [1.0])
print(len(g.to_svg()) > 0, len(g.to_dot()) > 0)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "True True"


def test_fontconfig_warning_stays_out_of_stderr():
    code = "import torch\nfrom ani_graph import TorchGraph\nTorchGraph(lambda x: x * 2, [1.0]).to_svg()\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    assert "Fontconfig" not in out.stderr


# ----- SVG -------------------------------------------------------------------------------------


def test_svg_has_one_group_per_node_and_edge_with_stable_ids():
    g = sin_graph()
    root = svg_tree(g.to_svg())
    nodes, edges = groups(root, "ag-node"), groups(root, "ag-edge")
    assert sorted(n.get("data-node") for n in nodes) == sorted(g.nx.nodes)
    assert sorted((e.get("data-src"), e.get("data-dst")) for e in edges) == sorted(g.nx.edges)
    assert len({n.get("data-node") for n in nodes}) == len(nodes)
    for n in nodes:
        kind = g.nx.nodes[n.get("data-node")]["kind"]
        assert f"ag-{kind}" in n.get("class").split()


def test_with_all_shows_every_value_gradient_and_edge_share():
    g = sin_graph()
    root = svg_tree(g.to_svg(with_all=True))
    for n in groups(root, "ag-node"):
        a = g.nx.nodes[n.get("data-node")]
        if a["kind"] in ("op", "constant"):
            continue
        assert texts(n, "ag-val")[0].text == format_tensor(a["value"])
        assert texts(n, "ag-grad")[0].text == format_tensor(a["grad"])
    for e in groups(root, "ag-edge"):
        u, v = e.get("data-src"), e.get("data-dst")
        if g.nx.nodes[u]["kind"] != "op":
            assert texts(e, "ag-egrad")[0].text == format_tensor(g.nx.edges[u, v]["grad"])
    # and the plain drawing shows no numbers (it has no slots for a player to fill)
    plain = svg_tree(g.to_svg())
    assert all(not t.text for n in groups(plain, "ag-node") for t in texts(n, "ag-grad"))


def test_values_and_gradients_in_the_drawing_are_autograds():
    g = sin_graph()
    root = svg_tree(g.to_svg(with_all=True))
    by_name = {texts(n, "ag-title")[0].text.split(" ")[0]: n for n in groups(root, "ag-node")}
    x = torch.tensor(2.0, requires_grad=True)
    (gx,) = torch.autograd.grad(torch.sin(3 * x + 4), [x])
    assert texts(by_name["x"], "ag-grad")[0].text == format_tensor(gx)


def test_mathtext_labels_render_as_math_never_literally():
    g = TorchGraph(lambda x: Sigmoid.apply(x) * 2, [0.5])
    svg = g.to_svg(with_all=True)
    assert "$" not in svg and "\\sigma" not in svg
    assert "σ" in svg
    ax = g.plot()
    shown = [t.get_text() for t in ax.texts]
    assert "$\\sigma$" in shown  # matplotlib renders the mathtext itself
    plt.close("all")


def test_hostile_names_are_escaped_and_no_script_is_drawn():
    Evil = type(
        "Evil",
        (torch.autograd.Function,),
        {
            "name": "<script>alert(1)</script>",
            "forward": staticmethod(lambda ctx, x: x * 2),
            "backward": staticmethod(lambda ctx, g: g * 2),
        },
    )
    trackable_function(Evil)

    def f(x):
        weird_name_ = Evil.apply(x)  # noqa: F841
        return Evil.apply(x) + 1

    svg = TorchGraph(f, [1.0]).to_svg(with_all=True)
    assert "<script" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    svg_tree(svg)  # still valid XML


def test_large_tensors_show_shape_and_summary_within_forty_characters():
    g = TorchGraph(lambda w: (w * 2).sum(), [torch.ones(64, 8)])
    root = svg_tree(g.to_svg(with_all=True))
    values = [t.text for n in groups(root, "ag-node") for t in texts(n, "ag-val") if t.text]
    assert "[64×8, mean 1]" in values
    assert all(len(v) <= 40 for n in groups(root, "ag-node") for t in texts(n, "ag-title") for v in [t.text or ""])


# ----- matplotlib ---------------------------------------------------------------------------------


def test_plot_respects_the_current_figure_and_returns_the_axes():
    g = sin_graph()
    fig = plt.figure(figsize=(10, 6))
    ax = g.plot()
    assert ax.figure is fig
    assert tuple(fig.get_size_inches()) == (10, 6)
    plt.close("all")


def test_plot_draws_into_a_given_axes(tmp_path):
    g = sin_graph()
    fig, axes = plt.subplots(1, 2, figsize=(12, 3))
    ax = g.plot(with_all=True, ax=axes[1])
    assert ax is axes[1]
    assert not axes[0].patches and axes[1].patches
    shown = {t.get_text() for t in ax.texts}
    assert format_tensor(g.grad("x")) in shown and format_tensor(g.value("y")) in shown
    for suffix in ("png", "svg", "pdf"):
        path = tmp_path / f"graph.{suffix}"
        fig.savefig(path)
        assert path.stat().st_size > 1000
    plt.close("all")


def painted(svg: str, element, name: str, parent=None) -> str | None:
    """An SVG element's paint `name`: its attribute, else its paint class's rule in the SVG's <style>,
    else the default of its role (its class right inside `parent`'s)."""
    if element.get(name) is not None:
        return element.get(name)
    declarations = lambda rule: dict(kv.split(":", 1) for kv in rule.split(";"))  # noqa: E731
    rules = dict(re.findall(r":where\(\.ag-graph \.(p[0-9a-f]+)\) \{ ([^}]*) \}", svg))
    own = set((element.get("class") or "").split())
    for cls in own:
        if cls in rules and name in declarations(rules[cls]):
            return declarations(rules[cls])[name]
    around = set((parent.get("class") or "").split()) if parent is not None else set()
    for outer, inner, rule in re.findall(r":where\(\.ag-d[0-9a-f]+ ?([^>]*?) ?> \.([^)]*)\) \{ ([^}]*) \}", svg):
        if set(inner.split(".")) <= own and set(outer.strip(".").split(".")) - {""} <= around:
            return declarations(rule).get(name)
    return None


def test_plot_and_svg_share_positions_and_colours():
    g = sin_graph()
    scene = g.scene(with_all=True)
    ax = g.plot(with_all=True)
    svg = g.to_svg(with_all=True)
    root = svg_tree(svg)
    svg_nodes = {n.get("data-node"): n for n in groups(root, "ag-node")}
    mpl_fills = {matplotlib.colors.to_hex(p.get_facecolor()).upper() for p in ax.patches}
    for node in scene.nodes():
        shape = node.items[0]
        svg_shape = [c for c in svg_nodes[node.key] if "ag-shape" in (c.get("class") or "")][0]
        parent = svg_nodes[node.key]
        assert painted(svg, svg_shape, "fill", parent) == shape.fill
        assert painted(svg, svg_shape, "stroke", parent) == shape.stroke
        assert shape.fill.upper() in mpl_fills
    assert set(svg_nodes) == {n.key for n in scene.nodes()}
    plt.close(ax.figure)


def test_notebook_display_carries_svg_and_png():
    g = sin_graph()
    bundle = g._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<svg")
    import base64

    assert base64.b64decode(bundle["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_style_option_is_a_clear_error():
    with pytest.raises(TypeError, match="unknown drawing option"):
        sin_graph().to_svg(colour="red")


# ----- big graphs -----------------------------------------------------------------------------------


def transformer(layers):
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(64, 4, 128, batch_first=True, dropout=0.0)
    enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
    return TorchGraph(lambda x: enc(x).sum(), [torch.randn(2, 5, 64)])


def test_ops_inside_modules_are_clustered_by_module_path():
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    g = TorchGraph(lambda x: mlp(x).sum(), [[1.0, 2.0, 3.0]])
    root = svg_tree(g.to_svg())
    modules = {c.get("data-module") for c in groups(root, "ag-cluster")}
    assert {"0", "1", "2"} <= modules


def test_depth_folds_deeper_modules_into_boxes():
    g = transformer(2)
    full = g.view(depth=99)  # nothing is that deep: every op drawn
    folded = g.view(depth=1)
    boxes = {b.title for b in folded.boxes.values() if b.kind == "module"}
    assert boxes == {"layers.0 · TransformerEncoderLayer", "layers.1 · TransformerEncoderLayer"}
    assert len(folded.boxes) < len(full.boxes) / 5
    assert len(g.scene(depth=1).nodes()) == len(folded.boxes)


def test_big_graph_folds_itself_and_says_so():
    g = transformer(6)
    view = g.view()
    assert len(view.boxes) <= 300
    assert "folded" in view.note and g.scene().note == view.note
    root = svg_tree(g.to_svg())
    assert "folded" in "".join(t.text or "" for t in root.iter(f"{SVG}text"))


def test_a_note_wider_than_a_narrow_drawing_wraps_inside_its_card():
    g = transformer(6)  # drawn top to bottom: narrower than its one-line note
    scene = g.scene()
    (group,) = [grp for grp in scene.groups if grp.role == "note"]
    lines = [t.text for t in group.items]
    assert len(lines) > 1 and " ".join(lines) == scene.note
    for t in group.items:
        assert t.x + text_width(t.text) <= scene.width - S.MARGIN
        assert t.y < scene.height
    assert [t.y for t in group.items] == sorted(t.y for t in group.items)
    root = svg_tree(g.to_svg())
    texts = [t.text for t in root.iter(f"{SVG}text") if "ag-note" in (t.get("class") or "")]
    assert " ".join(texts) == scene.note


def test_a_long_chain_without_modules_elides_its_middle():
    def chain(x):
        for _ in range(500):
            x = x * 1.001
        return x

    g = TorchGraph(chain, [1.0])
    view = g.view()
    assert len(view.boxes) <= 301
    assert any(b.kind == "elided" for b in view.boxes.values())
    assert "hidden" in view.note


@pytest.mark.parametrize(
    "call,error,pattern",
    [
        (lambda g: g.to_svg(depth=-1), ValueError, "depth must be"),
        (lambda g: g.plot(max_nodes=0), ValueError, "max_nodes must be"),
        (lambda g: g.plot(ax="left"), TypeError, "matplotlib Axes"),
        (lambda g: g.animate(depth="deep"), ValueError, "depth must be"),
        (lambda g: g.to_dot(max_nodes=1.5), ValueError, "max_nodes must be"),
    ],
)
def test_bad_drawing_options_get_clear_errors(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call(sin_graph())


def test_modules_whose_paths_differ_only_in_dots_and_underscores_get_distinct_ids():
    class Inner(nn.Module):
        def forward(self, x):
            return torch.tanh(x * 2) + 1

    class Holder(nn.Module):
        def __init__(self, name):
            super().__init__()
            self.add_module(name, Inner())

        def forward(self, x):
            return next(iter(self.children()))(x)

    class Outer(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = Holder("b_c")  # a.b_c
            self.a_b = Holder("c")  # a_b.c

        def forward(self, x):
            return (self.a(x) * self.a_b(x)).sum()

    svg = TorchGraph(Outer(), [[0.5, -1.0]]).to_svg(depth=1)  # each inner module one box
    ids = [html.unescape(i) for i in re.findall(r'<g[^>]* data-node="([^"]*)"', svg)]
    assert any("b_c" in i for i in ids) and any("a_b" in i for i in ids)
    assert len(ids) == len(set(ids))


def test_a_paint_class_means_the_same_paint_in_every_drawing_on_a_page():
    # every inline SVG's <style> applies to the whole notebook page
    def rules(svg: str) -> dict[str, str]:  # paint classes, and each drawing's role defaults under its root's class
        return dict(re.findall(r":where\(\.(ag-graph \.p[0-9a-f]+|ag-d[^)]*)\) \{ ([^}]*) \}", svg))

    first = rules(TorchGraph(sin_example, [2, 3, 4]).to_svg(with_all=True))
    second = rules(TorchGraph(lambda x, w: torch.tanh(x @ w).sum(), [[[1.0, -2.0]], [[0.5], [3.0]]]).to_svg())
    assert first and second
    assert all(first[c] == second[c] for c in first.keys() & second.keys())
    classes = [v for k, v in first.items() if k.startswith("ag-graph")]
    assert len(set(classes)) == len(classes)
