"""``kpfield keys export-public``, ``sync`` and ``pull`` as users script them: exit codes, one
line saying why on failure, and the relay URL checked where it enters the profile."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kpfield.protocol.hq_public import parse_hq_public
from kpfield.vault.keyslots import KdfParams
from tests.conftest import PASSPHRASE
from tests.relay.support import REPO
from tests.sync.world import make_world


def run(data: Path, pw: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "kpfield",
            *args,
            "--data-dir",
            str(data),
            "--passphrase-file",
            str(pw),
            "--stall-floor",
            "1",
            "--retry-base",
            "0.05",
            "--max-failures",
            "3",
        ]
        if args[0] in ("sync", "pull")
        else [
            sys.executable,
            "-m",
            "kpfield",
            *args,
            "--data-dir",
            str(data),
            "--passphrase-file",
            str(pw),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def test_sync_and_pull_commands(tmp_path: Path, cheap_params: KdfParams) -> None:
    world = make_world(tmp_path, cheap_params, purge=True)
    pw = tmp_path / "pw"
    pw.write_text(PASSPHRASE + "\n")
    hq_dir, field_dir = world.hq.vault.paths.root, world.field.vault.paths.root
    world.seal(seed=1)
    world.hq.close()
    world.field.close()
    try:
        out = tmp_path / "hq-public.json"
        done = run(hq_dir, pw, "keys", "export-public", "--out", str(out))
        assert done.returncode == 0, done.stderr
        assert parse_hq_public(out.read_bytes()).recipients  # what relay init reads
        assert b"AGE-SECRET-KEY" not in out.read_bytes()

        bad = run(
            hq_dir, pw, "profile", "export", "--out", str(tmp_path / "p"), "--relay-url", "ftp://x"
        )
        assert bad.returncode == 2 and "http:// or https://" in bad.stderr
        nohost = run(
            hq_dir, pw, "profile", "export", "--out", str(tmp_path / "p"), "--relay-url", "https://"
        )
        assert nohost.returncode == 2 and not (tmp_path / "p").exists()

        synced = run(field_dir, pw, "sync")
        assert synced.returncode == 0, synced.stderr
        assert "1 new bundle(s), 1 delivered to the relay, 0 still pending" in synced.stdout
        pulled = run(hq_dir, pw, "pull")
        assert pulled.returncode == 0, pulled.stderr
        assert "1 bundle(s) imported" in pulled.stdout and "1 receipt(s)" in pulled.stdout
        again = run(hq_dir, pw, "pull")
        assert again.returncode == 0 and "0 bundle(s) imported" in again.stdout
        back = run(field_dir, pw, "sync")
        assert back.returncode == 0, back.stderr
        assert "1 report(s) acknowledged, 1 purged" in back.stdout

        world.relay.stop()
        down = run(field_dir, pw, "sync", "--relay", "http://127.0.0.1:9")
        assert down.returncode == 4
        lines = [ln for ln in down.stderr.splitlines() if ln.startswith("kpfield: sync")]
        assert len(lines) == 1 and "failed" in lines[0], down.stderr
        wrong = run(field_dir, pw, "sync", "--proxy", "tor:9050")
        assert wrong.returncode == 2 and "socks5h://" in wrong.stderr
    finally:
        world.relay.stop()
