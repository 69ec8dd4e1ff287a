"""Item 5 of issue 9: the failed-unlock counters cannot be turned against the owner.

Someone with brief write access used to be able to set the limit and the counter, or nudge a KDF
parameter, so that the owner's next unlock with the correct passphrase erased the vault. Now a
passphrase is always tried first, and failures count (and erase) only on a key file whose guard
verifies; an altered file is reported and never acted on.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from kpfield.errors import WrongPassphrase
from kpfield.vault import keyslots
from kpfield.vault.keyslots import KdfParams, KeyFileAltered
from kpfield.vault.vault import Vault
from tests.conftest import PASSPHRASE

_COUNTERS_AT = keyslots._PARAMS.size
_ITERATIONS_AT = 8 + 2 + 1 + 1 + 4  # magic, version, kdf, lanes, memory_kib


def vault_with_limit(vault_dir: Path, params: KdfParams, limit: int) -> Path:
    Vault.create(vault_dir, PASSPHRASE, params=params).close()
    with Vault.open(vault_dir, PASSPHRASE) as v:
        v.set_failed_unlock_limit(limit)
    return vault_dir / "keyslots"


def poke(path: Path, offset: int, data: bytes) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset : offset + len(data)] = data
    path.write_bytes(bytes(raw))


def test_counters_set_from_outside_are_reported_not_acted_on(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    ks = vault_with_limit(vault_dir, cheap_params, 5)
    poke(ks, _COUNTERS_AT, struct.pack(">HH", 1, 1))  # limit 1, already reached
    with pytest.raises(KeyFileAltered):
        Vault.open(vault_dir, "a typo")
    assert ks.exists() and (vault_dir / "vault.db").exists(), "nothing was erased"
    with Vault.open(vault_dir, PASSPHRASE):  # the owner still gets in, and the guard is mended
        pass
    assert keyslots.read(ks).guard_ok is True


def test_nudged_kdf_parameter_never_makes_the_correct_passphrase_erase(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    ks = vault_with_limit(vault_dir, cheap_params, 1)
    original = ks.read_bytes()
    iterations = struct.unpack_from(">I", original, _ITERATIONS_AT)[0]
    poke(ks, _ITERATIONS_AT, struct.pack(">I", iterations + 1))
    for _ in range(3):
        with pytest.raises(KeyFileAltered, match="changed outside KP Field"):
            Vault.open(vault_dir, PASSPHRASE)
    assert ks.exists() and (vault_dir / "vault.db").exists(), "the correct passphrase erased"
    ks.write_bytes(original)  # what "restore the key file" means
    with Vault.open(vault_dir, PASSPHRASE):
        pass


def test_limit_reached_with_an_authentic_record_still_erases_on_a_wrong_passphrase(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    vault_with_limit(vault_dir, cheap_params, 2)
    for _ in range(2):
        with pytest.raises(WrongPassphrase) as caught:
            Vault.open(vault_dir, "guess")
        assert not isinstance(caught.value, KeyFileAltered)
    assert not (vault_dir / "keyslots").exists()


def test_correct_passphrase_opens_whatever_the_counter_says(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    ks_path = vault_with_limit(vault_dir, cheap_params, 3)
    # Even a rewrite that knows the format (it recomputes the guard) cannot make the right
    # passphrase erase: the passphrase is tried before any counter is looked at.
    ks = keyslots.read(ks_path)
    ks.failed = 3
    keyslots.write_counters(ks_path, ks)
    with Vault.open(vault_dir, PASSPHRASE):
        pass
    assert keyslots.read(ks_path).failed == 0


def test_key_file_without_guard_is_read_counts_but_never_erases_until_upgraded(
    vault_dir: Path, cheap_params: KdfParams
) -> None:
    ks_path = vault_with_limit(vault_dir, cheap_params, 1)
    ks_path.write_bytes(ks_path.read_bytes()[: keyslots.FILE_SIZE])  # a pre-issue-9 file
    assert keyslots.read(ks_path).guard_ok is None
    for _ in range(2):
        with pytest.raises(WrongPassphrase):
            Vault.open(vault_dir, "guess")
    assert ks_path.exists(), "an unauthenticated counter record erased the vault"
    with Vault.open(vault_dir, PASSPHRASE):
        pass
    assert ks_path.stat().st_size == keyslots.GUARDED_FILE_SIZE
    assert keyslots.read(ks_path).guard_ok is True
    with pytest.raises(WrongPassphrase):
        Vault.open(vault_dir, "guess")
    assert not ks_path.exists(), "once upgraded, the owner's limit holds again"
