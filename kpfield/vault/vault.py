"""The vault: key file, encrypted database and blob store under one data directory.

Opening is the only place a passphrase is used. A duress passphrase erases silently and opens a
fresh empty vault; an opt-in limit on failed unlocks erases too. One process at a time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kpfield.errors import N_, UsageError, VaultError, VaultLocked, WrongPassphrase
from kpfield.fsutil import PRIVATE_FILE, ensure_private_dir, fsync_dir, overwrite_and_unlink
from kpfield.vault import db, keyslots, migrations
from kpfield.vault.blobs import BlobStore
from kpfield.vault.keyslots import KdfParams, SlotKind

log = logging.getLogger(__name__)

ROLES = migrations.ROLES  # one list, shared with the migrations that differ by role


@dataclass(frozen=True)
class VaultPaths:
    root: Path

    @property
    def keyslots(self) -> Path:
        return self.root / "keyslots"

    @property
    def database(self) -> Path:
        return self.root / "vault.db"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def lockfile(self) -> Path:
        return self.root / "vault.lock"

    def exists(self) -> bool:
        return self.keyslots.exists()


def _db_key(master: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, salt=None, info=b"kpfield vault.db v1").derive(master)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class _ProcessLock:
    """An exclusive advisory lock on ``vault.lock`` so two processes never share a vault."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fh: IO[bytes] | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
        fh = os.fdopen(fd, "r+b")
        try:
            if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds
                import msvcrt

                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise VaultLocked(
                N_("This vault is already open in another KP Field window.")
            ) from None
        self.fh = fh

    def release(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


class Vault:
    """An unlocked vault. Use :meth:`create` or :meth:`open`; call :meth:`close` to lock."""

    def __init__(self, paths: VaultPaths, master: bytes, conn: db.Connection, lock: _ProcessLock):
        self.paths = paths
        self._master = bytearray(master)
        self.conn: db.Connection = conn
        self.blobs = BlobStore(paths.blobs)
        self._lock = lock

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def create(
        cls,
        root: Path,
        passphrase: str,
        *,
        role: str = "field",
        params: KdfParams | None = None,
        device_name: str = "",
        wrapping_key: bytes | None = None,
    ) -> Vault:
        if role not in ROLES:
            raise UsageError(N_("The role must be 'field' or 'hq'."))
        if not passphrase:
            raise UsageError(N_("The passphrase must not be empty."))
        if len(device_name) > 64 or not device_name.isprintable():
            raise UsageError(N_("The device name must be at most 64 printable characters."))
        paths = VaultPaths(root)
        if paths.exists() or paths.database.exists():
            raise UsageError(N_("A vault already exists in {path}."), path=str(root))
        ensure_private_dir(root)
        lock = _ProcessLock(paths.lockfile)
        lock.acquire()
        try:
            master = keyslots.create(
                paths.keyslots, passphrase, params or keyslots.calibrate(), wrapping_key
            )
            conn = db.connect(paths.database, _db_key(master), create=True)
            os.chmod(paths.database, PRIVATE_FILE)
            db.migrate(conn, role)
            vault = cls(paths, master, conn, lock)
            vault.blobs.ensure()
            identity = Ed25519PrivateKey.generate()
            from cryptography.hazmat.primitives import serialization

            raw = identity.private_bytes(
                serialization.Encoding.Raw,
                serialization.PrivateFormat.Raw,
                serialization.NoEncryption(),
            )
            with db.transaction(conn):
                conn.executemany(
                    "INSERT INTO meta(key, value) VALUES (?, ?)",
                    [("role", role), ("device_name", device_name), ("created_at", now_iso())],
                )
                conn.execute(
                    "INSERT INTO secrets(name, value) VALUES ('device_ed25519', ?)", (raw,)
                )
        except BaseException:
            lock.release()
            wipe(root)  # a half-made vault must not be mistaken for a real one
            raise
        log.info("vault created (role %s)", role)
        return vault

    @classmethod
    def open(cls, root: Path, passphrase: str) -> Vault:
        paths = VaultPaths(root)
        if not paths.exists():
            raise VaultError(N_("No vault was found in {path}. Create one first."), path=str(root))
        lock = _ProcessLock(paths.lockfile)
        lock.acquire()
        try:
            ks = keyslots.read(paths.keyslots)
            try:
                unlocked = keyslots.unlock(paths.keyslots, passphrase)
            except WrongPassphrase:
                ks = keyslots.read(paths.keyslots)
                # Only an authenticated counter record erases (a KeyFileAltered never does).
                if ks.limit_reached:
                    # Silent by design: nothing on screen or stderr tells an onlooker.
                    lock.release()
                    wipe(root)
                raise
            if unlocked.kind is SlotKind.DURESS:
                lock.release()
                wipe(root)
                # The duress passphrase now opens a fresh, empty field vault (the role lives in
                # the encrypted database, which a duress unlock never decrypts).
                return cls.create(
                    root,
                    passphrase,
                    role="field",
                    params=ks.params,
                    wrapping_key=unlocked.wrapping_key,
                )
            conn = db.connect(paths.database, _db_key(unlocked.master_key))
            db.migrate(conn, db.stored_role(conn))
            vault = cls(paths, unlocked.master_key, conn, lock)
            vault.blobs.ensure()
            vault._sweep_orphans()
            return vault
        except BaseException:
            lock.release()
            raise

    def close(self) -> None:
        """Lock: close the database and drop keys from memory (best effort in Python)."""
        if self.conn is not None:
            with contextlib.suppress(Exception):
                # A bounded merge of the search index, so text of old draft versions does not
                # linger long in superseded segments, without making a lock slow (a full
                # 'optimize' takes ~1.3 s at 10,000 reports; deletions and purges run one).
                self.conn.execute(
                    "INSERT INTO report_search(report_search, rank) VALUES ('merge', 200)"
                )
            with contextlib.suppress(Exception):
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()
            self.conn = None
        for i in range(len(self._master)):
            self._master[i] = 0
        self._lock.release()

    @property
    def is_open(self) -> bool:
        return self.conn is not None

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _sweep_orphans(self) -> None:
        """Delete blob files no row names: what a crash left between a blob's fsync and its
        row's commit (``attach_files`` writes blobs in worker threads ahead of the commits).
        Only ever called from :meth:`open`, under the process lock: no attach of this vault can
        be running, so a blob written but not yet committed is never swept from under it."""
        rows = self.conn.execute(
            "SELECT blob_name FROM attachments UNION SELECT thumb_name FROM attachments "
            "WHERE thumb_name IS NOT NULL"
        ).fetchall()
        removed = self.blobs.sweep({r[0] for r in rows})
        if removed:
            log.info("removed %d unreferenced blob files", removed)

    # ------------------------------------------------------------------ metadata
    def meta(self, key: str, default: str = "") -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else default

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def role(self) -> str:
        return self.meta("role", "field")

    def secret(self, name: str) -> bytes | None:
        row = self.conn.execute("SELECT value FROM secrets WHERE name = ?", (name,)).fetchone()
        return bytes(row[0]) if row else None

    def set_secret(self, name: str, value: bytes) -> None:
        self.conn.execute(
            "INSERT INTO secrets(name, value) VALUES (?, ?) "
            "ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    def delete_secret(self, name: str) -> None:
        self.conn.execute("DELETE FROM secrets WHERE name = ?", (name,))

    @property
    def device_key(self) -> Ed25519PrivateKey:
        raw = self.secret("device_ed25519")
        if raw is None:
            raise VaultError(N_("The vault has no device key."))
        return Ed25519PrivateKey.from_private_bytes(raw)

    # ------------------------------------------------------------------ passphrases
    def _free_slot(self, *taken: int) -> int:
        duress = self.meta("duress_slot")
        used = set(taken) | ({int(duress)} if duress else set())
        return next(i for i in range(keyslots.SLOT_COUNT) if i not in used)

    def _verify_master(self, ks: keyslots.KeySlots, passphrase: str) -> keyslots.Unlocked:
        found = ks.try_unlock(ks.params.derive(passphrase))
        if found is None or found.kind is not SlotKind.MASTER:
            raise WrongPassphrase(N_("The current passphrase is not correct."))
        return found

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the master key under a new passphrase; the database is not rewritten.

        The new slot is written (in place, fsynced) before the old one is cleared, so a power cut
        leaves one of the two passphrases working, never neither.
        """
        if not new:
            raise UsageError(N_("The new passphrase must not be empty."))
        ks = keyslots.read(self.paths.keyslots)
        found = self._verify_master(ks, old)
        new_key = ks.params.derive(new)
        other = ks.try_unlock(new_key)
        if other is not None and other.kind is SlotKind.DURESS:
            raise UsageError(N_("The new passphrase must differ from the duress passphrase."))
        target = self._free_slot(found.slot)
        ks.seal_slot(target, new_key, SlotKind.MASTER, bytes(self._master))
        keyslots.write_slot(self.paths.keyslots, ks, target)
        ks.clear_slot(found.slot)
        keyslots.write_slot(self.paths.keyslots, ks, found.slot)
        log.info("passphrase changed")

    def set_duress_passphrase(self, passphrase: str, duress: str | None) -> None:
        """Add, replace (or with ``None`` remove) the duress passphrase."""
        ks = keyslots.read(self.paths.keyslots)
        found = self._verify_master(ks, passphrase)
        current = self.meta("duress_slot")
        if duress is None:
            if current:
                ks.clear_slot(int(current))
                keyslots.write_slot(self.paths.keyslots, ks, int(current))
                with db.transaction(self.conn):
                    self.conn.execute("DELETE FROM meta WHERE key = 'duress_slot'")
            log.info("duress passphrase removed")
            return
        if keyslots.normalize_passphrase(duress) == keyslots.normalize_passphrase(passphrase):
            raise UsageError(N_("The duress passphrase must differ from the real passphrase."))
        index = int(current) if current else self._free_slot(found.slot)
        ks.seal_slot(index, ks.params.derive(duress), SlotKind.DURESS, bytes(32))
        keyslots.write_slot(self.paths.keyslots, ks, index)
        with db.transaction(self.conn):
            self.set_meta("duress_slot", str(index))
        log.info("duress passphrase set")

    def set_failed_unlock_limit(self, limit: int) -> None:
        if not 0 <= limit <= 1000:
            raise UsageError(N_("The limit must be between 0 (off) and 1000."))
        ks = keyslots.read(self.paths.keyslots)
        ks.max_failed = limit
        ks.failed = 0
        keyslots.write_counters(self.paths.keyslots, ks)


def wipe(root: Path) -> list[str]:
    """Crypto-erase: destroy the key file first (instant), then delete everything else.

    Returns the names of what was removed. Safe to call on a half-wiped or missing vault.
    """
    paths = VaultPaths(root)
    removed: list[str] = []
    if overwrite_and_unlink(paths.keyslots):
        removed.append("keyslots")
    for name in ("vault.db", "vault.db-wal", "vault.db-shm"):
        p = root / name
        if p.exists():
            p.unlink()
            removed.append(name)
    if paths.blobs.exists():
        count = sum(1 for _ in paths.blobs.rglob("*") if _.is_file())
        shutil.rmtree(paths.blobs, ignore_errors=True)
        removed.append(f"blobs/ ({count} files)")
    for p in root.glob(".keyslots.*.tmp") if root.exists() else []:
        p.unlink(missing_ok=True)
    if root.exists():
        fsync_dir(root)
    log.debug("vault wiped (%d items)", len(removed))
    return removed
