"""The coalition profile: HQ issues it, a field laptop verifies and installs it."""

from __future__ import annotations

import json

from kpfield.domain.jobs import Changes
from kpfield.errors import N_, UsageError
from kpfield.hq import profile as hq_profile
from kpfield.protocol.canonical import canonical_json
from kpfield.protocol.profile import Profile, check_update, parse_profile
from kpfield.services.clock import Clock, iso
from kpfield.vault.db import transaction
from kpfield.vault.vault import Vault

PROFILE_CHANGED = Changes(profile=True)


class FieldProfileService:
    """The profile installed on this laptop (HQ's keys, the relay, taxonomy and policy)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    @staticmethod
    def parse(data: bytes) -> Profile:
        """Check a profile file (structure and self-signature) before asking the monitor."""
        return parse_profile(data)

    def installed(self) -> Profile | None:
        raw = self._vault.meta("profile_json")
        return Profile(json.loads(raw)) if raw else None

    def needs_fingerprint_check(self) -> bool:
        """The first profile is trusted only after the monitor compared HQ's fingerprint."""
        return self.installed() is None

    def install(self, data: bytes) -> Profile:
        """Verify and install a profile; a later one needs the same HQ key and no rollback."""
        profile = parse_profile(data)
        check_update(self.installed(), profile)
        with transaction(self._vault.conn):
            self._vault.set_meta("profile_json", canonical_json(profile.doc).decode("utf-8"))
            self._vault.set_meta(
                "taxonomy_json", json.dumps(profile.doc["taxonomy"], sort_keys=True)
            )
        return profile

    def require(self) -> Profile:
        profile = self.installed()
        if profile is None:
            raise UsageError(
                N_(
                    "No coalition profile is installed. Ask HQ for one, then install it with "
                    "Vault → Install coalition profile (or: kpfield profile import)."
                )
            )
        return profile


class HqProfileService:
    """HQ signs profiles for the laptops."""

    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    def export(
        self,
        *,
        relay_url: str | None = None,
        purge_after_acknowledgement: bool | None = None,
        idle_lock_minutes: int | None = None,
    ) -> tuple[bytes, Profile]:
        """A new signed profile file (the settings given are remembered) and what it says."""
        data = hq_profile.export_profile(
            self._vault,
            issued_at=iso(self._clock.now()),
            relay_url=relay_url,
            purge_after_acknowledgement=purge_after_acknowledgement,
            idle_lock_minutes=idle_lock_minutes,
        )
        return data, parse_profile(data)
