-- The HQ desk: a searchable index of imported reports (derived from hq_reports.sealed_json, so it
-- can be rebuilt), every bundle seen by intake (accepted or not), review, links, notes, and the
-- analyst's append-only hash-chained audit log.

CREATE TABLE hq_cases (
    case_no INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL UNIQUE REFERENCES hq_reports(report_id),
    device_id TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    incident_date TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT '',
    site TEXT NOT NULL DEFAULT '',
    categories TEXT NOT NULL DEFAULT '',
    perpetrators TEXT NOT NULL DEFAULT '',
    consent TEXT NOT NULL DEFAULT '',
    people_affected INTEGER,
    witnesses INTEGER NOT NULL DEFAULT 0,
    photos INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    amends TEXT,
    verification TEXT NOT NULL DEFAULT 'verified',
    review_state TEXT NOT NULL DEFAULT 'new' CHECK (review_state IN
        ('new','in_review','verified','needs_follow_up','duplicate','rejected')),
    review_reason TEXT NOT NULL DEFAULT '',
    sealed_at TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL
);
-- Covering indexes (they hold report_id): opening the list of 50,000 reads only the index.
CREATE INDEX hq_cases_date ON hq_cases(incident_date, report_id);
CREATE INDEX hq_cases_imported ON hq_cases(imported_at, report_id);
CREATE INDEX hq_cases_device ON hq_cases(device_id, incident_date);
CREATE INDEX hq_cases_country ON hq_cases(country, site);
CREATE INDEX hq_cases_review ON hq_cases(review_state);

-- One row per (case, kind, term): categories, perpetrator types and consent scopes, for filters
-- and counts without LIKE scans.
CREATE TABLE hq_case_terms (
    case_no INTEGER NOT NULL REFERENCES hq_cases(case_no),
    kind TEXT NOT NULL CHECK (kind IN ('category','perpetrator','consent')),
    term TEXT NOT NULL,
    PRIMARY KEY (kind, term, case_no)
) WITHOUT ROWID;

-- rowid = hq_cases.case_no. Witness pseudonyms only: identities are never indexed.
CREATE VIRTUAL TABLE hq_case_search USING fts5(
    title, narrative, notes, place, witnesses,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE hq_inbox (
    seen_no INTEGER PRIMARY KEY,
    seen_at TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('imported','already imported','rejected')),
    reason_template TEXT NOT NULL DEFAULT '',
    reason_params TEXT NOT NULL DEFAULT '{}',
    failed_check TEXT,
    device_id TEXT,
    sequence INTEGER,
    manifest_sha256 TEXT,
    new_reports INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX hq_inbox_device ON hq_inbox(device_id, seen_at);

CREATE TABLE hq_case_links (
    a TEXT NOT NULL REFERENCES hq_reports(report_id),
    b TEXT NOT NULL REFERENCES hq_reports(report_id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE INDEX hq_case_links_b ON hq_case_links(b);

CREATE TABLE hq_case_notes (
    note_no INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES hq_reports(report_id),
    at TEXT NOT NULL,
    text TEXT NOT NULL
);
CREATE INDEX hq_case_notes_report ON hq_case_notes(report_id, note_no);
CREATE TRIGGER hq_case_notes_append_only BEFORE UPDATE ON hq_case_notes
BEGIN SELECT RAISE(ABORT, 'analyst notes are append-only'); END;
CREATE TRIGGER hq_case_notes_no_delete BEFORE DELETE ON hq_case_notes
BEGIN SELECT RAISE(ABORT, 'analyst notes are append-only'); END;

-- entry_hash = SHA-256(prev_hash || canonical entry), as in the custody log.
CREATE TABLE hq_audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    report_id TEXT,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL UNIQUE
);
CREATE INDEX hq_audit_report ON hq_audit(report_id, seq);
CREATE TRIGGER hq_audit_no_update BEFORE UPDATE ON hq_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER hq_audit_no_delete BEFORE DELETE ON hq_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
