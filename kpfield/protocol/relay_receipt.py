"""Relay receipts: the relay's signed statement that it holds a whole bundle, durably.

Canonical JSON ``{"receipt": {...}, "signature": "<minisign text>"}``, signed with the relay's
own Ed25519 key (made by ``kpfield relay init``); the signature covers the canonical JSON of::

    {"format": "kpfield.relay-receipt/1", "relay_key_id": "<16 hex>", "bundle_id": "<64 hex>",
     "device_id": "<16 hex>", "sequence": 12, "size": 1048576, "received_at": "<RFC 3339 UTC>"}

A receipt says the relay received the bundle, not that HQ read it (that is HQ's acknowledgement).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import minisign
from kpfield.errors import N_
from kpfield.protocol.signed import Signer, parse_document, sign_document

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
    signer = Signer(key, minisign.MinisignPublicKey.from_private(key, key_id))
    return sign_document(
        "receipt",
        doc,
        signer,
        trusted=f"kpfield relay receipt {bundle_id}",
        untrusted="KP Field relay receipt",
    )


def _checker(relay_key: minisign.MinisignPublicKey) -> Callable[[dict[str, Any]], None]:
    def check(doc: dict[str, Any]) -> None:
        if set(doc) != _KEYS:
            raise ValueError
        ints = (doc["sequence"], doc["size"])
        if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in ints):
            raise ValueError
        if not _HEX64.match(str(doc["bundle_id"])) or not _HEX16.match(str(doc["device_id"])):
            raise ValueError
        if doc["relay_key_id"] != relay_key.key_id.hex():
            raise ValueError

    return check


def parse_receipt(data: bytes, relay_key: minisign.MinisignPublicKey) -> RelayReceipt:
    """Check a relay receipt's structure and its signature by ``relay_key``."""
    signed, _ = parse_document(
        data,
        kind="receipt",
        format=FORMAT,
        max_bytes=MAX_RECEIPT_BYTES,
        too_large=N_("The relay receipt is too large."),
        invalid=N_("This is not a valid KP Field relay receipt."),
        check=_checker(relay_key),
    )
    signed.verify(relay_key, N_("The relay receipt's signature does not verify."))
    doc = signed.doc
    return RelayReceipt(
        str(doc["bundle_id"]),
        str(doc["device_id"]),
        int(doc["sequence"]),
        int(doc["size"]),
        str(doc["received_at"]),
        str(doc["relay_key_id"]),
        data,
    )
