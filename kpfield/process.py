"""Process-wide hardening, done once at start-up by every entry point (no native imports).

What each platform gets (docs/threat-model.md, "Memory"):

- everywhere: ``umask 077`` and, where ``resource`` exists, no core dumps (``RLIMIT_CORE`` 0);
- Linux: ``prctl(PR_SET_DUMPABLE, 0)``: no core dump even if the limit is raised, and other
  unprivileged processes of the same user can no longer ``ptrace`` it or read ``/proc/PID/mem``;
- macOS: ``ptrace(PT_DENY_ATTACH)``: debuggers (and ``task_for_pid`` through them) cannot attach;
- Windows: the process object gets an empty DACL, so other processes of the same user cannot
  open it to read its memory (``PROCESS_VM_READ``) or inject a thread; administrators holding
  ``SeDebugPrivilege`` still can. No crash dialog; the installed ``kpfield.exe`` (not
  ``python.exe``, when run from source) is excluded from Windows Error Reporting's dumps.
- macOS: a process already being traced when it starts exits at once (ENOTSUP), which is what
  ``PT_DENY_ATTACH`` does; developers run from source under a debugger with
  ``KPFIELD_ALLOW_DEBUGGER=1``.

Each step is best effort: a failure is recorded in :data:`LAST_RESULT` (for ``kpfield
self-test``), never raised, because refusing to start would keep a monitor from her testimony.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys
from typing import Any

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3
PT_DENY_ATTACH = 31  # <sys/ptrace.h> on macOS
ACL_REVISION = 2
SE_KERNEL_OBJECT = 6
DACL_SECURITY_INFORMATION = 0x4
SEM_FAILCRITICALERRORS = 0x1
SEM_NOGPFAULTERRORBOX = 0x2

LAST_RESULT: dict[str, bool] = {}
"""What the last :func:`harden_process` achieved, step by step (name → done)."""


def harden_process(platform: str | None = None, libs: Any = None) -> dict[str, bool]:
    """Files we create are private; no core dumps and no memory reads by other users' tools.

    A core dump or a debugger attached by another process of the same user could read keys and
    decrypted testimony out of memory. ``platform`` and ``libs`` (an object with ``libc``,
    ``kernel32``, ``advapi32`` and ``wer`` attributes) are for tests of the branches of other
    operating systems; by default the running system's are used.
    """
    platform = platform or sys.platform
    done: dict[str, bool] = {}
    os.umask(0o077)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        done["no core dumps"] = True
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on Windows
        done["no core dumps"] = False
    if platform.startswith("linux"):
        done["not dumpable (prctl)"] = _prctl(PR_SET_DUMPABLE, 0, libs) == 0
    elif platform == "darwin" and not os.environ.get("KPFIELD_ALLOW_DEBUGGER"):
        done["debuggers refused (PT_DENY_ATTACH)"] = _deny_attach(libs)
    elif platform == "win32":
        done["process memory closed to other processes (DACL)"] = _empty_dacl(libs)
        done["no error-report dumps (WER)"] = _no_wer_dumps(libs)
    LAST_RESULT.clear()
    LAST_RESULT.update(done)
    return done


def _libc(libs: Any) -> Any:
    if libs is not None:
        return libs.libc
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _prctl(option: int, value: int, libs: Any = None) -> int:
    """``prctl(option, value)``, or -1 where libc cannot be loaded."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        return int(_libc(libs).prctl(option, value, 0, 0, 0))
    return -1


def _deny_attach(libs: Any) -> bool:
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ptrace = _libc(libs).ptrace
        ptrace.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
        ptrace.restype = ctypes.c_int
        return int(ptrace(PT_DENY_ATTACH, 0, None, 0)) == 0
    return False


def _windll(libs: Any, name: str) -> Any:
    if libs is not None:
        return getattr(libs, name)
    return ctypes.WinDLL(name, use_last_error=True)  # type: ignore[attr-defined]


def _empty_dacl(libs: Any) -> bool:
    """Replace the process object's DACL with an empty one (no access granted to anyone but
    the implicit owner rights to read and change the DACL itself)."""
    with contextlib.suppress(OSError, AttributeError, TypeError, ValueError):
        from ctypes import wintypes

        advapi32 = _windll(libs, "advapi32")
        kernel32 = _windll(libs, "kernel32")
        # Declared, so that 64-bit handles and pointers are passed whole (a bare Python int
        # would go as a 32-bit C int and GetCurrentProcess's -1 would arrive as 0xFFFFFFFF).
        get_current = kernel32.GetCurrentProcess
        get_current.restype = wintypes.HANDLE
        init_acl = advapi32.InitializeAcl
        init_acl.argtypes = [ctypes.c_void_p, wintypes.DWORD, wintypes.DWORD]
        init_acl.restype = wintypes.BOOL
        set_info = advapi32.SetSecurityInfo
        set_info.argtypes = [wintypes.HANDLE, ctypes.c_int, wintypes.DWORD] + [ctypes.c_void_p] * 4
        set_info.restype = wintypes.DWORD
        acl = ctypes.create_string_buffer(64)  # an ACL header is 8 bytes; no entries follow
        if not init_acl(acl, ctypes.sizeof(acl), ACL_REVISION):
            return False
        status = set_info(
            get_current(), SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, None, None, acl, None
        )
        return int(status) == 0  # ERROR_SUCCESS
    return False


def _no_wer_dumps(libs: Any) -> bool:
    """No crash dialog, and Windows Error Reporting leaves this executable alone."""
    with contextlib.suppress(OSError, AttributeError, TypeError, ValueError):
        from ctypes import wintypes

        kernel32 = _windll(libs, "kernel32")
        kernel32.GetErrorMode.restype = wintypes.UINT
        kernel32.SetErrorMode(
            int(kernel32.GetErrorMode()) | SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX
        )  # added to the flags already set, never replacing them
        if not getattr(sys, "frozen", False):
            # From source the executable is python.exe: excluding it would stop crash reports
            # for every Python program of the user (a lasting registry entry). Installed
            # copies are kpfield.exe.
            return False
        exclude = _windll(libs, "wer").WerAddExcludedApplication
        exclude.argtypes = [wintypes.LPCWSTR, wintypes.BOOL]
        exclude.restype = ctypes.c_long  # HRESULT
        return int(exclude(sys.executable, False)) == 0  # S_OK
    return False


def is_dumpable() -> bool:
    """Whether this process can still produce a core dump or be read by ptrace (Linux)."""
    return _prctl(PR_GET_DUMPABLE, 0) != 0
