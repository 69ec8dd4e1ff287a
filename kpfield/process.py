"""Process-wide hardening, done once at start-up by every entry point (no native imports)."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import sys

PR_SET_DUMPABLE = 4
PR_GET_DUMPABLE = 3


def harden_process() -> None:
    """Files we create are private; no core dumps and no ptrace by other users' tools.

    A core dump or a debugger attached by another process of the same user could read keys and
    decrypted testimony out of memory; on Linux the process is made non-dumpable, which also
    closes ``/proc/PID/mem`` to other unprivileged processes.
    """
    os.umask(0o077)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on Windows
        pass
    if sys.platform.startswith("linux"):
        _prctl(PR_SET_DUMPABLE, 0)


def _prctl(option: int, value: int) -> int:
    """``prctl(option, value)``, or -1 where libc cannot be loaded."""
    with contextlib.suppress(OSError, AttributeError, TypeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(option, value, 0, 0, 0))
    return -1


def is_dumpable() -> bool:
    """Whether this process can still produce a core dump or be read by ptrace (Linux)."""
    return _prctl(PR_GET_DUMPABLE, 0) != 0
