"""The thread stages of export and import: order kept, errors raised in the caller, workers stopped."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import pytest

from kpfield.pipeline import Ahead, HashingWriterThread


def test_ahead_yields_everything_in_order() -> None:
    with Ahead(iter(range(1000)), depth=4) as a:
        assert list(a) == list(range(1000))


def test_ahead_raises_the_workers_error_in_the_caller() -> None:
    def source() -> Iterator[int]:
        yield 1
        raise ValueError("broken blob")

    with Ahead(source()) as a:
        assert next(a) == 1
        with pytest.raises(ValueError, match="broken blob"):
            next(a)


def test_leaving_early_stops_the_worker_and_closes_the_source() -> None:
    closed = threading.Event()

    def endless() -> Iterator[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    a = Ahead(endless(), depth=2)
    with a:
        assert next(a) == 0
    assert closed.is_set()
    assert not a._thread.is_alive()


def test_writer_thread_writes_and_hashes_every_byte() -> None:
    import hashlib

    out = io.BytesIO()
    w = HashingWriterThread(out, depth=2)
    pieces = [bytes([i]) * 1000 for i in range(200)]
    for p in pieces:
        w.write(p)
    w.finish()
    w.close()
    assert out.getvalue() == b"".join(pieces)
    assert w.sha.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()
    assert w.size == 200_000


class _Full(io.BytesIO):
    def write(self, data: bytes) -> int:  # type: ignore[override]
        raise OSError(28, "No space left on device")


def test_writer_thread_reports_a_full_medium() -> None:
    w = HashingWriterThread(_Full(), depth=2)

    def write_all() -> None:
        for _ in range(100):
            w.write(b"x" * 1000)
        w.finish()

    with pytest.raises(OSError, match="No space"):
        write_all()
    w.close()
    assert not w._thread.is_alive()
    assert not w._hasher.thread.is_alive()


def test_writer_thread_batches_keep_order_across_batch_edges() -> None:
    import hashlib

    out = io.BytesIO()
    w = HashingWriterThread(out, depth=1, batch=4096)
    pieces = [bytes([i % 256]) * (i * 37 % 5000 + 1) for i in range(500)]
    for p in pieces:
        w.write(memoryview(p))
    w.finish()
    w.close()
    assert out.getvalue() == b"".join(pieces)
    assert w.sha.hexdigest() == hashlib.sha256(b"".join(pieces)).hexdigest()


def test_a_source_that_fails_to_start_is_raised_in_the_caller() -> None:
    """``iter(source)`` itself may fail (an iterable opening its file in ``__iter__``): the
    caller gets that error instead of waiting for ever for an item that never comes."""

    class Unreadable:
        def __iter__(self) -> Iterator[int]:
            raise OSError(5, "Input/output error")

    got: list[BaseException] = []

    def consume() -> None:
        try:
            with Ahead(Unreadable()) as a:
                list(a)
        except OSError as exc:
            got.append(exc)

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    t.join(timeout=60)  # a bound for the failing case only: the error comes at once
    assert [str(e) for e in got] == ["[Errno 5] Input/output error"]
