"""Build the Linux package: a one-folder PyInstaller app in a tarball with install scripts.

    python packaging/build.py [--venv DIR] [--out DIR]

Makes (or reuses) a build venv holding only the runtime dependencies (the core and the
``desktop`` extra) and PyInstaller, never the relay's or the development ones (Babel, pytest,
...), builds ``packaging/pyinstaller/kpfield.spec``, lays out ``kpfield-<version>-linux-<arch>/``
with the install and uninstall scripts, the .desktop entry and the AppStream metainfo, packs it
as ``.tar.xz`` and writes ``package-report.json`` with the figures docs/packaging.md quotes
(size, file count, compressed size, build time, glibc).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SPEC = REPO / "packaging" / "pyinstaller" / "kpfield.spec"
LINUX = REPO / "packaging" / "linux"
APP_ID = "org.kpcivilsociety.KPField"
# Pinned so a release is rebuilt with the tool it was measured with.
PYINSTALLER = "pyinstaller==6.22.3"
_GLIBC = re.compile(rb"GLIBC_(\d+)\.(\d+)")


def run(cmd: list[str], **kw: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kw)  # type: ignore[call-overload]


APP_EXTRA = "desktop"
"""The optional-dependency group the desktop app needs on top of the core (pyproject.toml)."""


def runtime_requirements() -> list[str]:
    """The core dependencies and the desktop extra's: what the packaged app runs on (never the
    relay's Starlette and uvicorn, nor the development tools)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"][APP_EXTRA]]


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    stamp = venv / ".kpfield-build-stamp"
    wanted = "\n".join([PYINSTALLER, *runtime_requirements()])
    if stamp.is_file() and stamp.read_text("utf-8") == wanted and python.exists():
        return python
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
    run([str(python), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([str(python), "-m", "pip", "install", "-q", PYINSTALLER, *runtime_requirements()])
    stamp.write_text(wanted, "utf-8")
    return python


def version() -> str:
    text = (REPO / "kpfield" / "__init__.py").read_text("utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    if not match:
        raise SystemExit("no __version__ in kpfield/__init__.py")
    return match.group(1)


def oldest_glibc(folder: Path) -> str:
    """The newest GLIBC_x.y symbol version any bundled file needs: the oldest glibc it runs on."""
    best = (0, 0)
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as fh:
            if fh.read(4) != b"\x7fELF":
                continue
        data = path.read_bytes()
        for major, minor in _GLIBC.findall(data):
            best = max(best, (int(major), int(minor)))
    return f"{best[0]}.{best[1]}"


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def build(python: Path, work: Path) -> tuple[Path, float]:
    dist = work / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    started = time.monotonic()
    run(
        [
            str(python),
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work / "pyinstaller"),
            str(SPEC),
        ],
        cwd=REPO,
        env=env,
    )
    return dist / "kpfield", time.monotonic() - started


def assemble(app: Path, out: Path, ver: str) -> Path:
    arch = platform.machine()
    name = f"kpfield-{ver}-linux-{arch}"
    root = out / name
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copytree(app, root / "kpfield", symlinks=True)
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(LINUX / script, root / script)
        (root / script).chmod(0o755)
    for suffix in (".desktop", ".metainfo.xml"):
        shutil.copy2(LINUX / f"{APP_ID}{suffix}", root / f"{APP_ID}{suffix}")
    shutil.copy2(REPO / "packaging" / "linux" / "README-install.txt", root / "README.txt")
    return root


def pack(root: Path, level: int) -> Path:
    archive = root.parent / f"{root.name}.tar.xz"
    archive.unlink(missing_ok=True)
    if shutil.which("tar") and shutil.which("xz"):
        # xz on every core: Python's lzma module takes minutes for the same result.
        run(
            [
                "tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
                "-I", f"xz -T0 -{level}", "-cf", str(archive), "-C", str(root.parent), root.name,
            ]
        )  # fmt: skip
        return archive

    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(archive, "w:xz", preset=level) as tar:
        tar.add(root, arcname=root.name, filter=normalise)
    return archive


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--venv", type=Path, default=REPO / "build" / "package-venv")
    p.add_argument("--out", type=Path, default=REPO / "dist")
    p.add_argument("--work", type=Path, default=REPO / "build" / "package")
    # 6 for releases (39 MiB); CI's smoke build uses 2 (44 MiB, several times faster).
    p.add_argument("--xz-level", type=int, default=6, choices=range(10))
    args = p.parse_args(argv)
    if not sys.platform.startswith("linux"):
        raise SystemExit("build.py makes the Linux package; see docs/packaging.md for the others")
    t0 = time.monotonic()
    python = ensure_venv(args.venv)
    venv_seconds = time.monotonic() - t0
    app, build_seconds = build(python, args.work)
    args.out.mkdir(parents=True, exist_ok=True)
    ver = version()
    root = assemble(app, args.out, ver)
    t1 = time.monotonic()
    archive = pack(root, args.xz_level)
    pack_seconds = time.monotonic() - t1
    files = files_in(root / "kpfield")
    report = {
        "version": ver,
        "folder": str(root),
        "archive": str(archive),
        "app_bytes": sum(p.stat().st_size for p in files),
        "app_files": len(files),
        "archive_bytes": archive.stat().st_size,
        "pyinstaller_seconds": round(build_seconds, 1),
        "venv_seconds": round(venv_seconds, 1),
        "pack_seconds": round(pack_seconds, 1),
        "oldest_glibc": oldest_glibc(root / "kpfield"),
        "build_glibc": platform.libc_ver()[1],
    }
    (args.out / "package-report.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    mib = 1024 * 1024
    print(
        f"{archive.name}: app {report['app_bytes'] / mib:.0f} MiB in {report['app_files']} files, "
        f"archive {report['archive_bytes'] / mib:.0f} MiB, PyInstaller {build_seconds:.0f} s, "
        f"needs glibc >= {report['oldest_glibc']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
