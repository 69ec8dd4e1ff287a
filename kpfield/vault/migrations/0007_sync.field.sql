-- One row per bundle in the sync outbox (ciphertext_sha256 = the relay's bundle id).
-- status: pending (not yet delivered) -> delivered (a verified relay receipt is held)
--         -> acknowledged (HQ's receipt for it arrived; the outbox file is then deleted).
CREATE TABLE uploads_out (
    ciphertext_sha256 TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL UNIQUE REFERENCES bundles_out(sequence),
    size INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'delivered', 'acknowledged')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_attempt_at TEXT,
    relay_url TEXT,
    relay_receipt BLOB,
    delivered_at TEXT
);
