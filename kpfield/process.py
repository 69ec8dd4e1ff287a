"""Process-wide hardening, done once at start-up by every entry point (no native imports)."""

from __future__ import annotations

import os


def harden_process() -> None:
    """Files we create are private; no core dumps that could hold keys."""
    os.umask(0o077)
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on Windows
        pass
