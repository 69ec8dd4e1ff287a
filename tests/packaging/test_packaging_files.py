"""What packaging/ ships is valid, and the pieces of the package work before any build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kpfield.paths import APP_ID, ICON_SIZES

REPO = Path(__file__).resolve().parents[2]
LINUX = REPO / "packaging" / "linux"
DESKTOP = LINUX / f"{APP_ID}.desktop"
METAINFO = LINUX / f"{APP_ID}.metainfo.xml"
ICONS = REPO / "resources" / "icons"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail(f"{name} is missing; .ci/run installs it")
    pytest.skip(f"{name} is not installed")


def test_desktop_entry_is_valid() -> None:
    r = subprocess.run(
        [_tool("desktop-file-validate"), str(DESKTOP)], capture_output=True, text=True, check=False
    )
    assert r.returncode == 0 and not r.stdout.strip(), r.stdout + r.stderr
    text = DESKTOP.read_text("utf-8")
    assert f"Icon={APP_ID}\n" in text
    assert "Exec=kpfield gui\n" in text


def test_appstream_metainfo_is_valid_strict() -> None:
    r = subprocess.run(
        [_tool("appstreamcli"), "validate", "--strict", "--no-net", str(METAINFO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    text = METAINFO.read_text("utf-8")
    assert f"<id>{APP_ID}</id>" in text
    assert f'<launchable type="desktop-id">{APP_ID}.desktop</launchable>' in text


def test_metainfo_release_is_the_package_version() -> None:
    from kpfield import __version__

    assert f'<release version="{__version__}"' in METAINFO.read_text("utf-8")


def test_icons_in_every_size_and_up_to_date(tmp_path: Path) -> None:
    from PIL import Image

    for size in ICON_SIZES:
        with Image.open(ICONS / f"kpfield-{size}.png") as img:
            assert img.size == (size, size)
            assert img.mode == "RGBA"
    assert (ICONS / "kpfield.svg").read_text("utf-8").startswith("<?xml")
    # The committed files are what make_icons.py draws today.
    sys.path.insert(0, str(REPO / "packaging"))
    try:
        import make_icons
    finally:
        sys.path.remove(str(REPO / "packaging"))
    assert make_icons.svg() == (ICONS / "kpfield.svg").read_text("utf-8")
    for size in (16, 256):
        with Image.open(ICONS / f"kpfield-{size}.png") as committed:
            assert committed.tobytes() == make_icons.png(size).tobytes()


# ----------------------------------------------------------------- the install scripts
def _fake_unpacked(root: Path) -> Path:
    """An unpacked tarball whose ``kpfield`` records how it was called."""
    app = root / "kpfield"
    icons = app / "_internal" / "kpfield" / "_resources" / "icons"
    icons.mkdir(parents=True)
    for f in ICONS.iterdir():
        shutil.copy(f, icons / f.name)
    exe = app / "kpfield"
    exe.write_text('#!/bin/sh\necho "$@" >> "$HOME/kpfield-calls"\n', encoding="utf-8")
    exe.chmod(0o755)
    for name in ("install.sh", "uninstall.sh"):
        shutil.copy(LINUX / name, root / name)
    shutil.copy(DESKTOP, root / DESKTOP.name)
    shutil.copy(METAINFO, root / METAINFO.name)
    return root


def _sh(script: Path, home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    return subprocess.run(
        ["sh", str(script), *args], env=env, input=stdin, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


@pytest.fixture
def installed(tmp_path: Path) -> tuple[Path, Path]:
    src = _fake_unpacked(tmp_path / "unpacked")
    home = tmp_path / "home"
    home.mkdir()
    r = _sh(src / "install.sh", home)
    assert r.returncode == 0, r.stderr
    vault = home / ".local" / "share" / "kpfield"
    vault.mkdir(parents=True)
    (vault / "keyslots").write_bytes(b"k")
    return home, vault


def test_install_is_per_user_under_local(installed: tuple[Path, Path]) -> None:
    home, _vault = installed
    local = home / ".local"
    assert (local / "lib" / "kpfield" / "kpfield").is_file()
    assert (local / "bin" / "kpfield").resolve() == (local / "lib" / "kpfield" / "kpfield")
    desktop = (local / "share" / "applications" / DESKTOP.name).read_text("utf-8")
    assert f"Exec={local}/bin/kpfield gui" in desktop
    for size in ICON_SIZES:
        assert (local / f"share/icons/hicolor/{size}x{size}/apps/{APP_ID}.png").is_file()
    assert (local / f"share/icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()
    assert (local / "share" / "metainfo" / METAINFO.name).is_file()


def test_uninstall_keeps_the_vault(installed: tuple[Path, Path]) -> None:
    home, vault = installed
    r = _sh(home / ".local" / "lib" / "kpfield" / "uninstall.sh", home)
    assert r.returncode == 0, r.stderr
    assert "vault was kept" in r.stdout
    assert not (home / ".local" / "lib" / "kpfield").exists()
    assert not (home / ".local" / "bin" / "kpfield").is_symlink()
    assert not list((home / ".local" / "share" / "icons").rglob("*.png"))
    assert (vault / "keyslots").read_bytes() == b"k"
    assert not (home / "kpfield-calls").exists()  # the app was never asked to wipe


def test_uninstall_erases_the_vault_only_when_asked_and_confirmed(
    installed: tuple[Path, Path],
) -> None:
    home, vault = installed
    script = home / ".local" / "lib" / "kpfield" / "uninstall.sh"
    r = _sh(script, home, "--erase-vault", stdin="no\n")
    assert r.returncode == 1 and "Nothing was removed" in r.stdout
    assert (home / ".local" / "lib" / "kpfield").exists()
    r = _sh(script, home, "--erase-vault", stdin="ERASE\n")
    assert r.returncode == 0, r.stderr
    # The app's own crypto-erase was asked to do it (key file first), then the program went.
    assert (home / "kpfield-calls").read_text("utf-8").split() == ["wipe", "--yes"]
    assert not (home / ".local" / "lib" / "kpfield").exists()


# ----------------------------------------------------------------- Windows registry
class FakeRegistry:
    """winreg's key calls over a dict of paths (the part qt_registry uses)."""

    HKEY_CURRENT_USER = "HKCU"

    def __init__(self, keys: set[str]) -> None:
        self.keys = set(keys)

    def OpenKey(self, root: str, path: str) -> str:  # noqa: N802
        if path not in self.keys:
            raise OSError(2, "not found")
        return path

    def EnumKey(self, handle: str, index: int) -> str:  # noqa: N802
        children = sorted(
            k[len(handle) + 1 :] for k in self.keys if k.startswith(handle + "\\")
            and "\\" not in k[len(handle) + 1 :]
        )  # fmt: skip
        if index >= len(children):
            raise OSError(259, "no more data")
        return children[index]

    def DeleteKey(self, root: str, path: str) -> None:  # noqa: N802
        if any(k.startswith(path + "\\") for k in self.keys):
            raise OSError(5, "has subkeys")
        self.keys.remove(path)

    def CloseKey(self, handle: str) -> None:  # noqa: N802
        pass


