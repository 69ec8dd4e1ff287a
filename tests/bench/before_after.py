"""Issue 12's targets, before and after: older commits and this tree side by side.

    python -m tests.bench.before_after --write     # part of ``make bench``
    python -m tests.bench.before_after --rounds 3 --photos 100 --export-mib 226,1100

Each tree (a git commit unpacked under ``bench-out/trees/``, or this working tree) runs its own
``kpfield attach``, ``kpfield export`` and ``kpfield import`` (vaults set up through the service
API by this tree's ``tests/bench/bench_bundle._setup``), its own record workload against plain
SQLite (``tests.bench.records``) and its own search benchmark (``tests.bench.search``, 10,000
reports); the reference tools run in the same round, right after, on the same files. Every
figure is a ratio to the reference of its own round (search: milliseconds to the first page of a
common-word search); min and median over the rounds. Figures are recorded, never asserted.

Every tree runs from compiled bytecode (``compileall`` into a cache under ``bench-out/``), as an
installed app does: with ``PYTHONDONTWRITEBYTECODE`` set and no cache, each command would
compile its modules from source first (0.3-1 s here), which no monitor's laptop pays.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.bench import corpus
from tests.bench.measure import REPO, Measured, run_measured

OUT = REPO / "bench-out"
PASSPHRASE = "bench passphrase"
BEFORE = ("b586c12",)
"""Before issue 12's pipelines (memory security already off, issue 9 merged)."""
BEGIN = "<!-- tests.bench.before_after: begin (generated) -->"
END = "<!-- tests.bench.before_after: end -->"


@dataclass
class Tree:
    label: str  # a short commit id, or "this tree"
    root: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPATH"] = str(self.root)
        env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
        return env

    def kpfield(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "kpfield", *args]


def unpack(ref: str) -> Tree:
    """The tree of commit ``ref`` (unpacked once, reused)."""
    root = OUT / "trees" / ref
    if not (root / "kpfield").is_dir():
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(parents=True)
        archive = subprocess.run(
            ["git", "archive", "--format=tar", ref], cwd=REPO, capture_output=True, check=True
        ).stdout
        tar = root / "tree.tar"
        tar.write_bytes(archive)
        with tarfile.open(tar) as tf:
            tf.extractall(root, filter="data")
        tar.unlink()
    return Tree(ref, root)


def compile_tree(tree: Tree) -> None:
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree.root / "kpfield")],
        env=tree.env(),
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _run(tree: Tree, cmd: list[str]) -> str:
    proc = subprocess.run(
        cmd, cwd=tree.root, env=tree.env(), capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise RuntimeError(f"{tree.label}: {cmd[2:4]} exited {proc.returncode}")
    return proc.stdout


def _measure(tree: Tree, cmd: list[str]) -> Measured:
    return run_measured(cmd, env=tree.env(), cwd=tree.root)


# ---------------------------------------------------------------------- attach
def attach_ours(tree: Tree, work: Path, files: list[Path]) -> Measured:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "pass").write_text(PASSPHRASE + "\n")
    common = ["--data-dir", str(work / "vault"), "--passphrase-file", str(work / "pass")]
    _run(tree, tree.kpfield("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1", *common))
    example = str(tree.root / "docs" / "example-report.json")
    rid = _run(tree, tree.kpfield("report", "new", "--from", example, *common)).strip()
    _warm(files)
    m = _measure(tree, tree.kpfield("attach", rid, *map(str, files), *common))
    if len([ln for ln in m.stdout.splitlines() if ln.strip()]) != len(files):
        raise RuntimeError(f"{tree.label}: kpfield attach did not store every photo")
    shutil.rmtree(work)
    return m


def attach_reference(work: Path, files: list[Path]) -> Measured:
    shutil.rmtree(work, ignore_errors=True)
    (work / "out").mkdir(parents=True)
    subprocess.run(["age-keygen", "-o", str(work / "id")], capture_output=True, check=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(work / "id")], capture_output=True, text=True, check=True
    ).stdout.strip()
    script = (
        'for f in "$@"; do sha256sum "$f" >>"$OUT/sums" && '
        'age -e -r "$R" -o "$OUT/$(basename "$f").age" "$f" || exit 1; done'
    )
    _warm(files)
    env = {**os.environ, "R": recipient, "OUT": str(work / "out")}
    m = run_measured(["bash", "-c", script, "bench", *map(str, files)], env=env)
    shutil.rmtree(work)
    return m


def _warm(files: list[Path]) -> None:
    for f in files:
        with open(f, "rb") as fh:
            while fh.read(1 << 20):
                pass


