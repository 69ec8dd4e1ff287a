"""The device's keys, and seal signatures: its Ed25519 key signs a sealed report's canonical JSON.

Signatures are minisign-format text (prehashed Ed25519, trusted comment), so anyone can check a
sealed report with ``minisign -V -p device.pub -m report.json -x report.json.minisig``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from kpfield.crypto import age, keys, minisign
from kpfield.protocol.signed import Signer
from kpfield.vault.db import transaction
from kpfield.vault.vault import Vault

_DEVICE_AGE_SECRET = "device_x25519"  # noqa: S105 - a row name, not a secret


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str  # hex of the minisign key id
    key_id: bytes
    public_key: bytes
    public_key_b64: str
    fingerprint: str


def device_identity(vault: Vault) -> DeviceIdentity:
    pub = vault.device_key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key_id = minisign.key_id_for(pub)
    return DeviceIdentity(
        device_id=key_id.hex(),
        key_id=key_id,
        public_key=pub,
        public_key_b64=base64.b64encode(pub).decode(),
        fingerprint=keys.fingerprint(pub),
    )


def device_signer(vault: Vault) -> Signer:
    """The device's seal key as a signer of protocol documents (enrollment requests)."""
    return Signer.from_key(vault.device_key)


def device_age_identity(vault: Vault) -> age.X25519Identity:
    """The field device's own age identity (made on first use), for receipts from HQ."""
    raw = vault.secret(_DEVICE_AGE_SECRET)
    if raw is None:
        ident = age.X25519Identity.generate()
        with transaction(vault.conn):
            vault.set_secret(_DEVICE_AGE_SECRET, keys.x25519_private_to_bytes(ident.private_key))
        return ident
    return age.X25519Identity(keys.x25519_private_from_bytes(raw))


def seal_signature(vault: Vault, data: bytes, *, report_id: str, version: int) -> str:
    ident = device_identity(vault)
    return minisign.sign(
        vault.device_key,
        ident.key_id,
        data,
        trusted_comment=f"kpfield sealed report {report_id} version {version}",
        untrusted_comment=f"KP Field seal by device {ident.device_id}",
    )


def verify_seal(public_key: bytes, signature: str, data: bytes) -> str:
    """Verify a seal; returns the trusted comment or raises CryptoError."""
    pk = minisign.MinisignPublicKey(key_id=minisign.key_id_for(public_key), public_key=public_key)
    return minisign.verify(pk, signature, data)
