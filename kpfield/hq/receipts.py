"""HQ writes a receipt for each imported bundle, encrypted for the device that sent it."""

from __future__ import annotations

import json

from kpfield.crypto import age
from kpfield.errors import N_, IntegrityError
from kpfield.hq import keys as hq_keys
from kpfield.protocol.receipts import ReceivedBundle, build_receipt, seal_receipt
from kpfield.vault.hq_store import HqStore
from kpfield.vault.vault import Vault


def make_receipt(vault: Vault, manifest_sha256: str, at: str) -> bytes:
    """The encrypted receipt for one imported bundle."""
    store = HqStore(vault.conn)
    row = store.bundle_for_receipt(manifest_sha256)
    if row is None:
        raise IntegrityError(N_("No imported bundle has that manifest."))
    device_id, sequence, bundle_id, manifest_text, device_recipient = row
    manifest = json.loads(manifest_text)
    bundle = ReceivedBundle(
        device_id=device_id,
        sequence=sequence,
        bundle_id=bundle_id,
        manifest_sha256=manifest_sha256,
        reports=manifest["reports"],
        custody_head=manifest["custody_head"],
        gaps=store.gaps().get(device_id, []),
    )
    plain = build_receipt(hq_keys.hq_signer(vault), bundle, received_at=at)
    recipients = [age.parse_recipient(device_recipient)]
    recipients += [age.parse_recipient(r) for r in hq_keys.recipients(vault)[:1]]
    return seal_receipt(plain, recipients)
