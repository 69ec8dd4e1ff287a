"""Run a command as a child and measure its wall time and peak memory.

Peak memory is ``ru_maxrss`` from ``wait4``. Linux carries the *launcher's* peak RSS over into
a child at ``exec``, so a child started straight from a big Python process would report at least
that process's peak. Children are therefore started through a small launcher: GNU ``time`` where
installed (a floor of about 2 MiB), else a fresh Python interpreter (about 10 MiB); the method
and its floor are reported with the figures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PY_LAUNCHER = (
    "import os,sys\n"
    "pid=os.posix_spawnp(sys.argv[2],sys.argv[2:],os.environ)\n"
    "_,st,ru=os.wait4(pid,0)\n"
    "open(sys.argv[1],'w').write(str(ru.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(st))\n"
)


def launcher() -> str:
    return "GNU time" if shutil.which("time") and Path("/usr/bin/time").exists() else "python"


def _wrap(cmd: list[str], report: Path) -> list[str]:
    if launcher() == "GNU time":
        return ["/usr/bin/time", "-f", "%M", "-o", str(report), *cmd]
    return [sys.executable, "-c", _PY_LAUNCHER, str(report), *cmd]


@dataclass(frozen=True)
class Measured:
    seconds: float
    max_rss_mib: float  # the largest RSS of the child or any process it waited for
    stdout: str


def run_measured(
    cmd: list[str], *, env: dict[str, str] | None = None, cwd: Path = REPO
) -> Measured:
    """Run ``cmd``; its stderr passes through. Raises if it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "maxrss"
        start = time.perf_counter()
        proc = subprocess.run(
            _wrap(cmd, report), cwd=cwd, env=env, stdout=subprocess.PIPE, check=False
        )
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise RuntimeError(f"{cmd[:4]}… exited {proc.returncode}")
        # GNU time's %M and Linux's ru_maxrss are KiB (macOS reports bytes).
        kib = int(report.read_text().split()[-1])
    rss = kib / (1 << 20 if sys.platform == "darwin" else 1 << 10)
    return Measured(seconds, rss, proc.stdout.decode())


def use_bytecode(cache: Path) -> None:
    """Let every measured child run from compiled bytecode, as an installed app does.

    With ``PYTHONDONTWRITEBYTECODE`` set and no ``__pycache__`` (a source checkout here), each
    ``kpfield`` command would first compile its modules from source, 0.3-1 s per command on
    this machine, which no installed app pays. Compiled once into ``cache``, outside the tree.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(cache)
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(REPO / "kpfield"), str(REPO / "tests")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def launcher_floor_mib() -> float:
    """The peak RSS reported for a process that does nothing: the method's floor."""
    return run_measured(["true"]).max_rss_mib


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(p / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]
