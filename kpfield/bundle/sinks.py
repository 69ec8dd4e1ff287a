"""Where a finished bundle goes: a USB folder (random names, read back) or the sync outbox.

Export writes through a :class:`BundleSink` and records the bundle only once the sink holds a
verified copy; if recording fails, the sink removes that copy again, so nothing the laptop does
not know about is ever left for HQ to import.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, Protocol

from kpfield.bundle import usb
from kpfield.bundle.writer import WrittenBundle
from kpfield.fsutil import ensure_private_dir, fsync_dir

log = logging.getLogger(__name__)

WriteBundle = Callable[[BinaryIO], WrittenBundle]


class BundleSink(Protocol):
    """A place bundles are written to, durably and verified."""

    def check(self) -> None:
        """Raise a clear error now if nothing can be written here."""

    def put(self, write: WriteBundle) -> tuple[Path, WrittenBundle]:
        """Write one bundle through ``write``; returns where it is, once it reads back right."""

    def remove(self, path: Path) -> None:
        """Take back a bundle written by :meth:`put` (best effort)."""


class UsbFolderSink:
    """A folder on removable media: temporary name, fsync, random final name, read back."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def check(self) -> None:
        usb.check_writable_dir(self.folder)

    def put(self, write: WriteBundle) -> tuple[Path, WrittenBundle]:
        return usb.write_durably(self.folder, write, verify_sha256=lambda w: w.ciphertext_sha256)

    def remove(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()
            fsync_dir(path.parent)


class OutboxSink:
    """The vault's ``outbox/`` folder, from which sync uploads bundles.

    Files are age ciphertext, as on a stick; each is named by the SHA-256 of its ciphertext,
    which is the bundle's id on the relay (it reveals nothing about the content).
    """

    SUFFIX = ".age"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def check(self) -> None:
        ensure_private_dir(self.folder)

    def path_for(self, ciphertext_sha256: str) -> Path:
        return self.folder / f"{ciphertext_sha256}{self.SUFFIX}"

    def put(self, write: WriteBundle) -> tuple[Path, WrittenBundle]:
        self.check()
        written_at, written = usb.write_durably(
            self.folder, write, verify_sha256=lambda w: w.ciphertext_sha256
        )
        final = self.path_for(written.ciphertext_sha256)
        try:
            written_at.replace(final)
            fsync_dir(self.folder)
        except OSError:
            self.remove(written_at)
            raise
        return final, written

    def remove(self, path: Path) -> None:
        with contextlib.suppress(OSError):
            path.unlink()
            fsync_dir(path.parent)