# ---------------------------------------------------------------------- export
# This tree's setup (through the service API every compared tree has), loaded by path so that
# ``kpfield`` comes from the tree being measured; older trees' own copies may be stale.
_SETUP = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("bench_setup", sys.argv[2])
bb = importlib.util.module_from_spec(spec)
sys.modules["bench_setup"] = bb
spec.loader.exec_module(bb)
root = Path(sys.argv[1])
bb.WORK = root.parent
bb.WORK.mkdir(parents=True, exist_ok=True)
(bb.WORK / "pass").write_text(bb.PASSPHRASE + "\\n")
bb._setup(root, [Path(p) for p in sys.argv[3:]])
"""


def export_setup(tree: Tree, root: Path, photos: list[Path]) -> None:
    setup = Path(__file__).with_name("bench_bundle.py")
    _run(tree, [sys.executable, "-c", _SETUP, str(root), str(setup), *map(str, photos)])


def export_reference(root: Path, photos: list[Path]) -> Measured:
    out = root / "reference.age"
    names = " ".join(p.name for p in photos)
    m = run_measured(
        [
            "sh",
            "-c",
            f"tar -cf - -C {photos[0].parent} {names} | age -e -R {root / 'recipients'}"
            f" > {out} && sync -f {out}",
        ]
    )
    out.unlink()
    return m


def export_keep(tree: Tree, root: Path) -> tuple[Measured, Path]:
    """:func:`export_ours`, keeping the bundle for the import that follows in the round."""
    stick = root / "stick"
    shutil.rmtree(stick, ignore_errors=True)
    stick.mkdir()
    m = _measure(
        tree,
        tree.kpfield(
            "export", "--again", "--to", str(stick), "--data-dir", str(root / "field"),
            "--passphrase-file", str(root.parent / "pass"),
        ),
    )  # fmt: skip
    bundles = [p for p in stick.iterdir() if p.suffix == ".age"] or list(stick.iterdir())
    if len(bundles) != 1:
        raise RuntimeError(f"{tree.label}: export left {len(bundles)} files")
    return m, bundles[0]


def import_ours(tree: Tree, root: Path, bundle: Path) -> Measured:
    """Import ``bundle`` into a fresh copy of the tree's HQ vault (as it was before any import)."""
    hq = root / "hq-import"
    shutil.rmtree(hq, ignore_errors=True)
    shutil.copytree(root / "hq.orig", hq)
    m = _measure(
        tree,
        tree.kpfield(
            "import", str(bundle), "--data-dir", str(hq),
            "--passphrase-file", str(root.parent / "pass"),
        ),
    )  # fmt: skip
    shutil.rmtree(hq)
    return m


def import_reference(root: Path, bundle: Path, digest: str) -> Measured:
    return run_measured(["sh", "-c", f"age -d -i {root / 'hq.key'} {bundle} | {digest}"])


def records_ratio(tree: Tree, work: Path, drafts: int) -> tuple[float, float, float]:
    """(SQLCipher ÷ plain SQLite total, SQLCipher ÷ SQLite searches, SQLCipher seconds)."""
    totals: dict[str, float] = {}
    searches: dict[str, float] = {}
    for engine in ("sqlcipher", "sqlite"):
        out = _run(
            tree,
            [sys.executable, "-m", "tests.bench.records", engine, str(work / engine), str(drafts)],
        )
        phases = json.loads(out)["seconds"]
        totals[engine] = sum(phases.values())
        searches[engine] = sum(v for k, v in phases.items() if "search" in k)
        shutil.rmtree(work / engine, ignore_errors=True)
    return (
        totals["sqlcipher"] / totals["sqlite"],
        searches["sqlcipher"] / searches["sqlite"],
        totals["sqlcipher"],
    )


def search_first_page(tree: Tree, work: Path, reports: int, queries: int) -> tuple[float, bool]:
    """Median ms until a common-word search can show results; True when the tree pages them
    (older trees rank every match first: their figure is the whole ranked search)."""
    out = json.loads(
        _run(
            tree,
            [sys.executable, "-m", "tests.bench.search", str(work), str(reports), str(queries)],
        )
    )
    shutil.rmtree(work, ignore_errors=True)
    if "first_page_by_kind_ms" in out:
        return float(out["first_page_by_kind_ms"]["common word"]), True
    return float(out["median_by_kind_ms"]["common word"]), False


