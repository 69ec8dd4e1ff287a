"""Attaching files to drafts: photos, sound recordings and documents (Qt-free).

Every file is checked by content (``media.detect_kind``), hashed and encrypted into the blob store
as it is (one pass), and its row is committed only once its blobs are durable; nothing readable
is written to disk. A file
already attached in this vault (same SHA-256) is refused unless the caller asks for a second
copy in another report.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kpfield.domain.ids import AttachmentId, new_attachment_id
from kpfield.domain.jobs import ByteProgress, CancelCheck, Progress
from kpfield.domain.models import Attachment, AttachmentKind, CaptureClaims, Report
from kpfield.errors import (
    N_,
    Cancelled,
    DuplicateAttachment,
    IntegrityError,
    KpfieldError,
    MediaError,
    StateError,
    UsageError,
)
from kpfield.vault.blobs import BlobStore, StoredBlob
from kpfield.vault.db import transaction
from kpfield.vault.records import BlobRef, RecordStore

if TYPE_CHECKING:
    from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = 200 * 1024 * 1024
"""``media.DEFAULT_MAX_BYTES``, spelt out so that Pillow loads only when a file is attached
(a test checks the two agree)."""
MAX_CAPTION = 2000
"""Characters in a caption: a sentence or a short paragraph about the file."""
TEXT_VIEW_LIMIT = 1_000_000
"""Bytes of a text document the viewer shows (a larger one is cut: the widget would stall)."""


ATTACH_DECODERS = 2
"""Threads that read, check and draft-decode the next files of a batch (each holds one file's
bytes and one decoded draft image)."""
ATTACH_WRITERS = 2
"""Threads that hash, encrypt, write and fsync decoded files' blobs (each holds one file's
bytes); they wait on the disk while the decoders keep the cores busy."""
ATTACH_IN_FLIGHT = ATTACH_DECODERS + ATTACH_WRITERS
"""Files of a batch started and not yet committed: one per worker thread. This bounds memory
(at most this many files' bytes, of which at most ``ATTACH_DECODERS`` have a decoded draft image
beside them; a staged file holds only its metadata) and what a cancel has to delete."""
_POLL_SECONDS = 0.05
"""How often the store thread checks ``cancel`` and reports progress while a worker stages."""


@dataclass(frozen=True)
class Prepared:
    """A file checked and decoded (no database, no disk), ready to encrypt."""

    data: bytes
    name: str
    kind: str
    mime: str
    claims: CaptureClaims
    thumbnail: bytes | None


@dataclass(frozen=True)
class Staged:
    """A file encrypted, written and fsynced into the blob store with its thumbnail; no row
    names either blob yet, so a crash before the commit leaves files the next open sweeps."""

    name: str
    kind: str
    mime: str
    claims: CaptureClaims
    blob: StoredBlob
    thumb: StoredBlob | None

    def discard(self, blobs: BlobStore) -> None:
        blobs.delete(self.blob.name)
        if self.thumb is not None:
            blobs.delete(self.thumb.name)


def read_attachment_file(path: Path) -> bytes:
    """The whole file, within the size limit, or a :class:`UsageError`/:class:`MediaError`."""
    if not path.exists():
        raise UsageError(N_("{name} does not exist."), name=path.name)
    if not path.is_file():
        raise UsageError(N_("{name} is not a file."), name=path.name)
    try:
        size = path.stat().st_size
        if size > MAX_ATTACHMENT_BYTES:
            raise MediaError(
                N_("{name} is too large ({mib} MiB; the limit is {limit} MiB)."),
                name=path.name,
                mib=size >> 20,
                limit=MAX_ATTACHMENT_BYTES >> 20,
            )
        with open(path, "rb") as fh:
            # Ask for the size stat() gave and one byte more: asking for the limit makes Python
            # allocate and give back a 200 MiB buffer for every file (~8 ms per photo here).
            data = fh.read(size + 1)
            if len(data) > size:  # it grew since stat(): read on, up to the limit
                data += fh.read(MAX_ATTACHMENT_BYTES + 1 - len(data))
            return data
    except PermissionError:
        raise UsageError(N_("{name} cannot be read (permission denied)."), name=path.name) from None
    except IsADirectoryError:
        raise UsageError(N_("{name} is not a file."), name=path.name) from None
    except OSError as exc:
        raise UsageError(
            N_("{name} cannot be read ({reason})."), name=path.name, reason=exc.strerror
        ) from None


def prepare_attachment(data: bytes, name: str) -> Prepared:
    """Check and decode one file (no database, no disk): kind, MIME, claims, thumbnail."""
    if not data:
        raise MediaError(N_("{name} is empty."), name=name)
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise MediaError(N_("{name} is too large."), name=name)
    from kpfield import media  # Pillow, loaded on the first attach only

    kind, mime = media.detect_kind(data, name)
    claims = CaptureClaims()
    thumb_bytes: bytes | None = None
    if kind == AttachmentKind.AUDIO.value:
        claims = CaptureClaims(duration_ms=media.audio_duration_ms(data, mime, name))
    if kind == AttachmentKind.PHOTO.value:
        info, thumb_bytes = media.inspect_with_thumbnail(data, name)
        mime = info.mime
        claims = CaptureClaims(
            taken_at=info.taken_at,
            gps_lat_micro=info.gps_lat_micro,
            gps_lon_micro=info.gps_lon_micro,
            camera_make=info.camera_make,
            camera_model=info.camera_model,
            width=info.width,
            height=info.height,
        )
    return Prepared(data, name, str(kind), mime, claims, thumb_bytes)


def stage_attachment(
    blobs: BlobStore,
    p: Prepared,
    *,
    progress: ByteProgress | None = None,
    cancel: CancelCheck | None = None,
    verified_sha256: str | None = None,
) -> Staged:
    """Encrypt, write and fsync a prepared file and its thumbnail (no database).

    The blob store hashes the plaintext as it encrypts it, so the hash is of exactly the bytes
    stored and each file is read once; a caller that already hashed ``p.data`` passes
    ``verified_sha256`` (``data`` is immutable, so nothing can change in between).
    """
    blob = blobs.put_stream(
        io.BytesIO(p.data), progress=progress, cancel=cancel, verified_sha256=verified_sha256
    )
    try:
        if blob.plain_size != len(p.data):  # pragma: no cover - a bug
            raise StateError(N_("The file changed while it was being imported."))
        thumb = blobs.put(p.thumbnail) if p.thumbnail is not None else None
    except BaseException:
        blobs.delete(blob.name)
        raise
    return Staged(p.name, p.kind, p.mime, p.claims, blob, thumb)


class _Task:
    """One file of a batch: :meth:`prepare` on a decoder thread, :meth:`write` on a writer.

    ``size`` and ``stored`` are plain ints the worker sets and the store thread only reads, to
    report progress from its own thread; ``stop`` is how the store thread cancels the workers
    (they never call the caller's ``cancel`` or ``progress``, nor touch the database).
    """

    def __init__(self, path: Path, blobs: BlobStore, stop: threading.Event) -> None:
        self.path = path
        self.blobs = blobs
        self.stop = stop
        self.size = 0
        self.stored = 0

    def prepare(self) -> Prepared:
        if self.stop.is_set():
            raise Cancelled(N_("Cancelled."))
        prepared = prepare_attachment(read_attachment_file(self.path), self.path.name)
        self.size = len(prepared.data)
        return prepared

    def write(self, decoded: Future[Prepared]) -> Staged:
        prepared = decoded.result()
        if self.stop.is_set():
            raise Cancelled(N_("Cancelled."))
        return stage_attachment(
            self.blobs, prepared, progress=self._stored, cancel=self.stop.is_set
        )

    def _stored(self, n: int) -> None:
        self.stored = n


def _await_staged(
    task: _Task, fut: Future[Staged], progress: Progress | None, cancel: CancelCheck | None
) -> None:
    """Wait for the next file in order, polling ``cancel`` and reporting its progress here."""
    shown = -1
    while True:
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        done = fut.done()
        if progress is not None and task.size and task.stored != shown:
            shown = task.stored
            progress(min(shown, task.size), task.size)
        if done:
            return
        wait([fut], timeout=_POLL_SECONDS)


def _discard_pending(pending: deque[tuple[_Task, Future[Staged]]], blobs: BlobStore) -> None:
    """Stop the batch's files not committed: drop the queued, wait for the running, delete
    whatever they wrote (``stop`` is already set: a decode not started is skipped, a write ends
    at its next chunk)."""
    for _, fut in pending:
        fut.cancel()
    for _, fut in pending:
        if fut.cancelled():
            continue
        try:
            staged = fut.result()
        except Exception:  # noqa: S112 - it failed or was cancelled: it removed what it wrote
            continue
        staged.discard(blobs)
    pending.clear()


class AttachmentUseCases:
    """The attachment half of :class:`~kpfield.services.reports.ReportService`."""

    vault: Vault
    store: RecordStore

    def get(self, rid: str) -> Report:  # pragma: no cover - provided by ReportService
        raise NotImplementedError

    def _now(self) -> str:  # pragma: no cover - provided by ReportService
        raise NotImplementedError

    def attach_file(
        self,
        rid: str,
        path: Path,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        allow_duplicate: bool = False,
    ) -> Attachment:
        """Import one file: original bytes encrypted as they are, SHA-256, claims, thumbnail."""
        data = read_attachment_file(path)
        return self.attach_bytes(
            rid, data, path.name, progress=progress, cancel=cancel, allow_duplicate=allow_duplicate
        )

    def attach_files(
        self,
        rid: str,
        paths: Sequence[Path],
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        allow_duplicate: bool = False,
    ) -> Iterator[tuple[Path, Attachment | KpfieldError]]:
        """Import several files, each all-or-nothing; yields each one's attachment or error.

        Decoder threads read, check and draft-decode the next files; writer threads hash,
        encrypt, write and fsync each one and its thumbnail (Pillow, hashlib, the cipher and
        fsync release the GIL), so a decode never waits on the disk. This thread only refuses
        duplicates and commits each photo's rows with its thumbnail's in one transaction, in
        order. Workers never touch the database. Blobs of a file refused, failed, cancelled or
        left uncommitted are deleted (after a crash, the next open sweeps them). ``progress``
        gets (bytes stored of the current file, its size); ``cancel`` is polled on this thread.
        A file already in the vault is a :class:`DuplicateAttachment` unless ``allow_duplicate``
        (and then only when it is in another report).
        """
        report = self.get(rid)
        if not report.is_draft:
            raise StateError(N_("Photos can only be added to drafts; amend the sealed report."))
        if not paths:
            return
        blobs = self.vault.blobs
        stop = threading.Event()
        pending: deque[tuple[_Task, Future[Staged]]] = deque()
        it = iter(paths)
        with (
            ThreadPoolExecutor(ATTACH_DECODERS, thread_name_prefix="attach-decode") as decoders,
            ThreadPoolExecutor(ATTACH_WRITERS, thread_name_prefix="attach-write") as writers,
        ):

            def top_up() -> None:
                while len(pending) < ATTACH_IN_FLIGHT:
                    path = next(it, None)
                    if path is None:
                        return
                    task = _Task(path, blobs, stop)
                    decoded = decoders.submit(task.prepare)
                    pending.append((task, writers.submit(task.write, decoded)))

            try:
                top_up()
                while pending:
                    task, fut = pending[0]
                    _await_staged(task, fut, progress, cancel)
                    pending.popleft()
                    top_up()
                    try:
                        att = self._commit_staged(rid, fut.result(), allow_duplicate)
                    except Cancelled:  # pragma: no cover - workers stop only once we stopped
                        raise
                    except KpfieldError as exc:
                        yield task.path, exc
                        continue
                    yield task.path, att
            finally:
                stop.set()
                _discard_pending(pending, blobs)

    def attach_bytes(
        self,
        rid: str,
        data: bytes,
        name: str,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        allow_duplicate: bool = False,
    ) -> Attachment:
        report = self.get(rid)
        if not report.is_draft:
            raise StateError(N_("Photos can only be added to drafts; amend the sealed report."))
        prepared = prepare_attachment(data, name)
        # One file: hash first so a duplicate is refused before anything is written; the
        # blob store then trusts this hash (of the same immutable bytes) instead of re-hashing.
        digest = hashlib.sha256(data).hexdigest()
        self._refuse_duplicate(report, name, digest, allow_duplicate)
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        total = len(data)
        staged = stage_attachment(
            self.vault.blobs,
            prepared,
            progress=(lambda n: progress(min(n, total), total)) if progress else None,
            cancel=cancel,
            verified_sha256=digest,
        )
        return self._commit_staged(rid, staged, allow_duplicate)

    def _commit_staged(self, rid: str, staged: Staged, allow_duplicate: bool) -> Attachment:
        """Refuse a duplicate, then commit the photo's row with its thumbnail's, in one step.

        Runs on the thread that owns the database. On any failure the staged blobs are deleted.
        """
        try:
            report = self.get(rid)
            if not report.is_draft:
                raise StateError(N_("Photos can only be added to drafts; amend the sealed report."))
            self._refuse_duplicate(report, staged.name, staged.blob.sha256, allow_duplicate)
            blob, thumb = staged.blob, staged.thumb
            att = Attachment(
                id=new_attachment_id(),
                report_id=report.id,
                kind=AttachmentKind(str(staged.kind)),
                original_name=os.path.basename(staged.name)[:255],
                size=blob.plain_size,
                mime=staged.mime,
                sha256=blob.sha256,
                claims=staged.claims,
                imported_at=self._now(),
                has_thumbnail=thumb is not None,
            )
            with transaction(self.vault.conn):
                self.store.insert_attachment(
                    att,
                    BlobRef(blob.name, blob.key),
                    BlobRef(thumb.name, thumb.key) if thumb else None,
                    self.store.next_attachment_position(report.id),
                )
                # Only the time changes: no indexed text, so no search-index rewrite per photo.
                self.store.touch_draft(report.id, att.imported_at)
        except BaseException:
            staged.discard(self.vault.blobs)
            raise
        log.info("attachment imported (%d bytes)", att.size)
        return att

    def remove_attachment(self, aid: AttachmentId) -> None:
        att = self.store.get_attachment(aid)
        if not self.get(att.report_id).is_draft:
            raise StateError(N_("Photos of a sealed report cannot be removed."))
        with transaction(self.vault.conn):
            blob, thumb = self.store.delete_attachment(aid)
        self.vault.blobs.delete(blob.name)
        if thumb:
            self.vault.blobs.delete(thumb.name)

    def attachments(self, rid: str) -> list[Attachment]:
        return self.store.attachments_for(rid)

    def original_bytes(self, aid: str) -> bytes:
        """The original file, verified against the SHA-256 recorded at import."""
        att = self.store.get_attachment(aid)
        blob, _ = self.store.blob_refs(aid)
        data = self.vault.blobs.get(blob.name, blob.key)
        if hashlib.sha256(data).hexdigest() != att.sha256:
            raise IntegrityError(N_("A stored photo does not match its recorded fingerprint."))
        return data

    def thumbnail_bytes(self, aid: str) -> bytes | None:
        _, thumb = self.store.blob_refs(aid)
        return None if thumb is None else self.vault.blobs.get(thumb.name, thumb.key)

    def stripped_copy(self, aid: str) -> bytes:
        """A derivative with EXIF, XMP, GPS and comments removed and orientation applied."""
        att = self.store.get_attachment(aid)
        if att.kind is not AttachmentKind.PHOTO:
            raise MediaError(N_("Only photos have a metadata-free copy."))
        from kpfield import media

        return media.strip_metadata(self.original_bytes(aid), name=att.original_name)

    def _refuse_duplicate(
        self, report: Report, name: str, sha256: str, allow_duplicate: bool
    ) -> None:
        same = self.store.same_file(sha256)
        here = [f for f in same if f.report_id == report.id]
        if here:
            raise DuplicateAttachment(
                N_("{name} is already attached to this report (as {other}); it was not stored "
                   "twice."),
                same_report=True,
                name=os.path.basename(name),
                other=here[0].original_name or "—",
            )  # fmt: skip
        if same and not allow_duplicate:
            raise DuplicateAttachment(
                N_("{name} is already attached to the report “{title}” (as {other}). Attach it "
                   "again only if it belongs to this report too."),
                same_report=False,
                name=os.path.basename(name),
                title=same[0].report_title or "—",
                other=same[0].original_name or "—",
            )  # fmt: skip

    def set_caption(self, aid: str, caption: str) -> Attachment:
        """A draft attachment's caption (trimmed; sealed with the report)."""
        text = " ".join(caption.split()) if "\n" not in caption else caption.strip()
        if len(text) > MAX_CAPTION:
            raise UsageError(N_("A caption can be at most {n} characters long."), n=MAX_CAPTION)
        att = self.store.get_attachment(aid)
        with transaction(self.vault.conn):
            self.store.set_caption(aid, text)
            self.store.update_draft(replace(self.get(att.report_id), updated_at=self._now()))
        return replace(att, caption=text)

    def text_of(self, aid: str, limit: int = TEXT_VIEW_LIMIT) -> str:
        """A plain-text document's content, decoded in memory (for the in-app viewer); past
        ``limit`` bytes it is cut (never inside a character) and ends with "[…]"."""
        att = self.store.get_attachment(aid)
        if att.mime != "text/plain":
            raise MediaError(N_("Only plain text documents can be read inside KP Field."))
        data = self.original_bytes(aid)
        if len(data) <= limit:
            return data.decode("utf-8-sig", errors="replace")
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        return decoder.decode(data[:limit], final=False) + "\n\n[…]"
