"""``kpfield relay serve --cert/--key``: a laptop syncs and HQ pulls over https with the
coalition's own CA pinned; a certificate from any other CA, or for another name, is refused
before anything is sent. Certificates are throw-away ones made here with ``cryptography``."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kpfield.sync.transport import CertificateRefused
from kpfield.vault.keyslots import KdfParams
from tests.conftest import PASSPHRASE
from tests.relay.support import REPO, RelayProcess
from tests.sync.world import (
    World,
    check_invariants,
    fast_settings,
    field_uploads,
    make_world,
    relay_uploads,
)


@dataclass
class Authority:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def make(cls, name: str) -> Authority:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, key_cert_sign=True, crl_sign=True,
                    content_commitment=False, key_encipherment=False, data_encipherment=False,
                    key_agreement=False, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .sign(key, hashes.SHA256())
        )  # fmt: skip
        return cls(key, cert)

    def write(self, path: Path) -> Path:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path

    def issue(self, folder: Path, *names: str) -> tuple[Path, Path]:
        """A server certificate for ``names`` (IP addresses or DNS names): cert and key files."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        folder.mkdir(parents=True, exist_ok=True)
        cert_file, key_file = folder / "tls.crt", folder / "tls.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        key_file.chmod(0o600)
        return cert_file, key_file


@dataclass
class TlsWorld:
    world: World
    url: str
    ca_file: Path
    tls_dir: Path


def serve_tls(world: World, cert: Path, key: Path) -> str:
    """The world's relay again, on the same data, now terminating TLS itself."""
    world.relay.stop()
    relay = RelayProcess(world.relay_dir, read_timeout=5.0, extra=("--cert", str(cert), "--key", str(key)))
    url = relay.start()
    world.deployment.relay = relay  # type: ignore[misc]  # world.close() stops this one
    return url


@pytest.fixture
def tls(tmp_path: Path, cheap_params: KdfParams) -> Iterator[TlsWorld]:
    world = make_world(tmp_path, cheap_params, purge=False)
    ca = Authority.make("KP coalition test CA")
    cert, key = ca.issue(tmp_path / "tls", "127.0.0.1", "localhost")
    url = serve_tls(world, cert, key)
    assert url.startswith("https://127.0.0.1:")
    yield TlsWorld(world, url, ca.write(tmp_path / "coalition-ca.pem"), tmp_path / "tls")
    world.close()


def sent_events(world: World) -> int:
    row = world.field.vault.conn.execute(
        "SELECT count(*) FROM custody_log WHERE event = 'sent'"
    ).fetchone()
    return int(row[0])


def test_sync_and_pull_over_tls_with_the_coalition_ca_pinned(tls: TlsWorld) -> None:
    world = tls.world
    world.seal(seed=1, marker="TLS-MARK")
    world.field.sync.settings = fast_settings(ca_file=str(tls.ca_file))
    world.hq.pull.settings = fast_settings(ca_file=str(tls.ca_file))

    first = world.field.sync.run(relay_url=tls.url)
    assert first.ok and first.delivered == 1, first.failures
    assert len(relay_uploads(world.relay_dir)) == 1
    pulled = world.hq.pull.run(relay_url=tls.url)
    assert pulled.ok and pulled.imported == 1, pulled.failures
    again = world.field.sync.run(relay_url=tls.url)
    assert again.ok and again.receipts.acknowledged == 1, again.failures
    assert [u[3] for u in field_uploads(world.field)] == ["acknowledged"]
    check_invariants(world)


@pytest.mark.parametrize("case", ["system CAs", "another CA pinned", "certificate for another name"])
def test_a_certificate_that_does_not_verify_is_refused_before_anything_is_sent(
    tls: TlsWorld, case: str, tmp_path: Path
) -> None:
    world = tls.world
    world.seal(seed=2)
    ca_file: str | None = None
    url = tls.url
    if case == "another CA pinned":
        ca_file = str(Authority.make("someone else").write(tmp_path / "rogue-ca.pem"))
    elif case == "certificate for another name":
        ca = Authority.make("KP coalition test CA 2")
        cert, key = ca.issue(tmp_path / "other-name", "relay.example.org")
        url = serve_tls(world, cert, key)
        ca_file = str(ca.write(tmp_path / "ca2.pem"))
    world.field.sync.settings = fast_settings(ca_file=ca_file)

    with pytest.raises(CertificateRefused) as refused:
        world.field.sync.run(relay_url=url)
    assert "TLS certificate was not accepted" in refused.value.message
    assert refused.value.exit_code == 3
    assert relay_uploads(world.relay_dir) == []  # not even an upload was created
    assert sent_events(world) == 0
    assert [u[3] for u in field_uploads(world.field)] in ([], ["pending"])
    saved = world.field.sync.last_failure()
    assert saved is not None and saved.kind == "security"


def cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    pw = world.root / "pw.txt"
    pw.write_text(PASSPHRASE + "\n", encoding="utf-8")
    world.field.close()  # one process at a time on a vault
    return subprocess.run(
        [sys.executable, "-m", "kpfield", *args, "--data-dir", str(world.root / "field0")]
        + ["--passphrase-file", str(pw), "--stall-floor", "1", "--retry-base", "0.05"]
        + ["--max-failures", "2"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )


def test_cli_sync_with_relay_ca(tls: TlsWorld, tmp_path: Path) -> None:
    world = tls.world
    world.seal(seed=3)
    rogue = Authority.make("someone else").write(tmp_path / "rogue-ca.pem")
    r = cli(world, "sync", "--relay", tls.url, "--relay-ca", str(rogue))
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "TLS certificate was not accepted" in r.stderr
    assert "Traceback" not in r.stderr
    assert relay_uploads(world.relay_dir) == []
    r = cli(world, "sync", "--relay", tls.url, "--relay-ca", str(tmp_path / "missing.pem"))
    assert r.returncode == 2 and "Cannot read the relay's CA certificate" in r.stderr, r.stderr
    r = cli(world, "sync", "--relay", tls.url, "--relay-ca", str(tls.ca_file))
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert len(relay_uploads(world.relay_dir)) == 1


def test_relay_serve_refuses_an_unusable_certificate_or_key(tls: TlsWorld, tmp_path: Path) -> None:
    other_cert, other_key = Authority.make("x").issue(tmp_path / "other", "127.0.0.1")
    (tmp_path / "junk.pem").write_text("not a certificate\n", encoding="utf-8")
    cert = tls.tls_dir / "tls.crt"
    for args in (
        ("--cert", str(tmp_path / "missing.crt"), "--key", str(other_key)),
        ("--cert", str(tmp_path / "junk.pem"), "--key", str(other_key)),
        ("--cert", str(cert), "--key", str(other_key)),  # a key that is not the cert's
        ("--cert", str(other_cert)),
    ):
        r = subprocess.run(
            [sys.executable, "-m", "kpfield", "relay", "serve", "--data-dir"]
            + [str(tls.world.relay_dir), "--port", "0", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "listening" not in r.stdout
        assert "Traceback" not in r.stderr
        assert ("Cannot use the TLS certificate" in r.stderr) or ("go together" in r.stderr)
