-- Schema of a fresh hq vault; regenerate: see tests/vault/test_schema.py
-- user_version 9

-- index attachments_report on attachments
CREATE INDEX attachments_report ON attachments(report_id, position);

-- index attachments_sha256 on attachments
CREATE INDEX attachments_sha256 ON attachments(sha256);

-- index hq_audit_report on hq_audit
CREATE INDEX hq_audit_report ON hq_audit(report_id, seq);

-- index hq_case_links_b on hq_case_links
CREATE INDEX hq_case_links_b ON hq_case_links(b);

-- index hq_case_notes_report on hq_case_notes
CREATE INDEX hq_case_notes_report ON hq_case_notes(report_id, note_no);

-- index hq_cases_country on hq_cases
CREATE INDEX hq_cases_country ON hq_cases(country, site);

-- index hq_cases_date on hq_cases
CREATE INDEX hq_cases_date ON hq_cases(incident_date, report_id);

-- index hq_cases_device on hq_cases
CREATE INDEX hq_cases_device ON hq_cases(device_id, incident_date);

-- index hq_cases_imported on hq_cases
CREATE INDEX hq_cases_imported ON hq_cases(imported_at, report_id);

-- index hq_cases_review on hq_cases
CREATE INDEX hq_cases_review ON hq_cases(review_state);

-- index hq_inbox_device on hq_inbox
CREATE INDEX hq_inbox_device ON hq_inbox(device_id, seen_at);

-- index hq_withdrawals_witness on hq_withdrawals
CREATE INDEX hq_withdrawals_witness ON hq_withdrawals(witness_id);

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

-- index sqlite_autoindex_custody_log_1 on custody_log
-- (automatic)

-- index sqlite_autoindex_hq_attachments_1 on hq_attachments
-- (automatic)

-- index sqlite_autoindex_hq_attachments_2 on hq_attachments
-- (automatic)

-- index sqlite_autoindex_hq_audit_1 on hq_audit
-- (automatic)

-- index sqlite_autoindex_hq_bundles_1 on hq_bundles
-- (automatic)

-- index sqlite_autoindex_hq_bundles_2 on hq_bundles
-- (automatic)

-- index sqlite_autoindex_hq_case_links_1 on hq_case_links
-- (automatic)

-- index sqlite_autoindex_hq_cases_1 on hq_cases
-- (automatic)

-- index sqlite_autoindex_hq_custody_1 on hq_custody
-- (automatic)

-- index sqlite_autoindex_hq_devices_1 on hq_devices
-- (automatic)

-- index sqlite_autoindex_hq_devices_2 on hq_devices
-- (automatic)

-- index sqlite_autoindex_hq_identities_1 on hq_identities
-- (automatic)

-- index sqlite_autoindex_hq_relay_inbox_1 on hq_relay_inbox
-- (automatic)

-- index sqlite_autoindex_hq_reports_1 on hq_reports
-- (automatic)

-- index sqlite_autoindex_hq_withdrawals_1 on hq_withdrawals
-- (automatic)

-- index sqlite_autoindex_hq_withdrawals_2 on hq_withdrawals
-- (automatic)

-- index sqlite_autoindex_hq_withdrawn_reports_1 on hq_withdrawn_reports
-- (automatic)

-- index sqlite_autoindex_meta_1 on meta
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

-- table hq_attachments on hq_attachments
CREATE TABLE hq_attachments (
    attachment_id TEXT PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES hq_reports(report_id),
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    blob_name TEXT NOT NULL UNIQUE,
    blob_key BLOB NOT NULL
);

-- table hq_audit on hq_audit
CREATE TABLE hq_audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    action TEXT NOT NULL,
    report_id TEXT,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL UNIQUE
);

-- table hq_bundles on hq_bundles
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

-- table hq_case_links on hq_case_links
CREATE TABLE hq_case_links (
    a TEXT NOT NULL REFERENCES hq_reports(report_id),
    b TEXT NOT NULL REFERENCES hq_reports(report_id),
    linked_at TEXT NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);

