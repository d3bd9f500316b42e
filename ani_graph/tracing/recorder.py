"""The `Recorder`: node and op bookkeeping for one recording, composed from the other units.

While a recorder is inside its `with` block, `intercept` and `functions` hand it every
torch call and custom Function call as a request (`_record_call`). A call becomes an op
node only when it makes new backward nodes, so shape queries, `detach()` and work under
`no_grad` leave no op behind; their results show up as constants when something uses
them. The exception is `detach()` of a recorded tensor: when its result is used, it is
drawn as a `detach` op whose input edge is marked `cut`, so the drawing shows where the
graph was cut. The recorder pairs each op with the backward nodes it made, and remembers
where they hand gradients on to recorded tensors, for `backward`.

`op_nodes` adds each op to the trace; the other units name, keep values, cut, compute
gradients and explain errors. The result is a `Trace` of plain attribute dicts."""

from __future__ import annotations

import functools
import threading
import warnings

import torch

from ..format import format_tensor
from ..summary import VALUE_LIMIT
from . import active
from .backward import gradients, one_reader
from .cuts import add_cut
from .deferred import by_node, log_gradients, made_by_of
from .explain import backward_in_func, explain, leaf_in_place
from .functions import PATCH
from .grad_fns import BackwardNodes
from .intercept import CallInterceptor, flat_operands, writes
from .lazy import EAGER, LOGGED, deferrable, leaf_copies, log_call, record_torch_call, replay, writes_recorded
from .naming import MODULE_HOOKS, LocalNames, ModuleNames, name_from_locals
from .op_nodes import _UNSET, after_call, refresh
from .snapshot import Snapshot
from .trace import Trace
from .values import ValueKeeper


