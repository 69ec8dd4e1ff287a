"""Reading a file back from the medium itself, not from the operating system's cache.

A read-back that is served from the page cache proves only that the kernel remembers what we
wrote, not that the stick holds it. Each platform has its own way to bypass the cache:

- Linux (and other systems with ``O_DIRECT``): open with ``O_DIRECT`` and read into page-aligned
  buffers; filesystems that refuse it fall back to ``posix_fadvise(DONTNEED)`` then a plain read.
- macOS: ``fcntl(F_NOCACHE)`` on the descriptor; it is also set when the file is written (see
  :func:`no_cache_for_writes`) so the written pages are not left in the cache to be re-read.
- Windows: ``CreateFileW`` with ``FILE_FLAG_NO_BUFFERING``, reading whole sectors into a
  page-aligned buffer.

:func:`sha256_uncached` returns the digest and the method used, so callers and tests can say which.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import mmap
import os
import queue
import sys
import threading
from pathlib import Path
from typing import BinaryIO

READ_SIZE = 1 << 20  # a multiple of every sector and page size in use
AHEAD = 3  # O_DIRECT reads in flight or waiting to be hashed (4 MiB of buffers)
F_NOCACHE_DARWIN = 48  # <sys/fcntl.h>; ``fcntl.F_NOCACHE`` only from Python 3.12 on


def no_cache_for_writes(fh: BinaryIO) -> None:
    """Ask macOS not to keep a file's written pages cached (elsewhere: nothing to do)."""
    if sys.platform == "darwin":  # pragma: no cover - not run on this CI
        import fcntl

        with contextlib.suppress(OSError):
            fcntl.fcntl(fh.fileno(), getattr(fcntl, "F_NOCACHE", F_NOCACHE_DARWIN), 1)


def sha256_uncached(path: Path) -> tuple[str, str]:
    """SHA-256 of ``path`` read from the medium; returns (hex digest, method used)."""
    if sys.platform == "win32":  # pragma: no cover - not run on this CI
        return _sha256_windows(path)
    if hasattr(os, "O_DIRECT"):
        try:
            return _sha256_direct(path), "O_DIRECT"
        except _DirectRefused:
            pass
    return _sha256_cached_dropped(path)


class _DirectRefused(Exception):
    """The filesystem does not support ``O_DIRECT`` (tmpfs before 6.6, some FUSE mounts)."""


