"""Stop points inside the threaded export and import pipelines, for kill tests (issue 12).

``install(stage)`` wraps one low-level call so that, the n-th time it runs in the thread the
stage names, the process prints ``phase STAGE`` on stdout and blocks that thread for good: the
parent then SIGKILLs it there, so a kill is known to have landed in that stage rather than
somewhere a random delay happened to fall. Only the stopped thread waits; the others go on
until they block on it, as they would if that stage were merely slow.

    python -m tests.support.stop_at STAGE kpfield-args...   # the CLI, with a stop point

The wrapped calls are module attributes looked up at call time (``stream.iter_encrypt``,
``os.fsync``...), so wrapping them reaches every caller without touching kpfield's code.
"""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# stage -> (hooked call, thread-name prefix it must run in, which call stops)
STAGES: dict[str, tuple[str, str, int]] = {
    "export-decrypt-blob": ("decrypt", "bundle-read", 1),
    "export-encrypt": ("encrypt-chunk", "MainThread", 3),
    "export-write": ("write", "write", 1),
    "export-fsync": ("fsync-file", "", 1),
    "export-read-back": ("preadv", "read-back", 1),
    "import-decrypt": ("decrypt-chunk", "bundle-decrypt", 4),
    "import-read": ("ahead-next", "MainThread", 12),
    "import-blob-encrypt": ("encrypt-chunk", "hq-blob", 2),
    "import-blob-fsync": ("fsync-file", "hq-blob", 1),
    "import-before-commit": ("commit", "", 1),
}
EXPORT_STAGES = tuple(s for s in STAGES if s.startswith("export-"))
IMPORT_STAGES = tuple(s for s in STAGES if s.startswith("import-"))


def install(stage: str, under: Path | None = None) -> None:
    """Stop at ``stage``; file hooks (fsync) count only files below ``under`` when given."""
    hook, prefix, nth = STAGES[stage]
    lock = threading.Lock()
    seen = 0

    def maybe_stop(path: str | None = None) -> None:
        nonlocal seen
        if not threading.current_thread().name.startswith(prefix):
            return
        if under is not None and path is not None and not path.startswith(str(under) + os.sep):
            return
        with lock:
            seen += 1
            if seen != nth:
                return
        sys.stdout.write(f"phase {stage}\n")
        sys.stdout.flush()
        threading.Event().wait()  # until SIGKILL

    _HOOKS[hook](maybe_stop)


def _hook_decrypt(stop: Callable[[], None]) -> None:
    from kpfield.crypto import stream

    real = stream.iter_decrypt

    def iter_decrypt(key: bytes, src: Any) -> Iterator[bytes]:
        stop()
        yield from real(key, src)

    stream.iter_decrypt = iter_decrypt  # type: ignore[assignment]


def _chunks(name: str) -> Callable[[Callable[[], None]], None]:
    def hook(stop: Callable[[], None]) -> None:
        from kpfield.crypto import stream

        real = getattr(stream, name)

        def wrapped(key: bytes, src: Any) -> Iterator[bytes]:
            for chunk in real(key, src):
                stop()
                yield chunk

        setattr(stream, name, wrapped)

    return hook


def _hook_write(stop: Callable[[], None]) -> None:
    from kpfield import pipeline

    real_init = pipeline.HashingWriterThread.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        write = self._writer._fn

        def stopping_write(data: bytes) -> object:
            stop()
            return write(data)

        self._writer._fn = stopping_write  # read by the worker at each batch

    pipeline.HashingWriterThread.__init__ = init  # type: ignore[method-assign]


def _hook_fsync(stop: Callable[..., None]) -> None:
    real = os.fsync

    def fsync(fd: Any) -> None:
        num = fd if isinstance(fd, int) else fd.fileno()
        if stat.S_ISREG(os.fstat(num).st_mode):
            stop(os.readlink(f"/proc/self/fd/{num}"))
        real(fd)

    os.fsync = fsync


def _hook_preadv(stop: Callable[[], None]) -> None:
    real = os.preadv

    def preadv(fd: int, buffers: Any, offset: int, *args: Any) -> int:
        stop()
        return real(fd, buffers, offset, *args)

    os.preadv = preadv


def _hook_ahead(stop: Callable[[], None]) -> None:
    from kpfield import pipeline

    real = pipeline.Ahead.__next__

    def next_(self: Any) -> Any:
        stop()
        return real(self)

    pipeline.Ahead.__next__ = next_  # type: ignore[method-assign]


def _hook_commit(stop: Callable[[], None]) -> None:
    from kpfield.hq import intake

    real = intake.transaction

    @contextmanager
    def transaction(conn: Any) -> Iterator[None]:
        with real(conn):
            yield
            stop()  # every row written, nothing committed yet

    intake.transaction = transaction  # type: ignore[assignment]


_HOOKS: dict[str, Callable[[Callable[..., None]], None]] = {
    "decrypt": _hook_decrypt,
    "decrypt-chunk": _chunks("iter_decrypt"),
    "encrypt-chunk": _chunks("iter_encrypt"),
    "write": _hook_write,
    "fsync-file": _hook_fsync,
    "preadv": _hook_preadv,
    "ahead-next": _hook_ahead,
    "commit": _hook_commit,
}


def main(argv: list[str]) -> int:
    install(
        argv[0],
        Path(os.environ["KPFIELD_STOP_UNDER"]) if "KPFIELD_STOP_UNDER" in os.environ else None,
    )
    from kpfield.cli import main as kpfield_main

    return kpfield_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
