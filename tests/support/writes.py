"""Which files did a process tree write? Read from ``strace -f -y`` output."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path


def strace_prefix(log_base: Path) -> tuple[str, ...]:
    """Trace file calls of the whole process tree, one log per process (no interleaved lines)."""
    return ("strace", "-ff", "-y", "-qq", "-e", "trace=%file", "-o", str(log_base))


def read_logs(log_base: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for p in sorted(log_base.parent.glob(log_base.name + ".*"))
    )


_CALL = re.compile(r"^(?:\d+\s+)?(\w+)\((.*)\)\s+=\s+(-?\d+)")
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_DIRFD = re.compile(r"^(?:AT_FDCWD|\d+<([^>]*)>)")
_WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_TMPFILE", "O_APPEND")
# Calls whose every path argument is a place the process changed.
_CHANGING = {
    "creat",
    "mkdir",
    "mkdirat",
    "rename",
    "renameat",
    "renameat2",
    "link",
    "linkat",
    "symlink",
    "symlinkat",
    "truncate",
    "mknod",
    "mknodat",
}


def strace_usable() -> str | None:
    """None if ``strace`` can trace a child here, else why not."""
    exe = shutil.which("strace")
    if exe is None:
        return "strace is not installed (apt-get install strace)"
    probe = subprocess.run(
        [exe, "-qq", "-e", "trace=none", "true"], capture_output=True, text=True, check=False
    )
    if probe.returncode != 0:
        return f"strace cannot trace here: {probe.stderr.strip()[:200]}"
    return None


def written_paths(log_text: str, cwd: Path) -> set[Path]:
    """Absolute paths that succeeded in being opened for writing, created, renamed or linked."""
    out: set[Path] = set()
    for line in log_text.splitlines():
        m = _CALL.match(line.strip())
        if not m:
            continue
        call, args, result = m.group(1), m.group(2), int(m.group(3))
        if result < 0:
            continue
        if call in ("open", "openat", "openat2"):
            if not any(f in args for f in _WRITE_FLAGS):
                continue
            out.update(_paths(call, args, cwd)[:1])
        elif call in _CHANGING:
            out.update(_paths(call, args, cwd))
    return out


def _paths(call: str, args: str, cwd: Path) -> list[Path]:
    """The path arguments of one call, made absolute against their dir fd or the cwd."""
    base = cwd
    paths: list[Path] = []
    rest = args
    at = call.endswith("at") or call.endswith("at2")
    while rest:
        rest = rest.lstrip(", ")
        if at:
            d = _DIRFD.match(rest)
            if d:
                base = Path(d.group(1)) if d.group(1) else cwd
                rest = rest[d.end() :]
                continue
        s = _STRING.match(rest)
        if s:
            raw = s.group(1).encode().decode("unicode_escape")
            p = Path(raw)
            paths.append(p if p.is_absolute() else base / p)
            base = cwd
            rest = rest[s.end() :]
            continue
        # Skip one non-path argument (flags, modes).
        comma = rest.find(",")
        if comma < 0:
            break
        rest = rest[comma + 1 :]
    return paths


def outside(paths: set[Path], roots: list[Path], allowed: tuple[str, ...]) -> list[Path]:
    """Paths that are under none of ``roots`` and not one of the ``allowed`` prefixes."""
    resolved_roots = [r.resolve() for r in roots]
    bad = []
    for p in sorted(paths):
        if str(p).startswith(allowed):
            continue
        rp = Path(_normalise(p))
        if not any(rp == r or r in rp.parents for r in resolved_roots):
            bad.append(p)
    return bad


def _normalise(p: Path) -> str:
    # Resolve what exists (symlinked /tmp and the like) without requiring the file to exist.
    try:
        return str(p.parent.resolve() / p.name)
    except OSError:
        return str(p)
