-- Witness identities HQ received (apart from the sealed reports, which hold only a salted hash of
-- them, so a row can be deleted without breaking any seal), and consent withdrawals it applied.
CREATE TABLE hq_identities (
    witness_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES hq_devices(device_id),
    salt TEXT NOT NULL,
    identifying TEXT NOT NULL,
    identity_sha256 TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE TABLE hq_withdrawals (
    notice_sha256 TEXT PRIMARY KEY,
    notice_id TEXT NOT NULL UNIQUE,
    device_id TEXT NOT NULL REFERENCES hq_devices(device_id),
    witness_id TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL,
    scopes TEXT NOT NULL,
    notice TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    identity_deleted INTEGER NOT NULL
);
CREATE INDEX hq_withdrawals_witness ON hq_withdrawals(witness_id);
CREATE TABLE hq_withdrawn_reports (
    report_id TEXT NOT NULL,
    notice_sha256 TEXT NOT NULL REFERENCES hq_withdrawals(notice_sha256),
    PRIMARY KEY (report_id, notice_sha256)
);
