"""Full-text search over many reports in a real vault (SQLCipher, the vault's own pragmas).

Run as ``python -m tests.bench.search FOLDER COUNT QUERIES``; prints one JSON object. Reports are
loaded through the record store in batches (loading is not what is measured, but its time is
reported), the vault is closed and reopened, then each query is timed through
``ReportService.search`` — FTS5 match, ranking, and the rows a result list shows — and
through ``ReportService.search_page``, the first page the report list shows (newest first). Last, real
autosaves (``ReportService.save_draft``) are timed in the full vault: before 22a7b0d each one
re-read the whole search index, so their cost grew with the number of reports.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from tests.bench.measure import percentile
from tests.bench.records import WORDS

PASSPHRASE = "benchmark passphrase"
AUTOSAVES = 10
_SYLLABLES = [
    "ka",
    "ko",
    "ne",
    "to",
    "ma",
    "ba",
    "si",
    "la",
    "mo",
    "ye",
    "ku",
    "di",
    "fa",
    "ra",
    "tu",
    "gb",
    "be",
    "se",
    "wo",
]


def vocabulary(rnd: random.Random, size: int) -> list[str]:
    """Place names, people and rare words: pseudo-words no report shares by accident."""
    out: set[str] = set()
    while len(out) < size:
        out.add("".join(rnd.choices(_SYLLABLES, k=rnd.randint(3, 5))))
    return sorted(out)


def narrative(rnd: random.Random, rare: list[str]) -> str:
    words = []
    for _ in range(rnd.randint(150, 400)):
        # Mostly common words (Zipf-ish over WORDS), some rare ones.
        if rnd.random() < 0.85:
            words.append(WORDS[min(int(rnd.paretovariate(1.1)) - 1, len(WORDS) - 1)])
        else:
            words.append(rnd.choice(rare))
    return " ".join(words).capitalize() + "."


def run(folder: Path, count: int, n_queries: int) -> dict[str, Any]:
    from dataclasses import replace

    from kpfield.app import create_session, open_session
    from kpfield.domain.document import ReportFields
    from kpfield.domain.ids import new_report_id, new_witness_id
    from kpfield.domain.models import Place, Report, ReportStatus, Witness
    from kpfield.vault.db import transaction
    from kpfield.vault.keyslots import KdfParams

    if folder.exists():
        shutil.rmtree(folder)
    rnd = random.Random(10_000)
    rare = vocabulary(rnd, 4000)
    pseudonyms = [f"W-{w.capitalize()}" for w in vocabulary(random.Random(7), 500)]
    s = create_session(folder, PASSPHRASE, params=KdfParams.cheap_for_tests())
    load_start = time.perf_counter()
    try:
        store = s.reports.store
        now = "2026-01-01T00:00:00.000Z"
        with transaction(s.vault.conn):
            wids = []
            for p in pseudonyms:
                w = Witness(id=new_witness_id(), pseudonym=p, created_at=now, updated_at=now)
                store.save_witness(w)
                wids.append(w.id)
        batch = 500
        for start in range(0, count, batch):
            with transaction(s.vault.conn):
                for _ in range(min(batch, count - start)):
                    f = ReportFields(
                        title=" ".join(rnd.choices(WORDS, k=5)),
                        place=Place(site=rnd.choice(rare), area=rnd.choice(rare), country="SL"),
                        narrative=narrative(rnd, rare),
                        monitor_notes=" ".join(rnd.choices(WORDS + rare, k=20)),
                    )
                    r = Report(
                        id=new_report_id(),
                        status=ReportStatus.DRAFT,
                        title=f.title,
                        place=f.place,
                        narrative=f.narrative,
                        monitor_notes=f.monitor_notes,
                        witness_ids=tuple(rnd.sample(wids, rnd.randint(1, 2))),
                        created_at=now,
                        updated_at=now,
                    )
                    store.insert_report(r)
                    s.reports.custody.append("created", r.id, now, {"version": 1})
    finally:
        s.close()
    load_seconds = time.perf_counter() - load_start

    qrnd = random.Random(50)
    kinds = ["common word", "uncommon word", "two words", "prefix", "witness pseudonym"]
    queries: list[tuple[str, str]] = []
    for i in range(n_queries):
        kind = kinds[i % len(kinds)]
        q = {
            "common word": lambda: qrnd.choice(WORDS[:15]),
            "uncommon word": lambda: qrnd.choice(rare),
            "two words": lambda: f"{qrnd.choice(WORDS)} {qrnd.choice(rare)}",
            "prefix": lambda: qrnd.choice(rare)[:4],
            "witness pseudonym": lambda: qrnd.choice(pseudonyms),
        }[kind]()
        queries.append((kind, q))

    s = open_session(folder, PASSPHRASE)
    try:
        timings: list[dict[str, Any]] = []
        for kind, q in queries:
            t = time.perf_counter()
            ids = s.reports.store.search(q)
            t_fts = time.perf_counter() - t
            rows = s.reports.search(q)
            t_total = time.perf_counter() - t
            t = time.perf_counter()
            page = s.reports.search_page(q)
            t_page = time.perf_counter() - t
            timings.append(
                {
                    "kind": kind,
                    "query": q,
                    "results": len(rows),
                    "fts_ms": t_fts * 1000,
                    # search() repeats the FTS query; subtract it to get one full search
                    "ms": (t_total - t_fts) * 1000,
                    # what the report list waits for before it shows anything
                    "first_page_ms": t_page * 1000,
                    "first_page_results": len(page.rows),
                }
            )
            assert len(ids) == len(rows)
        reports = s.vault.conn.execute("SELECT count(*) FROM reports").fetchone()[0]
        autosave_ms = []
        for rid in random.Random(3).sample([r.id for r in s.reports.list_reports()], AUTOSAVES):
            report = s.reports.get(rid)
            t = time.perf_counter()
            s.reports.save_draft(replace(report, narrative=report.narrative + " Edited."))
            autosave_ms.append((time.perf_counter() - t) * 1000)
        assert rid in [r.id for r in s.reports.search(report.narrative.split()[0] + " Edited")]
    finally:
        s.close()
    ms = [t["ms"] for t in timings]
    by_kind = {k: percentile([t["ms"] for t in timings if t["kind"] == k], 50) for k in kinds}
    return {
        "reports": reports,
        "queries": len(timings),
        "load_seconds": load_seconds,
        "db_bytes": sum(p.stat().st_size for p in folder.glob("vault.db*")),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "max_ms": max(ms),
        "median_by_kind_ms": by_kind,
        "first_page_p50_ms": percentile([t["first_page_ms"] for t in timings], 50),
        "first_page_p95_ms": percentile([t["first_page_ms"] for t in timings], 95),
        "first_page_max_ms": max(t["first_page_ms"] for t in timings),
        "first_page_by_kind_ms": {
            k: percentile([t["first_page_ms"] for t in timings if t["kind"] == k], 50)
            for k in kinds
        },
        "median_results_by_kind": {
            k: percentile([float(t["results"]) for t in timings if t["kind"] == k], 50)
            for k in kinds
        },
        "autosave_p50_ms": percentile(autosave_ms, 50),
        "autosave_max_ms": max(autosave_ms),
        "timings": timings,
    }


def main(argv: list[str]) -> int:
    print(json.dumps(run(Path(argv[0]), int(argv[1]), int(argv[2]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
