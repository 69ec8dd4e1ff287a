"""Files on removable media: durable writes under random names, read-back checks, folder scans.

A file is written under a temporary hidden name, flushed and fsynced, read back from the medium
and its SHA-256 compared with what was written, then renamed to a random name (32 hex digits: it
reveals nothing) and the folder fsynced. Export splits this into :func:`write_hidden` and
:func:`publish` so that it can record the bundle as pending in between. Full, read-only or
vanished media give a clear :class:`BundleError` and leave no partial file behind.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, TypeVar, cast

from kpfield.bundle.readback import (
    FollowingReadBack,
    SyncingWriter,
    _DirectRefused,
    no_cache_for_writes,
    sha256_uncached,
)
from kpfield.errors import N_, BundleError, UsageError
from kpfield.fsutil import fsync_dir

T = TypeVar("T")
log = logging.getLogger(__name__)
AGE_MAGIC = b"age-encryption.org/v1\n"
MAX_SCAN_DEPTH = 3
MAX_SCAN_FILES = 10_000


def media_error(exc: OSError, where: Path) -> BundleError:
    """A monitor-readable reason for a failed write to ``where``."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return BundleError(
            N_(
                "The stick at {path} is full (or the file is too large for it). Nothing was"
                " marked as exported; free some space or use another stick."
            ),
            path=str(where),
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return BundleError(
            N_(
                "The stick at {path} is read-only or cannot be written. Nothing was marked as"
                " exported; check its lock switch or use another stick."
            ),
            path=str(where),
        )
    return BundleError(
        N_("Writing to {path} failed ({reason}). Nothing was marked as exported."),
        path=str(where),
        reason=exc.strerror or type(exc).__name__,
    )


def check_writable_dir(path: Path) -> None:
    if not path.exists():
        raise UsageError(N_("The folder {path} does not exist."), path=str(path))
    if not path.is_dir():
        raise UsageError(N_("{path} is not a folder."), path=str(path))


def random_name() -> str:
    return secrets.token_hex(16)


def write_durably(
    folder: Path, write: Callable[[BinaryIO], T], *, verify_sha256: Callable[[T], str]
) -> tuple[Path, T]:
    """Write a new file in ``folder`` via ``write`` (temp, fsync, read back, rename)."""
    tmp, result = write_hidden(folder, write, verify_sha256=verify_sha256)
    final = folder / random_name()
    publish(tmp, final)
    return final, result


TEMP_NAME = re.compile(r"^\.[0-9a-f]{32}\.tmp$")


def temp_path(folder: Path) -> Path:
    return folder / f".{random_name()}.tmp"


def write_hidden(
    folder: Path, write: Callable[[BinaryIO], T], *, verify_sha256: Callable[[T], str]
) -> tuple[Path, T]:
    """Write a new hidden temporary file in ``folder``, fsync it, and read it back.

    Folder scans skip hidden names, so nothing here is imported until :func:`publish` renames
    it; the caller can record what it is about to publish first (see ExportService).
    """
    check_writable_dir(folder)
    tmp = temp_path(folder)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise media_error(exc, folder) from None
    follower: FollowingReadBack | None = None
    try:
        try:
            # Where the medium can be read without the cache while the file grows (Linux), it
            # is fsynced every SEGMENT and read back behind the writer; elsewhere after the end.
            with os.fdopen(fd, "wb") as fh:
                follower = FollowingReadBack.start(tmp)  # inside: a failure closes fh too
                no_cache_for_writes(fh)
                if follower is None:
                    result = write(fh)
                else:
                    syncing = SyncingWriter(fh, follower)
                    try:
                        result = write(cast(BinaryIO, syncing))
                    finally:
                        syncing.close()
                fh.flush()
                os.fsync(fh.fileno())
            medium = _finish_read_back(follower, tmp)
        except OSError as exc:
            raise media_error(exc, folder) from None
        if medium != verify_sha256(result):
            raise BundleError(
                N_(
                    "The copy on {path} does not read back correctly; the stick may be failing."
                    " Nothing was marked as exported; use another stick."
                ),
                path=str(folder),
            )
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    finally:
        if follower is not None:
            follower.close()
    return tmp, result


def _finish_read_back(follower: FollowingReadBack | None, path: Path) -> str:
    if follower is not None:
        try:
            digest = follower.finish()
            log.debug("read back through O_DIRECT, following the writer")
            return digest
        except _DirectRefused:  # the filesystem refused a read after all: read it whole
            pass
    return sha256_from_medium(path)


def publish(tmp: Path, final: Path) -> None:
    """Make a staged file visible under its final name (atomic rename, then fsync the folder)."""
    try:
        os.replace(tmp, final)
        fsync_dir(final.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise media_error(exc, final.parent) from None


def sweep_temps(folder: Path, keep: frozenset[Path] = frozenset()) -> int:
    """Remove temporary files that killed writes left in ``folder`` (only our own name pattern)."""
    removed = 0
    try:
        names = [e.name for e in os.scandir(folder) if TEMP_NAME.match(e.name)]
    except OSError:
        return 0
    for name in names:
        p = folder / name
        if p in keep:
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            removed += 1
    if removed:
        with contextlib.suppress(OSError):
            fsync_dir(folder)
    return removed


def sha256_from_medium(path: Path) -> str:
    """SHA-256 of a file read from the medium, bypassing the OS cache (see ``readback``)."""
    try:
        digest, method = sha256_uncached(path)
    except OSError as exc:
        raise media_error(exc, path.parent) from None
    log.debug("read back through %s", method)
    return digest


ARMOR_MAGIC = b"-----BEGIN AGE ENCRYPTED FILE-----"


def is_age_file(path: Path) -> bool:
    """Binary or ASCII-armored age: a scan finds both, so that an armored file on a stick is
    refused with its reason (bundles are binary) rather than silently passed over."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(ARMOR_MAGIC))
    except OSError:
        return False
    return head.startswith(AGE_MAGIC) or head == ARMOR_MAGIC


def scan(paths: Iterable[Path]) -> Iterator[tuple[Path, bool]]:
    """(file, given explicitly) for each file named, and each age file found in folders.

    Folders are searched a few levels deep without following links; hidden names (our
    temporary files) are skipped.
    """
    count = 0
    for path in paths:
        if path.is_dir():
            base_depth = len(path.parts)
            for dirpath, dirs, names in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                if len(Path(dirpath).parts) - base_depth >= MAX_SCAN_DEPTH:
                    dirs[:] = []
                for name in sorted(names):
                    p = Path(dirpath) / name
                    if name.startswith(".") or p.is_symlink() or not p.is_file():
                        continue
                    count += 1
                    if count > MAX_SCAN_FILES:
                        # Saying so beats silently skipping bundles past the cut-off.
                        raise BundleError(
                            N_(
                                "{path} holds more than {limit} files; choose the folder that "
                                "holds the bundles."
                            ),
                            path=str(path),
                            limit=MAX_SCAN_FILES,
                        )
                    if is_age_file(p):
                        yield p, False
        else:
            yield path, True
