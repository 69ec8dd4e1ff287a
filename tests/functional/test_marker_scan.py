"""Invariant 1 (DESIGN.md §2): nothing readable at rest.

Through the real command in subprocesses: a report whose testimony, witness identity and notes
carry unique markers, and a photo carrying a byte marker, go into a vault, are searched, sealed and
verified; then every byte under the data dir, the temp dir and HOME is scanned for each marker
(UTF-8, UTF-16-LE, UTF-16-BE, either case). Where ``strace`` is available, every file the processes
wrote is also checked to lie in those folders, so "every place the process wrote" is proven, not
assumed.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support import markers as mk
from tests.support import writes
from tests.support.cli import REPO, Sandbox, kpfield
from tests.support.photos import jpeg_com_segments, jpeg_with_marker
from tests.support.recordings import wav_bytes

pytestmark = pytest.mark.slow

# Writes the traced processes may make outside the sandbox: none hold user data.
ALLOWED_OUTSIDE = ("/dev/null", "/dev/tty", "/dev/pts/", "/proc/", "/dev/shm/sem.")


@dataclass(frozen=True)
class Flow:
    box: Sandbox
    inputs: Path
    text_markers: dict[str, str]
    photo_marker: str
    photo_sha256: str
    report: dict[str, Any]
    traced: bool
    written: set[Path]
    keys: dict[str, bytes]

    @property
    def all_markers(self) -> list[str]:
        return [*self.text_markers.values(), self.photo_marker]


def _document(m: dict[str, str]) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(
        (REPO / "docs" / "example-report.json").read_text(encoding="utf-8")
    )
    doc["title"] = f"Beating at the river site {m['title']}"
    doc["narrative"] = f"Four diggers were stopped at dawn. {m['narrative']} Two were treated."
    doc["monitor_notes"] = f"Clinic register seen {m['notes']}"
    doc["place"]["site"] = f"Koidu river {m['site']}"
    w = doc["witnesses"][0]
    w["pseudonym"] = f"W-{m['pseudonym']}"
    w["identifying"] = {"full_name": f"Aminata {m['full_name']}", "contact": m["contact"]}
    w["risk_notes"] = f"Do not contact at the site {m['risk']}"
    return doc


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    root = tmp_path_factory.mktemp("markers")
    inputs = root / "inputs"  # not scanned: it holds the plaintext the monitor brought
    inputs.mkdir()
    box = Sandbox.under(root / "scanned")
    labels = ("title", "narrative", "notes", "site", "pseudonym", "full_name", "contact", "risk")
    text_markers = {label: mk.new_marker(label.replace("_", "")) for label in labels}
    # The passphrase must not reach disk either.
    text_markers["passphrase"] = mk.new_marker("passphrase")
    passphrase = inputs / "passphrase"
    passphrase.write_text(f"correct horse {text_markers['passphrase']}\n", encoding="utf-8")
    photo_marker = mk.new_marker("photo")
    report_file = inputs / "report.json"
    report_file.write_text(json.dumps(_document(text_markers)), encoding="utf-8")
    photo = jpeg_with_marker(photo_marker.encode("ascii"), seed=7)
    photo_file = inputs / "evidence.jpg"
    photo_file.write_bytes(photo)
    # A plain-text document, a WAV recording and a caption (issue 8) carry markers too.
    for label in ("document", "recording", "caption"):
        text_markers[label] = mk.new_marker(label)
    document_file = inputs / "transcript.txt"
    document_file.write_text(f"Interview transcript {text_markers['document']}\n", "utf-8")
    recording_file = inputs / "interview.wav"
    recording_file.write_bytes(wav_bytes(text_markers["recording"].encode("ascii") * 50))
    caption = f"The fence at the river site {text_markers['caption']}"
    (inputs / "caption.txt").write_text(caption, encoding="utf-8")

    reason = writes.strace_usable()
    log_base = root / "strace" / "log"
    log_base.parent.mkdir()
    prefix = () if reason else writes.strace_prefix(log_base)

    def run(*args: str) -> str:
        return kpfield(box, *args, passphrase_file=passphrase, prefix=prefix).stdout

    run("init", "--kdf-memory-mib", "8", "--kdf-iterations", "1")
    rid = run("report", "new", "--from", str(report_file)).strip()
    attached = run("attach", rid, str(photo_file), str(document_file), str(recording_file))
    photo_id = attached.splitlines()[0].split()[0]
    run("attachment", "caption", photo_id, caption)
    # Exercise the paths that read, index and search the secrets too, not only the writes.
    assert rid in run("report", "search", text_markers["narrative"], "--json")
    assert rid in run("report", "search", text_markers["pseudonym"], "--json")
    run("report", "list")
    shown = json.loads(run("report", "show", rid, "--json"))
    run("report", "seal", rid)
    assert "All verified." in run("verify")
    run("report", "show", rid)

    written = writes.written_paths(writes.read_logs(log_base), box.home) if not reason else set()
    keys = _key_material(box.data, root / "copy-for-keys", passphrase)
    return Flow(
        box=box,
        inputs=inputs,
        text_markers=text_markers,
        photo_marker=photo_marker,
        photo_sha256=hashlib.sha256(photo).hexdigest(),
        report=shown,
        traced=reason is None,
        written=written,
        keys=keys,
    )


def _key_material(data: Path, copy: Path, passphrase_file: Path) -> dict[str, bytes]:
    """Every key the vault holds, read from an unlocked *copy* (opening changes files)."""
    from kpfield.vault.vault import Vault, _db_key

    shutil.copytree(data, copy)
    passphrase = passphrase_file.read_text(encoding="utf-8").splitlines()[0]
    with Vault.open(copy, passphrase) as vault:
        master = bytes(vault._master)
        keys = {"master key": master, "database key": _db_key(master)}
        device = vault.secret("device_ed25519")
        assert device is not None
        keys["device signing key"] = device
        for i, (blob_key, thumb_key) in enumerate(
            vault.conn.execute("SELECT blob_key, thumb_key FROM attachments")
        ):
            keys[f"attachment {i} blob key"] = bytes(blob_key)
            if thumb_key is not None:  # only photos have a thumbnail
                keys[f"attachment {i} thumbnail key"] = bytes(thumb_key)
    return keys


def test_the_vault_really_holds_the_secrets(flow: Flow) -> None:
    """Guards against a vacuous scan: the markers went in, and the photo is kept byte-for-byte."""
    assert flow.report["narrative"] == (
        f"Four diggers were stopped at dawn. {flow.text_markers['narrative']} Two were treated."
    )
    witness = flow.report["witnesses"][0]
    assert flow.text_markers["full_name"] in witness["identifying"]["full_name"]
    attachments = flow.report["attachments"]
    assert attachments[0]["sha256"] == flow.photo_sha256
    assert [a["kind"] for a in attachments] == ["photo", "document", "audio"]
    assert flow.text_markers["caption"] in attachments[0]["caption"]
    files, size = mk.count_bytes([flow.box.data])
    assert files >= 4  # keyslots, vault.db, an original and a thumbnail blob
    assert size > 10_000


def test_no_marker_anywhere_the_app_writes(flow: Flow) -> None:
    files, size = mk.count_bytes(flow.box.roots)
    print(f"scanned {files} files, {size} bytes under {[str(r) for r in flow.box.roots]}")
    hits = mk.scan_tree(flow.box.roots, flow.all_markers)
    assert not hits, "plaintext found at rest:\n" + "\n".join(str(h) for h in hits)


def test_no_key_material_anywhere_the_app_writes(flow: Flow) -> None:
    """Invariant 1 covers keys too: only wrapped or encrypted forms may be on disk."""
    # master, database, device, the photo's blob and thumbnail, the document's and WAV's blobs
    assert len(flow.keys) == 7
    assert all(len(k) == 32 for k in flow.keys.values())
    assert len(set(flow.keys.values())) == len(flow.keys)
    patterns = [
        (name, enc, pat)
        for name, k in flow.keys.items()
        for enc, pat in mk.key_encodings(k).items()
    ]
    hits = mk.scan_tree_for(flow.box.roots, patterns)
    assert not hits, "key material found at rest:\n" + "\n".join(str(h) for h in hits)


def test_every_write_lands_in_a_scanned_folder(flow: Flow) -> None:
    if not flow.traced:
        pytest.skip(f"cannot audit writes: {writes.strace_usable()}")
    assert any(p.name == "vault.db" for p in flow.written), "the trace saw no vault writes"
    stray = writes.outside(flow.written, flow.box.roots, ALLOWED_OUTSIDE)
    assert not stray, "the app wrote outside its data, temp and home folders:\n" + "\n".join(
        map(str, stray)
    )


# ---------------------------------------------------------------- positive controls
def test_scanner_finds_the_markers_in_the_plaintext_inputs(flow: Flow) -> None:
    """The same scan over the monitor's own input files must find every marker."""
    found = {h.marker for h in mk.scan_tree([flow.inputs], flow.all_markers)}
    assert found == set(flow.all_markers)
    photo = (flow.inputs / "evidence.jpg").read_bytes()
    assert jpeg_com_segments(photo) == [flow.photo_marker.encode("ascii")]
    assert photo.count(flow.photo_marker.encode("ascii")) >= 3  # COM, UserComment, description


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("upper", [False, True])
def test_scanner_finds_a_planted_marker(tmp_path: Path, encoding: str, upper: bool) -> None:
    marker = mk.new_marker("planted")
    text = marker.upper() if upper else marker
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    payload = b"\x01" * 1000 + text.encode(encoding) + b"\xff" * 1000
    (nested / "leak.bin").write_bytes(payload)
    (tmp_path / "clean.bin").write_bytes(b"\x00" * 5000)
    hits = mk.scan_tree([tmp_path], [marker, mk.new_marker("absent")])
    assert [(h.path.name, h.offset, h.marker) for h in hits] == [("leak.bin", 1000, marker)]
    assert hits[0].encoding == ("upper " if upper else "") + encoding


