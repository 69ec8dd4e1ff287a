"""``make bench``: measure attaching photos, SQLCipher vs SQLite, and search; write the results.

    python -m tests.bench.run            # full run (~5 min on 2 cores), writes docs/benchmarks.md
    python -m tests.bench.run --quick    # small smoke run, writes bench-out/benchmarks-quick.md

Generated photos are cached in ``bench-out/`` (git-ignored) and reused. Nothing here is a test:
figures vary with the machine, so they are recorded, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.bench import attach, corpus
from tests.bench.measure import (
    REPO,
    Measured,
    launcher,
    launcher_floor_mib,
    python_module,
    run_measured,
    use_bytecode,
)
from tests.bench.records import ENGINES


@dataclass(frozen=True)
class Settings:
    photos: int
    drafts: int
    reports: int
    queries: int
    rounds: int
    cache: Path
    out: Path


def machine() -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / (1 << 20):.1f} GiB"
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    fs = subprocess.run(
        ["df", "-T", str(REPO)], capture_output=True, text=True, check=False
    ).stdout.splitlines()
    age = subprocess.run(["age", "--version"], capture_output=True, text=True, check=False)
    import PIL

    return {
        "cpu": cpu,
        "nproc": nproc or str(os.cpu_count()),
        "memory": mem,
        "os": platform.platform(),
        "python": platform.python_version(),
        "pillow": PIL.__version__,
        "age": age.stdout.strip() if age.returncode == 0 else "not installed",
        "filesystem": fs[-1].split()[1] if len(fs) > 1 else "unknown",
        "rss": f"{launcher()} (a do-nothing process reads {launcher_floor_mib():.1f} MiB)",
        "load_before": loadavg(),
    }


def loadavg() -> str:
    """The 1-minute load average: other work on the machine skews every figure."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "unknown"


BEGIN = "<!-- tests.bench.run: begin (generated; other sections of this file are kept) -->"
END = "<!-- tests.bench.run: end -->"


def merge(existing: str | None, generated: str) -> str:
    """Put ``generated`` in its region of docs/benchmarks.md, keeping other benches' sections."""
    region = f"{BEGIN}\n{generated.strip()}\n{END}\n"
    if existing is None:
        return "# Benchmarks\n\n" + region
    if BEGIN in existing and END in existing:
        head, rest = existing.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        return head + region + ("\n" + tail if tail.strip() else "")
    # First run into a file other benches wrote: our region goes first, theirs follow.
    body = existing.removeprefix("# Benchmarks").lstrip("\n")
    return "# Benchmarks\n\n" + region + ("\n" + body if body.strip() else "")


def run_records(settings: Settings) -> list[tuple[dict[str, Any], Measured]]:
    out = []
    for engine in ENGINES:
        print(f"records: {engine}, {settings.drafts} drafts…", flush=True)
        m = run_measured(
            python_module(
                "tests.bench.records", engine, str(settings.cache / "records"), str(settings.drafts)
            )
        )
        out.append((json.loads(m.stdout), m))
    shutil.rmtree(settings.cache / "records", ignore_errors=True)
    return out


def run_search(settings: Settings) -> tuple[dict[str, Any], Measured]:
    print(f"search: loading {settings.reports} reports, then {settings.queries} queries…")
    m = run_measured(
        python_module(
            "tests.bench.search",
            str(settings.cache / "search-vault"),
            str(settings.reports),
            str(settings.queries),
        )
    )
    shutil.rmtree(settings.cache / "search-vault", ignore_errors=True)
    return json.loads(m.stdout), m


def run_desk(settings: Settings) -> tuple[dict[str, Any], Measured]:
    # The scale: 50,000 reports from 300 devices (a tenth in --quick runs).
    reports, devices = (50_000, 300) if settings.reports >= 10_000 else (5_000, 30)
    print(f"desk: {reports} reports from {devices} devices…", flush=True)
    m = run_measured(
        python_module(
            "tests.bench.desk", str(settings.cache / "desk-vault"), str(reports), str(devices)
        )
    )
    shutil.rmtree(settings.cache / "desk-vault", ignore_errors=True)
    return json.loads(m.stdout), m


