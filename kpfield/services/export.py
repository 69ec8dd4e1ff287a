"""Field export: plan sealed reports into bundles and write each through a sink.

The same code serves a USB stick (:class:`UsbFolderSink`) and the sync outbox
(:class:`OutboxSink`). A bundle is recorded (sequence, hashes, reports marked exported, custody
entry) only after the sink holds a copy that reads back right; if recording fails, the copy is
removed again, so HQ never receives a bundle the laptop does not know it sent.

Qt-free; call on the thread that owns the session. A cancel raises :class:`Cancelled`; bundles
already recorded stay recorded and whatever was half-written is removed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kpfield.bundle import manifest as mf
from kpfield.bundle.sinks import BundleSink, OutboxSink, UsbFolderSink
from kpfield.bundle.writer import (
    AttachmentSource,
    BundleKeys,
    BundleState,
    ReportSource,
    WitnessExtras,
    WrittenBundle,
    archive_size_for,
    ciphertext_size,
    custody_text,
    write_bundle,
)
from kpfield.custody.log import CustodyLog
from kpfield.domain.ids import ReportId
from kpfield.domain.jobs import CancelCheck, Changes, Progress, raise_if_cancelled, scaled
from kpfield.domain.models import ReportStatus
from kpfield.errors import N_, BundleError, UsageError
from kpfield.services.clock import Clock, iso
from kpfield.services.profiles import FieldProfileService
from kpfield.services.witness_export import identities_for
from kpfield.vault.db import transaction
from kpfield.vault.outbox_store import OutboxStore, SentBundle
from kpfield.vault.records import RecordStore
from kpfield.vault.vault import Vault
from kpfield.vault.witness_store import WitnessStore

log = logging.getLogger(__name__)

# Below FAT32's 4 GiB - 1 file limit, with room to spare.
DEFAULT_MAX_BUNDLE_BYTES = 3900 << 20
MIN_BUNDLE_BYTES = 1 << 20
# Per-member share of the manifest and SHA256SUMS (name, size, hash, ids), generously rounded.
_MANIFEST_BYTES_PER_MEMBER = 400
OUTBOX_FOLDER = "outbox"


@dataclass(frozen=True)
class ExportedBundle:
    path: Path
    sequence: int
    reports: int
    size: int
    ciphertext_sha256: str = ""


@dataclass
class ExportResult:
    bundles: list[ExportedBundle] = field(default_factory=list)

    @property
    def reports(self) -> int:
        return sum(b.reports for b in self.bundles)

    @property
    def changes(self) -> Changes:
        return Changes(report_list=bool(self.bundles), transfers=bool(self.bundles))


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


def sqlcipher_error() -> type[Exception]:
    import sqlcipher3

    return sqlcipher3.Error  # type: ignore[no-any-return]


class ExportService:
    """Sealed reports leave the laptop only through here."""

    def __init__(self, vault: Vault, clock: Clock, profiles: FieldProfileService) -> None:
        self._vault = vault
        self._clock = clock
        self._profiles = profiles

    @property
    def outbox(self) -> OutboxSink:
        return OutboxSink(self._vault.paths.root / OUTBOX_FOLDER)

    def pending(self, *, again: bool = False) -> list[ReportId]:
        """Sealed reports not yet exported (with ``again``: also those exported or sent before)."""
        statuses = ["sealed"] + (["exported", "sent"] if again else [])
        return [ReportId(r) for r in OutboxStore(self._vault.conn).reports_to_send(statuses)]

    def to_folder(
        self,
        folder: Path,
        *,
        again: bool = False,
        max_bundle_bytes: int = DEFAULT_MAX_BUNDLE_BYTES,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> ExportResult:
        """Write every sealed, not yet exported report into bundles in ``folder`` (a stick)."""
        return self.export(
            UsbFolderSink(folder),
            again=again,
            max_bundle_bytes=max_bundle_bytes,
            progress=progress,
            cancel=cancel,
        )

    def to_outbox(
        self,
        *,
        max_bundle_bytes: int = DEFAULT_MAX_BUNDLE_BYTES,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> ExportResult:
        """Write every sealed, not yet exported report into the sync outbox."""
        return self.export(
            self.outbox, max_bundle_bytes=max_bundle_bytes, progress=progress, cancel=cancel
        )

    def export(
        self,
        sink: BundleSink,
        *,
        again: bool = False,
        max_bundle_bytes: int = DEFAULT_MAX_BUNDLE_BYTES,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> ExportResult:
        profile = self._profiles.require()
        sink.check()
        if max_bundle_bytes < MIN_BUNDLE_BYTES:
            raise UsageError(N_("The bundle size limit must be at least 1 MiB."))
        rids = self.pending(again=again)
        result = ExportResult()
        # Withdrawal notices travel in the next bundle even when no report is waiting.
        notices = [(n.notice_id, n.notice) for n in WitnessStore(self._vault.conn).pending()]
        if not rids and not notices:
            return result
        sources = [self._source(rid) for rid in rids]
        custody_rows = CustodyLog(self._vault.conn).raw_entries()
        # Each bundle's custody log grows by one "exported" entry per report already written.
        custody_budget = len(custody_text(custody_rows)) + 400 * (len(sources) + 8)
        groups = plan_bundles(
            sources, custody_budget, len(profile.recipients), max_bundle_bytes
        ) or [[]]
        keys = BundleKeys(
            device_key=self._vault.device_key,
            device_name=self._vault.meta("device_name"),
            recipients=tuple(profile.recipients),
            hq_signing_key_id=profile.signing_key.key_id.hex(),
        )
        total = sum(r.payload_size for r in sources) or 1
        done_before = 0
        for i, group in enumerate(groups):
            raise_if_cancelled(cancel)
            group_size = sum(r.payload_size for r in group)
            step = scaled(progress, done_before, group_size, total)
            extras = WitnessExtras(
                identities=tuple(identities_for(self._vault, group)),
                withdrawals=tuple(notices) if i == 0 else (),
            )
            result.bundles.append(self._export_one(sink, keys, group, step, cancel, extras=extras))
            done_before += group_size
        return result

    def _source(self, rid: ReportId) -> ReportSource:
        store = RecordStore(self._vault.conn)
        sealed_json, sha, signature = store.sealed_record(rid)
        report = store.get_report(rid)
        atts = []
        blobs = self._vault.blobs
        for a in store.attachments_for(rid):
            blob, _ = store.blob_refs(a.id)

            def chunks(name: str = blob.name, key: bytes = blob.key) -> Iterator[bytes]:
                return blobs.iter_chunks(name, key)

            atts.append(AttachmentSource(a.id, a.sha256, a.size, a.mime, chunks))
        return ReportSource(rid, report.version, sealed_json, sha, signature, tuple(atts))

    def _export_one(
        self,
        sink: BundleSink,
        keys: BundleKeys,
        group: list[ReportSource],
        progress: Progress,
        cancel: CancelCheck | None,
        *,
        extras: WitnessExtras,
    ) -> ExportedBundle:
        outbox = OutboxStore(self._vault.conn)
        state = BundleState(
            sequence=outbox.next_sequence(),
            previous_manifest_sha256=outbox.last_manifest_sha256(),
            last_receipt_sha256=outbox.last_receipt_sha256(),
            custody_rows=tuple(CustodyLog(self._vault.conn).raw_entries()),
        )
        created = self._clock.now()

        def write(fh: BinaryIO) -> WrittenBundle:
            return write_bundle(
                fh,
                keys,
                state,
                group,
                created_at=created,
                progress=progress,
                cancel=cancel,
                extras=extras,
            )

        path, written = sink.put(write)
        try:
            self._record(state, group, written, [n for n, _ in extras.withdrawals])
        except BaseException as exc:
            # The bundle is in the sink but not recorded: remove it, or HQ would import it and
            # then refuse the retry, which reuses its sequence number with different content.
            sink.remove(path)
            if isinstance(exc, OSError | sqlcipher_error()):
                raise BundleError(
                    N_(
                        "The export could not be recorded on this laptop ({reason}). The bundle "
                        "was removed from the stick and nothing was marked as exported."
                    ),
                    reason=getattr(exc, "strerror", None) or type(exc).__name__,
                ) from None
            raise
        log.info("bundle %d exported (%d reports)", state.sequence, len(group))
        return ExportedBundle(
            path, state.sequence, len(group), written.size, written.ciphertext_sha256
        )

    def _record(
        self,
        state: BundleState,
        group: list[ReportSource],
        written: WrittenBundle,
        notices: list[str],
    ) -> None:
        now = iso(self._clock.now())
        store = RecordStore(self._vault.conn)
        custody = CustodyLog(self._vault.conn)
        with transaction(self._vault.conn):
            OutboxStore(self._vault.conn).record_sent(
                SentBundle(
                    sequence=state.sequence,
                    bundle_id=written.manifest.bundle_id,
                    manifest_sha256=written.manifest_sha256,
                    ciphertext_sha256=written.ciphertext_sha256,
                    size=written.size,
                    created_at=now,
                    report_ids=tuple(r.id for r in group),
                )
            )
            WitnessStore(self._vault.conn).mark_sent(notices, state.sequence)
            for r in group:
                if store.get_report(r.id).status is ReportStatus.SEALED:
                    store.set_status(ReportId(r.id), ReportStatus.EXPORTED, now)
                custody.append(
                    "exported",
                    ReportId(r.id),
                    now,
                    {"bundle_sequence": state.sequence, "manifest_sha256": written.manifest_sha256},
                )
