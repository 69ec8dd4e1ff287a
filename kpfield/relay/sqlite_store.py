"""The embedded relay store: SQLite (WAL, ``synchronous=FULL``) plus a directory of bytes.

Layout under the store directory: ``relay.db``, ``uploads/<bundle id>.part`` while an upload is in
progress, ``bundles/<bundle id>`` once complete. File names are bundle ids the server validated as
64 hex digits, never anything a client chose freely. Durability order, always: write, fsync the
file (rename, fsync the directory when a file moves or appears), then commit the row, so the
recorded offset never exceeds the durable bytes. Bytes past the offset (a crash mid-PATCH) are cut
off before the next append.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from kpfield.errors import N_
from kpfield.relay.storage import (
    Appender,
    HqDocument,
    OffsetMismatch,
    RelayStorage,
    SequenceConflict,
    SequenceFlag,
    StaleSerial,
    Upload,
    UploadConflict,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
  bundle_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, sequence INTEGER NOT NULL,
  length INTEGER NOT NULL, offset INTEGER NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL, receipt BLOB, cursor INTEGER UNIQUE,
  UNIQUE (device_id, sequence));
CREATE TABLE IF NOT EXISTS flags (
  device_id TEXT NOT NULL, sequence INTEGER NOT NULL, held_bundle_id TEXT NOT NULL,
  offered_bundle_id TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (device_id, sequence, offered_bundle_id));
CREATE TABLE IF NOT EXISTS nonces (
  keyid TEXT NOT NULL, nonce TEXT NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (keyid, nonce));
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS device_list (
  id INTEGER PRIMARY KEY CHECK (id = 1), serial INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  cursor INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, kind TEXT NOT NULL,
  body BLOB NOT NULL, signature TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS documents_device ON documents (device_id, cursor);
"""
_COLS = "bundle_id, device_id, sequence, length, offset, created_at, expires_at, receipt, cursor"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _upload(row: Any) -> Upload:
    return Upload(
        bundle_id=row[0],
        device_id=row[1],
        sequence=row[2],
        length=row[3],
        offset=row[4],
        created_at=row[5],
        expires_at=row[6],
        receipt=bytes(row[7]) if row[7] is not None else None,
        cursor=row[8],
    )


class _FileAppender(Appender):
    def __init__(self, store: SqliteStorage, bundle_id: str, offset: int, expires_at: int):
        self._store, self._bundle_id, self._offset = store, bundle_id, offset
        self._expires_at = expires_at
        self._file: BinaryIO | None = open(store.part_path(bundle_id), "r+b")  # noqa: SIM115
        self._file.truncate(offset)  # bytes past the durable offset were never acknowledged
        self._file.seek(offset)
        self._written = 0

    def _open(self) -> BinaryIO:
        if self._file is None:
            raise OffsetMismatch(self._offset)
        return self._file

    def write(self, data: bytes) -> None:
        self._open().write(data)
        self._written += len(data)

    def commit(self) -> int:
        f = self._open()
        f.flush()
        os.fsync(f.fileno())
        f.close()
        self._file = None
        new_offset = self._offset + self._written
        with self._store.lock, self._store.conn:
            cur = self._store.conn.execute(
                "UPDATE uploads SET offset = ?, expires_at = MAX(expires_at, ?)"
                " WHERE bundle_id = ? AND offset = ? AND receipt IS NULL",
                (new_offset, self._expires_at, self._bundle_id, self._offset),
            )
            if cur.rowcount != 1:
                raise OffsetMismatch(self._offset)
        return new_offset

    def abort(self) -> None:
        if self._file is not None:
            self._file.truncate(self._offset)
            self._file.close()
            self._file = None


