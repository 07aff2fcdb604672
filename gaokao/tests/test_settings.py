"""Settings come from the environment (E2 for operators too); wrong values fail at start
with a message that says what to fix."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


def start(tmp_path, **env):
    """Import the settings in a fresh interpreter with exactly these variables set."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY", "DEBUG")}
    base.update({"GAOKAO_DATA_DIR": str(tmp_path)}, **env)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import gaokao.settings as s; print(s.DATABASES['default']['ENGINE'])",
        ],
        env=base,
        capture_output=True,
        text=True,
        check=False,
    )


def test_e2_defaults_to_sqlite_in_the_data_dir_with_a_kept_secret(tmp_path):
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.sqlite3"
    key = (tmp_path / "secret_key").read_text()
    assert len(key) > 40
    assert oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    start(tmp_path)
    assert (tmp_path / "secret_key").read_text() == key  # kept, not regenerated


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "yes"}, "DEBUG must be True or False"),
        ({"GAOKAO_MODE": "offline"}, "GAOKAO_MODE must be one of server, client"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "SQLite or PostgreSQL"),
        (
            {"DATABASE_URL": "postgres://u@127.0.0.1/x"},
            "SECRET_KEY (or SECRET_KEY_FILE) must be set",
        ),
        ({"SECRET_KEY_FILE": "/nonexistent/key"}, "SECRET_KEY_FILE: cannot read"),
    ],
)
def test_e2_wrong_configuration_fails_at_start_with_a_clear_message(tmp_path, env, message):
    result = start(tmp_path, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_e2_postgres_with_a_secret_key_file(tmp_path):
    key_file = tmp_path / "key"
    key_file.write_text("from-a-file\n")
    result = start(tmp_path, DATABASE_URL="postgres://u@127.0.0.1/x", SECRET_KEY_FILE=str(key_file))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "django.db.backends.postgresql"


def test_e1_production_settings_pass_djangos_deployment_check(tmp_path):
    """docs/deploy.md's environment: `gaokao check --deploy` finds nothing to warn about."""
    unset = ("DATABASE_URL", "SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")  # e2e sets it
    env = {k: v for k, v in os.environ.items() if k not in unset} | {
        "GAOKAO_DATA_DIR": str(tmp_path),
        "GAOKAO_HTTPS": "True",
        "DEBUG": "False",
        "SECRET_KEY": "kX9-vQ2_mZ7pL4wR8tY1uE6iO3aS5dF0gH2jK7lZ9xC4vB6nM1qW8eR3tY5uI0oP",
        "ALLOWED_HOSTS": "bm.example.cn",
    }
    gaokao = Path(sys.executable).with_name("gaokao")
    done = subprocess.run(
        [str(gaokao), "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    without_https = subprocess.run(
        [str(gaokao), "check", "--deploy", "--fail-level", "WARNING"],
        env=env | {"GAOKAO_HTTPS": "False"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert without_https.returncode != 0
    assert "SECURE_SSL_REDIRECT" in without_https.stdout + without_https.stderr