def _sha256_direct(path: Path) -> str:
    """Read with ``O_DIRECT`` a few buffers ahead in a worker while this thread hashes.

    The device reads the next MiB while SHA-256 runs over the last one (both release the GIL),
    so the read-back takes about as long as the slower of the two instead of their sum.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
    except OSError as exc:
        if exc.errno == 22:  # EINVAL: O_DIRECT not supported here
            raise _DirectRefused from None
        raise
    sha = hashlib.sha256()
    bufs = [mmap.mmap(-1, READ_SIZE) for _ in range(AHEAD + 1)]  # page-aligned mappings
    free: queue.Queue[int] = queue.Queue()
    for i in range(len(bufs)):
        free.put(i)
    filled: queue.Queue[tuple[int, int] | BaseException] = queue.Queue()
    stop = threading.Event()

    def read_ahead() -> None:
        offset = 0
        try:
            while not stop.is_set():
                i = free.get()
                if i < 0:
                    return
                try:
                    n = os.preadv(fd, [bufs[i]], offset)
                except OSError as exc:
                    if exc.errno == 22 and offset == 0:
                        raise _DirectRefused from None
                    raise
                filled.put((i, n))
                offset += n
                if n < READ_SIZE:  # O_DIRECT reads stop short only at the end of the file
                    return
        except BaseException as exc:  # raised again in the hashing thread
            filled.put(exc)

    reader = threading.Thread(target=read_ahead, name="read-back", daemon=True)
    reader.start()
    total = 0
    try:
        while True:
            item = filled.get()
            if isinstance(item, BaseException):
                raise item
            i, n = item
            if n > 0:
                with memoryview(bufs[i]) as view:
                    sha.update(view[:n])
                total += n
            free.put(i)
            if n < READ_SIZE:
                break
        if total != os.fstat(fd).st_size:  # a short read before the end: do not guess
            raise _DirectRefused
    finally:
        stop.set()
        free.put(-1)
        reader.join()
        for buf in bufs:
            buf.close()
        os.close(fd)
    return sha.hexdigest()


def _sha256_cached_dropped(path: Path) -> tuple[str, str]:
    sha = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY)
    method = "plain read"
    with os.fdopen(fd, "rb") as fh:
        if sys.platform == "darwin":  # pragma: no cover - not run on this CI
            import fcntl

            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, getattr(fcntl, "F_NOCACHE", F_NOCACHE_DARWIN), 1)
                method = "F_NOCACHE"
        elif hasattr(os, "posix_fadvise"):
            with contextlib.suppress(OSError):
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                method = "posix_fadvise(DONTNEED)"
        while data := fh.read(READ_SIZE):
            sha.update(data)
    return sha.hexdigest(), method


def _sha256_windows(path: Path) -> tuple[str, str]:  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    create = kernel32.CreateFileW
    create.argtypes = [
        wintypes.LPCWSTR,
        wintypes.DWORD,
        wintypes.DWORD,
        wintypes.LPVOID,
        wintypes.DWORD,
        wintypes.DWORD,
        wintypes.HANDLE,
    ]
    create.restype = wintypes.HANDLE
    read = kernel32.ReadFile
    read.argtypes = [
        wintypes.HANDLE,
        wintypes.LPVOID,
        wintypes.DWORD,
        ctypes.POINTER(wintypes.DWORD),
        wintypes.LPVOID,
    ]
    read.restype = wintypes.BOOL
    generic_read, share_read, open_existing = 0x80000000, 0x1, 3
    no_buffering, sequential = 0x20000000, 0x08000000
    invalid = wintypes.HANDLE(-1).value
    handle = create(
        str(path), generic_read, share_read, None, open_existing, no_buffering | sequential, None
    )
    if handle == invalid:
        return _sha256_cached_dropped(path)
    sha = hashlib.sha256()
    buf = mmap.mmap(-1, READ_SIZE)  # VirtualAlloc'd: page-aligned, as NO_BUFFERING requires
    view = memoryview(buf)
    address = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    got = wintypes.DWORD(0)
    try:
        while True:
            if not read(handle, address, READ_SIZE, ctypes.byref(got), None):
                raise OSError(ctypes.get_last_error(), "ReadFile failed")  # type: ignore[attr-defined]
            if got.value == 0:
                break
            sha.update(view[: got.value])
            if got.value < READ_SIZE:
                break
    finally:
        view.release()
        kernel32.CloseHandle(handle)
        with contextlib.suppress(BufferError):
            buf.close()
    return sha.hexdigest(), "FILE_FLAG_NO_BUFFERING"


SEGMENT = 32 << 20
"""Bytes written between two fsyncs of a bundle being followed (a multiple of READ_SIZE)."""


class FollowingReadBack:
    """Read a file back from the medium while it is still being written (Linux, ``O_DIRECT``).

    The writer calls :meth:`durable` each time a prefix of the file has been fsynced; a worker
    thread reads that prefix with ``O_DIRECT`` (the device, never the page cache) and hashes it,
    so most of the read-back overlaps with encrypting and writing the rest. :meth:`finish`, after
    the last fsync, reads what is left and returns the SHA-256 of the whole file as the medium
    holds it. Only whole :data:`READ_SIZE` blocks below a durable offset are read before the
    end, so every read is aligned. :meth:`start` returns None where ``O_DIRECT`` is refused: the
    caller then reads the finished file back with :func:`sha256_uncached`.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._sha = hashlib.sha256()
        self._buf = mmap.mmap(-1, READ_SIZE)  # page-aligned, as O_DIRECT requires
        self._offset = 0
        self._targets: queue.Queue[int | None] = queue.Queue()
        self._error: BaseException | None = None
        self._final: int | None = None
        self._abandoned = threading.Event()  # closed before finish(): read nothing more
        self._thread = threading.Thread(target=self._run, name="read-back", daemon=True)
        self._thread.start()

    @classmethod
    def start(cls, path: Path) -> FollowingReadBack | None:
        if sys.platform == "win32" or not hasattr(os, "O_DIRECT"):  # pragma: no cover
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        except OSError as exc:
            if exc.errno == 22:  # EINVAL: O_DIRECT not supported on this filesystem
                return None
            raise
        try:
            return cls(fd)
        except BaseException:
            os.close(fd)
            raise

    def durable(self, upto: int) -> None:
        """The first ``upto`` bytes are on the medium (fsynced): they may be read back."""
        self._targets.put(upto)

    def _read_block(self) -> int:
        n = os.preadv(self._fd, [self._buf], self._offset)
        if n > 0:
            with memoryview(self._buf) as view:
                self._sha.update(view[:n])
        self._offset += n
        return n

    def _run(self) -> None:
        try:
            while True:
                target = self._targets.get()
                if self._abandoned.is_set():
                    return
                if target is None:  # the end: read to the end of the file
                    while self._read_block() == READ_SIZE:
                        pass
                    return
                while self._offset + READ_SIZE <= target and not self._abandoned.is_set():
                    if self._read_block() != READ_SIZE:
                        raise OSError(errno.EIO, "short read before the end of the file")
        except BaseException as exc:  # raised again by finish()
            self._error = exc

    def finish(self) -> str:
        """After the last fsync: the SHA-256 of the whole file, read from the medium."""
        self._targets.put(None)
        self._thread.join()
        if self._error is not None:
            if isinstance(self._error, OSError) and self._error.errno == 22:
                raise _DirectRefused from None
            raise self._error
        if self._offset != os.fstat(self._fd).st_size:
            raise OSError(errno.EIO, "the read-back stopped short of the end of the file")
        return self._sha.hexdigest()

    def close(self) -> None:
        if self._thread.is_alive():
            self._abandoned.set()
            self._targets.put(None)
            self._thread.join()
        self._buf.close()
        os.close(self._fd)


