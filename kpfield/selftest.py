"""``kpfield self-test``: proves this installation works end to end, in a throw-away folder.

It checks the shipped files, the cryptography, then plays the whole path of a report: an HQ
vault and a field vault are created, the laptop is enrolled, a report with a photo is written
and sealed, exported as a bundle, imported and verified at HQ; then everything is erased. Each
step yields one result; a step that fails stops the chain (later steps would only fail for the
same reason) but the independent checks still run. Qt-free: the GUI check is passed in.
It sits above the composition root (it builds sessions with ``kpfield.app``), below the CLI.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpfield.errors import KpfieldError
from kpfield.i18n import CATALOG_LANGUAGES, I18n
from kpfield.paths import ICON_SIZES, PACKAGED_RESOURCES, resources_dir

OK = "OK"
FAIL = "FAIL"
SKIP = "SKIP"

SQLITE_HEADER = b"SQLite format 3\x00"
PASSPHRASE_BYTES = 24


@dataclass(frozen=True)
class StepResult:
    name: str
    status: str
    detail: str = ""

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}" + (f": {self.detail}" if self.detail else "")


class SelfTestFailure(Exception):
    """A check that ran and found the installation wrong (not a crash of the check itself)."""


class SelfTestSkip(Exception):
    """A check that cannot run on this computer (a missing system font), not a broken install."""


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestFailure(message)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, SelfTestFailure):
        return str(exc)
    if isinstance(exc, KpfieldError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"


# ------------------------------------------------------------------ independent checks
def check_resources() -> str:
    root = resources_dir()
    from kpfield.domain.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(root / "taxonomy.json")
    for language in CATALOG_LANGUAGES:
        _check(I18n(language).has_catalog(), f"the {language} catalog is missing")
    missing = [s for s in ICON_SIZES if not (root / "icons" / f"kpfield-{s}.png").is_file()]
    _check(not missing, f"icons missing: {missing}")
    from kpfield.services.help import PAGES
    from kpfield.services.help import problems as help_problems

    broken = help_problems(root)
    _check(not broken, f"help pages: {'; '.join(broken[:5])}")
    if root.name == PACKAGED_RESOURCES:  # an installed copy ships compiled catalogs only
        strays = sorted(p.name for p in root.rglob("*") if p.suffix in {".po", ".pot"})
        _check(not strays, f"catalog sources shipped: {strays}")
    count = len(taxonomy.categories)
    return (
        f"{root} (taxonomy: {count} categories; catalogs: {', '.join(CATALOG_LANGUAGES)};"
        f" help: {len(PAGES)} pages each)"
    )


def check_hardening() -> str:
    """What start-up hardening achieved in this process (each entry point runs it first)."""
    from kpfield import process

    done = process.LAST_RESULT or process.harden_process()
    missing = [name for name, ok in done.items() if not ok]
    _check(not missing, f"not achieved: {', '.join(missing)}")
    return ", ".join(done)


def check_crypto() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from kpfield.crypto import age, minisign

    identity = age.X25519Identity.generate()
    plain = secrets.token_bytes(200_000)  # more than one 64 KiB chunk
    sealed, opened = io.BytesIO(), io.BytesIO()
    age.encrypt([identity.recipient], io.BytesIO(plain), sealed)
    age.decrypt([identity], io.BytesIO(sealed.getvalue()), opened)
    _check(opened.getvalue() == plain, "age round trip returned different bytes")
    _check(plain[:4096] not in sealed.getvalue(), "age output holds the plaintext")
    key = Ed25519PrivateKey.generate()
    public = minisign.MinisignPublicKey.from_private(key)
    sig = minisign.sign(key, public.key_id, plain, trusted_comment="self-test")
    _check(minisign.verify(public, sig, plain) == "self-test", "minisign comment changed")
    try:
        minisign.verify(public, sig, plain + b"x")
    except KpfieldError:
        pass
    else:
        raise SelfTestFailure("minisign accepted altered data")
    return "age X25519 encrypt/decrypt, minisign sign/verify/reject"


def check_pdf() -> str:
    """fpdf2 writes a page in DejaVu Sans: the packaged app leaves out fontTools parts fpdf2
    never imports, and a module it does need that went missing fails here, not at HQ."""
    from fpdf import FPDF

    from kpfield.services.exports.brief import FAMILY, find_font

    try:
        regular, bold = find_font(resources_dir())
    except KpfieldError as exc:  # field laptops never write a brief; HQ is told what to install
        raise SelfTestSkip(exc.message) from exc
    pdf = FPDF(unit="mm", format="A4")
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(0, 8, "KP Field — auto-test", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(0, 5, "Relatório, témoin, Ελληνικά, Кимберли — ç õ é")
    pdf.circle(x=40, y=60, radius=10, style="FD")
    data = bytes(pdf.output())
    _check(data.startswith(b"%PDF-") and b"/FontFile2" in data, "fpdf2 wrote no embedded font")
    return f"{len(data)} bytes with {regular.name} (subset) embedded"


def check_http() -> str:
    """The relay client: httpx with certifi's CA bundle for TLS, and socksio for Tor."""
    import certifi
    import httpx

    bundle = Path(certifi.where())
    _check(bundle.is_file(), f"the CA bundle {bundle} is missing")
    with httpx.Client(proxy="socks5h://127.0.0.1:9050", trust_env=False):
        pass  # builds the TLS context from the bundle and the SOCKS transport; sends nothing
    return f"httpx {httpx.__version__}, CA bundle {bundle.name}, socks5h proxy"


