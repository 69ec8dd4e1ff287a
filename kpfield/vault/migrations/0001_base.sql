-- The first schema: records, attachments, the custody log and the search index.

CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE secrets (name TEXT PRIMARY KEY, value BLOB NOT NULL);
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
);
CREATE INDEX reports_status ON reports(status);
CREATE INDEX reports_updated ON reports(updated_at);
CREATE TRIGGER reports_sealed_are_immutable
BEFORE UPDATE OF doc, sealed_json, seal_sha256, seal_signature, version, amends ON reports
WHEN OLD.status != 'draft'
BEGIN SELECT RAISE(ABORT, 'sealed reports cannot change'); END;
CREATE TRIGGER reports_sealed_not_deleted
BEFORE DELETE ON reports WHEN OLD.status != 'draft'
BEGIN SELECT RAISE(ABORT, 'sealed reports cannot be deleted'); END;
CREATE TABLE witnesses (
    id TEXT PRIMARY KEY,
    pseudonym TEXT NOT NULL,
    doc TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE report_witnesses (
    report_id TEXT NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    witness_id TEXT NOT NULL REFERENCES witnesses(id),
    position INTEGER NOT NULL,
    PRIMARY KEY (report_id, witness_id)
);
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
);
CREATE INDEX attachments_report ON attachments(report_id, position);
CREATE TABLE custody_log (
    seq INTEGER PRIMARY KEY,
    event TEXT NOT NULL,
    report_id TEXT,
    at TEXT NOT NULL,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL UNIQUE
);
CREATE TRIGGER custody_log_no_update BEFORE UPDATE ON custody_log
BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;
CREATE TRIGGER custody_log_no_delete BEFORE DELETE ON custody_log
BEGIN SELECT RAISE(ABORT, 'the custody log is append-only'); END;
CREATE VIRTUAL TABLE report_search USING fts5(
    report_id UNINDEXED, title, narrative, notes, place, witnesses,
    tokenize = 'unicode61 remove_diacritics 2'
);
