-- Bundles HQ saw on a relay: what became of each, and whether its receipt was posted back.
-- outcome: imported | already imported | rejected (from intake); receipt_posted_at is set once
-- the HQ receipt is on the relay for the device.
CREATE TABLE hq_relay_inbox (
    bundle_id TEXT PRIMARY KEY,
    relay_url TEXT NOT NULL,
    device_id TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    cursor INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    manifest_sha256 TEXT,
    seen_at TEXT NOT NULL,
    receipt_posted_at TEXT
);
