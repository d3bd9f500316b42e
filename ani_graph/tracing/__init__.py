"""Recording a PyTorch computation as plain data: the `Recorder` and the `Trace` it fills.

One job per module:

- `trace`: the `Trace`, plain node and edge attribute dicts;
- `intercept`: the `TorchFunctionMode` that turns torch calls into requests to record an op;
- `functions`: the temporary `Function.apply` patch that does the same for custom Functions;
- `naming`: names from module paths and from the local variables of the user's function;
- `values`: each node's value, shared with the live tensor until an in-place op writes;
- `backward`: gradients, and each edge's share, with hooks removed before returning;
- `explain`: PyTorch's in-place error, reworded to name the user's tensor;
- `recorder`: the `Recorder`, the node and op bookkeeping that ties these together.
"""

from .recorder import Recorder
from .trace import Trace

__all__ = ["Recorder", "Trace"]
