"""`@trackable_function`: give a custom `torch.autograd.Function` a label in the drawing."""

from __future__ import annotations

from typing import TypeVar

import torch

_F = TypeVar("_F", bound=type[torch.autograd.Function])


def trackable_function(cls: _F) -> _F:
    """Mark a `torch.autograd.Function` subclass so its op is drawn with `cls.name`.

    Undecorated Functions are traced too, under their class name.

    Parameters
    ----------
    cls : type
        A `torch.autograd.Function` subclass. Its class attribute `name`, plain text or
        matplotlib mathtext such as `"$\\sigma$"`, labels the op in every drawing;
        without it the class name is used.

    Returns
    -------
    type
        `cls` itself, marked.

    Raises
    ------
    TypeError
        `cls` is not a Function subclass, or its `name` is not a non-empty string.

    Examples
    --------
    >>> import torch
    >>> @trackable_function
    ... class Square(torch.autograd.Function):
    ...     name = "x²"
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> Square._ani_graph_label
    'x²'
    """
    if not (isinstance(cls, type) and issubclass(cls, torch.autograd.Function)):
        raise TypeError(
            f"@trackable_function decorates a torch.autograd.Function subclass, not {cls!r}. "
            "Define `class MyOp(torch.autograd.Function)` with static forward/backward methods."
        )
    label = cls.__dict__.get("name", cls.__name__)
    if not isinstance(label, str) or not label.strip():
        raise TypeError(f"{cls.__name__}.name must be a non-empty string (plain text or mathtext), not {label!r}.")
    cls._ani_graph_label = label  # type: ignore[attr-defined]
    return cls
