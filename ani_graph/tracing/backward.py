"""Gradients of a recorded computation: every tensor's, and each edge's share of it.

One call of `torch.autograd.grad` gives every tensor's gradient. While it runs, hooks on
each op's backward nodes catch what the op hands back to each of its input tensors:
that edge's share. The hooks are removed before `gradients` returns or raises. A tensor
version that an in-place op superseded cannot be asked for by tensor any more, so its
gradient is the sum of the shares its readers sent back. A tensor whose whole gradient
comes from one op (`exact`: read by that op alone, not an output, no hooks of the user's,
nothing recorded changed in place) needs no hook: that op's share is its gradient.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..summary import keep

# Where an op's backward nodes hand gradients on to a recorded tensor:
# (backward node, index into its next_functions, tensor node id).
Boundary = tuple[object, int, str]


def gradients(
    outputs: list[torch.Tensor],
    grad_outputs: list,
    wanted: list[tuple[str, torch.Tensor]],
    boundaries: dict[str, list[Boundary]],
    superseded: set[str],
    *,
    retain_graph: bool,
    value_limit: int,
    explain: Callable[[RuntimeError], RuntimeError],
    exact: dict[str, str] | None = None,
) -> tuple[dict, dict]:
    """Compute every tensor's gradient and every edge's share, once.

    `wanted` lists (node id, tensor) for the current version of every tensor that needs
    a gradient; `boundaries` maps each op id to its backward nodes' hand-over points;
    `superseded` holds the node ids of versions an in-place op replaced. An autograd
    error is passed through `explain` before it is raised.

    Returns `(grads, shares)`: node id -> gradient (or None), and
    (tensor id, op id) -> that op's contribution to the tensor's gradient, each kept
    in full up to `value_limit` elements and summarised above. `exact` maps the node id of
    each tensor whose gradient is all one op's share to that op (no hook for those).

    >>> x = torch.tensor(3.0, requires_grad=True)
    >>> y = x * x
    >>> boundary = [(y.grad_fn, 0, "t0"), (y.grad_fn, 1, "t0")]
    >>> grads, shares = gradients(
    ...     [y], [torch.tensor(1.0)], [("t0", x)], {"op0": boundary}, set(),
    ...     retain_graph=False, value_limit=100, explain=lambda err: err,
    ... )
    >>> float(grads["t0"]), float(shares[("t0", "op0")])
    (6.0, 6.0)
    """
    exact = exact or {}
    shares: dict[tuple[str, str], torch.Tensor] = {}
    handles: list = []
    try:
        _hook_shares(boundaries, shares, handles, exact)
        found = _autograd_grads(outputs, grad_outputs, [t for _, t in wanted], retain_graph, explain)
    finally:
        for h in handles:
            h.remove()
    for (nid, _), g in zip(wanted, found):
        if g is not None and nid in exact:
            shares[(nid, exact[nid])] = g.detach()
    grads = {nid: keep(None if g is None else g.detach(), value_limit) for (nid, _), g in zip(wanted, found)}
    sent_back: dict[str, list] = {}  # grouped once: many in-place versions stay linear
    for (u, _), g in shares.items():
        if u in superseded:
            sent_back.setdefault(u, []).append(g)
    for nid in superseded:  # an old version's gradient is what its readers sent back
        parts = sent_back.get(nid, [])
        grads[nid] = keep(sum(parts[1:], parts[0]) if parts else None, value_limit)
    shares = {k: keep(g, value_limit) for k, g in shares.items()}
    return grads, shares


def _autograd_grads(outputs, grad_outputs, tensors, retain_graph, explain) -> list:
    """`torch.autograd.grad` of the outputs that need grad, with respect to `tensors`."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    if not pairs or not tensors:
        return []
    # An upstream gradient of 1 on a one-element output goes in as None, as in a
    # plain `loss.backward()`: a tensor there makes torch import sympy (~0.3 s).
    upstream = [None if o.numel() == 1 and bool((g == 1).all()) else g for o, g in pairs]
    try:
        return torch.autograd.grad(
            [o for o, _ in pairs], tensors, upstream, retain_graph=retain_graph, allow_unused=True
        )
    except RuntimeError as err:
        raise explain(err) from err


def _hook_shares(boundaries: dict[str, list[Boundary]], shares: dict, handles: list, exact: dict) -> None:
    """Hook every op's backward nodes so each edge's share lands in `shares` (but the `exact` ones)."""
    for op_id, boundary in boundaries.items():
        by_fn: dict[int, tuple] = {}
        for fn, index, target in boundary:
            if target not in exact:
                by_fn.setdefault(id(fn), (fn, []))[1].append((index, target))
        for fn, targets in by_fn.values():
            handles.append(fn.register_hook(_share_hook(op_id, targets, shares)))


def _share_hook(op_id: object, targets: list[tuple[int, str]], shares: dict):
    """A backward-node hook adding the gradients it hands to `targets` into `shares`."""

    def hook(grad_inputs, grad_outputs):
        for index, target in targets:
            g = grad_inputs[index]
            if g is None:
                continue
            key = (target, op_id)
            g = g.detach()
            shares[key] = g if key not in shares else shares[key] + g

    return hook


def one_reader(rec, outputs: list[torch.Tensor], wanted: set[str]) -> dict[str, str]:
    """Node id -> the one op that reads it, for tensors whose gradient is all that op's share.

    Only when every backward node between the recorded tensors belongs to a recorded op:
    nothing changed in place (a view written through leaves nodes no op made) and no tensor
    came from work the recorder did not see. Outputs get an upstream gradient from outside,
    and a user's hook on a tensor may change its gradient: they keep their share hooks.
    """
    if rec._superseded or rec._unseen:
        return {}
    reader: dict[str, str | None] = {}
    for op_id, boundary in rec._boundaries.items():
        for _, _, target in boundary:
            if reader.setdefault(target, op_id) != op_id:
                reader[target] = None
    returned = {id(t) for t in outputs}
    one = {}
    for nid, only in reader.items():
        t = rec._tensor_of[nid]
        if only is not None and nid in wanted and id(t) not in returned and not t._backward_hooks:
            one[nid] = only
    return one
