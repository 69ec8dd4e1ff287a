"""A vault's folder before (or without) unlocking it: does it exist, its unlock policy, wipe.

The GUI and the CLI reach the vault's files only through here and through a session.
"""

from __future__ import annotations

from pathlib import Path

from kpfield.fsutil import overwrite_and_unlink
from kpfield.vault import keyslots
from kpfield.vault.keyslots import KdfParams
from kpfield.vault.vault import VaultPaths, wipe

__all__ = ["KdfParams", "VaultLocation", "kdf_params"]


def kdf_params(memory_mib: int | None, iterations: int | None) -> KdfParams:
    """Explicit Argon2id parameters (tests and slow machines); never chosen silently."""
    base = KdfParams.cheap_for_tests()
    return KdfParams(
        memory_kib=max((memory_mib or 8) * 1024, keyslots.MIN_MEMORY_KIB),
        iterations=iterations or 1,
        lanes=1,
        salt=base.salt,
    )


class VaultLocation:
    """The folder that holds (or will hold) one vault."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._paths = VaultPaths(root)

    def exists(self) -> bool:
        """A key file is there (the vault can be unlocked, or it was half-wiped)."""
        return self._paths.exists()

    def has_vault_files(self) -> bool:
        """Anything of a vault is left (the key file, or a database without one)."""
        return self._paths.exists() or self._paths.database.exists()

    def unlock_policy(self) -> tuple[int, int | None] | None:
        """(failed-unlock limit, attempts left) or None when there is no key file."""
        path = self._paths.keyslots
        if not path.exists():
            return None
        return keyslots.read(path).max_failed, keyslots.remaining_attempts(path)

    def erase_keys(self) -> None:
        """Crypto-erase now: overwrite and delete the key file; nothing can be decrypted after."""
        overwrite_and_unlink(self._paths.keyslots)

    def wipe(self) -> list[str]:
        """Erase the whole vault (key file first); returns what was removed."""
        return wipe(self.root)