class Recorder:
    """Records the ops of one forward pass on the calling thread. Use it as a context manager.

    `restore_state=True` keeps module buffers and the RNG as they were before (see
    `snapshot`); `allow_backward=False` makes a `backward()` call inside the block an error;
    `lazy=True` only logs the calls and builds the trace from the log later (see `lazy`).

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

    def __init__(
        self,
        *,
        input_kind_for_unknown_leaves: str = "param",
        value_limit: int = VALUE_LIMIT,
        restore_state: bool = False,
        allow_backward: bool = True,
        lazy: bool = False,
    ):
        self.value_limit = value_limit
        self.trace = Trace()
        self._unknown_leaf_kind = input_kind_for_unknown_leaves
        self._allow_backward = allow_backward
        self._n_tensors = 0
        self._n_ops = 0
        # id(tensor) -> current node id; the tensors themselves are kept alive in
        # _tensor_of (and _keep) so their ids cannot be reused while we record.
        self._node_of: dict[int, str] = {}
        self._keep: list = []
        self._numbers: dict[tuple, tuple] = {}  # (type, number, dtype) -> (its value tensor, its label)
        self._tensor_of: dict[str, torch.Tensor] = {}  # node id -> live tensor
        self._fn_at: dict[str, tuple] = {}  # node id -> (the tensor's grad_fn, ops recorded) when made
        self._superseded: set[str] = set()  # node ids whose tensor was later changed in place
        self._unseen = False  # whether a recorded tensor came from backward nodes no recorded op made
        self._fns = BackwardNodes()
        self._n_outs: dict[str, int] = {}  # op id -> how many output edges it has
        self._boundaries: dict[str, list] = {}  # op id -> [(backward node, index, tensor node id)]
        self._detached: dict[int, str] = {}  # id(result of detach()) -> node id of the tensor it was cut from
        self._values = ValueKeeper(self.trace.nodes, value_limit)
        self._modules = ModuleNames(self.trace.module_types)
        self._locals = LocalNames()
        self._snapshot = Snapshot() if restore_state else None
        self._alone_since = active.started_and_running()  # to tell whether another recording overlapped
        self._mode: CallInterceptor | None = None
        # lazy: calls are logged raw and the trace is built from the log later (`lazy`)
        self._log: list | None = [] if lazy else None
        self._seen: dict[int, object] = {}  # id(tensor) -> its grad_fn when the log last met it
        self._pending_locals: list[dict] = []  # local variables that name nodes once they are built
        self._leaf_copies: dict[int, object] = {}  # id(leaf) -> its value when the block ended
        self.entry_ops: list = []  # op id (or None) per logged call, once replayed
        self._log_storages: tuple[set, int] = (set(), 0)  # storages the log's tensors use, up to an entry
        self._log_made_by: dict | None = None  # the log's (id(grad_fn), output_nr) -> id(tensor), once built

    # ----- before and around the forward pass ------------------------------------------
    def add_input(self, t: torch.Tensor, name: str) -> str:
        """Register one of func's inputs under its parameter name."""
        nid = self._new_tensor_node(t, "input", t.detach(), name=name)
        self.trace.inputs.append(nid)
        self._seen[id(t)] = t.grad_fn
        return nid

    def add_root_module(self, module: torch.nn.Module, prefix: str = ""):
        """Name a module's submodules, parameters and buffers by their qualified path."""
        met = self._modules.add_root(module, prefix)
        if self._snapshot is not None:
            self._snapshot.add_modules(met)

    def watch_locals_of(self, code) -> None:
        """Remember the frame running `code`, to read its local variables after it returns."""
        self._locals.watch(code)

    def final_locals(self) -> dict:
        """The local variables of the watched frame as they were when it returned."""
        return self._locals.final_locals()

    def __enter__(self):
        """Start recording on this thread: the shared patch and hooks, then the mode."""
        if self._mode is not None:
            raise RuntimeError("this recorder is already recording; start a new one instead.")
        self._mode = CallInterceptor(functools.partial(record_torch_call, self))
        self._stack = active.push(self)
        self._thread = threading.get_ident()
        try:
            PATCH.acquire()
            try:
                MODULE_HOOKS.acquire()
            except BaseException:
                PATCH.release()
                raise
        except BaseException:
            active.remove(self)
            self._mode = None
            raise
        self._mode.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        """Stop recording and let go of every hook, patch and mode, whatever happened inside."""
        mode, self._mode = self._mode, None
        try:
            if mode is not None:
                mode.stop()
            if self._thread != threading.get_ident():
                warnings.warn(
                    "a recording ended on another thread than the one it started on; end it where it began.",
                    stacklevel=2,
                )
        finally:
            active.remove(self, self._stack)
            # leaves (parameters, the caller's tensors) outlive the graph: keep their values as they are now
            if self._log is not None:
                self._leaf_copies = leaf_copies(self._log, self.value_limit, self._node_of)
            self._values.copy_now({nid for nid, t in self._tensor_of.items() if t.is_leaf})
            try:
                MODULE_HOOKS.release()
            finally:
                PATCH.release()
        # Nothing shared points back at this recorder now, so it (and every tensor it
        # keeps alive) is freed as soon as the graph is built, not at the next full collection.
        return False

    def restore_state(self) -> None:
        """With `restore_state=True`: put module buffers back, and the RNG when no other recording
        overlapped this one (after backward, which may read the buffers)."""
        if self._snapshot is not None:
            started, running = self._alone_since
            alone = running == 0 and active.started_and_running()[0] == started + 1  # only this one ran
            self._snapshot.restore(rng=alone)

    def module_entered(self, module: torch.nn.Module) -> None:
        """Called by the shared module hooks when a module's forward starts on this thread."""
        if self._snapshot is not None and not self._snapshot.has(module):
            with torch._C.DisableTorchFunction():
                self._snapshot.add_module(module)
        self._modules.entered(module)

    def module_left(self, module: torch.nn.Module) -> None:
        """Called by the shared module hooks when a module's forward ends on this thread."""
        self._modules.left(module)

    # ----- nodes ------------------------------------------------------------------
    def knows(self, tensor: torch.Tensor) -> bool:
        """Whether `tensor` has a node here: an input, or read or made while recording."""
        return id(tensor) in self._node_of or id(tensor) in self._seen

    def _new_tensor_node(self, t: torch.Tensor | None, kind: str, value, name=None, fn=_UNSET, logged=False) -> str:
        """A tensor node for `t` (None for a Python number), which becomes `t`'s current node.

        `logged`: `t` was made by a call of the lazy log, whose map `BackwardNodes` has adopted."""
        nid = f"t{self._n_tensors}"
        self._n_tensors += 1
        requires_grad = False
        copy = None
        if t is not None:  # kept alive in _tensor_of, so its id is not reused while we record
            if fn is _UNSET:
                fn = t.grad_fn
            copy = self._leaf_copies.get(id(t)) if self._leaf_copies else None
            self._node_of[id(t)] = nid
            self._tensor_of[nid] = t
            self._fn_at[nid] = (fn, self._n_ops)
            if fn is not None and not logged:
                self._fns.add_tensor(nid, fn, t.output_nr)
            requires_grad = t.requires_grad
        value = self._values.keep(nid, t, value) if copy is None else copy
        label = name if name else (format_tensor(value) if kind == "constant" else "")
        self.trace.nodes[nid] = {
            "kind": kind,
            "name": name,
            "label": label,
            "value": value,
            "grad": None,
            "shape": tuple(value.shape),
            "requires_grad": requires_grad,
        }
        return nid

    def _node_for(self, t: torch.Tensor, grad_fn_before=_UNSET) -> str:
        """The node of a tensor an op reads; tensors seen for the first time get one."""
        nid = self._node_of.get(id(t))
        if nid is not None:
            return nid
        grad_fn = t.grad_fn if grad_fn_before is _UNSET else grad_fn_before
        if not t.requires_grad:
            nid = self._new_tensor_node(t, "constant", t.detach(), name=self._modules.buffer_name(t))
            source = self._detached.pop(id(t), None)
            if source is not None:
                add_cut(self, source, nid)
            return nid
        if grad_fn is None:  # a leaf that needs grad: a parameter or a caller's tensor
            name = self._modules.param_name(t)
            if name is not None or isinstance(t, torch.nn.Parameter):
                return self._new_tensor_node(t, "param", t.detach(), name=name)
            return self._new_tensor_node(t, self._unknown_leaf_kind, t.detach())
        # made by something we did not see (before `record()` began): treat it as an input
        self._unseen = True
        return self._new_tensor_node(t, "input", t.detach())

    def _refresh(self, t: torch.Tensor) -> None:
        """Give a known tensor a new node if an op we recorded changed it without naming it (`op_nodes.refresh`)."""
        refresh(self, t)

    # ----- ops --------------------------------------------------------------------
    def record_call(self, call, info: dict, args, kwargs):
        """Run one intercepted call; record it as an op if it made new backward nodes.

        `info` is the request from `intercept` or `functions`: `op`, `label` and
        `takes_numbers`, and where they apply `reflected`, `inplace`, `custom`, `rule`
        and `skip` (keyword arguments that are not operands).
        """
        if info["op"] == "backward" and not self._allow_backward:
            raise backward_in_func()
        flat_in = flat_operands(args, kwargs, info.get("skip", ()))
        if not flat_in:
            return call()
        tensors_in = [x for x in flat_in if isinstance(x, torch.Tensor)]
        # a custom Function may change its input in place (`mark_dirty`): keep the value it read
        may_write = writes(info, kwargs)
        if not any(t.requires_grad for t in tensors_in):
            # no backward node can come out of this call: it makes no op
            if may_write:
                if self._log is not None and writes_recorded(self, tensors_in):
                    self.materialize()
                self._values.copy_before_write(tensors_in)
            return call()
        if self._log is not None:
            if not may_write:
                done, result, before = log_call(self, call, info, flat_in, tensors_in, (args, kwargs))
                if done == LOGGED:
                    return result
                if done == EAGER:
                    self.materialize()
                    return after_call(self, info, flat_in, tensors_in, before, result, (args, kwargs))
            self.materialize()
        node_of, fn_at = self._node_of, self._fn_at
        for t in tensors_in:  # a known tensor whose grad_fn changed since its node was made: `_refresh`
            nid = node_of.get(id(t))
            if nid is not None and (fn := t.grad_fn) is not None and fn is not fn_at[nid][0]:
                self._refresh(t)
        if may_write:
            self._values.copy_before_write(tensors_in)
        # grad_fn before the call tells an in-place change apart from a plain read
        before = [(t, t.grad_fn) for t in tensors_in]
        self._locals.look_for_frame()
        try:
            result = call()
        except RuntimeError as err:
            better = self.call_error(err, tensors_in)
            if better is None:
                raise
            raise better from err
        return after_call(self, info, flat_in, tensors_in, before, result, (args, kwargs))

    def call_error(self, err: RuntimeError, tensors_in: list) -> RuntimeError | None:
        """A clearer error for a call that failed on a leaf, naming it; None to raise PyTorch's."""
        return leaf_in_place(err, [self._name_of(t) for t in tensors_in if t.is_leaf and t.requires_grad])

    def materialize(self) -> None:
        """Build the trace from the lazy log now, and record eagerly from here on."""
        log, self._log = self._log, None
        if log is None:
            return
        self._fns.adopt(made_by_of(log) if self._log_made_by is None else self._log_made_by)
        self._log_made_by = None
        self.entry_ops = replay(self, log)
        if self._mode is not None:  # recording goes on eagerly: a write may give a logged tensor a new node
            self._fns.pin(self._node_of)
        taken = None  # the names nodes hold, gathered once for every pending dict
        for local_vars in self._pending_locals:
            taken = name_from_locals(self.trace.nodes, self._node_of, local_vars, taken)
        self._pending_locals = []

    def _name_of(self, t: torch.Tensor) -> str | None:
        nid = self._node_of.get(id(t))
        return None if nid is None else self.trace.nodes[nid]["name"]

    # ----- after the forward pass -----------------------------------------------------
    def set_outputs(self, outputs: list[torch.Tensor]) -> list[str]:
        """Mark `outputs` as the trace's outputs; returns their node ids."""
        for t in outputs:
            self._refresh(t)
        ids = [self._node_for(t) for t in outputs]
        self.trace.outputs = ids
        return ids

    def name_from_locals(self, local_vars: dict):
        """Give unnamed nodes the local variable names that hold them, where unambiguous."""
        if self._log is not None:  # named when the log is built
            self._pending_locals.append(dict(local_vars))
            return
        name_from_locals(self.trace.nodes, self._node_of, local_vars)

    def backward(self, outputs: list[torch.Tensor], grad_outputs: list, *, retain_graph: bool):
        """Compute every tensor's gradient and every edge's share, once.

        Returns `(grads, shares)`: node id -> gradient (or None), and
        (tensor id, op id) -> that op's contribution to the tensor's gradient.
        """
        wanted = self._gradient_targets()
        return gradients(
            outputs,
            grad_outputs,
            wanted,
            self._boundaries,
            self._superseded,
            retain_graph=retain_graph,
            value_limit=self.value_limit,
            explain=lambda err: explain(err, self.trace, self._latest_version),
            exact=one_reader(self, outputs, {nid for nid, _ in wanted}),
        )

    def deferrable(self, outputs: list[torch.Tensor]) -> bool:
        """Whether the graph can still be built later from the log (see `lazy`), with these outputs."""
        return self._log is not None and deferrable(self._seen, outputs)

    def log_gradients(self, outputs, grad_outputs, *, retain_graph: bool, explain) -> tuple[dict, dict]:
        """Gradients and the needed shares from the log, before any node exists (see `deferred`)."""
        assert self._log is not None
        inputs = [self._tensor_of[nid] for nid in self.trace.inputs]
        self._log_made_by = made_by_of(self._log)
        return log_gradients(
            self._log, self._log_made_by, inputs, outputs, grad_outputs, retain_graph=retain_graph, explain=explain
        )

    def gradients_by_node(self, found: tuple[dict, dict]) -> tuple[dict, dict]:
        """`log_gradients`' results by node id and op id, as `backward` returns them (after `materialize`)."""
        return by_node(self, found)

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
