"""Attaching photos: ``kpfield attach`` vs ``sha256sum`` + ``age -e`` on the same files.

Each side runs as one child process over all the files, so wall time and peak RSS (``wait4``)
are measured the same way, and the rounds alternate (ours, then the reference) so both see the
same load on a shared machine. Files are read once beforehand so both sides start from a warm
page cache. Our side also makes a thumbnail, checks the photo decodes, and fsyncs every blob, its
folder and the database; ``age`` does none of that. Ours runs the photos through worker threads
(read, decode, hash + encrypt + write + fsync both blobs) while one thread commits them in order;
``sha256sum`` and ``age`` run one after the other, one file at a time.

    python -m tests.bench.attach --rounds 3      # only this measurement, with min/median ratios
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

from tests.bench.measure import Measured, python_module, run_measured

PASSPHRASE = "benchmark passphrase"
T = TypeVar("T")


@dataclass
class AttachResult:
    files: int
    total_bytes: int
    ours: list[Measured] = field(default_factory=list)
    baseline: list[Measured] = field(default_factory=list)
    baseline_missing: str | None = None
    phases_ms: dict[str, float] = field(default_factory=dict)

    @property
    def ours_best(self) -> Measured:
        return min(self.ours, key=lambda m: m.seconds)

    @property
    def baseline_best(self) -> Measured | None:
        return min(self.baseline, key=lambda m: m.seconds) if self.baseline else None


def _kpfield(work: Path, *args: str) -> str:
    out = subprocess.run(
        [
            *python_module("kpfield"),
            *args,
            "--data-dir",
            str(work / "vault"),
            "--passphrase-file",
            str(work / "passphrase"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def _warm(files: list[Path]) -> None:
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 20):
                pass


def run_ours(work: Path, files: list[Path], repo: Path) -> Measured:
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    (work / "passphrase").write_text(PASSPHRASE + "\n")
    _kpfield(work, "init", "--kdf-memory-mib", "8", "--kdf-iterations", "1")
    rid = _kpfield(work, "report", "new", "--from", str(repo / "docs" / "example-report.json"))
    _warm(files)
    m = run_measured(
        [
            *python_module("kpfield"),
            "attach",
            rid.strip(),
            *map(str, files),
            "--data-dir",
            str(work / "vault"),
            "--passphrase-file",
            str(work / "passphrase"),
        ]
    )
    lines = [ln for ln in m.stdout.splitlines() if ln.strip()]
    if len(lines) != len(files):
        raise RuntimeError(f"kpfield attach stored {len(lines)} of {len(files)} files")
    shutil.rmtree(work)
    return m


def age_missing() -> str | None:
    for tool in ("age", "age-keygen", "sha256sum"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed"
    return None


def run_baseline(work: Path, files: list[Path]) -> Measured:
    if work.exists():
        shutil.rmtree(work)
    (work / "out").mkdir(parents=True)
    subprocess.run(["age-keygen", "-o", str(work / "identity")], capture_output=True, check=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(work / "identity")], capture_output=True, text=True, check=True
    ).stdout.strip()
    script = (
        'for f in "$@"; do sha256sum "$f" >>"$OUT/sums" && '
        'age -e -r "$R" -o "$OUT/$(basename "$f").age" "$f" || exit 1; done'
    )
    env = {**os.environ, "R": recipient, "OUT": str(work / "out")}
    _warm(files)
    m = run_measured(["bash", "-c", script, "bench", *map(str, files)], env=env)
    shutil.rmtree(work)
    return m


def phase_breakdown(files: list[Path], work: Path) -> dict[str, float]:
    """Mean milliseconds per photo of each step of the attach pipeline, timed one by one.

    In ``attach_files`` the worker steps run in worker threads, several photos at once, while
    the store thread commits the photo before; here each step runs alone on one thread, so the
    sum is the work per photo, not the wall time per photo of a batch.
    """
    import json

    from kpfield import media
    from kpfield.app import create_session
    from kpfield.services.attachments import (
        prepare_attachment,
        read_attachment_file,
        stage_attachment,
    )
    from kpfield.vault.keyslots import KdfParams

    if work.exists():
        shutil.rmtree(work)
    session = create_session(work / "vault", PASSPHRASE, params=KdfParams.cheap_for_tests())
    doc = json.loads((Path(__file__).resolve().parents[2] / "docs/example-report.json").read_text())
    rid = session.reports.create_from_document(doc)
    blobs = session.vault.blobs
    steps: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[[], T]) -> T:
        t = time.perf_counter()
        result = fn()
        steps.setdefault(name, []).append((time.perf_counter() - t) * 1000)
        return result

    try:
        for f in files:
            data = timed("read file (worker)", partial(read_attachment_file, f))
            prepared = timed(
                "prepare: detect kind, one draft decode (size, EXIF, thumbnail) (worker)",
                partial(prepare_attachment, data, f.name),
            )
            original = timed(
                "hash + encrypt + write + fsync original blob, one pass (worker)",
                partial(blobs.put_stream, io.BytesIO(data)),
            )
            thumb = timed(
                "encrypt + write + fsync thumbnail blob (worker)",
                partial(blobs.put, prepared.thumbnail or b""),
            )
            blobs.delete(original.name)
            blobs.delete(thumb.name)
            staged = stage_attachment(blobs, prepared)
            timed(
                "refuse a duplicate, commit photo + thumbnail rows (store thread)",
                partial(session.reports._commit_staged, rid, staged, False),  # noqa: SLF001
            )
            timed(
                "(for comparison) SHA-256 alone, part of the original blob's step",
                partial(hashlib.sha256, data),
            )
            timed(
                "(for comparison) full-resolution decode, as attach did before 6308528",
                partial(media.inspect_photo, data, "p"),
            )
    finally:
        session.close()
        shutil.rmtree(work)
    return {k: statistics.mean(v) for k, v in steps.items()}


def run(
    files: list[Path], scratch: Path, repo: Path, rounds: int = 2, *, phases: bool = True
) -> AttachResult:
    result = AttachResult(len(files), sum(f.stat().st_size for f in files))
    result.baseline_missing = age_missing()
    for r in range(rounds):
        print(f"  attach round {r + 1}/{rounds}: kpfield attach…", flush=True)
        result.ours.append(run_ours(scratch / "attach-ours", files, repo))
        print(f"    {result.ours[-1].seconds:.1f} s", flush=True)
        if result.baseline_missing is None:
            print(f"  attach round {r + 1}/{rounds}: sha256sum + age -e…", flush=True)
            result.baseline.append(run_baseline(scratch / "attach-age", files))
            print(f"    {result.baseline[-1].seconds:.1f} s", flush=True)
    if phases:
        print("  attach: timing each step on 20 photos…", flush=True)
        result.phases_ms = phase_breakdown(files[:20], scratch / "attach-phases")
    return result


def ratios(r: AttachResult) -> dict[str, float]:
    """Ours ÷ reference: of the best rounds, of the medians, and the spread of paired rounds."""
    ours = [m.seconds for m in r.ours]
    base = [m.seconds for m in r.baseline]
    paired = [o / b for o, b in zip(ours, base, strict=False)]
    return {
        "min": min(ours) / min(base),
        "median": statistics.median(ours) / statistics.median(base),
        "paired_min": min(paired),
        "paired_max": max(paired),
    }


def main(argv: list[str] | None = None) -> int:
    """Only the attach measurement (``make bench`` runs it among the others)."""
    import argparse

    from tests.bench import corpus
    from tests.bench.measure import REPO, use_bytecode

    p = argparse.ArgumentParser(prog="python -m tests.bench.attach", description=main.__doc__)
    p.add_argument("--photos", type=int, default=100, help="12 MP JPEGs to attach (default 100)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of both sides (default 3)")
    p.add_argument("--cache", type=Path, default=REPO / "bench-out", help="photo cache folder")
    p.add_argument("--no-phases", action="store_true", help="skip the per-step timing table")
    a = p.parse_args(argv)
    if age_missing():
        p.error(f"cannot compare: {age_missing()}")
    cache = a.cache.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    use_bytecode(cache / "pycache")
    files = corpus.photos(cache, a.photos)
    load_before = os.getloadavg()
    r = run(files, cache / "scratch", REPO, rounds=a.rounds, phases=not a.no_phases)
    load_after = os.getloadavg()
    q = ratios(r)
    print(f"ours:      {', '.join(f'{m.seconds:.2f} s' for m in r.ours)}")
    print(f"reference: {', '.join(f'{m.seconds:.2f} s' for m in r.baseline)}")
    print(
        f"ratio ours/reference: min {q['min']:.2f}×, median {q['median']:.2f}× "
        f"(paired rounds {q['paired_min']:.2f}–{q['paired_max']:.2f}×)"
    )
    print(f"peak RSS ours {r.ours_best.max_rss_mib:.0f} MiB")
    print(
        "load average before: {:.2f} {:.2f} {:.2f}; after: {:.2f} {:.2f} {:.2f}".format(
            *load_before, *load_after
        )
    )
    for k, v in r.phases_ms.items():
        print(f"  {v:7.1f} ms  {k}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
