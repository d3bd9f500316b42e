"""One notation in every caption: the scalar differentiated is named, rules use the graph's own names,
and no number or name can be misread."""

from __future__ import annotations

import re

import torch
import torch.nn as nn

from ani_graph import TorchGraph, ops, record
from ani_graph.examples import Sigmoid, chain_rule, sin_example
from ani_graph.format import format_tensor

from .conftest import autograd_grads as grads


def backward(g) -> list[dict]:
    return [f for f in g.frames("backward") if f["phase"] == "backward"]


def test_one_scalar_output_is_differentiated_by_its_own_name():
    g = TorchGraph(sin_example, [2, 3, 4])
    frames = backward(g)
    assert frames[0]["caption"] == "Backward pass starts at the output y: ∂y/∂y = 1"
    gx, ga, gc = grads(sin_example, [2, 3, 4])
    cos10 = torch.cos(torch.tensor(10.0))
    assert format_tensor(gx) == format_tensor(3 * cos10) == "−2.517"
    assert frames[-1]["caption"] == f"∂y/∂x = ∂y/∂v1 · ∂v1/∂x = ({format_tensor(cos10)}) · 3 = {format_tensor(gx)}"
    assert frames[-1]["caption"] == "∂y/∂x = ∂y/∂v1 · ∂v1/∂x = (−0.8391) · 3 = −2.517"
    assert not any("∂L" in f["caption"] or "∂L" in f["rule"] for f in frames)


def test_several_outputs_define_L_in_the_first_backward_frame_from_their_upstream_gradients():
    def branch(x):
        y1 = torch.sqrt(x)
        y2 = torch.sqrt(x)
        return y1, y2

    g = TorchGraph(branch, [4], [4, 8])
    assert [float(g.nx.nodes[g.node_id(y)]["upstream"]) for y in ("y1", "y2")] == [4.0, 8.0]
    frames = backward(g)
    assert frames[0]["caption"] == "Backward pass starts: L = 4·y1 + 8·y2, so ∂L/∂y1 = 4, ∂L/∂y2 = 8"
    assert all(f["caption"].startswith("∂L/∂x") for f in frames[1:])
    (gx,) = grads(branch, [4], [4, 8])
    assert frames[-1]["caption"].endswith(f"→ {format_tensor(gx)}") and format_tensor(gx) == "3"


def test_an_upstream_gradient_on_one_output_defines_L_too_with_signs_written_as_a_sum():
    def two(x):
        y = x * 2
        z = x * 3
        return y, z

    first = backward(TorchGraph(two, [1.0], [-2.0, 1.0]))[0]["caption"]
    assert first == "Backward pass starts: L = −2·y + z, so ∂L/∂y = −2, ∂L/∂z = 1"
    vector = backward(TorchGraph(lambda x: x * 2, [[1.0, 2.0]], [[0.5, -1.0]]))[0]["caption"]
    assert vector == "Backward pass starts: L = Σ([0.5, −1] ⊙ out), so ∂L/∂out = [0.5, −1]"


def test_L_never_clashes_with_a_tensor_named_L():
    def f(x):
        L = x * 2
        return L

    g = TorchGraph(f, [1.0], [3.0])
    assert backward(g)[0]["caption"] == "Backward pass starts: ℒ = 3·L, so ∂ℒ/∂L = 3"


# ----- rules --------------------------------------------------------------------------------------


def clash(a, b, u, n, G, A, B, s, x, W):
    """Every letter an old rule used as a placeholder is a node here, but none of these ops' operand."""
    h = W @ x
    p = Sigmoid.apply(h)
    q = torch.sin(p) * torch.exp(s) / torch.sqrt(n)
    r = (q.sum() - A) ** 2 + torch.relu(B) * torch.tanh(G)
    y = r.mean() * a + b * u
    return y


CLASH_INPUTS = [2.0, -1.5, 0.5, 4.0, 0.3, 1.0, 0.7, [0.2, -0.4], [1.0, 2.0], [[1.0, -2.0], [0.5, 1.0]]]


def names_in(text: str, names: set[str]) -> set[str]:
    """The names that occur in a text as whole symbols (not inside a longer word)."""
    return {n for n in names if re.search(rf"(?<![\w.\"]){re.escape(n)}(?![\w.\"])", text)}


