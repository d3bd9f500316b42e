"""Naming tensor nodes as the user knows them: by module path, and by local variable.

`ModuleNames` gives parameters and buffers their qualified names (`layer1.weight`) and,
through global forward pre/post hooks installed only while some recorder records
(`MODULE_HOOKS`, which reports each module call to the recorders of the thread that
made it), tells which module an op runs in. Names are made `visible`: any string can
name a module. `LocalNames` finds the frame of the user's function while it runs,
so that its local variables can name the intermediates once it has returned
(`name_from_locals`); tensors it reads from outside (a global `W`) are named by
`referenced_tensors`. `code_of` and `modules_used_by` tell, for the function a
`TorchGraph` is given, which code's locals to watch and which modules' parameters to name.
"""

from __future__ import annotations

import functools
import inspect
import sys
from types import CodeType, FrameType

import torch
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

from ..escapes import visible
from . import active


class ModuleNames:
    """Qualified names of modules, parameters and buffers, and the module running now.

    The recorder tells it when a module's forward starts and ends (`entered`, `left`),
    through the shared global hooks in `MODULE_HOOKS`.

    >>> model = torch.nn.Sequential(torch.nn.Linear(2, 2))
    >>> types = {}
    >>> names = ModuleNames(types)
    >>> [type(m).__name__ for m in names.add_root(model, "net")]
    ['Sequential', 'Linear']
    >>> names.param_name(model[0].weight), types["net.0"]
    ('net.0.weight', 'Linear')
    """

    def __init__(self, module_types: dict[str, str]):
        self._module_types = module_types  # module path -> class name, filled in as modules are met
        self._stack: list[tuple[int, str | None]] = []  # (id(module), path) of the modules running now
        self._module_names: dict[int, str] = {}
        self._param_names: dict[int, str] = {}
        self._buffer_names: dict[int, str] = {}

    def add_root(self, module: torch.nn.Module, prefix: str = "") -> list[torch.nn.Module]:
        """Name a module's submodules, parameters and buffers by their qualified path.

        Returns the modules met (none when `module` was named before)."""
        if id(module) in self._module_names:
            return []
        prefix = visible(prefix)
        module_names, module_types = self._module_names, self._module_types
        param_names, buffer_names = self._param_names, self._buffer_names
        met = []
        # one walk over the modules; each name is the first path met, as `named_parameters()` gives
        for name, sub in module.named_modules():
            met.append(sub)
            path = _visible_path(name)
            path = (f"{prefix}.{path}" if path else prefix) if prefix else path
            if id(sub) not in module_names:
                module_names[id(sub)] = path
            kind = type(sub).__name__
            if path not in module_types:
                module_types[path] = kind if kind.isidentifier() else visible(kind)
            for own, names in ((sub._parameters, param_names), (sub._buffers, buffer_names)):
                for key, t in own.items():
                    if t is not None and id(t) not in names:
                        key = key if key.isidentifier() else visible(key)
                        names[id(t)] = f"{path}.{key}" if path else key
        return met

    def current(self) -> str | None:
        """The path of the innermost module running now, or None outside any named module."""
        return self._stack[-1][1] if self._stack else None

    def param_name(self, t: torch.Tensor) -> str | None:
        """The qualified name of a known module's parameter, or None."""
        return self._param_names.get(id(t))

    def buffer_name(self, t: torch.Tensor) -> str | None:
        """The qualified name of a known module's buffer, or None."""
        return self._buffer_names.get(id(t))

    def entered(self, module: torch.nn.Module) -> None:
        """A module's forward starts on the recording thread."""
        path = self._module_names.get(id(module))
        if path is None:
            if not self._stack:  # a module called at the top level names its own tree
                self.add_root(module)
            else:
                path = visible(type(module).__name__.lower())
                self._module_names[id(module)] = path
                self._module_types.setdefault(path, visible(type(module).__name__))
            path = self._module_names[id(module)]
        self._stack.append((id(module), path or None))

    def left(self, module: torch.nn.Module) -> None:
        """A module's forward ended (PyTorch reports no end for a forward that raised)."""
        # only its own entry: a module that started before recording began pushed none
        stack = self._stack
        if stack and stack[-1][0] == id(module):
            stack.pop()
            return
        # its end comes after modules inside it that raised (no end is reported for those):
        # theirs go with it
        for i in range(len(stack) - 2, -1, -1):
            if stack[i][0] == id(module):
                del stack[i:]
                return


def _visible_path(name: str) -> str:
    """A module path from `named_modules()` made `visible`, skipping the regex for plain names."""
    return name if not name or f"_{name}".replace(".", "_").isidentifier() else visible(name)


def _module_entered(module, *_):
    for rec in active.recorders():  # only the recorders of the thread running the module
        rec.module_entered(module)


def _module_left(module, *_):
    for rec in active.recorders():
        rec.module_left(module)


def _install_module_hooks():
    return (
        register_module_forward_pre_hook(_module_entered),
        # not `always_call`, which puts every module call on a slower path: a module that
        # raised is taken off when the one around it ends (`ModuleNames.left`)
        register_module_forward_hook(_module_left),
    )


