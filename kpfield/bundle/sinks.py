"""Where a finished bundle goes: a USB folder (random names, read back) or the sync outbox.

Export writes in two steps through a :class:`BundleSink` so that no kill point can leave a
bundle for HQ that the laptop does not know about: :meth:`BundleSink.stage` writes a hidden
temporary file, fsyncs it and reads it back; the caller then records the bundle as *pending* in
the vault; only then does :meth:`BundleSink.publish` rename it to its visible name. After a crash
the caller asks :meth:`BundleSink.holds` what became of a pending bundle and sweeps leftover
temporary files with :meth:`BundleSink.sweep`.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from kpfield.bundle import usb
from kpfield.bundle.writer import WrittenBundle
from kpfield.errors import BundleError
from kpfield.fsutil import ensure_private_dir, fsync_dir

log = logging.getLogger(__name__)

WriteBundle = Callable[[BinaryIO], WrittenBundle]


class Presence(enum.Enum):
    """What a sink holds under a pending bundle's final name."""

    COMPLETE = "complete"  # a copy whose SHA-256 is the recorded one: it may reach HQ
    ABSENT = "absent"  # nothing (or a damaged copy, now removed): it can never reach HQ
    UNKNOWN = "unknown"  # the medium is not here or cannot be read: it may have reached HQ


@dataclass(frozen=True)
class StagedBundle:
    """A bundle written and read back under a hidden name, not yet visible."""

    temp: Path
    final: Path
    written: WrittenBundle


class BundleSink(Protocol):
    """A place bundles are written to, durably and verified."""

    def check(self) -> None:
        """Raise a clear error now if nothing can be written here."""

    def stage(self, write: WriteBundle) -> StagedBundle:
        """Write one bundle through ``write`` under a hidden name; it reads back right."""

    def publish(self, staged: StagedBundle) -> Path:
        """Rename a staged bundle to its final, visible name (durably)."""

    def holds(self, final: Path, ciphertext_sha256: str) -> Presence:
        """Whether a complete copy of a pending bundle is at ``final``; damaged copies go."""

    def sweep(self, keep: frozenset[Path] = frozenset()) -> int:
        """Remove temporary files left by killed writes; returns how many."""

    def remove(self, path: Path) -> None:
        """Take back a bundle (best effort)."""


def _holds(final: Path, ciphertext_sha256: str) -> Presence:
    if not final.parent.is_dir():
        return Presence.UNKNOWN
    if not final.exists():
        return Presence.ABSENT
    try:
        digest = usb.sha256_from_medium(final)
    except BundleError:
        return Presence.UNKNOWN
    if digest == ciphertext_sha256:
        return Presence.COMPLETE
    # A rename is atomic, so a copy that differs was damaged by the medium: HQ would refuse
    # it (age authenticates every chunk), so it is removed and its number is free again.
    _remove(final)
    return Presence.ABSENT if not final.exists() else Presence.UNKNOWN


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
        fsync_dir(path.parent)


class UsbFolderSink:
    """A folder on removable media: hidden temporary name, fsync, read back, random final name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def check(self) -> None:
        usb.check_writable_dir(self.folder)

    def stage(self, write: WriteBundle) -> StagedBundle:
        temp, written = usb.write_hidden(
            self.folder, write, verify_sha256=lambda w: w.ciphertext_sha256
        )
        return StagedBundle(temp, self.folder / usb.random_name(), written)

    def publish(self, staged: StagedBundle) -> Path:
        usb.publish(staged.temp, staged.final)
        return staged.final

    def put(self, write: WriteBundle) -> tuple[Path, WrittenBundle]:
        """Stage and publish at once (for callers that keep no pending record)."""
        staged = self.stage(write)
        return self.publish(staged), staged.written

    def holds(self, final: Path, ciphertext_sha256: str) -> Presence:
        return _holds(final, ciphertext_sha256)

    def sweep(self, keep: frozenset[Path] = frozenset()) -> int:
        return usb.sweep_temps(self.folder, keep)

    def remove(self, path: Path) -> None:
        _remove(path)


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

    def stage(self, write: WriteBundle) -> StagedBundle:
        self.check()
        temp, written = usb.write_hidden(
            self.folder, write, verify_sha256=lambda w: w.ciphertext_sha256
        )
        return StagedBundle(temp, self.path_for(written.ciphertext_sha256), written)

    def publish(self, staged: StagedBundle) -> Path:
        usb.publish(staged.temp, staged.final)
        return staged.final

    def put(self, write: WriteBundle) -> tuple[Path, WrittenBundle]:
        """Stage and publish at once (for callers that keep no pending record)."""
        staged = self.stage(write)
        return self.publish(staged), staged.written

    def holds(self, final: Path, ciphertext_sha256: str) -> Presence:
        return _holds(final, ciphertext_sha256)

    def sweep(self, keep: frozenset[Path] = frozenset()) -> int:
        if not os.path.isdir(self.folder):
            return 0
        return usb.sweep_temps(self.folder, keep)

    def remove(self, path: Path) -> None:
        _remove(path)


def sink_for(final: Path, outbox: OutboxSink) -> BundleSink:
    """The sink a pending bundle's final path belongs to (the outbox, or a stick folder)."""
    if final.parent == outbox.folder:
        return outbox
    return UsbFolderSink(final.parent)
