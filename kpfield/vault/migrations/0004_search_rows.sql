-- report_id is UNINDEXED in the FTS table, so deleting by it scanned (and decrypted) the whole
-- index on every autosave: 273 ms per save at 10,000 reports. Rows are now found by rowid.

CREATE TABLE report_search_rows (
    report_id TEXT PRIMARY KEY,
    fts_rowid INTEGER NOT NULL UNIQUE
);
INSERT OR REPLACE INTO report_search_rows(report_id, fts_rowid)
    SELECT report_id, max(rowid) FROM report_search GROUP BY report_id;
