-- Purging acknowledged reports (both roles). The sealed-report trigger is recreated so that
-- exactly one change to a sealed report's content is allowed: the purge of an acknowledged report,
-- which empties doc and sealed_json while the hash, the signature, the version and the link to the
-- amended report stay as they were. The role's own tables are in 0002_bundles.<role>.sql.

ALTER TABLE reports ADD COLUMN purged_at TEXT;
DROP TRIGGER reports_sealed_are_immutable;
CREATE TRIGGER reports_sealed_are_immutable
BEFORE UPDATE OF doc, sealed_json, seal_sha256, seal_signature, version, amends ON reports
WHEN OLD.status != 'draft' AND NOT (
    OLD.status = 'acknowledged' AND OLD.purged_at IS NULL AND NEW.purged_at IS NOT NULL
    AND NEW.sealed_json IS NULL
    AND NEW.seal_sha256 IS OLD.seal_sha256 AND NEW.seal_signature IS OLD.seal_signature
    AND NEW.version = OLD.version AND NEW.amends IS OLD.amends
)
BEGIN SELECT RAISE(ABORT, 'sealed reports cannot change'); END;
CREATE TRIGGER reports_purge_is_final
BEFORE UPDATE OF purged_at ON reports WHEN OLD.purged_at IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a purge cannot be undone'); END;
