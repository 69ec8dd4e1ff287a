"""The worked example of docs/bundle-format.md, for real: age -d | tar, minisign -V, sha256sum -c."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from kpfield.app import Session
from kpfield.hq import keys
from kpfield.vault.keyslots import KdfParams
from tests.bundle.world import export, new_field, new_hq, seal_report, stick
from tests.interop.conftest import require_program


def test_worked_example_with_reference_tools(
    tmp_path: Path,
    cheap_params: KdfParams,
    example_doc: dict[str, Any],
    age_bin: str,
    minisign_bin: str,
) -> None:
    tar = require_program("tar")
    sha256sum = require_program("sha256sum")
    hq: Session = new_hq(tmp_path / "hq", cheap_params)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq)
    try:
        rid = seal_report(laptop, example_doc, photos=3)
        originals = {
            a.id: laptop.reports.original_bytes(a.id) for a in laptop.reports.attachments(rid)
        }
        [bundle] = export(laptop, stick(tmp_path))
        identity = tmp_path / "hq.key"
        identity.write_text(keys.identity_file(hq.vault, keys.PRIMARY))
        from kpfield.crypto import minisign
        from kpfield.custody.seal import device_identity

        ident = device_identity(laptop.vault)
        pub = tmp_path / "device.pub"
        pub.write_text(minisign.MinisignPublicKey(ident.key_id, ident.public_key).to_text())
    finally:
        laptop.close()
        hq.close()
    out = tmp_path / "out"
    out.mkdir()
    age_proc = subprocess.Popen(
        [age_bin, "-d", "-i", str(identity), str(bundle)], stdout=subprocess.PIPE
    )
    subprocess.run([tar, "-xf", "-", "-C", str(out)], stdin=age_proc.stdout, check=True)
    assert age_proc.wait() == 0
    for name in ("manifest.json", "SHA256SUMS"):
        done = subprocess.run(
            [minisign_bin, "-V", "-p", str(pub), "-m", name],
            cwd=out,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "Signature and comment signature verified" in done.stdout
    reports = sorted((out / "reports").glob("*.json"))
    assert [r.stem for r in reports] == [rid]
    for r in reports:
        subprocess.run([minisign_bin, "-Vq", "-p", str(pub), "-m", str(r)], check=True)
    sums = subprocess.run(
        [sha256sum, "-c", "--strict", "SHA256SUMS"],
        cwd=out,
        capture_output=True,
        text=True,
        check=False,
    )
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert sums.stdout.count(": OK") == 2 + 3 + 1
    for aid, data in originals.items():
        [photo] = list((out / "attachments").glob(f"{aid}.*"))
        assert photo.read_bytes() == data


def test_altered_bundle_fails_with_reference_age(
    tmp_path: Path, cheap_params: KdfParams, example_doc: dict[str, Any], age_bin: str
) -> None:
    hq = new_hq(tmp_path / "hq", cheap_params)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq)
    try:
        seal_report(laptop, example_doc, photos=1)
        [bundle] = export(laptop, stick(tmp_path))
        identity = tmp_path / "hq.key"
        identity.write_text(keys.identity_file(hq.vault, keys.BACKUP))
    finally:
        laptop.close()
        hq.close()
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 1
    bundle.write_bytes(bytes(data))
    done = subprocess.run(
        [age_bin, "-d", "-i", str(identity), str(bundle)], capture_output=True, check=False
    )
    assert done.returncode != 0