def render_desk(d: dict[str, Any], m: Measured) -> list[str]:
    lines = [
        "### The HQ desk's case list",
        "",
        f"{d['reports']:,} synthetic reports from {d['devices']} devices, written through the"
        f" stores as intake writes them ({d['load_s']} s). Median of 9 runs; the raw SQL is the"
        " same query on the same connection, so the ratio is the desk's own overhead.",
        "",
        "| `CaseService` call | ids | desk | raw SQL | ratio |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, label in (
        ("open", "`ids()`: open the list, newest incident first"),
        ("filter", "`ids(country=SL, category=torture)`: a filter change"),
        ("search", "`ids(text='violacao')` by relevance: full-text, accents ignored"),
    ):
        c = d["cases"][name]
        lines.append(
            f"| {label} | {c['ids']:,} | {c['desk_ms']} ms | {c['raw_ms']} ms | {c['ratio']}× |"
        )
    cm = d["counts_by_month"]
    lines += [
        f"| `counts(filter, by=month)`: a chart redraw's data | — | {cm['desk_ms']} ms"
        f" | {cm['raw_ms']} ms | {round(cm['desk_ms'] / cm['raw_ms'], 2) if cm['raw_ms'] else '—'}× |",
        "",
        f"One page of 100 rows with highlighted snippets: {d['page_of_100_with_snippets_ms']} ms."
        f" Peak memory of the whole run (generation included): {m.max_rss_mib:.0f} MiB.",
        "",
    ]
    return lines


# ---------------------------------------------------------------------- rendering
def _mb(n: float) -> str:
    return f"{n / 1e6:.0f} MB"


def render_attach(r: attach.AttachResult) -> list[str]:
    ours = r.ours_best
    base = r.baseline_best
    mb = r.total_bytes / 1e6
    lines = [
        f"{r.files} JPEGs, 4000×3000, {_mb(r.total_bytes)} in total "
        f"({_mb(r.total_bytes / r.files)} average); best of {len(r.ours)} round(s), warm page cache.",
        "",
        "| | wall time | per photo | throughput | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| `kpfield attach` (hash + encrypt + thumbnail + fsync) | {ours.seconds:.1f} s "
        f"| {ours.seconds / r.files * 1000:.0f} ms | {mb / ours.seconds:.0f} MB/s "
        f"| {ours.max_rss_mib:.0f} MiB |",
    ]
    if base is not None:
        lines.append(
            f"| `sha256sum` + `age -e -r` (no thumbnail, no fsync) | {base.seconds:.1f} s "
            f"| {base.seconds / r.files * 1000:.0f} ms | {mb / base.seconds:.0f} MB/s "
            f"| {base.max_rss_mib:.0f} MiB |"
        )
        lines += [
            "",
            f"**Ratio: `kpfield attach` takes {ours.seconds / base.seconds:.1f}× the time of "
            f"`sha256sum` + `age -e`**, and {ours.max_rss_mib / base.max_rss_mib:.1f}× the peak "
            "memory (Python, Pillow and a decoded 12 MP image vs two small C/Go tools).",
        ]
    else:
        lines += ["", f"The `age` column was skipped: {r.baseline_missing}."]
    all_ours = ", ".join(f"{m.seconds:.1f} s" for m in r.ours)
    all_base = ", ".join(f"{m.seconds:.1f} s" for m in r.baseline) or "—"
    lines += ["", f"All rounds — ours: {all_ours}; baseline: {all_base}."]
    total = sum(v for k, v in r.phases_ms.items() if not k.startswith("("))
    lines += [
        "",
        "Where the work of one attach goes (each step of the attach pipeline timed alone on one "
        f"thread, mean over {min(20, r.files)} photos; in `kpfield attach` the worker steps of "
        "several photos run at once in worker threads while the store thread commits, so the "
        "sum is work per photo, not wall time per photo):",
        "",
        "| step | ms per photo | share |",
        "| --- | ---: | ---: |",
    ]
    for k, v in r.phases_ms.items():
        share = "" if k.startswith("(") else f"{v / total * 100:.0f} %"
        lines.append(f"| {k} | {v:.1f} | {share} |")
    return lines


