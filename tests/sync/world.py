"""A sync world: an HQ vault, enrolled field vaults, a real relay subprocess, and invariants."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpfield.app import FieldSession, HqSession
from kpfield.services.sync_common import SyncSettings
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import EXAMPLE, new_field, new_hq, seal_report
from tests.media.images import jpeg, noise_image
from tests.relay.support import REPO, RelayProcess


def fast_settings(**kw: Any) -> SyncSettings:
    """Waits fit for 127.0.0.1: short stalls and backoff, still the real algorithm."""
    base: dict[str, Any] = {
        "connect_timeout": 2.0,
        "min_stall": 2.0,
        "max_stall": 5.0,
        "backoff_base": 0.05,
        "backoff_cap": 0.3,
        "max_failures": 30,
    }
    base.update(kw)
    return SyncSettings(**base)


def init_relay_dir(data_dir: Path, hq_public: bytes) -> None:
    hq_file = data_dir.parent / f"{data_dir.name}-hq-public.json"
    hq_file.write_bytes(hq_public)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kpfield.relay",
            "relay",
            "init",
            "--data-dir",
            str(data_dir),
            "--hq-public",
            str(hq_file),
        ],
        check=True,
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        cwd=REPO,
    )


@dataclass
class World:
    root: Path
    hq: HqSession
    fields: list[FieldSession]
    relay: RelayProcess
    relay_dir: Path
    example: dict[str, Any] = field(default_factory=lambda: json.loads(EXAMPLE.read_text()))

    @property
    def field(self) -> FieldSession:
        return self.fields[0]

    @property
    def url(self) -> str:
        return self.relay.url

    def seal(
        self,
        s: FieldSession | None = None,
        *,
        photos: int = 1,
        seed: int = 0,
        marker: str = "",
        noise: tuple[int, int] | None = None,
    ) -> str:
        """Seal a report; ``noise`` adds a photo of random pixels (a few hundred KB, uncompressible)."""
        extra = [jpeg(noise_image(noise, seed=seed + 1), quality=95)] if noise else []
        return seal_report(
            s or self.field,
            self.example,
            photos=photos,
            seed=seed,
            marker=marker,
            photo_bytes=extra,
        )

    def publish_profile(self, *, purge: bool) -> None:
        data, _ = self.hq.profile.export(relay_url=self.url, purge_after_acknowledgement=purge)
        for f in self.fields:
            f.profile.install(data)

    def close(self) -> None:
        self.relay.stop()
        for s in [self.hq, *self.fields]:
            if s.vault.is_open:
                s.close()


def make_world(root: Path, params: KdfParams, *, devices: int = 1, purge: bool = True) -> World:
    hq = new_hq(root / "hq", params).hq()
    fields = [new_field(root / f"field{i}", params, hq).field() for i in range(devices)]
    relay_dir = root / "relay"
    init_relay_dir(relay_dir, hq.keys.public_file())
    relay = RelayProcess(relay_dir, read_timeout=5.0)
    relay.start()
    world = World(root, hq, fields, relay, relay_dir)
    world.publish_profile(purge=purge)
    hq.pull.settings = fast_settings()
    for f in fields:
        f.sync.settings = fast_settings()
    # HQ's first pull publishes the device list: until then the relay knows no device.
    first = hq.pull.run()
    assert first.ok and first.device_list_serial == 1, first.failures
    return world


# ---------------------------------------------------------------------- what the relay holds
def relay_uploads(relay_dir: Path) -> list[dict[str, Any]]:
    db = sqlite3.connect(f"file:{relay_dir / 'store' / 'relay.db'}?mode=ro", uri=True)
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM uploads")]
    finally:
        db.close()


def field_uploads(s: FieldSession) -> list[tuple[str, int, int, str]]:
    rows = s.vault.conn.execute(
        "SELECT ciphertext_sha256, sequence, size, status FROM uploads_out ORDER BY sequence"
    ).fetchall()
    return [(str(r[0]), int(r[1]), int(r[2]), str(r[3])) for r in rows]


def check_invariants(world: World) -> None:
    """Every bundle a device considers delivered is on the relay once, complete, with the right
    hash and size; incomplete uploads never claim more than their durable bytes; nothing was
    imported twice at HQ; HQ and the devices agree on what HQ holds."""
    store = world.relay_dir / "store"
    held = {u["bundle_id"]: u for u in relay_uploads(world.relay_dir)}
    for u in held.values():
        if u["receipt"] is not None:
            data = (store / "bundles" / u["bundle_id"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == u["bundle_id"]
            assert len(data) == u["length"] == u["offset"]
        else:
            part = store / "uploads" / f"{u['bundle_id']}.part"
            durable = part.stat().st_size if part.exists() else 0
            assert u["offset"] <= durable, (u["offset"], durable)
    for s in world.fields:
        for sha, seq, size, status in field_uploads(s):
            if status in ("delivered", "acknowledged"):
                assert sha in held and held[sha]["receipt"] is not None, (seq, status)
                assert held[sha]["length"] == size and held[sha]["sequence"] == seq
    conn = world.hq.vault.conn
    dupes = conn.execute(
        "SELECT count(*) FROM (SELECT device_id, sequence FROM hq_bundles"
        " GROUP BY device_id, sequence HAVING count(*) > 1)"
    ).fetchone()[0]
    assert dupes == 0
    reports = conn.execute("SELECT count(*), count(DISTINCT report_id) FROM hq_reports").fetchone()
    assert reports[0] == reports[1]
    imported = {
        (str(r[0]), int(r[1])) for r in conn.execute("SELECT device_id, sequence FROM hq_bundles")
    }
    for s in world.fields:
        device = s.identity.identity().device_id
        acked = {int(r[0]) for r in s.vault.conn.execute("SELECT sequence FROM receipts_in")}
        # What the device holds an HQ receipt for, HQ imported (and only once, above).
        assert {(device, q) for q in acked} <= imported
