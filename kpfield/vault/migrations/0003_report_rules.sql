-- A report's status only moves forward; attachments of sealed reports stay as they are.

CREATE TRIGGER reports_status_moves_forward
BEFORE UPDATE OF status ON reports
WHEN OLD.status != NEW.status AND (
    NEW.status = 'draft'
    OR (OLD.status = 'draft' AND NEW.status != 'sealed')
    OR OLD.status = 'acknowledged'
)
BEGIN SELECT RAISE(ABORT, 'a report status only moves forward'); END;
CREATE TRIGGER attachments_of_sealed_reports_stay
BEFORE DELETE ON attachments
WHEN (SELECT status FROM reports WHERE id = OLD.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'attachments of sealed reports cannot be removed'); END;
CREATE TRIGGER attachments_of_sealed_reports_fixed
BEFORE UPDATE OF id, report_id, sha256, size, blob_name ON attachments
WHEN (SELECT status FROM reports WHERE id = OLD.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'attachments of sealed reports cannot change'); END;
CREATE TRIGGER attachments_added_to_drafts_only
BEFORE INSERT ON attachments
WHEN (SELECT status FROM reports WHERE id = NEW.report_id) != 'draft'
BEGIN SELECT RAISE(ABORT, 'attachments can only be added to drafts'); END;
