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


@pytest.fixture(autouse=True)
def _keep_umask():  # type: ignore[no-untyped-def]
    """harden_process() sets the umask of the process it runs in: put this one's back."""
    old = os.umask(0o022)
    os.umask(old)
    yield
    os.umask(old)


class _Recorder:
    """Stands in for libc / kernel32 / advapi32 / wer of an operating system not running here:
    records each call and answers as the real function does on success."""

    def __init__(self, answers: dict[str, int]) -> None:
        self.calls: list[tuple[str, tuple[object, ...]]] = []
        self._answers = answers
        self.fns: dict[str, object] = {}

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        if name.startswith("_") or name in ("calls", "fns"):
            raise AttributeError(name)
        if name not in self.fns:

            def call(*args: object) -> int:
                self.calls.append((name, args))
                return self._answers.get(name, 0)

            self.fns[name] = call  # argtypes/restype set by the caller stay on it
        return self.fns[name]


class _Libs:
    def __init__(self, **answers: int) -> None:
        self.libc = _Recorder(answers)
        self.kernel32 = _Recorder({"InitializeAcl": 1, "GetCurrentProcess": -1, **answers})
        self.advapi32 = _Recorder({"InitializeAcl": 1, **answers})
        self.wer = _Recorder(answers)


def test_macos_refuses_debuggers(monkeypatch: pytest.MonkeyPatch) -> None:
    from kpfield.process import PT_DENY_ATTACH, harden_process

    monkeypatch.delenv("KPFIELD_ALLOW_DEBUGGER", raising=False)
    libs = _Libs()
    done = harden_process("darwin", libs)
    assert libs.libc.calls == [("ptrace", (PT_DENY_ATTACH, 0, None, 0))]
    assert done["debuggers refused (PT_DENY_ATTACH)"] is True


def test_windows_gets_an_empty_dacl_and_no_error_report_dumps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from kpfield.process import DACL_SECURITY_INFORMATION, SE_KERNEL_OBJECT, harden_process

    monkeypatch.setattr(sys, "frozen", True, raising=False)  # the installed kpfield.exe
    libs = _Libs(GetErrorMode=0x8000)
    done = harden_process("win32", libs)
    names = [name for name, _ in libs.advapi32.calls]
    assert names == ["InitializeAcl", "SetSecurityInfo"]
    _, args = libs.advapi32.calls[1]
    assert args[1:5] == (SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, None, None)
    assert args[6] is None  # no SACL: only the DACL is replaced
    from ctypes import wintypes

    # Handles and pointers declared, so that 64-bit values are not cut to a C int.
    assert libs.kernel32.fns["GetCurrentProcess"].restype is wintypes.HANDLE  # type: ignore[attr-defined]
    assert libs.advapi32.fns["SetSecurityInfo"].argtypes[0] is wintypes.HANDLE  # type: ignore[attr-defined]
    assert [n for n, _ in libs.wer.calls] == ["WerAddExcludedApplication"]
    set_mode = [args for name, args in libs.kernel32.calls if name == "SetErrorMode"]
    assert set_mode == [(0x8000 | 0x1 | 0x2,)]  # added to the flags already set
    assert all(done.values()), done


def test_windows_from_source_leaves_error_reporting_of_python_alone() -> None:
    """Excluding python.exe would stop crash reports of every Python program of the user."""
    from kpfield.process import harden_process

    assert not getattr(sys, "frozen", False)
    libs = _Libs()
    done = harden_process("win32", libs)
    assert libs.wer.calls == []
    assert done["no error-report dumps (WER)"] is False


def test_a_refused_step_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    from kpfield.process import harden_process

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    done = harden_process("win32", _Libs(SetSecurityInfo=5, WerAddExcludedApplication=1))
    assert done["process memory closed to other processes (DACL)"] is False
    assert done["no error-report dumps (WER)"] is False
    done = harden_process("darwin", _Libs(ptrace=-1))
    assert done["debuggers refused (PT_DENY_ATTACH)"] is False


def test_self_test_reports_the_hardening() -> None:
    out = run(
        "from kpfield.process import harden_process\nharden_process()\n"
        "from kpfield.selftest import check_hardening\nprint(check_hardening())"
    )
    assert "no core dumps" in out
    if sys.platform.startswith("linux"):
        assert "not dumpable (prctl)" in out
