"""`gaokao client wheelhouse DIR`: the offline installation folder of a point (issue 20).

A school PC often has no network to the package registry. The county copies this folder to
it: the project's own wheel, every wheel it needs for the point's platform (downloaded
with `pip download --only-binary=:all:`, so nothing is compiled on the PC), the install and
start scripts (gaokao/client/scripts/) and the guide for point staff. On the PC, install.bat
(Windows) or install.sh (Linux) installs from the folder alone: `pip install --no-index
--find-links DIR gaokao`.

Built on a machine with the registry and the repository (the project's wheel is built from
its source), for the platform of the point's PCs: win_amd64 by default in the guide; without
--platform, for the machine that builds it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

SCRIPTS = Path(__file__).resolve().parent / "scripts"
PYTHON_VERSION = "3.11"
# pip judges the markers of the requirements by the machine that downloads, not by the
# target: Django's `tzdata; sys_platform == "win32"` (Windows has no time zone database)
# must be named for a Windows folder.
WINDOWS_ONLY = ("tzdata",)


class WheelhouseError(Exception):
    pass


@dataclass
class Wheelhouse:
    folder: Path
    own_wheel: Path
    wheels: int
    platform: str


def source_root() -> Path:
    root = Path(settings.BASE_DIR).resolve().parent
    if not (root / "pyproject.toml").is_file():
        raise WheelhouseError(
            f"{root} is not the project's source: build the wheelhouse from a clone of the"
            " repository (or pass --wheel with the project's wheel)."
        )
    return root


def guide() -> Path | None:
    """docs/point-guide.md of the source, if this is one."""
    path = Path(settings.BASE_DIR).resolve().parent / "docs" / "point-guide.md"
    return path if path.is_file() else None


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", *args]
    result = subprocess.run(command, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise WheelhouseError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


def build_own_wheel(folder: Path) -> Path:
    for old in folder.glob("gaokao-*.whl"):
        old.unlink()
    _pip("wheel", "--no-deps", "--quiet", "--wheel-dir", str(folder), str(source_root()))
    [wheel] = folder.glob("gaokao-*.whl")
    return wheel


def build(folder: Path, platform: str | None = None, wheel: Path | None = None) -> Wheelhouse:
    """Fill `folder` (made if missing) for `platform` (a wheel platform tag such as
    win_amd64; None: this machine). Raises WheelhouseError with pip's words."""
    folder.mkdir(parents=True, exist_ok=True)
    if wheel is not None:
        own = folder / wheel.name
        if own.resolve() != wheel.resolve():
            shutil.copy2(wheel, own)
    else:
        own = build_own_wheel(folder)
    target = []
    if platform:
        target = ["--platform", platform, "--python-version", PYTHON_VERSION]
        target += ["--implementation", "cp"]
    extra = list(WINDOWS_ONLY) if (platform or sys.platform).startswith("win") else []
    _pip("download", "--quiet", "--only-binary=:all:", "--dest", str(folder), *target,
         str(own), *extra)  # fmt: skip
    for script in SCRIPTS.iterdir():
        if script.is_file():
            copied = Path(shutil.copy2(script, folder / script.name))
            if script.suffix == ".sh":
                copied.chmod(0o755)
    if (text := guide()) is not None:
        shutil.copy2(text, folder / text.name)
    return Wheelhouse(
        folder=folder,
        own_wheel=own,
        wheels=len(list(folder.glob("*.whl"))),
        platform=platform or "this machine",
    )