def test_no_rule_names_a_node_that_is_not_an_operand_or_result_of_its_op():
    g = TorchGraph(clash, CLASH_INPUTS)
    G = g.nx
    named = {a["name"] for _, a in G.nodes(data=True) if a["kind"] != "op" and a.get("name")}
    checked = 0
    for f in backward(g)[1:]:
        op = next(n for n in f["nodes"] if G.nodes[n]["kind"] == "op")
        own = {G.nodes[n]["name"] for n in [*G.predecessors(op), *G.successors(op)]}
        foreign = names_in(f["rule"].split(": ", 1)[1], named) - own - {"y"}  # y: the scalar differentiated
        assert not foreign, (f["rule"], foreign)
        checked += 1
    assert checked >= 15


def test_every_catalogue_rule_is_a_template_that_leaves_no_placeholder_letter():
    fields = {"a": "P0", "b": "P1", "c": "P2", "y": "R9", "L": "S7", "g": "∂S7/∂R9", "n": "12"}
    for op, info in ops.OPS.items():
        text = info.rule_text(fields, [0, 1, 2])
        stripped = re.sub(r"P\d|R9|S7", "", text)
        letters = re.findall(r"(?<![A-Za-z'])[A-Za-z](?![A-Za-z])", stripped)
        assert not letters, f"{op}: {text!r} leaves {letters}"


def test_matrix_rules_name_the_upstream_gradient_instead_of_G():
    g = TorchGraph(lambda W, x: (W @ x).sum(), [torch.ones(2, 2), [1.0, 2.0]])
    rule = next(f["rule"] for f in backward(g) if f["rule"].startswith("@"))
    assert rule == "@: ∂out/∂W = ∂out/∂v1 @ xᵀ, ∂out/∂x = Wᵀ @ ∂out/∂v1"


def test_a_custom_function_rule_is_filled_with_the_graphs_names():
    def squash(h):
        s = Sigmoid.apply(h)
        return s

    g = TorchGraph(squash, [0.5])
    step = backward(g)[1]
    assert step["rule"] == "σ: σ'(h) = σ(h)·(1 − σ(h)) = s·(1 − s)"
    (gh,) = grads(squash, [0.5])
    sig = torch.sigmoid(torch.tensor(0.5))
    assert torch.allclose(gh, sig * (1 - sig))
    assert step["caption"].endswith(f"= {format_tensor(gh)}")


def test_the_rule_shows_only_the_operands_that_need_a_gradient():
    g = TorchGraph(lambda x: 3 * x, [2.0])
    assert backward(g)[1]["rule"] == "×: ∂out/∂x = 3: the inputs swap"


# ----- numbers and names that cannot be misread ------------------------------------------------------


NEGATIVE_FACTOR = re.compile(r"[·⊙×] [−-]")


def test_no_caption_multiplies_by_an_unbracketed_negative_number():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    graphs = [
        TorchGraph(sin_example, [2, 3, 4]),
        TorchGraph(chain_rule, [-2, -1], [-3]),
        TorchGraph(lambda a, b: a * b - b / a, [-2.0, 3.0]),
        TorchGraph(lambda x: torch.cos(x) * -1.5, [[0.5, -1.0]], [[-1.0, 2.0]]),
        TorchGraph(lambda x: net(x).sum(), [[0.5, -1.0, 2.0]]),
        TorchGraph(clash, CLASH_INPUTS),
    ]
    texts = [f["caption"] for g in graphs for f in g.frames("both")]
    bad = [t for t in texts if NEGATIVE_FACTOR.search(t)]
    assert not bad, bad
    assert any("(−" in t for t in texts)  # negative factors are there, in brackets
    assert "out = a × b − b ÷ a" not in texts  # (the forward captions read like the code)
    forward = TorchGraph(lambda a, b: a * b, [2.0, -3.0]).frames("forward")[1]["caption"]
    assert forward == "out = a × b = 2 × (−3) = −6"


def test_names_that_start_with_a_digit_are_quoted_and_summaries_are_bracketed():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 2))
    x, target = torch.randn(4, 20), torch.randn(4, 2)
    with record() as rec:
        prediction = model(x)
        loss = (target - prediction).pow(2).sum()
    g = rec.graph(loss)
    captions = [f["caption"] for f in backward(g)]
    bias = next(c for c in captions if c.startswith('∂loss/∂"0.bias"'))
    ref = torch.autograd.grad(((target - model(x)) ** 2).sum(), model[0].bias)[0]
    assert bias.endswith(f"= {format_tensor(ref)}") and format_tensor(ref).startswith("[8 values, mean ")
    assert not any(re.search(r"∂\d", c) for c in captions)
    assert not any(" · mean" in c for c in captions)
    weight = next(c for c in captions if c.startswith('∂loss/∂"2.weight"'))
    assert weight.startswith(
        '∂loss/∂"2.weight" = (∂loss/∂prediction)ᵀ @ v2 = [2×8, mean '
    )  # the product, not ": value"