-- table hq_case_notes on hq_case_notes
CREATE TABLE hq_case_notes (
    note_no INTEGER PRIMARY KEY,
    report_id TEXT NOT NULL REFERENCES hq_reports(report_id),
    at TEXT NOT NULL,
    text TEXT NOT NULL
);

-- table hq_case_search on hq_case_search
CREATE VIRTUAL TABLE hq_case_search USING fts5(
    title, narrative, notes, place, witnesses,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- table hq_case_search_config on hq_case_search_config
CREATE TABLE 'hq_case_search_config'(k PRIMARY KEY, v) WITHOUT ROWID;

-- table hq_case_search_content on hq_case_search_content
CREATE TABLE 'hq_case_search_content'(id INTEGER PRIMARY KEY, c0, c1, c2, c3, c4);

-- table hq_case_search_data on hq_case_search_data
CREATE TABLE 'hq_case_search_data'(id INTEGER PRIMARY KEY, block BLOB);

-- table hq_case_search_docsize on hq_case_search_docsize
CREATE TABLE 'hq_case_search_docsize'(id INTEGER PRIMARY KEY, sz BLOB);

-- table hq_case_search_idx on hq_case_search_idx
CREATE TABLE 'hq_case_search_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID;

-- table hq_case_terms on hq_case_terms
CREATE TABLE hq_case_terms (
    case_no INTEGER NOT NULL REFERENCES hq_cases(case_no),
    kind TEXT NOT NULL CHECK (kind IN ('category','perpetrator','consent')),
    term TEXT NOT NULL,
    PRIMARY KEY (kind, term, case_no)
) WITHOUT ROWID;

-- table hq_cases on hq_cases
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

-- table hq_custody on hq_custody
CREATE TABLE hq_custody (
    device_id TEXT NOT NULL REFERENCES hq_devices(device_id),
    seq INTEGER NOT NULL,
    entry TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    entry_hash TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
);

-- table hq_devices on hq_devices
CREATE TABLE hq_devices (
    device_id TEXT PRIMARY KEY,
    public_key BLOB NOT NULL UNIQUE,
    age_recipient TEXT NOT NULL,
    name TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at TEXT
);

-- table hq_identities on hq_identities
CREATE TABLE hq_identities (
    witness_id TEXT PRIMARY KEY,
    device_id TEXT NOT NULL REFERENCES hq_devices(device_id),
    salt TEXT NOT NULL,
    identifying TEXT NOT NULL,
    identity_sha256 TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- table hq_inbox on hq_inbox
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

-- table hq_relay_inbox on hq_relay_inbox
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

-- table hq_reports on hq_reports
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

-- table hq_withdrawals on hq_withdrawals
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

-- table hq_withdrawn_reports on hq_withdrawn_reports
CREATE TABLE hq_withdrawn_reports (
    report_id TEXT NOT NULL,
    notice_sha256 TEXT NOT NULL REFERENCES hq_withdrawals(notice_sha256),
    PRIMARY KEY (report_id, notice_sha256)
);

-- table meta on meta
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

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

-- trigger hq_audit_no_delete on hq_audit
CREATE TRIGGER hq_audit_no_delete BEFORE DELETE ON hq_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- trigger hq_audit_no_update on hq_audit
CREATE TRIGGER hq_audit_no_update BEFORE UPDATE ON hq_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- trigger hq_case_notes_append_only on hq_case_notes
CREATE TRIGGER hq_case_notes_append_only BEFORE UPDATE ON hq_case_notes
BEGIN SELECT RAISE(ABORT, 'analyst notes are append-only'); END;

-- trigger hq_case_notes_no_delete on hq_case_notes
CREATE TRIGGER hq_case_notes_no_delete BEFORE DELETE ON hq_case_notes
BEGIN SELECT RAISE(ABORT, 'analyst notes are append-only'); END;

-- trigger hq_custody_immutable on hq_custody
CREATE TRIGGER hq_custody_immutable BEFORE UPDATE ON hq_custody
BEGIN SELECT RAISE(ABORT, 'imported custody entries cannot change'); END;

-- trigger hq_reports_immutable on hq_reports
CREATE TRIGGER hq_reports_immutable BEFORE UPDATE ON hq_reports
BEGIN SELECT RAISE(ABORT, 'imported reports cannot change'); END;

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