# ------------------------------------------------------------------ the report's path
@dataclass
class _World:
    root: Path
    passphrase: str
    marker: str
    hq: Any = None
    field: Any = None
    report_id: str = ""
    photo_sha256: str = ""
    bundles: tuple[Path, ...] = ()

    @property
    def stick(self) -> Path:
        return self.root / "stick"

    def close(self) -> None:
        for s in (self.field, self.hq):
            if s is not None and s.vault.is_open:
                s.close()


def _cheap_params() -> Any:
    # The vaults live for seconds and are erased; a full-strength KDF would only add minutes on
    # a 4 GB laptop. The calibrated KDF is the vault code's own tested business.
    from kpfield.services.vaults import kdf_params

    return kdf_params(8, 1)


def _report_document(marker: str) -> dict[str, Any]:
    return {
        "schema": "kpfield.report/1",
        "title": f"Self-test report {marker}",
        "incident": {
            "date": {"date": "2026-01-02", "precision": "day", "approximate": False},
            "categories": ["private_security_abuse"],
            "perpetrators": ["private_security"],
            "people_affected": 1,
        },
        "place": {"site": "Self-test site", "area": "Self-test area", "country": "SL"},
        "narrative": f"Self-test narrative {marker}.",
        "language": "en",
        "witnesses": [
            {
                "pseudonym": f"W-{marker[:8]}",
                "age_group": "30_49",
                "gender": "female",
                "role": "eyewitness",
                "consent": {
                    "given": True,
                    "method": "verbal_recorded",
                    "recorded_on": "2026-01-02",
                    "scope": {
                        "coalition_use": True,
                        "share_with_kp": False,
                        "publish_anonymised": False,
                        "recontact": False,
                    },
                },
            }
        ],
    }


def _photo(marker: str) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (320, 240), (150, 90, 40))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, comment=marker.encode("ascii"))
    return out.getvalue()


def step_create_hq(w: _World) -> str:
    from kpfield.app import create_session

    w.hq = create_session(w.root / "hq", w.passphrase, role="hq", params=_cheap_params())
    return "keys provisioned"


def step_create_field(w: _World) -> str:
    from kpfield.app import create_session
    from kpfield.protocol.enrollment import parse_request

    w.field = create_session(
        w.root / "field", w.passphrase, role="field", params=_cheap_params(), device_name="self"
    )
    w.field.field().profile.install(w.hq.hq().profile.export()[0])
    w.hq.hq().devices.approve(parse_request(w.field.field().enrollment.request()[0]))
    return "profile installed, device enrolled"


def step_seal(w: _World) -> str:
    reports = w.field.reports
    rid = reports.create_from_document(_report_document(w.marker))
    photo = _photo(w.marker)
    w.photo_sha256 = hashlib.sha256(photo).hexdigest()
    reports.attach_bytes(rid, photo, "photo.jpg")
    reports.seal(rid)
    w.report_id = str(rid)
    return f"report {str(rid)[:8]} with 1 photo"


