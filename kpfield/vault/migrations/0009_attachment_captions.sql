-- Attachments get a caption (the monitor's words about the file), sealed with the report.
-- A sealed report's captions stay as they were; purging an acknowledged report clears them.

ALTER TABLE attachments ADD COLUMN caption TEXT NOT NULL DEFAULT '';
CREATE TRIGGER attachment_captions_of_sealed_reports_fixed
BEFORE UPDATE OF caption ON attachments
WHEN NEW.caption != '' AND NEW.caption != OLD.caption
    AND (SELECT status FROM reports WHERE id = OLD.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'captions of sealed reports cannot change'); END;
CREATE INDEX attachments_sha256 ON attachments(sha256);
