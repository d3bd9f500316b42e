"""What `g.check()` returns: one row per gradient, one entry per op, and a table to read.

>>> import torch
>>> row = GradCheck("x", "t0", "input", torch.tensor(2.0), torch.tensor(2.0), 1e-9, True)
>>> print(CheckReport([row], [], []))
Gradient check: autograd against central finite differences (float64)
tensor  autograd  numerical  max abs error  ok
x       2         2          1e−9           ✓
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .format import format_number, format_tensor
from .style import math_to_text

MARKS = {True: "✓", False: "✗", None: "?"}  # ? : no derivative at this point


@dataclass(frozen=True)
class GradCheck:
    """One tensor's gradient: autograd's against the central finite difference."""

    tensor: str  # its name (the node id when it has none)
    node: str
    kind: str
    autograd: torch.Tensor  # the graph's gradient (only the checked elements, flat, when sampled)
    numerical: torch.Tensor  # the finite differences (float64), shaped like `autograd`
    max_abs_error: float
    ok: bool | None  # None: the function is not differentiable at this point
    note: str = ""
    checked: int = 1  # elements compared
    numel: int = 1

    @property
    def mark(self) -> str:
        return MARKS[self.ok]

    @property
    def verdict(self) -> str:
        if self.ok is None:
            return "not differentiable here"
        return self.mark + (f" ({self.checked} of {self.numel} elements)" if self.checked < self.numel else "")


@dataclass(frozen=True)
class OpCheck:
    """One op's backward against finite differences of its forward, at the recorded operands."""

    node: str
    op: str  # the canonical op name, or the custom Function's class name
    label: str
    custom: bool
    max_abs_error: float
    ok: bool | None
    note: str = ""

    def sentence(self) -> str:
        """What the report says about this op, when there is something to say."""
        label = math_to_text(self.label)
        who = f"{self.op} ({label}, {self.node})" if label != self.op else f"{self.op} ({self.node})"
        if self.ok is None:
            return f"? {who} is not differentiable at this point: {self.note}."
        fix = f" Check {self.op}.backward." if self.custom else ""
        return (
            f"✗ {who}: its backward disagrees with finite differences of its forward "
            f"(max abs error {format_number(self.max_abs_error, 2)}).{fix}"
        )


class CheckReport:
    """The gradient check of a graph.

    `rows` holds the inputs and parameters, `intermediates` every other tensor, `ops`
    one `OpCheck` per op. `ok` is False when any gradient or backward disagrees; a point
    where the function has no derivative (ReLU at 0) is reported, not counted as wrong.
    """

    def __init__(self, rows: list[GradCheck], intermediates: list[GradCheck], ops: list[OpCheck], random=(),
                 skipped: bool = False):  # fmt: skip
        self.rows = rows
        self.intermediates = intermediates
        self.ops = ops
        self.random = list(random)  # ops that give other numbers at every run (dropout), by name
        self.skipped = skipped  # intermediate tensors and built-in ops were not checked one by one (too many ops)

    @property
    def ok(self) -> bool:
        return all(c.ok is not False for c in self.rows + self.intermediates + self.ops)

    @property
    def wrong_ops(self) -> list[OpCheck]:
        """The ops whose backward disagrees with their forward: where to look for the bug."""
        return [c for c in self.ops if c.ok is False]

    @property
    def not_differentiable(self) -> list[OpCheck]:
        """The ops at a point where they have no derivative (ReLU at 0, max with ties)."""
        return [c for c in self.ops if c.ok is None]

    def __getitem__(self, name: str) -> GradCheck:
        """The check of the tensor called `name`."""
        for c in self.rows + self.intermediates:
            if name in (c.tensor, c.node):
                return c
        raise KeyError(f"no checked tensor named {name!r}; checked: {', '.join(c.tensor for c in self.rows)}")

    def _verdict(self, c: GradCheck) -> str:
        return "not checked: random" if c.ok is None and c.note.startswith("it passes through") else c.verdict

    def _table(self, checks: list[GradCheck]) -> list[str]:
        head = ("tensor", "autograd", "numerical", "max abs error", "ok")
        cells = [head] + [
            (c.tensor, format_tensor(c.autograd, 28), format_tensor(c.numerical, 28),
             format_number(c.max_abs_error, 2), self._verdict(c))
            for c in checks
        ]  # fmt: skip
        widths = [max(len(r[i]) for r in cells) for i in range(len(head) - 1)]
        return ["  ".join(x.ljust(w) for x, w in zip(r, widths)) + "  " + r[-1] for r in cells]

    def __repr__(self) -> str:
        lines = ["Gradient check: autograd against central finite differences (float64)"]
        lines += self._table(self.rows)
        off = [c for c in self.intermediates if c.ok is not True]
        if off:
            lines += ["intermediate tensors that do not agree:"] + self._table(off)[1:]
        elif self.intermediates:
            n = len(self.intermediates)
            lines.append("The intermediate tensor's gradient agrees too." if n == 1 else
                         f"The {n} intermediate tensors' gradients agree too.")  # fmt: skip
        elif self.skipped:
            lines.append(
                "Intermediate tensors and built-in ops were not checked one by one: the graph has too many ops."
            )
        lines += [c.sentence() for c in self.ops if c.ok is not True]
        if self.ops and all(c.ok is True for c in self.ops) and not self.skipped:
            n = len(self.ops)
            lines.append(f"Every op's backward agrees with finite differences of its forward ({n} op{'s' * (n > 1)}).")
        if self.random:
            lines.append(
                f"? {', '.join(self.random)} gives other numbers each time it runs (it is random), so the gradients "
                "that pass through it cannot be checked by finite differences: switch it off (model.eval()) to check them."
            )
        for c in self.rows + off:
            if c.note and not c.note.startswith("it passes through"):
                lines.append(f"? {c.tensor}: {c.note}.")
        return "\n".join(lines)
