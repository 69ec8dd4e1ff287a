"""The built wheel works on its own: installed into a fresh venv and run from outside the source
tree, it finds its taxonomy and its French and Portuguese catalogs inside the install."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.packaging.wheels import REPO, build_wheel_from_copy, clean_env, run, venv_with_dev_deps


@pytest.mark.slow
def test_installed_wheel_runs_a_flow_needing_taxonomy_and_catalogs(tmp_path: Path) -> None:
    started = time.monotonic()
    wheel = build_wheel_from_copy(tmp_path)
    venv = tmp_path / "venv"
    python = venv_with_dev_deps(venv, wheel)

    home = tmp_path / "home"
    home.mkdir()
    env = clean_env(
        HOME=str(home),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        QT_QPA_PLATFORM="offscreen",
    )
    kpfield = python.parent / ("kpfield.exe" if os.name == "nt" else "kpfield")
    secret = tmp_path / "pass.txt"
    secret.write_text("wheel test passphrase\n", encoding="utf-8")
    vault = ["--data-dir", str(tmp_path / "vault"), "--passphrase-file", str(secret)]
    report = tmp_path / "report.json"
    report.write_text((REPO / "docs" / "example-report.json").read_text("utf-8"), "utf-8")

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        r = run([str(kpfield), *args], cwd=tmp_path, env=env)
        assert r.returncode == 0, f"kpfield {args[0]}: {r.stdout}\n{r.stderr}"
        return r

    cli("init", *vault, "--kdf-memory-mib", "8", "--kdf-iterations", "1")
    rid = cli("report", "new", "--from", str(report), *vault).stdout.strip()
    shown = json.loads(cli("report", "show", rid, "--json", *vault).stdout)
    assert shown["incident"]["categories"] == ["private_security_abuse", "torture"]
    assert "All verified." in cli("verify", *vault).stdout

    probe = (
        "import json, kpfield, kpfield.paths as p, kpfield.i18n as i;"
        "print(json.dumps({'package': kpfield.__file__, 'resources': str(p.resources_dir()),"
        " 'fr': i.I18n('fr').gettext('Lock'), 'pt': i.I18n('pt').gettext('Forced labour'),"
        " 'catalogs': [i.I18n(x).has_catalog() for x in ('fr', 'pt')],"
        " 'babel': __import__('sys').modules.get('babel') is not None}))"
    )
    r = run([str(python), "-c", probe], cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    found = json.loads(r.stdout)
    assert Path(found["package"]).is_relative_to(venv)
    assert Path(found["resources"]).is_relative_to(venv)
    assert not Path(found["resources"]).is_relative_to(REPO)
    assert (found["fr"], found["pt"]) == ("Verrouiller", "Trabalho forçado")
    assert found["catalogs"] == [True, True]
    assert found["babel"] is False
    # The wheel carries compiled catalogs only: translators' sources stay in the repository.
    assert not list(Path(found["resources"]).rglob("*.po"))
    print(f"wheel build + install + flow: {time.monotonic() - started:.1f}s")
