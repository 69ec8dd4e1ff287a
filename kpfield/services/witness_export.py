"""Which witness identities a bundle may carry: consent allows it, the monitor chose it, and the
details still match the salted hash sealed in the bundle's reports (an identity edited after
sealing matches none and stays on the laptop until an amended report is sealed)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from kpfield.bundle.writer import ReportSource
from kpfield.domain.identity import identity_commitment
from kpfield.errors import NotFound
from kpfield.protocol.witness_identity import TravellingIdentity
from kpfield.vault.records import RecordStore
from kpfield.vault.vault import Vault


def identities_for(vault: Vault, group: Sequence[ReportSource]) -> list[TravellingIdentity]:
    store = RecordStore(vault.conn)
    sealed: dict[str, list[tuple[str, str | None]]] = {}  # witness id → (report id, hash)
    for r in group:
        for w in json.loads(r.sealed_json).get("witnesses", []):
            sealed.setdefault(w["id"], []).append((r.id, w.get("identity_sha256")))
    out = []
    for wid, cites in sealed.items():
        try:
            witness = store.get_witness(wid)
        except NotFound:  # purged with an acknowledged report
            continue
        if not witness.identity_may_travel or witness.identifying is None:
            continue
        if not witness.identity_salt:
            continue
        commitment = identity_commitment(witness.identity_salt, witness.identifying)
        matching = tuple(rid for rid, h in cites if h == commitment)
        if matching:
            out.append(
                TravellingIdentity(wid, witness.identity_salt, witness.identifying, matching)
            )
    return out
