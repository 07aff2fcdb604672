"""The `gaokao` command (R4: one code base, one command for every front end's tasks)."""

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def gaokao():
    path = Path(sys.executable).with_name("gaokao")  # installed beside the interpreter
    assert path.exists(), "the console script is installed with the package"
    return str(path)


def test_r4_help_lists_the_projects_commands_with_descriptions(gaokao):
    out = subprocess.run([gaokao, "--help"], capture_output=True, text=True, check=True).stdout
    assert "load-preset" in out
    assert "Load a province's regions" in out
    assert "demo " in out


def test_r4_hyphenated_names_run_the_command(gaokao):
    result = subprocess.run(
        [gaokao, "load-preset", "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert "hunan-2020" in result.stdout
