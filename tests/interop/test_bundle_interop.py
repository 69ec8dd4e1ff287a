"""The worked example of docs/bundle-format.md, for real: age -d | tar, minisign -V, sha256sum -c."""

from __future__ import annotations

import json
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


def test_identity_and_withdrawal_members_with_reference_tools(
    tmp_path: Path,
    cheap_params: KdfParams,
    example_doc: dict[str, Any],
    age_bin: str,
    minisign_bin: str,
) -> None:
    """docs/bundle-format.md §8: a withdrawal notice verifies with minisign alone."""
    tar = require_program("tar")
    jq = require_program("jq")
    sha256sum = require_program("sha256sum")
    hq: Session = new_hq(tmp_path / "hq", cheap_params)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq)
    doc = json.loads(json.dumps(example_doc))
    doc["witnesses"][0]["consent"]["scope"]["identity_to_hq"] = True
    doc["witnesses"][0]["send_identity"] = True
    try:
        rid = seal_report(laptop, doc, photos=0)
        wid = laptop.reports.view(rid).witnesses[0].id
        laptop.field().witnesses.withdraw_consent(
            wid, frozenset({"publish_anonymised"}), withdrawn_on="2026-11-20"
        )
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
    subprocess.run([sha256sum, "-c", "--strict", "--quiet", "SHA256SUMS"], cwd=out, check=True)
    # The identity was sealed before the withdrawal, so it is not in this bundle: the laptop
    # erased it. What is here is the notice; the salted hash is checked on a fresh export below.
    assert not (out / "identities").exists()
    [notice] = list((out / "withdrawals").glob("*.json"))
    script = (
        f'"{jq}" -cjS .withdrawal "{notice}" > body && '
        f'"{jq}" -r .signature "{notice}" > body.minisig && '
        f'"{minisign_bin}" -Vq -p "{pub}" -m body'
    )
    subprocess.run(["sh", "-c", script], cwd=tmp_path, check=True)


def test_salted_identity_hash_with_reference_tools(
    tmp_path: Path,
    cheap_params: KdfParams,
    example_doc: dict[str, Any],
    age_bin: str,
) -> None:
    tar = require_program("tar")
    jq = require_program("jq")
    xxd = require_program("xxd")
    sha256sum = require_program("sha256sum")
    hq: Session = new_hq(tmp_path / "hq", cheap_params)
    laptop = new_field(tmp_path / "laptop", cheap_params, hq)
    doc = json.loads(json.dumps(example_doc))
    doc["witnesses"][0]["consent"]["scope"]["identity_to_hq"] = True
    doc["witnesses"][0]["send_identity"] = True
    doc["witnesses"][0]["identifying"]["full_name"] = "Sahr Exâmple"  # non-ASCII on purpose
    try:
        rid = seal_report(laptop, doc, photos=0)
        wid = laptop.reports.view(rid).witnesses[0].id
        [bundle] = export(laptop, stick(tmp_path))
        identity = tmp_path / "hq.key"
        identity.write_text(keys.identity_file(hq.vault, keys.PRIMARY))
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
    member = f"identities/{wid}.json"
    script = (
        f'{{ "{jq}" -r .salt {member} | "{xxd}" -r -p; "{jq}" -cjS .identifying {member}; }}'
        f' | "{sha256sum}"'
    )
    computed = subprocess.run(
        ["sh", "-c", script], cwd=out, capture_output=True, text=True, check=True
    ).stdout.split()[0]
    sealed = subprocess.run(
        [jq, "-r", "--arg", "id", wid, '.witnesses[] | select(.id == $id) | .identity_sha256',
         f"reports/{rid}.json"],
        cwd=out, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert computed == sealed
