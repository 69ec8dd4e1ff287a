"""HQ's keys as the desk uses them: show, export an identity for safekeeping, drop the backup."""

from __future__ import annotations

from dataclasses import dataclass

from kpfield.hq import keys as hq_keys
from kpfield.protocol.hq_public import HqPublic
from kpfield.services.clock import Clock, iso
from kpfield.vault.vault import Vault

PRIMARY = hq_keys.PRIMARY
BACKUP = hq_keys.BACKUP


@dataclass(frozen=True)
class HqKeysSummary:
    signing_fingerprint: str
    signing_public_text: str
    recipients: list[str]
    identities_held: int


class HqKeyService:
    def __init__(self, vault: Vault, clock: Clock) -> None:
        self._vault = vault
        self._clock = clock

    def summary(self) -> HqKeysSummary:
        signer = hq_keys.hq_signer(self._vault)
        return HqKeysSummary(
            signing_fingerprint=signer.fingerprint,
            signing_public_text=signer.public.to_text("KP Field HQ signing key"),
            recipients=hq_keys.recipients(self._vault),
            identities_held=len(hq_keys.identities(self._vault)),
        )

    def public_file(self) -> bytes:
        """The HQ public file (signing key and recipients, nothing secret) for ``relay init``."""
        signer = hq_keys.hq_signer(self._vault)
        return HqPublic(signer.public, tuple(hq_keys.recipients(self._vault))).to_bytes()

    def identity_file(self, which: str) -> str:
        """An identity file the reference ``age`` accepts (SECRET)."""
        return hq_keys.identity_file(self._vault, which)

    def exported(self, which: str) -> None:
        """The identity was written out safely: a backup may now be removed from the vault."""
        if which == BACKUP:
            hq_keys.mark_backup_exported(self._vault, iso(self._clock.now()))

    def remove_backup(self) -> None:
        hq_keys.remove_backup_identity(self._vault)
