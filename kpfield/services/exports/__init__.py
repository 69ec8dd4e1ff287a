"""Exports of the HQ desk: CSV, a de-identified incident CSV, HURIDOCS-shaped JSON, a PDF brief.

Every export follows the desk's current filter, enforces consent (:mod:`.consent`) and writes a
signed manifest beside the file (:mod:`kpfield.protocol.export_manifest`). See docs/exports.md.
"""
