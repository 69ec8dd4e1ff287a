"""What this laptop knows of its own enrollment at HQ, and how it learned it (Qt-free).

The laptop cannot ask HQ directly; it learns from three things, each kept with its source so a
screen can say where the knowledge comes from:

* an HQ receipt that verified with the HQ key and names this device: HQ imports bundles only
  from devices it enrolled, so the laptop was enrolled when HQ wrote it (USB or sync);
* the HQ-signed device list the relay hands out (sync): it names this device, revoked or not;
  a list older than the one already applied is ignored (no rollback past a revocation);
* the relay's refusal (``unknown_device`` / ``revoked``): not signed by HQ, so it is only ever
  recorded as "the relay says so", and it never turns a revocation back into an enrollment.

Nothing here is a security decision: HQ and the relay enforce enrollment. This is what the
monitor is told, and it must be true.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kpfield.protocol.device_list import DeviceList
from kpfield.vault.vault import Vault


class Enrollment(enum.StrEnum):
    NOT_ENROLLED = "not_enrolled"
    ENROLLED = "enrolled"
    REVOKED = "revoked"


class Source(enum.StrEnum):
    NONE = ""
    RECEIPT = "receipt"
    DEVICE_LIST = "device_list"
    RELAY = "relay"
    """The relay's own (unsigned) answer to a request."""


_STATUS, _SOURCE, _AT, _SERIAL = (
    "enrollment_status",
    "enrollment_source",
    "enrollment_at",
    "enrollment_list_serial",
)


@dataclass(frozen=True)
class EnrollmentState:
    status: Enrollment
    source: Source
    at: str
    """When the laptop learned it (vault time, ISO); "" if never."""

    @property
    def enrolled(self) -> bool:
        return self.status is Enrollment.ENROLLED


def read_state(vault: Vault) -> EnrollmentState:
    try:
        status = Enrollment(vault.meta(_STATUS, Enrollment.NOT_ENROLLED.value))
        source = Source(vault.meta(_SOURCE))
    except ValueError:  # written by a newer version: say nothing we cannot stand behind
        return EnrollmentState(Enrollment.NOT_ENROLLED, Source.NONE, "")
    return EnrollmentState(status, source, vault.meta(_AT))


def _write(vault: Vault, status: Enrollment, source: Source, at: str) -> bool:
    before = read_state(vault)
    if (before.status, before.source) == (status, source):
        return False
    vault.set_meta(_STATUS, status.value)
    vault.set_meta(_SOURCE, source.value)
    vault.set_meta(_AT, at)
    return True


def note_receipt(vault: Vault, at: str) -> bool:
    """A verified HQ receipt for this device arrived (call inside the caller's transaction).

    A receipt for a bundle sent before a revocation may arrive after it: it never undoes one."""
    if read_state(vault).status is Enrollment.REVOKED:
        return False
    return _write(vault, Enrollment.ENROLLED, Source.RECEIPT, at)


def note_device_list(vault: Vault, listed: DeviceList, device_id: str, at: str) -> bool:
    """Apply a verified device list (call inside the caller's transaction); True if it changed.

    A list that does not name this device changes nothing: HQ may not have published it since
    enrolling the laptop, and a receipt may already have said more."""
    stored = vault.meta(_SERIAL)
    if stored.isdigit() and listed.serial < int(stored):
        return False
    vault.set_meta(_SERIAL, str(listed.serial))
    entry = listed.get(device_id)
    if entry is None:
        return False
    status = Enrollment.REVOKED if entry.revoked else Enrollment.ENROLLED
    return _write(vault, status, Source.DEVICE_LIST, at)


def note_relay_refusal(vault: Vault, code: str, at: str) -> bool:
    """The relay refused this device (``revoked``); only ever recorded as the relay's word."""
    if code != "revoked":
        return False  # "unknown_device": the relay may hold an old list; keep what we know
    return _write(vault, Enrollment.REVOKED, Source.RELAY, at)
