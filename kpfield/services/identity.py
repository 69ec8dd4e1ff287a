"""This vault's device identity: the fingerprint a monitor reads aloud, its public key."""

from __future__ import annotations

from kpfield.crypto import minisign
from kpfield.custody.seal import DeviceIdentity, device_identity
from kpfield.vault.vault import Vault


class IdentityService:
    def __init__(self, vault: Vault) -> None:
        self._vault = vault

    def identity(self) -> DeviceIdentity:
        return device_identity(self._vault)

    def fingerprint(self) -> str:
        return self.identity().fingerprint

    def device_name(self) -> str:
        return self._vault.meta("device_name")

    def minisign_public_key(self) -> str:
        """The device's public key as a minisign ``.pub`` file (to verify seals by hand)."""
        ident = self.identity()
        return minisign.MinisignPublicKey(ident.key_id, ident.public_key).to_text(
            f"KP Field device {ident.device_id}"
        )
