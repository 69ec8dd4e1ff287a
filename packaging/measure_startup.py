"""Start-up times of the built app beside the source tree: ``--version`` and the first window.

    python packaging/measure_startup.py dist/kpfield-<ver>-linux-<arch>/kpfield/kpfield [-n 5]

Runs each case ``n`` times (after one warm-up run) offscreen and prints the medians as a
Markdown table for docs/benchmarks.md. The first window is timed until the app has painted
the unlock screen and written its report (``kpfield gui --report-first-window``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHEAP = ["--kdf-memory-mib", "8", "--kdf-iterations", "1"]


def timed(cmd: list[str], env: dict[str, str], n: int) -> float:
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # warm the file cache
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("binary", type=Path)
    p.add_argument("-n", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {"PATH": "/usr/bin:/bin", "HOME": tmp, "LANG": "C.UTF-8"}
        env["QT_QPA_PLATFORM"] = "offscreen"
        src_env = dict(env, PYTHONPATH=str(REPO))
        secret = home / "pass"
        secret.write_text("measure start-up\n", encoding="utf-8")
        vault = home / "vault"
        frozen = [str(args.binary)]
        source = [sys.executable, "-m", "kpfield"]
        init = ["init", "--data-dir", str(vault), "--passphrase-file", str(secret), *CHEAP]
        subprocess.run([*frozen, *init], env=env, check=True, capture_output=True)
        gui = ["gui", "--data-dir", str(vault), "--report-first-window", str(home / "r.json")]
        rows = []
        for label, cmd, e in (("built app", frozen, env), ("from source", source, src_env)):
            version = timed([*cmd, "--version"], e, args.n)
            rows.append((label, version, timed([*cmd, *gui], e, args.n)))
    print("| run | `--version` | first window (unlock screen) |\n| --- | --- | --- |")
    for label, version, window in rows:
        print(f"| {label} | {version:.2f} s | {window:.2f} s |")
    load = os.getloadavg()[0]
    print(f"\n(median of {args.n}, offscreen, {os.cpu_count()} cores, load {load:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