# ---------------------------------------------------------------------- results
@dataclass
class Row:
    what: str
    reference: str
    target: str
    unit: str = "×"
    ratios: dict[str, list[float]] = field(default_factory=dict)  # tree label -> per round
    seconds: dict[str, list[float]] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)
    ref_seconds: list[float] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)  # tree label -> footnote

    def add(self, label: str, ours: Measured, ref: Measured) -> None:
        self.ratios.setdefault(label, []).append(ours.seconds / ref.seconds)
        self.seconds.setdefault(label, []).append(ours.seconds)
        self.rss.setdefault(label, []).append(ours.max_rss_mib)
        self.ref_seconds.append(ref.seconds)

    def add_value(self, label: str, value: float, seconds: float | None = None) -> None:
        self.ratios.setdefault(label, []).append(value)
        if seconds is not None:
            self.seconds.setdefault(label, []).append(seconds)

    def met(self, label: str) -> str:
        limit = float(re.findall(r"[0-9.]+", self.target)[0])
        values = self.ratios[label]
        if statistics.median(values) <= limit and min(values) <= limit:
            return "yes" if max(values) <= limit else "median yes"
        return "min only" if min(values) <= limit else "no"


def _load() -> float:
    return os.getloadavg()[0]


@dataclass
class Plan:
    photos: int
    export_mib: list[int]
    rounds: int
    drafts: int = 2000
    reports: int = 10_000
    queries: int = 25


def run(trees: list[Tree], plan: Plan) -> tuple[list[Row], list[float]]:
    files = corpus.photos(OUT, plan.photos)
    rows: list[Row] = []
    loads: list[float] = []
    for tree in trees:
        compile_tree(tree)
    att = Row(f"attach {plan.photos} × 12 MP JPEG", "`sha256sum` + `age -e`", "≤ 1.3×")
    rows.append(att)
    sizes: list[tuple[Row, Row, Row, list[Path], list[Path]]] = []
    for mib in plan.export_mib:
        chosen = _photos_for(mib)
        size = sum(p.stat().st_size for p in chosen) / (1 << 20)
        exp = Row(
            f"export {size:,.0f} MiB, read-back included", "`tar \\| age -e && sync -f`", "≤ 1.5×"
        )
        imp = Row(f"import the {size:,.0f} MiB bundle", "`age -d \\| sha256sum`", "≤ 1.0×")
        imp2 = Row(
            f"import the {size:,.0f} MiB bundle", "`age -d \\| openssl dgst -sha256`", "(reported)"
        )
        print(f"setting up the export vaults for {size:.0f} MiB…", flush=True)
        roots = []
        for tree in trees:
            root = OUT / "before-after" / f"{tree.label.replace(' ', '-')}-{mib}"
            export_setup(tree, root, chosen)
            shutil.copytree(root / "hq", root / "hq.orig")
            roots.append(root)
        rows += [exp, imp, imp2]
        sizes.append((exp, imp, imp2, chosen, roots))
    rec = Row(
        f"record workload, {plan.drafts:,} drafts, searches included",
        "plain SQLite (stdlib)",
        "≤ 1.5×",
    )
    rec_search = Row("… of which the 100 searches", "plain SQLite (stdlib)", "(reported)")
    search = Row(
        f"common-word search, {plan.reports:,} reports: first page shown",
        "(absolute, median of the queries)",
        "≤ 50 ms",
        unit=" ms",
    )
    rows += [rec, rec_search, search]
    work = OUT / "before-after"
    for r in range(plan.rounds):
        loads.append(_load())
        print(f"round {r + 1}/{plan.rounds} (load {loads[-1]:.1f})", flush=True)
        # Alternate the order, so that no tree always runs first (or after another's writes).
        order = list(range(len(trees))) if r % 2 == 0 else list(range(len(trees)))[::-1]
        for i in order:
            tree = trees[i]
            ours = attach_ours(tree, work / "attach", files)
            ref = attach_reference(work / "attach-ref", files)
            att.add(tree.label, ours, ref)
            print(f"  attach {tree.label}: {ours.seconds:.2f} s / {ref.seconds:.2f} s", flush=True)
        for exp, imp, imp2, chosen, roots in sizes:
            for i in order:
                tree, root = trees[i], roots[i]
                ours, bundle = export_keep(tree, root)
                ref = export_reference(root, chosen)
                exp.add(tree.label, ours, ref)
                ours_i = import_ours(tree, root, bundle)
                imp.add(tree.label, ours_i, import_reference(root, bundle, "sha256sum"))
                imp2.add(tree.label, ours_i, import_reference(root, bundle, "openssl dgst -sha256"))
                shutil.rmtree(root / "stick")
                print(
                    f"  {exp.what[:18]} {tree.label}: export {exp.ratios[tree.label][-1]:.2f}×,"
                    f" import {imp.ratios[tree.label][-1]:.2f}×",
                    flush=True,
                )
        for i in order:
            tree = trees[i]
            total, searches, secs = records_ratio(tree, work / "records", plan.drafts)
            rec.add_value(tree.label, total, secs)
            rec_search.add_value(tree.label, searches)
            ms, paged = search_first_page(tree, work / "search", plan.reports, plan.queries)
            search.add_value(tree.label, ms)
            if not paged:
                search.notes[tree.label] = "ranks every match before showing any"
            print(
                f"  records {tree.label}: {total:.2f}×; search first page {ms:.1f} ms", flush=True
            )
        loads.append(_load())
    shutil.rmtree(work, ignore_errors=True)
    return rows, loads


