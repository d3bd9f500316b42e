"""Hostile text in every field a user controls: module names, class names, a custom
Function's `name` and `rule`, variable names. Nothing crashes, graphviz never sees the
text, the SVG stays valid XML, the page stays a page, and the text shows literally.

Cases that could crash the interpreter (graphviz segfaults) run in a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import warnings
import xml.dom.minidom
from pathlib import Path

import pytest
import torch

from ani_graph import TorchGraph, record, trackable_function
from ani_graph.escapes import visible
from ani_graph.page import script_json
from ani_graph.payload import unpack

# What graphviz 2.0.4 crashes on, what breaks XML, HTML and scripts, what reorders text.
HOSTILE = [
    "\nmod",
    "a\\b",
    "x\\l",
    "a\x00b",
    "tab\there",
    "esc\x1b[31m",
    "a\ud800b",
    "</script><script>alert(1)</script>",
    "<!--<script>",
    "]]>&amp;\"'",
    "line\u2028para\u2029",
    "abc\u202edef",
    "${x}`y`{{z}}",
]
# class names can hold neither NUL nor lone surrogates
CLASS_NAMES = [s for s in HOSTILE if "\x00" not in s and "\ud800" not in s]


ROOT = Path(__file__).resolve().parents[1]


def child(code: str) -> subprocess.CompletedProcess:
    """Run `code` in a fresh interpreter: a segfault fails the test instead of killing the run."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300, cwd=ROOT, env=env
    )


class Holder(torch.nn.Module):
    """A module that keeps one child under any name and calls it."""

    def __init__(self, name: str, child: torch.nn.Module):
        super().__init__()
        self.add_module(name, child)
        self.child_name = name

    def forward(self, x):
        return getattr(self, self.child_name)(x)


def _graph_with_hostile_text(text: str):
    """A graph with `text` as two nested module names, a module class name, and a Function's
    class name, label and rule. Returns the graph and the model."""
    cls_name = text if text in CLASS_NAMES else "Odd"
    Named = type(cls_name, (Holder,), {})
    model = Holder(text, Named(text, torch.nn.Linear(2, 2)))
    Odd = type(
        cls_name,
        (torch.autograd.Function,),
        {
            "name": text,
            "rule": text,
            "forward": staticmethod(lambda ctx, x: x * 2),
            "backward": staticmethod(lambda ctx, g: g * 2),
        },
    )
    trackable_function(Odd)
    return TorchGraph(lambda x: Odd.apply(model(x)).sum(), [[1.0, 2.0]]), model


def test_hostile_text_in_every_field_never_reaches_graphviz_or_crashes_it():
    # every hostile string as a module name, a class name, a Function label and rule, and a
    # variable name (top-level record(): the "locals" are globals(), any string can be a key)
    code = """
    import torch
    from ani_graph import record
    from ani_graph.escapes import visible
    from tests.test_hostile_strings import HOSTILE, _graph_with_hostile_text
    for text in HOSTILE:
        g, model = _graph_with_hostile_text(text)
        for depth in (None, 0, 1):
            dot = g.to_dot(depth=depth)
            assert text not in dot and visible(text) not in dot, repr(text)
            g.layout(depth=depth)
            g.to_svg(with_all=True, depth=depth)
        with record() as rec:
            globals()[text] = model(torch.ones(2)).sum()
        rec.graph(globals()[text]).to_svg(with_all=True)
    print("survived", len(HOSTILE))
    """
    out = child(code)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == f"survived {len(HOSTILE)}"


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_names_give_valid_svg_that_shows_them_literally(text):
    g, _ = _graph_with_hostile_text(text)
    svg = g.to_svg(with_all=True)
    xml.dom.minidom.parseString(svg.encode("utf-8"))  # valid XML: no raw control characters
    shown = visible(text)
    texts = "".join(node.data for node in _text_nodes(xml.dom.minidom.parseString(svg.encode("utf-8"))))
    assert shown in texts  # the op's label, as written (with visible escapes)
    assert "<script" not in svg
    assert g.nx.graph["module_types"]  # modules were named: their titles went through the same path
    assert any(shown in path for path in g.nx.graph["module_types"])


def _text_nodes(doc):
    stack = [doc]
    while stack:
        node = stack.pop()
        if node.nodeType == node.TEXT_NODE and node.parentNode.tagName == "text":
            yield node
        stack.extend(node.childNodes)


def test_control_characters_and_lone_surrogates_become_visible_escapes():
    assert visible("a\x00b") == "a\\x00b"
    assert visible("\nmod") == "\\nmod"
    assert visible("a\ud800b") == "a\\ud800b"
    assert visible("x\u202ey") == "x\\u202ey"
    assert visible("σ(x) · 2 ∂") == "σ(x) · 2 ∂"  # ordinary Unicode stays as it is
    for text in HOSTILE:
        visible(text).encode("utf-8")  # every escaped text can be written to a file


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_page_with_hostile_names_saves_and_keeps_its_script_data_inert(tmp_path, text):
    g, _ = _graph_with_hostile_text(text)
    anim = g.animate("both")
    path = anim.save(tmp_path / "page.html")
    page = path.read_text(encoding="utf-8")
    start = page.index('-state">') + len('-state">')
    data = page[start : page.index("</script>", start)]
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in data
    assert unpack(json.loads(data))["frames"] == json.loads(json.dumps(anim.frames))  # the same frames come back