class SyncingWriter:
    """A file-like ``write`` whose file is fdatasynced every :data:`SEGMENT` bytes, in its own
    thread, each synced prefix handed to a :class:`FollowingReadBack`.

    The writing thread never waits for the device: it writes (into the page cache) and goes on;
    the ``sync`` thread makes each segment durable behind it, so the device writes while the
    rest is encrypted, and the follower reads back what is durable. :meth:`close` stops the
    thread (the caller's own final fsync covers the rest); a failed sync is raised by the next
    :meth:`write` or by :meth:`close`.
    """

    def __init__(self, fh: BinaryIO, follower: FollowingReadBack, segment: int = SEGMENT) -> None:
        self._fh = fh
        self._fd = fh.fileno()
        self._follower = follower
        self._segment = segment
        self._written = 0
        self._synced = 0
        self._stop = False
        self._error: BaseException | None = None
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
        self._thread.start()

    def write(self, data: bytes) -> int:
        if self._error is not None:
            raise self._error
        n = self._fh.write(data)
        self._fh.flush()  # in the kernel before the sync thread may count it
        with self._cond:
            self._written += len(data)
            if self._written - self._synced >= self._segment:
                self._cond.notify()
        return n

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._stop and self._written - self._synced < self._segment:
                        self._cond.wait()
                    if self._stop:
                        return
                    mark = self._written
                os.fdatasync(self._fd)  # everything written before this call is durable
                with self._cond:
                    self._synced = mark
                self._follower.durable(mark)
        except BaseException as exc:  # raised in the writing thread
            self._error = exc

    def flush(self) -> None:
        self._fh.flush()

    def fileno(self) -> int:
        return self._fd

    def close(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify()
        self._thread.join()
        if self._error is not None:
            raise self._error