def _remove_module_hooks(handles) -> None:
    for handle in handles:
        handle.remove()


# Global forward hooks, installed while any recorder records and shared by all of them.
MODULE_HOOKS = active.Shared(_install_module_hooks, _remove_module_hooks)


class LocalNames:
    """The frame of the user's function, caught while it runs, to read its locals after it returns."""

    def __init__(self):
        self._code = None  # the code of `func`, whose local variables name tensors
        self._frame = None

    def watch(self, code) -> None:
        """Remember the frame running `code`, to read its local variables after it returns."""
        self._code = code

    def look_for_frame(self) -> None:
        """Called from inside a recorded op: catch the watched frame if it is not caught yet."""
        if self._frame is not None or self._code is None:
            return
        # The outermost frame running the code: nested modules of one class share it.
        frame: FrameType | None = sys._getframe(1)
        found = None
        while frame is not None:
            if frame.f_code is self._code:
                found = frame
            frame = frame.f_back
        self._frame = found

    def final_locals(self) -> dict:
        """The local variables of the watched frame as they were when it returned."""
        frame, self._frame = self._frame, None
        return dict(frame.f_locals) if frame is not None else {}


def name_from_locals(
    nodes: dict[str, dict], node_of: dict[int, str], local_vars: dict, taken: set[str] | None = None
) -> set[str]:
    """Give unnamed nodes the local variable names that hold them, where unambiguous.

    `node_of` maps `id(tensor)` to the node of the tensor's current version. `taken` is the
    set of names the nodes hold (gathered here when not given); returned with the new ones,
    for the next dict of variables.

    >>> h, g = torch.ones(1), torch.zeros(1)
    >>> nodes = {"t0": {"name": None, "label": ""}, "t1": {"name": None, "label": ""}}
    >>> sorted(name_from_locals(nodes, {id(h): "t0", id(g): "t1"}, {"h": h, "g": g, "g2": g}))
    ['h']
    >>> nodes["t0"]["name"], nodes["t1"]["name"]
    ('h', None)
    """
    if taken is None:
        taken = {a["name"] for a in nodes.values() if a.get("name")}
    names_of: dict[str, list[str]] = {}
    for var, obj in local_vars.items():
        # at a notebook's top level the "locals" are globals(), whose keys can be any string
        if isinstance(obj, torch.Tensor) and id(obj) in node_of and isinstance(var, str) and not var.startswith("_"):
            names_of.setdefault(node_of[id(obj)], []).append(visible(var))
    for nid, names in names_of.items():
        attrs = nodes[nid]
        if attrs["name"] or len(names) != 1 or names[0] in taken:
            continue
        attrs["name"] = attrs["label"] = names[0]
        taken.add(names[0])
    return taken


def _unwrap(func):
    """The function behind a `functools.partial` (and partials of partials)."""
    while isinstance(func, functools.partial):
        func = func.func
    return func


def code_of(func) -> CodeType | None:
    """The code object whose locals name the intermediates of `func`, if there is one (for `LocalNames`)."""
    try:  # only names depend on it: an exotic callable (a scripted module) just goes without
        func = _unwrap(func)
        if isinstance(func, torch.nn.Module):
            func = type(func).forward
        func = inspect.unwrap(getattr(func, "__func__", func))
        code = getattr(func, "__code__", None)
        if code is None and callable(func):
            code = getattr(getattr(type(func), "__call__", None), "__code__", None)
    except Exception:
        return None
    return code


def modules_used_by(func) -> list[tuple[str, torch.nn.Module]]:
    """Modules that `func` refers to (closure, globals, bound self, a partial's arguments), to name their parameters."""
    bound = []
    while isinstance(func, functools.partial):
        bound += [*func.args, *func.keywords.values()]
        func = func.func
    found = [("", m) for m in bound if isinstance(m, torch.nn.Module)]
    if isinstance(func, torch.nn.Module):
        found.append(("", func))
    owner = getattr(func, "__self__", None)
    if isinstance(owner, torch.nn.Module):
        found.append(("", owner))
    try:
        refs = inspect.getclosurevars(func)
        candidates = {**refs.globals, **refs.nonlocals}
    except Exception:  # not a plain Python function: its modules are named when they run
        candidates = {}
    found += [("", m) for m in candidates.values() if isinstance(m, torch.nn.Module)]
    return found


def referenced_tensors(func) -> dict[str, torch.Tensor]:
    """The tensors `func` reads from its closure or its globals, by the names its code uses.

    They name constants such as a weight matrix defined in a notebook cell and used inside
    `func`; the names of `func`'s own locals come first.

    >>> W = torch.ones(2, 2)
    >>> referenced_tensors(lambda x: W @ x)
    {'W': tensor([[1., 1.],
            [1., 1.]])}
    """
    try:
        refs = inspect.getclosurevars(func)
    except (TypeError, ValueError):  # a module, a builtin or another callable without code
        return {}
    found = {**refs.globals, **refs.nonlocals}
    return {name: t for name, t in found.items() if isinstance(t, torch.Tensor)}
