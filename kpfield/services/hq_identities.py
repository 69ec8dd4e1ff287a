"""HQ: the witness identities received from laptops (list them; delete one, logged).

An identity travels as its own bundle member and is stored apart from the sealed reports, which
hold only its salted hash: deleting it never touches a seal. What is listed names witnesses by
id and code name only; the details themselves are shown only through the desk's logged reveal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kpfield.errors import N_, NotFound, UsageError
from kpfield.hq import audit, cases
from kpfield.hq.devices import find_device
from kpfield.services.clock import Clock, iso
from kpfield.vault.db import transaction
from kpfield.vault.desk_store import DeskStore
from kpfield.vault.hq_witness_store import HqWitnessStore
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldIdentity:
    witness_id: str
    device_id: str
    device_name: str
    received_at: str
    pseudonyms: tuple[str, ...]
    """The code names the reports citing this witness give them."""
    reports: tuple[str, ...]


class WitnessIdentityService:
    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    def held(self) -> list[HeldIdentity]:
        """Every identity HQ holds apart from the seals, oldest first (no details in it)."""
        store = HqWitnessStore(self._vault.conn)
        out = []
        for witness_id, device_id, received_at in store.identity_list():
            reports = store.device_reports_citing(device_id, witness_id)
            names = sorted({self._pseudonym(rid, witness_id) for rid in reports} - {""})
            dev = find_device(self._vault, device_id, missing_ok=True)
            out.append(
                HeldIdentity(
                    witness_id, device_id, dev.name if dev else "", received_at,
                    tuple(names), tuple(sorted(reports)),
                )  # fmt: skip
            )
        return out

    def _pseudonym(self, report_id: str, witness_id: str) -> str:
        sealed = DeskStore(self._vault.conn).sealed(report_id)
        if sealed is None:
            return ""
        for w in cases.witnesses(cases.parse_sealed(sealed[2])):
            if str(w.get("id", "")) == witness_id:
                return str(w.get("pseudonym", ""))
        return ""

    def delete(self, witness_id: str, reason: str) -> HeldIdentity:
        """Delete one identity and log it in the audit log (who, from which device, why)."""
        reason = reason.strip()
        if not reason:
            raise UsageError(N_("Say why the identity is deleted (--reason)."))
        found = next((h for h in self.held() if h.witness_id == witness_id), None)
        if found is None:
            raise NotFound(N_("HQ holds no identity for the witness {id}."), id=witness_id)
        conn = self._vault.conn
        with transaction(conn):
            HqWitnessStore(conn).delete_identity(witness_id)
            audit.append(
                conn, "identity_deleted", iso(self._clock.now()), None,
                {"witness": witness_id, "device": found.device_id, "reason": reason[:500],
                 "reports": list(found.reports)},
            )  # fmt: skip
        log.info("a witness identity was deleted by an analyst")
        return found
