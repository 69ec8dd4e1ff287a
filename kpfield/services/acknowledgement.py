"""Acknowledgement on the laptop: HQ's signed receipts → report statuses → purge by policy.

Receipts arrive on a stick (:meth:`AcknowledgementService.import_receipts`) or, with sync, from
the relay; both go through :meth:`AcknowledgementService.apply`, so the same checks and the same
custody entries hold whatever the way home.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from kpfield.bundle import usb
from kpfield.custody.log import CustodyLog
from kpfield.custody.seal import device_age_identity, device_identity
from kpfield.domain.display import safe_text
from kpfield.domain.ids import ReportId
from kpfield.domain.jobs import CancelCheck, Changes, Progress, raise_if_cancelled
from kpfield.domain.models import ReportStatus
from kpfield.errors import N_, Cancelled, IntegrityError, KpfieldError
from kpfield.protocol.receipts import Receipt, open_receipt, verify_receipt
from kpfield.services.clock import Clock, iso
from kpfield.services.enrollment_state import note_receipt
from kpfield.services.profiles import FieldProfileService
from kpfield.vault.db import transaction
from kpfield.vault.outbox_store import OutboxStore, StoredReceipt
from kpfield.vault.records import RecordStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)

_ACKNOWLEDGEABLE = ("sealed", "exported", "sent")


@dataclass
class ReceiptsResult:
    receipts: int = 0
    already_seen: int = 0
    acknowledged: int = 0
    purged: int = 0
    gaps: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    report_ids: set[str] = field(default_factory=set)
    enrollment_changed: bool = False
    """A receipt was this laptop's first word from HQ that it is enrolled."""

    @property
    def changes(self) -> Changes:
        return Changes(
            reports=frozenset(self.report_ids),
            report_list=bool(self.report_ids),
            transfers=bool(self.receipts),
            devices=self.enrollment_changed,
        )


class AcknowledgementService:
    def __init__(self, vault: Vault, clock: Clock, profiles: FieldProfileService) -> None:
        self._vault = vault
        self._clock = clock
        self._profiles = profiles

    def _now(self) -> str:
        return iso(self._clock.now())

    def import_receipts(
        self,
        folder: Path,
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
    ) -> ReceiptsResult:
        """Verify HQ receipts found in ``folder``, acknowledge reports, purge if policy says."""
        self._profiles.require()
        usb.check_writable_dir(folder)
        identity = device_age_identity(self._vault)
        files = [p for p, _ in usb.scan([folder])]
        result = ReceiptsResult()
        for i, path in enumerate(files):
            raise_if_cancelled(cancel)
            try:
                with open(path, "rb") as fh:
                    receipt = open_receipt(identity, fh)
                if receipt is None:
                    continue  # a bundle, or a receipt for another laptop
                self.apply(receipt, result)
            except Cancelled:
                raise
            except KpfieldError as exc:
                result.problems.append(f"{safe_text(path.name)}: {safe_text(exc.message)}")
            except OSError as exc:
                result.problems.append(f"{safe_text(path.name)}: cannot be read ({exc.strerror})")
            if progress is not None:
                progress(i + 1, len(files))
        return result

    def apply(self, receipt: Receipt, result: ReceiptsResult) -> None:
        """Verify one receipt and apply it once: mark its reports acknowledged, purge by policy."""
        profile = self._profiles.require()
        verify_receipt(receipt, profile.signing_key, device_identity(self._vault).device_id)
        acked = self._record(receipt, result)
        if acked is None:
            result.already_seen += 1
            return
        result.receipts += 1
        result.acknowledged += len(acked)
        result.report_ids.update(acked)
        result.gaps = receipt.gaps
        if profile.purge_after_acknowledgement:
            result.purged += sum(self.purge(rid) for rid in acked)

    def _record(self, receipt: Receipt, result: ReceiptsResult) -> list[ReportId] | None:
        conn = self._vault.conn
        outbox = OutboxStore(conn)
        if outbox.has_receipt(receipt.sha256):
            return None
        if outbox.sent_sequence(receipt.manifest_sha256) != receipt.sequence:
            raise IntegrityError(N_("A receipt names a bundle this laptop did not send; ignored."))
        now = self._now()
        store = RecordStore(conn)
        custody = CustodyLog(conn)
        acked: list[ReportId] = []
        with transaction(conn):
            outbox.add_receipt(
                StoredReceipt(
                    receipt_sha256=receipt.sha256,
                    manifest_sha256=receipt.manifest_sha256,
                    sequence=receipt.sequence,
                    received_at=now,
                    receipt_json=json.dumps(receipt.doc, sort_keys=True),
                    signature=receipt.signature,
                )
            )
            custody.append(
                "receipt",
                None,
                now,
                {"bundle_sequence": receipt.sequence, "receipt_sha256": receipt.sha256},
            )
            # HQ imports bundles only from devices it enrolled: its receipt says this one is.
            result.enrollment_changed |= note_receipt(self._vault, now)
            for rid, sha in receipt.reports:
                state = outbox.seal_state(rid)
                if state is None or state[1] != sha:
                    result.problems.append(
                        f"HQ acknowledged report {safe_text(rid[:8])} with a hash this laptop"
                        " does not hold"
                    )
                    continue
                if state[0] in _ACKNOWLEDGEABLE:
                    store.set_status(ReportId(rid), ReportStatus.ACKNOWLEDGED, now)
                    custody.append("acknowledged", ReportId(rid), now, {"sha256": sha})
                    acked.append(ReportId(rid))
        return acked

    def purge(self, rid: ReportId) -> bool:
        """Remove an acknowledged report's content, keeping its hash, signature and custody."""
        conn = self._vault.conn
        state = OutboxStore(conn).seal_state(rid)
        if state is None or state[0] != "acknowledged" or state[2] is not None:
            return False
        now = self._now()
        store = RecordStore(conn)
        with transaction(conn):
            refs = store.purge_content(rid, now)
            CustodyLog(conn).append("purged", rid, now, {"sha256": state[1]})
        for blob, thumb in refs:
            self._vault.blobs.delete(blob.name)
            if thumb is not None:
                self._vault.blobs.delete(thumb.name)
        store.optimize_search()
        log.info("report content purged after acknowledgement")
        return True
