"""The relay's CA certificate kept in the vault: checked before it is kept (garbage, a huge file,
a server's certificate, a key, two certificates are refused and change nothing), used by a sync
over TLS and by ``kpfield sync`` when no ``--relay-ca`` is given, and cleared."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from kpfield.errors import UsageError
from kpfield.sync.relay_ca import MAX_CA_BYTES, read_ca
from kpfield.sync.transport import CertificateRefused
from tests.sync import test_tls
from tests.sync.test_tls import Authority, TlsWorld, cli
from tests.sync.world import fast_settings, relay_uploads

tls = test_tls.tls  # the TLS relay world, as a fixture here


def _pem(ca: Authority) -> bytes:
    return ca.cert.public_bytes(serialization.Encoding.PEM)


def test_a_ca_certificate_is_kept_in_the_vault_and_cleared(tls: TlsWorld) -> None:
    sync = tls.world.field.sync
    assert sync.relay_ca() is None
    ca = sync.load_relay_ca(tls.ca_file)
    assert ca.subject == "CN=KP coalition test CA"
    assert len(ca.fingerprint.split()) == 16
    kept = tls.world.field.vault.meta("sync_relay_ca_pem")
    assert kept.startswith("-----BEGIN CERTIFICATE-----")
    assert str(tls.ca_file) not in kept  # the certificate itself, not a path that may vanish
    tls.ca_file.unlink()
    assert sync.relay_ca() == ca
    sync.clear_relay_ca()
    assert sync.relay_ca() is None


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("garbage", "not a certificate in PEM form"),
        ("a private key", "not a certificate in PEM form"),
        ("a huge file", "too large to be a CA certificate"),
        ("a server's certificate", "not a CA certificate"),
        ("two certificates", "holds 2 certificates"),
    ],
)
def test_anything_but_one_ca_certificate_is_refused_and_changes_nothing(
    tls: TlsWorld, tmp_path: Path, what: str, words: str
) -> None:
    sync = tls.world.field.sync
    kept = sync.load_relay_ca(tls.ca_file)
    other = Authority.make("another CA")
    data = {
        "garbage": b"hello, this is not a certificate\n",
        "a private key": other.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        "a huge file": _pem(other) + b"#" * MAX_CA_BYTES,
        "a server's certificate": (tls.tls_dir / "tls.crt").read_bytes(),
        "two certificates": _pem(other) + tls.ca_file.read_bytes(),
    }[what]  # fmt: skip
    path = tmp_path / "chosen.pem"
    path.write_bytes(data)
    with pytest.raises(UsageError) as refused:
        sync.load_relay_ca(path)
    assert words in refused.value.message
    with pytest.raises(UsageError):
        sync.set_relay_ca(data)
    assert sync.relay_ca() == kept


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    from kpfield.sync.relay_ca import read_ca_file

    with pytest.raises(UsageError, match="Cannot read"):
        read_ca_file(tmp_path / "nowhere.pem")
    with pytest.raises(UsageError, match="not a certificate"):
        read_ca(b"")


def test_sync_over_tls_trusts_the_ca_kept_in_the_vault(tls: TlsWorld, tmp_path: Path) -> None:
    world = tls.world
    world.seal(seed=4)
    sync = world.field.sync
    sync.settings = fast_settings()  # no ca_file: what the GUI and a plain ``kpfield sync`` do
    sync.set_relay_ca(_pem(Authority.make("someone else")))
    with pytest.raises(CertificateRefused):
        sync.run(relay_url=tls.url)
    assert relay_uploads(world.relay_dir) == []
    sync.load_relay_ca(tls.ca_file)
    done = sync.run(relay_url=tls.url)
    assert done.ok and done.delivered == 1, done.failures
    # A CA given for one run (``--relay-ca``) wins over the kept one.
    rogue = Authority.make("rogue").write(tmp_path / "rogue.pem")
    world.seal(seed=5)
    sync.settings = fast_settings(ca_file=str(rogue))
    with pytest.raises(CertificateRefused):
        sync.run(relay_url=tls.url)
    sync.clear_relay_ca()
    sync.settings = fast_settings()
    with pytest.raises(CertificateRefused):  # the system's CAs do not know the coalition's
        sync.run(relay_url=tls.url)


def test_cli_sync_uses_the_kept_ca_when_no_relay_ca_is_given(tls: TlsWorld) -> None:
    world = tls.world
    world.seal(seed=6)
    world.field.sync.load_relay_ca(tls.ca_file)
    r = cli(world, "sync", "--relay", tls.url)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert len(relay_uploads(world.relay_dir)) == 1
