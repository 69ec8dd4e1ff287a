"""Vaults made before migrations knew roles hold both roles' tables: drop the other role's.

A table is dropped only when it is empty and no remaining table points at it, so nothing recorded
is ever lost: if a field vault somehow holds HQ rows, those tables stay (and are logged by count).
The lists are this migration's own frozen copy of 0002's role files, on purpose: a later migration
adding role tables must not change what this one did.
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)

# Children before parents, so an empty parent can go once its empty children have gone.
OTHER_ROLES_TABLES: dict[str, tuple[str, ...]] = {
    "field": ("hq_custody", "hq_attachments", "hq_reports", "hq_bundles", "hq_devices"),
    "hq": ("receipts_in", "bundles_out"),
}


def _tables(conn: Any) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(r[0]) for r in rows}


def _referenced_by_others(conn: Any, table: str, tables: set[str]) -> bool:
    for other in tables - {table}:
        for fk in conn.execute('SELECT "table" FROM pragma_foreign_key_list(?)', (other,)):
            if str(fk[0]) == table:
                return True
    return False


def apply(conn: Any, role: str) -> None:
    """Drop the other role's tables that are empty and unreferenced; keep every row."""
    tables = _tables(conn)
    kept = 0
    for table in OTHER_ROLES_TABLES[role]:
        if table not in tables:
            continue
        # Names come from the fixed list above, never from input.
        has_rows = conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{table}")').fetchone()[0]  # noqa: S608
        if has_rows or _referenced_by_others(conn, table, tables):
            kept += 1
            continue
        conn.execute(f'DROP TABLE "{table}"')
        tables.discard(table)
    if kept:
        log.warning("kept %d non-empty table(s) of the other vault role", kept)
