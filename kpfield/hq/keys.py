"""HQ keys: primary and backup age X25519 identities and the HQ Ed25519 signing key."""

from __future__ import annotations

from kpfield.vault.vault import Vault


def provision_hq_keys(vault: Vault) -> None:
    """Create the coalition's keys inside a new HQ vault."""
    del vault
