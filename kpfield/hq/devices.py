"""Enrolled field devices at HQ: pin a key after comparing its fingerprint, find, list, revoke."""

from __future__ import annotations

from kpfield.errors import N_, NotFound, StateError, UsageError
from kpfield.hq import audit
from kpfield.protocol.enrollment import EnrollRequest
from kpfield.vault.db import transaction
from kpfield.vault.hq_store import Device, HqStore
from kpfield.vault.vault import Vault

__all__ = ["Device", "approve", "find_device", "list_devices", "revoke"]


def approve(vault: Vault, req: EnrollRequest, at: str) -> Device:
    """Pin a device key at HQ (after the fingerprint was compared out of band)."""
    existing = find_device(vault, req.device_id, missing_ok=True)
    if existing is not None:
        if existing.revoked_at:
            raise StateError(N_("This device was revoked; it cannot be enrolled again."))
        return existing
    device = Device(
        req.device_id, req.name, req.fingerprint, req.public_key, req.age_recipient, at, None
    )
    with transaction(vault.conn):
        HqStore(vault.conn).add_device(device)
        audit.append(vault.conn, "device_approved", at, None, _who(device))
    return device


def _who(d: Device) -> dict[str, str]:
    return {"device": d.device_id, "name": d.name, "fingerprint": d.fingerprint}


def find_device(vault: Vault, prefix: str, *, missing_ok: bool = False) -> Device | None:
    """A device by id or unambiguous id prefix (at least 4 hex digits)."""
    prefix = prefix.strip().lower()
    rows = HqStore(vault.conn).devices_matching(prefix)
    if len(rows) == 1:
        return rows[0]
    if missing_ok and not rows:
        return None
    if rows:
        raise UsageError(N_("The device id {id} matches more than one device."), id=prefix)
    raise NotFound(N_("No enrolled device has the id {id}."), id=prefix)


def list_devices(vault: Vault) -> list[Device]:
    return HqStore(vault.conn).devices()


def revoke(vault: Vault, prefix: str, at: str) -> Device:
    """Stop accepting new bundles from a device (already imported reports stay)."""
    dev = find_device(vault, prefix)
    if dev is None:  # pragma: no cover - find_device raises when missing_ok is False
        raise NotFound(N_("No enrolled device has the id {id}."), id=prefix)
    if dev.revoked_at is None:
        with transaction(vault.conn):
            HqStore(vault.conn).revoke_device(dev.device_id, at)
            audit.append(vault.conn, "device_revoked", at, None, _who(dev))
    found = find_device(vault, dev.device_id)
    assert found is not None  # noqa: S101 - it was found a moment ago
    return found
