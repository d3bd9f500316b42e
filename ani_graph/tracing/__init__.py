"""Recording a PyTorch computation as plain data: the `Recorder` and the `Trace` it fills."""

from .recorder import Recorder
from .trace import Trace

__all__ = ["Recorder", "Trace"]
