"""The sealed commitment to a witness's identifying details: a salted SHA-256, and its salt.

The sealed report holds only ``identity_sha256``; the details and the salt stay on the laptop and
travel to HQ (as a separate bundle member) only when consent allows and the monitor chose to.
Without the salt the hash reveals nothing guessable (a phone number has few possible values).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets

from kpfield.domain.models import IdentifyingDetails

SALT_BYTES = 32
_SALT = re.compile(r"^[0-9a-f]{64}$")


def new_salt() -> str:
    return secrets.token_hex(SALT_BYTES)


def is_salt(value: object) -> bool:
    return isinstance(value, str) and bool(_SALT.match(value))


def identifying_doc(i: IdentifyingDetails) -> dict[str, str]:
    return {"full_name": i.full_name, "contact": i.contact, "address": i.address, "notes": i.notes}


def details_bytes(i: IdentifyingDetails) -> bytes:
    """The canonical JSON of the details (text values only, so this equals protocol.canonical)."""
    return json.dumps(
        identifying_doc(i), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def identity_commitment(salt_hex: str, details: IdentifyingDetails) -> str:
    """``SHA-256(salt ‖ canonical JSON of the details)``, lowercase hex."""
    if not is_salt(salt_hex):
        raise ValueError("an identity salt is 32 bytes of lowercase hex")
    return hashlib.sha256(bytes.fromhex(salt_hex) + details_bytes(details)).hexdigest()
