"""What every part of the case service shares: the HQ vault, the clock, the desk's SQL."""

from __future__ import annotations

from kpfield.services.clock import Clock, iso
from kpfield.vault.desk_store import DeskStore
from kpfield.vault.vault import Vault


class CaseBase:
    """The vault and clock the listing, reading and review parts of :class:`CaseService` use."""

    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    @property
    def _store(self) -> DeskStore:
        return DeskStore(self._vault.conn)

    def _now(self) -> str:
        return iso(self._clock.now())
