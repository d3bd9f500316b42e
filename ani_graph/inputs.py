"""Turn what a user passes into tensors, or say clearly what is wrong.

>>> to_input(2, "x")
tensor(2., requires_grad=True)
"""

from __future__ import annotations

import inspect
import numbers
import types

import torch

from .format import format_shape

_WHAT_WORKS = "a number, a nested list of numbers, a numpy array or a tensor"


def _short(obj) -> str:
    try:
        text = repr(obj)
    except Exception:  # a user's object whose repr fails still gets a message
        text = f"<{type(obj).__name__}>"
    return text if len(text) <= 40 else text[:37] + "..."


def _to_tensor(obj, what: str) -> torch.Tensor:
    """A fresh floating-point tensor (never the caller's own object)."""
    if obj is None or isinstance(obj, (str, bytes, dict, set)):
        raise TypeError(f"{what} is {type(obj).__name__} {_short(obj)}; it must be {_WHAT_WORKS}.")
    if isinstance(obj, complex) or (isinstance(obj, torch.Tensor) and obj.is_complex()):
        raise TypeError(
            f"{what} is complex; ani-graph draws real-valued autograd only. "
            "Pass the real and imaginary parts as two real inputs."
        )
    if isinstance(obj, torch.Tensor):
        _check_tensor(obj, what)
        t = obj.detach().clone()
    elif isinstance(obj, numbers.Number):
        try:
            t = torch.tensor(float(obj))  # type: ignore[arg-type]  # a real number: complex was refused above
        except OverflowError:
            raise ValueError(f"{what} ({_short(obj)}) is too large for a floating-point number.") from None
    else:
        kind = getattr(getattr(obj, "dtype", None), "kind", None)
        if kind == "c":
            raise TypeError(f"{what} is a complex array; pass real and imaginary parts as two real inputs.")
        if kind in ("O", "U", "S"):
            raise TypeError(f"{what} is an array of {obj.dtype}; it must hold numbers.")
        try:
            t = torch.as_tensor(obj).clone() if kind is not None else torch.tensor(obj)
        except (TypeError, ValueError, RuntimeError) as err:
            raise TypeError(
                f"{what} ({_short(obj)}) cannot become a tensor: {err}. It must be {_WHAT_WORKS}."
            ) from None
        if t.is_complex():
            raise TypeError(f"{what} is complex; pass real and imaginary parts as two real inputs.")
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    return t


def _check_tensor(t: torch.Tensor, what: str) -> None:
    """Tensors ani-graph cannot show: without values (meta), sparse or quantised layouts."""
    if t.is_meta:
        raise TypeError(f"{what} is a meta tensor, which has a shape but no values; pass a tensor with values.")
    if t.layout != torch.strided:
        raise TypeError(f"{what} is a {t.layout} tensor; ani-graph draws dense tensors: pass it as `.to_dense()`.")
    if t.is_quantized:
        raise TypeError(f"{what} is quantised; pass `.dequantize()`.")


def to_input(obj, name: str) -> torch.Tensor:
    """One entry of `inputs` as a fresh leaf tensor that requires grad."""
    return _to_tensor(obj, f"input {name!r}").requires_grad_(True)


_PARAMETERS: dict = {}  # (code, number of defaults, keyword-only defaults) -> a plain function's parameters


def _parameters(target) -> list[inspect.Parameter]:
    """`inspect.signature(target)`'s parameters; a plain function's are read once per code object
    (what they are depends only on its code and which arguments have defaults)."""
    if type(target) is not types.FunctionType or "__wrapped__" in target.__dict__ or "__signature__" in target.__dict__:
        return list(inspect.signature(target).parameters.values())
    key = (target.__code__, len(target.__defaults__ or ()), tuple(target.__kwdefaults__ or ()))
    params = _PARAMETERS.get(key)
    if params is None:
        if len(_PARAMETERS) >= 256:  # code made on the fly (exec) should not pile up
            _PARAMETERS.clear()
        # kept without default values and annotations (only whether there is a default counts): no user objects
        params = _PARAMETERS[key] = [
            p.replace(default=p.empty if p.default is p.empty else None, annotation=p.empty)
            for p in inspect.signature(target).parameters.values()
        ]
    return params


