"""Issue 12 before and after: attach and export of older commits and of this tree, side by side.

    python -m tests.bench.before_after --write     # part of ``make bench``
    python -m tests.bench.before_after --rounds 3 --photos 100 --export-mib 226,1100

Each tree (a git commit unpacked under ``bench-out/trees/``, or this working tree) runs its own
``kpfield attach`` and ``kpfield export`` (set up by its own ``tests/bench/bench_bundle._setup``);
the reference tools run in the same round, right after, on the same files. Every figure is a
ratio to the reference of its own round; min and median over the rounds. Figures are recorded,
never asserted.

Every tree runs from compiled bytecode (``compileall`` into a cache under ``bench-out/``), as an
installed app does: with ``PYTHONDONTWRITEBYTECODE`` set and no cache, each command would
compile its modules from source first (0.3-1 s here), which no monitor's laptop pays.
"""

from __future__ import annotations

import argparse
import os
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
BEFORE = ("b586c12", "56c1b70")
"""Before issue 12's pipelines (memory security already off), and after its first round."""
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


def export_ours(tree: Tree, root: Path) -> Measured:
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
    shutil.rmtree(stick)
    return m


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


# ---------------------------------------------------------------------- results
@dataclass
class Row:
    what: str
    reference: str
    ratios: dict[str, list[float]] = field(default_factory=dict)  # tree label -> per round
    seconds: dict[str, list[float]] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)
    ref_seconds: list[float] = field(default_factory=list)
    roots: list[Path] = field(default_factory=list)  # export: each tree's vaults

    def add(self, label: str, ours: Measured, ref: Measured) -> None:
        self.ratios.setdefault(label, []).append(ours.seconds / ref.seconds)
        self.seconds.setdefault(label, []).append(ours.seconds)
        self.rss.setdefault(label, []).append(ours.max_rss_mib)


def _load() -> float:
    return os.getloadavg()[0]


def run(
    trees: list[Tree], photos: int, export_mib: list[int], rounds: int
) -> tuple[list[Row], list[float]]:
    files = corpus.photos(OUT, photos)
    rows: list[Row] = []
    loads: list[float] = []
    for tree in trees:
        compile_tree(tree)
    att = Row(f"attach {photos} × 12 MP JPEG", "`sha256sum` + `age -e`")
    rows.append(att)
    exports: list[tuple[Row, list[Path]]] = []
    for mib in export_mib:
        chosen = _photos_for(mib)
        size = sum(p.stat().st_size for p in chosen) / (1 << 20)
        row = Row(f"export {size:,.0f} MiB, read-back included", "`tar \\| age -e && sync -f`")
        print(f"setting up the export vaults for {size:.0f} MiB…", flush=True)
        for tree in trees:
            root = OUT / "before-after" / f"{tree.label.replace(' ', '-')}-{mib}"
            export_setup(tree, root, chosen)
            row.roots.append(root)
        rows.append(row)
        exports.append((row, chosen))
    for r in range(rounds):
        loads.append(_load())
        print(f"round {r + 1}/{rounds} (load {loads[-1]:.1f})", flush=True)
        # Alternate the order, so that no tree always runs first (or after another's writes).
        order = trees if r % 2 == 0 else trees[::-1]
        for tree in order:
            ours = attach_ours(tree, OUT / "before-after" / "attach", files)
            ref = attach_reference(OUT / "before-after" / "attach-ref", files)
            att.add(tree.label, ours, ref)
            att.ref_seconds.append(ref.seconds)
            print(f"  attach {tree.label}: {ours.seconds:.2f} s / {ref.seconds:.2f} s", flush=True)
        for row, chosen in exports:
            pairs = list(zip(trees, row.roots, strict=True))
            for tree, root in pairs if r % 2 == 0 else pairs[::-1]:
                ours = export_ours(tree, root)
                ref = export_reference(root, chosen)
                row.add(tree.label, ours, ref)
                row.ref_seconds.append(ref.seconds)
                print(
                    f"  {row.what[:18]} {tree.label}: {ours.seconds:.2f} s / {ref.seconds:.2f} s",
                    flush=True,
                )
        loads.append(_load())
    shutil.rmtree(OUT / "before-after", ignore_errors=True)
    return rows, loads


def _photos_for(mib: int) -> list[Path]:
    avg = (corpus.MIN_BYTES + corpus.MAX_BYTES) / 2
    photos = corpus.photos(OUT, max(2, round(mib * (1 << 20) / avg)))
    while sum(p.stat().st_size for p in photos) < mib * (1 << 20) * 0.98:
        photos = corpus.photos(OUT, len(photos) + 2)
    return photos


def _mm(values: list[float], unit: str = "×", digits: int = 2) -> str:
    return f"{min(values):.{digits}f}{unit} / {statistics.median(values):.{digits}f}{unit}"


def markdown(rows: list[Row], trees: list[Tree], loads: list[float], rounds: int) -> str:
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    labels = [t.label for t in trees]
    head = " | ".join(f"{lb} (min / median)" for lb in labels)
    lines = [
        "## Issue 12, attach and export: before and after (generated)",
        "",
        BEGIN,
        f"Generated by `python -m tests.bench.before_after` (part of `make bench`), {date};"
        f" {rounds} rounds; 1-minute load average {min(loads):.1f}–{max(loads):.1f} on"
        f" {os.cpu_count()} CPUs (the machine is shared: only ratios measured in the same round"
        " are compared). Each cell is ours ÷ the reference run right after it in the same round,"
        " min / median over the rounds. `b586c12` is before issue 12's pipelines, `56c1b70` after"
        " its first round, *this tree* after this round. Every tree runs from compiled bytecode,"
        " as an installed app does.",
        "",
        f"| work | reference | {head} | target |",
        "| --- | --- |" + " ---: |" * len(labels) + " --- |",
    ]
    for row in rows:
        target = "≤ 1.3×" if row.what.startswith("attach") else "≤ 1.5×"
        cells = " | ".join(_mm(row.ratios[lb]) for lb in labels)
        lines.append(f"| {row.what} | {row.reference} | {cells} | {target} |")
    lines += ["", "Seconds (median) and peak RSS (max) of each side:", ""]
    lines.append("| work | reference | " + " | ".join(labels) + " |")
    lines.append("| --- | ---: |" + " ---: |" * len(labels))
    for row in rows:
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
    p.add_argument("--before", default=",".join(BEFORE), help="commits to compare with")
    p.add_argument("--write", action="store_true", help="put the section in docs/benchmarks.md")
    a = p.parse_args(argv)
    for tool in ("age", "age-keygen", "tar", "sha256sum", "git"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed", file=sys.stderr)
            return 2
    trees = [unpack(ref) for ref in a.before.split(",") if ref]
    trees.append(Tree("this tree", REPO))
    rows, loads = run(trees, a.photos, [int(x) for x in a.export_mib.split(",")], a.rounds)
    section = markdown(rows, trees, loads, a.rounds)
    print(section)
    if a.write:
        write(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
