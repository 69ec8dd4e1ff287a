"""HQ keys: primary and backup age X25519 identities and the HQ Ed25519 signing key.

All three are created with the HQ vault and kept in its encrypted ``secrets`` table. The backup
identity can be exported to a file for offline safekeeping and then removed from the vault; its
recipient stays in the profile so field devices keep encrypting to it. Callers hold an HQ session
(the role is checked once, when the session is built).
"""

from __future__ import annotations

import logging

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import age, keys
from kpfield.errors import N_, StateError, UsageError
from kpfield.protocol.signed import Signer
from kpfield.vault.db import transaction
from kpfield.vault.vault import Vault

log = logging.getLogger(__name__)

PRIMARY = "primary"
BACKUP = "backup"
_SECRET = {PRIMARY: "hq_age_primary", BACKUP: "hq_age_backup"}
_RECIPIENT_META = {PRIMARY: "hq_age_primary_recipient", BACKUP: "hq_age_backup_recipient"}
_SIGNING_SECRET = "hq_ed25519"  # noqa: S105 - a row name, not a secret
_BACKUP_EXPORTED = "hq_age_backup_exported_at"


def provision_hq_keys(vault: Vault) -> None:
    """Create the coalition's keys inside a new HQ vault."""
    if vault.secret(_SIGNING_SECRET) is not None:
        return
    with transaction(vault.conn):
        for which in (PRIMARY, BACKUP):
            ident = age.X25519Identity.generate()
            vault.set_secret(_SECRET[which], keys.x25519_private_to_bytes(ident.private_key))
            vault.set_meta(_RECIPIENT_META[which], ident.recipient.to_string())
        vault.set_secret(
            _SIGNING_SECRET, keys.ed25519_private_to_bytes(Ed25519PrivateKey.generate())
        )
    log.info("HQ keys created")


def hq_signer(vault: Vault) -> Signer:
    raw = vault.secret(_SIGNING_SECRET)
    if raw is None:
        raise StateError(N_("This HQ vault has no signing key."))
    return Signer.from_key(keys.ed25519_private_from_bytes(raw))


def identities(vault: Vault) -> list[age.X25519Identity]:
    """The HQ age identities still held in the vault (primary first)."""
    out = []
    for which in (PRIMARY, BACKUP):
        raw = vault.secret(_SECRET[which])
        if raw is not None:
            out.append(age.X25519Identity(keys.x25519_private_from_bytes(raw)))
    return out


def recipients(vault: Vault) -> list[str]:
    """Every HQ recipient (primary and backup), even one whose identity was removed."""
    return [r for r in (vault.meta(_RECIPIENT_META[w]) for w in (PRIMARY, BACKUP)) if r]


def identity_file(vault: Vault, which: str) -> str:
    """An identity file the reference ``age`` CLI accepts (secret!)."""
    if which not in _SECRET:
        raise UsageError(N_("Choose the primary or the backup key."))
    raw = vault.secret(_SECRET[which])
    if raw is None:
        raise StateError(N_("The {which} key is no longer in this vault."), which=which)
    return age.format_identity_file(age.X25519Identity(keys.x25519_private_from_bytes(raw)))


def mark_backup_exported(vault: Vault, at: str) -> None:
    with transaction(vault.conn):
        vault.set_meta(_BACKUP_EXPORTED, at)


def remove_backup_identity(vault: Vault) -> None:
    """Drop the backup identity from the vault once it has been exported."""
    if not vault.meta(_BACKUP_EXPORTED):
        raise StateError(
            N_("Export the backup key first (keys export-identity --backup); it was not removed.")
        )
    with transaction(vault.conn):
        vault.delete_secret(_SECRET[BACKUP])
    log.info("backup identity removed from the vault")
