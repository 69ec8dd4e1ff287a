"""Consent withdrawal on the field laptop: record it, purge what it no longer allows, sign a notice.

What is purged, in one transaction: the witness's identifying details and salt (on any
withdrawal: they are the most dangerous thing the laptop holds about a person), the choice to send
them, and, when no permission remains, the witness's citations in drafts, their risk notes and
consent notes, with the search index rebuilt and merged so no deleted words linger in it. Sealed
reports cannot change: the notice names them and HQ marks them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, replace

from kpfield.crypto import minisign
from kpfield.custody.log import CustodyLog
from kpfield.domain.document import parse_iso_date
from kpfield.domain.ids import ReportId, WitnessId
from kpfield.domain.jobs import Changes
from kpfield.domain.models import SCOPE_NAMES, Consent, ConsentScope, Witness
from kpfield.errors import N_, UsageError
from kpfield.protocol.canonical import sha256_hex
from kpfield.protocol.signed import Signer
from kpfield.protocol.withdrawal import Withdrawal, sign_withdrawal
from kpfield.services.clock import Clock, iso
from kpfield.vault.db import transaction
from kpfield.vault.records import RecordStore
from kpfield.vault.vault import Vault
from kpfield.vault.witness_store import StoredWithdrawal, WitnessStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WithdrawalResult:
    witness: Witness
    notice_id: str
    scopes: tuple[str, ...]
    identity_purged: bool
    drafts_uncited: tuple[ReportId, ...]
    sealed_reports: tuple[ReportId, ...]  # cannot change; HQ marks them

    @property
    def changes(self) -> Changes:
        # Every citing report shows the witness differently now; drafts may have lost them.
        return Changes.for_reports([*self.drafts_uncited, *self.sealed_reports])


class WitnessService:
    def __init__(self, vault: Vault, clock: Clock) -> None:
        self.vault = vault
        self.clock = clock

    def withdrawals(self, witness_id: str) -> list[StoredWithdrawal]:
        return WitnessStore(self.vault.conn).withdrawals(witness_id)

    def pending_notices(self) -> int:
        return len(WitnessStore(self.vault.conn).pending())

    def withdraw_consent(
        self, witness_id: str, scopes: frozenset[str] | None, *, withdrawn_on: str
    ) -> WithdrawalResult:
        """Record that the witness withdrew ``scopes`` (None: everything) on ``withdrawn_on``."""
        records = RecordStore(self.vault.conn)
        w = records.get_witness(witness_id)
        c = w.consent
        if c is None or not c.given:
            raise UsageError(N_("This witness has no given consent to withdraw."))
        wanted = frozenset(SCOPE_NAMES) if scopes is None else scopes
        unknown = sorted(wanted - set(SCOPE_NAMES))
        if unknown or not wanted:
            raise UsageError(
                N_("Name what is withdrawn: one or more of {names}, or all."),
                names=", ".join(SCOPE_NAMES),
            )
        if parse_iso_date(withdrawn_on) is None:
            raise UsageError(N_("Write the date consent was withdrawn as YYYY-MM-DD."))
        remaining = c.scope.without(wanted)
        ordered = tuple(s for s in SCOPE_NAMES if s in wanted)
        nothing_left = not remaining.any()
        now = iso(self.clock.now())
        consent = (
            Consent(False, c.method, withdrawn_on, ConsentScope(), "")
            if nothing_left
            else replace(c, scope=remaining)
        )
        purged = replace(
            w,
            consent=consent,
            identifying=None,
            identity_salt="",
            send_identity=False,
            risk_notes="" if nothing_left else w.risk_notes,
            updated_at=now,
        )
        witnesses = WitnessStore(self.vault.conn)
        cited = records.reports_citing(w.id)
        drafts = witnesses.draft_reports_citing(w.id)
        notice = Withdrawal(
            notice_id=str(uuid.uuid4()),
            device_id=minisign.key_id_for(
                self.vault.device_key.public_key().public_bytes_raw()
            ).hex(),
            witness_id=w.id,
            withdrawn_on=withdrawn_on,
            recorded_at=now,
            scopes=ordered,
            reports=tuple(sorted(cited)),
        )
        signed = sign_withdrawal(notice, Signer.from_key(self.vault.device_key))
        uncited: list[ReportId] = []
        with transaction(self.vault.conn):
            records.save_witness(purged)
            if nothing_left:
                for rid in drafts:
                    report = records.get_report(rid)
                    keep = tuple(x for x in report.witness_ids if x != w.id)
                    records.set_report_witnesses(report.id, keep)
                    uncited.append(report.id)
            for rid in cited:
                report = records.get_report(rid)
                if report.is_draft:
                    records.index_report(report)
            witnesses.add_withdrawal(
                StoredWithdrawal(
                    notice.notice_id, w.id, withdrawn_on, ordered, now, signed, None
                )
            )
            CustodyLog(self.vault.conn).append(
                "consent_withdrawn",
                None,
                now,
                {"witness_id": w.id, "notice_sha256": sha256_hex(signed)},
            )
        # Merge index segments so the removed words are gone from the index's pages too.
        records.optimize_search()
        log.info("consent withdrawn (%d scopes, %d drafts uncited)", len(ordered), len(uncited))
        sealed = tuple(ReportId(r) for r in cited if ReportId(r) not in uncited and r not in drafts)
        return WithdrawalResult(
            records.get_witness(w.id),
            notice.notice_id,
            ordered,
            w.identifying is not None,
            tuple(uncited),
            sealed,
        )


__all__ = ["WithdrawalResult", "WitnessId", "WitnessService"]
