"""Bundle benchmark: our export vs ``tar | age -e`` and our import vs ``age -d | sha256sum``.

    python -m tests.bench.bench_bundle                 # 1 GiB of photos (and a 1/8 run for memory)
    python -m tests.bench.bench_bundle --mib 128       # a quick run

Every measured step is a child process (wall time and peak RSS via ``wait4``, see
``tests.bench.measure``); setting up the vaults is not measured. Prints a Markdown section and,
with ``--write``, appends it at the end of ``docs/benchmarks.md``. Figures are recorded, never
asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.bench import corpus
from tests.bench.measure import (
    REPO,
    Measured,
    launcher,
    launcher_floor_mib,
    run_measured,
)

PASSPHRASE = "bench passphrase"
WORK = REPO / "bench-out" / "bundle"
PHOTOS_PER_REPORT = 10


@dataclass(frozen=True)
class Row:
    label: str
    mib: float
    ours_export: Measured
    base_export: Measured
    ours_import: Measured
    base_import: Measured


def _kpfield(*args: str) -> list[str]:
    return [sys.executable, "-m", "kpfield", *args]


def _cli(data: Path, *args: str) -> list[str]:
    return _kpfield(*args, "--data-dir", str(data), "--passphrase-file", str(WORK / "pass"))


def _run(cmd: list[str]) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=REPO).stdout


def _setup(root: Path, photos: list[Path]) -> tuple[Path, Path, Path]:
    """An HQ vault, an enrolled field vault whose sealed reports hold ``photos``."""
    import json

    from kpfield.app import create_session
    from kpfield.protocol.enrollment import parse_request
    from kpfield.vault.keyslots import KdfParams

    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    params = KdfParams.cheap_for_tests()
    hq = create_session(root / "hq", PASSPHRASE, role="hq", params=params)
    field = create_session(root / "field", PASSPHRASE, params=params, device_name="bench")
    try:
        field.field().profile.install(hq.hq().profile.export()[0])
        hq.hq().devices.approve(parse_request(field.field().enrollment.request()[0]))
        doc = json.loads((REPO / "docs" / "example-report.json").read_text("utf-8"))
        for start in range(0, len(photos), PHOTOS_PER_REPORT):
            rid = field.reports.create_from_document(doc)
            for p in photos[start : start + PHOTOS_PER_REPORT]:
                field.reports.attach_file(rid, p)
            field.reports.seal(rid)
        from kpfield.hq.keys import identity_file, recipients

        (root / "hq.key").write_text(identity_file(hq.vault, "primary"))
        hq_recipients = recipients(hq.vault)
    finally:
        field.close()
        hq.close()
    (root / "recipients").write_text("\n".join(hq_recipients) + "\n")
    return root / "hq", root / "field", root / "hq.key"


def bench(label: str, photos: list[Path]) -> Row:
    root = WORK / label
    hq, field, key = _setup(root, photos)
    mib = sum(p.stat().st_size for p in photos) / (1 << 20)
    stick = root / "stick"
    stick.mkdir()
    ours_export = run_measured(_cli(field, "export", "--to", str(stick)))
    [bundle] = list(stick.iterdir())
    base_out = root / "baseline.age"
    names = " ".join(p.name for p in photos)
    base_export = run_measured(
        [
            "sh",
            "-c",
            f"tar -cf - -C {photos[0].parent} {names} | age -e -R {root / 'recipients'}"
            f" > {base_out} && sync -f {base_out}",
        ]
    )
    ours_import = run_measured(_cli(hq, "import", str(bundle)))
    base_import = run_measured(["sh", "-c", f"age -d -i {key} {bundle} | sha256sum"])
    base_out.unlink()
    return Row(label, mib, ours_export, base_export, ours_import, base_import)


def _fmt(m: Measured) -> str:
    return f"{m.seconds:.1f} s, {m.max_rss_mib:.0f} MiB"


def markdown(rows: list[Row], floor: float) -> str:
    lines = [
        "## Bundles",
        "",
        "`python -m tests.bench.bench_bundle` (1 GiB of 4000×3000 JPEGs, 10 per report; a 1/8"
        " run shows memory does not grow with bundle size). Each step is a child process; peak"
        f" memory is its `ru_maxrss` via `wait4` ({launcher()} launcher, floor {floor:.0f} MiB)."
        " Our export includes fsync, rename and reading the bundle back from the medium; the"
        " baseline `tar | age -e` writes the same photos to two recipients and ends with"
        " `sync -f`. Our import decrypts, verifies every hash and signature, and re-encrypts"
        " each original into the HQ vault; the baseline only decrypts and hashes.",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python"
        f" {platform.python_version()}.",
        "",
        "| data | our export | `tar \\| age -e` | ratio | our import | `age -d \\| sha256sum` |"
        " ratio |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        lines.append(
            f"| {r.mib:.0f} MiB | {_fmt(r.ours_export)} | {_fmt(r.base_export)} |"
            f" {r.ours_export.seconds / r.base_export.seconds:.2f}× | {_fmt(r.ours_import)} |"
            f" {_fmt(r.base_import)} | {r.ours_import.seconds / r.base_import.seconds:.2f}× |"
        )
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        lines += [
            "",
            f"Peak memory of our export: {small.ours_export.max_rss_mib:.0f} MiB for"
            f" {small.mib:.0f} MiB of photos, {large.ours_export.max_rss_mib:.0f} MiB for"
            f" {large.mib:.0f} MiB; of our import: {small.ours_import.max_rss_mib:.0f} and"
            f" {large.ours_import.max_rss_mib:.0f} MiB. Streaming keeps it flat: it does not grow"
            " with the bundle. Export re-reads each photo from the encrypted vault and reads the"
            " finished bundle back from the medium; import also verifies every signature and the"
            " custody chain and re-encrypts each original into the HQ vault with fsync.",
        ]
    return "\n".join(lines) + "\n"


def replace_section(existing: str, section: str) -> str:
    """Put ``section`` (starting with its ``## `` title) in place of an older one, or at the end."""
    title = section.splitlines()[0]
    if title in existing:
        head, rest = existing.split(title, 1)
        nxt = rest.find("\n## ")
        tail = rest[nxt + 1 :] if nxt >= 0 else ""
        return head + section.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    return existing.rstrip("\n") + "\n\n" + section


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=1024, help="size of the large run")
    parser.add_argument("--write", action="store_true", help="append to docs/benchmarks.md")
    args = parser.parse_args(argv)
    for tool in ("age", "tar", "sha256sum"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    WORK.mkdir(parents=True, exist_ok=True)
    from tests.bench.measure import use_bytecode  # here: before_after loads _setup into old trees

    use_bytecode(REPO / "bench-out" / "pycache")
    (WORK / "pass").write_text(PASSPHRASE + "\n")
    avg = (corpus.MIN_BYTES + corpus.MAX_BYTES) / 2
    count = max(2, round(args.mib * (1 << 20) / avg))
    photos = corpus.photos(REPO / "bench-out", count)
    while sum(p.stat().st_size for p in photos) < args.mib * (1 << 20):
        photos = corpus.photos(REPO / "bench-out", len(photos) + 4)
    rows = [bench("small", photos[: max(2, len(photos) // 8)]), bench("large", photos)]
    text = markdown(rows, launcher_floor_mib())
    print(text)
    if args.write:
        path = REPO / "docs" / "benchmarks.md"
        existing = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
        path.write_text(replace_section(existing, text), encoding="utf-8")
    shutil.rmtree(WORK, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