def _photos_for(mib: int) -> list[Path]:
    avg = (corpus.MIN_BYTES + corpus.MAX_BYTES) / 2
    photos = corpus.photos(OUT, max(2, round(mib * (1 << 20) / avg)))
    while sum(p.stat().st_size for p in photos) < mib * (1 << 20) * 0.98:
        photos = corpus.photos(OUT, len(photos) + 2)
    return photos


def _mm(values: list[float], unit: str = "×") -> str:
    digits = 1 if unit.strip() == "ms" else 2
    return f"{min(values):.{digits}f}{unit} / {statistics.median(values):.{digits}f}{unit}"


def markdown(rows: list[Row], trees: list[Tree], loads: list[float], rounds: int) -> str:
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    labels = [t.label for t in trees]
    head = " | ".join(f"{lb} (min / median)" for lb in labels)
    befores = ", ".join(f"`{lb}`" for lb in labels[:-1]) or "no older commit"
    lines = [
        "## Issue 12's targets: before and after (generated)",
        "",
        BEGIN,
        f"Generated by `python -m tests.bench.before_after` (part of `make bench`), {date};"
        f" {rounds} rounds; 1-minute load average {min(loads):.1f}–{max(loads):.1f} on"
        f" {os.cpu_count()} CPUs (the machine may be shared: only ratios measured in the same"
        " round are compared). Each cell is ours ÷ the reference run right after it in the same"
        " round, min / median over the rounds. Before: "
        + befores
        + "; after: *this tree*. Every tree runs from compiled bytecode, as an installed app does.",
        "",
        f"| work | reference | {head} | target | met (this tree) |",
        "| --- | --- |" + " ---: |" * len(labels) + " --- | --- |",
    ]
    footnotes: list[str] = []
    for row in rows:
        cells = []
        for lb in labels:
            cell = _mm(row.ratios[lb], row.unit)
            if lb in row.notes:
                footnotes.append(f"{lb}, {row.what}: {row.notes[lb]}.")
                cell += f" ({len(footnotes)})"
            cells.append(cell)
        met = row.met(labels[-1]) if row.target.startswith("≤") else "—"
        lines.append(
            f"| {row.what} | {row.reference} | {' | '.join(cells)} | {row.target} | {met} |"
        )
    lines += [""] + [f"({n}) {text}" for n, text in enumerate(footnotes, 1)]
    lines += ["", "Seconds (median) and peak RSS (max) of each side:", ""]
    lines.append("| work | reference | " + " | ".join(labels) + " |")
    lines.append("| --- | ---: |" + " ---: |" * len(labels))
    for row in rows:
        if not row.rss:
            continue
        cells = " | ".join(
            f"{statistics.median(row.seconds[lb]):.2f} s, {max(row.rss[lb]):.0f} MiB"
            for lb in labels
        )
        lines.append(f"| {row.what} | {statistics.median(row.ref_seconds):.2f} s | {cells} |")
    lines += ["", END, ""]
    return "\n".join(lines)


def write(section: str) -> None:
    path = REPO / "docs" / "benchmarks.md"
    text = path.read_text(encoding="utf-8")
    title = section.splitlines()[0]
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        head = head[: head.rfind(title)] if title in head else head
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.bench.before_after", description=__doc__)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--photos", type=int, default=100, help="photos attached per round")
    p.add_argument("--export-mib", default="226,1100", help="bundle sizes, comma-separated")
    p.add_argument("--drafts", type=int, default=2000, help="drafts in the record workload")
    p.add_argument("--reports", type=int, default=10_000, help="reports in the search vault")
    p.add_argument("--queries", type=int, default=25, help="search queries per round")
    p.add_argument("--before", default=",".join(BEFORE), help="commits to compare with")
    p.add_argument("--write", action="store_true", help="put the section in docs/benchmarks.md")
    a = p.parse_args(argv)
    for tool in ("age", "age-keygen", "tar", "sha256sum", "openssl", "git"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    trees = [unpack(ref) for ref in a.before.split(",") if ref]
    trees.append(Tree("this tree", REPO))
    plan = Plan(a.photos, [int(x) for x in a.export_mib.split(",")], a.rounds)
    plan.drafts, plan.reports, plan.queries = a.drafts, a.reports, a.queries
    rows, loads = run(trees, plan)
    section = markdown(rows, trees, loads, a.rounds)
    print(section)
    if a.write:
        write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
