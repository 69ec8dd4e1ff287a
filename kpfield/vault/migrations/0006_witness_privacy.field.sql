-- Consent withdrawals the monitor recorded, each with its signed notice for HQ. A notice is
-- pending until a bundle carries it (sent_in_sequence), and is then kept as the laptop's record.
CREATE TABLE consent_withdrawals (
    notice_id TEXT PRIMARY KEY,
    witness_id TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL,
    scopes TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    notice BLOB NOT NULL,
    sent_in_sequence INTEGER
);
CREATE INDEX consent_withdrawals_pending ON consent_withdrawals(sent_in_sequence);
