"""Upload throughput of the relay's backends side by side, in one run: one node on SQLite, one
node on PostgreSQL + S3 (SeaweedFS), two nodes on PostgreSQL + S3 (devices spread over both).

    python -m tests.bench.relay_scale                       # 20 devices x 4 MiB
    python -m tests.bench.relay_scale --devices 50,200 --mib 20

Each device creates its upload and sends it in PATCHes of ``--patch-mib``, all devices at once
from threads of this process (on a small machine the client shares the CPU with the relays and
the servers, so read the figures as ratios). Prints a Markdown table; nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from tests.relay.servers import Postgres, Seaweed
from tests.relay.support import Key, RelayProcess, create, device_list, init_relay, patch, send


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
                        failures.append(str(answer.status_code))
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
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan")
    return {
        "backend": label,
        "devices": str(devices),
        "MB/s": f"{devices * size / elapsed / 1e6:.1f}",
        "p95 request (s)": f"{p95:.2f}",
        "peak RSS per relay (MiB)": ", ".join(f"{m:.0f}" for m in peaks),
        "failed": str(len(failures)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", default="20")
    parser.add_argument("--mib", type=float, default=4)
    parser.add_argument("--patch-mib", type=float, default=4)
    args = parser.parse_args()
    size, step = int(args.mib * (1 << 20)), int(args.patch_mib * (1 << 20))
    root = Path(tempfile.mkdtemp(prefix="kpfield-bench-relay-"))
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
    head = list(rows[0])
    print(f"\n{args.mib:g} MiB per device, PATCHes of {args.patch_mib:g} MiB\n")
    print("| " + " | ".join(head) + " |")
    print("|" + " --- |" * len(head))
    for row in rows:
        print("| " + " | ".join(row[k] for k in head) + " |")


if __name__ == "__main__":
    main()
