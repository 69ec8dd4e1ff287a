"""Attaching files to drafts: photos, sound recordings and documents (Qt-free).

Every file is checked by content (``media.detect_kind``), hashed, encrypted into the blob store
as it is, and committed with its row in one step; nothing readable is written to disk. A file
already attached in this vault (same SHA-256) is refused unless the caller asks for a second
copy in another report.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from kpfield.domain.ids import AttachmentId, new_attachment_id
from kpfield.domain.jobs import CancelCheck, Progress
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


ATTACH_WORKERS = 2
"""Photos decoded ahead of the one being stored (about one decoded draft image each)."""


@dataclass(frozen=True)
class Prepared:
    """A file checked and decoded off the store thread, ready to encrypt and commit."""

    data: bytes
    name: str
    kind: str
    mime: str
    claims: CaptureClaims
    thumbnail: bytes | None
    sha256: str


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
            return fh.read(MAX_ATTACHMENT_BYTES + 1)
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
    digest = hashlib.sha256(data).hexdigest()
    return Prepared(data, name, str(kind), mime, claims, thumb_bytes, digest)


def _prepare_file(path: Path) -> Prepared:
    return prepare_attachment(read_attachment_file(path), path.name)


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

        The next photos are read and decoded in worker threads while this thread encrypts,
        writes, fsyncs and commits the current one (Pillow, hashlib and the cipher release the
        GIL). Workers never touch the database; each photo and its thumbnail commit together.
        ``progress`` gets (bytes stored of the current file, its size) per file. A file already
        in the vault is a :class:`DuplicateAttachment` unless ``allow_duplicate`` (and then
        only when it is in another report).
        """
        report = self.get(rid)
        if not report.is_draft:
            raise StateError(N_("Photos can only be added to drafts; amend the sealed report."))
        if not paths:
            return
        with ThreadPoolExecutor(max_workers=ATTACH_WORKERS, thread_name_prefix="decode") as pool:
            pending: deque[tuple[Path, Future[Prepared]]] = deque()
            it = iter(paths)

            def top_up() -> None:
                while len(pending) < ATTACH_WORKERS + 1:
                    nxt = next(it, None)
                    if nxt is None:
                        return
                    pending.append((nxt, pool.submit(_prepare_file, nxt)))

            try:
                top_up()
                while pending:
                    path, fut = pending.popleft()
                    top_up()
                    if cancel is not None and cancel():
                        raise Cancelled(N_("Cancelled."))
                    try:
                        prepared = fut.result()
                        att = self._store_prepared(
                            rid,
                            prepared,
                            progress=progress,
                            cancel=cancel,
                            allow_duplicate=allow_duplicate,
                        )
                    except Cancelled:
                        raise
                    except KpfieldError as exc:
                        yield path, exc
                        continue
                    yield path, att
            finally:
                for _, fut in pending:
                    fut.cancel()

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
        return self._store_prepared(
            rid, prepared, progress=progress, cancel=cancel, allow_duplicate=allow_duplicate
        )

    def _store_prepared(
        self,
        rid: str,
        p: Prepared,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        allow_duplicate: bool = False,
    ) -> Attachment:
        """Encrypt, write and fsync the original and its thumbnail, then commit both rows."""
        report = self.get(rid)
        if not report.is_draft:
            raise StateError(N_("Photos can only be added to drafts; amend the sealed report."))
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        self._refuse_duplicate(report, p, allow_duplicate)
        total = len(p.data)
        # The blob store hashes the plaintext as it encrypts it: one pass, and the hash is of
        # exactly the bytes stored (``data`` is immutable, so nothing can change in between).
        blob = self.vault.blobs.put_stream(
            io.BytesIO(p.data),
            progress=(lambda n: progress(min(n, total), total)) if progress else None,
            cancel=cancel,
        )
        try:
            thumb = self.vault.blobs.put(p.thumbnail) if p.thumbnail is not None else None
        except BaseException:
            self.vault.blobs.delete(blob.name)
            raise
        if blob.plain_size != total or blob.sha256 != p.sha256:  # pragma: no cover - a bug
            self.vault.blobs.delete(blob.name)
            raise StateError(N_("The file changed while it was being imported."))
        att = Attachment(
            id=new_attachment_id(),
            report_id=report.id,
            kind=AttachmentKind(str(p.kind)),
            original_name=os.path.basename(p.name)[:255],
            size=total,
            mime=p.mime,
            sha256=blob.sha256,
            claims=p.claims,
            imported_at=self._now(),
            has_thumbnail=thumb is not None,
        )
        try:
            with transaction(self.vault.conn):
                self.store.insert_attachment(
                    att,
                    BlobRef(blob.name, blob.key),
                    BlobRef(thumb.name, thumb.key) if thumb else None,
                    self.store.next_attachment_position(report.id),
                )
                self.store.update_draft(replace(report, updated_at=att.imported_at))
        except BaseException:
            self.vault.blobs.delete(blob.name)
            if thumb:
                self.vault.blobs.delete(thumb.name)
            raise
        log.info("attachment imported (%d bytes)", total)
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

    def _refuse_duplicate(self, report: Report, p: Prepared, allow_duplicate: bool) -> None:
        same = self.store.same_file(p.sha256)
        here = [f for f in same if f.report_id == report.id]
        if here:
            raise DuplicateAttachment(
                N_("{name} is already attached to this report (as {other}); it was not stored "
                   "twice."),
                same_report=True,
                name=os.path.basename(p.name),
                other=here[0].original_name or "—",
            )  # fmt: skip
        if same and not allow_duplicate:
            raise DuplicateAttachment(
                N_("{name} is already attached to the report “{title}” (as {other}). Attach it "
                   "again only if it belongs to this report too."),
                same_report=False,
                name=os.path.basename(p.name),
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

    def text_of(self, aid: str) -> str:
        """A plain-text document's content, decoded in memory (for the in-app viewer)."""
        att = self.store.get_attachment(aid)
        if att.mime != "text/plain":
            raise MediaError(N_("Only plain text documents can be read inside KP Field."))
        data = self.original_bytes(aid)
        return data.decode("utf-8-sig", errors="replace")
