"""Device enrollment: a field laptop asks, HQ compares the fingerprint out of band and pins the key.

A request file is canonical JSON ``{"request": {...}, "signature": "<minisign text>"}`` signed by
the device key itself (proof that the sender holds it). It also carries the device's own age
recipient, to which HQ encrypts the receipts it writes back to a stick.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

from kpfield.crypto import age, keys, minisign
from kpfield.custody.canonical import canonical_json
from kpfield.custody.seal import device_identity
from kpfield.errors import (
    N_,
    CryptoError,
    IntegrityError,
    NotFound,
    StateError,
    UsageError,
    ValidationError,
)
from kpfield.hq.keys import require_field, require_hq
from kpfield.vault.db import transaction
from kpfield.vault.vault import Vault

FORMAT = "kpfield.enroll/1"
MAX_REQUEST_BYTES = 64 << 10
_DEVICE_AGE_SECRET = "device_x25519"  # noqa: S105 - a row name, not a secret
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


@dataclass(frozen=True)
class Device:
    device_id: str
    name: str
    fingerprint: str
    public_key: bytes
    age_recipient: str
    enrolled_at: str
    revoked_at: str | None


def device_age_identity(vault: Vault) -> age.X25519Identity:
    """The field device's own age identity (made on first use), for receipts from HQ."""
    raw = vault.secret(_DEVICE_AGE_SECRET)
    if raw is None:
        ident = age.X25519Identity.generate()
        with transaction(vault.conn):
            vault.set_secret(_DEVICE_AGE_SECRET, keys.x25519_private_to_bytes(ident.private_key))
        return ident
    return age.X25519Identity(keys.x25519_private_from_bytes(raw))


def make_request(vault: Vault, created_at: str) -> bytes:
    """The signed enrollment request of this field device."""
    require_field(vault)
    ident = device_identity(vault)
    doc = {
        "format": FORMAT,
        "device_id": ident.device_id,
        "public_key": ident.public_key_b64,
        "fingerprint": ident.fingerprint,
        "name": vault.meta("device_name"),
        "age_recipient": device_age_identity(vault).recipient.to_string(),
        "created_at": created_at,
    }
    signature = minisign.sign(
        vault.device_key,
        ident.key_id,
        canonical_json(doc),
        trusted_comment=f"kpfield enrollment request {ident.device_id}",
        untrusted_comment="KP Field enrollment request",
    )
    return canonical_json({"request": doc, "signature": signature}) + b"\n"


def _plain_name(value: Any) -> str:
    """A device name safe to print next to a fingerprint: no control or invisible characters
    (a crafted name could otherwise draw a fake fingerprint line on the terminal)."""
    if not isinstance(value, str) or len(value) > 64 or not value.isprintable():
        raise ValueError
    return value


def parse_request(data: bytes) -> EnrollRequest:
    """Check an enrollment request's structure and self-signature."""
    if len(data) > MAX_REQUEST_BYTES:
        raise IntegrityError(N_("The enrollment request is too large."))
    try:
        raw = json.loads(data.decode("utf-8"))
        doc: dict[str, Any] = raw["request"]
        if set(raw) != {"request", "signature"} or doc.get("format") != FORMAT:
            raise ValueError
        pub = base64.b64decode(doc["public_key"], validate=True)
        req = EnrollRequest(
            device_id=str(doc["device_id"]),
            public_key=pub,
            name=_plain_name(doc["name"]),
            age_recipient=age.parse_recipient(str(doc["age_recipient"])).to_string(),
            created_at=str(doc["created_at"])[:40],
        )
        key_id = minisign.key_id_for(pub)
        if key_id.hex() != req.device_id or not _HEX16.match(req.device_id):
            raise ValueError
        minisign.verify(
            minisign.MinisignPublicKey(key_id, pub), str(raw["signature"]), canonical_json(doc)
        )
    except CryptoError:
        raise IntegrityError(
            N_("The enrollment request's signature does not verify; it was altered.")
        ) from None
    except (
        UnicodeDecodeError,
        ValueError,
        KeyError,
        TypeError,
        AttributeError,
        RecursionError,
        ValidationError,
    ):
        raise IntegrityError(N_("This is not a valid KP Field enrollment request.")) from None
    return req


def approve(vault: Vault, req: EnrollRequest, at: str) -> Device:
    """Pin a device key at HQ (after the fingerprint was compared out of band)."""
    require_hq(vault)
    existing = find_device(vault, req.device_id, missing_ok=True)
    if existing is not None:
        if existing.revoked_at:
            raise StateError(N_("This device was revoked; it cannot be enrolled again."))
        return existing
    with transaction(vault.conn):
        vault.conn.execute(
            "INSERT INTO hq_devices(device_id, public_key, age_recipient, name, fingerprint,"
            " enrolled_at) VALUES (?,?,?,?,?,?)",
            (req.device_id, req.public_key, req.age_recipient, req.name, req.fingerprint, at),
        )
    return find_device(vault, req.device_id)  # type: ignore[return-value]


def _row(r: Any) -> Device:
    return Device(r[0], r[1], r[2], bytes(r[3]), r[4], r[5], r[6])


_COLS = "device_id, name, fingerprint, public_key, age_recipient, enrolled_at, revoked_at"


def find_device(vault: Vault, prefix: str, *, missing_ok: bool = False) -> Device | None:
    """A device by id or unambiguous id prefix (at least 4 hex digits)."""
    prefix = prefix.strip().lower()
    rows = (
        vault.conn.execute(
            f"SELECT {_COLS} FROM hq_devices WHERE device_id LIKE ? || '%' LIMIT 2",  # noqa: S608
            (prefix,),
        ).fetchall()
        if re.fullmatch(r"[0-9a-f]{4,16}", prefix)
        else []
    )
    if len(rows) == 1:
        return _row(rows[0])
    if missing_ok and not rows:
        return None
    if rows:
        raise UsageError(N_("The device id {id} matches more than one device."), id=prefix)
    raise NotFound(N_("No enrolled device has the id {id}."), id=prefix)


def list_devices(vault: Vault) -> list[Device]:
    require_hq(vault)
    return [
        _row(r)
        for r in vault.conn.execute(f"SELECT {_COLS} FROM hq_devices ORDER BY enrolled_at")  # noqa: S608
    ]


def revoke(vault: Vault, prefix: str, at: str) -> Device:
    """Stop accepting new bundles from a device (already imported reports stay)."""
    require_hq(vault)
    dev = find_device(vault, prefix)
    if dev is None:  # pragma: no cover - find_device raises when missing_ok is False
        raise NotFound(N_("No enrolled device has the id {id}."), id=prefix)
    if dev.revoked_at is None:
        with transaction(vault.conn):
            vault.conn.execute(
                "UPDATE hq_devices SET revoked_at = ? WHERE device_id = ?", (at, dev.device_id)
            )
    return find_device(vault, dev.device_id)  # type: ignore[return-value]
