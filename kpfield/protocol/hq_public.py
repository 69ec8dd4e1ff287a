"""The HQ public file: HQ's signing key and age recipients, public information only (unsigned).

Canonical JSON written by ``kpfield keys export-public`` and read by ``kpfield relay init``::

    {"format": "kpfield.hq-public/1", "signing_key": "<minisign RW... line>",
     "recipients": ["age1...", ...]}

It is not signed: whoever installs it compares the HQ fingerprint out of band, as for profiles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kpfield.crypto import age, keys, minisign
from kpfield.errors import N_, CryptoError, IntegrityError
from kpfield.protocol.canonical import canonical_json

FORMAT = "kpfield.hq-public/1"
MAX_HQ_PUBLIC_BYTES = 64 * 1024


@dataclass(frozen=True)
class HqPublic:
    signing_key: minisign.MinisignPublicKey
    recipients: tuple[str, ...]

    @property
    def key_id_hex(self) -> str:
        return self.signing_key.key_id.hex()

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.signing_key.public_key)

    def to_bytes(self) -> bytes:
        doc = {
            "format": FORMAT,
            "signing_key": self.signing_key.to_base64(),
            "recipients": list(self.recipients),
        }
        return canonical_json(doc) + b"\n"


def parse_hq_public(data: bytes) -> HqPublic:
    """Check an HQ public file's structure (keys parse; at least one recipient)."""
    if len(data) > MAX_HQ_PUBLIC_BYTES:
        raise IntegrityError(N_("The HQ public key file is too large."))
    try:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or set(raw) != {"format", "signing_key", "recipients"}:
            raise ValueError
        if raw["format"] != FORMAT or not isinstance(raw["signing_key"], str):
            raise ValueError
        recipients = raw["recipients"]
        if not isinstance(recipients, list) or not 1 <= len(recipients) <= 16:
            raise ValueError
        signing_key = minisign.parse_public_key(raw["signing_key"])
        parsed = tuple(age.parse_recipient(str(r)).to_string() for r in recipients)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError, CryptoError):
        raise IntegrityError(N_("This is not a valid KP Field HQ public key file.")) from None
    return HqPublic(signing_key, parsed)
