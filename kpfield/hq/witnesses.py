"""HQ intake of what a bundle carries about witnesses, inside the bundle's commit transaction.

Identities are stored apart from the sealed reports (which hold only their salted hash);
withdrawal notices are applied after them, so a withdrawal in the same bundle wins: the identity
is deleted, the reports citing the witness are marked, the notice is kept and the event logged.
An identity for a witness whose consent was withdrawn before is not stored again.
"""

from __future__ import annotations

import logging

from kpfield.bundle.reader import VerifiedBundle
from kpfield.domain.identity import identifying_doc
from kpfield.vault.db import Connection
from kpfield.vault.hq_witness_store import AppliedWithdrawal, HqWitnessStore, StoredIdentity

log = logging.getLogger(__name__)


def apply_witness_members(conn: Connection, bundle: VerifiedBundle, at: str) -> None:
    store = HqWitnessStore(conn)
    device = bundle.manifest.device_id
    stored = skipped = 0
    for ident in bundle.identities:
        if store.is_withdrawn(device, ident.witness_id):
            skipped += 1
            continue
        if store.identity_device(ident.witness_id) not in (None, device):
            # Another laptop recorded this witness: one device never replaces another's.
            log.warning("a witness identity filed under another device's witness was refused")
            skipped += 1
            continue
        store.put_identity(
            StoredIdentity(
                witness_id=ident.witness_id,
                device_id=device,
                salt=ident.salt,
                identifying=identifying_doc(ident.details),
                identity_sha256=ident.commitment,
                manifest_sha256=bundle.manifest_sha256,
                received_at=at,
            )
        )
        stored += 1
    applied = 0
    for w in bundle.withdrawals:
        if store.has_notice(w.sha256):
            continue  # the same notice again (export --again): already applied
        n = w.notice
        deleted = False
        if store.identity_device(n.witness_id) in (None, device):
            deleted = store.delete_identity(n.witness_id)
        # A notice names its own laptop's reports: never one HQ holds from another device.
        named = {r for r in n.reports if store.report_device(r) in (None, device)}
        reports = named | set(store.device_reports_citing(device, n.witness_id))
        store.add_withdrawal(
            AppliedWithdrawal(
                notice_sha256=w.sha256,
                notice_id=n.notice_id,
                device_id=device,
                witness_id=n.witness_id,
                withdrawn_on=n.withdrawn_on,
                scopes=n.scopes,
                notice=w.data.decode("utf-8"),
                manifest_sha256=bundle.manifest_sha256,
                applied_at=at,
                identity_deleted=deleted,
            ),
            sorted(reports),
        )
        applied += 1
        log.info(
            "consent withdrawal applied (identity deleted: %s, %d reports marked)",
            deleted,
            len(reports),
        )
    if stored or skipped or applied:
        log.info("witness identities stored %d, refused after withdrawal %d", stored, skipped)
