"""Recording a PyTorch computation as plain data: the `Recorder` and the `Trace` it fills.

One job per module:

- `trace`: the `Trace`, plain node and edge attribute dicts;
- `active`: which recorders record on this thread, and the process-wide hooks they share;
- `intercept`: the `TorchFunctionMode` that turns torch calls into requests to record an op;
- `functions`: the shared `Function.apply` patch that does the same for custom Functions;
- `grad_fns`: which op made each backward node, and where those nodes hand gradients on;
- `naming`: names from module paths and from the local variables of the user's function;
- `values`: each node's value, shared with the live tensor until an in-place op writes;
- `backward`: gradients, and each edge's share, with hooks removed before returning;
- `explain`: PyTorch's errors, reworded to name the user's tensor and say what to write instead;
- `snapshot`: module buffers and the RNG, put back after `TorchGraph` ran the user's function;
- `op_nodes`: what one recorded call adds: the op node, its operands, outputs and boundaries;
- `lazy`: the cheap forward `TorchGraph` uses: one raw tuple per call, replayed into the trace later;
- `deferred`: gradients and the needed per-edge shares computed from that log, before any node exists;
- `cuts`: `detach()` drawn as a cut edge;
- `user_backward`: the user's own backward seen inside `record()`;
- `recorder`: the `Recorder`, the node and op bookkeeping that ties these together.
"""

from .recorder import Recorder
from .trace import Trace

__all__ = ["Recorder", "Trace"]
