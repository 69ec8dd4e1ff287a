"""The ``keyslots`` file: Argon2id parameters and fixed-size slots wrapping the master key.

Layout (all integers big-endian)::

    magic        8   b"KPFKEYS1"
    version      2   1
    kdf          1   1 = Argon2id
    lanes        1
    memory_kib   4
    iterations   4
    salt        16
    max_failed   2   0 = no limit on failed unlocks
    failed       2   failed unlocks since the last success
    slots   4 × 64   nonce(12) ‖ ChaCha20-Poly1305(kind(1) ‖ master(32) ‖ zero(3)) ‖ tag(16)
    guard       32   HMAC-SHA256 over everything above (absent in files made before issue 9)

Unused slots are random bytes, so a reader cannot tell how many passphrases (or whether a duress
passphrase) exist. Each slot's associated data is the parameter block plus the slot index. The
counters sit outside the slots' authenticated data because a failed unlock must update them
without a key.

The guard is keyed from the salt, so it can be checked and rewritten without the passphrase
(a failed unlock must update it). It therefore does not stop someone who knows this format; it
stops the rest (a blind edit, a bit flip, a tool that rewrites the counters or nudges a KDF
parameter, a truncated copy) from being *acted on*: the vault erases itself on the failed-unlock
limit only when the guard verifies, and a passphrase is always tried before any counter is read,
so a correct passphrase never erases. See docs/threat-model.md for what this does not cover.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import struct
import time
import unicodedata
from dataclasses import dataclass, replace
from enum import IntEnum
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from kpfield.errors import N_, UsageError, VaultError, WrongPassphrase
from kpfield.fsutil import atomic_write

MAGIC = b"KPFKEYS1"
VERSION = 1
KDF_ARGON2ID = 1
SLOT_COUNT = 4
SLOT_SIZE = 64
_PARAMS = struct.Struct(">8sHBBII16s")
_COUNTERS = struct.Struct(">HH")
HEADER_SIZE = _PARAMS.size + _COUNTERS.size
FILE_SIZE = HEADER_SIZE + SLOT_COUNT * SLOT_SIZE  # without the guard (files before issue 9)
GUARD_SIZE = 32
GUARDED_FILE_SIZE = FILE_SIZE + GUARD_SIZE
_GUARD_CONTEXT = b"kpfield keyslots guard/1"
MASTER_KEY_SIZE = 32

# Floors that no parameter set read from disk may go below, except ones made explicitly for tests.
MIN_MEMORY_KIB = 8 * 1024
DEFAULT_MEMORY_KIB = 128 * 1024
DEFAULT_LANES = 4
TARGET_SECONDS = 1.0
MAX_MEMORY_KIB = 4 * 1024 * 1024
MAX_ITERATIONS = 64


class SlotKind(IntEnum):
    MASTER = 1
    DURESS = 2


@dataclass(frozen=True)
class KdfParams:
    memory_kib: int
    iterations: int
    lanes: int
    salt: bytes

    def __post_init__(self) -> None:
        if not (
            MIN_MEMORY_KIB <= self.memory_kib <= MAX_MEMORY_KIB
            and 1 <= self.iterations <= MAX_ITERATIONS
            and 1 <= self.lanes <= 16
            and len(self.salt) == 16
        ):
            raise UsageError(
                N_(
                    "The key derivation settings are out of range (memory {lo}–{hi} MiB, "
                    "1–{iters} iterations)."
                ),
                lo=MIN_MEMORY_KIB // 1024,
                hi=MAX_MEMORY_KIB // 1024,
                iters=MAX_ITERATIONS,
            )

    @classmethod
    def cheap_for_tests(cls) -> KdfParams:
        """Fast parameters that tests ask for explicitly; never used by default."""
        return cls(memory_kib=MIN_MEMORY_KIB, iterations=1, lanes=1, salt=secrets.token_bytes(16))

    def derive(self, passphrase: str) -> bytes:
        return Argon2id(
            salt=self.salt,
            length=32,
            iterations=self.iterations,
            lanes=self.lanes,
            memory_cost=self.memory_kib,
        ).derive(normalize_passphrase(passphrase).encode("utf-8"))


def normalize_passphrase(passphrase: str) -> str:
    """NFC, so the same words typed on another keyboard or OS give the same key."""
    return unicodedata.normalize("NFC", passphrase)


def calibrate(
    target_seconds: float = TARGET_SECONDS, memory_kib: int = DEFAULT_MEMORY_KIB
) -> KdfParams:
    """Pick Argon2id parameters so that one unlock takes about ``target_seconds`` here."""
    probe = KdfParams(memory_kib, 1, DEFAULT_LANES, secrets.token_bytes(16))
    start = time.perf_counter()
    probe.derive("calibration")
    one = max(time.perf_counter() - start, 1e-3)
    iterations = max(2, min(MAX_ITERATIONS, round(target_seconds / one)))
    return replace(probe, iterations=iterations, salt=secrets.token_bytes(16))


@dataclass(frozen=True)
class Unlocked:
    master_key: bytes
    kind: SlotKind
    slot: int
    wrapping_key: bytes


class KeyFileAltered(WrongPassphrase):
    """The passphrase did not open the vault, and the key file fails its integrity check."""


@dataclass
class KeySlots:
    params: KdfParams
    max_failed: int
    failed: int
    slots: list[bytes]
    # True: the guard verified; False: it did not (altered or damaged); None: an older file
    # that has no guard yet (it gets one at the next successful unlock).
    guard_ok: bool | None = True

    @property
    def limit_reached(self) -> bool:
        """Whether a failed unlock should erase: only on an authenticated counter record."""
        return bool(self.max_failed) and self.failed >= self.max_failed and self.guard_ok is True

    def guard(self) -> bytes:
        key = hashlib.sha256(_GUARD_CONTEXT + self.params.salt).digest()
        return hmac.new(key, self._unguarded_bytes(), hashlib.sha256).digest()

    # -------------------------------------------------------------- encoding
    def _param_block(self) -> bytes:
        p = self.params
        return _PARAMS.pack(
            MAGIC, VERSION, KDF_ARGON2ID, p.lanes, p.memory_kib, p.iterations, p.salt
        )

    def _unguarded_bytes(self) -> bytes:
        return (
            self._param_block()
            + _COUNTERS.pack(self.max_failed, self.failed)
            + b"".join(self.slots)
        )

    def to_bytes(self) -> bytes:
        return self._unguarded_bytes() + self.guard()

    @classmethod
    def from_bytes(cls, data: bytes) -> KeySlots:
        if len(data) not in (FILE_SIZE, GUARDED_FILE_SIZE):
            raise VaultError(N_("The vault's key file is damaged (wrong size)."))
        magic, version, kdf, lanes, memory_kib, iterations, salt = _PARAMS.unpack_from(data)
        if magic != MAGIC:
            raise VaultError(N_("This is not a KP Field key file, or it is damaged."))
        if version != VERSION or kdf != KDF_ARGON2ID:
            raise VaultError(N_("The vault's key file was made by a newer version of KP Field."))
        if not (
            MIN_MEMORY_KIB <= memory_kib <= MAX_MEMORY_KIB
            and 1 <= iterations <= MAX_ITERATIONS
            and 1 <= lanes <= 16
        ):
            raise VaultError(N_("The vault's key file is damaged (bad parameters)."))
        max_failed, failed = _COUNTERS.unpack_from(data, _PARAMS.size)
        slots = [
            data[HEADER_SIZE + i * SLOT_SIZE : HEADER_SIZE + (i + 1) * SLOT_SIZE]
            for i in range(SLOT_COUNT)
        ]
        ks = cls(KdfParams(memory_kib, iterations, lanes, salt), max_failed, failed, slots)
        if len(data) == FILE_SIZE:
            ks.guard_ok = None
        else:
            ks.guard_ok = hmac.compare_digest(ks.guard(), data[FILE_SIZE:])
        return ks

    @classmethod
    def new(cls, params: KdfParams) -> KeySlots:
        return cls(params, 0, 0, [secrets.token_bytes(SLOT_SIZE) for _ in range(SLOT_COUNT)])

    # -------------------------------------------------------------- slots
    def _aad(self, index: int) -> bytes:
        return self._param_block() + bytes([index])

    def seal_slot(self, index: int, wrapping_key: bytes, kind: SlotKind, master_key: bytes) -> None:
        nonce = secrets.token_bytes(12)
        plain = bytes([kind]) + master_key + b"\x00\x00\x00"
        self.slots[index] = nonce + ChaCha20Poly1305(wrapping_key).encrypt(
            nonce, plain, self._aad(index)
        )

    def clear_slot(self, index: int) -> None:
        self.slots[index] = secrets.token_bytes(SLOT_SIZE)

    def try_unlock(self, wrapping_key: bytes) -> Unlocked | None:
        """Try every slot (always all of them, so timing does not tell which one matched)."""
        found: Unlocked | None = None
        aead = ChaCha20Poly1305(wrapping_key)
        for i, slot in enumerate(self.slots):
            try:
                plain = aead.decrypt(slot[:12], slot[12:], self._aad(i))
            except InvalidTag:
                continue
            if found is None and plain[0] in (SlotKind.MASTER, SlotKind.DURESS):
                found = Unlocked(
                    plain[1 : 1 + MASTER_KEY_SIZE], SlotKind(plain[0]), i, wrapping_key
                )
        return found


def read(path: Path) -> KeySlots:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise VaultError(N_("No vault was found here. Create one first.")) from None
    except OSError as exc:
        raise VaultError(
            N_("The vault's key file cannot be read ({reason})."), reason=exc.strerror
        ) from None
    return KeySlots.from_bytes(data)


def write(path: Path, slots: KeySlots) -> None:
    """Write a whole new key file (only at creation: later changes are made in place)."""
    atomic_write(path, slots.to_bytes())


def _write_at(path: Path, offset: int, data: bytes) -> None:
    """Overwrite bytes in place and fsync.

    In place, not by rename: every rewritten copy of the key file would otherwise stay in free disk
    blocks after a wipe, and a full disk could not take a new copy. Slot changes write a new slot
    before clearing the old one, so a torn write never loses the only working slot.
    """
    fd = os.open(path, os.O_RDWR)
    try:
        if hasattr(os, "pwrite"):
            os.pwrite(fd, data, offset)
        else:  # pragma: no cover - Windows
            os.lseek(fd, offset, os.SEEK_SET)
            os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_counters(path: Path, slots: KeySlots, *, guard: bool = True) -> None:
    _write_at(path, _PARAMS.size, _COUNTERS.pack(slots.max_failed, slots.failed))
    if guard:
        write_guard(path, slots)


def write_slot(path: Path, slots: KeySlots, index: int) -> None:
    _write_at(path, HEADER_SIZE + index * SLOT_SIZE, slots.slots[index])
    write_guard(path, slots)


def write_guard(path: Path, slots: KeySlots) -> None:
    """(Re)write the guard after a change; in place, extending a file made before issue 9.

    A torn write between a change and its guard leaves a guard that does not verify: the vault
    still opens with its passphrase (which rewrites the guard), it only stops counting failures.
    """
    _write_at(path, FILE_SIZE, slots.guard())
    slots.guard_ok = True


def unlock(path: Path, passphrase: str) -> Unlocked:
    """Unlock with a passphrase, counting failures when a limit is set. Raises WrongPassphrase.

    The passphrase is always tried first: whatever the counters say, a correct one opens the
    vault and resets them. A failure is counted only on a file whose guard verifies; on one
    whose guard does not, :class:`KeyFileAltered` says so and nothing is counted or erased.
    """
    ks = read(path)
    result = ks.try_unlock(ks.params.derive(passphrase))
    if result is None:
        if ks.guard_ok is False:
            raise KeyFileAltered(
                N_(
                    "That passphrase does not open this vault, and the vault's key file has been"
                    " changed outside KP Field or is damaged. Nothing was counted or erased. If"
                    " the right passphrase no longer opens it, restore the key file from a"
                    " backup."
                )
            )
        if ks.max_failed:
            ks.failed = min(ks.failed + 1, 0xFFFF)
            # A file without a guard gets none here: that would vouch for counters nobody
            # checked. It never erases (see KeySlots.limit_reached) until a correct unlock.
            write_counters(path, ks, guard=ks.guard_ok is True)
        raise WrongPassphrase(N_("That passphrase does not open this vault."))
    if ks.failed or ks.guard_ok is not True:
        ks.failed = 0
        # A correct unlock must not fail because the counter or guard could not be rewritten.
        with contextlib.suppress(OSError):
            write_counters(path, ks)
    return result


def remaining_attempts(path: Path) -> int | None:
    """How many failed unlocks are left before the vault erases itself (None: no limit set)."""
    ks = read(path)
    if not ks.max_failed:
        return None
    return max(ks.max_failed - ks.failed, 0)


def create(
    path: Path, passphrase: str, params: KdfParams, wrapping_key: bytes | None = None
) -> bytes:
    """Write a new key file with one master slot; returns the new master key.

    ``wrapping_key`` may be passed when it was already derived from ``passphrase`` with these
    exact parameters (the duress path), to avoid a second, observable Argon2id run.
    """
    master = secrets.token_bytes(MASTER_KEY_SIZE)
    ks = KeySlots.new(params)
    ks.seal_slot(0, wrapping_key or params.derive(passphrase), SlotKind.MASTER, master)
    write(path, ks)
    return master


def exists(path: Path) -> bool:
    return os.path.exists(path)
