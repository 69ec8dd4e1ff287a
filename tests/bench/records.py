"""SQLCipher vs plain SQLite on the same record workload, through the real record code.

Run as ``python -m tests.bench.records ENGINE FOLDER COUNT`` (one engine per process, so each
side's peak memory is its own); prints one JSON object. Both engines get the vault's schema
(``kpfield.vault.db`` migrations) and its pragmas — WAL, ``synchronous=FULL``, in-memory temp
store, foreign keys — and the plain one simply has no key. The workload is what a monitor's
session does to the database: drafts created (one transaction each, with their custody entry),
autosaved (one transaction each), then read back, listed and searched.
"""

from __future__ import annotations

import json
import random
import secrets
import sqlite3
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from kpfield.vault import db

WORDS = [
    "digger",
    "guard",
    "beaten",
    "river",
    "site",
    "concession",
    "container",
    "water",
    "clinic",
    "dawn",
    "baton",
    "held",
    "hours",
    "police",
    "soldier",
    "militia",
    "chief",
    "village",
    "pit",
    "gravel",
    "sieve",
    "diamond",
    "parcel",
    "buyer",
    "licence",
    "permit",
    "fee",
    "bribe",
    "checkpoint",
    "road",
    "truck",
    "border",
    "smuggled",
    "exporter",
    "certificate",
    "footprint",
    "miner",
    "child",
    "school",
    "injured",
    "arrested",
    "released",
    "detained",
    "fined",
    "evicted",
    "house",
    "burned",
    "crops",
    "field",
    "compensation",
    "community",
    "meeting",
    "witness",
    "nurse",
    "register",
]


ENGINES = ("sqlcipher", "sqlcipher-memsec-on", "sqlite")


def connect(engine: str, path: Path) -> Any:
    if engine == "sqlcipher":
        return db.connect(path, secrets.token_bytes(32), create=True)
    if engine == "sqlcipher-memsec-on":
        # What-if: the vault's pragmas with SQLCipher's memory wiping on, as the vault had it
        # until issue 12 (docs/benchmarks.md, "Decisions"). Each engine runs in its own process:
        # once on, SQLCipher keeps it on for the whole process.
        import sqlcipher3

        conn = sqlcipher3.connect(str(path), isolation_level=None)
        for pragma in db._pragmas(secrets.token_bytes(32)):
            conn.execute(pragma.replace("memory_security = OFF", "memory_security = ON")).fetchall()
        return conn
    conn = sqlite3.connect(str(path), isolation_level=None)
    # The vault's own pragma list (private, but it keeps this side in step with the vault's),
    # in order, minus the key and SQLCipher's own settings.
    for pragma in db._pragmas(b"")[1:]:
        if "cipher" not in pragma:
            conn.execute(pragma).fetchall()
    if conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        raise RuntimeError("plain SQLite did not switch to WAL")
    return conn


class _Vault:
    """Just enough of :class:`kpfield.vault.vault.Vault` for :class:`ReportService`'s records."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn


def text(rnd: random.Random, words: int) -> str:
    return " ".join(rnd.choices(WORDS, k=words)).capitalize() + "."


def workload(engine: str, folder: Path, count: int) -> dict[str, Any]:
    from kpfield.app import default_taxonomy
    from kpfield.domain.document import ReportFields
    from kpfield.domain.ids import new_report_id
    from kpfield.domain.models import Place
    from kpfield.services.clock import SystemClock
    from kpfield.services.reports import ReportService
    from kpfield.vault.vault import Vault

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{engine}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = connect(engine, path)
    db.migrate(conn, "field")
    reports = ReportService(cast(Vault, _Vault(conn)), default_taxonomy(), SystemClock())
    rnd = random.Random(1)
    times: dict[str, float] = {}

    def phase(name: str) -> Any:
        class _T:
            def __enter__(self) -> None:
                self.t = time.perf_counter()

            def __exit__(self, *exc: object) -> None:
                times[name] = time.perf_counter() - self.t

        return _T()

    with phase(f"create {count} drafts (1 transaction each)"):
        ids = [
            reports.new_draft(
                ReportFields(
                    title=text(rnd, 6),
                    place=Place(site=text(rnd, 2), area="Kono", country="SL"),
                    categories=("private_security_abuse",),
                    narrative=text(rnd, rnd.randint(100, 400)),
                    monitor_notes=text(rnd, 20),
                )
            ).id
            for _ in range(count)
        ]
    with phase(f"autosave {count} drafts (1 transaction each)"):
        for rid in ids:
            r = reports.get(rid)
            reports.save_draft(replace(r, narrative=r.narrative + " " + text(rnd, 30)))
    with phase(f"read {count} drafts by id"):
        for rid in ids:
            reports.view(rid)
    with phase("list all drafts ×20"):
        for _ in range(20):
            reports.list_reports()
    with phase("100 searches"):
        for _ in range(100):
            reports.search(" ".join(rnd.sample(WORDS, 2)))
    template = reports.get(ids[0])
    # A bulk import (many documents at once) is one transaction; kept to a tenth of the drafts
    # because each insert re-reads the whole search index (see tests/bench/search.py).
    bulk = max(1, count // 10)
    with phase(f"import {bulk} more drafts in 1 transaction"), db.transaction(conn):
        for _ in range(bulk):
            reports.store.insert_report(replace(template, id=new_report_id()))
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    version = conn.execute("SELECT sqlite_version()").fetchone()[0]
    cipher = conn.execute("PRAGMA cipher_version").fetchone() if engine != "sqlite" else None
    memsec = conn.execute("PRAGMA cipher_memory_security").fetchone() if cipher else None
    conn.close()
    size = sum(p.stat().st_size for p in folder.glob(f"{engine}.db*"))
    return {
        "engine": engine,
        "sqlite_version": version,
        "cipher_version": cipher[0] if cipher else None,
        "integrity": integrity,
        "cipher_memory_security": memsec[0] if memsec else None,
        "file_bytes": size,
        "seconds": times,
    }


def main(argv: list[str]) -> int:
    engine, folder, count = argv[0], Path(argv[1]), int(argv[2])
    print(json.dumps(workload(engine, folder, count)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
