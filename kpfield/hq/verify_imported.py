"""``kpfield verify`` at HQ: re-check everything intake accepted, from what HQ stored.

For every imported bundle: its manifest parses, hashes to the recorded value, and its signature
(with the documented trusted comment) verifies with the device key HQ enrolled; it follows the
device's bundle before it. For every device: the custody entries HQ holds form one chain from
entry 1, and each bundle's custody head is in it. For every imported report: its content hashes
to the recorded value, its seal verifies with the device key, its bundle's manifest lists it
with that hash, and a custody entry records the seal. Originals are checked by the caller.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kpfield.bundle import manifest as mf
from kpfield.crypto import minisign
from kpfield.custody.log import GENESIS, verify_chain
from kpfield.errors import KpfieldError
from kpfield.protocol.canonical import sha256_hex
from kpfield.vault.hq_store import HqStore
from kpfield.vault.vault import Vault


@dataclass
class ImportedCheck:
    bundles: int = 0
    reports: int = 0
    custody_entries: int = 0
    problems: list[str] = field(default_factory=list)


def verify_imported(vault: Vault) -> ImportedCheck:
    store = HqStore(vault.conn)
    out = ImportedCheck()
    keys = {d.device_id: d.public_key for d in store.devices()}
    manifests: dict[str, mf.Manifest] = {}
    by_position: dict[tuple[str, int], str] = {}
    for b in store.bundles():
        out.bundles += 1
        label = f"imported bundle {b.sequence} of device {b.device_id}"
        data = b.manifest.encode("utf-8")
        if sha256_hex(data) != b.manifest_sha256:
            out.problems.append(f"{label}: its manifest does not match its recorded hash")
            continue
        try:
            m = mf.parse(data)
        except KpfieldError as exc:
            out.problems.append(f"{label}: {exc.message}")
            continue
        key = keys.get(b.device_id)
        if key is None or key != m.device_public_key or m.device_id != b.device_id:
            out.problems.append(f"{label}: it is not signed by the key HQ enrolled")
            continue
        signer = minisign.MinisignPublicKey(minisign.key_id_for(key), key)
        try:
            comment = minisign.verify(signer, b.signature, data)
        except KpfieldError:
            out.problems.append(f"{label}: the manifest signature does not verify")
            continue
        if comment != m.trusted_comment() or m.sequence != b.sequence:
            out.problems.append(f"{label}: the signed sequence or comment does not match")
            continue
        manifests[b.manifest_sha256] = m
        by_position[(b.device_id, b.sequence)] = b.manifest_sha256
    for (device, seq), sha in by_position.items():
        prev = by_position.get((device, seq - 1))
        if prev is not None and manifests[sha].previous_manifest_sha256 != prev:
            out.problems.append(
                f"imported bundle {seq} of device {device}: it does not follow bundle {seq - 1}"
            )
    sealed: dict[str, set[tuple[str, str]]] = {}
    for device in sorted({d for d, _ in by_position} | set(keys)):
        rows = store.custody_rows(device)
        if not rows:
            continue
        out.custody_entries += len(rows)
        problem = None if rows[0][0] == 1 else "HQ's copy does not start at entry 1"
        chain = verify_chain(rows, GENESIS)
        if problem is None and chain is not None:
            problem = f"entry {chain.seq} {chain.what}"
        if problem is not None:
            out.problems.append(f"custody log of device {device}: {problem}")
        heads = {seq: h for seq, _e, _p, h in rows}
        for (dev, seq), sha in by_position.items():
            m = manifests[sha]
            if (
                dev == device
                and m.custody_head_seq
                and heads.get(m.custody_head_seq) != (m.custody_head_hash)
            ):
                out.problems.append(
                    f"imported bundle {seq} of device {device}: its custody head is not in"
                    " HQ's copy of the log"
                )
        sealed[device] = {
            (str(body.get("report_id")), str(body.get("details", {}).get("sha256")))
            for body in (json.loads(r[1]) for r in rows)
            if isinstance(body, dict)
            and body.get("event") == "sealed"
            and isinstance(body.get("details"), dict)
        }
    for r in store.reports():
        out.reports += 1
        label = f"imported report {r.report_id[:8]}"
        if sha256_hex(r.sealed_json) != r.sha256:
            out.problems.append(f"{label}: its content does not match its recorded hash")
            continue
        key = keys.get(r.device_id)
        carried_in = manifests.get(r.manifest_sha256)
        if key is None or carried_in is None:
            out.problems.append(f"{label}: its bundle or device is missing or did not verify")
            continue
        try:
            minisign.verify(
                minisign.MinisignPublicKey(minisign.key_id_for(key), key),
                r.signature,
                r.sealed_json,
            )
        except KpfieldError:
            out.problems.append(f"{label}: its seal does not verify with the device key")
            continue
        if not any(e.id == r.report_id and e.sha256 == r.sha256 for e in carried_in.reports):
            out.problems.append(f"{label}: its bundle's manifest does not list it")
        if (r.report_id, r.sha256) not in sealed.get(r.device_id, set()):
            out.problems.append(f"{label}: no custody entry HQ holds records its seal")
    return out
