"""A witness's identifying details as they travel to HQ (``kpfield.identity/1``).

One bundle member ``identities/<witness-id>.json`` per witness whose consent allows HQ to hold
their identity and whose monitor chose to send it. Canonical JSON, covered by the signed manifest
(size and SHA-256 like every member), carrying the salt so HQ can recompute the salted hash that
the sealed reports it names commit to. HQ can delete it later without breaking any seal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from kpfield.domain.identity import identifying_doc, identity_commitment, is_salt
from kpfield.domain.models import IdentifyingDetails
from kpfield.errors import N_, BundleError
from kpfield.protocol.canonical import canonical_json

FORMAT = "kpfield.identity/1"
MAX_IDENTITY_BYTES = 1 << 20
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DETAIL_LIMITS = {"full_name": 300, "contact": 300, "address": 2000, "notes": 200_000}


@dataclass(frozen=True)
class TravellingIdentity:
    witness_id: str
    salt: str
    details: IdentifyingDetails
    reports: tuple[str, ...]  # the sealed reports (in the same bundle) whose hash it matches

    @property
    def commitment(self) -> str:
        return identity_commitment(self.salt, self.details)

    def to_bytes(self) -> bytes:
        return canonical_json(
            {
                "format": FORMAT,
                "witness_id": self.witness_id,
                "salt": self.salt,
                "identifying": identifying_doc(self.details),
                "reports": list(self.reports),
            }
        )


def _bad() -> BundleError:
    return BundleError(N_("a witness identity in it is malformed"))


def parse_identity(data: bytes) -> TravellingIdentity:
    """Strictly parse an identity member; raises :class:`BundleError`."""
    if len(data) > MAX_IDENTITY_BYTES:
        raise _bad()
    try:
        raw = json.loads(data.decode("utf-8"))
        if canonical_json(raw) != data:
            raise ValueError
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _bad() from None
    if not isinstance(raw, dict) or set(raw) != {
        "format",
        "witness_id",
        "salt",
        "identifying",
        "reports",
    }:
        raise _bad()
    details = raw["identifying"]
    reports = raw["reports"]
    if (
        raw["format"] != FORMAT
        or not isinstance(raw["witness_id"], str)
        or not _UUID.match(raw["witness_id"])
        or not is_salt(raw["salt"])
        or not isinstance(details, dict)
        or set(details) != set(_DETAIL_LIMITS)
        or not all(
            isinstance(details[k], str) and len(details[k]) <= n for k, n in _DETAIL_LIMITS.items()
        )
        or not isinstance(reports, list)
        or not 1 <= len(reports) <= 20_000
        or not all(isinstance(r, str) and _UUID.match(r) for r in reports)
        or len(set(reports)) != len(reports)
    ):
        raise _bad()
    return TravellingIdentity(
        witness_id=raw["witness_id"],
        salt=raw["salt"],
        details=IdentifyingDetails(**details),
        reports=tuple(reports),
    )
