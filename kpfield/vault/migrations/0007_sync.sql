-- Relays this vault has talked to: the relay's signing key is pinned on first contact (a relay
-- answering later with another key is refused), and the device's document cursor per relay.
CREATE TABLE sync_relays (
    url TEXT PRIMARY KEY,
    relay_key TEXT NOT NULL,
    pinned_at TEXT NOT NULL,
    documents_cursor INTEGER NOT NULL DEFAULT 0,
    bundles_cursor INTEGER NOT NULL DEFAULT 0
);
