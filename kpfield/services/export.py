"""Field export: plan sealed reports into bundles and write each through a sink.

The same code serves a USB stick (:class:`UsbFolderSink`) and the sync outbox
(:class:`OutboxSink`). A bundle is written and read back under a hidden name, recorded as
pending (sequence, hashes), made visible, and then recorded as exported (reports marked, custody
entries). A crash anywhere leaves either nothing visible or a pending record that
:meth:`ExportService.reconcile` settles at the next export or start, so HQ never receives a
bundle the laptop does not know it sent, and the bundle chain never breaks.

Qt-free; call on the thread that owns the session. A cancel raises :class:`Cancelled`; bundles
already recorded stay recorded and whatever was half-written is removed.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from kpfield.bundle import manifest as mf
from kpfield.bundle.sinks import BundleSink, OutboxSink, Presence, UsbFolderSink, sink_for
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
from kpfield.vault.outbox_store import OutboxStore, PendingBundle, SentBundle
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
        self.reconcile()
        sink.sweep()
        rids = self.pending(again=again)
        result = ExportResult()
        # Withdrawal notices travel in the next bundle even when no report is waiting.
        notices = [(n.notice_id, n.notice) for n in WitnessStore(self._vault.conn).pending()]
        if not rids and not notices:
            return result
        sources = [self._source(rid) for rid in rids]
        custody_rows = CustodyLog(self._vault.conn).raw_entries(self._custody_anchor(sources))
        # Each bundle's custody log grows by one "exported" entry per report already written.
        custody_budget = len(custody_text(custody_rows)) + 400 * (len(sources) + 8)
        if custody_budget > mf.MAX_CUSTODY_BYTES:
            raise BundleError(
                N_(
                    "The custody history HQ has not acknowledged yet is larger than a bundle may"
                    " carry ({mib} MiB). Bring HQ's receipts for earlier bundles to this laptop,"
                    " then export again."
                ),
                mib=mf.MAX_CUSTODY_BYTES >> 20,
            )
        # A bundle with no report still carries pending withdrawal notices.
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

    def _custody_anchor(self, reports: Sequence[ReportSource]) -> int:
        """The custody entry a bundle's log may start after: what HQ holds already.

        That is the newest custody head HQ countersigned in a receipt (if the local log still
        holds it), moved back so that every report's seal entry is in the bundle: a bundle is
        then verifiable on its own, and HQ checks that its first entry links to what it holds.
        """
        custody = CustodyLog(self._vault.conn)
        anchor = 0
        for receipt_json, _sig, _seq in OutboxStore(self._vault.conn).receipts():
            head = json.loads(receipt_json).get("custody_head")
            if not isinstance(head, dict):
                continue  # receipts from before heads were countersigned
            seq, entry_hash = head.get("seq"), head.get("entry_hash")
            if (
                isinstance(seq, int)
                and not isinstance(seq, bool)
                and seq > anchor
                and custody.hash_at(seq) == entry_hash
            ):
                anchor = seq
        for r in reports:
            sealed_at = custody.seal_seq(r.id, r.sha256)
            anchor = min(anchor, (sealed_at or 1) - 1)
        # At least the head entry travels, so the manifest's head is one the bundle carries
        # (a bundle of withdrawal notices alone may follow a receipt with nothing new logged).
        anchor = min(anchor, custody.head()[0] - 1)
        return max(anchor, 0)

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

    def reconcile(self, *, defer_unknown: bool = False) -> Presence | None:
        """Settle a bundle left pending by a crash, against what its sink holds.

        A complete copy is recorded as exported (HQ may import it, so its number and manifest
        stay in the chain); a missing or damaged one is forgotten and its number reused. When
        the medium is not here (``UNKNOWN``) its number is kept too, so a copy that did reach
        HQ still links, but its reports stay unexported and go out again in the next bundle.
        With ``defer_unknown`` that case is left pending (at start-up, the stick may be out).
        """
        outbox = OutboxStore(self._vault.conn)
        p = outbox.pending()
        if p is None:
            return None
        final = Path(p.final_path)
        sink = sink_for(final, self.outbox)
        presence = sink.holds(final, p.bundle.ciphertext_sha256)
        if presence is Presence.UNKNOWN and defer_unknown:
            return None
        if presence is Presence.ABSENT:
            sink.remove(Path(p.temp_path))
            with transaction(self._vault.conn):
                outbox.clear_pending()
        else:
            self._record(p.bundle, p.notices, mark_exported=presence is Presence.COMPLETE)
            sink.remove(Path(p.temp_path))
        log.info("pending bundle %d reconciled: %s", p.bundle.sequence, presence.value)
        return presence

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
            custody_rows=tuple(
                CustodyLog(self._vault.conn).raw_entries(self._custody_anchor(group))
            ),
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

        # Three steps, so that every kill point leaves either no visible bundle or a recorded
        # one: (1) write and read back under a hidden name; (2) record it as pending; (3) make
        # it visible, then record it as exported. A crash after (2) is settled by reconcile().
        staged = sink.stage(write)
        written = staged.written
        notices = tuple(n for n, _ in extras.withdrawals)
        sent = SentBundle(
            sequence=state.sequence,
            bundle_id=written.manifest.bundle_id,
            manifest_sha256=written.manifest_sha256,
            ciphertext_sha256=written.ciphertext_sha256,
            size=written.size,
            created_at=iso(self._clock.now()),
            report_ids=tuple(r.id for r in group),
        )
        try:
            with transaction(self._vault.conn):
                outbox.set_pending(
                    PendingBundle(sent, str(staged.final), str(staged.temp), notices)
                )
        except BaseException as exc:
            sink.remove(staged.temp)
            raise _not_recorded(exc) from None
        try:
            path = sink.publish(staged)
        except BaseException:
            # A failed rename leaves nothing visible; settle the pending record now.
            with contextlib.suppress(Exception):
                self.reconcile()
            raise
        try:
            self._record(sent, notices, mark_exported=True)
        except BaseException as exc:
            # Visible but not recorded: take it back. If that fails too, the pending record
            # still names it, and the next export or start records it.
            sink.remove(path)
            if OutboxStore(self._vault.conn).pending() is not None and not path.exists():
                with contextlib.suppress(Exception), transaction(self._vault.conn):
                    OutboxStore(self._vault.conn).clear_pending()
            raise _not_recorded(exc) from None
        log.info("bundle %d exported (%d reports)", state.sequence, len(group))
        return ExportedBundle(
            path, state.sequence, len(group), written.size, written.ciphertext_sha256
        )

    def _record(self, sent: SentBundle, notices: tuple[str, ...], *, mark_exported: bool) -> None:
        """Record a bundle as sent; its reports become exported (and the withdrawal notices it
        carried sent) unless its fate is unknown, in which case they all go out again."""
        now = iso(self._clock.now())
        store = RecordStore(self._vault.conn)
        custody = CustodyLog(self._vault.conn)
        with transaction(self._vault.conn):
            OutboxStore(self._vault.conn).record_sent(sent)
            if not mark_exported:
                return
            WitnessStore(self._vault.conn).mark_sent(list(notices), sent.sequence)
            for rid in sent.report_ids:
                if store.get_report(ReportId(rid)).status is ReportStatus.SEALED:
                    store.set_status(ReportId(rid), ReportStatus.EXPORTED, now)
                custody.append(
                    "exported",
                    ReportId(rid),
                    now,
                    {"bundle_sequence": sent.sequence, "manifest_sha256": sent.manifest_sha256},
                )


def _not_recorded(exc: BaseException) -> BaseException:
    if isinstance(exc, OSError | sqlcipher_error()):
        return BundleError(
            N_(
                "The export could not be recorded on this laptop ({reason}). The bundle "
                "was removed from the stick and nothing was marked as exported."
            ),
            reason=getattr(exc, "strerror", None) or type(exc).__name__,
        )
    return exc
