"""Enrollment: a laptop writes its request; HQ compares the fingerprint, approves or revokes."""

from __future__ import annotations

from kpfield.custody.seal import device_age_identity, device_signer
from kpfield.domain.jobs import Changes
from kpfield.hq import devices
from kpfield.hq.devices import Device
from kpfield.protocol.device_list import DeviceEntry, entry
from kpfield.protocol.enrollment import EnrollRequest, build_request, parse_request
from kpfield.services.clock import Clock, iso
from kpfield.services.enrollment_state import EnrollmentState, read_state
from kpfield.vault.hq_store import HqStore
from kpfield.vault.vault import Vault

DEVICES_CHANGED = Changes(devices=True)


class FieldEnrollmentService:
    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    def request(self) -> tuple[bytes, str]:
        """This laptop's signed enrollment request, and the fingerprint to read to HQ."""
        signer = device_signer(self._vault)
        data = build_request(
            signer,
            name=self._vault.meta("device_name"),
            age_recipient=device_age_identity(self._vault).recipient.to_string(),
            created_at=iso(self._clock.now()),
        )
        return data, signer.fingerprint

    def state(self) -> EnrollmentState:
        """Whether HQ enrolled this laptop, as far as it knows, and how it learned it."""
        return read_state(self._vault)

    def device_name(self) -> str:
        return self._vault.meta("device_name")


class DeviceService:
    """HQ's enrolled devices."""

    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    @staticmethod
    def parse_request(data: bytes) -> EnrollRequest:
        return parse_request(data)

    def approve(self, request: EnrollRequest) -> Device:
        """Pin the device's key; call only after its fingerprint was compared out of band."""
        return devices.approve(self._vault, request, iso(self._clock.now()))

    def revoke(self, device: str) -> Device:
        return devices.revoke(self._vault, device, iso(self._clock.now()))

    def find(self, device: str) -> Device | None:
        return devices.find_device(self._vault, device, missing_ok=True)

    def enrolled(self) -> list[Device]:
        return devices.list_devices(self._vault)

    def device_list_entries(self) -> list[DeviceEntry]:
        """Every enrolled device as the relay's device list names it (revoked ones marked)."""
        return [entry(d.public_key, d.revoked_at) for d in self.enrolled()]

    def age_recipient(self, device_id: str) -> str | None:
        dev = self.find(device_id)
        return None if dev is None or dev.device_id != device_id else dev.age_recipient

    def gaps(self) -> dict[str, list[int]]:
        """Missing bundle numbers per device."""
        return HqStore(self._vault.conn).gaps()
