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
_DEVICE_LIST_SERIAL = "sync_device_list_serial"
"""``meta`` key: the newest HQ device list a laptop accepted, so a relay cannot roll it back."""


class SyncStore:
    """Typed access to ``sync_relays``, the last sync failure and the newest device list seen
    (the caller owns transactions)."""

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
        return self._meta(_LAST_FAILURE)

    def set_last_failure(self, document: str) -> None:
        """Save (or, with "", forget) the reason of the last failed sync."""
        self._set_meta(_LAST_FAILURE, document)

    def device_list_serial(self) -> int:
        """The highest HQ device list serial this laptop accepted (0: none yet)."""
        serial = self._meta(_DEVICE_LIST_SERIAL)
        return int(serial) if serial.isascii() and serial.isdigit() else 0

    def set_device_list_serial(self, serial: int) -> None:
        """Remember an accepted device list's serial; it never goes down."""
        if serial > self.device_list_serial():
            self._set_meta(_DEVICE_LIST_SERIAL, str(serial))

    def _meta(self, key: str) -> str:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else ""

    def _set_meta(self, key: str, value: str) -> None:
        if not value:
            self.conn.execute("DELETE FROM meta WHERE key = ?", (key,))
            return
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
