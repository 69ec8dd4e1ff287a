"""The HQ desk: inbox, devices, cases with the report view and review, audit log."""
