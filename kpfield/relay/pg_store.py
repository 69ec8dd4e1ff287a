"""The distributed relay store: a PostgreSQL ledger plus bundle bytes in S3-compatible storage.

Several relay nodes share one database and one bucket. How an upload's bytes are held:

* Committed bytes are S3 multipart parts of ``part_size`` (at least 5 MiB) recorded in ``parts``,
  followed by a *tail* shorter than a part, kept in PostgreSQL (``tails``, one row per PATCH
  leftover, so a small PATCH writes only its own bytes) until enough arrives to become a part.
* A PATCH buffers tail + body, sends each full part to S3 as it fills (a part number taken
  from the row's counter, never reused), and at the end commits in one transaction under the
  row's lock: the offset moves only if it is still where the PATCH began (compare-and-set) and
  the upload was not reset meanwhile (``generation``). Two nodes writing one upload: the first
  to commit wins, the other gets :class:`OffsetMismatch`; parts of a loser or of a crash are
  never listed, so completing the multipart upload discards them.
* One writer across nodes: each new PATCH or HEAD of an upload, on any node, bumps the row's
  ``lease``; a PATCH in progress elsewhere looks at it between chunks (at most every
  ``LEASE_CHECK_SECONDS``) and before it commits, and stops (409) once superseded, as a stale
  PATCH on the same node is cancelled.
* At full length the tail becomes the last part and the multipart upload is completed into the
  final object (under the row lock, so two nodes never assemble twice); the whole-bundle SHA-256
  is then read back from the object. A bundle is complete only once the object exists with the
  right size; a missing object is never complete, it makes the upload start again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from kpfield.errors import N_, UsageError
from kpfield.relay.objects import MAX_PARTS, MIN_PART_BYTES, ObjectMissing, ObjectStore, Spool
from kpfield.relay.storage import (
    Appender,
    HqDocument,
    OffsetMismatch,
    RelayStorage,
    SequenceConflict,
    SequenceFlag,
    StaleSerial,
    StorageError,
    Upload,
    UploadConflict,
)

log = logging.getLogger(__name__)

# Advisory lock keys (arbitrary constants): schema creation, and cursor order of completions and
# documents (a cursor is taken and committed under the lock, so HQ paging never skips one).
_LOCK_SCHEMA, _LOCK_CURSOR, _LOCK_DOC_CURSOR = 0x6B70_0001, 0x6B70_0002, 0x6B70_0003

_SCHEMA = """
CREATE TABLE IF NOT EXISTS uploads (
  bundle_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, sequence BIGINT NOT NULL,
  length BIGINT NOT NULL, durable BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL, receipt BYTEA, cursor BIGINT UNIQUE,
  generation INTEGER NOT NULL DEFAULT 0, multipart_id TEXT, next_part INTEGER NOT NULL DEFAULT 0,
  parts_bytes BIGINT NOT NULL DEFAULT 0, assembled BOOLEAN NOT NULL DEFAULT FALSE,
  UNIQUE (device_id, sequence), CHECK (durable <= length));
ALTER TABLE uploads ADD COLUMN IF NOT EXISTS lease BIGINT NOT NULL DEFAULT 0;
CREATE INDEX IF NOT EXISTS uploads_expiry ON uploads (expires_at) WHERE receipt IS NULL;
CREATE TABLE IF NOT EXISTS parts (
  bundle_id TEXT NOT NULL REFERENCES uploads ON DELETE CASCADE, part_number INTEGER NOT NULL,
  etag TEXT NOT NULL, size BIGINT NOT NULL, PRIMARY KEY (bundle_id, part_number));
CREATE TABLE IF NOT EXISTS tails (
  bundle_id TEXT NOT NULL REFERENCES uploads ON DELETE CASCADE, start BIGINT NOT NULL,
  data BYTEA NOT NULL, PRIMARY KEY (bundle_id, start));