def render_records(results: list[tuple[dict[str, Any], Measured]], drafts: int) -> list[str]:
    names = {
        "sqlcipher": "SQLCipher (vault pragmas)",
        "sqlcipher-memsec-on": "SQLCipher, `cipher_memory_security=ON` (before issue 12)",
        "sqlite": "plain SQLite (stdlib)",
    }
    header = (
        "| phase | "
        + " | ".join(names[r["engine"]] for r, _ in results)
        + " | SQLCipher ÷ SQLite |"
    )
    lines = [header, "| --- |" + " ---: |" * (len(results) + 1)]
    base = next(r for r, _ in results if r["engine"] == "sqlite")["seconds"]
    ciph = next(r for r, _ in results if r["engine"] == "sqlcipher")["seconds"]
    for phase in base:
        cells = " | ".join(f"{r['seconds'][phase]:.2f} s" for r, _ in results)
        lines.append(f"| {phase} | {cells} | {ciph[phase] / base[phase]:.1f}× |")
    total = {r["engine"]: sum(r["seconds"].values()) for r, _ in results}
    cells = " | ".join(f"{total[r['engine']]:.1f} s" for r, _ in results)
    lines.append(f"| **total** | {cells} | {total['sqlcipher'] / total['sqlite']:.1f}× |")
    cells = " | ".join(f"{m.max_rss_mib:.0f} MiB" for _, m in results)
    lines.append(f"| peak RSS of the process | {cells} | |")
    cells = " | ".join(_mb(r["file_bytes"]) for r, _ in results)
    lines.append(f"| database size | {cells} | |")
    versions = "; ".join(
        f"{names[r['engine']]}: SQLite {r['sqlite_version']}"
        + (f", SQLCipher {r['cipher_version']}" if r["cipher_version"] else "")
        for r, _ in results
    )
    lines += [
        "",
        "The two engines are different SQLite releases (see versions), so the ratio is what a "
        "monitor's laptop pays for the encrypted vault against an unencrypted one, not "
        "encryption alone; the gap between the first two columns is the memory-wiping setting "
        "alone, which the vault turned off (see *Decisions*).",
        "",
        f"Versions — {versions}. `PRAGMA integrity_check`: "
        + ", ".join(r["integrity"] for r, _ in results)
        + ".",
    ]
    return lines


def render_search(s: dict[str, Any], m: Measured) -> list[str]:
    lines = [
        f"{s['reports']:,} reports (150–400 words of narrative each, 1–2 witnesses), "
        f"database {_mb(s['db_bytes'])}; loaded in {s['load_seconds']:.0f} s "
        f"(batches of 500 per transaction); {s['queries']} queries after reopening the vault.",
        "",
        "| | p50 | p95 | max | peak RSS |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| `ReportService.search` (FTS5 match + rank + result rows, ≤ 500) "
        f"| {s['p50_ms']:.0f} ms | {s['p95_ms']:.0f} ms | {s['max_ms']:.0f} ms "
        f"| {m.max_rss_mib:.0f} MiB |",
        f"| `ReportService.search_page` (first page of 100, newest first: what the list waits for) "
        f"| {s['first_page_p50_ms']:.1f} ms | {s['first_page_p95_ms']:.1f} ms "
        f"| {s['first_page_max_ms']:.1f} ms | |",
        "",
        "| query kind | median time, ranked ≤ 500 | median results | median time, first page |",
        "| --- | ---: | ---: | ---: |",
    ]
    for kind, ms in s["median_by_kind_ms"].items():
        lines.append(
            f"| {kind} | {ms:.0f} ms | {s['median_results_by_kind'][kind]:.0f} "
            f"| {s['first_page_by_kind_ms'][kind]:.1f} ms |"
        )
    return lines


def render(
    *,
    settings: Settings,
    info: dict[str, str],
    att: attach.AttachResult,
    records: list[tuple[dict[str, Any], Measured]],
    search: tuple[dict[str, Any], Measured],
    seconds: float,
) -> str:
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        "## Photos, records and search",
        "",
        "Generated by `make bench` (`python -m tests.bench.run`); the figures below are from the "
        "run described under *Machine*. Rerun to refresh this file; figures from another machine "
        "are not comparable.",
        "",
        "### Machine",
        "",
        f"- Date: {date}; whole run {seconds / 60:.1f} min",
        f"- CPU: {info['cpu']}; `nproc`: {info['nproc']}; memory: {info['memory']}",
        f"- OS: {info['os']}; filesystem of the work folder: {info['filesystem']}",
        f"- Python {info['python']}; Pillow {info['pillow']}; age: {info['age']}",
        f"- Peak memory measured through: {info['rss']}",
        f"- Load average (1 min) at start: {info['load_before']}, at end: {loadavg()} "
        f"(on {info['nproc']} CPUs; above that, other work was competing with the benchmark)",
        "",
        "### Attaching photos",
        "",
        *render_attach(att),
        "",
        "### SQLCipher vs plain SQLite",
        "",
        f"The same record workload through `ReportService` and `RecordStore` on each engine "
        f"({settings.drafts} drafts), with the vault's schema and pragmas (WAL, "
        "`synchronous=FULL`, `temp_store=MEMORY`, foreign keys); the plain engine has no key. "
        "The middle column is a what-if: the vault's pragmas with SQLCipher's memory wiping on, "
        "as the vault had it before issue 12.",
        "",
        *render_records(records, settings.drafts),
        "",
        "### Full-text search",
        "",
        *render_search(*search),
        "",
        findings(att, records, search[0], settings.drafts),
        "",
        "### How to reproduce",
        "",
        "```sh",
        "make bench                       # or: .venv/bin/python -m tests.bench.run",
        ".venv/bin/python -m tests.bench.run --quick --out /tmp/b.md   # 1-minute smoke run",
        "```",
        "",
        "Options: `--photos`, `--drafts`, `--reports`, `--queries`, `--rounds`, `--cache DIR` "
        "(generated photos, default `bench-out/`), `--out FILE`. `age` and `age-keygen` must be "
        "on `PATH` for the comparison column (Debian: `apt-get install age`). Each measured side "
        "runs in its own child process, started through a small launcher (GNU `time` if installed); "
        "peak memory is that child's `ru_maxrss` (for the shell loop, the largest of `bash`, "
        "`sha256sum` and `age`). A launcher is needed because Linux carries the parent's peak "
        "RSS into a child at `exec`.",
        "",
    ]
    return "\n".join(parts)