def test_file_dialog_history_is_removed_from_the_registry() -> None:
    from kpfield.gui.qt_registry import QT_KEY, clear_file_dialog_history

    other = r"Software\QtProject\OrganizationDefaults\Other"
    reg = FakeRegistry({QT_KEY, QT_KEY + r"\history", QT_KEY + r"\history\deep", other})
    assert clear_file_dialog_history(reg) == 3
    assert reg.keys == {other}
    assert clear_file_dialog_history(reg) == 0  # nothing there: not an error


@pytest.mark.skipif(sys.platform != "win32", reason="the registry exists only on Windows")
def test_a_real_file_dialog_leaves_no_registry_trace(qtbot: object) -> None:  # pragma: no cover
    import winreg

    from PySide6.QtWidgets import QApplication, QFileDialog

    from kpfield.gui.qt_registry import QT_KEY, keep_file_dialog_history_out_of_registry

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    watcher = keep_file_dialog_history_out_of_registry(app)
    dialog = QFileDialog(None, "t")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setDirectory(os.path.expanduser("~"))
    dialog.show()
    dialog.hide()
    dialog.deleteLater()
    qtbot.waitUntil(lambda: not _key_exists(winreg, QT_KEY))  # type: ignore[attr-defined]
    assert watcher is not None


def _key_exists(winreg: object, path: str) -> bool:  # pragma: no cover - Windows only
    try:
        winreg.CloseKey(winreg.OpenKey(winreg.HKEY_CURRENT_USER, path))  # type: ignore[attr-defined]
    except OSError:
        return False
    return True


# ----------------------------------------------------------------- signed releases
def test_release_sums_are_signed_and_verify_with_minisign(tmp_path: Path) -> None:
    minisign = _tool("minisign")
    key, pub = tmp_path / "release.key", tmp_path / "release.pub"
    subprocess.run(
        [minisign, "-G", "-W", "-s", str(key), "-p", str(pub)], check=True, capture_output=True
    )
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "kpfield-0.1.0-linux-x86_64.tar.xz").write_bytes(b"package bytes")
    (dist / "notes.txt").write_text("not a release file", encoding="utf-8")
    script = REPO / "packaging" / "release" / "sign-release.sh"
    env = dict(os.environ, MINISIGN_PUB=str(pub))
    r = subprocess.run(
        ["sh", str(script), str(dist), "-s", str(key)], env=env, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    sums = (dist / "SHA256SUMS").read_text("utf-8")
    assert "kpfield-0.1.0-linux-x86_64.tar.xz" in sums and "notes.txt" not in sums
    # What a user does (README "Verify a download"), and what happens after tampering.
    ok = subprocess.run(
        [minisign, "-Vm", "SHA256SUMS", "-p", str(pub)], cwd=dist, capture_output=True, check=False
    )
    assert ok.returncode == 0
    (dist / "kpfield-0.1.0-linux-x86_64.tar.xz").write_bytes(b"tampered")
    bad = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=dist, capture_output=True, check=False
    )
    assert bad.returncode != 0
    (dist / "SHA256SUMS").write_text(sums.replace("kpfield", "kpfielx"), encoding="utf-8")
    forged = subprocess.run(
        [minisign, "-Vm", "SHA256SUMS", "-p", str(pub)], cwd=dist, capture_output=True, check=False
    )
    assert forged.returncode != 0
