"""A lane: a fixed set of named worker threads taking work, in order, from one queue.

``concurrent.futures.ThreadPoolExecutor`` cannot stop with a bounded wait and joins its workers at
interpreter exit, so a network call stuck in I/O would hang the app on quit. A lane's workers can
be daemons, and :meth:`Lane.close` waits only as long as it is told.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
_Item = tuple["Future[Any]", Callable[[], Any]]


class LaneClosed(RuntimeError):
    """Work offered to a lane that has been closed."""


class Lane:
    """``workers`` threads named ``{name}-{i}``; work submitted first starts first."""

    def __init__(self, name: str, workers: int, *, daemon: bool) -> None:
        self.name = name
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=daemon)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise LaneClosed(self.name)
            self._queue.put((future, fn))
        return future

    def owns_current_thread(self) -> bool:
        return threading.current_thread() in self._threads

    def close(self, timeout: float) -> bool:
        """Drop queued work, let running work finish for up to ``timeout`` s; true if stopped."""
        with self._lock:
            if not self._closed:
                self._closed = True
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
                for _ in self._threads:
                    self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        stopped = not any(t.is_alive() for t in self._threads)
        if not stopped:
            log.warning("lane %s still busy at close", self.name)
        return stopped

    def retire(self) -> None:
        """Stop once the work already queued has run; never waits (for an owner being destroyed).

        Unlike :meth:`close`, nothing queued is dropped: a save queued before the owner went
        away still runs, then the workers leave instead of waiting for work forever.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._queue.put(None)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(exc)
            else:
                future.set_result(result)
