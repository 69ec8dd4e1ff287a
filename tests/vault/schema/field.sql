-- Schema of a fresh field vault; regenerate: see tests/vault/test_schema.py
-- user_version 9

-- index attachments_report on attachments
CREATE INDEX attachments_report ON attachments(report_id, position);

-- index attachments_sha256 on attachments
CREATE INDEX attachments_sha256 ON attachments(sha256);

-- index consent_withdrawals_pending on consent_withdrawals
CREATE INDEX consent_withdrawals_pending ON consent_withdrawals(sent_in_sequence);

-- index reports_status on reports
CREATE INDEX reports_status ON reports(status);

-- index reports_updated on reports
CREATE INDEX reports_updated ON reports(updated_at);

-- index sqlite_autoindex_attachments_1 on attachments
-- (automatic)

-- index sqlite_autoindex_attachments_2 on attachments
-- (automatic)

-- index sqlite_autoindex_attachments_3 on attachments
-- (automatic)

-- index sqlite_autoindex_bundles_out_1 on bundles_out
-- (automatic)

-- index sqlite_autoindex_bundles_out_2 on bundles_out
-- (automatic)

-- index sqlite_autoindex_consent_withdrawals_1 on consent_withdrawals
-- (automatic)

-- index sqlite_autoindex_custody_log_1 on custody_log
-- (automatic)

-- index sqlite_autoindex_meta_1 on meta
-- (automatic)

-- index sqlite_autoindex_receipts_in_1 on receipts_in
-- (automatic)

-- index sqlite_autoindex_report_search_rows_1 on report_search_rows
-- (automatic)

-- index sqlite_autoindex_report_search_rows_2 on report_search_rows
-- (automatic)

-- index sqlite_autoindex_report_witnesses_1 on report_witnesses
-- (automatic)

-- index sqlite_autoindex_reports_1 on reports
-- (automatic)

-- index sqlite_autoindex_secrets_1 on secrets
-- (automatic)

-- index sqlite_autoindex_sync_relays_1 on sync_relays
-- (automatic)

-- index sqlite_autoindex_uploads_out_1 on uploads_out
-- (automatic)

-- index sqlite_autoindex_uploads_out_2 on uploads_out
-- (automatic)

-- index sqlite_autoindex_witnesses_1 on witnesses
-- (automatic)

-- table attachments on attachments
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES reports(id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    original_name TEXT NOT NULL,
    size INTEGER NOT NULL,
    mime TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    claims TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    blob_name TEXT NOT NULL UNIQUE,
    blob_key BLOB NOT NULL,
    thumb_name TEXT UNIQUE,
    thumb_key BLOB
, caption TEXT NOT NULL DEFAULT '');

-- table bundles_out on bundles_out
CREATE TABLE bundles_out (
    sequence INTEGER PRIMARY KEY,
    bundle_id TEXT NOT NULL UNIQUE,
    manifest_sha256 TEXT NOT NULL UNIQUE,
    ciphertext_sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    report_ids TEXT NOT NULL
);

-- table consent_withdrawals on consent_withdrawals
CREATE TABLE consent_withdrawals (
    notice_id TEXT PRIMARY KEY,
    witness_id TEXT NOT NULL,
    withdrawn_on TEXT NOT NULL,
    scopes TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    notice BLOB NOT NULL,
    sent_in_sequence INTEGER
);

-- table custody_log on custody_log
CREATE TABLE custody_log (
    seq INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    report_id TEXT,
    at TEXT NOT NULL,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL UNIQUE
);

-- table meta on meta
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

-- table receipts_in on receipts_in
CREATE TABLE receipts_in (
    receipt_sha256 TEXT PRIMARY KEY,
    manifest_sha256 TEXT NOT NULL,
    sequence INTEGER NOT NULL,
    received_at TEXT NOT NULL,
    receipt TEXT NOT NULL,
    signature TEXT NOT NULL
);

