"""The HQ desk at scale: 50,000 synthetic reports from 300 devices in a real HQ vault.

Run as ``python -m tests.bench.desk FOLDER COUNT DEVICES``; prints one JSON object. Cases are
written straight through the stores (hq_devices, hq_bundles, hq_reports and the desk's index, as
intake writes them), the vault is closed and reopened, then ``CaseService.ids`` is timed for
opening the list, a filter change and a full-text search, each beside the same raw SQL on the same
connection; ``rows`` for one page; and ``counts`` for a chart. Peak memory is the process's.
"""

from __future__ import annotations

import json
import random
import resource
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kpfield.app import create_session, open_session
from kpfield.domain.desk import CaseFilter, CaseSort, CountBy
from kpfield.hq.cases import index_report
from kpfield.vault.db import transaction
from kpfield.vault.desk_store import DeskStore
from kpfield.vault.hq_store import BundleRow, Device, HqStore, ReportRow
from kpfield.vault.keyslots import KdfParams
from tests.bench.measure import percentile
from tests.bench.records import WORDS

PASSPHRASE = "benchmark passphrase"
COUNTRIES = ["SL", "AO", "CD", "ZW", "GN", "LR", "CI", "CF"]
CATEGORIES = ["torture", "killing", "private_security_abuse", "forced_displacement",
              "child_labour", "sexual_violence"]  # fmt: skip
PERPS = ["police", "military", "private_security", "company_staff"]
REPEAT = 9


def sealed(rng: random.Random, i: int, device: str) -> bytes:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 160)))
    if i % 50 == 0:
        words += " violação"
    doc = {
        "schema": "kpfield.report/1", "id": f"r{i}", "title": f"Report {i} " + rng.choice(WORDS),
        "narrative": words, "monitor_notes": "", "device": {"id": device},
        "incident": {
            "date": {"date": f"20{rng.randint(20, 26)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                     "precision": "day"},
            "categories": rng.sample(CATEGORIES, rng.randint(1, 2)),
            "perpetrators": [rng.choice(PERPS)], "people_affected": rng.randint(1, 20),
        },
        "place": {"country": rng.choice(COUNTRIES), "site": f"site-{rng.randint(1, 60)}"},
        "witnesses": [], "attachments": [], "sealed_at": "2026-01-01T00:00:00Z",
    }  # fmt: skip
    return json.dumps(doc, sort_keys=True, ensure_ascii=False).encode()


def load(folder: Path, count: int, devices: int) -> float:
    t0 = time.perf_counter()
    s = create_session(folder, PASSPHRASE, role="hq", params=KdfParams.cheap_for_tests())
    rng = random.Random(7)
    conn = s.vault.conn
    hq, desk = HqStore(conn), DeskStore(conn)
    with transaction(conn):
        for d in range(devices):
            dev = f"{d:016x}"
            hq.add_device(Device(dev, f"laptop-{d}", "0" * 40, dev.encode(), f"age{d}", "t", None))
            hq.add_bundle(BundleRow(f"m{d}", dev, 1, f"b{d}", None, 1, "h", "{}", "sig", "t"))
    per = count // devices
    for d in range(devices):
        dev = f"{d:016x}"
        with transaction(conn):
            for j in range(per):
                i = d * per + j
                data = sealed(rng, i, dev)
                hq.add_report(ReportRow(f"r{i:08d}", dev, 1, "0" * 64, data, "sig", f"m{d}", "t"))
                index_report(desk, f"r{i:08d}", dev, 1, data, f"2026-01-01T00:{d % 60:02d}:00Z")
    s.close()
    return time.perf_counter() - t0


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    samples, out = [], None
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        out = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return percentile(samples, 50), out


def main(argv: list[str]) -> int:
    folder, count, devices = Path(argv[1]), int(argv[2]), int(argv[3])
    shutil.rmtree(folder, ignore_errors=True)
    load_s = load(folder, count, devices)
    s = open_session(folder, PASSPHRASE).hq()
    conn = s.vault.conn
    c = s.cases
    cases: dict[str, Any] = {}
    f_filter = CaseFilter(country="SL", category="torture")
    f_search = CaseFilter(text="violacao")
    raw = {
        "open": lambda: conn.execute(
            "SELECT report_id FROM hq_cases ORDER BY incident_date DESC, report_id DESC"
        ).fetchall(),
        "filter": lambda: conn.execute(
            "SELECT c.report_id FROM hq_cases c WHERE c.case_no IN (SELECT case_no FROM"
            " hq_case_terms WHERE kind='category' AND term='torture') AND c.country='SL'"
            " ORDER BY c.incident_date DESC, c.report_id DESC"
        ).fetchall(),
        "search": lambda: conn.execute(
            "SELECT c.report_id FROM hq_case_search s JOIN hq_cases c ON c.case_no = s.rowid"
            " WHERE hq_case_search MATCH '\"violacao\"*' ORDER BY s.rank"
        ).fetchall(),
    }
    desk = {
        "open": c.ids,
        "filter": lambda: c.ids(f_filter),
        "search": lambda: c.ids(f_search, CaseSort.RELEVANCE),
    }
    for name in ("open", "filter", "search"):
        d_ms, ids = timed(desk[name])
        r_ms, rows = timed(raw[name])
        assert len(ids) == len(rows), (name, len(ids), len(rows))  # noqa: S101
        cases[name] = {"desk_ms": round(d_ms, 2), "raw_ms": round(r_ms, 2),
                       "ratio": round(d_ms / r_ms, 2) if r_ms else None, "ids": len(ids)}  # fmt: skip
    ids = c.ids(f_search, CaseSort.RELEVANCE)
    page_ms, _ = timed(lambda: c.rows(ids[:100], highlight="violacao"))
    counts_ms, _ = timed(lambda: c.counts(f_filter, CountBy.MONTH))
    counts_raw_ms, _ = timed(
        lambda: conn.execute(
            "SELECT substr(incident_date,1,7), count(*) FROM hq_cases WHERE country='SL' AND"
            " case_no IN (SELECT case_no FROM hq_case_terms WHERE kind='category' AND"
            " term='torture') GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    s.close()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({
        "reports": count, "devices": devices, "load_s": round(load_s, 1), "cases": cases,
        "page_of_100_with_snippets_ms": round(page_ms, 2),
        "counts_by_month": {"desk_ms": round(counts_ms, 2), "raw_ms": round(counts_raw_ms, 2)},
        "peak_rss_mb": round(peak_kb / 1024, 1),
    }))  # fmt: skip
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