class SqliteStorage(RelayStorage):
    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in (root, root / "uploads", root / "bundles"):
            sub.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(
            root / "relay.db", check_same_thread=False, isolation_level=None
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        self.conn.executescript(_SCHEMA)
        # Python's sqlite3 only opens transactions we ask for (isolation_level=None) ...
        self.conn.isolation_level = "IMMEDIATE"

    def part_path(self, bundle_id: str) -> Path:
        return self.root / "uploads" / f"{bundle_id}.part"

    def bundle_path(self, bundle_id: str) -> Path:
        return self.root / "bundles" / bundle_id

    def _get(self, bundle_id: str) -> Upload | None:
        row = self.conn.execute(
            f"SELECT {_COLS} FROM uploads WHERE bundle_id = ?",  # noqa: S608
            (bundle_id,),
        ).fetchone()
        return _upload(row) if row else None

    def _must(self, bundle_id: str) -> Upload:
        upload = self._get(bundle_id)
        if upload is None:
            raise OffsetMismatch(0)
        return upload

    def create_upload(
        self,
        *,
        bundle_id: str,
        device_id: str,
        sequence: int,
        length: int,
        now: int,
        expires_at: int,
    ) -> tuple[Upload, bool]:
        with self.lock:
            held = self._get(bundle_id)
            if held is not None:
                if (held.device_id, held.sequence, held.length) != (device_id, sequence, length):
                    raise UploadConflict(N_("This bundle id is held with other details."))
                return held, False
            row = self.conn.execute(
                "SELECT bundle_id FROM uploads WHERE device_id = ? AND sequence = ?",
                (device_id, sequence),
            ).fetchone()
            if row is not None:
                with self.conn:
                    self.conn.execute(
                        "INSERT OR IGNORE INTO flags VALUES (?, ?, ?, ?, ?)",
                        (device_id, sequence, row[0], bundle_id, now),
                    )
                raise SequenceConflict(
                    N_("This device already sent another bundle with sequence {sequence}."),
                    sequence=sequence,
                )
            path = self.part_path(bundle_id)
            with open(path, "wb") as f:
                os.fsync(f.fileno())
            fsync_dir(path.parent)
            with self.conn:
                self.conn.execute(
                    "INSERT INTO uploads VALUES (?, ?, ?, ?, 0, ?, ?, NULL, NULL)",
                    (bundle_id, device_id, sequence, length, now, expires_at),
                )
            return self._must(bundle_id), True

    def get_upload(self, bundle_id: str) -> Upload | None:
        with self.lock:
            return self._get(bundle_id)

    def count_incomplete(self, device_id: str) -> int:
        with self.lock:
            row = self.conn.execute(
                "SELECT COUNT(*) FROM uploads WHERE device_id = ? AND receipt IS NULL",
                (device_id,),
            ).fetchone()
        return int(row[0])

    def begin_append(self, bundle_id: str, offset: int, expires_at: int) -> Appender:
        upload = self.get_upload(bundle_id)
        if upload is None or upload.complete or upload.offset != offset:
            raise OffsetMismatch(upload.offset if upload else 0)
        return _FileAppender(self, bundle_id, offset, expires_at)

    def data_sha256(self, bundle_id: str) -> bytes:
        upload = self.get_upload(bundle_id)
        if upload is None:
            raise OffsetMismatch(0)
        digest = hashlib.sha256()
        path = self.bundle_path(bundle_id) if upload.complete else self.part_path(bundle_id)
        with open(path, "rb") as f:
            remaining = upload.offset
            while remaining and (chunk := f.read(min(remaining, 1 << 20))):
                digest.update(chunk)
                remaining -= len(chunk)
        return digest.digest()

    def reset_upload(self, bundle_id: str) -> None:
        with self.lock:
            with self.conn:
                self.conn.execute(
                    "UPDATE uploads SET offset = 0 WHERE bundle_id = ? AND receipt IS NULL",
                    (bundle_id,),
                )
            with open(self.part_path(bundle_id), "r+b") as f:
                f.truncate(0)
                os.fsync(f.fileno())

    def complete(self, bundle_id: str, receipt: bytes, now: int) -> Upload:
        with self.lock:
            held = self._get(bundle_id)
            if held is None or held.offset != held.length:
                raise OffsetMismatch(held.offset if held else 0)
            if held.complete:
                return held
            part, final = self.part_path(bundle_id), self.bundle_path(bundle_id)
            with open(part, "r+b") as f:
                f.truncate(held.length)
                os.fsync(f.fileno())
            os.replace(part, final)
            fsync_dir(final.parent)
            fsync_dir(part.parent)
            with self.conn:
                self.conn.execute(
                    "UPDATE uploads SET receipt = ?, cursor ="
                    " (SELECT COALESCE(MAX(cursor), 0) + 1 FROM uploads) WHERE bundle_id = ?",
                    (receipt, bundle_id),
                )
            return self._must(bundle_id)

    def _drop(self, bundle_id: str) -> None:
        with self.conn:
            self.conn.execute(
                "DELETE FROM uploads WHERE bundle_id = ? AND receipt IS NULL", (bundle_id,)
            )
        self.part_path(bundle_id).unlink(missing_ok=True)

    def delete_upload(self, bundle_id: str) -> None:
        with self.lock:
            self._drop(bundle_id)

    def expire_uploads(self, now: int) -> int:
        with self.lock:
            rows = self.conn.execute(
                "SELECT bundle_id FROM uploads WHERE receipt IS NULL AND expires_at < ?", (now,)
            ).fetchall()
            for (bundle_id,) in rows:
                self._drop(bundle_id)
        return len(rows)

    def read_bundle(self, bundle_id: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        with open(self.bundle_path(bundle_id), "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk

    def list_completed(self, since: int, limit: int) -> list[Upload]:
        with self.lock:
            rows = self.conn.execute(
                f"SELECT {_COLS} FROM uploads WHERE cursor > ? ORDER BY cursor LIMIT ?",  # noqa: S608
                (since, limit),
            ).fetchall()
        return [_upload(r) for r in rows]

    def flags(self) -> list[SequenceFlag]:
        with self.lock:
            rows = self.conn.execute("SELECT * FROM flags ORDER BY at, device_id").fetchall()
        return [SequenceFlag(*r) for r in rows]

    def remember_nonce(self, keyid: str, nonce: str, expires_at: int, now: int) -> bool:
        with self.lock, self.conn:
            self.conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now,))
            cur = self.conn.execute(
                "INSERT OR IGNORE INTO nonces VALUES (?, ?, ?)", (keyid, nonce, expires_at)
            )
            return cur.rowcount == 1

    def put_device_list(self, serial: int, data: bytes) -> None:
        with self.lock, self.conn:
            row = self.conn.execute("SELECT serial FROM device_list").fetchone()
            if row is not None and serial <= row[0]:
                raise StaleSerial(
                    N_("The relay holds device list serial {held}; {serial} is not newer."),
                    held=row[0],
                    serial=serial,
                )
            self.conn.execute("INSERT OR REPLACE INTO device_list VALUES (1, ?, ?)", (serial, data))

    def device_list(self) -> bytes | None:
        with self.lock:
            row = self.conn.execute("SELECT data FROM device_list").fetchone()
        return bytes(row[0]) if row else None

    def device_list_serial(self) -> int | None:
        with self.lock:
            row = self.conn.execute("SELECT serial FROM device_list").fetchone()
        return int(row[0]) if row else None

    def add_document(
        self, *, device_id: str, kind: str, body: bytes, signature: str, now: int
    ) -> int:
        with self.lock, self.conn:
            cur = self.conn.execute(
                "INSERT INTO documents (device_id, kind, body, signature, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (device_id, kind, body, signature, now),
            )
            return int(cur.lastrowid or 0)

    def list_documents(self, device_id: str, since: int, limit: int) -> list[HqDocument]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT cursor, device_id, kind, body, signature, created_at FROM documents"
                " WHERE device_id = ? AND cursor > ? ORDER BY cursor LIMIT ?",
                (device_id, since, limit),
            ).fetchall()
        return [HqDocument(r[0], r[1], r[2], bytes(r[3]), r[4], r[5]) for r in rows]

    def close(self) -> None:
        with self.lock:
            self.conn.close()
