"""Small thread pipelines for the byte streams of export and import.

pyca's ChaCha20-Poly1305, hashlib and file I/O release the GIL, so a stage run in its own
thread overlaps with the others on a multi-core laptop. Every queue is bounded (memory stays
flat whatever the size of a bundle), errors raised in a worker are raised again in the caller,
and closing a stage stops its worker: nothing keeps running after the caller has given up.
"""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
from collections.abc import Iterable, Iterator
from types import TracebackType
from typing import BinaryIO, Generic, TypeVar

T = TypeVar("T")
DEPTH = 16  # pieces in flight per stage (64 KiB each: about 1 MiB)
_POLL = 0.05


class _End:
    pass


_END = _End()


class Ahead(Generic[T]):
    """Iterate ``source`` in a worker thread, up to ``depth`` items ahead of the consumer.

    Use as a context manager: leaving it (normally or not) stops the worker and waits for it.
    The source runs entirely in the worker, so it must not touch objects bound to the calling
    thread (SQLite connections).
    """

    def __init__(self, source: Iterable[T], depth: int = DEPTH, name: str = "ahead") -> None:
        self._source = source
        self._q: queue.Queue[T | _End | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._done = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _put(self, item: T | _End | BaseException) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=_POLL)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        it = iter(self._source)
        try:
            for item in it:
                if not self._put(item):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            self._put(exc)
        finally:
            close = getattr(it, "close", None)
            if close is not None:
                close()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        if self._done:
            raise StopIteration
        item = self._q.get()
        if isinstance(item, _End):
            self._done = True
            raise StopIteration
        if isinstance(item, BaseException):
            self._done = True
            raise item
        return item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._q.get(timeout=_POLL)
        self._thread.join()

    def __enter__(self) -> Ahead[T]:
        return self

    def __exit__(
        self,
        _t: type[BaseException] | None,
        _e: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self.close()


class HashingWriterThread:
    """A file-like ``write`` that hashes and writes in a worker thread (SHA-256, size kept).

    :meth:`finish` waits for every byte to be written and raises any error the worker met
    (a full stick, say); :meth:`close` stops the worker without waiting for the rest.
    """

    def __init__(self, dst: BinaryIO, depth: int = DEPTH) -> None:
        self.dst = dst
        self.sha = hashlib.sha256()
        self.size = 0
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="write", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            data = self._q.get()
            if data is None or self._stop.is_set():
                return
            try:
                self.dst.write(data)
                self.sha.update(data)
            except BaseException as exc:
                self._error = exc
                self._stop.set()
                return

    def write(self, data: bytes) -> int:
        if self._error is not None:
            raise self._error
        while True:
            try:
                self._q.put(bytes(data), timeout=_POLL)
                break
            except queue.Full:
                if self._error is not None:
                    raise self._error from None
        self.size += len(data)
        return len(data)

    def finish(self) -> None:
        while self._thread.is_alive():
            try:
                self._q.put(None, timeout=_POLL)
                break
            except queue.Full:
                continue
        self._thread.join()
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self._q.get_nowait()
            with contextlib.suppress(queue.Full):
                self._q.put_nowait(None)
            self._thread.join(timeout=_POLL)
