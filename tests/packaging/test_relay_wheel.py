"""``pip install 'kpfield[relay]'`` brings only what the server needs: the built wheel installed
with that extra into an empty venv holds no Qt, SQLCipher, Pillow or httpx, and its ``kpfield``
command initialises and serves a relay that answers; desktop commands name the extra to add."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.packaging.wheels import bare_venv_with, build_wheel_from_copy, clean_env, run
from tests.relay.support import Key, device_list, hq_public_file, send

DESKTOP_ONLY = ("pyside6-essentials", "shiboken6", "sqlcipher3", "pillow", "httpx", "httpcore")
DESKTOP_MODULES = ("PySide6", "sqlcipher3", "PIL", "httpx", "fpdf")

PROBE = """
import importlib.metadata as m, importlib.util as u, json
print(json.dumps({
    "dists": sorted(d.metadata["Name"].lower() for d in m.distributions()),
    "modules": {n: u.find_spec(n) is not None for n in %r},
}))
"""


@pytest.mark.slow
def test_relay_extra_installs_and_serves_without_the_desktop_libraries(tmp_path: Path) -> None:
    started = time.monotonic()
    wheel = build_wheel_from_copy(tmp_path)
    python = bare_venv_with(tmp_path / "venv", wheel, "relay")
    kpfield = python.parent / ("kpfield.exe" if os.name == "nt" else "kpfield")
    env = clean_env(HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"))

    probe = run([str(python), "-c", PROBE % (DESKTOP_MODULES,)], cwd=tmp_path, env=env)
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout)
    assert {"kpfield", "cryptography", "platformdirs", "starlette", "uvicorn"} <= set(
        found["dists"]
    )
    assert not set(DESKTOP_ONLY) & set(found["dists"]), found["dists"]
    assert found["modules"] == dict.fromkeys(DESKTOP_MODULES, False)

    hq, device = Key(), Key()
    hq_file = tmp_path / "hq-public.json"
    hq_file.write_bytes(hq_public_file(hq))
    data = tmp_path / "relay"
    init = run(
        [str(kpfield), "relay", "init", "--data-dir", str(data), "--hq-public", str(hq_file)],
        cwd=tmp_path,
        env=env,
    )
    assert init.returncode == 0, init.stderr
    assert "relay key fingerprint:" in init.stdout

    proc = subprocess.Popen(
        [str(kpfield), "relay", "serve", "--data-dir", str(data), "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("kpfield relay: listening on http://127.0.0.1:"), (
            line + (proc.stderr.read() if proc.poll() is not None and proc.stderr else "")
        )
        url = line.rsplit(" ", 1)[1].strip()
        with httpx.Client(base_url=url, timeout=10) as client:
            about = send(client, hq, "GET", "/v1/relay")
            assert about.status_code == 200, about.text
            assert about.json()["hq_key_id"] == hq.keyid
            # A signed HQ request goes through the relay's whole gate and its store.
            posted = send(client, hq, "POST", "/v1/hq/device-list", device_list(hq, 1, [device], []))
            assert posted.status_code == 200, posted.text
    finally:
        proc.terminate()
        proc.wait(10)

    # The desktop commands say what to install instead of failing with a traceback.
    secret = tmp_path / "pass.txt"
    secret.write_text("relay-only passphrase\n", encoding="utf-8")
    for args in (
        ["init", "--data-dir", str(tmp_path / "vault"), "--passphrase-file", str(secret)],
        ["gui", "--data-dir", str(tmp_path / "vault")],
    ):
        r = run([str(kpfield), *args], cwd=tmp_path, env=env)
        assert r.returncode == 2, (args, r.stdout, r.stderr)
        assert "pip install 'kpfield[desktop]'" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert not (tmp_path / "vault" / "keyslots").exists()
    print(f"relay wheel build + install + serve: {time.monotonic() - started:.1f}s")
