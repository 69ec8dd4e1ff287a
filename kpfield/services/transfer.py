"""Use cases for moving reports: export to a stick (field), import (HQ), receipts back (field).

Qt-free. Every long call takes ``progress(done, total)`` and ``cancel() -> bool`` and must be
called on the thread that owns the session (SQLCipher connections are bound to their thread).
A cancel raises :class:`~kpfield.errors.Cancelled`; work already committed stays committed and
whatever was half-written is removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kpfield.app import Session
from kpfield.bundle import manifest as mf
from kpfield.bundle import usb
from kpfield.bundle.writer import (
    AttachmentSource,
    BundleKeys,
    BundleState,
    ReportSource,
    WrittenBundle,
    archive_size_for,
    ciphertext_size,
    custody_text,
    write_bundle,
)
from kpfield.custody.log import CustodyLog
from kpfield.domain.ids import ReportId
from kpfield.domain.jobs import CancelCheck, Progress
from kpfield.domain.models import ReportStatus
from kpfield.errors import N_, BundleError, Cancelled, IntegrityError, KpfieldError, UsageError
from kpfield.fsutil import fsync_dir
from kpfield.hq import importer
from kpfield.hq import keys as hq_keys
from kpfield.hq.profile import require_profile
from kpfield.hq.receipts import Receipt
from kpfield.services.clock import iso
from kpfield.vault.db import transaction
from kpfield.vault.records import RecordStore

log = logging.getLogger(__name__)


# Below FAT32's 4 GiB - 1 file limit, with room to spare.
DEFAULT_MAX_BUNDLE_BYTES = 3900 << 20
MIN_BUNDLE_BYTES = 1 << 20


@dataclass(frozen=True)
class ExportedBundle:
    path: Path
    sequence: int
    reports: int
    size: int


@dataclass
class ExportResult:
    bundles: list[ExportedBundle] = field(default_factory=list)

    @property
    def reports(self) -> int:
        return sum(b.reports for b in self.bundles)


def _now(session: Session) -> str:
    return iso(session.clock.now())


def _sources(session: Session, rid: ReportId) -> ReportSource:
    store = RecordStore(session.vault.conn)
    sealed_json, sha, signature = store.sealed_record(rid)
    report = store.get_report(rid)
    atts = []
    blobs = session.vault.blobs
    for a in store.attachments_for(rid):
        blob, _ = store.blob_refs(a.id)

        def chunks(name: str = blob.name, key: bytes = blob.key) -> Iterator[bytes]:
            return blobs.iter_chunks(name, key)

        atts.append(AttachmentSource(a.id, a.sha256, a.size, a.mime, chunks))
    return ReportSource(rid, report.version, sealed_json, sha, signature, tuple(atts))


def pending_reports(session: Session, *, again: bool = False) -> list[ReportId]:
    """Sealed reports not yet exported (with ``again``: also those exported or sent before)."""
    statuses = ["sealed"] + (["exported", "sent"] if again else [])
    marks = ",".join("?" * len(statuses))
    rows = session.vault.conn.execute(
        f"SELECT id FROM reports WHERE status IN ({marks}) AND purged_at IS NULL"  # noqa: S608
        " ORDER BY sealed_at, id",
        statuses,
    ).fetchall()
    return [ReportId(r[0]) for r in rows]


# Per-member share of the manifest and SHA256SUMS (name, size, hash, ids), generously rounded.
_MANIFEST_BYTES_PER_MEMBER = 400


def plan_bundles(
    reports: Sequence[ReportSource], custody: int, recipients: int, max_bytes: int
) -> list[list[ReportSource]]:
    """Group reports (in order) into bundles that stay under ``max_bytes`` and under every limit
    HQ's reader enforces (member count, manifest size), so nothing exported is refused.
    Running totals keep planning linear in the number of reports."""

    def fits(payload: int, count: int, members: int) -> bool:
        return (
            ciphertext_size(archive_size_for(payload, count, custody), recipients) <= max_bytes
            and members <= mf.MAX_MEMBERS
            and members * _MANIFEST_BYTES_PER_MEMBER <= mf.MAX_MANIFEST_BYTES
        )

    groups: list[list[ReportSource]] = []
    current: list[ReportSource] = []
    payload, members = 0, 1  # the custody log is always a member
    for r in reports:
        r_members = 2 + len(r.attachments)  # report JSON, its signature, its photos
        if fits(payload + r.payload_size, len(current) + 1, members + r_members):
            current.append(r)
            payload += r.payload_size
            members += r_members
            continue
        if current:
            groups.append(current)
        current, payload, members = [r], r.payload_size, 1 + r_members
        if not fits(payload, 1, members):
            raise BundleError(
                N_(
                    "A report with its photos is larger than the bundle size limit ({mib} MiB);"
                    " raise the limit."
                ),
                mib=max_bytes >> 20,
            )
    if current:
        groups.append(current)
    return groups


def export_to_dir(
    session: Session,
    folder: Path,
    *,
    again: bool = False,
    max_bundle_bytes: int = DEFAULT_MAX_BUNDLE_BYTES,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> ExportResult:
    """Write every sealed, not yet exported report into bundles in ``folder`` (a USB stick)."""
    vault = session.vault
    hq_keys.require_field(vault)
    profile = require_profile(vault)
    usb.check_writable_dir(folder)
    if max_bundle_bytes < MIN_BUNDLE_BYTES:
        raise UsageError(N_("The bundle size limit must be at least 1 MiB."))
    rids = pending_reports(session, again=again)
    result = ExportResult()
    if not rids:
        return result
    sources = [_sources(session, rid) for rid in rids]
    custody_rows = CustodyLog(vault.conn).raw_entries()
    # Each bundle's custody log grows by one "exported" entry per report already written.
    custody_budget = len(custody_text(custody_rows)) + 400 * (len(sources) + 8)
    groups = plan_bundles(sources, custody_budget, len(profile.recipients), max_bundle_bytes)
    keys = BundleKeys(
        device_key=vault.device_key,
        device_name=vault.meta("device_name"),
        recipients=tuple(profile.recipients),
        hq_signing_key_id=profile.signing_key.key_id.hex(),
    )
    total = sum(r.payload_size for r in sources) or 1
    done_before = 0
    for group in groups:
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        group_size = sum(r.payload_size for r in group)

        def step(done: int, _total: int, base: int = done_before, cap: int = group_size) -> None:
            if progress is not None:
                progress(min(total, base + min(done, cap)), total)

        bundle = _export_one(session, folder, keys, group, progress=step, cancel=cancel)
        result.bundles.append(bundle)
        done_before += group_size
    return result


def _export_one(
    session: Session,
    folder: Path,
    keys: BundleKeys,
    group: list[ReportSource],
    *,
    progress: Progress,
    cancel: CancelCheck | None,
) -> ExportedBundle:
    vault = session.vault
    state = BundleState(
        sequence=_next_sequence(session),
        previous_manifest_sha256=vault.meta("bundle_last_manifest_sha256") or None,
        last_receipt_sha256=_last_receipt(session),
        custody_rows=tuple(CustodyLog(vault.conn).raw_entries()),
    )
    created = session.clock.now()

    def write(fh: BinaryIO) -> WrittenBundle:
        return write_bundle(
            fh, keys, state, group, created_at=created, progress=progress, cancel=cancel
        )

    path, written = usb.write_durably(folder, write, verify_sha256=lambda w: w.ciphertext_sha256)
    try:
        _record_export(session, state, group, written)
    except BaseException as exc:
        # The bundle is on the stick but not recorded: remove it, or HQ would import it and then
        # refuse the retry, which reuses its sequence number with different content.
        with contextlib.suppress(OSError):
            path.unlink()
            fsync_dir(path.parent)
        if isinstance(exc, OSError | sqlcipher_error()):
            raise BundleError(
                N_(
                    "The export could not be recorded on this laptop ({reason}). The bundle was "
                    "removed from the stick and nothing was marked as exported."
                ),
                reason=getattr(exc, "strerror", None) or type(exc).__name__,
            ) from None
        raise
    log.info("bundle %d exported (%d reports)", state.sequence, len(group))
    return ExportedBundle(path, state.sequence, len(group), written.size)


def sqlcipher_error() -> type[Exception]:
    import sqlcipher3

    return sqlcipher3.Error  # type: ignore[no-any-return]


def _record_export(
    session: Session, state: BundleState, group: list[ReportSource], written: WrittenBundle
) -> None:
    vault = session.vault
    now = _now(session)
    store = RecordStore(vault.conn)
    custody = CustodyLog(vault.conn)
    with transaction(vault.conn):
        vault.conn.execute(
            "INSERT INTO bundles_out(sequence, bundle_id, manifest_sha256, ciphertext_sha256,"
            " size, created_at, report_ids) VALUES (?,?,?,?,?,?,?)",
            (
                state.sequence,
                written.manifest.bundle_id,
                written.manifest_sha256,
                written.ciphertext_sha256,
                written.size,
                now,
                json.dumps([r.id for r in group]),
            ),
        )
        vault.set_meta("bundle_sequence", str(state.sequence))
        vault.set_meta("bundle_last_manifest_sha256", written.manifest_sha256)
        for r in group:
            if store.get_report(r.id).status is ReportStatus.SEALED:
                store.set_status(ReportId(r.id), ReportStatus.EXPORTED, now)
            custody.append(
                "exported",
                ReportId(r.id),
                now,
                {"bundle_sequence": state.sequence, "manifest_sha256": written.manifest_sha256},
            )


def _next_sequence(session: Session) -> int:
    row = session.vault.conn.execute("SELECT max(sequence) FROM bundles_out").fetchone()
    return max(int(session.vault.meta("bundle_sequence", "0")), int(row[0] or 0)) + 1


def _last_receipt(session: Session) -> str | None:
    row = session.vault.conn.execute(
        "SELECT receipt_sha256 FROM receipts_in ORDER BY received_at DESC, sequence DESC LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else None


# ---------------------------------------------------------------------- HQ import
@dataclass
class ImportResult:
    outcomes: list[importer.BundleOutcome] = field(default_factory=list)
    gaps: dict[str, list[int]] = field(default_factory=dict)
    receipts: list[Path] = field(default_factory=list)
    receipts_skipped: int = 0

    @property
    def imported(self) -> int:
        return sum(o.status == importer.IMPORTED for o in self.outcomes)

    @property
    def rejected(self) -> int:
        return sum(o.status == importer.REJECTED for o in self.outcomes)

    @property
    def duplicates(self) -> int:
        return sum(o.status == importer.DUPLICATE for o in self.outcomes)


def import_paths(
    session: Session,
    paths: Sequence[Path],
    *,
    receipts_dir: Path | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> ImportResult:
    """Import bundle files and folders (HQ); one outcome per bundle, then gaps per device."""
    from kpfield.bundle.reader import NotABundle

    vault = session.vault
    hq_keys.require_hq(vault)
    if receipts_dir is not None:
        usb.check_writable_dir(receipts_dir)
    importer.cleanup(vault)
    result = ImportResult()
    found = list(usb.scan(paths))
    sizes = [_size(p) for p, _ in found]
    total = sum(sizes) or 1
    base = 0
    for (path, explicit), size in zip(found, sizes, strict=True):
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))

        def step(done: int, _t: int, b: int = base, cap: int = size) -> None:
            if progress is not None:
                progress(min(total, b + min(done, cap)), total)

        label = str(path) if explicit else path.name
        if not path.exists():
            missing = BundleError(N_("the file does not exist"))
            result.outcomes.append(
                importer.BundleOutcome(label, importer.REJECTED, missing.message, error=missing)
            )
            continue
        try:
            outcome = importer.import_file(
                vault, path, at=_now(session), label=label, progress=step, cancel=cancel
            )
        except NotABundle:
            result.receipts_skipped += 1
            continue
        result.outcomes.append(outcome)
        base += size
        if receipts_dir is not None and outcome.status != importer.REJECTED:
            sha = outcome.manifest_sha256 or _manifest_for(session, outcome)
            result.receipts.append(_write_receipt(session, receipts_dir, sha))
    result.gaps = importer.gaps(vault)
    return result


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _manifest_for(session: Session, outcome: importer.BundleOutcome) -> str:
    row = session.vault.conn.execute(
        "SELECT manifest_sha256 FROM hq_bundles WHERE device_id = ? AND sequence = ?",
        (outcome.device_id, outcome.sequence),
    ).fetchone()
    return str(row[0])


def _write_receipt(session: Session, folder: Path, manifest_sha256: str) -> Path:
    import hashlib

    from kpfield.hq.receipts import make_receipt

    data = make_receipt(session.vault, manifest_sha256, _now(session))

    def write(fh: BinaryIO) -> bytes:
        fh.write(data)
        return data

    path, _ = usb.write_durably(
        folder, write, verify_sha256=lambda d: hashlib.sha256(d).hexdigest()
    )
    return path


# ---------------------------------------------------------------------- receipts (field)
@dataclass
class ReceiptsResult:
    receipts: int = 0
    already_seen: int = 0
    acknowledged: int = 0
    purged: int = 0
    gaps: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def import_receipts(
    session: Session,
    folder: Path,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> ReceiptsResult:
    """Verify HQ receipts found in ``folder``, acknowledge reports, purge them if policy says."""
    from kpfield.custody.seal import device_identity
    from kpfield.hq.enrollment import device_age_identity
    from kpfield.hq.receipts import open_receipt, verify_receipt

    vault = session.vault
    hq_keys.require_field(vault)
    profile = require_profile(vault)
    usb.check_writable_dir(folder)
    device_id = device_identity(vault).device_id
    identity = device_age_identity(vault)
    files = [p for p, _ in usb.scan([folder])]
    result = ReceiptsResult()
    for i, path in enumerate(files):
        if cancel is not None and cancel():
            raise Cancelled(N_("Cancelled."))
        try:
            with open(path, "rb") as fh:
                receipt = open_receipt(identity, fh)
            if receipt is None:
                continue  # a bundle, or a receipt for another laptop
            verify_receipt(receipt, profile.signing_key, device_id)
            acked = _apply_receipt(session, receipt, profile.purge_after_acknowledgement, result)
        except Cancelled:
            raise
        except KpfieldError as exc:
            result.problems.append(f"{path.name}: {exc.message}")
            continue
        except OSError as exc:
            result.problems.append(f"{path.name}: cannot be read ({exc.strerror})")
            continue
        if acked is None:
            result.already_seen += 1
        else:
            result.receipts += 1
            result.acknowledged += acked
            result.gaps = [int(g) for g in receipt.doc.get("gaps", [])]
        if progress is not None:
            progress(i + 1, len(files))
    return result


def _apply_receipt(
    session: Session, receipt: Receipt, purge: bool, result: ReceiptsResult
) -> int | None:
    vault = session.vault
    conn = vault.conn
    if conn.execute(
        "SELECT 1 FROM receipts_in WHERE receipt_sha256 = ?", (receipt.sha256,)
    ).fetchone():
        return None
    sent = conn.execute(
        "SELECT sequence FROM bundles_out WHERE manifest_sha256 = ?", (receipt.manifest_sha256,)
    ).fetchone()
    if sent is None or int(sent[0]) != receipt.sequence:
        raise IntegrityError(N_("A receipt names a bundle this laptop did not send; ignored."))
    now = _now(session)
    store = RecordStore(conn)
    custody = CustodyLog(conn)
    acked: list[ReportId] = []
    with transaction(conn):
        conn.execute(
            "INSERT INTO receipts_in(receipt_sha256, manifest_sha256, sequence, received_at,"
            " receipt, signature) VALUES (?,?,?,?,?,?)",
            (
                receipt.sha256,
                receipt.manifest_sha256,
                receipt.sequence,
                now,
                json.dumps(receipt.doc, sort_keys=True),
                receipt.signature,
            ),
        )
        custody.append(
            "receipt",
            None,
            now,
            {"bundle_sequence": receipt.sequence, "receipt_sha256": receipt.sha256},
        )
        for rid, sha in receipt.reports:
            row = conn.execute(
                "SELECT status, seal_sha256 FROM reports WHERE id = ?", (rid,)
            ).fetchone()
            if row is None or row[1] != sha:
                result.problems.append(
                    f"HQ acknowledged report {rid[:8]} with a hash this laptop does not hold"
                )
                continue
            if row[0] in ("sealed", "exported", "sent"):
                store.set_status(ReportId(rid), ReportStatus.ACKNOWLEDGED, now)
                custody.append("acknowledged", ReportId(rid), now, {"sha256": sha})
                acked.append(ReportId(rid))
    if purge:
        for rid in acked:
            if purge_report(session, rid):
                result.purged += 1
    return len(acked)


def purge_report(session: Session, rid: ReportId) -> bool:
    """Remove an acknowledged report's content, keeping its hash, signature and custody trail."""
    vault = session.vault
    conn = vault.conn
    row = conn.execute(
        "SELECT status, purged_at, seal_sha256 FROM reports WHERE id = ?", (rid,)
    ).fetchone()
    if row is None or row[0] != "acknowledged" or row[1] is not None:
        return False
    now = _now(session)
    store = RecordStore(conn)
    with transaction(conn):
        refs = store.purge_content(rid, now)
        CustodyLog(conn).append("purged", rid, now, {"sha256": row[2]})
    for blob, thumb in refs:
        vault.blobs.delete(blob.name)
        if thumb is not None:
            vault.blobs.delete(thumb.name)
    store.optimize_search()
    log.info("report content purged after acknowledgement")
    return True