def input_names(func, count: int) -> list[str]:
    """Names for `count` positional arguments of `func`, checked against its signature.

    >>> input_names(lambda x, a=1: x, 2)
    ['x', 'a']
    >>> input_names(lambda x, *, k: x, 1)
    Traceback (most recent call last):
    ...
    TypeError: func has required keyword-only argument(s) k, and TorchGraph passes inputs by position only. Wrap it so that every input is positional, e.g. TorchGraph(lambda x, k: func(x, k=k), [...]), or fix them with functools.partial(func, k=...).
    """
    target = func.forward if isinstance(func, torch.nn.Module) else func
    try:
        params = _parameters(target)
    except (TypeError, ValueError):
        return [f"x{i}" for i in range(count)]
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = next((p for p in params if p.kind == p.VAR_POSITIONAL), None)
    required = [p for p in positional if p.default is p.empty]
    keywords = [p.name for p in params if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    if keywords:
        every = [p.name for p in positional] + keywords
        call = ", ".join([p.name for p in positional] + [f"{k}={k}" for k in keywords])
        raise TypeError(
            f"func has required keyword-only argument(s) {', '.join(keywords)}, and TorchGraph passes "
            "inputs by position only. Wrap it so that every input is positional, e.g. "
            f"TorchGraph(lambda {', '.join(every)}: func({call}), [...]), or fix them with "
            f"functools.partial(func, {', '.join(k + '=...' for k in keywords)})."
        )
    if count < len(required) or (count > len(positional) and varargs is None):
        raise TypeError(_count_error(positional, required, count))
    names = [p.name for p in positional[:count]]
    names += [f"{varargs.name}{i}" for i in range(count - len(names))] if varargs else []
    return names


def _count_error(positional: list, required: list, count: int) -> str:
    entries = f"{count} entr{'y' if count == 1 else 'ies'}"
    if not positional:
        return (
            f"func takes no positional arguments but inputs has {entries}. TorchGraph passes inputs by "
            "position: give func one parameter per input (e.g. TorchGraph(lambda x: ..., [2.0]))."
        )
    expected = str(len(required)) if len(required) == len(positional) else f"{len(required)} to {len(positional)}"
    listed = ", ".join(p.name for p in positional)
    return (
        f"func takes {expected} positional argument(s) ({listed}) but inputs has {entries}. "
        f"Pass a list with one entry per argument, e.g. TorchGraph(func, [{listed}])."
    )


def to_grad_outputs(grad_outputs, outputs: list[torch.Tensor], names: list[str]) -> list[torch.Tensor | None]:
    """The upstream gradient for every output, shaped like the output (None where none can flow)."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (list, tuple)):
        raise TypeError(
            f"grad_outputs must be a list with one entry per output (func has {len(outputs)}); "
            f"write grad_outputs=[{_short(grad_outputs)}]."
        )
    if len(grad_outputs) != len(outputs):
        hint = ""
        if len(outputs) == 1:
            hint = " If the list is the gradient of the single output, wrap it: grad_outputs=[[...]]."
        raise ValueError(
            f"grad_outputs has {len(grad_outputs)} entries but func returned {len(outputs)} "
            f"output(s) ({', '.join(names)}); give one upstream gradient per output.{hint}"
        )
    result = []
    for out, name, go in zip(outputs, names, grad_outputs):
        if not (out.is_floating_point() and out.requires_grad):
            # an integer output (argmax) or a constant one carries no gradient: it needs none
            result.append(None if go is None or not out.is_floating_point() else _upstream(go, out, name))
        elif go is None:
            if out.numel() != 1:
                raise ValueError(
                    f"output {name!r} has shape {format_shape(out.shape)}, so it needs an upstream "
                    f"gradient: pass grad_outputs=[...] with one entry per output, e.g. "
                    f"grad_outputs=[torch.ones({', '.join(map(str, out.shape))})] "
                    f"(what {name}.sum().backward() would use)."
                )
            result.append(torch.ones_like(out))
        else:
            result.append(_upstream(go, out, name))
    return result


def _upstream(go, out: torch.Tensor, name: str) -> torch.Tensor:
    """One entry of grad_outputs as a tensor shaped like its output."""
    g = _to_tensor(go, f"grad_outputs entry for {name!r}").to(out.dtype)
    try:
        return torch.broadcast_to(g, out.shape).clone()
    except RuntimeError:
        raise ValueError(
            f"grad_outputs entry for {name!r} has shape {format_shape(g.shape)}, which does not "
            f"broadcast to the output's shape {format_shape(out.shape)}."
        ) from None


def to_outputs(result) -> list[torch.Tensor]:
    """func's return value as a list of tensors, or a TypeError that says what to return."""
    items = list(result) if isinstance(result, (list, tuple)) else [result]
    if not items:
        raise TypeError("func returned an empty sequence; return a tensor or a tuple/list of tensors.")
    for i, item in enumerate(items):
        if not isinstance(item, torch.Tensor):
            where = "func returned" if items[0] is result else f"output {i} of func is"
            raise TypeError(
                f"{where} {type(item).__name__} {_short(item)}, but ani-graph needs a tensor or a "
                "tuple/list of tensors. Compute the result with torch operations on the inputs."
            )
        if item.is_complex():
            raise TypeError(f"output {i} is complex; ani-graph draws real-valued autograd only.")
        _check_tensor(item, f"output {i}")
    return items


def check_not_inference(what: str) -> None:
    """Inference mode makes tensors that can never have a gradient: say so before running anything."""
    if torch.is_inference_mode_enabled():
        raise RuntimeError(
            f"{what} cannot run under torch.inference_mode(): tensors made there never have gradients, so "
            "there would be nothing to draw. Call it outside the inference_mode block."
        )
