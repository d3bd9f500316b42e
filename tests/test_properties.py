"""Property: on random expression programs, every gradient in the graph is autograd's."""

import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ani_graph import TorchGraph

UNARY = {
    "sin": torch.sin,
    "cos": torch.cos,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "abs": torch.abs,
    "neg": torch.neg,
    "square": lambda a: a**2,
    "exp": lambda a: torch.exp(a),
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "maximum": torch.maximum,
    "minimum": torch.minimum,
    "scale": lambda a, b: 0.5 * a,  # a Python number feeding an op
}
SHAPES = [(), (3,), (2, 3)]


@st.composite
def programs(draw):
    n_inputs = draw(st.integers(1, 3))
    shapes = [draw(st.sampled_from(SHAPES)) for _ in range(n_inputs)]
    values = [
        draw(
            st.lists(
                st.floats(-1.5, 1.5, allow_nan=False, width=32),
                min_size=max(1, torch.Size(s).numel()),
                max_size=max(1, torch.Size(s).numel()),
            )
        )
        for s in shapes
    ]
    inputs = [torch.tensor(v).reshape(s) for v, s in zip(values, shapes)]
    steps = []
    for i in range(draw(st.integers(1, 8))):
        available = n_inputs + i
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(sorted(UNARY))), draw(st.integers(0, available - 1))))
        else:
            steps.append(
                (
                    draw(st.sampled_from(sorted(BINARY))),
                    draw(st.integers(0, available - 1)),
                    draw(st.integers(0, available - 1)),
                )
            )
    reduce = draw(st.sampled_from(["sum", "mean", "none"]))
    return inputs, steps, reduce


def run(steps, reduce, xs):
    """Evaluate a program; returns every value made, the output last."""
    vals = list(xs)
    for name, *args in steps:
        fn = UNARY.get(name) or BINARY[name]
        vals.append(fn(*[vals[a] for a in args]))
    if reduce != "none":
        vals.append(getattr(vals[-1], reduce)())
    return vals[len(xs) :]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs(), st.integers(0, 2**16))
def test_every_gradient_is_autograds_and_edge_shares_sum_to_it(program, seed):
    inputs, steps, reduce = program

    def func(*xs):
        return run(steps, reduce, xs)[-1]

    out_shape = run(steps, reduce, inputs)[-1].shape
    upstream = torch.randn(out_shape, generator=torch.Generator().manual_seed(seed))
    g = TorchGraph(func, inputs, [upstream])

    # the reference: the same program in plain torch, with autograd.grad for every tensor
    xs = [x.clone().requires_grad_(True) for x in inputs]
    made = run(steps, reduce, xs)
    targets = xs + made
    ref = torch.autograd.grad(made[-1], targets, upstream, allow_unused=True)

    made_nodes = [n for n, a in g.nx.nodes(data=True) if a["kind"] in ("intermediate", "output")]
    assert len(made_nodes) == len(made)
    input_nodes = [g.node_id(name) for name in g.inputs]
    for nid, tensor, expected in zip(input_nodes + made_nodes, targets, ref):
        attrs = g.nx.nodes[nid]
        assert torch.allclose(attrs["value"], tensor.detach())
        if expected is None:
            assert attrs["grad"] is None or not attrs["grad"].any(), nid
        else:
            assert attrs["grad"] is not None, nid
            assert torch.allclose(attrs["grad"], expected, atol=1e-6), nid

    for nid, attrs in g.nx.nodes(data=True):
        if attrs["kind"] in ("op", "constant") or attrs["grad"] is None:
            continue
        shares = [e["grad"] for _, _, e in g.nx.out_edges(nid, data=True) if e["grad"] is not None]
        if attrs["kind"] == "output":
            shares.append(g.upstream(attrs["name"]))
        assert shares, nid
        assert torch.allclose(sum(shares[1:], shares[0]), attrs["grad"], atol=1e-6), nid