CREATE TABLE IF NOT EXISTS flags (
  device_id TEXT NOT NULL, sequence BIGINT NOT NULL, held_bundle_id TEXT NOT NULL,
  offered_bundle_id TEXT NOT NULL, at BIGINT NOT NULL,
  PRIMARY KEY (device_id, sequence, offered_bundle_id));
CREATE TABLE IF NOT EXISTS nonces (
  keyid TEXT NOT NULL, nonce TEXT NOT NULL, expires_at BIGINT NOT NULL,
  PRIMARY KEY (keyid, nonce));
CREATE INDEX IF NOT EXISTS nonces_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS device_list (
  id INTEGER PRIMARY KEY CHECK (id = 1), serial BIGINT NOT NULL, data BYTEA NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  cursor BIGINT PRIMARY KEY, device_id TEXT NOT NULL, kind TEXT NOT NULL,
  body BYTEA NOT NULL, signature TEXT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS documents_device ON documents (device_id, cursor);
"""
_COLS = "bundle_id, device_id, sequence, length, durable, created_at, expires_at, receipt, cursor"
_NONCE_SWEEP_EVERY = 256
TAIL_ROW_BYTES = 1 << 20  # a tail is stored (and read back) in rows of at most this
LEASE_CHECK_SECONDS = 0.25  # how often a PATCH in progress looks whether it was superseded


class BundleBytesMissing(StorageError):
    """The object store lost bytes the ledger recorded; the upload starts again."""


@dataclass(frozen=True)
class _Row:
    upload: Upload
    generation: int
    multipart_id: str | None
    parts_bytes: int
    assembled: bool


def _upload(r: Any) -> Upload:
    return Upload(
        bundle_id=r[0],
        device_id=r[1],
        sequence=r[2],
        length=r[3],
        offset=r[4],
        created_at=r[5],
        expires_at=r[6],
        receipt=bytes(r[7]) if r[7] is not None else None,
        cursor=r[8],
    )


def _row(r: Any) -> _Row:
    return _Row(_upload(r), r[9], r[10], r[11], r[12])


_ROW_COLS = f"{_COLS}, generation, multipart_id, parts_bytes, assembled"
# Column lists are constants of this module, never input.
_SELECT_ROW = f"SELECT {_ROW_COLS} FROM uploads WHERE bundle_id = %s"  # noqa: S608
_INSERT_UPLOAD = (
    "INSERT INTO uploads (bundle_id, device_id, sequence, length, created_at, expires_at)"  # noqa: S608
    f" VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING {_ROW_COLS}"
)
_COMPLETE = (
    "UPDATE uploads SET receipt = %s,"  # noqa: S608
    " cursor = (SELECT COALESCE(MAX(cursor), 0) + 1 FROM uploads)"
    f" WHERE bundle_id = %s RETURNING {_ROW_COLS}"
)


def create_schema(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SCHEMA,))
        conn.execute(_SCHEMA)


class _PartAppender(Appender):
    """One PATCH: the part being filled is spooled to a temporary file, never held in memory."""

    def __init__(  # noqa: PLR0917
        self, store: PgS3Storage, row: _Row, tail: Spool, expires_at: int, lease: int
    ) -> None:
        self._store, self._row, self._expires_at = store, row, expires_at
        self._lease, self._lease_checked = lease, time.monotonic()
        self._spool = tail
        self._tail_len = tail.size  # bytes of the spool already committed as tail rows
        self._written = 0
        self._multipart_id = row.multipart_id
        self._new_parts: list[tuple[int, str, int]] = []
        self._open = True

    def write(self, data: bytes) -> None:
        if not self._open:
            raise OffsetMismatch(self._row.upload.offset)
        if time.monotonic() - self._lease_checked >= LEASE_CHECK_SECONDS:
            self._check_lease()
        self._written += len(data)
        size, view = self._store.part_size, memoryview(data)
        while view:
            room = size - self._spool.size
            self._spool.write(view[:room])
            view = view[room:]
            if self._spool.size == size:
                self._send_part()
                self._spool.clear()
                self._tail_len = 0

    def _check_lease(self) -> None:
        """Stop if a newer request for this upload reached any node (see the module doc)."""
        with self._store.pool.connection() as conn:
            found = conn.execute(
                "SELECT lease, durable FROM uploads WHERE bundle_id = %s",
                (self._row.upload.bundle_id,),
            ).fetchone()
        self._lease_checked = time.monotonic()
        if found is None or found[0] != self._lease:
            self._open = False
            self._spool.close()
            log.info("upload %s: superseded on another node", self._row.upload.bundle_id[:16])
            raise OffsetMismatch(found[1] if found else 0)

    def _send_part(self) -> None:
        store, bundle_id = self._store, self._row.upload.bundle_id
        if self._multipart_id is None:
            self._multipart_id = store.ensure_multipart(bundle_id, self._row.generation)
        number = store.take_part_number(bundle_id, self._row.generation)
        try:
            etag = store.objects.upload_part(bundle_id, self._multipart_id, number, self._spool)
        except ObjectMissing:
            # Another node completed (or reset) the upload meanwhile: this PATCH lost.
            self._open = False
            held = store.get_upload(bundle_id)
            raise OffsetMismatch(held.offset if held else 0) from None
        self._new_parts.append((number, etag, self._spool.size))

    def commit(self) -> int:
        if not self._open:
            raise OffsetMismatch(self._row.upload.offset)
        self._open = False
        row, bundle_id = self._row, self._row.upload.bundle_id
        old = row.upload.offset
        new_offset = old + self._written
        parts_bytes = row.parts_bytes + sum(size for _, _, size in self._new_parts)
        try:
            with self._store.transaction() as conn:
                found = conn.execute(
                    "SELECT durable, generation, receipt IS NULL, assembled, lease FROM uploads"
                    " WHERE bundle_id = %s FOR UPDATE",
                    (bundle_id,),
                ).fetchone()
                if found is None:
                    raise OffsetMismatch(0)
                if tuple(found) != (old, row.generation, True, False, self._lease):
                    raise OffsetMismatch(found[0])
                for number, etag, size in self._new_parts:
                    conn.execute(
                        "INSERT INTO parts VALUES (%s, %s, %s, %s)",
                        (bundle_id, number, etag, size),
                    )
                if self._new_parts:  # the old tail went into a part; what is left is the new tail
                    conn.execute("DELETE FROM tails WHERE bundle_id = %s", (bundle_id,))
                    skip, start = 0, parts_bytes
                else:
                    skip, start = self._tail_len, old - self._tail_len
                # In rows of at most TAIL_ROW_BYTES, so no step holds a whole part in memory.
                for at, piece in self._spool.pieces(skip, TAIL_ROW_BYTES):
                    conn.execute(
                        "INSERT INTO tails VALUES (%s, %s, %s)", (bundle_id, start + at, piece)
                    )
                conn.execute(
                    "UPDATE uploads SET durable = %s, parts_bytes = %s,"
                    " expires_at = GREATEST(expires_at, %s) WHERE bundle_id = %s",
                    (new_offset, parts_bytes, self._expires_at, bundle_id),
                )
        finally:
            self._spool.close()
        return new_offset

    def abort(self) -> None:
        # Parts already sent are never listed in the ledger, so completion discards them.
        self._open = False
        self._spool.close()


class PgS3Storage(RelayStorage):
    def __init__(
        self,
        database: str,
        objects: ObjectStore,
        *,
        part_size: int = MIN_PART_BYTES,
        pool_size: int = 10,
        spool_dir: str | None = None,
    ) -> None:
        if part_size < MIN_PART_BYTES:
            raise ValueError("S3 parts are at least 5 MiB")
        self.objects, self.part_size, self.spool_dir = objects, part_size, spool_dir
        self.pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            database,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=False,
            name="kpfield-relay",
        )
        try:
            self.pool.open(wait=True, timeout=15)
        except psycopg.Error as exc:
            self.pool.close()
            raise UsageError(
                N_("The relay database cannot be reached: {why}."), why=type(exc).__name__
            ) from None
        with self.pool.connection() as conn:
            create_schema(conn)
        self._nonce_calls = 0
        self._nonce_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self.pool.connection() as conn, conn.transaction():
            yield conn

    def _get(
        self, conn: psycopg.Connection[Any], bundle_id: str, lock: bool = False
    ) -> _Row | None:
        sql = _SELECT_ROW + (" FOR UPDATE" if lock else "")
        found = conn.execute(sql, (bundle_id,)).fetchone()
        return _row(found) if found else None

    def ensure_multipart(self, bundle_id: str, generation: int) -> str:
        """The upload's S3 multipart id, started on first need (one per generation, race-safe)."""
        with self.pool.connection() as conn:
            held = conn.execute(
                "SELECT multipart_id FROM uploads WHERE bundle_id = %s AND generation = %s",
                (bundle_id, generation),
            ).fetchone()
            if held is None:
                raise OffsetMismatch(0)
            if held[0] is not None:
                return str(held[0])
            mine = self.objects.start_multipart(bundle_id)
            won = conn.execute(
                "UPDATE uploads SET multipart_id = %s WHERE bundle_id = %s AND generation = %s"
                " AND multipart_id IS NULL RETURNING multipart_id",
                (mine, bundle_id, generation),
            ).fetchone()
        if won is not None:
            return mine
        self.objects.abort_multipart(bundle_id, mine)
        return self.ensure_multipart(bundle_id, generation)

    def take_part_number(self, bundle_id: str, generation: int) -> int:
        with self.pool.connection() as conn:
            found = conn.execute(
                "UPDATE uploads SET next_part = next_part + 1 WHERE bundle_id = %s"
                " AND generation = %s AND receipt IS NULL RETURNING next_part",
                (bundle_id, generation),
            ).fetchone()
        if found is None:
            raise OffsetMismatch(0)
        if int(found[0]) > MAX_PARTS:  # interrupted PATCHes used them up: start over
            log.warning("upload %s ran out of part numbers; reset", bundle_id[:16])
            self.reset_upload(bundle_id)
            raise OffsetMismatch(0)
        return int(found[0])

    # -- uploads ----------------------------------------------------------------------------
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
        with self.pool.connection() as conn:
            made = conn.execute(
                _INSERT_UPLOAD,
                (bundle_id, device_id, sequence, length, now, expires_at),
            ).fetchone()
            if made is not None:
                return _row(made).upload, True
            held = self._get(conn, bundle_id)
            if held is not None:
                u = held.upload
                if (u.device_id, u.sequence, u.length) != (device_id, sequence, length):
                    raise UploadConflict(N_("This bundle id is held with other details."))
                return u, False
            other = conn.execute(
                "SELECT bundle_id FROM uploads WHERE device_id = %s AND sequence = %s",
                (device_id, sequence),
            ).fetchone()
            if other is None:  # the row that was in the way is gone: try again
                return self.create_upload(
                    bundle_id=bundle_id,
                    device_id=device_id,
                    sequence=sequence,
                    length=length,
                    now=now,
                    expires_at=expires_at,
                )
            conn.execute(
                "INSERT INTO flags VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (device_id, sequence, other[0], bundle_id, now),
            )
        raise SequenceConflict(
            N_("This device already sent another bundle with sequence {sequence}."),
            sequence=sequence,
        )

    def get_upload(self, bundle_id: str) -> Upload | None:
        with self.pool.connection() as conn:
            held = self._get(conn, bundle_id)
        return held.upload if held else None

    def count_incomplete(self, device_id: str) -> int:
        with self.pool.connection() as conn:
            found = conn.execute(
                "SELECT COUNT(*) FROM uploads WHERE device_id = %s AND receipt IS NULL",
                (device_id,),
            ).fetchone()
        return int(found[0]) if found else 0

    def begin_append(self, bundle_id: str, offset: int, expires_at: int) -> Appender:
        with self.pool.connection() as conn:
            held = self._get(conn, bundle_id)
            if held is None or held.upload.complete or held.assembled:
                raise OffsetMismatch(held.upload.offset if held else 0)
            if held.upload.offset != offset:
                raise OffsetMismatch(held.upload.offset)
            tail = self._spool_tail(conn, bundle_id, held.parts_bytes)
            lease = self._take_lease(conn, bundle_id)
        if tail is None or held.parts_bytes + tail.size != offset:
            # Another node committed between our reads: let the client ask again.
            if tail is not None:
                tail.close()
            raise OffsetMismatch(held.upload.offset)
        return _PartAppender(self, held, tail, expires_at, lease)

    def _take_lease(self, conn: psycopg.Connection[Any], bundle_id: str) -> int:
        found = conn.execute(
            "UPDATE uploads SET lease = lease + 1 WHERE bundle_id = %s RETURNING lease",
            (bundle_id,),
        ).fetchone()
        return int(found[0]) if found else -1

    def supersede(self, bundle_id: str) -> None:
        with self.pool.connection() as conn:
            self._take_lease(conn, bundle_id)

    def _spool_tail(
        self, conn: psycopg.Connection[Any], bundle_id: str, parts_bytes: int
    ) -> Spool | None:
        """The committed tail, row by row into a spool; None if its rows are not contiguous
        from ``parts_bytes`` (another node moved the upload on while we read)."""
        spool = Spool(self.spool_dir)
        starts = conn.execute(
            "SELECT start FROM tails WHERE bundle_id = %s ORDER BY start", (bundle_id,)
        ).fetchall()
        for (start,) in starts:
            found = conn.execute(
                "SELECT data FROM tails WHERE bundle_id = %s AND start = %s", (bundle_id, start)
            ).fetchone()
            if found is None or start != parts_bytes + spool.size:
                spool.close()
                return None
            spool.write(found[0])
        return spool

    def _assemble(self, bundle_id: str) -> bool:
        """Turn parts + tail into the final object, once; False if the store lost bytes."""
        with self.transaction() as conn:
            held = self._get(conn, bundle_id, lock=True)
            if held is None or held.upload.offset != held.upload.length:
                raise OffsetMismatch(held.upload.offset if held else 0)
            if held.assembled or held.upload.complete:
                return True
            tail = self._spool_tail(conn, bundle_id, held.parts_bytes)
            if tail is None:  # impossible under the row lock, unless the ledger is damaged
                log.error("bundle %s: its tail rows are not contiguous", bundle_id[:16])
                return False
            try:
                return self._assemble_locked(conn, held, tail)
            finally:
                tail.close()

    def _assemble_locked(self, conn: psycopg.Connection[Any], held: _Row, tail: Spool) -> bool:
        bundle_id = held.upload.bundle_id
        parts = [
            (int(r[0]), str(r[1]))
            for r in conn.execute(
                "SELECT part_number, etag FROM parts WHERE bundle_id = %s ORDER BY part_number",
                (bundle_id,),
            ).fetchall()
        ]
        if held.parts_bytes + tail.size != held.upload.length:
            log.error("bundle %s: ledger bytes disagree with its length", bundle_id[:16])
            return False
        try:
            if not parts:
                self.objects.put(bundle_id, tail)
            else:
                assert held.multipart_id is not None  # noqa: S101 (parts imply one)
                if tail.size:
                    number = conn.execute(
                        "UPDATE uploads SET next_part = next_part + 1 WHERE bundle_id = %s"
                        " RETURNING next_part",
                        (bundle_id,),
                    ).fetchone()
                    assert number is not None  # noqa: S101 (the row is locked)
                    etag = self.objects.upload_part(
                        bundle_id, held.multipart_id, int(number[0]), tail
                    )
                    parts.append((int(number[0]), etag))
                self.objects.complete_multipart(bundle_id, held.multipart_id, parts)
        except ObjectMissing:
            # A node that completed the multipart upload and died before this commit left
            # the object in place; the read-back hash decides whether it is the bundle.
            if self.objects.size(bundle_id) != held.upload.length:
                log.error("bundle %s: the object store lost its parts", bundle_id[:16])
                return False
        conn.execute("DELETE FROM tails WHERE bundle_id = %s", (bundle_id,))
        conn.execute(
            "UPDATE uploads SET assembled = TRUE, multipart_id = NULL WHERE bundle_id = %s",
            (bundle_id,),
        )
        return True

    def data_sha256(self, bundle_id: str) -> bytes:
        """The SHA-256 read back from the object store (a lost object hashes as nothing)."""
        upload = self.get_upload(bundle_id)
        if upload is None or upload.offset != upload.length:
            raise OffsetMismatch(upload.offset if upload else 0)
        digest = hashlib.sha256()
        if not self._assemble(bundle_id):
            return digest.digest()
        try:
            for chunk in self.objects.read(bundle_id, 1 << 20):
                digest.update(chunk)
        except ObjectMissing:
            log.error("bundle %s: the object is missing", bundle_id[:16])
            return hashlib.sha256().digest()
        return digest.digest()

    def reset_upload(self, bundle_id: str) -> None:
        with self.transaction() as conn:
            held = self._get(conn, bundle_id, lock=True)
            if held is None or held.upload.complete:
                return
            conn.execute("DELETE FROM parts WHERE bundle_id = %s", (bundle_id,))
            conn.execute("DELETE FROM tails WHERE bundle_id = %s", (bundle_id,))
            conn.execute(
                "UPDATE uploads SET durable = 0, parts_bytes = 0, generation = generation + 1,"
                " multipart_id = NULL, next_part = 0, assembled = FALSE WHERE bundle_id = %s",
                (bundle_id,),
            )
        self._drop_bytes(bundle_id, held)

    def _drop_bytes(self, bundle_id: str, held: _Row) -> None:
        if held.multipart_id is not None:
            self.objects.abort_multipart(bundle_id, held.multipart_id)
        if held.assembled:
            self.objects.delete(bundle_id)

    def complete(self, bundle_id: str, receipt: bytes, now: int) -> Upload:
        if not self._assemble(bundle_id):
            self.reset_upload(bundle_id)
            raise BundleBytesMissing(N_("The relay lost this bundle's bytes; send it again."))
        size = self.objects.size(bundle_id)
        with self.transaction() as conn:
            held = self._get(conn, bundle_id, lock=True)
            if held is None or held.upload.offset != held.upload.length:
                raise OffsetMismatch(held.upload.offset if held else 0)
            if held.upload.complete:
                return held.upload
            lost = size != held.upload.length
            if not lost:
                done = self._record_completion(conn, bundle_id, receipt)
        if lost:  # never complete without the object: the device sends the bundle again
            log.error("bundle %s: object missing or of the wrong size", bundle_id[:16])
            self.reset_upload(bundle_id)
            raise BundleBytesMissing(N_("The relay lost this bundle's bytes; send it again."))
        return done

    def _record_completion(
        self, conn: psycopg.Connection[Any], bundle_id: str, receipt: bytes
    ) -> Upload:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_CURSOR,))
        done = conn.execute(
            _COMPLETE,
            (receipt, bundle_id),
        ).fetchone()
        assert done is not None  # noqa: S101 (the row is locked)
        return _row(done).upload

    def _delete(self, bundle_id: str) -> bool:
        with self.transaction() as conn:
            held = self._get(conn, bundle_id, lock=True)
            if held is None or held.upload.complete:
                return False
            conn.execute("DELETE FROM uploads WHERE bundle_id = %s", (bundle_id,))
        self._drop_bytes(bundle_id, held)
        return True

    def delete_upload(self, bundle_id: str) -> None:
        self._delete(bundle_id)

    def expire_uploads(self, now: int) -> int:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT bundle_id FROM uploads WHERE receipt IS NULL AND expires_at < %s", (now,)
            ).fetchall()
        return sum(1 for (bundle_id,) in rows if self._delete(bundle_id))

    def read_bundle(self, bundle_id: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        upload = self.get_upload(bundle_id)
        if upload is None or not upload.complete:
            raise BundleBytesMissing(N_("No such bundle."))
        yield from self.objects.read(bundle_id, chunk_size)

    def list_completed(self, since: int, limit: int) -> list[Upload]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                f"SELECT {_COLS} FROM uploads WHERE cursor > %s ORDER BY cursor LIMIT %s",  # noqa: S608
                (since, limit),
            ).fetchall()
        return [_upload(r) for r in rows]

    def flags(self) -> list[SequenceFlag]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT device_id, sequence, held_bundle_id, offered_bundle_id, at FROM flags"
                " ORDER BY at, device_id"
            ).fetchall()
        return [SequenceFlag(*r) for r in rows]

    # -- nonces, device list, documents -----------------------------------------------------
    def remember_nonce(self, keyid: str, nonce: str, expires_at: int, now: int) -> bool:
        with self._nonce_lock:
            self._nonce_calls += 1
            sweep = self._nonce_calls % _NONCE_SWEEP_EVERY == 1
        with self.pool.connection() as conn:
            if sweep:
                conn.execute("DELETE FROM nonces WHERE expires_at < %s", (now,))
            # A held nonce that has expired is as good as forgotten: take it over.
            found = conn.execute(
                "INSERT INTO nonces VALUES (%s, %s, %s) ON CONFLICT (keyid, nonce) DO UPDATE"
                " SET expires_at = EXCLUDED.expires_at WHERE nonces.expires_at < %s RETURNING 1",
                (keyid, nonce, expires_at, now),
            ).fetchone()
        return found is not None

    def put_device_list(self, serial: int, data: bytes) -> None:
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SCHEMA + 16,))
            held = conn.execute("SELECT serial FROM device_list").fetchone()
            if held is not None and serial <= held[0]:
                raise StaleSerial(
                    N_("The relay holds device list serial {held}; {serial} is not newer."),
                    held=held[0],
                    serial=serial,
                )
            conn.execute(
                "INSERT INTO device_list VALUES (1, %s, %s) ON CONFLICT (id)"
                " DO UPDATE SET serial = EXCLUDED.serial, data = EXCLUDED.data",
                (serial, data),
            )

    def device_list(self) -> bytes | None:
        with self.pool.connection() as conn:
            found = conn.execute("SELECT data FROM device_list").fetchone()
        return bytes(found[0]) if found else None

    def device_list_serial(self) -> int | None:
        with self.pool.connection() as conn:
            found = conn.execute("SELECT serial FROM device_list").fetchone()
        return int(found[0]) if found else None

    def add_document(
        self, *, device_id: str, kind: str, body: bytes, signature: str, now: int
    ) -> int:
        with self.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_DOC_CURSOR,))
            found = conn.execute(
                "INSERT INTO documents SELECT COALESCE(MAX(cursor), 0) + 1, %s, %s, %s, %s, %s"
                " FROM documents RETURNING cursor",
                (device_id, kind, body, signature, now),
            ).fetchone()
        assert found is not None  # noqa: S101 (INSERT ... RETURNING)
        return int(found[0])

    def list_documents(self, device_id: str, since: int, limit: int) -> list[HqDocument]:
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT cursor, device_id, kind, body, signature, created_at FROM documents"
                " WHERE device_id = %s AND cursor > %s ORDER BY cursor LIMIT %s",
                (device_id, since, limit),
            ).fetchall()
        return [HqDocument(r[0], r[1], r[2], bytes(r[3]), r[4], r[5]) for r in rows]

    def close(self) -> None:
        self.pool.close()