def test_scanner_finds_a_marker_split_across_read_chunks(tmp_path: Path) -> None:
    marker = mk.new_marker("split")
    pat = marker.encode("utf-16-le")
    for cut in range(1, len(pat)):
        f = tmp_path / f"split{cut}.bin"
        f.write_bytes(b"x" * (64 - cut) + pat + b"y" * 64)
        hits = mk.scan_file(f, [marker], chunk=64)
        assert [(h.offset, h.encoding) for h in hits] == [(64 - cut, "utf-16-le")], cut


def test_scanner_finds_a_planted_key(tmp_path: Path) -> None:
    key = bytes(range(32))
    patterns = [("k", enc, pat) for enc, pat in mk.key_encodings(key).items()]
    (tmp_path / "raw").write_bytes(b"\x01" * 7 + key)
    (tmp_path / "hex").write_text("key=" + key.hex().upper())
    found = {(h.path.name, h.encoding) for h in mk.scan_tree_for([tmp_path], patterns)}
    assert found == {("raw", "raw"), ("hex", "HEX")}


def test_write_audit_parses_strace_lines(tmp_path: Path) -> None:
    log = "\n".join(
        [
            'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3</etc/passwd>',
            'openat(AT_FDCWD, "rel.txt", O_WRONLY|O_CREAT|O_TRUNC, 0600) = 4</h/rel.txt>',
            'openat(5</var/spool>, "leak", O_RDWR|O_CREAT, 0600) = 6</var/spool/leak>',
            'openat(AT_FDCWD, "/nope", O_WRONLY|O_CREAT, 0600) = -1 EACCES (Permission denied)',
            'rename("/d/.x.tmp", "/d/x") = 0',
            'mkdir("/d/blobs", 0700) = -1 EEXIST (File exists)',
        ]
    )
    got = writes.written_paths(log, Path("/h"))
    assert got == {Path("/h/rel.txt"), Path("/var/spool/leak"), Path("/d/.x.tmp"), Path("/d/x")}
    assert writes.outside(got, [Path("/d"), Path("/h")], ()) == [Path("/var/spool/leak")]
