"""Relays a vault has talked to (both roles): the pinned relay key and the cursors per relay.

All SQL of sync's shared state lives here; the field's upload rows are in
:mod:`kpfield.vault.outbox_store`, HQ's inbox rows in :mod:`kpfield.vault.hq_store`.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpfield.vault.db import Connection


@dataclass(frozen=True)
class PinnedRelay:
    url: str
    relay_key: str  # minisign public key (base64 line), as GET /v1/relay gave it first
    pinned_at: str
    documents_cursor: int
    bundles_cursor: int


_LAST_FAILURE = "sync_last_failure"
"""``meta`` key: why the last field sync did not finish (a small JSON document), or absent."""


class SyncStore:
    """Typed access to ``sync_relays`` and the last sync failure (the caller owns transactions)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def relay(self, url: str) -> PinnedRelay | None:
        row = self.conn.execute(
            "SELECT url, relay_key, pinned_at, documents_cursor, bundles_cursor"
            " FROM sync_relays WHERE url = ?",
            (url,),
        ).fetchone()
        return (
            None if row is None else PinnedRelay(row[0], row[1], row[2], int(row[3]), int(row[4]))
        )

    def pin(self, url: str, relay_key: str, at: str) -> None:
        """Remember a relay's key on first contact (never replaces a pinned key)."""
        self.conn.execute(
            "INSERT OR IGNORE INTO sync_relays(url, relay_key, pinned_at) VALUES (?,?,?)",
            (url, relay_key, at),
        )

    def set_documents_cursor(self, url: str, cursor: int) -> None:
        self.conn.execute(
            "UPDATE sync_relays SET documents_cursor = max(documents_cursor, ?) WHERE url = ?",
            (cursor, url),
        )

    def set_bundles_cursor(self, url: str, cursor: int) -> None:
        self.conn.execute(
            "UPDATE sync_relays SET bundles_cursor = max(bundles_cursor, ?) WHERE url = ?",
            (cursor, url),
        )

    def last_failure(self) -> str:
        """The saved reason of the last failed sync ("" when the last one finished)."""
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (_LAST_FAILURE,)).fetchone()
        return str(row[0]) if row else ""

    def set_last_failure(self, document: str) -> None:
        """Save (or, with "", forget) the reason of the last failed sync."""
        if not document:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (_LAST_FAILURE,))
            return
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (_LAST_FAILURE, document),
        )
