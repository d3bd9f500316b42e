"""The `Recorder`: node and op bookkeeping for one recording, composed from the other units.

While a recorder is inside its `with` block, `intercept` and `functions` hand it every
torch call and custom Function call as a request (`_record_call`). A call becomes an op
node only when it makes new backward nodes, so shape queries, `detach()` and work under
`no_grad` leave no op behind; their results show up as constants when something uses
them. The exception is `detach()` of a recorded tensor: when its result is used, it is
drawn as a `detach` op whose input edge is marked `cut`, so the drawing shows where the
graph was cut. The recorder pairs each op with the backward nodes it made, and remembers
where they hand gradients on to recorded tensors, for `backward`.

`naming` names tensors after modules and local variables, `values` keeps their values,
`backward` computes gradients and shares, and `explain` rewords PyTorch's in-place
error. Nothing here knows about drawing. The result is a `Trace`: node and edge
attribute dicts, in the order they were made.
"""

from __future__ import annotations

import torch

from ..format import format_tensor
from ..replay import OpCall
from ..summary import VALUE_LIMIT
from .backward import gradients
from .explain import explain
from .functions import FunctionPatch
from .intercept import CallInterceptor
from .naming import LocalNames, ModuleNames, name_from_locals
from .trace import Trace
from .values import ValueKeeper


def _flatten(obj, out: list) -> list:
    """Tensors and numbers in nested lists/tuples, in order (iteratively)."""
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


