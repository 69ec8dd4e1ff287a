"""Run a worker process, read the lines it prints, and SIGKILL it when the caller says.

Shared by the crash tests (export, attach): ``when`` sees each complete line as it arrives,
with every line so far and the time, and returns a deadline (``time.monotonic()`` seconds,
``now`` for "kill at once") or None to leave the plan as it is. A worker that prints nothing
for ``hang_seconds`` before any deadline is a hang, reported with its stderr.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import REPO


@dataclass
class Run:
    lines: list[str]
    returncode: int
    opened_at: float  # when the worker printed ``opened`` (its start if it never did)
    last_line_at: float


def run_until_killed(
    cmd: list[str],
    err: Path,
    when: Callable[[str, list[str], float], float | None],
    *,
    hang_seconds: float = 60.0,
    keep_torn_tail: bool = False,
) -> Run:
    """Start ``cmd``; kill it at the deadline ``when`` sets (or let it finish). With
    ``keep_torn_tail``, complete lines still buffered after the kill are kept too."""
    with open(err, "wb") as errf:
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf
        )
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    lines: list[str] = []
    buf = b""
    deadline: float | None = None
    opened_at = last = time.monotonic()
    try:
        while True:
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                break
            timeout = hang_seconds if deadline is None else deadline - now
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                if deadline is None:
                    raise AssertionError(f"worker hung; stderr:\n{err.read_text()}")
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                break  # it finished before the planned kill
            buf += chunk
            *complete, buf = buf.split(b"\n")
            for raw in complete:
                line = raw.decode()
                lines.append(line)
                last = time.monotonic()
                if line.startswith("opened"):
                    opened_at = last
                chosen = when(line, lines, opened_at)
                if chosen is not None:
                    deadline = chosen
    finally:
        proc.send_signal(signal.SIGKILL)
        rc = proc.wait()
    if keep_torn_tail:
        rest = buf + proc.stdout.read()
        lines.extend(r.decode() for r in rest.split(b"\n")[:-1])  # a torn last line is no promise
    proc.stdout.close()
    return Run(lines, rc, opened_at, last)
