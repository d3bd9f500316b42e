"""What `TorchGraph` puts back after running the user's function: module buffers and the RNG.

Running a model in train mode updates BatchNorm's running statistics, and dropout draws
from the global random number generator. `TorchGraph` promises no side effects, so
it keeps a copy of every buffer of each module before that module first runs (and of
the modules it was given), and the generator's state before the run, and puts them
back afterwards. (`record()` puts nothing back: the code in its block is the user's own
step, and its effects are theirs.) The generator is one for all threads: when another
recording ran at the same time, putting it back could replay numbers the other thread
already drew, so the recorder then leaves it as it is.

>>> bn = torch.nn.BatchNorm1d(2)
>>> snap = Snapshot()
>>> snap.add_module(bn)
>>> _ = bn(torch.tensor([[1.0, 2.0], [3.0, 6.0]])); _ = torch.rand(1)
>>> snap.restore()
>>> bn.running_mean.tolist(), int(bn.num_batches_tracked)
([0.0, 0.0], 0)
"""

from __future__ import annotations

import torch

_NONE: dict = {}  # the buffers kept of a module that has none (never changed)


class Snapshot:
    """Buffers of the modules added, and the global RNG state from when it was made."""

    def __init__(self):
        self._rng = torch.get_rng_state()
        self._cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
        self._buffers: dict[int, tuple[torch.nn.Module, dict]] = {}  # id -> (module, name -> (tensor, copy))

    def has(self, module: torch.nn.Module) -> bool:
        """Whether `module`'s buffers are kept already."""
        return id(module) in self._buffers

    def add_module(self, module: torch.nn.Module) -> None:
        """Keep `module`'s own buffers as they are now (once per module)."""
        if id(module) in self._buffers:
            return
        kept = {}
        for name, b in module._buffers.items():
            kept[name] = (b, None if b is None else b.detach().clone())
        self._buffers[id(module)] = (module, kept)

    def add_tree(self, module: torch.nn.Module) -> None:
        """Keep the buffers of `module` and every module inside it."""
        self.add_modules(module.modules())

    def add_modules(self, modules) -> None:
        """Keep the buffers of each of `modules` (once per module)."""
        kept_of = self._buffers
        for module in modules:
            if id(module) not in kept_of:
                if module._buffers:
                    self.add_module(module)
                else:
                    kept_of[id(module)] = (module, _NONE)

    def restore(self, rng: bool = True) -> None:
        """Put every kept buffer, and (with `rng`) the RNG, back as they were."""
        with torch.no_grad():
            for module, kept in self._buffers.values():
                if kept is _NONE:
                    continue
                for name, (tensor, copy) in kept.items():
                    if tensor is not None and copy is not None and tensor.shape == copy.shape:
                        tensor.copy_(copy)
                    module._buffers[name] = tensor
        if not rng:
            return
        torch.set_rng_state(self._rng)
        if self._cuda_rng is not None:
            torch.cuda.set_rng_state_all(self._cuda_rng)
