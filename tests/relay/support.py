"""A real relay in a subprocess, HQ and device keys, and a signing httpx helper."""

from __future__ import annotations

import base64
import hashlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kpfield.crypto import age, minisign
from kpfield.protocol import httpsig
from kpfield.protocol.device_list import entry, make_device_list
from kpfield.protocol.hq_public import HqPublic

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Key:
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)

    @property
    def public(self) -> minisign.MinisignPublicKey:
        return minisign.MinisignPublicKey.from_private(self.key)

    @property
    def keyid(self) -> str:
        return self.public.key_id.hex()


def hq_public_file(hq: Key) -> bytes:
    return HqPublic(hq.public, (age.X25519Identity.generate().recipient.to_string(),)).to_bytes()


def device_list(hq: Key, serial: int, active: list[Key], revoked: list[Key]) -> bytes:
    devices = [entry(k.public.public_key) for k in active]
    devices += [entry(k.public.public_key, "2025-01-01T00:00:00Z") for k in revoked]
    return make_device_list(
        hq.key, hq.public.key_id, serial=serial, issued_at="2025-01-02T00:00:00Z", devices=devices
    )


def signed_headers(
    key: Key,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    *,
    created: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    out = dict(headers or {})
    out["Content-Digest"] = httpsig.content_digest(body)
    target = httpsig.Target.from_url(method, url)
    when = int(time.time()) if created is None else created
    out.update(httpsig.sign(key.key, key.keyid, target, out, created=when, nonce=nonce))
    return out


def send(  # noqa: PLR0917
    client: httpx.Client,
    key: Key,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    **kw: int | str,
) -> httpx.Response:
    full = str(client.base_url.join(url))
    hdrs = signed_headers(key, method, full, body, headers, **kw)  # type: ignore[arg-type]
    return client.request(method, url, content=body, headers=hdrs)


def metadata(bundle_id: str, sequence: int) -> str:
    b64 = base64.b64encode
    return f"bundle_id {b64(bundle_id.encode()).decode()},sequence {b64(str(sequence).encode()).decode()}"


def create(client: httpx.Client, key: Key, data: bytes, sequence: int) -> httpx.Response:
    bundle_id = hashlib.sha256(data).hexdigest()
    return send(
        client,
        key,
        "POST",
        "/v1/uploads",
        headers={
            "Tus-Resumable": "1.0.0",
            "Upload-Length": str(len(data)),
            "Upload-Metadata": metadata(bundle_id, sequence),
        },
    )


def patch(  # noqa: PLR0917
    client: httpx.Client,
    key: Key,
    bundle_id: str,
    offset: int,
    chunk: bytes,
    checksum: bytes | None = None,
) -> httpx.Response:
    digest = hashlib.sha256(chunk).digest() if checksum is None else checksum
    return send(
        client,
        key,
        "PATCH",
        f"/v1/uploads/{bundle_id}",
        chunk,
        {
            "Tus-Resumable": "1.0.0",
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": str(offset),
            "Upload-Checksum": "sha256 " + base64.b64encode(digest).decode(),
        },
    )


class RelayProcess:
    def __init__(
        self, data_dir: Path, read_timeout: float = 1.0, extra: tuple[str, ...] = ()
    ) -> None:
        self.data_dir, self.read_timeout, self.extra = data_dir, read_timeout, extra
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> str:
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kpfield.relay",
                "relay",
                "serve",
                "--data-dir",
                str(self.data_dir),
                "--port",
                "0",
                "--read-timeout",
                str(self.read_timeout),
                *self.extra,
            ],
            stdout=subprocess.PIPE,
            stderr=open(self.data_dir.parent / "relay.log", "ab"),  # noqa: SIM115
            text=True,
            env=env,
            cwd=REPO,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith(
            ("kpfield relay: listening on http://127.0.0.1:", "kpfield relay: listening on https://127.0.0.1:")
        ), line
        self.url = line.rsplit(" ", 1)[1].strip()
        return self.url

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def init_relay(data_dir: Path, hq: Key, extra: tuple[str, ...] = ()) -> None:
    hq_file = data_dir.parent / "hq-public.json"
    hq_file.write_bytes(hq_public_file(hq))
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
