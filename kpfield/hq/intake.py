"""HQ intake: verify a bundle completely, then commit its reports in one transaction.

Attachments stream into the HQ vault's encrypted blob store (random names, per-blob keys) while the
bundle is read; if anything fails they are deleted again and no row is written. Duplicates (the
same signed manifest) change nothing. Gaps are the sequence numbers missing per device.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

import sqlcipher3

from kpfield.bundle import manifest as mf
from kpfield.bundle.reader import NotABundle, VerifiedBundle, read_bundle, rejected
from kpfield.domain.display import safe_text
from kpfield.domain.jobs import CancelCheck, Progress
from kpfield.errors import N_, BundleError, Cancelled, KpfieldError
from kpfield.hq import cases as hq_cases
from kpfield.hq import keys as hq_keys
from kpfield.hq.devices import find_device
from kpfield.hq.witnesses import apply_witness_members
from kpfield.vault.blobs import BlobStore, StoredBlob
from kpfield.vault.db import transaction
from kpfield.vault.desk_store import DeskStore
from kpfield.vault.hq_store import AttachmentRow, BundleRow, HqStore, ReportRow
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)


def _english(message: str) -> str:
    return message


# Marked for the catalog; BundleOutcome.line translates them at display time.
N_("{source}: imported: device {device} bundle {sequence}, {count} new report(s)")
N_(
    "{source}: already imported: device {device} bundle {sequence}"
    " (a replay or a second copy; nothing changed)"
)
N_("{source}: rejected: {reason}")

IMPORTED = "imported"
DUPLICATE = "already imported"
REJECTED = "rejected"


@dataclass(frozen=True)
class BundleOutcome:
    source: str
    status: str
    reason: str = ""
    device_id: str | None = None
    sequence: int | None = None
    new_reports: int = 0
    manifest_sha256: str | None = None
    error: KpfieldError | None = None

    def line(self, gettext: Callable[[str], str] = _english) -> str:
        """One line for this bundle, in the language of ``gettext`` (English by default)."""
        if self.status == IMPORTED:
            text = gettext(
                "{source}: imported: device {device} bundle {sequence}, {count} new report(s)"
            )
        elif self.status == DUPLICATE:
            text = gettext(
                "{source}: already imported: device {device} bundle {sequence}"
                " (a replay or a second copy; nothing changed)"
            )
        else:
            text = gettext("{source}: rejected: {reason}")
        reason = self.error.translated(gettext) if self.error is not None else self.reason
        # The file name and the reason (which may quote names from inside the bundle) come from
        # outside: escaped, they can neither redraw the line nor add one to a summary.
        return text.format(
            source=safe_text(self.source),
            device=self.device_id,
            sequence=self.sequence,
            count=self.new_reports,
            reason=safe_text(reason),
        )


class Duplicate(Exception):
    """The bundle's manifest was imported before."""

    def __init__(self, device_id: str, sequence: int) -> None:
        super().__init__("duplicate")
        self.device_id = device_id
        self.sequence = sequence


def hq_blobs(vault: Vault) -> BlobStore:
    """HQ's store for imported originals (inside ``blobs/``, so a wipe removes it too)."""
    store = BlobStore(vault.paths.blobs / "imported")
    store.ensure()
    return store


def sweep_orphans(vault: Vault) -> int:
    """Remove imported blob files that no row names (left by a crash mid-import)."""
    return hq_blobs(vault).sweep(HqStore(vault.conn).blob_names())