# Figures from the first full run (commit 0a88429, quiet machine), before two fixes it prompted.
BEFORE_FIXES = {
    "autosave_10k_ms": 273,
    "load_10k_s": "O(N²): the benchmark had to skip the index DELETE to load 10,000 reports",
    "full_decode_ms": 137,
    "thumbnail_ms": 65,
    "attach_per_photo_ms": 280,
    "attach_ratio": 5.7,
}


def findings(
    att: attach.AttachResult,
    records: list[tuple[dict[str, Any], Measured]],
    search: dict[str, Any],
    drafts: int,
) -> str:
    """The analysis, with this run's figures filled in."""
    by = {r["engine"]: r["seconds"] for r, _ in records}
    total = {e: sum(v.values()) for e, v in by.items()}
    ph = att.phases_ms
    decode = next(v for k, v in ph.items() if k.startswith("prepare:"))
    full = next(v for k, v in ph.items() if k.startswith("(for comparison) full"))
    steps = sum(v for k, v in ph.items() if not k.startswith("("))
    crypto_io = sum(v for k, v in ph.items() if not k.startswith("(") and "blob" in k)
    ours = att.ours_best.seconds / att.files * 1000
    base = att.baseline_best
    ratio = f"{att.ours_best.seconds / base.seconds:.1f}×" if base else "n/a (no `age`)"
    b = BEFORE_FIXES
    return f"""### Where the time goes, and what to change

Found with py-spy, cProfile, the per-step timers above and `strace -c`. The benchmark code does
not change core code; it reports, and the fixes land separately.

**Still open**

1. **Attaching is decode-bound.** One draft-scale decode takes {decode:.0f} ms of the
   {steps:.0f} ms of work per photo; SHA-256 (one pass, while encrypting), ChaCha20-Poly1305
   and the fsyncs together {crypto_io:.0f} ms ({crypto_io / steps * 100:.0f} %). The decode has
   to read every byte to prove the photo is complete before it is committed. `kpfield attach`
   overlaps these steps of several photos (two decoder and two writer threads, at most four
   files and two decoded drafts in memory), so a batch costs less wall time per photo than this
   sum, but its CPU time is about twice the reference tools': the ratio in *Issue 12's targets*
   below holds only when both cores are free.
2. **Start-up is a fixed cost** of every command (Python, the vault's key derivation, opening
   the database): it weighs on small exports and imports, not on large ones.

**Fixed since the first run of this benchmark** (the "before" figures are from commit 0a88429)

- *`PRAGMA cipher_memory_security = ON` made database work several times slower.* SQLCipher
  called `mlock`/`munlock` around every heap allocation (`strace -c` of 150 drafts: about
  419,000 of each, 97 % of all syscall time). In this run the record workload takes
  {total["sqlcipher-memsec-on"]:.1f} s with it on and {total["sqlcipher"]:.1f} s with the
  vault's pragmas now (off), against {total["sqlite"]:.1f} s on plain SQLite. Issue 12 turned it
  off (see *Decisions*).
- *A common-word search ranked every match before showing any.* `ORDER BY rank LIMIT 500`
  scored them all ({search["median_by_kind_ms"]["common word"]:.0f} ms median for the ranked
  search in this run); the report list now shows the first page from
  `ReportService.search_page` (FTS5 in rowid order with a keyset cursor:
  {search["first_page_by_kind_ms"]["common word"]:.1f} ms median for a common word) and the rest
  right after.
- *Every save re-read the whole search index.* `RecordStore.index_report` deleted the old
  index row with `DELETE FROM report_search WHERE report_id = ?`. `report_id` is an `UNINDEXED`
  FTS5 column, so the DELETE scanned and decrypted the whole index. py-spy put 98 % of the
  samples of a 10,000-report load on that line. Before: {b["autosave_10k_ms"]} ms per autosave
  in a vault of 10,000 reports, and loading was {b["load_10k_s"]}. Commit 22a7b0d (migration 4,
  an id → rowid table) fixed it. Now: {search["autosave_p50_ms"]:.0f} ms median per autosave
  (max {search["autosave_max_ms"]:.0f} ms) in a vault of {search["reports"]:,} reports, and
  loading all of them takes {search["load_seconds"]:.0f} s.
- *Attach decoded every JPEG twice.* Before, it ran a full-resolution decode
  ({b["full_decode_ms"]} ms) only to prove the file was complete and to read its size, then a
  second decode at 1/8 scale for the thumbnail ({b["thumbnail_ms"]} ms). That was
  {b["attach_per_photo_ms"]} ms per photo, {b["attach_ratio"]}× `age`. Commit 6308528 decodes
  once, at draft scale. Now: {ours:.0f} ms per photo, {ratio} `age`. For comparison, a
  full-resolution decode alone takes {full:.0f} ms in this run.

Not measured here: durability across a power cut (the crash test uses SIGKILL, and the page cache
survives that), and the GUI.
"""  # noqa: S608 - prose quoting SQL for the reader, never executed


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    p.add_argument("--photos", type=int)
    p.add_argument("--drafts", type=int)
    p.add_argument("--reports", type=int)
    p.add_argument("--queries", type=int, default=50)
    p.add_argument("--rounds", type=int)
    p.add_argument("--cache", type=Path, default=REPO / "bench-out")
    p.add_argument("--out", type=Path)
    p.add_argument("--no-bundles", action="store_true", help="skip the bundle export/import run")
    p.add_argument("--no-sync", action="store_true", help="skip the sync-over-bad-links run")
    p.add_argument(
        "--no-before-after", action="store_true", help="skip issue 12's before/after trees"
    )
    p.add_argument(
        "--no-relay-scale", action="store_true", help="skip the relay backends side by side"
    )
    p.add_argument(
        "--relay-devices", default="50,200", help="device counts of the relay backends run"
    )
    a = p.parse_args(argv)
    settings = Settings(
        photos=a.photos or (10 if a.quick else 100),
        drafts=a.drafts or (200 if a.quick else 2000),
        reports=a.reports or (1000 if a.quick else 10_000),
        queries=a.queries,
        rounds=a.rounds or (1 if a.quick else 2),
        cache=a.cache.resolve(),
        out=a.out
        or (a.cache / "benchmarks-quick.md" if a.quick else REPO / "docs" / "benchmarks.md"),
    )
    start = time.perf_counter()
    settings.cache.mkdir(parents=True, exist_ok=True)
    use_bytecode(settings.cache / "pycache")
    info = machine()
    files = corpus.photos(settings.cache, settings.photos)
    print(f"attach: {len(files)} photos…", flush=True)
    att = attach.run(files, settings.cache / "scratch", REPO, rounds=settings.rounds)
    records = run_records(settings)
    search = run_search(settings)
    desk = run_desk(settings)
    text = render(
        settings=settings,
        info=info,
        att=att,
        records=records,
        search=search,
        seconds=time.perf_counter() - start,
    )
    text = text.rstrip("\n") + "\n\n" + "\n".join(render_desk(*desk))
    print()
    print(text)
    settings.out.parent.mkdir(parents=True, exist_ok=True)
    old = settings.out.read_text(encoding="utf-8") if settings.out.exists() else None
    settings.out.write_text(merge(old, text), encoding="utf-8")
    (settings.cache / "results.json").write_text(
        json.dumps(
            {
                "machine": info,
                "attach": {
                    "ours": [m.__dict__ | {"stdout": ""} for m in att.ours],
                    "baseline": [m.__dict__ | {"stdout": ""} for m in att.baseline],
                    "phases_ms": att.phases_ms,
                },
                "records": [r for r, _ in records],
                "search": search[0],
            },
            indent=2,
        )
    )
    print(f"\nwrote {settings.out}", file=sys.stderr)
    if not a.no_bundles and not a.quick:
        from tests.bench import bench_bundle

        bench_bundle.main(["--write"])
    if not a.no_before_after and not a.quick:
        from tests.bench import before_after

        before_after.main(["--write"])
    if not a.no_sync and not a.quick:
        from tests.bench import sync

        sync.main(["--write"])
    if not a.no_relay_scale and not a.quick:
        from tests.bench import relay_scale

        relay_scale.main(["--devices", a.relay_devices, "--mib", "20", "--write"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
