"""A sync world: an HQ vault, enrolled field vaults, a real relay deployment, and invariants.

The relay is a :class:`Deployment`: the embedded one (one node, SQLite + a directory) or two
nodes on PostgreSQL + S3 (SeaweedFS) behind a round-robin balancer that moves the client to the
other node at every request. Tests that take the ``deployment`` fixture run against both.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from kpfield.app import FieldSession, HqSession
from kpfield.services.sync_common import SyncSettings
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import EXAMPLE, new_field, new_hq, seal_report
from tests.media.images import jpeg, noise_image
from tests.relay.servers import Postgres, Seaweed
from tests.relay.support import REPO, RelayProcess
from tests.support.balancer import Balancer


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


def init_relay_dir(data_dir: Path, hq_public: bytes, extra: tuple[str, ...] = ()) -> None:
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
            *extra,
        ],
        check=True,
        capture_output=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        cwd=REPO,
    )


class Deployment(Protocol):
    """A relay as clients see it (one URL) and as the invariants inspect it."""

    relay: RelayProcess  # the first node (its data dir holds the relay's key)
    relay_dir: Path

    @property
    def url(self) -> str: ...

    def crash(self) -> int:
        """SIGKILL a node and start it again; return the port clients now connect to."""
        ...

    def uploads(self) -> list[dict[str, Any]]:
        """Every upload: bundle_id, sequence, length, offset, receipt."""
        ...

    def bundle_bytes(self, bundle_id: str) -> bytes: ...

    def durable_bytes(self, bundle_id: str) -> int:
        """Bytes of an incomplete upload that storage really holds."""
        ...

    def problems(self) -> list[str]:
        """Anything the nodes logged that must never happen (an internal error)."""
        ...

    def stop(self) -> None: ...


@dataclass
class EmbeddedRelay:
    """One node on the embedded backend (SQLite + a directory)."""

    relay: RelayProcess
    relay_dir: Path

    @classmethod
    def start(cls, root: Path, hq_public: bytes) -> EmbeddedRelay:
        relay_dir = root / "relay"
        init_relay_dir(relay_dir, hq_public)
        relay = RelayProcess(relay_dir, read_timeout=5.0)
        relay.start()
        return cls(relay, relay_dir)

    @property
    def url(self) -> str:
        return self.relay.url

    def crash(self) -> int:
        self.relay.kill()
        return int(self.relay.start().rsplit(":", 1)[1])

    def uploads(self) -> list[dict[str, Any]]:
        return relay_uploads(self.relay_dir)

    def bundle_bytes(self, bundle_id: str) -> bytes:
        return (self.relay_dir / "store" / "bundles" / bundle_id).read_bytes()

    def durable_bytes(self, bundle_id: str) -> int:
        part = self.relay_dir / "store" / "uploads" / f"{bundle_id}.part"
        return part.stat().st_size if part.exists() else 0

    def problems(self) -> list[str]:
        return []

    def stop(self) -> None:
        self.relay.stop()


@dataclass
class TwoNodeRelay:
    """Two nodes sharing one PostgreSQL database and one bucket, behind a round-robin balancer;
    :meth:`crash` kills them in turn, so uploads in progress on the killed node move over."""

    nodes: list[RelayProcess]
    relay_dir: Path
    balancer: Balancer
    database: str
    seaweed: Seaweed
    bucket: str
    prefix: str
    crashes: int = 0

    @classmethod
    def start(
        cls, root: Path, hq_public: bytes, postgres: Postgres, seaweed: Seaweed
    ) -> TwoNodeRelay:
        name = f"sync_{uuid.uuid4().hex[:12]}"
        bucket = "kpfield-sync-tests"
        database = postgres.create_database(name)
        backend = ("--database", database, "--objects", seaweed.objects_url(bucket, name))
        init_relay_dir(root / "relay", hq_public, backend)
        # The second node is the same relay identity (its key signs receipts) elsewhere.
        shutil.copytree(root / "relay", root / "relay-b" / "relay")
        nodes = [
            RelayProcess(d, read_timeout=5.0, extra=backend)
            for d in (root / "relay", root / "relay-b" / "relay")
        ]
        ports = [int(n.start().rsplit(":", 1)[1]) for n in nodes]
        balancer = Balancer(ports).start()
        return cls(nodes, root / "relay", balancer, database, seaweed, bucket, f"{name}/")

    @property
    def relay(self) -> RelayProcess:
        return self.nodes[0]

    @property
    def url(self) -> str:
        return self.balancer.url

    def crash(self) -> int:
        i = self.crashes % len(self.nodes)
        self.crashes += 1
        self.nodes[i].kill()
        self.balancer.ports[i] = int(self.nodes[i].start().rsplit(":", 1)[1])
        return self.balancer.port

    def _query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.database, autocommit=True) as conn:
            return [tuple(r) for r in conn.execute(sql, args).fetchall()]

    def uploads(self) -> list[dict[str, Any]]:
        rows = self._query("SELECT bundle_id, sequence, length, durable, receipt FROM uploads")
        keys = ("bundle_id", "sequence", "length", "offset", "receipt")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def bundle_bytes(self, bundle_id: str) -> bytes:
        key = f"{self.prefix}bundles/{bundle_id}"
        body = self.seaweed.client().get_object(Bucket=self.bucket, Key=key)["Body"]
        return bytes(body.read())

    def durable_bytes(self, bundle_id: str) -> int:
        """Parts the ledger lists that S3 really holds (same ETag and size), plus the tail."""
        ((multipart_id, parts_bytes),) = self._query(
            "SELECT multipart_id, parts_bytes FROM uploads WHERE bundle_id = %s", bundle_id
        )
        ledger = self._query(
            "SELECT part_number, etag, size FROM parts WHERE bundle_id = %s", bundle_id
        )
        held: set[tuple[int, str, int]] = set()
        if multipart_id is not None:
            listing = self.seaweed.client().list_parts(
                Bucket=self.bucket, Key=f"{self.prefix}bundles/{bundle_id}", UploadId=multipart_id
            )
            held = {(p["PartNumber"], p["ETag"], p["Size"]) for p in listing.get("Parts", [])}
        parts = sum(size for n, etag, size in ledger if (n, etag, size) in held)
        assert sum(size for _, _, size in ledger) == parts_bytes
        ((tail,),) = self._query(
            "SELECT COALESCE(SUM(length(data)), 0) FROM tails WHERE bundle_id = %s", bundle_id
        )
        return parts + int(tail)

    def problems(self) -> list[str]:
        found = []
        for n in self.nodes:
            log = n.data_dir.parent / "relay.log"
            if log.exists() and "internal error" in log.read_text(errors="replace"):
                found.append(str(log))
        return found

    def stop(self) -> None:
        self.balancer.stop()
        for n in self.nodes:
            n.stop()


@dataclass
class World:
    root: Path
    hq: HqSession
    fields: list[FieldSession]
    deployment: Deployment
    example: dict[str, Any] = field(default_factory=lambda: json.loads(EXAMPLE.read_text()))

    @property
    def field(self) -> FieldSession:
        return self.fields[0]

    @property
    def relay(self) -> RelayProcess:
        return self.deployment.relay

    @property
    def relay_dir(self) -> Path:
        return self.deployment.relay_dir

    @property
    def url(self) -> str:
        return self.deployment.url

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
        self.deployment.stop()
        for s in [self.hq, *self.fields]:
            if s.vault.is_open:
                s.close()


def make_world(
    root: Path,
    params: KdfParams,
    *,
    devices: int = 1,
    purge: bool = True,
    servers: tuple[Postgres, Seaweed] | None = None,
) -> World:
    """A world on the embedded relay, or on two PG+S3 nodes when ``servers`` are given."""
    hq = new_hq(root / "hq", params).hq()
    fields = [new_field(root / f"field{i}", params, hq).field() for i in range(devices)]
    deployment: Deployment = (
        EmbeddedRelay.start(root, hq.keys.public_file())
        if servers is None
        else TwoNodeRelay.start(root, hq.keys.public_file(), *servers)
    )
    world = World(root, hq, fields, deployment)
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
    relay = world.deployment
    held = {u["bundle_id"]: u for u in relay.uploads()}
    for u in held.values():
        if u["receipt"] is not None:
            data = relay.bundle_bytes(u["bundle_id"])
            assert hashlib.sha256(data).hexdigest() == u["bundle_id"]
            assert len(data) == u["length"] == u["offset"]
        else:
            durable = relay.durable_bytes(u["bundle_id"])
            assert u["offset"] <= durable, (u["offset"], durable)
    assert relay.problems() == []
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
