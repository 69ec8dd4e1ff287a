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
from collections.abc import Callable, Iterable, Iterator
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
        it: Iterator[T] | None = None
        try:
            it = iter(self._source)  # may raise too: the consumer must hear of it
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


BATCH = 1 << 20
"""Bytes gathered before they are handed to the hashing and writing workers: one queue
operation per MiB instead of per 64 KiB piece (each costs a lock and a GIL hand-over)."""


class _Consumer:
    """One worker applying ``fn`` to every item of a bounded queue, in order."""

    def __init__(self, fn: Callable[[bytes], object], depth: int, name: str) -> None:
        self._fn = fn
        self.q: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            data = self.q.get()
            if data is None or self.stop.is_set():
                return
            try:
                self._fn(data)
            except BaseException as exc:
                self.error = exc
                self.stop.set()
                return

    def put(self, item: bytes | None, errors: Callable[[], None]) -> None:
        while self.thread.is_alive():
            try:
                self.q.put(item, timeout=_POLL)
                return
            except queue.Full:
                errors()
        errors()

    def abandon(self) -> None:
        self.stop.set()
        while self.thread.is_alive():
            with contextlib.suppress(queue.Empty):
                self.q.get_nowait()
            with contextlib.suppress(queue.Full):
                self.q.put_nowait(None)
            self.thread.join(timeout=_POLL)


class HashingWriterThread:
    """A file-like ``write`` that hashes (SHA-256, size kept) and writes in two worker threads.

    Pieces are gathered into batches of :data:`BATCH` bytes; one worker writes them to ``dst``
    while the other hashes them, so neither waits for the other. :meth:`finish` waits for every
    byte to be written and hashed and raises any error a worker met (a full stick, say);
    :meth:`close` stops the workers without waiting for the rest.
    """

    def __init__(self, dst: BinaryIO, depth: int = 4, batch: int = BATCH) -> None:
        self.dst = dst
        self.sha = hashlib.sha256()
        self.size = 0
        self._batch = batch
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._writer = _Consumer(dst.write, depth, "write")
        self._hasher = _Consumer(self.sha.update, depth, "hash")

    def _raise_errors(self) -> None:
        for worker in (self._writer, self._hasher):
            if worker.error is not None:
                raise worker.error

    def _hand_over(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        self._pending_size = 0
        self._writer.put(data, self._raise_errors)
        self._hasher.put(data, self._raise_errors)

    def write(self, data: bytes) -> int:
        self._raise_errors()
        self._pending.append(bytes(data))
        self._pending_size += len(data)
        self.size += len(data)
        if self._pending_size >= self._batch:
            self._hand_over()
        return len(data)

    def finish(self) -> None:
        self._hand_over()
        for worker in (self._writer, self._hasher):
            worker.put(None, self._raise_errors)
            worker.thread.join()
        self._raise_errors()

    def close(self) -> None:
        for worker in (self._writer, self._hasher):
            worker.abandon()

    @property
    def _thread(self) -> threading.Thread:  # the writing worker (tests check it stops)
        return self._writer.thread
