"""Run the real ``kpfield`` command in a subprocess, in an environment confined to test folders."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Variables that could send the app's files somewhere the tests do not look.
_REDIRECTING = (
    "SQLITE_TMPDIR",
    "TMP",
    "TEMP",
    "KPFIELD_DATA_DIR",
    "PYTHONPYCACHEPREFIX",
    "PYTHONSTARTUP",
)


@dataclass(frozen=True)
class Sandbox:
    """The places a kpfield process may write: its data dir, its temp dir and its home."""

    data: Path
    tmp: Path
    home: Path

    @classmethod
    def under(cls, root: Path) -> Sandbox:
        box = cls(root / "data", root / "tmp", root / "home")
        box.tmp.mkdir(parents=True)
        box.home.mkdir(parents=True)
        return box

    @property
    def roots(self) -> list[Path]:
        return [self.data, self.tmp, self.home]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _REDIRECTING}
        env.update(
            HOME=str(self.home),
            TMPDIR=str(self.tmp),
            XDG_DATA_HOME=str(self.home / ".local" / "share"),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            XDG_CACHE_HOME=str(self.home / ".cache"),
            XDG_STATE_HOME=str(self.home / ".local" / "state"),
            XDG_RUNTIME_DIR=str(self.home / "run"),
            PYTHONPATH=str(REPO),
            # Bytecode caches hold no user data; not writing them keeps the write audit exact.
            PYTHONDONTWRITEBYTECODE="1",
            QT_QPA_PLATFORM="offscreen",
        )
        return env


def kpfield(
    box: Sandbox,
    *args: str,
    passphrase_file: Path,
    check: bool = True,
    prefix: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """``python -m kpfield ARGS --data-dir … --passphrase-file …`` with the sandbox's env.

    The working directory is the sandbox's home, so anything written relative to it is scanned.
    ``prefix`` wraps the command (e.g. in ``strace``).
    """
    cmd = [
        *prefix,
        sys.executable,
        "-m",
        "kpfield",
        *args,
        "--data-dir",
        str(box.data),
        "--passphrase-file",
        str(passphrase_file),
    ]
    proc = subprocess.run(
        cmd, cwd=box.home, env=box.env(), capture_output=True, text=True, timeout=120, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"kpfield {' '.join(args)} exited {proc.returncode}\n"
            f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
        )
    return proc
