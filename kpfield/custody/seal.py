"""Seal signatures: the device's Ed25519 key signs a sealed report's canonical JSON.

Signatures are minisign-format text (prehashed Ed25519, trusted comment), so anyone can check a
sealed report with ``minisign -V -p device.pub -m report.json -x report.json.minisig``.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization

from kpfield.crypto import keys, minisign
from kpfield.vault.vault import Vault


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
