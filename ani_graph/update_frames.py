"""The frames of recorded training steps: each step's forward and backward pass, then its updates.

`training_frames(steps, view)` plays every step on one drawing (the steps share one
structure, so they share one layout): the forward and backward frames of `frames.py`,
then, where `zero_grad()` was forgotten, one frame per parameter whose `.grad` added this
step's gradient to the last one's, then one "update" frame per parameter the optimizer
changed. Every frame also has a `step` field (0-based) and the badges of the loss strip
(`loss_strip.py`) mark the current step.

An update that equals `before − lr · grad` for one learning rate `lr` shared by every
parameter of the step (plain SGD; the first step of SGD with momentum) is written out as
`w ← w − lr · ∂L/∂w` with its numbers; any other (momentum, Adam) as the effective step
`w ← w + Δw` with Δw's numbers and the new w, said to be the optimizer's own.
"""

from __future__ import annotations

import math

import torch

from . import captions as C
from .format import format_number, format_tensor
from .frames import build_frames, frame, upstream_of
from .loss_strip import marker_key
from .view import View

NUMBERS = 60  # characters a tensor may take in an update caption: a 3×2 weight is written out
MARKER = "▲"


def shared_rate(steps_updates: dict) -> float | None:
    """The one learning rate with `after == before − lr · grad` for every update given, or None.

    >>> from ani_graph.training import Update
    >>> u = Update(torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0]), torch.tensor([1.0, 2.0]) - 0.1 * torch.tensor([0.5, -1.0]))
    >>> shared_rate({"w": u})
    0.1
    """
    rates = []
    for u in steps_updates.values():
        if u.grad is None or u.grad.shape != u.before.shape:
            return None
        g, d = u.grad.double(), u.after.double() - u.before.double()
        moving = g != 0
        rates.append(-d[moving] / g[moving])
    found = torch.cat([r.reshape(-1) for r in rates]) if rates else torch.empty(0)
    if found.numel() == 0:
        return None
    lr = float(found.median())
    if not math.isfinite(lr) or lr <= 0:
        return None
    lr = float(f"{lr:.3g}")  # the number the user wrote, not its float32 echo
    for u in steps_updates.values():
        expected = u.before - lr * u.grad
        if not torch.allclose(expected, u.after, rtol=1e-5, atol=1e-7):
            return None
    return lr


def update_caption(name: str, scalar: str, update, lr: float | None, carried: bool = False) -> str:
    """The caption of one parameter's update, with its numbers; `carried`: its `.grad` added up
    over steps (no `zero_grad()`), so the step used `.grad`, not this step's ∂L/∂w."""
    before, after = format_tensor(update.before, NUMBERS), format_tensor(update.after, NUMBERS)
    if lr is not None:
        grad = f"{name}.grad" if carried else f"∂{scalar}/∂{name}"
        numbers = f"{before} − {format_number(lr)} · {C.factor(format_tensor(update.grad, NUMBERS))}"
        return f"{name} ← {name} − {format_number(lr)} · {grad} = {numbers} = {after}"
    delta = format_tensor(update.delta, NUMBERS)
    return f"{name} ← {name} + Δ{name}, the optimizer's own step: Δ{name} = {delta}, so {name} = {after}"


def _update_frames(G, step, names, owner, scalar) -> list[dict]:
    by_name = {a.get("name"): n for n, a in G.nodes(data=True) if a["kind"] in ("param", "input")}
    lr = shared_rate(step.updates)
    rule = (
        f"gradient descent: w ← w − lr · ∂{scalar}/∂w, lr = {format_number(lr)}"
        if lr is not None
        else f"Δw is not −lr · ∂{scalar}/∂w: momentum and Adam step by running averages of the gradients"
    )
    frames = []
    for name, update in step.updates.items():
        nid = by_name.get(name)
        if nid is None:
            continue
        badges = {nid: {"value": format_tensor(update.after)}} if owner[nid] == nid else {}
        caption = update_caption(C.symbol(G, nid, names), scalar, update, lr, name in step.carried)
        frames.append(frame("update", caption, rule, [owner[nid]], (), badges))
    return frames


def _carried_frames(G, step, names, owner, scalar) -> list[dict]:
    """Frames for `.grad`s that added this step's gradient to one left from before (no zero_grad())."""
    frames = []
    for n, a in G.nodes(data=True):
        name = a.get("name")
        if a["kind"] == "op" or name not in step.carried or name not in step.grads:
            continue
        s = C.symbol(G, n, names)
        old, new, total = step.carried[name], G.nodes[n]["grad"], step.grads[name]
        caption = (
            f"{s}.grad = last step's .grad + ∂{scalar}/∂{s} = {format_tensor(old)} + {C.factor(format_tensor(new))} "
            f"= {format_tensor(total)}: opt.zero_grad() was not called, so the gradients add up"
        )
        badges = {n: {"grad": format_tensor(total)}} if owner[n] == n else {}
        rule = "backward() adds into .grad; zero_grad() empties it before each step"
        frames.append(frame("backward", caption, rule, [owner[n]], (), badges))
    return frames


def _scalar(G, names) -> str:
    outputs = [n for n, a in G.nodes(data=True) if a["kind"] == "output"]
    upstream = {o: upstream_of(G, o) for o in outputs}
    return C.differentiated(G, {o: g for o, g in upstream.items() if g is not None}, names)[0]


def _cleared(view: View) -> tuple[dict, list]:
    """Badges that empty every value, gradient and share: a new step starts on a clean drawing."""
    badges = {b.id: {"value": "", "grad": ""} for b in view.boxes.values() if b.value_row}
    return badges, [[u, v, ""] for (u, v), link in view.links.items() if link.grad]


def training_frames(steps: list, view: View) -> list[dict]:
    """Every step's forward, backward and update frames, on the drawing of `view` (see the module docstring)."""
    frames: list[dict] = []
    for k, step in enumerate(steps):
        G = step.graph.nx
        scalar = _scalar(G, view.names)
        these = build_frames(G, view, "both")
        these += _carried_frames(G, step, view.names, view.owner, scalar)
        these += _update_frames(G, step, view.names, view.owner, scalar)
        first = these[0]
        badges, edge_badges = _cleared(view) if k else ({}, [])
        for n, texts in first["badges"].items():
            badges.setdefault(n, {}).update(texts)
        badges[marker_key(k)] = {"value": MARKER}
        if k:
            badges[marker_key(k - 1)] = {"value": ""}
        first["badges"] = badges
        first["edge_badges"] = edge_badges + first["edge_badges"]
        first["caption"] = f"Step {k + 1} of {len(steps)} (loss {format_number(step.loss)}). {first['caption']}"
        for f in these:
            f["step"] = k
        frames += these
    return frames
