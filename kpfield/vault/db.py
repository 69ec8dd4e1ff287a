"""SQLCipher connection with the vault's pragmas, and the runner of the numbered migrations.

The migrations themselves are files in :mod:`kpfield.vault.migrations`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3

from kpfield.errors import N_, VaultError
from kpfield.vault.migrations import ROLES, Migration
from kpfield.vault.migrations import load as load_migrations

log = logging.getLogger(__name__)

Connection = Any  # sqlcipher3.dbapi2.Connection has no type stubs


def _pragmas(raw_key: bytes) -> list[str]:
    # Order matters: the key must come first; the rest as DESIGN.md §4 lists them.
    return [
        f"PRAGMA key = \"x'{raw_key.hex()}'\"",
        # OFF (upstream's default since 4.5): ON cost 2-4x on every query and protected little —
        # without CAP_IPC_LOCK the 8 MiB memlock limit makes most of its mlock calls fail, and
        # SQLCipher zeroes and locks its key and page buffers either way. The process is made
        # non-dumpable instead, and setup warns when swap or hibernation is not encrypted.
        "PRAGMA cipher_memory_security = OFF",
        "PRAGMA temp_store = MEMORY",
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = FULL",
        "PRAGMA foreign_keys = ON",
        "PRAGMA cipher_log_level = NONE",
        # Freed pages (deleted drafts, purged reports, old search-index segments) are zeroed.
        "PRAGMA secure_delete = ON",
    ]


def connect(path: Path, raw_key: bytes, *, create: bool = False) -> Connection:
    """Open (or create) the encrypted database and prove the key works before returning."""
    if not create and not path.exists():
        raise VaultError(N_("The vault database is missing."))
    if not create and path.stat().st_size == 0:
        raise VaultError(N_("The vault database is empty or truncated."))
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=True)
    try:
        # Silence SQLCipher's own logging before the first keyed read, or a wrong key or a damaged
        # file prints "hmac check failed" to stderr; the §4 order is kept for the rest.
        conn.execute("PRAGMA cipher_log_level = NONE").fetchall()
        conn.execute(_pragmas(raw_key)[0])
        # The first read after the key is where a wrong key, a foreign or a truncated file shows.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        for pragma in _pragmas(raw_key)[1:]:
            conn.execute(pragma).fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            raise VaultError(N_("The vault database could not be opened in safe mode."))
    except sqlcipher3.DatabaseError:
        conn.close()
        raise VaultError(
            N_("The vault database is damaged, truncated, or does not belong to this key file.")
        ) from None
    return conn


@contextmanager
def transaction(conn: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        # After SQLITE_FULL or an I/O error SQLite may have rolled back already: a second
        # ROLLBACK would fail and hide the real error behind "no transaction is active".
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def run_script(conn: Connection, script: str) -> None:
    """Run SQL statements one by one inside the caller's transaction.

    (``executescript`` would commit first, breaking a migration's atomicity.)
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlcipher3.complete_statement(pending):
            conn.execute(pending)
            pending = ""
    # A comment after the last statement is not an unfinished statement.
    if any(line.strip() and not line.strip().startswith("--") for line in pending.splitlines()):
        raise ValueError("incomplete SQL statement at end of script")


def schema_version(conn: Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def stored_role(conn: Connection) -> str:
    """The role a vault was created with, from ``meta`` (before any migration: field)."""
    # The meta table comes with migration 1, which a just-created database has not run yet.
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
        return "field"
    row = conn.execute("SELECT value FROM meta WHERE key = 'role'").fetchone()
    # Vault.role reads a missing role as field; migrations must agree with it.
    return str(row[0]) if row else "field"


def migrate(conn: Connection, role: str, migrations: Sequence[Migration] | None = None) -> int:
    """Apply every migration above the stored ``user_version``, each in its own transaction.

    ``role`` (field or hq) picks the role-specific parts; ``migrations`` defaults to the ones
    shipped in :mod:`kpfield.vault.migrations`. Returns the schema version reached.
    """
    if role not in ROLES:
        raise ValueError(f"unknown vault role {role!r}")
    steps = load_migrations() if migrations is None else migrations
    current = schema_version(conn)
    if current > len(steps):
        raise VaultError(N_("This vault was made by a newer version of KP Field."))
    for number, step in enumerate(steps[current:], start=current + 1):
        if step.number != number:
            raise RuntimeError(f"migration {step.number} ({step.name}) is out of place")
        with transaction(conn):  # the same rollback rule: never hide the real error
            step.apply(conn, role, run_script)
            conn.execute(f"PRAGMA user_version = {number}")
        log.info("vault schema migrated to version %d (%s)", number, step.name)
    return len(steps)