def step_encrypted_at_rest(w: _World) -> str:
    """SQLCipher really encrypts: no SQLite header, and the report's text is nowhere on disk."""
    needle = w.marker.encode("ascii")
    files = [p for p in w.root.rglob("*") if p.is_file()]
    for db in (w.root / "hq" / "vault.db", w.root / "field" / "vault.db"):
        _check(db.is_file(), f"{db.name} was not created")
        with db.open("rb") as fh:
            _check(fh.read(16) != SQLITE_HEADER, f"{db} is a plain SQLite file")
    for path in files:
        _check(needle not in path.read_bytes(), f"plaintext found in {path.name}")
    return f"{len(files)} files scanned, no SQLite header, no plaintext"


def step_export(w: _World) -> str:
    w.stick.mkdir()
    result = w.field.field().export.to_folder(w.stick)
    w.bundles = tuple(b.path for b in result.bundles)
    _check(len(w.bundles) == 1, f"expected 1 bundle, got {len(w.bundles)}")
    bundle = w.bundles[0]
    _check(w.marker.encode("ascii") not in bundle.read_bytes(), "the bundle holds plaintext")
    return f"1 bundle, {bundle.stat().st_size} bytes"


def step_import(w: _World) -> str:
    from kpfield.hq import intake

    result = w.hq.hq().intake.import_paths(list(w.bundles))
    statuses = [o.status for o in result.outcomes]
    _check(statuses == [intake.IMPORTED], "; ".join(o.line() for o in result.outcomes))
    _check(result.outcomes[0].new_reports == 1, "the report did not arrive")
    (row,) = w.hq.vault.conn.execute("SELECT attachment_id, sha256 FROM hq_attachments")
    _check(row[1] == w.photo_sha256, "the photo's hash changed on the way")
    data = b"".join(intake.original_bytes(w.hq.vault, row[0]))
    _check(hashlib.sha256(data).hexdigest() == w.photo_sha256, "the photo's bytes changed")
    return "signature, manifest and photo verified"


def step_verify(w: _World) -> str:
    for s in (w.field, w.hq):
        result = s.verify()
        _check(result.ok, f"{s.role} vault: verification failed")
    return "custody chains and blobs intact in both vaults"


CHAIN: tuple[tuple[str, Callable[[_World], str]], ...] = (
    ("create HQ vault", step_create_hq),
    ("create field vault and enroll", step_create_field),
    ("write and seal a report with a photo", step_seal),
    ("vaults encrypted at rest (SQLCipher)", step_encrypted_at_rest),
    ("export a bundle", step_export),
    ("import and verify at HQ", step_import),
    ("verify both vaults", step_verify),
)


def _run(name: str, fn: Callable[[], str]) -> StepResult:
    try:
        return StepResult(name, OK, fn())
    except SelfTestSkip as exc:
        return StepResult(name, SKIP, str(exc))
    except Exception as exc:  # noqa: BLE001 - every failure becomes a FAIL line, never a traceback
        return StepResult(name, FAIL, _describe(exc))


def run_self_test(
    gui_check: Callable[[], str] | None = None, *, temp_parent: Path | None = None
) -> Iterator[StepResult]:
    """Yield one result per step as it finishes. ``gui_check`` is None when Qt is unavailable."""
    yield _run("resources and catalogs", check_resources)
    yield _run("process hardening", check_hardening)
    yield _run("cryptography", check_crypto)
    yield _run("PDF brief (fpdf2, DejaVu Sans)", check_pdf)
    yield _run("relay client (httpx, TLS, SOCKS)", check_http)
    parent = Path(tempfile.mkdtemp(prefix="kpfield-self-test-", dir=temp_parent))
    os.chmod(parent, 0o700)
    world = _World(parent, secrets.token_urlsafe(PASSPHRASE_BYTES), secrets.token_hex(16))
    failed = False
    try:
        for name, step in CHAIN:
            if failed:
                yield StepResult(name, SKIP, "an earlier step failed")
                continue
            result = _run(name, lambda step=step: step(world))  # type: ignore[misc]
            failed = result.status == FAIL
            yield result
    finally:
        world.close()
    yield _run("remove everything", lambda: _remove(world))
    if gui_check is None:
        yield StepResult("Qt platform plugin", SKIP, "the desktop interface is not installed")
    else:
        yield _run("Qt platform plugin", gui_check)


def _remove(w: _World) -> str:
    from kpfield.vault.vault import wipe

    for name in ("hq", "field"):
        if (w.root / name).exists():
            wipe(w.root / name)
    shutil.rmtree(w.root)
    _check(not w.root.exists(), f"{w.root} is still there")
    return f"{w.root} erased"
