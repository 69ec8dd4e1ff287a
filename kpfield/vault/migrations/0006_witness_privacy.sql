-- Private notes, kept apart from what is sealed. Existing `monitor_notes` stay where they are and
-- keep meaning "notes for HQ": they were sealed and sent all along, so that is what they were in
-- practice. Private notes start empty. The column is outside the sealed-report trigger on
-- purpose: private notes are not part of any seal.
ALTER TABLE reports ADD COLUMN private_notes TEXT NOT NULL DEFAULT '';