def test_script_json_round_trips_every_hostile_string():
    data = {"names": HOSTILE}
    text = script_json(data)
    assert "<" not in text and ">" not in text and "&" not in text
    text.encode("utf-8")
    back = json.loads(text)["names"]
    assert back[:6] == HOSTILE[:6] and back[7:] == HOSTILE[7:]
    assert back[6] == "a\ud800b"  # a lone surrogate is written as its escape and read back as itself


def test_invalid_mathtext_label_is_drawn_as_plain_text_with_a_warning(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for label in ("$\\frac{$", "$\\nosuchcommand{x}$", "$x^$"):
        Odd = trackable_function(
            type(
                "Odd",
                (torch.autograd.Function,),
                {
                    "name": label,
                    "forward": staticmethod(lambda ctx, x: x * 2),
                    "backward": staticmethod(lambda ctx, g: g * 2),
                },
            )
        )
        g = TorchGraph(lambda x, op=Odd: op.apply(x), [1.0])
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = plt.figure()
            g.plot()
            fig.savefig(tmp_path / "plot.png")  # mathtext is parsed when drawn: this used to raise
            plt.close(fig)
        assert any("not valid mathtext" in str(w.message) and repr(label) in str(w.message) for w in caught)
        assert float(g.grad("x")) == 2.0


def test_valid_mathtext_still_renders_as_math_without_warning(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    Sig = trackable_function(
        type(
            "Sig",
            (torch.autograd.Function,),
            {
                "name": "$\\sigma$",
                "forward": staticmethod(lambda ctx, x: x.sigmoid()),
                "backward": staticmethod(lambda ctx, g: g),
            },
        )
    )
    g = TorchGraph(lambda x: Sig.apply(x), [1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        ax = g.plot()
        ax.figure.savefig(tmp_path / "plot.png")
    assert "$\\sigma$" in [t.get_text() for t in ax.texts]
    plt.close(ax.figure)


def test_module_paths_that_graphviz_ids_once_merged_get_two_cluster_boxes():
    # `a.b_c` and `a_b.c` both became cluster_a_b_c when ids were made from paths
    root = torch.nn.Module()
    root.a = torch.nn.Module()
    root.a.b_c = torch.nn.Linear(2, 2)
    root.a_b = torch.nn.Module()
    root.a_b.c = torch.nn.Linear(2, 2)
    g = TorchGraph(lambda x: (root.a.b_c(x) * root.a_b.c(x)).sum(), [[1.0, 2.0]])
    boxes = g.layout().clusters
    assert {"a", "a.b_c", "a_b", "a_b.c"} <= set(boxes)
    first, second = boxes["a.b_c"], boxes["a_b.c"]
    assert first != second
    overlap_x = min(first[2], second[2]) - max(first[0], second[0])
    overlap_y = min(first[3], second[3]) - max(first[1], second[1])
    assert overlap_x <= 0 or overlap_y <= 0  # side by side or one above the other, never on top
    inside = lambda inner, outer: all(  # noqa: E731
        (inner[i] >= outer[i] - 0.5) if i < 2 else (inner[i] <= outer[i] + 0.5) for i in range(4)
    )
    assert inside(first, boxes["a"]) and inside(second, boxes["a_b"])
    assert not inside(first, boxes["a_b"]) and not inside(second, boxes["a"])
    dot = g.to_dot()
    assert "a_b" not in dot and "b_c" not in dot  # cluster ids are our own numbers
    svg = g.to_svg()
    assert svg.count('data-module="a.b_c"') == 1 and svg.count('data-module="a_b.c"') == 1
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (expected,) = torch.autograd.grad((root.a.b_c(x) * root.a_b.c(x)).sum(), x)
    assert torch.allclose(g.grad("x"), expected)


def test_hostile_variable_names_at_top_level_are_shown_escaped():
    scope = {"torch": torch, "record": record}
    exec(
        "w = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "with record() as rec:\n"
        "    globals()['bad\\x00name'] = (w * 3).sum()\n",
        scope,
    )
    g = scope["rec"].graph(scope["bad\x00name"])
    assert g.outputs == ["bad\\x00name"]
    xml.dom.minidom.parseString(g.to_svg(with_all=True).encode("utf-8"))
    assert g.grad("w").tolist() == [3.0, 3.0]


def test_a_very_long_function_name_is_shortened_in_its_box_but_kept_in_the_graph():
    Long = type(
        "ReparameterisedSoftplusWithTemperatureScaling" * 3,
        (torch.autograd.Function,),
        {"forward": staticmethod(lambda ctx, x: x * 2), "backward": staticmethod(lambda ctx, g: g * 2)},
    )
    g = TorchGraph(lambda x: Long.apply(x), [1.0])
    (op,) = [a for _, a in g.nx.nodes(data=True) if a["kind"] == "op"]
    assert op["op"] == Long.__name__  # the graph keeps the full name
    assert len(op["label"]) == 32 and op["label"].endswith("…")
    assert float(g.grad("x")) == 2.0
