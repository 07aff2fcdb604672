"""Issue 20, item 6: one install. `gaokao client wheelhouse DIR` writes the folder a point
installs from without network: the project's wheel, every wheel it needs for the point's
platform, the install and start scripts, the guide. Built here for Windows (win_amd64)
and for this machine, whose folder install.sh installs into a fresh virtual environment
that then runs `gaokao`.

Needs the package registry (pip download): skipped, saying so, when pip cannot reach it.
Marked `wheelhouse` (about a minute): CI runs it once (.ci/run), `bin/test` leaves it out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from gaokao.client.tests.processes import ROOT

pytestmark = pytest.mark.wheelhouse


@pytest.fixture(scope="module")
def registry():
    probe = subprocess.run(
        [sys.executable, "-m", "pip", "index", "versions", "waitress"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if probe.returncode != 0:
        pytest.skip(f"the package registry cannot be reached: {probe.stderr.strip()[-300:]}")


@pytest.fixture(scope="module")
def own_wheel(tmp_path_factory, registry):
    """The project's wheel, built once for both folders."""
    folder = tmp_path_factory.mktemp("own")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(folder), str(ROOT)],
        check=True,
        capture_output=True,
    )
    [wheel] = folder.glob("gaokao-*.whl")
    return wheel


def names(folder: Path) -> set[str]:
    return {p.name.split("-")[0].lower() for p in folder.glob("*.whl")}


def test_r4_issue20_the_windows_folder_holds_every_wheel_and_the_scripts(tmp_path, own_wheel):
    folder = tmp_path / "win"
    call_command("client", "wheelhouse", str(folder), "--platform", "win_amd64", wheel=own_wheel)
    wheels = names(folder)
    assert {"gaokao", "django", "waitress", "platformdirs", "pyserial", "tzdata"} <= wheels
    binary = [p.name for p in folder.glob("*.whl") if not p.name.endswith("-none-any.whl")]
    assert binary and all("win_amd64" in name for name in binary), binary
    for script in ("install.bat", "start.bat", "install.sh", "start.sh", "point-guide.md"):
        assert (folder / script).is_file(), script
    # The scripts are in the published package too, not only in the repository.
    with zipfile.ZipFile(own_wheel) as wheel:
        assert {"gaokao/client/scripts/install.bat", "gaokao/client/scripts/install.sh"} <= set(
            wheel.namelist()
        )


def test_r4_issue20_this_machines_folder_installs_offline_into_a_fresh_venv(tmp_path, own_wheel):
    folder = tmp_path / "linux"
    call_command("client", "wheelhouse", str(folder), wheel=own_wheel)
    home, app = tmp_path / "home", tmp_path / "app"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GAOKAO_", "PIP_", "XDG_"))}
    env |= {
        "HOME": str(home),
        "GAOKAO_CLIENT_APP": str(app),
        "PIP_NO_INDEX": "1",  # the folder alone, as on a PC without network
        "PIP_FIND_LINKS": "",
        "PIP_CONFIG_FILE": os.devnull,
        "PYTHONPATH": "",
    }
    env.pop("DATABASE_URL", None)
    installed = subprocess.run(
        ["/bin/sh", str(folder / "install.sh"), "sim"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "0.1" in installed.stdout  # `gaokao client version` of the new installation
    gaokao = app / "venv" / "bin" / "gaokao"
    helped = subprocess.run(
        [str(gaokao), "--help"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert helped.returncode == 0 and "client" in helped.stdout, helped.stderr
    assert (app / "reader.txt").read_text().strip() == "sim"
    assert (home / ".local" / "bin" / "gaokao-client").exists()
    assert (home / ".local" / "share" / "applications" / "gaokao-client.desktop").is_file()
