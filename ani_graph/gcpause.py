"""Pausing Python's cyclic garbage collector while a stage builds many small objects.

Tracing a 10,000-op chain or scheduling its frames makes hundreds of thousands of dicts,
lists and tuples. Each allocation counts toward a collection, and with a large heap of
live objects (the graph, its tensors) every full collection walks all of it: on the chain
that was 40% of the time. The objects are not garbage, so the collections find nothing.
Reference counting still frees everything that is not in a cycle while paused, and the
collector runs again, as it was, as soon as the last paused stage ends.

>>> import gc
>>> with paused_gc():
...     gc.isenabled()
False
>>> gc.isenabled()
True
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_state = {"depth": 0, "was_enabled": False}  # stages paused now (any thread), and gc's state before


@contextmanager
def paused_gc() -> Iterator[None]:
    """Collector off inside the block; back as it was when the outermost paused block ends."""
    with _LOCK:
        if _state["depth"] == 0:
            _state["was_enabled"] = gc.isenabled()
            gc.disable()
        _state["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _state["depth"] -= 1
            if _state["depth"] == 0 and _state["was_enabled"]:
                gc.enable()
