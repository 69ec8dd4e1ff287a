"""Build the kpfield wheel from a copy of the sources and install it into a fresh venv: shared by
the wheel tests (tests/packaging/test_wheel.py, test_relay_wheel.py)."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# What a wheel is built from: the same files an sdist holds (see MANIFEST.in).
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "kpfield", "resources")
# Setuptools that understands pyproject.toml's SPDX ``license`` string.
MIN_SETUPTOOLS = (77,)
_LEADS_BACK = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "KPFIELD_RESOURCES", "KPFIELD_DATA_DIR")


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that would lead back to the source tree."""
    env = {k: v for k, v in os.environ.items() if k not in _LEADS_BACK}
    env.update(extra)
    return env


def run(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env=env or clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _setuptools_is_recent() -> bool:
    try:
        version = metadata.version("setuptools")
    except metadata.PackageNotFoundError:
        return False
    parts = tuple(int(p) for p in version.split(".")[:1] if p.isdigit())
    return parts >= MIN_SETUPTOOLS


def build_wheel(src: Path, out: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(src)]
    # Prefer the installed build backend (offline); fall back to pip's isolated build, which
    # fetches setuptools from the configured index, as ``pip install .`` would.
    if _setuptools_is_recent():
        cmd.insert(4, "--no-build-isolation")
    r = run(cmd)
    if r.returncode != 0:
        backend_unavailable = "No matching distribution found for setuptools" in r.stderr
        if backend_unavailable and os.environ.get("CI") != "true":
            pytest.skip("no setuptools>=77 installed or reachable to build the wheel")
        raise AssertionError(f"pip wheel failed:\n{r.stdout}\n{r.stderr}")
    (wheel,) = out.glob("kpfield-*.whl")
    return wheel


def venv_with_dev_deps(at: Path, wheel: Path) -> Path:
    """A venv holding only the wheel; the already installed dependencies are reached through a
    .pth path line (such lines do not run the dev venv's own .pth files, so its editable
    kpfield stays out of sight)."""
    r = run([sys.executable, "-m", "venv", "--without-pip", str(at)])
    assert r.returncode == 0, r.stderr
    python = at / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    # Installed before the dependencies become visible: pip would otherwise see the dev venv's
    # kpfield and call the wheel "already satisfied".
    r = run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--ignore-installed",
            str(wheel),
        ]
    )
    assert r.returncode == 0, r.stderr
    purelib = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
        ).stdout.strip()
    )
    deps = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    deps.update(site.getsitepackages())
    (purelib / "kpfield_test_deps.pth").write_text("\n".join(sorted(deps)) + "\n", "utf-8")
    return python


def build_wheel_from_copy(tmp_path: Path) -> Path:
    """The wheel built from a copy of exactly the files an sdist holds (the copy is removed)."""
    src = tmp_path / "src"
    for name in BUILD_INPUTS:
        origin = REPO / name
        if origin.is_dir():
            shutil.copytree(
                origin, src / name, ignore=shutil.ignore_patterns("__pycache__", "_resources")
            )
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(origin, src / name)
    wheel = build_wheel(src, tmp_path / "dist")
    shutil.rmtree(src)  # nothing may come from a source tree any more
    return wheel


def local_indexes() -> list[str]:
    """The package indexes pip is configured with that are folders on this machine (file://)."""
    listed = run([sys.executable, "-m", "pip", "config", "list"]).stdout
    urls: list[str] = []
    for line in listed.splitlines():
        name, _, value = line.partition("=")
        if name.rsplit(".", 1)[-1] in {"index-url", "extra-index-url"}:
            urls += [u for u in value.strip("'\"").split() if u.startswith("file://")]
    return [u for u in urls if Path(u.removeprefix("file://")).is_dir()]


def bare_venv_with(at: Path, wheel: Path, extra: str) -> Path:
    """A venv with nothing but ``kpfield[extra]`` from ``wheel``, its dependencies resolved by
    pip: offline from the machine's local indexes when it has some, else from the configured
    index (as ``pip install`` would)."""
    r = run([sys.executable, "-m", "venv", "--without-pip", str(at)])
    assert r.returncode == 0, r.stderr
    python = at / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    env = clean_env()
    sources: list[str] = []
    indexes = local_indexes()
    if indexes:
        # Only the local folders: nothing is fetched, nothing from the dev venv is reused.
        env["PIP_CONFIG_FILE"] = os.devnull
        sources = ["--index-url", indexes[0]]
        for url in indexes[1:]:
            sources += ["--extra-index-url", url]
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    r = run([*cmd, *sources, f"{wheel}[{extra}]"], env=env)
    if r.returncode != 0:
        unreachable = "No matching distribution found" in r.stderr
        if unreachable and not indexes and os.environ.get("CI") != "true":
            pytest.skip(f"the dependencies of kpfield[{extra}] are not reachable from here")
        raise AssertionError(f"pip install kpfield[{extra}] failed:\n{r.stdout}\n{r.stderr}")
    return python