-- table report_search on report_search
CREATE VIRTUAL TABLE report_search USING fts5(
    report_id UNINDEXED, title, narrative, notes, place, witnesses,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- table report_search_config on report_search_config
CREATE TABLE 'report_search_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table report_search_content on report_search_content
CREATE TABLE 'report_search_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3, c4, c5);

-- table report_search_data on report_search_data
CREATE TABLE 'report_search_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table report_search_docsize on report_search_docsize
CREATE TABLE 'report_search_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table report_search_idx on report_search_idx
CREATE TABLE 'report_search_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table report_search_rows on report_search_rows
CREATE TABLE report_search_rows (
    report_id TEXT PRIMARY KEY,
    fts_rowid INTEGER NOT NULL UNIQUE
);

-- table report_witnesses on report_witnesses
CREATE TABLE report_witnesses (
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    witness_id TEXT NOT NULL REFERENCES witnesses(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (report_id, witness_id)
);

-- table reports on reports
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL DEFAULT 1,
    amends TEXT REFERENCES reports(id),
    status TEXT NOT NULL CHECK (status IN ('draft','sealed','exported','sent','acknowledged')),
    doc TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    incident_date TEXT,
    country TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sealed_at TEXT,
    sealed_json BLOB,
    seal_sha256 TEXT,
    seal_signature TEXT
, purged_at TEXT, private_notes TEXT NOT NULL DEFAULT '');

-- table secrets on secrets
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);

-- table sync_relays on sync_relays
CREATE TABLE sync_relays (
    url TEXT PRIMARY KEY,
    relay_key TEXT NOT NULL,
    pinned_at TEXT NOT NULL,
    documents_cursor INTEGER NOT NULL DEFAULT 0,
    bundles_cursor INTEGER NOT NULL DEFAULT 0
);

-- table uploads_out on uploads_out
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

-- table witnesses on witnesses
CREATE TABLE witnesses (
    id TEXT PRIMARY KEY,
    pseudonym TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- trigger attachment_captions_of_sealed_reports_fixed on attachments
CREATE TRIGGER attachment_captions_of_sealed_reports_fixed
BEFORE UPDATE OF caption ON attachments
WHEN NEW.caption != '' AND NEW.caption != OLD.caption
    AND (SELECT status FROM reports WHERE id = OLD.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'captions of sealed reports cannot change'); END;

-- trigger attachments_added_to_drafts_only on attachments
CREATE TRIGGER attachments_added_to_drafts_only
BEFORE INSERT ON attachments
WHEN (SELECT status FROM reports WHERE id = NEW.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'attachments can only be added to drafts'); END;

-- trigger attachments_of_sealed_reports_fixed on attachments
CREATE TRIGGER attachments_of_sealed_reports_fixed
BEFORE UPDATE OF id, report_id, sha256, size, blob_name ON attachments
WHEN (SELECT status FROM reports WHERE id = OLD.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'attachments of sealed reports cannot change'); END;

-- trigger attachments_of_sealed_reports_stay on attachments
CREATE TRIGGER attachments_of_sealed_reports_stay
BEFORE DELETE ON attachments
WHEN (SELECT status FROM reports WHERE id = OLD.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'attachments of sealed reports cannot be removed'); END;

-- trigger custody_log_no_delete on custody_log
CREATE TRIGGER custody_log_no_delete BEFORE DELETE ON custody_log
BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;

-- trigger custody_log_no_update on custody_log
CREATE TRIGGER custody_log_no_update BEFORE UPDATE ON custody_log
BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;

-- trigger reports_purge_is_final on reports
CREATE TRIGGER reports_purge_is_final
BEFORE UPDATE OF purged_at ON reports WHEN OLD.purged_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a purge cannot be undone'); END;

-- trigger reports_sealed_are_immutable on reports
CREATE TRIGGER reports_sealed_are_immutable
BEFORE UPDATE OF doc, sealed_json, seal_sha256, seal_signature, version, amends ON reports
WHEN OLD.status != 'draft' AND NOT (
    OLD.status = 'acknowledged' AND OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL
    AND NEW.sealed_json IS NULL
    AND NEW.seal_sha256 IS OLD.seal_sha256 AND NEW.seal_signature IS OLD.seal_signature
    AND NEW.version = OLD.version AND NEW.amends IS OLD.amends
)
BEGIN SELECT RAISE(ABORT, 'sealed reports cannot change'); END;

-- trigger reports_sealed_not_deleted on reports
CREATE TRIGGER reports_sealed_not_deleted
BEFORE DELETE ON reports WHEN OLD.status != 'draft'
BEGIN SELECT RAISE(ABORT, 'sealed reports cannot be deleted'); END;

-- trigger reports_status_moves_forward on reports
CREATE TRIGGER reports_status_moves_forward
BEFORE UPDATE OF status ON reports
WHEN OLD.status != NEW.status AND (
    NEW.status = 'draft'
    OR (OLD.status = 'draft' AND NEW.status != 'sealed')
    OR OLD.status = 'acknowledged'
)
BEGIN SELECT RAISE(ABORT, 'a report status only moves forward'); END;
