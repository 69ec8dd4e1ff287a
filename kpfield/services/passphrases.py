"""Passphrases of an open vault: change it, set or remove the duress one, limit failed unlocks."""

from __future__ import annotations

from kpfield.domain.jobs import Changes
from kpfield.vault import keyslots
from kpfield.vault.vault import Vault

SETTINGS_CHANGED = Changes(settings=True)


class PassphraseService:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def change(self, old: str, new: str) -> Changes:
        self._vault.change_passphrase(old, new)
        return SETTINGS_CHANGED

    def set_duress(self, current: str, duress: str | None) -> Changes:
        """``duress=None`` removes it."""
        self._vault.set_duress_passphrase(current, duress)
        return SETTINGS_CHANGED

    def set_failed_unlock_limit(self, limit: int) -> Changes:
        self._vault.set_failed_unlock_limit(limit)
        return SETTINGS_CHANGED

    def failed_unlock_limit(self) -> int:
        """Erase after this many failed unlocks in a row (0: no limit)."""
        return keyslots.read(self._vault.paths.keyslots).max_failed
