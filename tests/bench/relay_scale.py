"""Upload throughput of the relay's backends side by side, in one run: one node on SQLite, one
node on PostgreSQL + S3 (SeaweedFS), two nodes on PostgreSQL + S3 (devices spread over both).

    python -m tests.bench.relay_scale                       # 20 devices x 4 MiB
    python -m tests.bench.relay_scale --devices 50,200 --mib 20 [--write]

Each device creates its upload and sends it in PATCHes of ``--patch-mib``, all devices at once
from threads of this process (on a small machine the client shares the CPU with the relays and
the servers, so read the figures as ratios: each row also gives its throughput and peak memory
against the embedded backend's row of the same run and device count). Prints a Markdown table;
``--write`` puts it in docs/benchmarks.md (``make bench`` does); nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.relay.servers import Postgres, Seaweed
from tests.relay.support import (
    REPO,
    Key,
    RelayProcess,
    create,
    device_list,
    init_relay,
    patch,
    send,
)

BEGIN, END = "<!-- tests.bench.relay_scale: begin -->", "<!-- tests.bench.relay_scale: end -->"


def _peak_mib(node: RelayProcess) -> float:
    assert node.proc is not None
    for line in Path(f"/proc/{node.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _run(
    root: Path,
    label: str,
    backend: tuple[str, ...],
    *,
    nodes: int,
    devices: int,
    size: int,
    step: int,
) -> dict[str, str]:
    hq, keys = Key(), [Key() for _ in range(devices)]
    (root / label / "n0").mkdir(parents=True)
    init_relay(root / label / "n0" / "data", hq, backend)
    for i in range(1, nodes):
        shutil.copytree(root / label / "n0" / "data", root / label / f"n{i}" / "data")
    procs = [
        RelayProcess(root / label / f"n{i}" / "data", read_timeout=60, extra=backend)
        for i in range(nodes)
    ]
    for p in procs:
        p.start()
    with httpx.Client(base_url=procs[0].url, timeout=60) as c:
        listing = device_list(hq, 1, keys, [])
        assert send(c, hq, "POST", "/v1/hq/device-list", listing).status_code == 200
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(devices + 1)

    def device(i: int) -> None:
        data = os.urandom(size)
        bundle_id = hashlib.sha256(data).hexdigest()
        ready.wait()
        mine: list[float] = []
        with httpx.Client(base_url=procs[i % nodes].url, timeout=120) as c:
            t = time.perf_counter()
            answer = create(c, keys[i], data, 1)
            mine.append(time.perf_counter() - t)
            for offset in range(0, size, step):
                t = time.perf_counter()
                answer = patch(c, keys[i], bundle_id, offset, data[offset : offset + step])
                mine.append(time.perf_counter() - t)
                if answer.status_code != 204:
                    with lock:
                        failures.append(f"{answer.status_code} {answer.text[:200]}")
                    return
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=device, args=(i,)) for i in range(devices)]
    for t in threads:
        t.start()
    ready.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    peaks = [_peak_mib(p) for p in procs]
    for p in procs:
        p.stop()
    if failures:
        print(f"{label}: {len(failures)} failed: {sorted(set(failures))[:5]}", flush=True)
        for i in range(nodes):
            log = root / label / f"n{i}" / "relay.log"
            if log.exists():
                print(f"--- {log.name} n{i}:\n" + log.read_text(errors="replace")[-3000:])
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan")
    return {
        "backend": label,
        "devices": str(devices),
        "MB/s": f"{devices * size / elapsed / 1e6:.1f}",
        "p95 request (s)": f"{p95:.2f}",
        "peak RSS per relay (MiB)": ", ".join(f"{m:.0f}" for m in peaks),
        "failed": str(len(failures)),
        "_mbps": str(devices * size / elapsed / 1e6),
        "_peak": str(max(peaks)),
    }


def _with_ratios(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """Throughput and peak memory of each row against the embedded row of its device count."""
    base = {r["devices"]: r for r in rows if r["backend"].startswith("sqlite")}
    out = []
    for r in rows:
        b = base.get(r["devices"])
        tp = float(r["_mbps"]) / float(b["_mbps"]) if b else float("nan")
        mem = float(r["_peak"]) / float(b["_peak"]) if b else float("nan")
        shown = {k: v for k, v in r.items() if not k.startswith("_")}
        out.append(
            {**shown, "MB/s vs embedded": f"{tp:.2f}x", "peak RSS vs embedded": f"{mem:.1f}x"}
        )
    return out


def render(rows: list[dict[str, str]], mib: float, patch_mib: float, seconds: float) -> str:
    rows = _with_ratios(rows)
    head = list(rows[0])
    lines = [
        BEGIN,
        "## Relay backends side by side",
        "",
        "Generated by `make bench` (`python -m tests.bench.relay_scale --write`), one run: one",
        "relay node on the embedded backend (SQLite + a directory), one node on PostgreSQL + S3",
        "(SeaweedFS `weed mini`), two nodes on PostgreSQL + S3 (devices spread over both), each",
        f"with every device uploading {mib:g} MiB at once in PATCHes of {patch_mib:g} MiB. The",
        "devices, PostgreSQL, SeaweedFS and the relays share this machine's CPUs, so compare the",
        "ratios against the embedded row, not the absolute figures. Peak RSS is each relay",
        f"process's VmHWM. Run took {seconds:.0f} s.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + " --- |" * len(head),
    ]
    lines += ["| " + " | ".join(row[k] for k in head) + " |" for row in rows]
    lines += ["", END, ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.relay_scale")
    parser.add_argument("--devices", default="20")
    parser.add_argument("--mib", type=float, default=4)
    parser.add_argument("--patch-mib", type=float, default=4)
    parser.add_argument("--write", action="store_true", help="write into docs/benchmarks.md")
    args = parser.parse_args(argv)
    size, step = int(args.mib * (1 << 20)), int(args.patch_mib * (1 << 20))
    root = Path(tempfile.mkdtemp(prefix="kpfield-bench-relay-"))
    begun = time.perf_counter()
    pg = Postgres.start()
    weed = Seaweed.start(root / "seaweed")
    os.environ.update(weed.env())
    rows = []
    try:
        for n, devices in enumerate(int(d) for d in args.devices.split(",")):
            for label, nodes in (("sqlite x1", 1), ("pg+s3 x1", 1), ("pg+s3 x2", 2)):
                backend: tuple[str, ...] = ()
                if label.startswith("pg"):
                    name = f"bench_{n}_{nodes}"
                    backend = (
                        "--database",
                        pg.create_database(name),
                        "--objects",
                        weed.objects_url("kpfield-bench", name),
                    )
                tag = f"{label.replace(' ', '')}-{devices}"
                row = _run(root, tag, backend, nodes=nodes, devices=devices, size=size, step=step)
                rows.append({**row, "backend": label})
                print(rows[-1], flush=True)
    finally:
        weed.stop()
        pg.stop()
        shutil.rmtree(root, ignore_errors=True)
    text = render(rows, args.mib, args.patch_mib, time.perf_counter() - begun)
    print(text)
    if args.write:
        doc = REPO / "docs" / "benchmarks.md"
        old = doc.read_text(encoding="utf-8")
        if BEGIN in old and END in old:
            head, rest = old.split(BEGIN, 1)
            old = head.rstrip("\n") + "\n\n" + rest.split(END, 1)[1].lstrip("\n")
        doc.write_text(old.rstrip("\n") + "\n\n" + text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
