"""`TrainingAnimation`: what `rec.animate()` returns, the recorded training steps on one drawing.

It is an `Animation` whose frames come from `update_frames.training_frames` and whose
drawing is the first step's graph (every step has the same structure, so one layout
serves them all) with the loss strip of `loss_strip.py` under it.
"""

from __future__ import annotations

from .animation import Animation, _badge_texts
from .format import texts_kept
from .frames import state_at
from .loss_strip import with_loss_strip
from .update_frames import training_frames
from .view import MAX_NODES


def structure(G) -> tuple:
    """What must match for two steps to share a layout: nodes (id, kind, op, name, shape) and edges."""
    nodes = tuple(
        sorted((n, a["kind"], a.get("op"), a.get("name"), tuple(a.get("shape", ()))) for n, a in G.nodes(data=True))
    )
    return nodes, tuple(sorted((u, v) for u, v in G.edges))


class TrainingAnimation(Animation):
    """Recorded training steps: forward, backward and update frames, step after step (see `Recording.animate`).

    Attributes
    ----------
    steps : list of training.Step
        The steps it plays.
    frames : list of dict
        As for `Animation`, each with a `step` field (0-based) and phase "forward", "backward" or "update".
    """

    def __init__(self, steps: list, interval_ms: int = 700, depth: int | None = None, max_nodes: int = MAX_NODES):
        if not steps:
            raise ValueError(
                "no training step was recorded: rec.animate() needs a `loss.backward()` (or torch.autograd.backward/grad) "
                "on a loss computed inside the `with record() as rec:` block. To draw a computation without "
                "training, use rec.graph(loss).animate()."
            )
        if not isinstance(interval_ms, int) or isinstance(interval_ms, bool) or interval_ms < 16:
            raise ValueError(f"interval_ms must be a whole number of milliseconds, at least 16, not {interval_ms!r}.")
        first = structure(steps[0].graph.nx)
        for k, step in enumerate(steps[1:], start=2):
            if structure(step.graph.nx) != first:
                raise ValueError(
                    f"step {k} computed a graph of another shape than step 1, so they cannot share one drawing; "
                    f"animate the steps one at a time: rec.steps[{k - 1}].graph.animate('both')."
                )
        self.steps = list(steps)
        self.graph = steps[0].graph
        self.direction = "training"
        self.interval_ms = interval_ms
        self.frames = training_frames(self.steps, self.graph.view(depth, max_nodes))
        # every step's numbers must fit the boxes: the layout makes room for the longest of them
        extra = tuple(t for t in _badge_texts(self.frames) if t[0] in self.graph.nx and t[2])
        self._start({"depth": depth, "max_nodes": max_nodes, "extra": extra})

    def __repr__(self) -> str:
        return f"<TrainingAnimation {len(self.steps)} steps: {len(self.frames)} frames, frame {self.frame}>"

    def inspect_data(self) -> dict:
        """The inspect panels of every step: `nodes` is step 1's, `steps[k]` step k+1's.

        The player shows the panel of the step the current frame belongs to (its `step` field),
        so a weight's panel during step 3 shows step 3's value and gradient."""
        if self._inspect is None:
            from .inspect_data import inspect_payload

            options = {k: v for k, v in self._view.items() if k != "extra"}
            with texts_kept(self._texts):
                per_step = [
                    inspect_payload(s.graph.nx, s.graph.view(**options), self.frames, step=k)
                    for k, s in enumerate(self.steps)
                ]
            self._inspect = {**per_step[0], "steps": [p["nodes"] for p in per_step]}
        return self._inspect

    def _scene(self, index: int, lights: bool = True):
        scene = super()._scene(index, lights)
        return with_loss_strip(scene, [s.loss for s in self.steps], state_at(self.frames, index)["badges"])
