"""One export to a stick, to be killed at a chosen phase or a random moment.

Run as ``python -m tests.support.export_worker DATA_DIR STICK PASSPHRASE_FILE PHASE``. Prints
``opened`` once the vault is open and ``done <bundles>`` after the export returned. With PHASE
``before-rename`` or ``after-rename`` it prints ``phase <PHASE>`` just before (or just after) the
bundle's rename onto the stick and then waits to be killed, so the parent can kill exactly in the
windows that matter; with ``stage:NAME`` it stops the same way inside one stage of the threaded
pipeline (``tests.support.stop_at``: blob decryption, encryption, the write worker, fsync, the
read-back); with ``none`` it runs straight through (the parent kills at random).

The rename is found by wrapping ``os.replace`` for destinations on the stick: both the old
one-step export and the staged one rename the bundle with it, so the same worker shows the
old code's window and the new code's closing of it.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any


def ack(*parts: str) -> None:
    sys.stdout.write(" ".join(parts) + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    from kpfield.app import harden_process, open_session

    data_dir, stick, passphrase_file, phase = Path(argv[0]), Path(argv[1]), Path(argv[2]), argv[3]
    harden_process()
    real_replace = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        on_stick = Path(dst).parent == stick and not Path(dst).name.startswith(".")
        if on_stick and phase == "before-rename":
            ack("phase", phase)
            signal.pause()
        real_replace(src, dst, *args, **kwargs)
        if on_stick and phase == "after-rename":
            ack("phase", phase)
            signal.pause()

    os.replace = replace  # type: ignore[assignment]
    if phase.startswith("stage:"):  # stop inside one stage of the threaded pipeline
        from tests.support.stop_at import install

        install(phase.removeprefix("stage:"), stick)
    passphrase = passphrase_file.read_text("utf-8").splitlines()[0]
    session = open_session(data_dir, passphrase)
    ack("opened")
    result = session.field().export.to_folder(stick, max_bundle_bytes=2 << 20)
    ack("done", str(len(result.bundles)))
    session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
