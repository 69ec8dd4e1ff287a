"""Start-up hardening: private files, no core dumps, not dumpable (Linux)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import kpfield

ROOT = str(Path(kpfield.__file__).resolve().parent.parent)


def run(code: str) -> str:
    env = dict(os.environ, PYTHONPATH=ROOT)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
def test_the_process_is_not_dumpable_after_hardening() -> None:
    before = run("from kpfield.process import is_dumpable; print(is_dumpable())")
    after = run(
        "from kpfield.process import harden_process, is_dumpable\n"
        "harden_process(); print(is_dumpable())"
    )
    assert (before, after) == ("True", "False")


def test_umask_and_core_limit() -> None:
    out = run(
        "import os, resource\nfrom kpfield.process import harden_process\nharden_process()\n"
        "m = os.umask(0); print(oct(m), resource.getrlimit(resource.RLIMIT_CORE))"
    )
    assert out == "0o77 (0, 0)"