class Recorder:
    """Records the ops of one forward pass. Use it as a context manager.

    >>> x = torch.tensor(2.0, requires_grad=True)
    >>> rec = Recorder()
    >>> rec.add_input(x, "x")
    't0'
    >>> with rec:
    ...     y = torch.sin(x) * 3
    >>> [a["op"] for a in rec.trace.nodes.values() if a["kind"] == "op"]
    ['sin', 'mul']
    >>> rec.knows(y), rec.set_outputs([y])
    (True, ['t3'])
    """

    def __init__(self, *, input_kind_for_unknown_leaves: str = "param", value_limit: int = VALUE_LIMIT):
        self.value_limit = value_limit
        self.trace = Trace()
        self._unknown_leaf_kind = input_kind_for_unknown_leaves
        self._n_tensors = 0
        self._n_ops = 0
        # id(tensor) -> current node id; the tensors themselves are kept alive in
        # _keep so their ids cannot be reused while we record.
        self._node_of: dict[int, str] = {}
        self._keep: list = []
        self._tensor_of: dict[str, torch.Tensor] = {}  # node id -> live tensor
        self._superseded: set[str] = set()  # node ids whose tensor was later changed in place
        self._by_grad_fn: dict[tuple[int, int], str] = {}  # (id(grad_fn), output_nr) -> node id
        self._known_fns: set[int] = set()
        self._boundaries: dict[str, list] = {}  # op id -> [(backward node, index, tensor node id)]
        self._detached: dict[int, str] = {}  # id(result of detach()) -> node id of the tensor it was cut from
        self._values = ValueKeeper(self.trace.nodes, value_limit)
        self._modules = ModuleNames(self.trace.module_types)
        self._locals = LocalNames()
        self._functions = FunctionPatch()
        self._mode: CallInterceptor | None = None

    # ----- before and around the forward pass ------------------------------------------
    def add_input(self, t: torch.Tensor, name: str) -> str:
        """Register one of func's inputs under its parameter name."""
        nid = self._new_tensor_node(t, "input", t.detach(), name=name)
        self.trace.inputs.append(nid)
        return nid

    def add_root_module(self, module: torch.nn.Module, prefix: str = ""):
        """Name a module's submodules, parameters and buffers by their qualified path."""
        self._modules.add_root(module, prefix)

    def watch_locals_of(self, code) -> None:
        """Remember the frame running `code`, to read its local variables after it returns."""
        self._locals.watch(code)

    def final_locals(self) -> dict:
        """The local variables of the watched frame as they were when it returned."""
        return self._locals.final_locals()

    def __enter__(self):
        """Start recording: module hooks, the `Function.apply` patch, then the mode."""
        self._modules.install()
        self._functions.install(self._record_call)
        self._mode = CallInterceptor(self._record_call)
        try:
            self._mode.__enter__()
        except BaseException:
            self._undo()
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        """Stop recording and remove every hook, patch and mode, whatever happened inside."""
        try:
            return self._mode.__exit__(exc_type, exc, tb)
        finally:
            self._undo()

    def _undo(self):
        self._modules.remove()
        self._functions.remove()
        # The mode and the patch call back into this recorder. Holding neither once
        # recording ends keeps the recorder out of reference cycles, so it (and every
        # tensor it keeps alive) is freed as soon as the graph is built, not at the next
        # full garbage collection.
        self._mode = None

    # ----- nodes ------------------------------------------------------------------
    def knows(self, tensor: torch.Tensor) -> bool:
        """Whether `tensor` has a node here: an input, or read or made while recording."""
        return id(tensor) in self._node_of

    def _new_tensor_node(self, t: torch.Tensor | None, kind: str, value, name=None) -> str:
        """A tensor node for `t` (None for a Python number), which becomes `t`'s current node."""
        nid = f"t{self._n_tensors}"
        self._n_tensors += 1
        if t is not None:
            self._node_of[id(t)] = nid
            self._keep.append(t)
            self._tensor_of[nid] = t
            if t.grad_fn is not None:
                self._by_grad_fn[(id(t.grad_fn), t.output_nr)] = nid
                self._keep.append(t.grad_fn)
        value = self._values.keep(nid, t, value)
        label = name if name else (format_tensor(value) if kind == "constant" else "")
        self.trace.nodes[nid] = {
            "kind": kind,
            "name": name,
            "label": label,
            "value": value,
            "grad": None,
            "shape": tuple(value.shape),
            "requires_grad": bool(t is not None and t.requires_grad),
        }
        return nid

    def _node_for(self, t: torch.Tensor, grad_fn_before=None) -> str:
        """The node of a tensor an op reads; tensors seen for the first time get one."""
        nid = self._node_of.get(id(t))
        if nid is not None:
            return nid
        grad_fn = t.grad_fn if grad_fn_before is None else grad_fn_before
        if not t.requires_grad:
            nid = self._new_tensor_node(t, "constant", t.detach(), name=self._modules.buffer_name(t))
            source = self._detached.pop(id(t), None)
            if source is not None:
                self._add_cut(source, nid)
            return nid
        if grad_fn is None:  # a leaf that needs grad: a parameter or a caller's tensor
            name = self._modules.param_name(t)
            if name is not None or isinstance(t, torch.nn.Parameter):
                return self._new_tensor_node(t, "param", t.detach(), name=name)
            return self._new_tensor_node(t, self._unknown_leaf_kind, t.detach())
        # made by something we did not see (before `record()` began): treat it as an input
        return self._new_tensor_node(t, "input", t.detach())

    # ----- ops --------------------------------------------------------------------
    def _record_call(self, call, info: dict, args, kwargs):
        """Run one intercepted call; record it as an op if it made new backward nodes.

        `info` is the request from `intercept` or `functions`: `op`, `label` and
        `takes_numbers`, and where they apply `reflected`, `inplace`, `custom` and `rule`.
        """
        flat_in = _flatten(list(args) + list(kwargs.values()), [])
        tensors_in = [x for x in flat_in if isinstance(x, torch.Tensor)]
        if not tensors_in and not flat_in:
            return call()
        if info.get("inplace") or kwargs.get("inplace") is True or "out" in kwargs:
            self._values.copy_before_write(tensors_in)
        # grad_fn before the call tells an in-place change apart from a plain read
        before = [(t, t.grad_fn) for t in tensors_in]
        result = call()
        flat_out = [x for x in _flatten(result, []) if isinstance(x, torch.Tensor)]
        made = [t for t in flat_out if t.grad_fn is not None and id(t.grad_fn) not in self._known_fns]
        changed = [t for t, fn in before if t.grad_fn is not fn and t.grad_fn is not None]
        if not made and not changed:
            if info["op"] == "detach":
                self._note_detach(tensors_in, result)
            return result
        self._add_op(info, flat_in, before, made, changed, flat_out, (args, kwargs))
        return result

    def _add_op(self, info, flat_in, before, made, changed, flat_out, call_args=((), {})):
        """The op node of a call that made backward nodes, with its input and output edges."""
        self._locals.look_for_frame()
        op_id = f"op{self._n_ops}"
        self._n_ops += 1
        operands = self._operands(info, flat_in, before)
        # how to call the op again, with the nodes its tensors had before any in-place change
        slots = [self._node_of[id(x)] for x in flat_in if isinstance(x, torch.Tensor)]
        inplace = bool(info.get("inplace")) or call_args[1].get("inplace") is True or "out" in call_args[1]
        self.trace.calls[op_id] = OpCall.capture(info.get("fn"), *call_args, slots, inplace)
        self.trace.nodes[op_id] = {
            "kind": "op",
            "op": info["op"],
            "label": info["label"],
            "module": self._modules.current(),
            "backward": [],
            "inplace": bool(info.get("inplace")),
        }
        if info.get("custom"):  # a custom Function's node carries its own rule (read by `ops.info_of`)
            self.trace.nodes[op_id].update(custom=True, rule=info["rule"])
        seen = set()
        for arg, nid in enumerate(operands):
            if nid in seen:  # x * x: one edge, both contributions summed into it
                continue
            seen.add(nid)
            self.trace.edges.append((nid, op_id, {"arg": arg, "grad": None}))
        outs = self._add_outputs(op_id, made + changed, flat_out)
        self._claim_backward_nodes(op_id, outs)

    def _note_detach(self, tensors_in: list, result) -> None:
        """Remember which recorded tensor `result = t.detach()` was cut from, until something reads it."""
        if len(tensors_in) == 1 and isinstance(result, torch.Tensor) and tensors_in[0].requires_grad:
            source = self._node_of.get(id(tensors_in[0]))
            if source is not None:
                self._keep.append(result)  # its id must stay unique while we record
                self._detached[id(result)] = source

    def _add_cut(self, source: str, constant: str) -> None:
        """A `detach` op from the tensor that was cut to the constant made from it; its input edge is `cut`."""
        op_id = f"op{self._n_ops}"
        self._n_ops += 1
        self.trace.nodes[op_id] = {
            "kind": "op",
            "op": "detach",
            "label": "detach",
            "module": self._modules.current(),
            "backward": [],
            "inplace": False,
        }
        self.trace.edges.append((source, op_id, {"arg": 0, "grad": None, "cut": True}))
        self.trace.edges.append((op_id, constant, {"out": 0}))

    def _operands(self, info: dict, flat_in: list, before: list) -> list[str]:
        """The nodes an op reads, in the order the code writes them, as they were before the call."""
        fn_before = {id(t): fn for t, fn in before}
        operands = []
        for x in flat_in:
            if isinstance(x, torch.Tensor):
                operands.append(self._node_for(x, fn_before.get(id(x))))
            elif _is_number(x) and info["takes_numbers"]:
                value = torch.tensor(float(x), dtype=torch.get_default_dtype())
                operands.append(self._new_tensor_node(None, "constant", value))
        if info.get("reflected") and len(operands) == 2:
            operands.reverse()
        return operands

    def _add_outputs(self, op_id: str, tensors: list[torch.Tensor], flat_out: list) -> list[torch.Tensor]:
        """Nodes for what an op made or changed in place; a changed tensor's old node is superseded."""
        outs, seen_out = [], set()
        for t in tensors:
            if id(t) not in seen_out:
                seen_out.add(id(t))
                outs.append(t)
        for t in outs:
            old = self._node_of.get(id(t))
            if old is not None:
                self._superseded.add(old)
            nid = self._new_tensor_node(t, "intermediate", t.detach())
            index = next((i for i, o in enumerate(flat_out) if o is t), 0)
            self.trace.edges.append((op_id, nid, {"out": index}))
        return outs

    def _claim_backward_nodes(self, op_id: str, outs: list[torch.Tensor]):
        """Collect the backward nodes this op made, and where they hand gradients on."""
        names, boundary = [], []
        stack = [t.grad_fn for t in outs]
        while stack:  # iterative: one op can make a chain of backward nodes
            fn = stack.pop()
            if fn is None or id(fn) in self._known_fns:
                continue
            self._known_fns.add(id(fn))
            self._keep.append(fn)
            names.append(type(fn).__name__)
            for index, (nxt, nr) in enumerate(fn.next_functions):
                if nxt is None:
                    continue
                target = self._target_of(nxt, nr)
                if target is not None:
                    boundary.append((fn, index, target))
                elif type(nxt).__name__ != "AccumulateGrad":
                    stack.append(nxt)
        self.trace.nodes[op_id]["backward"] = names
        self._boundaries[op_id] = boundary

    def _target_of(self, fn, nr) -> str | None:
        """The recorded tensor node that backward node `fn`'s output `nr` belongs to, if any."""
        variable = getattr(fn, "variable", None)
        if variable is not None:  # AccumulateGrad of a leaf
            return self._node_of.get(id(variable))
        return self._by_grad_fn.get((id(fn), nr))

    # ----- after the forward pass -----------------------------------------------------
    def set_outputs(self, outputs: list[torch.Tensor]) -> list[str]:
        """Mark `outputs` as the trace's outputs; returns their node ids."""
        ids = [self._node_for(t) for t in outputs]
        self.trace.outputs = ids
        return ids

    def name_from_locals(self, local_vars: dict):
        """Give unnamed nodes the local variable names that hold them, where unambiguous."""
        name_from_locals(self.trace.nodes, self._node_of, local_vars)

    def backward(self, outputs: list[torch.Tensor], grad_outputs: list, *, retain_graph: bool):
        """Compute every tensor's gradient and every edge's share, once.

        Returns `(grads, shares)`: node id -> gradient (or None), and
        (tensor id, op id) -> that op's contribution to the tensor's gradient.
        """
        return gradients(
            outputs,
            grad_outputs,
            self._gradient_targets(),
            self._boundaries,
            self._superseded,
            retain_graph=retain_graph,
            value_limit=self.value_limit,
            explain=lambda err: explain(err, self.trace, self._latest_version),
        )

    def _gradient_targets(self) -> list[tuple[str, torch.Tensor]]:
        """(node id, tensor) of the current version of every recorded tensor that needs grad."""
        return [
            (nid, t)
            for nid, t in self._tensor_of.items()
            if t.requires_grad and nid not in self._superseded and self._node_of.get(id(t)) == nid
        ]

    def _latest_version(self, nid: str) -> str:
        """The node of the last version of the tensor that node `nid` recorded."""
        return self._node_of.get(id(self._tensor_of.get(nid)), nid)
