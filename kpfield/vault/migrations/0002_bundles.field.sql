-- What a field laptop sent (bundles) and what HQ acknowledged (receipts).
CREATE TABLE bundles_out (
    sequence INTEGER PRIMARY KEY,
    bundle_id TEXT NOT NULL UNIQUE,
    manifest_sha256 TEXT NOT NULL UNIQUE,
    ciphertext_sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    report_ids TEXT NOT NULL
);
CREATE TABLE receipts_in (
    receipt_sha256 TEXT PRIMARY KEY,
    manifest_sha256 TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    receipt TEXT NOT NULL,
    signature TEXT NOT NULL
);
