"""Which recorders are recording on this thread, and the process-wide hooks they share.

PyTorch's function-mode stack is per thread, but `Function.apply` and the global module
forward hooks are process-wide. So each recorder puts itself on its own thread's stack
here, and the shared hooks, installed once while any recorder in any thread is
recording, hand each call to the recorders of the thread that made it. Another
thread's work is never recorded, and two traces in two threads stay independent.

A `Shared` install counts its users under a lock: the last one to leave removes it,
whatever order the recorders end in.

>>> calls = []
>>> hook = Shared(lambda: calls.append("install"), lambda _: calls.append("remove"))
>>> hook.acquire(); hook.acquire(); hook.release(); hook.release()
>>> calls
['install', 'remove']
>>> _ = push("rec"); recorders(), remove("rec"), recorders()
(('rec',), None, ())
"""

from __future__ import annotations

import threading
from collections.abc import Callable

_local = threading.local()
_count_lock = threading.Lock()
_started = 0  # recordings ever started, in any thread
_running = 0  # recordings running now, in any thread


def started_and_running() -> tuple[int, int]:
    """How many recordings ever started and how many run now, over all threads."""
    return _started, _running


def recorders() -> tuple:
    """The recorders active on the calling thread, outermost first."""
    return tuple(getattr(_local, "stack", ()))


def push(recorder) -> list:
    """`recorder` starts recording on the calling thread; returns that thread's stack."""
    global _started, _running
    if not hasattr(_local, "stack"):
        _local.stack = []
    _local.stack.append(recorder)
    with _count_lock:
        _started += 1
        _running += 1
    return _local.stack


def remove(recorder, stack: list | None = None) -> None:
    """`recorder` stops recording, wherever it is on the stack (the calling thread's, or `stack`)."""
    global _running
    stack = getattr(_local, "stack", []) if stack is None else stack
    for i in range(len(stack) - 1, -1, -1):
        if stack[i] is recorder:
            del stack[i]
            with _count_lock:
                _running -= 1
            return


class Shared:
    """A process-wide install (a patch, a global hook) kept while it has at least one user.

    `install()` returns whatever `uninstall(state)` needs to undo it.
    """

    def __init__(self, install: Callable[[], object], uninstall: Callable[[object], None]):
        self._install = install
        self._uninstall = uninstall
        self._lock = threading.Lock()
        self._users = 0
        self._state = None

    def acquire(self) -> None:
        """One more user: install on the first."""
        with self._lock:
            if self._users == 0:
                self._state = self._install()  # type: ignore[assignment]
            self._users += 1

    def release(self) -> None:
        """One user fewer: uninstall with the last."""
        with self._lock:
            if self._users == 0:
                return
            self._users -= 1
            if self._users == 0:
                state, self._state = self._state, None
                self._uninstall(state)

    @property
    def users(self) -> int:
        return self._users
