-- HQ's enrolled devices and what it imported from them.
CREATE TABLE hq_devices (
    device_id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL UNIQUE,
    age_recipient TEXT NOT NULL,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE hq_bundles (
    manifest_sha256 TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES hq_devices(device_id),
    sequence INTEGER NOT NULL,
    bundle_id TEXT NOT NULL,
    previous_manifest_sha256 TEXT,
    custody_head_seq INTEGER NOT NULL,
    custody_head_hash TEXT NOT NULL,
    manifest TEXT NOT NULL,
    signature TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    UNIQUE (device_id, sequence)
);
CREATE TABLE hq_reports (
    report_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES hq_devices(device_id),
    version INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    sealed_json BLOB NOT NULL,
    signature TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL REFERENCES hq_bundles(manifest_sha256),
    imported_at TEXT NOT NULL
);
CREATE TABLE hq_attachments (
    attachment_id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES hq_reports(report_id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    blob_name TEXT NOT NULL UNIQUE,
    blob_key BLOB NOT NULL
);
CREATE TABLE hq_custody (
    device_id TEXT NOT NULL REFERENCES hq_devices(device_id),
    seq INTEGER NOT NULL,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);
CREATE TRIGGER hq_reports_immutable BEFORE UPDATE ON hq_reports
BEGIN SELECT RAISE(ABORT, 'imported reports cannot change'); END;
CREATE TRIGGER hq_custody_immutable BEFORE UPDATE ON hq_custody
BEGIN SELECT RAISE(ABORT, 'imported custody entries cannot change'); END;
