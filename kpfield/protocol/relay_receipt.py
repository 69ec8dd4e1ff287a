"""Relay receipts: the relay's signed statement that it holds a whole bundle, durably.

Canonical JSON ``{"receipt": {...}, "signature": "<minisign text>"}``, signed with the relay's
own Ed25519 key (made by ``kpfield relay init``); the signature covers the canonical JSON of::

    {"format": "kpfield.relay-receipt/1", "relay_key_id": "<16 hex>", "bundle_id": "<64 hex>",
     "device_id": "<16 hex>", "sequence": 12, "size": 1048576, "received_at": "<RFC 3339 UTC>"}

A receipt says the relay received the bundle, not that HQ read it (that is HQ's acknowledgement).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import minisign
from kpfield.errors import N_, CryptoError, IntegrityError, ValidationError
from kpfield.protocol.canonical import canonical_json

FORMAT = "kpfield.relay-receipt/1"
MAX_RECEIPT_BYTES = 8 * 1024
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KEYS = {"format", "relay_key_id", "bundle_id", "device_id", "sequence", "size", "received_at"}


@dataclass(frozen=True)
class RelayReceipt:
    bundle_id: str
    device_id: str
    sequence: int
    size: int
    received_at: str
    relay_key_id: str
    raw: bytes


def make_receipt(
    key: Ed25519PrivateKey,
    key_id: bytes,
    *,
    bundle_id: str,
    device_id: str,
    sequence: int,
    size: int,
    received_at: str,
) -> bytes:
    doc: dict[str, Any] = {
        "format": FORMAT,
        "relay_key_id": key_id.hex(),
        "bundle_id": bundle_id,
        "device_id": device_id,
        "sequence": sequence,
        "size": size,
        "received_at": received_at,
    }
    signature = minisign.sign(
        key,
        key_id,
        canonical_json(doc),
        trusted_comment=f"kpfield relay receipt {bundle_id}",
        untrusted_comment="KP Field relay receipt",
    )
    return canonical_json({"receipt": doc, "signature": signature})


def parse_receipt(data: bytes, relay_key: minisign.MinisignPublicKey) -> RelayReceipt:
    """Check a relay receipt's structure and its signature by ``relay_key``."""
    if len(data) > MAX_RECEIPT_BYTES:
        raise IntegrityError(N_("The relay receipt is too large."))
    try:
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict) or set(raw) != {"receipt", "signature"}:
            raise ValueError
        doc, signature = raw["receipt"], raw["signature"]
        if not isinstance(doc, dict) or set(doc) != _KEYS or doc["format"] != FORMAT:
            raise ValueError
        ints = (doc["sequence"], doc["size"])
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in ints):
            raise ValueError
        if not _HEX64.match(str(doc["bundle_id"])) or not _HEX16.match(str(doc["device_id"])):
            raise ValueError
        if doc["relay_key_id"] != relay_key.key_id.hex() or not isinstance(signature, str):
            raise ValueError
        body = canonical_json(doc)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError, ValidationError):
        raise IntegrityError(N_("This is not a valid KP Field relay receipt.")) from None
    try:
        minisign.verify(relay_key, signature, body)
    except CryptoError:
        raise IntegrityError(N_("The relay receipt's signature does not verify.")) from None
    return RelayReceipt(
        str(doc["bundle_id"]),
        str(doc["device_id"]),
        int(doc["sequence"]),
        int(doc["size"]),
        str(doc["received_at"]),
        str(doc["relay_key_id"]),
        data,
    )
