"""Durable, private file writes: temp name in the same folder, fsync, rename, fsync the folder."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def ensure_private_dir(path: Path) -> Path:
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path, PRIVATE_DIR)
    return path


@contextlib.contextmanager
def durable_new_file(
    final: Path, *, tmp_name: str | None = None, mode: int = PRIVATE_FILE
) -> Iterator[BinaryIO]:
    """Write a file under a temporary name; on success fsync it, rename it to ``final`` and fsync
    the folder, so a crash leaves either the old file (or none) or the complete new one."""
    tmp = final.with_name(tmp_name or f".{final.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(final.parent)


def atomic_write(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new content."""
    with durable_new_file(path, mode=mode) as fh:
        fh.write(data)


def overwrite_and_unlink(path: Path) -> bool:
    """Overwrite a file with random bytes, fsync, then delete it. Returns whether it existed."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return False
    with contextlib.suppress(OSError), open(path, "r+b", buffering=0) as fh:
        remaining = size
        while remaining > 0:
            n = min(remaining, 1 << 20)
            fh.write(secrets.token_bytes(n))
            remaining -= n
        os.fsync(fh.fileno())
    path.unlink(missing_ok=True)
    return True