class _Sink:
    """Stores each attachment while the reader goes on: encryption, write and fsync of a blob
    run in a worker while the next member is decrypted and hashed (issue 12). Two workers, so
    one blob's fsync overlaps the next one's write; :meth:`finish` waits for all of them before
    the commit. The reader's SHA-256 check is the only hash of the plaintext."""

    def __init__(self, store: BlobStore) -> None:
        self.store = store
        self.stored: dict[str, StoredBlob] = {}
        self._pending: dict[str, Future[StoredBlob]] = {}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="hq-blob")

    def put(self, entry: mf.AttachmentEntry, chunks: Iterator[bytes]) -> None:
        feed = _Feed()
        fut = self._pool.submit(
            self.store.put_stream, cast(BinaryIO, feed), verified_sha256=entry.sha256
        )
        self._pending[entry.id] = fut
        try:
            for chunk in chunks:
                feed.push(chunk, fut)
            feed.push(None, fut)
        except BaseException:
            feed.abort()
            raise

    def finish(self) -> None:
        """Wait until every blob is written, fsynced and renamed; raise the first failure."""
        try:
            for aid, fut in list(self._pending.items()):
                self.stored[aid] = _stored(fut)
                del self._pending[aid]
        finally:
            self._pool.shutdown(wait=True)

    def discard(self, keep: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        for aid, fut in self._pending.items():
            with contextlib.suppress(Exception):  # a failed write left no file behind
                self.stored[aid] = fut.result()
        self._pending.clear()
        self._pool.shutdown(wait=True)
        stored, self.stored = self.stored, {}  # a second discard must not touch kept blobs
        for aid, blob in stored.items():
            if aid not in keep:
                # Best effort: a file that cannot be deleted now (a scanner holding it) is an
                # orphan that sweep_orphans removes before the next import; raising here would
                # turn a committed import into a rejection, or abort the rest of the stick.
                with contextlib.suppress(OSError):
                    self.store.delete(blob.name)


class _Aborted(Exception):
    """The reader gave up on a member; the blob being written from it is dropped."""


class _StoreFailed(Exception):
    """HQ's own storage failed (its disk full, its vault unwritable): not the bundle's fault."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(type(cause).__name__)
        self.reason = (
            (cause.strerror or type(cause).__name__) if isinstance(cause, OSError) else str(cause)
        )


def _stored(fut: Future[StoredBlob]) -> StoredBlob:
    try:
        return fut.result()
    except OSError as exc:
        raise _StoreFailed(exc) from exc


class _Feed:
    """A bounded hand-over of pieces from the reader's thread to a blob writer's ``read(n)``."""

    def __init__(self) -> None:
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=16)
        self._buf = b""
        self._ended = False
        self._aborted = threading.Event()

    def push(self, piece: bytes | None, fut: Future[StoredBlob]) -> None:
        while True:
            try:
                self._q.put(piece, timeout=0.05)
                return
            except queue.Full:
                if fut.done():  # the writer failed: raise its error here
                    _stored(fut)
                    raise _Aborted from None

    def abort(self) -> None:
        self._aborted.set()

    def _next(self) -> bytes | None:
        while True:
            if self._aborted.is_set():
                raise _Aborted
            try:
                return self._q.get(timeout=0.05)
            except queue.Empty:
                continue

    def read(self, n: int = -1) -> bytes:
        while not self._ended and (n < 0 or len(self._buf) < n):
            piece = self._next()
            if piece is None:
                self._ended = True
                break
            self._buf += piece
        if n < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:n], self._buf[n:]
        return out


def _admit(vault: Vault) -> Callable[[mf.Manifest], bytes]:
    def admit(manifest: mf.Manifest) -> bytes:
        dev = find_device(vault, manifest.device_id, missing_ok=True)
        if dev is None or dev.device_id != manifest.device_id:
            raise rejected(
                N_("it is signed by device {device}, which is not enrolled at this HQ"),
                device=manifest.device_id,
            )
        if dev.revoked_at:
            raise rejected(
                N_("it is signed by device {device}, which was revoked"), device=dev.device_id
            )
        return dev.public_key

    return admit


def _accept(vault: Vault) -> Callable[[mf.Manifest, str], None]:
    store = HqStore(vault.conn)

    def accept(manifest: mf.Manifest, manifest_sha256: str) -> None:
        if store.has_manifest(manifest_sha256):
            raise Duplicate(manifest.device_id, manifest.sequence)
        if store.manifest_at(manifest.device_id, manifest.sequence) is not None:
            raise rejected(
                N_(
                    "device {device} already sent a different bundle with sequence {sequence}"
                    " (same number, different content)"
                ),
                device=manifest.device_id,
                sequence=manifest.sequence,
            )
        if manifest.sequence > store.highest_sequence(manifest.device_id) + MAX_SEQUENCE_JUMP:
            raise rejected(
                N_("its sequence number {sequence} jumps too far ahead of the device's bundles"),
                sequence=manifest.sequence,
            )
        _check_neighbours(store, manifest, manifest_sha256)

    return accept


def _check_neighbours(store: HqStore, manifest: mf.Manifest, manifest_sha256: str) -> None:
    if manifest.sequence == 1 and manifest.previous_manifest_sha256 is not None:
        raise rejected(N_("its first bundle names a previous bundle"))
    prev = store.manifest_at(manifest.device_id, manifest.sequence - 1)
    if prev is not None and prev != manifest.previous_manifest_sha256:
        raise rejected(N_("it does not follow the device's previous bundle (the chain is broken)"))
    nxt = store.previous_named_by(manifest.device_id, manifest.sequence + 1)
    if nxt is not False and nxt != manifest_sha256:
        raise rejected(N_("the device's next bundle names a different bundle before it"))


def _check_custody(store: HqStore, bundle: VerifiedBundle) -> None:
    """The bundle's custody log must agree with every entry HQ already holds for the device."""
    device = bundle.manifest.device_id
    known = store.custody_length(device)
    m = bundle.manifest
    # A device's log only grows: a later bundle may not end before an earlier one did, and an
    # earlier bundle arriving late may not end after a later one.
    earlier, later = store.custody_heads_around(device, m.sequence)
    if (earlier is not None and m.custody_head_seq < earlier) or (
        later is not None and m.custody_head_seq > later
    ):
        raise rejected(
            N_("its custody log is shorter than in an earlier bundle (history was cut back)")
        )
    rows = bundle.custody_rows
    first = rows[0][0] if rows else m.custody_head_seq + 1
    if first > 1 and store.custody_hash_at(device, first - 1) != rows[0][2]:
        # A log that starts after entry 1 carries only what HQ did not hold: its first entry
        # must link to the entry HQ holds before it.
        raise rejected(
            N_(
                "its custody log starts after entry {seq}, and does not link to the entries"
                " HQ holds for this device"
            ),
            seq=first - 1,
        )
    common = min(known, m.custody_head_seq)
    if common < first:
        return
    if store.custody_hash_at(device, common) != rows[common - first][3]:
        raise rejected(
            N_(
                "its custody log disagrees with the one HQ already holds for this device"
                " (history was rewritten)"
            )
        )


def import_file(
    vault: Vault,
    path: Path,
    *,
    at: str,
    label: str | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> BundleOutcome:
    """Verify one bundle file and commit it; never raises for a bad bundle (only Cancelled)."""
    source = label or path.name
    sink = _Sink(hq_blobs(vault))
    # Set once the manifest's signature verified with an enrolled key: from then on a rejection
    # (a bad seal, a custody problem, a broken sequence) names the device that signed it.
    signed_by: list[mf.Manifest] = []
    accept_known = _accept(vault)

    def accept(manifest: mf.Manifest, manifest_sha256: str) -> None:
        signed_by.append(manifest)
        accept_known(manifest, manifest_sha256)

    def rejected_outcome(reason: str, error: KpfieldError) -> BundleOutcome:
        m = signed_by[0] if signed_by else None
        return BundleOutcome(
            source, REJECTED, reason, m.device_id if m else None, m.sequence if m else None,
            error=error,
        )  # fmt: skip

    try:
        with open(path, "rb") as fh:
            size = path.stat().st_size
            bundle = read_bundle(
                fh,
                hq_keys.identities(vault),
                our_recipients=set(hq_keys.recipients(vault)),
                admit=_admit(vault),
                accept=accept,
                sink=sink,
                total_size=size,
                progress=progress,
                cancel=cancel,
            )
        sink.finish()  # every blob durable before the rows naming them commit
        _check_custody(HqStore(vault.conn), bundle)
        try:
            new = _commit(vault, bundle, sink, at)
        except sqlcipher3.OperationalError as exc:  # disk full, I/O error: not the bundle's
            raise _StoreFailed(exc) from exc
    except _StoreFailed as exc:
        sink.discard()
        error = BundleError(
            N_(
                "HQ could not store it ({reason}); the bundle itself may be fine: free space on"
                " this computer and import it again"
            ),
            reason=exc.reason,
        )
        return rejected_outcome(error.message, error)
    except Duplicate as dup:
        sink.discard()
        return BundleOutcome(source, DUPLICATE, "", dup.device_id, dup.sequence)
    except BundleError as exc:
        sink.discard()
        log.info("bundle rejected")
        return rejected_outcome(exc.message, exc)
    except OSError as exc:
        sink.discard()
        error = BundleError(N_("it cannot be read ({reason})"), reason=exc.strerror or "")
        return rejected_outcome(error.message, error)
    except (NotABundle, Cancelled):
        sink.discard()
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence for hostile input
        # Anything else a crafted bundle provokes is a rejection of that file, never a crash
        # that would stop the other bundles on the stick from being imported.
        sink.discard()
        log.info("bundle rejected after an unexpected %s", type(exc).__name__)
        error = BundleError(N_("it is malformed in a way KP Field does not accept"))
        return rejected_outcome(error.message, error)
    except BaseException:
        sink.discard()
        raise
    log.info("bundle imported (%d new reports)", new)
    m = bundle.manifest
    return BundleOutcome(source, IMPORTED, "", m.device_id, m.sequence, new, bundle.manifest_sha256)


def _commit(vault: Vault, bundle: VerifiedBundle, sink: _Sink, at: str) -> int:
    m = bundle.manifest
    store = HqStore(vault.conn)
    new_reports = []
    for rep in bundle.reports:
        held = store.report_sha256(rep.entry.id)
        if held is None:
            new_reports.append(rep)
        elif held != rep.entry.sha256:
            raise rejected(
                N_("report {report} was imported before with different content"),
                report=rep.entry.id[:8],
            )
    keep = {a.id for rep in new_reports for a in rep.entry.attachments}
    for aid in sorted(keep):
        if store.has_attachment(aid):
            raise rejected(
                N_("attachment {attachment} was imported before with another report"),
                attachment=aid[:8],
            )
    with transaction(vault.conn):
        store.add_bundle(
            BundleRow(
                manifest_sha256=bundle.manifest_sha256,
                device_id=m.device_id,
                sequence=m.sequence,
                bundle_id=m.bundle_id,
                previous_manifest_sha256=m.previous_manifest_sha256,
                custody_head_seq=m.custody_head_seq,
                custody_head_hash=m.custody_head_hash,
                manifest=bundle.manifest_bytes.decode("utf-8"),
                signature=bundle.manifest_signature,
                imported_at=at,
            )
        )
        store.add_custody(m.device_id, bundle.custody_rows)
        for rep in new_reports:
            store.add_report(
                ReportRow(
                    report_id=rep.entry.id,
                    device_id=m.device_id,
                    version=rep.entry.version,
                    sha256=rep.entry.sha256,
                    sealed_json=rep.sealed_json,
                    signature=rep.signature,
                    manifest_sha256=bundle.manifest_sha256,
                    imported_at=at,
                )
            )
            for a in rep.entry.attachments:
                blob = sink.stored[a.id]
                store.add_attachment(
                    AttachmentRow(a.id, rep.entry.id, a.sha256, a.size, blob.name, blob.key)
                )
            hq_cases.index_report(
                DeskStore(vault.conn), rep.entry.id, m.device_id, rep.entry.version,
                rep.sealed_json, at,
            )  # fmt: skip
        apply_witness_members(vault.conn, bundle, at)
    sink.discard(keep)
    return len(new_reports)


MAX_SEQUENCE_JUMP = 1000
"""How far above a device's highest imported bundle a new sequence number may be."""


def gaps(vault: Vault) -> dict[str, list[int]]:
    """Missing bundle sequence numbers per device (see :meth:`HqStore.gaps`)."""
    return HqStore(vault.conn).gaps()


def original_bytes(vault: Vault, attachment_id: str) -> Iterator[bytes]:
    """An imported attachment's original bytes (decrypted from HQ's blob store)."""
    ref = HqStore(vault.conn).attachment_blob(attachment_id)
    if ref is None:
        raise KpfieldError(N_("No imported attachment has the id {id}."), id=attachment_id)
    return hq_blobs(vault).iter_chunks(ref[0], ref[1])


def cleanup(vault: Vault) -> None:
    with contextlib.suppress(OSError):
        sweep_orphans(vault)
