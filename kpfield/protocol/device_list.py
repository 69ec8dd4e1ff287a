"""The HQ-signed device list: which device keys the relay accepts, and which are revoked.

A device list file is canonical JSON ``{"device_list": {...}, "signature": "<minisign text>"}``;
the HQ signing key signs the canonical JSON of ``device_list``::

    {"format": "kpfield.devices/1", "serial": 7, "issued_at": "2025-01-02T03:04:05Z",
     "devices": [{"device_id": "<16 hex>", "public_key": "<base64 raw Ed25519>",
                  "revoked": false, "revoked_at": null}, ...]}

``device_id`` is the hex of the key's minisign key id (BLAKE2b-512 of the key, first 8 bytes), so
an entry cannot name one device and carry another's key. A holder accepts only a list whose serial
is higher than the one it holds (no rollback to a list from before a revocation).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import minisign
from kpfield.errors import N_
from kpfield.protocol.signed import Signer, parse_document, sign_document

FORMAT = "kpfield.devices/1"
MAX_DEVICE_LIST_BYTES = 4 << 20
MAX_DEVICES = 20_000
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_ENTRY_KEYS = {"device_id", "public_key", "revoked", "revoked_at"}
_DOC_KEYS = {"format", "serial", "issued_at", "devices"}


@dataclass(frozen=True)
class DeviceEntry:
    device_id: str
    public_key: bytes
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "device_id": self.device_id,
            "public_key": base64.b64encode(self.public_key).decode("ascii"),
            "revoked": self.revoked,
            "revoked_at": self.revoked_at,
        }


@dataclass(frozen=True)
class DeviceList:
    serial: int
    issued_at: str
    devices: dict[str, DeviceEntry]
    raw: bytes  # the file as received, to hand on unchanged

    def get(self, device_id: str) -> DeviceEntry | None:
        return self.devices.get(device_id)


def entry(public_key: bytes, revoked_at: str | None = None) -> DeviceEntry:
    """A device list entry for a raw Ed25519 public key."""
    return DeviceEntry(minisign.key_id_for(public_key).hex(), public_key, revoked_at)


def make_device_list(
    key: Ed25519PrivateKey,
    key_id: bytes,
    *,
    serial: int,
    issued_at: str,
    devices: Iterable[DeviceEntry],
) -> bytes:
    """Sign and return a device list file (HQ)."""
    doc = {
        "format": FORMAT,
        "serial": serial,
        "issued_at": issued_at,
        "devices": sorted((d.to_json() for d in devices), key=lambda d: str(d["device_id"])),
    }
    signer = Signer(key, minisign.MinisignPublicKey.from_private(key, key_id))
    return (
        sign_document(
            "device_list",
            doc,
            signer,
            trusted=f"kpfield device list serial {serial}",
            untrusted="KP Field device list",
        )
        + b"\n"
    )


def _parse_entry(raw: Any) -> DeviceEntry:
    if not isinstance(raw, dict) or set(raw) != _ENTRY_KEYS:
        raise ValueError
    pub = base64.b64decode(raw["public_key"], validate=True)
    device_id, revoked, revoked_at = raw["device_id"], raw["revoked"], raw["revoked_at"]
    if (
        not isinstance(device_id, str)
        or not _HEX16.match(device_id)
        or not isinstance(revoked, bool)
    ):
        raise ValueError
    if minisign.key_id_for(pub).hex() != device_id:
        raise ValueError
    if revoked != (revoked_at is not None):
        raise ValueError
    if revoked_at is not None and (not isinstance(revoked_at, str) or len(revoked_at) > 40):
        raise ValueError
    return DeviceEntry(device_id, pub, revoked_at)


def _check(doc: dict[str, Any]) -> tuple[int, str, dict[str, DeviceEntry]]:
    if set(doc) != _DOC_KEYS:
        raise ValueError
    serial, issued_at, items = doc["serial"], doc["issued_at"], doc["devices"]
    if not isinstance(serial, int) or isinstance(serial, bool) or serial < 1:
        raise ValueError
    if not isinstance(issued_at, str) or len(issued_at) > 40:
        raise ValueError
    if not isinstance(items, list) or len(items) > MAX_DEVICES:
        raise ValueError
    devices: dict[str, DeviceEntry] = {}
    for item in items:
        dev = _parse_entry(item)
        if dev.device_id in devices:
            raise ValueError
        devices[dev.device_id] = dev
    return serial, issued_at, devices


def parse_device_list(data: bytes, hq_key: minisign.MinisignPublicKey) -> DeviceList:
    """Check a device list file's structure and its signature by ``hq_key``."""
    signed, view = parse_document(
        data,
        kind="device_list",
        format=FORMAT,
        max_bytes=MAX_DEVICE_LIST_BYTES,
        too_large=N_("The device list is too large."),
        invalid=N_("This is not a valid KP Field device list."),
        check=_check,
    )
    assert view is not None  # noqa: S101 - _check returns the view or raises
    signed.verify(
        hq_key, N_("The device list's signature does not verify with the HQ key; it was refused.")
    )
    serial, issued_at, devices = view
    return DeviceList(serial, issued_at, devices, data)
