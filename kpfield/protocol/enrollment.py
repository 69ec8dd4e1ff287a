"""Device enrollment requests: a field laptop asks, HQ compares the fingerprint and pins the key.

A request file is ``{"request": {...}, "signature": "<minisign text>"}`` signed by the device key
itself (proof that the sender holds it). It also carries the device's own age recipient, to which
HQ encrypts the receipts it writes back.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from kpfield.crypto import age, keys, minisign
from kpfield.errors import N_
from kpfield.protocol.signed import Signer, parse_document, sign_document

FORMAT = "kpfield.enroll/1"
MAX_REQUEST_BYTES = 64 << 10
MAX_NAME_CHARS = 64
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class EnrollRequest:
    device_id: str
    public_key: bytes
    name: str
    age_recipient: str
    created_at: str

    @property
    def fingerprint(self) -> str:
        return keys.fingerprint(self.public_key)


def build_request(device: Signer, *, name: str, age_recipient: str, created_at: str) -> bytes:
    """The signed enrollment request of a field device (``device`` is its seal key)."""
    device_id = device.key_id_hex
    doc = {
        "format": FORMAT,
        "device_id": device_id,
        "public_key": base64.b64encode(device.public.public_key).decode("ascii"),
        "fingerprint": device.fingerprint,
        "name": name,
        "age_recipient": age_recipient,
        "created_at": created_at,
    }
    return (
        sign_document(
            "request",
            doc,
            device,
            trusted=f"kpfield enrollment request {device_id}",
            untrusted="KP Field enrollment request",
        )
        + b"\n"
    )


def plain_name(value: Any) -> str:
    """A device name safe to print next to a fingerprint: no control or invisible characters
    (a crafted name could otherwise draw a fake fingerprint line on the terminal)."""
    if not isinstance(value, str) or len(value) > MAX_NAME_CHARS or not value.isprintable():
        raise ValueError
    return value


def _check(doc: dict[str, Any]) -> EnrollRequest:
    pub = base64.b64decode(doc["public_key"], validate=True)
    req = EnrollRequest(
        device_id=str(doc["device_id"]),
        public_key=pub,
        name=plain_name(doc["name"]),
        age_recipient=age.parse_recipient(str(doc["age_recipient"])).to_string(),
        created_at=str(doc["created_at"])[:40],
    )
    if minisign.key_id_for(pub).hex() != req.device_id or not _HEX16.match(req.device_id):
        raise ValueError
    minisign.MinisignPublicKey(minisign.key_id_for(pub), pub)  # a 32-byte key, or malformed
    return req


def parse_request(data: bytes) -> EnrollRequest:
    """Check an enrollment request's structure and self-signature."""
    signed, req = parse_document(
        data,
        kind="request",
        format=FORMAT,
        max_bytes=MAX_REQUEST_BYTES,
        too_large=N_("The enrollment request is too large."),
        invalid=N_("This is not a valid KP Field enrollment request."),
        check=_check,
    )
    assert req is not None  # noqa: S101 - _check returns the request or raises
    public = minisign.MinisignPublicKey(minisign.key_id_for(req.public_key), req.public_key)
    signed.verify(public, N_("The enrollment request's signature does not verify; it was altered."))
    return req
