"""A witness's withdrawal of consent (``kpfield.consent-withdrawal/1``), signed by the device key.

The monitor records it on the laptop; the next bundle carries it as ``withdrawals/<id>.json``. HQ
verifies it with the device's enrolled key, deletes the witness's stored identity, marks the
reports it names and keeps the notice as its record. A standalone signature (not only the
manifest's) lets HQ keep the notice as proof after the bundle itself is gone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kpfield.crypto import minisign
from kpfield.domain.models import SCOPE_NAMES
from kpfield.errors import N_, IntegrityError
from kpfield.protocol.signed import SignedDocument, Signer, parse_document, sign_document

KIND = "withdrawal"
FORMAT = "kpfield.consent-withdrawal/1"
MAX_NOTICE_BYTES = 1 << 20
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_KEYS = {
    "format",
    "notice_id",
    "device_id",
    "witness_id",
    "withdrawn_on",
    "recorded_at",
    "scopes",
    "reports",
}


@dataclass(frozen=True)
class Withdrawal:
    notice_id: str
    device_id: str
    witness_id: str
    withdrawn_on: str  # the day the witness withdrew (ISO date)
    recorded_at: str  # when the monitor recorded it (UTC ISO-8601)
    scopes: tuple[str, ...]  # the permissions withdrawn, in SCOPE_NAMES order
    reports: tuple[str, ...]  # the reports on the laptop that cite the witness

    def doc(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "notice_id": self.notice_id,
            "device_id": self.device_id,
            "witness_id": self.witness_id,
            "withdrawn_on": self.withdrawn_on,
            "recorded_at": self.recorded_at,
            "scopes": list(self.scopes),
            "reports": list(self.reports),
        }

    def trusted_comment(self) -> str:
        return f"kpfield consent withdrawal {self.notice_id} witness {self.witness_id}"


def sign_withdrawal(w: Withdrawal, signer: Signer) -> bytes:
    return sign_document(
        KIND,
        w.doc(),
        signer,
        trusted=w.trusted_comment(),
        untrusted="KP Field consent withdrawal notice",
    )


def _check(doc: dict[str, Any]) -> Withdrawal:
    scopes = doc["scopes"]
    reports = doc["reports"]
    if (
        set(doc) != _KEYS
        or not _UUID.match(doc["notice_id"])
        or not _HEX16.match(doc["device_id"])
        or not _UUID.match(doc["witness_id"])
        or not _DATE.match(doc["withdrawn_on"])
        or not isinstance(doc["recorded_at"], str)
        or len(doc["recorded_at"]) > 40
        or not isinstance(scopes, list)
        or not scopes
        or scopes != [s for s in SCOPE_NAMES if s in scopes]
        or not isinstance(reports, list)
        or len(reports) > 20_000
        or not all(isinstance(r, str) and _UUID.match(r) for r in reports)
    ):
        raise ValueError
    return Withdrawal(
        notice_id=doc["notice_id"],
        device_id=doc["device_id"],
        witness_id=doc["witness_id"],
        withdrawn_on=doc["withdrawn_on"],
        recorded_at=doc["recorded_at"],
        scopes=tuple(scopes),
        reports=tuple(reports),
    )


def parse_withdrawal(
    data: bytes, device_key: minisign.MinisignPublicKey
) -> tuple[Withdrawal, SignedDocument]:
    """Parse a notice and verify it with the device's enrolled key; raises IntegrityError."""
    signed, view = parse_document(
        data,
        kind=KIND,
        format=FORMAT,
        max_bytes=MAX_NOTICE_BYTES,
        too_large=N_("a consent withdrawal notice in it is too large"),
        invalid=N_("a consent withdrawal notice in it is malformed"),
        strict_canonical=True,
        check=_check,
    )
    assert view is not None  # noqa: S101 - check= always returns a view
    signed.verify(
        device_key, N_("a consent withdrawal notice in it does not verify with the device key")
    )
    if view.device_id != device_key.key_id.hex():
        raise IntegrityError(N_("a consent withdrawal notice in it names another device"))
    return view, signed
