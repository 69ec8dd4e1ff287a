"""Frozen entry point of both executables: ``kpfield`` (console) and ``kpfield-gui`` (windowed).

The windowed one has no console to print to, so with no arguments it starts the desktop app,
which is what ``kpfield`` does without a command anyway.
"""

from kpfield.cli import main

raise SystemExit(main())
